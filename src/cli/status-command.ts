/** `cachee status`: one report, or with --watch one row a second until Ctrl-C. */
import type { CliDeps } from './deps.js';
import { CliError } from './errors.js';
import { fetchReport, formatReport, formatWatchHeader, formatWatchRow, type StatusReport } from './status.js';

export interface StatusOptions {
  host: string;
  port: number;
  json: boolean;
  watch: boolean;
  intervalMs: number;
  timeoutMs: number;
  /** AUTH to send first (see proxyClientAuth). */
  auth?: readonly string[];
}

export async function runStatus(options: StatusOptions, deps: CliDeps): Promise<number> {
  const { host, port, timeoutMs } = options;
  if (!options.watch) {
    const report = await fetchReport(host, port, timeoutMs, options.auth);
    deps.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  }

  const abort = new AbortController();
  const unsubscribe = deps.onSignal(() => abort.abort());
  try {
    let previous: { report: StatusReport; at: number } | undefined;
    let rows = 0;
    let seen = false;
    let down = false;
    while (!abort.signal.aborted) {
      const started = deps.now();
      try {
        const report = await fetchReport(host, port, timeoutMs, options.auth);
        const at = deps.now();
        if (options.json) {
          deps.stdout(`${JSON.stringify({ time: new Date(at).toISOString(), ...report })}\n`);
        } else {
          if (rows % 20 === 0) deps.stdout(formatWatchHeader());
          deps.stdout(formatWatchRow(report, previous && { report: previous.report, elapsedMs: at - previous.at }));
          rows++;
        }
        previous = { report, at };
        seen = true;
        down = false;
      } catch (err) {
        // Not there at all: as without --watch. Gone later (a restart): say so once, keep trying.
        if (!(err instanceof CliError) || !seen) throw err;
        if (!down) deps.stderr(`${err.lines[0]}; retrying every ${options.intervalMs}ms\n`);
        down = true;
        previous = undefined;
        rows = 0;
      }
      if (abort.signal.aborted) break;
      await deps.sleep(Math.max(0, options.intervalMs - (deps.now() - started)), abort.signal);
    }
    return 0;
  } finally {
    unsubscribe();
  }
}
