/**
 * The counters behind `INFO cachee` and the section built from them (the field contract is in
 * src/cli/status.ts). Both fronts, the proxy over Redis and the embedded store, fill the same
 * `CacheeFigures`, so they answer with the same fields. Latencies are sampled (one lookup in 64
 * is timed) so measuring costs the hit path nothing noticeable.
 */
export type UpstreamState = 'connected' | 'down' | 'embedded';
export type InvalidationState = 'tracking' | 'pubsub' | 'none' | 'down';

/** Time one lookup in this many (a power of two, minus one). */
export const TIMING_SAMPLE_MASK = 63;

/** A running mean of sampled durations. */
export class MeanSampler {
  private sum = 0;
  private count = 0;

  record(value: number): void {
    this.sum += value;
    this.count++;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

/** Evictions per second over roughly the last second, from samples taken at each INFO. */
export class EvictionRate {
  private window: { at: number; evictions: number }[] = [];

  perSecond(evictions: number, now = performance.now()): number {
    this.window.push({ at: now, evictions });
    while (this.window.length > 2 && now - this.window[1].at >= 1000) this.window.shift();
    const oldest = this.window[0];
    const span = (now - oldest.at) / 1000;
    return span <= 0 ? 0 : (evictions - oldest.evictions) / span;
  }
}

/** One `INFO cachee` reply's worth of figures. */
export interface CacheeFigures {
  l1Hits: number;
  l1Misses: number;
  l1Entries: number;
  l1Bytes: number;
  l1MaxBytes: number;
  l1Evictions: number;
  l1EvictionsPerSec: number;
  l1AvgLatencyNs: number;
  l2Requests: number;
  l2AvgLatencyUs: number;
  upstream: UpstreamState;
  invalidation: InvalidationState;
  /** Fields beyond the contract, appended as they are. */
  extra?: Record<string, number | string>;
}

/** The section in Redis's INFO layout. */
export function cacheeInfoSection(figures: CacheeFigures): string {
  const fields: Record<string, number | string> = {
    l1_hits: figures.l1Hits,
    l1_misses: figures.l1Misses,
    l1_entries: figures.l1Entries,
    l1_bytes: figures.l1Bytes,
    l1_max_bytes: figures.l1MaxBytes,
    l1_evictions: figures.l1Evictions,
    l1_evictions_per_sec: round(figures.l1EvictionsPerSec),
    l1_avg_latency_ns: round(figures.l1AvgLatencyNs),
    l2_requests: figures.l2Requests,
    l2_avg_latency_us: round(figures.l2AvgLatencyUs),
    upstream: figures.upstream,
    invalidation: figures.invalidation,
    // Which process answered: with --workers, each worker has its own figures.
    process_id: process.pid,
    ...figures.extra,
  };
  return `# Cachee\r\n${Object.entries(fields)
    .map(([k, v]) => `${k}:${v}`)
    .join('\r\n')}\r\n`;
}

/** Whether a command is `INFO cachee`, which the front answers itself (lengths first: no string for a GET). */
export function isInfoCachee(args: readonly Buffer[]): boolean {
  return (
    args.length === 2 &&
    args[0].length === 4 &&
    args[1].length === 6 &&
    args[0].toString('latin1').toLowerCase() === 'info' &&
    args[1].toString('latin1').toLowerCase() === 'cachee'
  );
}

/** The section as a bulk string reply. */
export function infoReply(section: string): Buffer {
  return Buffer.from(`$${Buffer.byteLength(section)}\r\n${section}\r\n`);
}

/** The proxy's counters. */
export class ProxyStats {
  l1Hits = 0;
  l1Misses = 0;
  /** Reads answered from L1 while invalidation was down because the upstream failed too. */
  l1StaleHits = 0;
  l2Requests = 0;
  readonly l1Latency = new MeanSampler();
  readonly l2Latency = new MeanSampler();
  readonly evictionRate = new EvictionRate();

  recordL2Latency(microseconds: number): void {
    this.l2Latency.record(microseconds);
  }

  recordL1Latency(nanoseconds: number): void {
    this.l1Latency.record(nanoseconds);
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
