/**
 * The engine's options, documented where they are declared, and their validation: every bad
 * option is reported at construction with a TypeError (wrong type) or RangeError (bad value).
 */

export type EvictionReason = 'size' | 'expired' | 'deleted' | 'replaced' | 'cleared';

export interface CacheOptions<K, V> {
  /** Upper bound on the number of entries. At least one of `maxEntries` / `maxBytes` is required. */
  maxEntries?: number;
  /**
   * Upper bound on the sum of entry sizes, in bytes; after `set` returns, `bytes <= maxBytes`.
   * Sizes come from `sizeOf`, or by default from an estimate of the heap the key, the value and
   * the engine's own bookkeeping occupy (see the README's memory model).
   */
  maxBytes?: number;
  /** The size of an entry in bytes; must return a finite number >= 0. Also enables `bytes` without `maxBytes`. */
  sizeOf?: (value: V, key: K) => number;
  /**
   * With `maxBytes`: count the engine's own structures against it too, at the size they have now
   * (its index of keys, which then replaces the Map: src/core/slot-index.ts; the per-slot arrays,
   * sized for the most entries held, and those they replaced until collected; the sketch; the
   * expiry wheel), plus `externalBytes`. `bytes` then is all the memory the cache holds, and
   * `sizeOf` should count only what each entry holds by itself. For a process that must stay
   * within a memory budget (the proxy's L1, the embedded store).
   * Default false: `maxBytes` bounds the entries' sizes alone (the default estimate adds 88 bytes
   * an entry for the structures).
   */
  countStructures?: boolean;
  /**
   * With `countStructures`: bytes held outside the entries on the cache's behalf (an owner's index
   * or buffer pool) when the engine has slots for `slots` entries (`slotCapacity`), counted against
   * `maxBytes` with the structures. An owner that sizes a table by the slots says so here, and
   * the engine makes room for it (and for the table it replaces) before its slots grow. Read
   * before each eviction decision; it should not grow when entries leave.
   */
  externalBytes?: (slots: number) => number;
  /** Default time to live of an entry, in ms. Absent or 0: entries do not expire. */
  ttl?: number;
  /** Spreads each entry's TTL uniformly by +-this fraction (0 to <1), so hot keys set together do not expire together. */
  ttlJitter?: number;
  /**
   * Memory of the frequency sketch, in bytes (rounded down to a power of two, at least 64). It is
   * fixed at construction and never grows with the number of distinct keys seen. Default: 8 bytes
   * per entry of `maxEntries` rounded up to a power of two, at most 2 MiB (Caffeine's ratio: too
   * large a sketch for the cache hurts loops, whose keys then tie), or 512 KiB when only
   * `maxBytes` bounds the cache. With `maxBytes`, it is made smaller once, when the cache first
   * fills, if the entries it then holds call for less by the same ratio. The table's index of
   * the blocks in use (for halving) adds 5 bytes per 64.
   */
  sketchBytes?: number;
  /** Called after an entry leaves the cache, once the cache is consistent again. */
  onEvict?: (key: K, value: V, reason: EvictionReason) => void;
  /** The clock, in ms, for tests. Default: a coarse monotonic clock (about 1 ms resolution). */
  now?: () => number;
}

export interface SetOptions {
  /** Time to live of this entry in ms, overriding the cache's `ttl`; 0: never expires. */
  ttl?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0 before any lookup. */
  hitRate: number;
  /** Entries removed to respect the bounds (rejected newcomers included). */
  evictions: number;
  /** Newcomers the admission policy declined (a subset of `evictions`). */
  rejections: number;
  /** Entries removed because their TTL passed. */
  expirations: number;
  entries: number;
  bytes: number;
  /** Loader calls made by `getOrLoad`. */
  loads: number;
  /** Loader calls that threw or rejected. */
  loadErrors: number;
}

const DEFAULT_SKETCH_BYTES = 512 * 1024;
/**
 * The default sketch stops growing here (262,144 entries at 8 bytes each): beyond, the hit ratio
 * gains little (p3 at 400k entries: -0.2 points at 5 bytes an entry) and the bytes per entry
 * would exceed lru-cache's.
 */
const MAX_DEFAULT_SKETCH_BYTES = 2 * 1024 * 1024;

