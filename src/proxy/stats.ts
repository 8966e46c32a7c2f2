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
 * The `INFO cachee` section of a front, in Redis's INFO layout: its FrontFigures and latency
 * recorders (ns) as the contract's fields (src/cli/status.ts), then, beyond the contract,
 * process_id (with --workers each worker has its own figures), the latency percentiles over the
 * recorders' window (0 while it is empty), and `extra`.
 */
export function cacheeInfoSection(
  front: FrontFigures,
  latency: { l1: LatencyRecorder; l2: LatencyRecorder },
  evictionRate: EvictionRate,
  extra: Record<string, number | string> = {},
): string {
  const at = (recorder: LatencyRecorder, p: number, unit: number) => {
    const value = recorder.percentile(p);
    return Number.isNaN(value) ? 0 : value / unit;
  };
  const fields: Record<string, number | string> = {
    l1_hits: front.l1.hits,
    l1_misses: front.l1.misses,
    l1_entries: front.l1.entries,
    l1_bytes: front.l1.bytes,
    l1_max_bytes: front.l1.maxBytes,
    l1_evictions: front.l1.evictions,
    l1_evictions_per_sec: round(evictionRate.perSecond(front.l1.evictions)),
    l1_avg_latency_ns: round(latency.l1.mean),
    l2_requests: front.l2Requests,
    l2_avg_latency_us: round(latency.l2.mean / 1000),
    upstream: front.upstream,
    invalidation: front.invalidation,
    process_id: process.pid,
    l1_p50_latency_ns: round(at(latency.l1, 50, 1)),
    l1_p99_latency_ns: round(at(latency.l1, 99, 1)),
    l2_p50_latency_us: round(at(latency.l2, 50, 1000)),
    l2_p99_latency_us: round(at(latency.l2, 99, 1000)),
    ...extra,
  };
  return `# Cachee\r\n${Object.entries(fields)
    .map(([k, v]) => `${k}:${v}`)
    .join('\r\n')}\r\n`;
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
