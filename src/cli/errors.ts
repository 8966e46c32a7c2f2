/**
 * An error the CLI reports as one line on stderr, then exits with `exitCode`; never a stack trace.
 * Exit codes: 2 for a bad flag, variable or config file (nothing was started), 1 for a failure at
 * run time (file exists, proxy not answering, start failed), 130 for a run stopped by Ctrl-C
 * (`cachee bench`: its figures are incomplete).
 */
export class CliError extends Error {
  /** Each entry is printed on its own line. */
  readonly lines: readonly string[];

  constructor(
    lines: string | readonly string[],
    readonly exitCode: number,
  ) {
    const all = typeof lines === 'string' ? [lines] : lines;
    super(all.join('\n'));
    this.name = 'CliError';
    this.lines = all;
  }
}

/** A file system error in a few words, the same for every command; undefined for another code. */
export function fileErrorReason(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'not a directory';
  return undefined;
}

/** The message of anything thrown, without its stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