export interface ResolvedOptions<K, V> {
  maxEntries: number;
  maxBytes: number;
  sizeOf: ((value: V, key: K) => number) | undefined;
  countStructures: boolean;
  externalBytes: ((slots: number) => number) | undefined;
  ttl: number;
  ttlJitter: number;
  sketchBytes: number;
  /** No sketchBytes and a maxBytes: the cache may shrink its sketch once it knows its capacity in entries. */
  sketchFitsOnFill: boolean;
  onEvict: ((key: K, value: V, reason: EvictionReason) => void) | undefined;
  now: (() => number) | undefined;
}

function positive(name: string, value: unknown, allowZero: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a finite number ${allowZero ? '>= 0' : '> 0'}, got ${value}`);
  }
  return value;
}

function optionalFunction<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${typeof value}`);
  return value as F;
}

export function checkTtl(name: string, ttl: unknown): number {
  return positive(name, ttl, true) ?? 0;
}

/**
 * Most entries one cache holds: its slot numbers take 28 bits, less the three queue sentinels
 * and some spare (see the layout at the top of cache.ts).
 */
export const MAX_ENTRIES = 2 ** 28 - 12;

export function resolveOptions<K, V>(options: CacheOptions<K, V>): ResolvedOptions<K, V> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('Cache options must be an object with maxEntries and/or maxBytes');
  }
  const maxEntries = positive('maxEntries', options.maxEntries, false);
  const maxBytes = positive('maxBytes', options.maxBytes, false);
  if (maxEntries === undefined && maxBytes === undefined) {
    throw new TypeError('Cache needs a bound: set maxEntries, maxBytes, or both');
  }
  if (maxEntries !== undefined && !Number.isInteger(maxEntries)) {
    throw new RangeError(`maxEntries must be an integer, got ${maxEntries}`);
  }
  if (maxEntries !== undefined && maxEntries > MAX_ENTRIES) {
    throw new RangeError(`maxEntries must be at most ${MAX_ENTRIES} (the engine numbers its slots in 28 bits), got ${maxEntries}`);
  }
  const sizeOf = optionalFunction<(value: V, key: K) => number>('sizeOf', options.sizeOf);
  if (options.countStructures !== undefined && typeof options.countStructures !== 'boolean') {
    throw new TypeError(`countStructures must be a boolean, got ${typeof options.countStructures}`);
  }
  const countStructures = options.countStructures === true;
  const externalBytes = optionalFunction<(slots: number) => number>('externalBytes', options.externalBytes);
  if (externalBytes !== undefined && !countStructures) throw new TypeError('externalBytes needs countStructures: true');
  if (countStructures && maxBytes === undefined) throw new TypeError('countStructures needs maxBytes');
  const ttl = checkTtl('ttl', options.ttl);
  const ttlJitter = positive('ttlJitter', options.ttlJitter, true) ?? 0;
  if (ttlJitter >= 1) throw new RangeError(`ttlJitter must be below 1, got ${ttlJitter}`);
  let sketchBytes = positive('sketchBytes', options.sketchBytes, false);
  if (sketchBytes !== undefined && sketchBytes < 64) {
    throw new RangeError(`sketchBytes must be at least 64, got ${sketchBytes}`);
  }
  const sketchFitsOnFill = sketchBytes === undefined && maxBytes !== undefined;
  sketchBytes ??= maxEntries === undefined ? DEFAULT_SKETCH_BYTES : defaultSketchBytes(maxEntries);
  // Counted against maxBytes, the sketch may not take more than a sixteenth of it.
  if (countStructures && options.sketchBytes === undefined) sketchBytes = Math.min(sketchBytes, Math.max(64, maxBytes! / 16));
  return {
    maxEntries: maxEntries ?? Infinity,
    maxBytes: maxBytes ?? Infinity,
    sizeOf,
    countStructures,
    externalBytes,
    ttl,
    ttlJitter,
    sketchBytes,
    sketchFitsOnFill,
    onEvict: optionalFunction('onEvict', options.onEvict),
    now: optionalFunction('now', options.now),
  };
}

/** The default sketch for a cache of `entries` entries: 8 bytes each, a power of two, at most 2 MiB. */
export function defaultSketchBytes(entries: number): number {
  return Math.min(MAX_DEFAULT_SKETCH_BYTES, nextPowerOfTwo(8 * entries));
}

function nextPowerOfTwo(n: number): number {
  let p = 64;
  while (p < n) p *= 2;
  return p;
}

/** `ttl` spread by up to ±`jitter` (a fraction, 0 to 1) at random, so keys set together do not expire together. */
export function jitteredTtl(ttl: number, jitter: number): number {
  return jitter === 0 ? ttl : ttl * (1 + jitter * (2 * Math.random() - 1));
}
