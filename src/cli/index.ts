/** The `cachee` command: `runCli(argv, deps)` returns the exit code; main.ts is the bin. */
export { runCli } from './program.js';
export type { CliDeps, ShutdownSignal, StartProxy } from './deps.js';
export { parseDuration, parseSize, UnitError } from './units.js';
export { resolveConfig, serializeConfig, type ConfigInputs, type ResolvedConfig, type Source } from './config.js';
export { INFO_FIELDS, INFO_REQUEST, buildReport, formatReport, parseInfo, type CacheeInfo, type StatusReport } from './status.js';
