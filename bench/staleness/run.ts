/**
 * `npm run bench:staleness` (or `npm run bench -- --only=staleness`): how often, and how far, a
 * read returns a value older than a write already acknowledged to its writer (./checker.ts), with
 * a program writing the key directly on Redis, so only the invalidation channel can tell cachee.
 *
 *   tiered  one TieredCache (tracking), `--readers` loops in its process reading one key, and a
 *           plain client in the same process rewriting the key on Redis every `--write-every` ms.
 *           `--tiered-trigger=io` (default): each read runs in the callback of a socket's input (a
 *           byte echoed by a server in the process), as a request handler's would; `immediate`:
 *           in a setImmediate, after the turn's input
 *   tiered-app  TieredCache in an application process (./tiered-server.ts) answering GETs from
 *           `--connections` connections of this process with `get` in each request's callback,
 *           without and with `readAtTurnEnd`, while a direct client rewrites the key
 *   proxy   `cachee start` as a child process; `--connections` connections from this process each
 *           reading one key back to back, and a direct client rewriting it every `--write-every` ms
 *
 * Flags: --only=tiered,tiered-app,proxy  --seconds=10  --tiered-trigger=io|immediate  --readers=4  --connections=200  --write-every=5 (ms)
 *        --proxy=PATH (the cachee bin, default dist/cli/main.js)
 */
import net from 'node:net';
import path from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { TieredCache } from '../../src/index.js';
import { freePort, startRedis, type RedisServer } from '../../test/support/redis-server.js';
import { formatTable } from '../harness.js';
import { StalenessChecker, type StalenessReport } from './checker.js';
import { checkThroughProxy, startServerProcess, writeLoop } from './load.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = flag('only')?.split(',');
const wanted = (name: string) => only === undefined || only.includes(name);
const SECONDS = Number(flag('seconds') ?? 10);
const READERS = Number(flag('readers') ?? 4);
const CONNECTIONS = Number(flag('connections') ?? 200);
const WRITE_EVERY_MS = Number(flag('write-every') ?? 5);
const TIERED_TRIGGER = flag('tiered-trigger') ?? 'io';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROXY_MAIN = path.resolve(flag('proxy') ?? path.join(HERE, '..', '..', 'dist', 'cli', 'main.js'));
const NAMESPACE = 'stale';
/** The key both subjects read: `k` of TieredCache's namespace. */
const KEY = `${NAMESPACE}:k`;

async function staleTiered(redis: RedisServer): Promise<StalenessReport> {
  const writer = new Redis(redis.port, '127.0.0.1');
  await writer.set(KEY, '0');
  const cache = new TieredCache<number>({ redis: redis.url, namespace: NAMESPACE, l1: { maxEntries: 1000 } });
  const deadline = Date.now() + 5000;
  while (cache.invalidationState !== 'connected') {
    if (Date.now() > deadline) throw new Error('the tracking channel did not come up');
    await sleep(10);
  }
  const checker = new StalenessChecker();
  const end = performance.now() + SECONDS * 1000;
  const running = () => performance.now() < end;
  const read = async () => {
    const startedAt = performance.now();
    const value = await cache.get('k');
    checker.read(startedAt, value ?? -1);
  };
  // 'io': each read runs in the callback of a socket's input, as a request handler's does (the
  // echo server stands for the clients); 'immediate': in a setImmediate, after the turn's input.
  const echo = TIERED_TRIGGER === 'io' ? await startEcho() : undefined;
  const reader =
    echo === undefined
      ? async () => {
          while (running()) {
            await read();
            await yieldToLoop();
          }
        }
      : () => triggeredReads(echo.port, read, running);
  try {
    await Promise.all([writeLoop(writer, KEY, WRITE_EVERY_MS, checker, running), ...Array.from({ length: READERS }, reader)]);
  } finally {
    await cache.close();
    writer.disconnect();
    echo?.close();
  }
  return checker.report();
}

function startEcho(): Promise<net.Server & { port: number }> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { port: (server.address() as net.AddressInfo).port }))));
}

/** One byte to the echo server and back, a read in the callback of each echo, until `running()` is false. */
function triggeredReads(port: number, read: () => Promise<void>, running: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('.'));
    socket.setNoDelay(true);
    socket.on('error', reject);
    socket.on('data', () => {
      if (!running()) {
        socket.destroy();
        resolve();
        return;
      }
      read().then(() => socket.write('.'), reject);
    });
  });
}

async function checkThroughServer(redis: RedisServer, script: string, args: string[], ready: RegExp, port?: number): Promise<StalenessReport> {
  const server = await startServerProcess(script, args, ready, port);
  try {
    return await checkThroughProxy({ redisPort: redis.port, proxyPort: server.port, key: KEY, connections: CONNECTIONS, seconds: SECONDS, writeEveryMs: WRITE_EVERY_MS });
  } finally {
    await server.stop();
  }
}

async function staleProxy(redis: RedisServer): Promise<StalenessReport> {
  const port = await freePort();
  return checkThroughServer(redis, PROXY_MAIN, ['start', '--upstream', redis.url, '--port', String(port)], /invalidation: tracking/, port);
}

/** TieredCache in an application process (./tiered-server.ts) that the readers ask. */
function staleTieredServer(redis: RedisServer, readAtTurnEnd: boolean): Promise<StalenessReport> {
  const args = [redis.url, NAMESPACE, ...(readAtTurnEnd ? ['--read-at-turn-end'] : [])];
  return checkThroughServer(redis, path.join(HERE, 'tiered-server.ts'), args, /listening on (\d+)/);
}

const row = (name: string, r: StalenessReport) => [
  name,
  r.reads,
  r.stale,
  `${((100 * r.stale) / Math.max(1, r.reads)).toFixed(3)}%`,
  r.maxLag.toFixed(2),
  r.p99Lag.toFixed(2),
  r.impossible,
];

async function main(): Promise<void> {
  const redis = await startRedis();
  const rows: (string | number)[][] = [];
  try {
    if (wanted('tiered')) rows.push(row(`TieredCache, ${READERS} readers in process (${TIERED_TRIGGER})`, await staleTiered(redis)));
    if (wanted('tiered-app')) {
      rows.push(row(`TieredCache in an application, ${CONNECTIONS} connections, get in the request's callback`, await staleTieredServer(redis, false)));
      rows.push(row(`TieredCache in an application, ${CONNECTIONS} connections, the same with readAtTurnEnd`, await staleTieredServer(redis, true)));
    }
    if (wanted('proxy')) rows.push(row(`proxy, ${CONNECTIONS} connections`, await staleProxy(redis)));
  } finally {
    await redis.stop();
  }
  console.log(`# staleness: a direct write every ${WRITE_EVERY_MS} ms, reads for ${SECONDS} s each\n`);
  console.log(formatTable(['subject', 'reads', 'stale', 'stale share', 'max lag ms', 'p99 lag ms (stale reads)', 'impossible values'], rows));
}

await main();
