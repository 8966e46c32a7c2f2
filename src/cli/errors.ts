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

/** The message of anything thrown, without its stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
