/**
 * One trace replayed at several cache sizes through the engine, exact LRU and Bélády's OPT: the
 * one function behind both the hit-ratio benchmark (bench/hitratio) and `cachee simulate`, so
 * the two report the same figures for the same trace.
 *
 * Protocol (Caffeine's and Otter's): for each request `get`, and on a miss `set`; every request
 * counts, cold misses included.
 */
import { Cache } from '../core/cache.js';
import { lruHits, nextUses, optHits } from './policies.js';
import type { Trace } from './trace.js';

/** Anything with get/set over number keys can be replayed. */
export interface SimCache {
  get(key: number): unknown;
  set(key: number, value: number): unknown;
}
export type CacheFactory = (maxEntries: number) => SimCache;

/** The engine as an application would make it, bounded by entries. */
export const cacheeFactory: CacheFactory = (maxEntries) => new Cache<number, number>({ maxEntries });

/** Replays the keys through the cache; returns the number of hits. */
export function replay(keys: Int32Array, cache: SimCache): number {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (cache.get(key) !== undefined) hits++;
    else cache.set(key, 1);
  }
  return hits;
}

/**
 * Runs of the cache under test per size: the engine's hash seed and admission jitter are random
 * per instance, so its figure is the median of a few runs.
 */
export const ENGINE_RUNS = 3;

function medianOf(runs: number, run: () => number): number {
  const results = Array.from({ length: runs }, run).sort((a, b) => a - b);
  return results[runs >> 1];
}

export interface PolicyHits {
  size: number;
  /** Hits of the cache under test (the engine unless a factory is given), LRU and OPT. */
  cachee: number;
  lru: number;
  opt: number;
}

export interface ReplayOptions {
  /** The cache under test; default: the engine. */
  factory?: CacheFactory;
  /** Told before each size is replayed (progress). */
  onSize?: (size: number, index: number) => void;
}

/** Hits at each size, out of `trace.keys.length` requests. */
export function policyHits(trace: Trace, sizes: readonly number[], options: ReplayOptions = {}): PolicyHits[] {
  const { factory = cacheeFactory } = options;
  const next = nextUses(trace.keys, trace.distinct);
  return sizes.map((size, index) => {
    options.onSize?.(size, index);
    return {
      size,
      cachee: medianOf(ENGINE_RUNS, () => replay(trace.keys, factory(size))),
      lru: lruHits(trace.keys, trace.distinct, size),
      opt: optHits(trace.keys, trace.distinct, size, next),
    };
  });
}
