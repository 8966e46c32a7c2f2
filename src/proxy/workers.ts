/**
 * `--workers N` (N > 1, upstream mode): N processes (node:cluster) accept on the same address,
 * each a whole proxy of its own (its own L1, upstream connections and tracking connection),
 * kept coherent with the others by Redis's invalidations, as separate proxies would be. This
 * process, the primary, serves no client: it starts the workers, relays their log lines, replaces
 * one that dies, and on close tells each to finish its replies and waits for all to exit.
 *
 * Each worker answers `INFO cachee` with its own figures (and its process_id), so `cachee
 * status` shows the worker that took its connection. The admin server (--admin-port) runs here
 * in the primary and speaks for all of them: each scrape of /metrics asks every worker for a
 * snapshot of its metrics and combines them (./telemetry.ts), /api/hot-keys merges the workers'
 * hot keys. A worker that does not answer within WORKER_REPLY_MS is left out of that answer.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { AdminSource } from '../admin/routes.js';
import { mergeHotKeys, type HotKey } from '../metrics/hot-keys.js';
import { withAdminServer } from './admin-port.js';
import type { ProxyConfig, RunningProxy } from './config.js';
import { runningProxy, SHUTDOWN_GRACE_MS, type Log } from './front.js';
import { aggregateSnapshots, type WorkerSnapshot } from './telemetry.js';
import { proxyProcessEnv } from './malloc-tuning.js';

/** What the primary tells a worker. */
export type ToWorker =
  | { type: 'start'; config: ProxyConfig }
  | { type: 'close' }
  | { type: 'snapshot'; id: number }
  | { type: 'hot-keys'; id: number; limit: number };

/** What a worker tells the primary. */
export type FromWorker =
  /** Listening for messages: a message sent before would be lost. */
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'listening'; host: string; port: number }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'snapshot'; id: number; snapshot: WorkerSnapshot }
  | { type: 'hot-keys'; id: number; keys: HotKey[] };

type Reply = Extract<FromWorker, { id: number }>;

/** Pause before replacing a worker that died, so a worker that keeps dying does not spin. */
const RESTART_DELAY_MS = 1000;
/** How long close waits for a worker to exit before killing it: its own grace, and some. */
const EXIT_GRACE_MS = SHUTDOWN_GRACE_MS + 2000;
/** How long the admin server waits for a worker's metrics or hot keys. */
const WORKER_REPLY_MS = 2000;

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
  const pending = new Map<number, (reply: Reply) => void>();
  let nextRequest = 0;

  /** Asks every serving worker; resolves with the answers that came within WORKER_REPLY_MS. */
  const askAll = <T>(request: (id: number) => ToWorker, take: (reply: Reply) => T | undefined): Promise<T[]> => {
    const serving = [...slots.values()].filter((slot) => slot.listening && slot.worker.isConnected());
    const answers = serving.map(
      ({ worker }) =>
        new Promise<T | undefined>((resolve) => {
          const id = nextRequest++;
          const timer = setTimeout(() => {
            pending.delete(id);
            resolve(undefined);
          }, WORKER_REPLY_MS);
          pending.set(id, (reply) => {
            clearTimeout(timer);
            pending.delete(id);
            resolve(take(reply));
          });
          worker.send(request(id));
        }),
    );
    return Promise.all(answers).then((all) => all.filter((answer): answer is Awaited<T> => answer !== undefined));
  };

  const fork = (number: number) => {
    const worker = cluster.fork(proxyProcessEnv());
    const slot: Slot = { number, worker, listening: false };
    slots.set(number, slot);
    log(`worker ${number}: pid ${worker.process.pid} starting`);
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        // The admin server is the primary's: workers run none.
        worker.send({ type: 'start', config: { ...config, workers: 1, adminPort: undefined } } satisfies ToWorker);
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
      } else {
        pending.get(message.id)?.(message);
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
  const running = runningProxy(address, async () => {
    log(`shutting down ${slots.size} workers`);
    await close();
    if (exitCodes.length > 0) throw new Error(exitCodes.join('; '));
  });
  const admin: AdminSource = {
    metrics: async () => {
      const snapshots = await askAll((id) => ({ type: 'snapshot', id }), (reply) => (reply.type === 'snapshot' ? reply.snapshot : undefined));
      const registry = aggregateSnapshots(snapshots);
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
    hotKeys: async (limit) => {
      const lists = await askAll((id) => ({ type: 'hot-keys', id, limit }), (reply) => (reply.type === 'hot-keys' ? reply.keys : undefined));
      return mergeHotKeys(lists, limit);
    },
    healthy: () => [...slots.values()].some((slot) => slot.listening),
  };
  return withAdminServer(config, running, admin);
}
