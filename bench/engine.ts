/**
 * The engine's speed and memory against a raw Map and lru-cache, side by side in one run:
 * - get on a hit, 100k entries, random existing keys (with and without a TTL);
 * - set with evictions: bounded at 100k, 1M distinct keys;
 * - memory: bytes per entry for 1M entries;
 * - maxBytes accounting: heap growth against the cache's own `bytes`.
 */
import { LRUCache } from 'lru-cache';
import { Cache } from '../dist/index.js';
import { compare, formatTable, lcg, median, type Subject, type Timing } from './harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);


function ratioRows(timings: Timing[], baseline: string): (string | number)[][] {
  const base = timings.find((t) => t.name === baseline)!.nsPerOp;
  return timings.map((t) => [t.name, t.nsPerOp.toFixed(1), (1000 / t.nsPerOp).toFixed(2), `${(t.nsPerOp / base).toFixed(2)}x`]);
}

/** Keys to slot numbers, values by slot: the layout of lru-cache and cachee with nothing else. */
class SlotMap {
  readonly slots = new Map<string, number>();
  readonly values: { id: number }[] = [];
  set(key: string, value: { id: number }): void {
    this.slots.set(key, this.values.length);
    this.values.push(value);
  }
}

export function benchGetHit(): { table: string; timings: Timing[] } {
  const entries = 100_000;
  const operations = 2_000_000;
  const random = lcg(42);
  const keys = Array.from({ length: entries }, (_, i) => `user:${i}:profile`);
  const values = keys.map((_, i) => ({ id: i }));
  const input = Array.from({ length: operations }, () => keys[Math.floor(random() * entries)]);
  const fill = <T extends { set(k: string, v: { id: number }): unknown }>(target: T): T => {
    keys.forEach((k, i) => target.set(k, values[i]));
    return target;
  };
  const subjects: Subject[] = [
    { name: 'Map', setup: () => fill(new Map()) },
    {
      // The least a slot-indexed cache (lru-cache, cachee) pays: the key's slot from a Map, then the value's array.
      name: 'floor: Map to slot, then array',
      setup: () => fill(new SlotMap()),
      body: 'const s = t.slots.get(input[i]); if (s !== undefined) sum += t.values[s].id;',
    },
    { name: 'lru-cache', setup: () => fill(new LRUCache<string, { id: number }>({ max: entries })) },
    { name: 'cachee', setup: () => fill(new Cache<string, { id: number }>({ maxEntries: entries })) },
    { name: 'lru-cache ttl', setup: () => fill(new LRUCache<string, { id: number }>({ max: entries, ttl: 3_600_000 })) },
    { name: 'cachee ttl', setup: () => fill(new Cache<string, { id: number }>({ maxEntries: entries, ttl: 3_600_000 })) },
  ];
  const timings = compare(subjects, 'const v = t.get(input[i]); if (v !== undefined) sum += v.id;', input, ROUNDS);
  return { table: formatTable(['get, hit (100k entries)', 'ns/op', 'M ops/s', 'vs Map'], ratioRows(timings, 'Map')), timings };
}

export function benchSetEvicting(): { table: string; timings: Timing[] } {
  const bound = 100_000;
  const distinct = 1_000_000;
  const operations = 1_000_000;
  const random = lcg(7);
  const keys = Array.from({ length: distinct }, (_, i) => `user:${i}:profile`);
  const input = Array.from({ length: operations }, () => keys[Math.floor(random() * distinct)]);
  const value = { id: 1 };
  const prefill = <T extends { set(k: string, v: { id: number }): unknown }>(target: T): T => {
    for (let i = 0; i < bound; i++) target.set(keys[distinct - 1 - i], value);
    return target;
  };
  const subjects: Subject[] = [
    { name: 'lru-cache', setup: () => prefill(new LRUCache<string, { id: number }>({ max: bound })) },
    { name: 'cachee', setup: () => prefill(new Cache<string, { id: number }>({ maxEntries: bound })) },
  ];
  const timings = compare(subjects, 't.set(input[i], input);', input, Math.max(3, ROUNDS - 2), true);
  return {
    table: formatTable(['set, evicting (bound 100k, 1M keys)', 'ns/op', 'M ops/s', 'vs lru-cache'], ratioRows(timings, 'lru-cache')),
    timings,
  };
}

function heapNow(): number {
  globalThis.gc!();
  globalThis.gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes per entry (heap plus array buffers) of 1M string-keyed small-integer entries. */
export function benchMemory(): { table: string; perEntry: Record<string, number> } {
  const entries = 1_000_000;
  const keys = Array.from({ length: entries }, (_, i) => `user:${i}:profile`);
  // One function call per round, so nothing of a round is still referenced from this frame.
  const oneRound = (build: () => { set(k: string, v: number): unknown; size: number }): number => {
    const before = heapNow();
    const target = build();
    for (let i = 0; i < entries; i++) target.set(keys[i], i);
    const grown = heapNow() - before;
    if (target.size !== entries) throw new Error('benchmark subject lost entries');
    return grown / entries;
  };
  const measure = (build: () => { set(k: string, v: number): unknown; size: number }): number =>
    median([oneRound(build), oneRound(build), oneRound(build)]);
  const perEntry = {
    Map: measure(() => new Map()),
    'lru-cache': measure(() => new LRUCache<string, number>({ max: entries })),
    cachee: measure(() => new Cache<string, number>({ maxEntries: entries })),
  };
  const rows = Object.entries(perEntry).map(([name, bytes]) => [name, bytes.toFixed(1), `${(bytes / perEntry['lru-cache']).toFixed(2)}x`]);
  return { table: formatTable(['memory, 1M entries', 'bytes/entry', 'vs lru-cache'], rows), perEntry };
}

/** With maxBytes and the default sizeOf, `bytes` should match what the heap really grew by. */
export function benchByteAccounting(): { table: string; rows: { kind: string; ratio: number }[] } {
  const entries = 200_000;
  const kinds: [string, (i: number) => unknown][] = [
    ['string values (100 chars)', (i) => `${i}`.padEnd(100, 'x')],
    ['object values', (i) => ({ id: i, name: `user ${i}`, tags: ['a', 'b'], score: i * 1.5 })],
    ['Buffer values (256 B)', () => Buffer.alloc(256)],
  ];
  const oneKind = (make: (i: number) => unknown): number => {
    const before = heapNow();
    const cache = new Cache<string, unknown>({ maxBytes: 4 * 1024 ** 3 });
    for (let i = 0; i < entries; i++) cache.set(`key:${i}`, make(i));
    const grown = heapNow() - before;
    if (cache.size !== entries) throw new Error('byte accounting benchmark lost entries');
    return grown / cache.bytes;
  };
  const rows = kinds.map(([kind, make]) => ({ kind, ratio: median([oneKind(make), oneKind(make), oneKind(make)]) }));
  const table = formatTable(
    ['maxBytes accounting, 200k entries', 'heap growth / cache.bytes'],
    rows.map((r) => [r.kind, r.ratio.toFixed(2)]),
  );
  return { table, rows };
}
