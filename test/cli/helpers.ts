/** Injected dependencies for runCli: captured output, a fixed clock, signals on demand. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliDeps, ShutdownSignal } from '../../src/cli/index.js';

export interface FakeDeps extends Partial<CliDeps> {
  out: string[];
  err: string[];
  exits: number[];
  /** Delivers a signal to whoever listens (start, status --watch). */
  signal(name: ShutdownSignal): void;
  listeners: number;
  stdoutText(): string;
  stderrText(): string;
}

export const FIXED_NOW = Date.parse('2025-01-02T03:04:05.678Z');

export function fakeDeps(overrides: Partial<CliDeps> = {}): FakeDeps {
  const handlers = new Set<(signal: ShutdownSignal) => void>();
  const deps: FakeDeps = {
    out: [],
    err: [],
    exits: [],
    listeners: 0,
    stdout: (text) => void deps.out.push(text),
    stderr: (text) => void deps.err.push(text),
    stderrTerminal: undefined,
    env: {},
    cwd: os.tmpdir(),
    now: () => FIXED_NOW,
    onSignal: (handler) => {
      handlers.add(handler);
      deps.listeners = handlers.size;
      return () => {
        handlers.delete(handler);
        deps.listeners = handlers.size;
      };
    },
    exit: (code) => void deps.exits.push(code),
    sleep: async () => {},
    version: '9.9.9',
    signal: (name) => {
      // A copy: a handler may remove itself.
      for (const handler of Array.from(handlers)) handler(name);
    },
    stdoutText: () => deps.out.join(''),
    stderrText: () => deps.err.join(''),
    ...overrides,
  };
  return deps;
}

/** A fresh empty folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cachee-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A loopback port nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves on the next macrotask, after pending promise chains have run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Runs the bin (src/cli/main.ts under tsx) with `args`; `env` is added to this process's environment. */
export function runBin(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', import.meta.resolve('tsx'), MAIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}
