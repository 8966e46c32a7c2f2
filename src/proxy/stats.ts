/**
 * The proxy's counters and the `INFO cachee` section built from them (the field contract is in
 * src/cli/status.ts). Latencies are sampled (one lookup in 64 is timed) so measuring costs the
 * hit path nothing noticeable.
 */
import type { ReplyCache } from './reply-cache.js';

export type UpstreamState = 'connected' | 'down' | 'embedded';
export type InvalidationState = 'tracking' | 'pubsub' | 'none' | 'down';

export class ProxyStats {
  l1Hits = 0;
  l1Misses = 0;
  /** Reads answered from L1 while invalidation was down because the upstream failed too. */
  l1StaleHits = 0;
  l2Requests = 0;
  private l2LatencySumUs = 0;
  private l2LatencyCount = 0;
  private l1LatencySumNs = 0;
  private l1LatencyCount = 0;
  private evictionWindow: { at: number; evictions: number }[] = [];

  recordL2Latency(microseconds: number): void {
    this.l2LatencySumUs += microseconds;
    this.l2LatencyCount++;
  }

  recordL1Latency(nanoseconds: number): void {
    this.l1LatencySumNs += nanoseconds;
    this.l1LatencyCount++;
  }

  get l1AverageLatencyNs(): number {
    return this.l1LatencyCount === 0 ? 0 : this.l1LatencySumNs / this.l1LatencyCount;
  }

  get l2AverageLatencyUs(): number {
    return this.l2LatencyCount === 0 ? 0 : this.l2LatencySumUs / this.l2LatencyCount;
  }

  /** Evictions per second over roughly the last second, from samples taken at each INFO. */
  evictionsPerSecond(evictions: number, now = performance.now()): number {
    this.evictionWindow.push({ at: now, evictions });
    while (this.evictionWindow.length > 2 && now - this.evictionWindow[1].at >= 1000) this.evictionWindow.shift();
    const oldest = this.evictionWindow[0];
    const span = (now - oldest.at) / 1000;
    return span <= 0 ? 0 : (evictions - oldest.evictions) / span;
  }

  infoSection(cache: ReplyCache | undefined, upstream: UpstreamState, invalidation: InvalidationState, extra: Record<string, number | string> = {}): string {
    const engine = cache?.stats();
    const evictions = engine?.evictions ?? 0;
    const fields: Record<string, number | string> = {
      l1_hits: this.l1Hits,
      l1_misses: this.l1Misses,
      l1_entries: cache?.entries ?? 0,
      l1_bytes: cache?.bytes ?? 0,
      l1_max_bytes: cache?.maxBytes ?? 0,
      l1_evictions: evictions,
      l1_evictions_per_sec: round(this.evictionsPerSecond(evictions)),
      l1_avg_latency_ns: round(this.l1AverageLatencyNs),
      l2_requests: this.l2Requests,
      l2_avg_latency_us: round(this.l2AverageLatencyUs),
      upstream,
      invalidation,
      l1_stale_hits: this.l1StaleHits,
      ...extra,
    };
    return `# Cachee\r\n${Object.entries(fields)
      .map(([k, v]) => `${k}:${v}`)
      .join('\r\n')}\r\n`;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
