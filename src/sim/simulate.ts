/**
 * `cachee simulate`'s figures: a loaded trace replayed at each cache size through the engine, LRU
 * and OPT (./replay.ts, the hit-ratio benchmark's own replay), with the memory each size takes.
 *
 * A record log sampled at rate R holds the reads of a fraction R of the keys, so a cache of N
 * entries is simulated as one of round(N × R) entries on it (SHARDS' scaling): the sampled keys
 * compete for their share of the cache as all keys would for the whole. When the log says how
 * many reads the proxy saw, the ratios are also corrected for a sample holding more or fewer than
 * R of them (SHARDS-adj, Waldspurger et al., FAST '15, 4.3): the difference is hot reads (a hot
 * key in or out of the sample moves the count most), so it is counted as hits, at every size.
 */
import { meanEntryBytes, type EntryEstimate } from './memory.js';
import { policyHits, type ReplayOptions } from './replay.js';
import type { LoadedTrace } from './trace-file.js';

export interface SimulationRow {
  /** Entries of the cache the row is about. */
  size: number;
  /** Entries of the cache replayed on the trace: `size` scaled by the sample rate. */
  simulatedSize: number;
  /** Hit ratios, 0 to 1. */
  cachee: number;
  lru: number;
  opt: number;
  /** size × the mean entry's bytes; only when the trace has sizes. */
  memoryBytes?: number;
}

export interface Simulation {
  rows: SimulationRow[];
  requests: number;
  distinct: number;
  /** Fraction of the key space the trace covers (record logs; 1 otherwise). */
  sampleRate: number;
  /** What a key costs, when the trace says (record logs with reply lengths). */
  entry?: EntryEstimate;
  /** When SHARDS-adj applied: the reads a sample of this rate should hold, against those logged. */
  adjustment?: { expected: number; logged: number };
}

/** A size too small to simulate at the trace's sample rate. */
export class SizeTooSmallError extends Error {}

/** The cache size on a sample of rate `rate` that stands for `size` entries; at least one. */
export function scaledSize(size: number, rate: number): number {
  const scaled = Math.round(size * rate);
  if (scaled < 1) {
    throw new SizeTooSmallError(`a cache of ${size} entries is ${size * rate} entries on a ${rate} sample: too small to simulate (sizes from ${Math.ceil(0.5 / rate)} up)`);
  }
  return scaled;
}

export function simulate(loaded: LoadedTrace, sizes: readonly number[], options: ReplayOptions = {}): Simulation {
  const { trace, record } = loaded;
  const sampleRate = record?.header.sample ?? 1;
  const simulated = sizes.map((size) => scaledSize(size, sampleRate));
  const entry = record === undefined ? undefined : meanEntryBytes(record.keyBytes, record.replyBytes, record.header.source ?? 'l1');
  const requests = trace.keys.length;
  const trailer = record?.trailer;
  // Not when reads were dropped: the log then lacks sampled reads whose hits are unknown.
  const adjustment = sampleRate < 1 && trailer !== undefined && trailer.dropped === 0 && trailer.reads > 0 ? { expected: trailer.reads * sampleRate, logged: requests } : undefined;
  const ratio = (hits: number) => (adjustment === undefined ? hits / requests : clamp((hits + adjustment.expected - requests) / adjustment.expected));
  const rows = policyHits(trace, simulated, options).map((hits, i): SimulationRow => {
    const row: SimulationRow = {
      size: sizes[i],
      simulatedSize: hits.size,
      cachee: ratio(hits.cachee),
      lru: ratio(hits.lru),
      opt: ratio(hits.opt),
    };
    if (entry !== undefined) row.memoryBytes = Math.round(sizes[i] * entry.bytes);
    return row;
  });
  return { rows, requests, distinct: trace.distinct, sampleRate, entry, adjustment };
}

function clamp(ratio: number): number {
  return Math.min(1, Math.max(0, ratio));
}
