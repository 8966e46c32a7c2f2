/**
 * The library's binding: a Cache's figures (and a TieredCache's, in ./tiered-metrics.ts) in a
 * prom-client registry the application owns. The engine calls `bindCacheMetrics` when given the
 * `metrics` option; this module imports nothing of prom-client at run time (the registry is the
 * caller's), so the engine stays free of it.
 *
 * Series are read from `stats()` on each scrape. The registry holds the cache weakly: a cache
 * that is garbage collected leaves the registry at the next scrape.
 */
import type { CacheStats } from '../core/options.js';
import { bindMetrics, CACHE_METRICS, type BindOptions } from './definitions.js';
import type { Labels, MetricRegistry } from './scraped-metric.js';

export interface MetricsOptions {
  /** A prom-client `Registry` (e.g. prom-client's `register`, or `new Registry()`). */
  registry: MetricRegistry;
  /** Prepended to every metric name; default `cachee_`. Must be a valid metric name start. */
  prefix?: string;
  /**
   * Labels added to every series, to tell several caches in one registry apart (e.g.
   * `{ cache: 'users' }`). Two caches under one prefix in one registry need different labels.
   */
  labels?: Record<string, string>;
}

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Labels the metrics themselves use. */
const RESERVED_LABELS = new Set(['quantile', 'source', 'state', 'command']);

/**
 * Checks the `metrics` option of Cache and TieredCache; `where` starts the message
 * (e.g. "TieredCache: metrics"). TypeError for a wrong type, RangeError for a bad value.
 */
export function checkMetricsOptions(value: unknown, where: string): MetricsOptions | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw new TypeError(`${where} must be an object with a registry`);
  const { registry, prefix, labels, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new TypeError(`${where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  const r = registry as Partial<MetricRegistry> | null | undefined;
  if (typeof r !== 'object' || r === null || typeof r.registerMetric !== 'function' || typeof r.getSingleMetric !== 'function') {
    throw new TypeError(`${where}.registry must be a prom-client Registry`);
  }
  if (prefix !== undefined) {
    if (typeof prefix !== 'string') throw new TypeError(`${where}.prefix must be a string, got ${typeof prefix}`);
    if (!PREFIX.test(prefix)) throw new RangeError(`${where}.prefix must match ${PREFIX.source}, got ${JSON.stringify(prefix)}`);
  }
  if (labels !== undefined) {
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) throw new TypeError(`${where}.labels must be an object of strings`);
    for (const [name, text] of Object.entries(labels)) {
      if (typeof text !== 'string') throw new TypeError(`${where}.labels.${name} must be a string, got ${typeof text}`);
      if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new RangeError(`${where}.labels: ${JSON.stringify(name)} is not a valid label name`);
      if (RESERVED_LABELS.has(name)) throw new RangeError(`${where}.labels: ${JSON.stringify(name)} is used by the metrics themselves`);
    }
  }
  return value as MetricsOptions;
}

export function bindOptions(options: MetricsOptions): BindOptions {
  return { prefix: options.prefix, labels: options.labels as Labels | undefined };
}

/** What the binding reads of an engine. */
interface MeasuredCache {
  stats(): CacheStats;
  readonly maxBytes: number;
}

/** Registers an engine's metrics (L1 counters and gauges, loads); returns the function that removes them. */
export function bindCacheMetrics(cache: MeasuredCache, options: MetricsOptions): () => void {
  const ref = new WeakRef(cache);
  const figures = () => {
    const live = ref.deref();
    if (live === undefined) return undefined;
    return { ...live.stats(), maxBytes: live.maxBytes };
  };
  return bindMetrics(options.registry, CACHE_METRICS, figures, bindOptions(options));
}
