/**
 * TieredCache, side by side in one run against its baselines (medians of rounds, ratios):
 * - getLocal on a hit against the engine's get (100k entries, random keys);
 * - await get() on an L1 hit against `await map.get(k)` and bentocache's L1 (memory) hit;
 * - cross-instance invalidation: one instance (or a plain ioredis client) writes, another polls
 *   until it sees the new value; from the write call and from the writer's acknowledgement (as
 *   the proxy's invalidation goal is measured), in both modes;
 * - stampede: 1,000 concurrent getOrLoad of a cold key over 4 instances.
 * Needs `redis-server` on the PATH (a throwaway one is started on a free port).
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { Redis } from 'ioredis';
import { Cache, TieredCache } from '../dist/index.js';
import { startRedis, type RedisServer } from '../test/support/redis-server.js';
import { stampede, untilConnected } from '../test/support/tiered.js';
import { compare, compareAsync, formatTable, lcg, percentile, type Subject, type Timing } from './harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ENTRIES = 100_000;

type Value = { id: number };

function seededKeys(count: number, operations: number): { keys: string[]; input: string[] } {
  const random = lcg(42);
  const keys = Array.from({ length: count }, (_, i) => `user:${i}:profile`);
  return { keys, input: Array.from({ length: operations }, () => keys[Math.floor(random() * count)]) };
}

function ratioRows(timings: Timing[], baseline: string): (string | number)[][] {
  const base = timings.find((t) => t.name === baseline)!.nsPerOp;
  return timings.map((t) => [t.name, t.nsPerOp.toFixed(1), `${(t.nsPerOp / base).toFixed(2)}x`]);
}

async function filledTiered(redis: RedisServer, keys: string[]): Promise<TieredCache<Value>> {
  const cache = new TieredCache<Value>({ redis: redis.url, namespace: 'bench', invalidation: 'none', l1: { maxEntries: ENTRIES } });
  for (let i = 0; i < keys.length; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((k, j) => cache.set(k, { id: i + j })));
  }
  return cache;
}

export async function benchLocalHit(redis: RedisServer): Promise<string> {
  const { keys, input } = seededKeys(ENTRIES, 2_000_000);
  const tiered = await filledTiered(redis, keys);
  const engine = new Cache<string, Value>({ maxEntries: ENTRIES });
  keys.forEach((k, i) => engine.set(k, { id: i }));
  const subjects: Subject[] = [
    { name: 'engine get', setup: () => engine },
    { name: 'TieredCache getLocal', setup: () => tiered, body: 'const v = t.getLocal(input[i]); if (v !== undefined) sum += v.id;' },
  ];
  const timings = compare(subjects, 'const v = t.get(input[i]); if (v !== undefined) sum += v.id;', input, ROUNDS);
  await tiered.close();
  return formatTable(['sync hit, 100k entries', 'ns/op', 'vs engine get'], ratioRows(timings, 'engine get'));
}

export async function benchAsyncHit(redis: RedisServer): Promise<string> {
  const { keys, input } = seededKeys(10_000, 200_000);
  const tiered = await filledTiered(redis, keys);
  const map = new Map(keys.map((k, i) => [k, { id: i }]));
  const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 20_000 })) } });
  for (const [i, key] of keys.entries()) await bento.set({ key, value: { id: i }, ttl: '1h' });
  const timings = await compareAsync(
    [
      { name: 'await map.get(k)', setup: () => map },
      { name: 'await TieredCache get()', setup: () => tiered },
      { name: 'await bentocache get()', setup: () => ({ get: (key: string) => bento.get({ key }) }) },
    ],
    'const v = await t.get(input[i]); if (v !== undefined) sum += v.id;',
    input,
    ROUNDS,
  );
  await tiered.close();
  await bento.disconnectAll();
  return formatTable(['await, L1 hit, 10k entries', 'ns/op', 'vs await map.get'], ratioRows(timings, 'await map.get(k)'));
}

async function connectedCache<V>(options: ConstructorParameters<typeof TieredCache<V>>[0]): Promise<TieredCache<V>> {
  const cache = new TieredCache<V>(options);
  await untilConnected(cache);
  return cache;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One way of writing's samples, µs, each sorted. */
interface Visibility {
  /** From the write call until the reader's get() returns the new value. */
  fromCall: number[];
  /** From the writer's acknowledgement until then (0 when the reader saw it first). */
  fromAck: number[];
  /** The write's own round trip, call to acknowledgement. */
  ack: number[];
}

/**
 * Times, per write and per way of writing, how soon the reader's get() returns the new value. The
 * ways take turns write by write, so a GC pause or a busy spell of the shared machine falls on all
 * of them alike instead of on whichever ran during it.
 */
