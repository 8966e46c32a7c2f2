/**
 * A serving front's metrics, as the admin server and (with --workers) the primary read them: a
 * prom-client registry holding the front metrics (src/metrics/definitions.ts) bound to the front's
 * figures, prom-client's default process metrics, and the front's hot keys.
 *
 * With --workers each worker keeps one of these and sends a snapshot to the primary on request:
 * its registry as JSON (counters and gauges, which prom-client's AggregatorRegistry combines by
 * each metric's aggregator) and its latency histograms encoded, since quantiles cannot be
 * combined from quantiles: the primary merges the histograms and computes its own.
 */
import { AggregatorRegistry, collectDefaultMetrics, Registry, type PrometheusContentType } from 'prom-client';
import { bindLatencySummary, bindMetrics, FRONT_METRICS, L1_LATENCY, L2_LATENCY, type FrontFigures } from '../metrics/definitions.js';
import type { HotKey } from '../metrics/hot-keys.js';
import type { RunningProxy } from './config.js';
import { mergeLatencies, type EncodedLatency, type LatencyRecorder, type LatencyView } from '../metrics/latency.js';

/** What a front offers to be measured. */
export interface MeasuredFront {
  figures(): FrontFigures;
  /** ns. */
  readonly l1Latency: LatencyRecorder;
  /** ns. */
  readonly l2Latency: LatencyRecorder;
  hottestKeys(limit: number): HotKey[];
}

/** A worker's metrics, as sent to the primary. */
export interface WorkerSnapshot {
  /** `registry.getMetricsAsJSON()`, less the latency summaries (their aggregator is 'omit'). */
  metrics: unknown[];
  l1Latency: EncodedLatency;
  l2Latency: EncodedLatency;
}

export class FrontTelemetry {
  private made: Registry | undefined;

  constructor(private readonly front: MeasuredFront) {}

  /**
   * Made on first use, so a proxy whose admin port is off runs none of the default metrics'
   * observers (GC, event loop delay); a worker's starts with the primary's first scrape.
   */
  get registry(): Registry {
    if (this.made === undefined) {
      const registry = (this.made = new Registry());
      const front = this.front;
      bindMetrics(registry, FRONT_METRICS, () => front.figures());
      bindLatencySummaries(registry, () => front.l1Latency, () => front.l2Latency);
      collectDefaultMetrics({ register: registry });
    }
    return this.made;
  }

  hottestKeys(limit: number): HotKey[] {
    return this.front.hottestKeys(limit);
  }

  async snapshot(): Promise<WorkerSnapshot> {
    return {
      metrics: await this.registry.getMetricsAsJSON(),
      l1Latency: this.front.l1Latency.encode(),
      l2Latency: this.front.l2Latency.encode(),
    };
  }
}

/** The two latency summaries. Their aggregator is 'omit': workers' quantiles are merged from histograms instead. */
function bindLatencySummaries(registry: Registry, l1: () => LatencyView, l2: () => LatencyView): void {
  bindLatencySummary(registry, L1_LATENCY, l1, { aggregator: 'omit' });
  bindLatencySummary(registry, L2_LATENCY, l2, { aggregator: 'omit' });
}

/**
 * The primary's registry, made for one scrape from the workers' snapshots: counters and gauges
 * combined by their aggregators (FRONT_METRICS says which), the summaries from the merged histograms.
 */
export function aggregateSnapshots(snapshots: readonly WorkerSnapshot[]): Registry {
  const registry = AggregatorRegistry.aggregate<PrometheusContentType>(snapshots.map((s) => s.metrics as object));
  const l1 = mergeLatencies(snapshots.map((s) => s.l1Latency));
  const l2 = mergeLatencies(snapshots.map((s) => s.l2Latency));
  bindLatencySummaries(registry, () => l1, () => l2);
  return registry;
}

/** A front that serves clients, and its telemetry (what `startProxy` builds the admin server on). */
export interface ServingFront {
  running: RunningProxy;
  telemetry: FrontTelemetry;
}
