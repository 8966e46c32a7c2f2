/**
 * The counters behind `INFO cachee` and the metrics, and the section built from them (the field
 * contract is in src/cli/status.ts). Both fronts, the proxy over Redis and the embedded store,
 * describe themselves with the same `FrontFigures` (src/metrics/definitions.ts), which both
 * `INFO cachee` and `/metrics` read, so the two always agree. Latencies are sampled (one lookup in
 * 64 is timed) so measuring costs the hit path nothing noticeable; they go to an hdr histogram
 * (src/metrics/latency.ts): INFO's averages are since start, its p50/p99 over the histogram's
 * sliding window.
 */
import { CommandCounter } from '../metrics/command-counter.js';
import type { FrontFigures, InvalidationCounts } from '../metrics/definitions.js';
import { LatencyRecorder } from '../metrics/latency.js';

export type { InvalidationState, UpstreamState } from '../metrics/definitions.js';

/** Time one lookup in this many (a power of two, minus one). */
export const TIMING_SAMPLE_MASK = 63;

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
  upstream: FrontFigures['upstream'];
  invalidation: FrontFigures['invalidation'];
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

/**
 * The INFO figures of a front: its FrontFigures, its latency recorders (ns), and, beyond the
 * contract, the latency percentiles over the recorders' window (0 while it is empty).
 */
export function infoFigures(
  front: FrontFigures,
  latency: { l1: LatencyRecorder; l2: LatencyRecorder },
  evictionRate: EvictionRate,
  extra: Record<string, number | string> = {},
): CacheeFigures {
  const at = (recorder: LatencyRecorder, p: number, unit: number) => {
    const value = recorder.percentile(p);
    return Number.isNaN(value) ? 0 : value / unit;
  };
  return {
    l1Hits: front.l1.hits,
    l1Misses: front.l1.misses,
    l1Entries: front.l1.entries,
    l1Bytes: front.l1.bytes,
    l1MaxBytes: front.l1.maxBytes,
    l1Evictions: front.l1.evictions,
    l1EvictionsPerSec: evictionRate.perSecond(front.l1.evictions),
    l1AvgLatencyNs: latency.l1.mean,
    l2Requests: front.l2Requests,
    l2AvgLatencyUs: latency.l2.mean / 1000,
    upstream: front.upstream,
    invalidation: front.invalidation,
    extra: {
      l1_p50_latency_ns: round(at(latency.l1, 50, 1)),
      l1_p99_latency_ns: round(at(latency.l1, 99, 1)),
      l2_p50_latency_us: round(at(latency.l2, 50, 1000)),
      l2_p99_latency_us: round(at(latency.l2, 99, 1000)),
      ...extra,
    },
  };
}

/** The proxy's counters: plain fields, bumped on the paths they count, read on INFO and scrape. */
export class ProxyStats {
  l1Hits = 0;
  l1Misses = 0;
  /** Reads answered from L1 while invalidation was down because the upstream failed too. */
  l1StaleHits = 0;
  l2Requests = 0;
  /** Forwarded commands that failed for want of an upstream reply. */
  l2Errors = 0;
  /** Client sessions open now. */
  connectedClients = 0;
  readonly invalidations: InvalidationCounts = { ownWrite: 0, tracking: 0, pubsub: 0, flush: 0 };
  readonly commands: CommandCounter;
  /** ns. */
  readonly l1Latency = new LatencyRecorder();
  /** ns. */
  readonly l2Latency = new LatencyRecorder();
  readonly evictionRate = new EvictionRate();

  /** `commandNames`: the upstream's, each its own `commands_total` label. */
  constructor(commandNames: Iterable<string>) {
    this.commands = new CommandCounter(commandNames);
  }

  /** `now`: performance.now() at the reply, which the caller read to time it. */
  recordL2Latency(nanoseconds: number, now?: number): void {
    this.l2Latency.record(nanoseconds, now);
  }

  recordL1Latency(nanoseconds: number): void {
    this.l1Latency.record(nanoseconds);
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
