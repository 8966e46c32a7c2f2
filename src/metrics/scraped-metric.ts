/**
 * A metric whose values are read when the registry is scraped, from the plain counters the code
 * keeps anyway: nothing is counted twice, and the hot paths never call into prom-client.
 *
 * It is what a prom-client `Registry` reads of a metric (`name`, `help`, `type`, `aggregator`,
 * `get()`), so it registers in one like prom-client's own Counter or Gauge, and the registry does
 * the text format. The module imports nothing of prom-client at run time, so the engine (src/core)
 * can bind its metrics without loading it.
 *
 * One metric may have several sources (two caches registered in one registry under the same
 * prefix, told apart by their labels): each adds a collector, and a scrape concatenates them.
 */

export type MetricType = 'counter' | 'gauge' | 'summary';
/** How prom-client's AggregatorRegistry combines the workers' values (see ./cluster.ts). */
export type Aggregator = 'sum' | 'min' | 'max' | 'first' | 'omit' | 'average';
export type Labels = Readonly<Record<string, string>>;

/** One line of the text format: `metricName` (default: the metric's name), labels, value. */
export interface Sample {
  value: number;
  labels?: Labels;
  metricName?: string;
}

/** What this module needs of a prom-client `Registry` (which has it). */
export interface MetricRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
}

/** Returns this scrape's samples; undefined: the source is gone and its collector is dropped. */
export type Collector = () => Sample[] | undefined;

export class ScrapedMetric {
  private readonly collectors: Collector[] = [];

  constructor(
    /** Written by prom-client's OpenMetrics output, which renames counters; hence not readonly. */
    public name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly aggregator: Aggregator,
  ) {}

  add(collector: Collector): () => void {
    this.collectors.push(collector);
    return () => {
      const i = this.collectors.indexOf(collector);
      if (i >= 0) this.collectors.splice(i, 1);
    };
  }

  get(): { name: string; help: string; type: MetricType; aggregator: Aggregator; values: Sample[] } {
    const values: Sample[] = [];
    for (let i = 0; i < this.collectors.length; i++) {
      const samples = this.collectors[i]();
      if (samples === undefined) this.collectors.splice(i--, 1);
      else for (const sample of samples) values.push({ labels: {}, ...sample });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics() calls it; the values belong to the code that counts them. */
  reset(): void {}
}

export interface MetricDefinition {
  name: string;
  help: string;
  type: MetricType;
  aggregator?: Aggregator;
}

/**
 * The registry's metric of this definition, made and registered on first use. A metric of the
 * same name that is not a ScrapedMetric (registered by other code) is an error.
 */
export function scrapedMetric(registry: MetricRegistry, definition: MetricDefinition): ScrapedMetric {
  const existing = registry.getSingleMetric(definition.name);
  if (existing instanceof ScrapedMetric) {
    if (existing.type !== definition.type) throw new Error(`metrics: ${definition.name} is already registered as a ${existing.type}`);
    return existing;
  }
  if (existing !== undefined) throw new Error(`metrics: a metric named ${definition.name} is already registered by other code`);
  const metric = new ScrapedMetric(definition.name, definition.help, definition.type, definition.aggregator ?? 'sum');
  registry.registerMetric(metric as never);
  return metric;
}

/** The lines of a summary: one per quantile, then `_sum` and `_count`. */
export function summarySamples(
  name: string,
  quantiles: readonly number[],
  valueAt: (quantile: number) => number,
  sum: number,
  count: number,
  labels: Labels = {},
): Sample[] {
  const samples: Sample[] = quantiles.map((quantile) => ({ labels: { ...labels, quantile: String(quantile) }, value: valueAt(quantile) }));
  samples.push({ metricName: `${name}_sum`, labels, value: sum }, { metricName: `${name}_count`, labels, value: count });
  return samples;
}
