/**
 * `--workers N` (N > 1, upstream mode): N processes (node:cluster) accept on the same address,
 * each a whole proxy of its own (its own L1, upstream connections and tracking connection),
 * kept coherent with the others by Redis's invalidations, as separate proxies would be. This
 * process, the primary, serves no client: it starts the workers, relays their log lines, replaces
 * one that dies, and on close tells each to finish its replies and waits for all to exit.
 *
 * Each worker answers `INFO cachee` with its own figures (and its process_id), so `cachee
 * status` shows the worker that took its connection.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { ProxyConfig, RunningProxy } from './config.js';
import { runningProxy, SHUTDOWN_GRACE_MS, type Log } from './front.js';

/** What the primary tells a worker. */
export type ToWorker = { type: 'start'; config: ProxyConfig } | { type: 'close' };

/** What a worker tells the primary. */
export type FromWorker =
  /** Listening for messages: a message sent before would be lost. */
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'listening'; host: string; port: number }
  | { type: 'failed'; message: string; code?: string };

/** Pause before replacing a worker that died, so a worker that keeps dying does not spin. */
const RESTART_DELAY_MS = 1000;
/** How long close waits for a worker to exit before killing it: its own grace, and some. */
const EXIT_GRACE_MS = SHUTDOWN_GRACE_MS + 2000;

/** The worker's entry module, beside this one (.js when built, .ts under tsx). */
function workerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/workers\.([cm]?[jt]s)$/, 'worker-main.$1');
}

interface Slot {
  number: number;
  worker: Worker;
  listening: boolean;
}

export async function startWorkers(config: ProxyConfig, log: Log): Promise<RunningProxy> {
  cluster.setupPrimary({ exec: workerEntry(), args: [] });
  const slots = new Map<number, Slot>();
  let stopping = false;
  const exitCodes: string[] = [];
  let started!: (address: { host: string; port: number }) => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<{ host: string; port: number }>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  let allListening = false;

  const fork = (number: number) => {
    const worker = cluster.fork();
    const slot: Slot = { number, worker, listening: false };
    slots.set(number, slot);
    log(`worker ${number}: pid ${worker.process.pid} starting`);
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        worker.send({ type: 'start', config: { ...config, workers: 1 } } satisfies ToWorker);
      } else if (message.type === 'log') {
        log(`worker ${number}: ${message.line}`);
      } else if (message.type === 'listening') {
        slot.listening = true;
        if (!allListening && [...slots.values()].every((s) => s.listening)) {
          allListening = true;
          started({ host: message.host, port: message.port });
        }
      } else if (message.type === 'failed') {
        log(`worker ${number}: cannot start: ${message.message}`);
        if (!allListening) failed(Object.assign(new Error(message.message), { code: message.code }));
      }
    });
    worker.on('exit', (code, signal) => {
      slots.delete(number);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (stopping) {
        if (code !== 0) exitCodes.push(`worker ${number} exited with ${how}`);
        return;
      }
      if (!allListening) {
        failed(new Error(`worker ${number} exited with ${how} while starting`));
        return;
      }
      log(`worker ${number}: exited with ${how}; starting a replacement`);
      setTimeout(() => {
        if (!stopping) fork(number);
      }, RESTART_DELAY_MS).unref();
    });
  };

  const close = async () => {
    stopping = true;
    const exits = [...slots.values()].map(({ worker }) => {
      if (worker.isDead()) return Promise.resolve();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      if (worker.isConnected()) worker.send({ type: 'close' } satisfies ToWorker);
      const kill = setTimeout(() => worker.process.kill('SIGKILL'), EXIT_GRACE_MS);
      return exited.finally(() => clearTimeout(kill));
    });
    await Promise.all(exits);
  };

  for (let number = 1; number <= config.workers; number++) fork(number);
  let address: { host: string; port: number };
  try {
    address = await ready;
  } catch (error) {
    await close();
    throw error;
  }
  return runningProxy(address, async () => {
    log(`shutting down ${slots.size} workers`);
    await close();
    if (exitCodes.length > 0) throw new Error(exitCodes.join('; '));
  });
}
