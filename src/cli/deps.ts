/**
 * Everything the CLI touches outside itself, injectable so tests run it without a process, a
 * proxy, a clock or signals of their own.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ProxyConfig, RunningProxy } from '../proxy/config.js';

/** `startProxy` from src/proxy/index.ts: `log` receives bare lines (no timestamp, no newline). */
export type StartProxy = (config: ProxyConfig, log?: (line: string) => void) => Promise<RunningProxy>;

export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

export interface CliDeps {
  /** Needed by `cachee start` only. */
  startProxy?: StartProxy;
  /** Receives whole lines, each ending in `\n`. */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The terminal behind stderr, for a progress bar; undefined when stderr is a pipe, a file or a test. */
  stderrTerminal: NodeJS.WriteStream | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Epoch milliseconds, for log timestamps and --watch rates. */
  now: () => number;
  /** Calls `handler` on SIGINT and SIGTERM until the returned function is called. */
  onSignal: (handler: (signal: ShutdownSignal) => void) => () => void;
  /**
   * Calls `handler` once the process that launched this one is gone (see malloc-relaunch.ts);
   * absent when no launcher watches this process.
   */
  onLauncherExit?: (handler: () => void) => () => void;
  /** Ends the process at once (a second signal during shutdown). */
  exit: (code: number) => void;
  /** Resolves after `ms`, or as soon as `signal` aborts; never rejects. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  version: string;
}

export function defaultDeps(overrides: Partial<CliDeps> = {}): CliDeps {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrTerminal: process.stderr.isTTY ? process.stderr : undefined,
    env: process.env,
    cwd: process.cwd(),
    now: Date.now,
    onSignal: (handler) => {
      const listener = (signal: NodeJS.Signals) => handler(signal as ShutdownSignal);
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
    exit: (code) => process.exit(code),
    sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
    version: '0.0.0',
    ...overrides,
  };
}
