/**
 * The library's `Cache`: the engine (./core/cache.ts), plus the `metrics` option that binds its
 * stats() to a prom-client registry. The engine does no I/O and imports nothing outside
 * src/core, so the binding is made here, one floor up.
 */
import { Cache as Engine } from './core/cache.js';
import type { CacheOptions as EngineOptions } from './core/options.js';
import { bindCacheMetrics, checkMetricsOptions, type MetricsOptions } from './metrics/library.js';

export interface CacheOptions<K, V> extends EngineOptions<K, V> {
  /**
   * Exports `stats()` to a prom-client registry: `{ registry, prefix?, labels? }` (see
   * src/metrics/library.ts and the README's "Metrics"); read on each scrape, nothing counted twice.
   */
  metrics?: MetricsOptions;
}

export class Cache<K, V> extends Engine<K, V> {
  constructor(options: CacheOptions<K, V>) {
    super(options);
    const metrics = checkMetricsOptions(options.metrics, 'metrics');
    if (metrics !== undefined) bindCacheMetrics(this, metrics);
  }
}
