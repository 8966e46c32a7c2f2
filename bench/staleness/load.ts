/**
 * The staleness checker's load (./checker.ts): a direct writer rewriting one key on Redis, and
 * connections reading it back to back through a proxy (or an application), started as a process
 * of its own. Used by the bench (./run.ts) and by test/proxy/staleness.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { StalenessChecker, type StalenessReport } from './checker.js';

/** Sets `key` to the checker's next value every `everyMs` ms until `running()` is false. */
export async function writeLoop(writer: Redis, key: string, everyMs: number, checker: StalenessChecker, running: () => boolean): Promise<void> {
  while (running()) {
    const value = checker.nextValue;
    await writer.set(key, String(value));
    checker.acknowledged(value, performance.now());
    await sleep(everyMs);
  }
}

/** One connection sending `GET key` back to back, each read's start and value going to the checker. */
export function readLoop(port: number, key: string, checker: StalenessChecker, running: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = `*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`;
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let startedAt = 0;
    let pending = '';
    const send = () => {
      if (!running()) {
        socket.end();
        resolve();
        return;
      }
      startedAt = performance.now();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      // One reply is outstanding at a time: `$<n>\r\n<digits>\r\n`.
      const match = /^\$(\d+)\r\n(\d*)\r\n/.exec(pending);
      if (match === null) {
        if (pending[0] !== '$') {
          socket.destroy();
          reject(new Error(`unexpected reply ${JSON.stringify(pending)}`));
        }
        return;
      }
      pending = pending.slice(match[0].length);
      checker.read(startedAt, Number(match[2]));
      send();
    });
  });
}

export interface ProxyLoad {
  /** Redis, written directly. */
  redisPort: number;
  /** The proxy in front of it, read through. */
  proxyPort: number;
  key: string;
  connections: number;
  seconds: number;
  writeEveryMs: number;
}

/** Runs the load and returns what the checker saw. */
export async function checkThroughProxy(load: ProxyLoad): Promise<StalenessReport> {
  const writer = new Redis(load.redisPort, '127.0.0.1');
  try {
    await writer.set(load.key, '0');
    const checker = new StalenessChecker();
    const end = performance.now() + load.seconds * 1000;
    const running = () => performance.now() < end;
    await Promise.all([
      writeLoop(writer, load.key, load.writeEveryMs, checker, running),
      ...Array.from({ length: load.connections }, () => readLoop(load.proxyPort, load.key, checker, running)),
    ]);
    return checker.report();
  } finally {
    writer.disconnect();
  }
}

/**
 * `script` (the proxy's bin or source, or an application over TieredCache) with `args`, run by
 * node with tsx in an empty folder, without CACHEE_* variables and with the admin port on any free
 * port, once a line of its output matches `ready`; it listens on `port`, or on the port `ready`
 * captures.
 */
export async function startServerProcess(script: string, args: string[], ready: RegExp, port?: number): Promise<{ port: number; stop(): Promise<void> }> {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'cachee-staleness-'));
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CACHEE_'))), CACHEE_ADMIN_PORT: '0' };
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match !== null) resolve(port ?? Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} ${args.join(' ')} exited (${code}): ${output}`)));
  });
  return {
    port: listening,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