async function invalidationLatency(writes: ((i: number) => Promise<unknown>)[], reader: TieredCache<number>, count: number): Promise<Visibility[]> {
  const samples: Visibility[] = writes.map(() => ({ fromCall: [], fromAck: [], ack: [] }));
  await writes[0](-1);
  while ((await reader.get('hot')) !== -1) await nextTurn();
  for (let i = 0; i < count * writes.length; i++) {
    const way = i % writes.length;
    const started = performance.now();
    let acked = NaN;
    const written = writes[way](i).then(() => {
      acked = performance.now();
    });
    // Poll: an L1 hit returns the old value until the invalidation lands, then get() reads L2.
    while ((await reader.get('hot')) !== i) await nextTurn();
    const visible = performance.now();
    await written;
    samples[way].fromCall.push((visible - started) * 1000);
    samples[way].fromAck.push(Math.max(0, visible - acked) * 1000);
    samples[way].ack.push((acked - started) * 1000);
  }
  for (const { fromCall, fromAck, ack } of samples) for (const list of [fromCall, fromAck, ack]) list.sort((a, b) => a - b);
  return samples;
}

export async function benchInvalidation(redis: RedisServer): Promise<string> {
  const writes = Number(process.env.BENCH_WRITES ?? 2000);
  const rows: (string | number)[][] = [];
  // The sections before leave much garbage (inputs of millions of keys): collect it now, not in
  // the middle of the timed writes.
  globalThis.gc?.();
  const plain = new Redis(redis.port, '127.0.0.1');
  // Calibration: "visible" from the call is at least two round trips (the write, then the reader's
  // L2 read once its copy is gone), from the ack at least one, so this host's own round-trip tail
  // bounds what the rows below can reach.
  await plain.set('calibration', '1');
  const roundTrips: number[] = [];
  for (let i = 0; i < writes; i++) {
    const started = performance.now();
    await plain.get('calibration');
    roundTrips.push((performance.now() - started) * 1000);
  }
  roundTrips.sort((a, b) => a - b);
  const us = (sorted: number[], p: number) => percentile(sorted, p).toFixed(0);
  rows.push(['calibration: one ioredis GET round trip', writes, '-', '-', '-', '-', '-', '-', `${us(roundTrips, 50)} / ${us(roundTrips, 99)}`]);
  for (const mode of ['tracking', 'pubsub'] as const) {
    const options = { redis: redis.url, namespace: `inv-${mode}`, invalidation: mode, l1: { maxEntries: 100 } };
    const writer = await connectedCache<number>(options);
    const reader = await connectedCache<number>(options);
    const cases: [string, (i: number) => Promise<unknown>][] = [[`${mode}: TieredCache set()`, (i) => writer.set('hot', i)]];
    if (mode === 'tracking') cases.push([`${mode}: plain ioredis SET`, (i) => plain.set(`inv-${mode}:hot`, String(i))]);
    const results = await invalidationLatency(cases.map(([, write]) => write), reader, writes);
    cases.forEach(([name], c) => {
      const { fromCall, fromAck, ack } = results[c];
      rows.push([name, writes, us(fromCall, 50), us(fromCall, 99), us(fromAck, 50), us(fromAck, 90), us(fromAck, 99), us(fromAck, 100), `${us(ack, 50)} / ${us(ack, 99)}`]);
    });
    await writer.close();
    await reader.close();
  }
  plain.disconnect();
  return formatTable(
    ['new value visible on another instance', 'writes', 'from the call: p50 µs', 'p99 µs', 'from the ack: p50 µs', 'p90 µs', 'p99 µs', 'max µs', "the write's round trip: p50 / p99 µs"],
    rows,
  );
}

async function benchStampede(redis: RedisServer): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const distributedLock of [false, true]) {
    const caches = await Promise.all(
      Array.from({ length: 4 }, () => connectedCache<string>({ redis: redis.url, namespace: `stampede-${distributedLock}`, distributedLock, l1: { maxEntries: 10 } })),
    );
    const { loads } = await stampede(caches, 'cold', 1000, 30);
    rows.push([distributedLock ? 'with distributedLock' : 'without', 1000, 4, loads]);
    await Promise.all(caches.map((c) => c.close()));
  }
  return formatTable(['stampede: cold key', 'callers', 'instances', 'loader calls'], rows);
}

export async function benchTiered(): Promise<string[]> {
  const redis = await startRedis();
  try {
    return [await benchLocalHit(redis), await benchAsyncHit(redis), await benchInvalidation(redis), await benchStampede(redis)];
  } finally {
    await redis.stop();
  }
}
