/**
 * TieredCache's binding to the application's prom-client registry: its L1 (the engine's figures),
 * its L2 counters, invalidations by source, the L2 client's state, and a summary of L2 round
 * trips. Like ./library.ts, it imports nothing of prom-client at run time.
 */
import { bindLatencySummary, bindMetrics, L2_LATENCY, TIERED_METRICS, type TieredFigures } from './definitions.js';
import type { LatencyView } from './latency.js';
import { bindOptions, type MetricsOptions } from './library.js';

/** Both read on each scrape; undefined once the cache is gone. */
export interface TieredSource {
  figures(): TieredFigures | undefined;
  l2Latency(): LatencyView | undefined;
}

/** Registers a TieredCache's metrics; returns the function that removes them (close() calls it). */
export function bindTieredCacheMetrics(source: TieredSource, options: MetricsOptions): () => void {
  const unbind = bindMetrics(options.registry, TIERED_METRICS, () => source.figures(), bindOptions(options));
  const unbindSummary = bindLatencySummary(options.registry, L2_LATENCY, () => source.l2Latency(), bindOptions(options));
  return () => {
    unbind();
    unbindSummary();
  };
}
