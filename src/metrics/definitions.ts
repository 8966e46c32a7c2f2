/**
 * Every metric cachee exports, defined once: its name, help text, type, how workers' values
 * combine, and which figure it shows. The proxy in front of Redis, the embedded store and the
 * library (Cache, TieredCache) all bind these definitions to their own figures, so one name means
 * one thing everywhere. No I/O and no prom-client here: values are read from the figures on
 * scrape (./scraped-metric.ts).
 *
 * The names are a contract (the admin dashboard and users' dashboards read them); the README's
 * "Metrics" section lists them.
 */
import type { LatencyView } from './latency.js';
import { scrapedMetric, summarySamples, type Aggregator, type Labels, type MetricRegistry, type MetricType, type Sample } from './scraped-metric.js';
import { WINDOW_DESCRIPTION } from './window.js';

export const DEFAULT_PREFIX = 'cachee_';

export type UpstreamState = 'connected' | 'down' | 'embedded';
export type InvalidationState = 'tracking' | 'pubsub' | 'none' | 'down';
export const UPSTREAM_STATES: readonly UpstreamState[] = ['connected', 'down', 'embedded'];
export const INVALIDATION_STATES: readonly InvalidationState[] = ['tracking', 'pubsub', 'none', 'down'];

/** Keys dropped from L1, by what dropped them; `flush` counts whole-L1 flushes. */
export interface InvalidationCounts {
  /** Keys written (or deleted) through this proxy or cache instance. */
  ownWrite: number;
  /** Keys Redis reported changed over CLIENT TRACKING. */
  tracking: number;
  /** Keys another instance announced over pub/sub. */
  pubsub: number;
  /** Whole-L1 flushes: FLUSHALL/FLUSHDB, clear(), the invalidation channel lost or regained. */
  flush: number;
}

/** What every L1 reports; the engine's `stats()` has these fields, plus `maxBytes`. */
export interface L1Figures {
  hits: number;
  misses: number;
  evictions: number;
  rejections: number;
  expirations: number;
  entries: number;
  bytes: number;
  /** Infinity when only a count bounds it (then not exported). */
  maxBytes: number;
}

/** A proxy front's figures (in front of Redis, or the embedded store). */
export interface FrontFigures {
  l1: L1Figures;
  /** Commands forwarded upstream. */
  l2Requests: number;
  /** Forwarded commands that got no reply: the upstream failed or timed out (error replies are replies). */
  l2Errors: number;
  invalidations: InvalidationCounts;
  connectedClients: number;
  upstream: UpstreamState;
  invalidation: InvalidationState;
  /** Commands per lower-case name (./command-counter.ts). */
  commands: Iterable<[command: string, count: number]>;
}

interface Definition<F> {
  /** Without the prefix. */
  name: string;
  help: string;
  type: MetricType;
  aggregator?: Aggregator;
  samples(figures: F): number | Sample[];
}

/** 1 for `current`, 0 for the others: one series per state, so a dashboard can show which. */
function stateSamples<S extends string>(states: readonly S[], current: S): Sample[] {
  return states.map((state) => ({ labels: { state }, value: state === current ? 1 : 0 }));
}

function invalidationSamples(counts: InvalidationCounts): Sample[] {
  return [
    { labels: { source: 'own_write' }, value: counts.ownWrite },
    { labels: { source: 'tracking' }, value: counts.tracking },
    { labels: { source: 'pubsub' }, value: counts.pubsub },
    { labels: { source: 'flush' }, value: counts.flush },
  ];
}

export const L1_METRICS: readonly Definition<L1Figures>[] = [
  { name: 'l1_hits_total', help: 'Reads answered from L1.', type: 'counter', samples: (f) => f.hits },
  { name: 'l1_misses_total', help: 'Cacheable reads L1 could not answer.', type: 'counter', samples: (f) => f.misses },
  { name: 'l1_evictions_total', help: 'L1 entries evicted for room (rejected newcomers included).', type: 'counter', samples: (f) => f.evictions },
  { name: 'l1_rejections_total', help: 'Newcomers the W-TinyLFU admission policy declined.', type: 'counter', samples: (f) => f.rejections },
  { name: 'l1_expirations_total', help: 'L1 entries removed because their TTL passed.', type: 'counter', samples: (f) => f.expirations },
  { name: 'l1_entries', help: 'Entries held in L1 now.', type: 'gauge', samples: (f) => f.entries },
  { name: 'l1_bytes', help: 'Bytes held in L1 now, as counted against its budget.', type: 'gauge', samples: (f) => f.bytes },
  {
    name: 'l1_max_bytes',
    help: 'The byte budget of L1.',
    type: 'gauge',
    samples: (f) => (Number.isFinite(f.maxBytes) ? f.maxBytes : []),
  },
];

/** L1_METRICS over figures that hold L1's under `l1`. */
function ofL1<F extends { l1: L1Figures }>(): Definition<F>[] {
  return L1_METRICS.map((definition) => ({ ...definition, samples: (f: F) => definition.samples(f.l1) }));
}

const INVALIDATIONS: Definition<{ invalidations: InvalidationCounts }> = {
  name: 'invalidations_total',
  help: 'Keys invalidated in L1, by source (own_write, tracking, pubsub); source="flush" counts whole-L1 flushes.',
  type: 'counter',
  samples: (f) => invalidationSamples(f.invalidations),
};

/** With --workers: 1 for every state some worker is in. */
const INVALIDATION_STATE: Definition<{ invalidation: InvalidationState }> = {
  name: 'invalidation_state',
  help: 'How L1 learns of writes made elsewhere: 1 for the current state (tracking, pubsub, none, down), 0 for the others.',
  type: 'gauge',
  aggregator: 'max',
  samples: (f) => stateSamples(INVALIDATION_STATES, f.invalidation),
};

/**
 * With --workers, the primary sums counters and entry/byte/client gauges over the workers;
 * `upstream_up` is the lowest (0 if any worker is down); a state gauge is 1 for every state some
 * worker is in.
 */
export const FRONT_METRICS: readonly Definition<FrontFigures>[] = [
  ...ofL1<FrontFigures>(),
  INVALIDATIONS,
  { name: 'l2_requests_total', help: 'Commands forwarded to the upstream Redis.', type: 'counter', samples: (f) => f.l2Requests },
  {
    name: 'l2_errors_total',
    help: 'Forwarded commands the upstream did not answer (connection failed or timed out).',
    type: 'counter',
    samples: (f) => f.l2Errors,
  },
  {
    name: 'commands_total',
    help: 'Commands received from clients, by lower-case name; names the server does not know count as "other".',
    type: 'counter',
    samples: (f) => [...f.commands].map(([command, value]) => ({ labels: { command }, value })),
  },
  { name: 'connected_clients', help: 'Client connections open now.', type: 'gauge', samples: (f) => f.connectedClients },
  {
    name: 'upstream_up',
    help: 'Whether the upstream Redis is connected (1) or not (0); 1 for the embedded store.',
    type: 'gauge',
    aggregator: 'min',
    samples: (f) => (f.upstream === 'down' ? 0 : 1),
  },
  {
    name: 'upstream_state',
    help: 'The upstream state: 1 for the current one (connected, down, or embedded: no upstream), 0 for the others.',
    type: 'gauge',
    aggregator: 'max',
    samples: (f) => stateSamples(UPSTREAM_STATES, f.upstream),
  },
  INVALIDATION_STATE,
];

/** TieredCache's counters of L2 and loads, in its stats() and in the metrics. */
export interface TieredCounters {
  l2Hits: number;
  l2Misses: number;
  /** L2 calls that failed or timed out. */
  l2Errors: number;
  /** L2 calls made: reads, writes, deletes, tag invalidations, clears, lock calls. */
  l2Requests: number;
  /** Loader calls. */
  loads: number;
  loadErrors: number;
  /** Loader failures answered with a stale value. */
  staleServed: number;
}

/** What TieredCache's stats() has, as the metrics read it. */
export interface TieredFigures extends TieredCounters {
  l1: L1Figures;
  invalidations: InvalidationCounts;
  l2Up: boolean;
  invalidation: InvalidationState;
}

export interface LoaderFigures {
  loads: number;
  loadErrors: number;
}

/** Read-through loading, the engine's and TieredCache's. */
const LOADER_METRICS: readonly Definition<LoaderFigures>[] = [
  { name: 'loads_total', help: 'Loader calls (getOrLoad misses).', type: 'counter', samples: (f) => f.loads },
  { name: 'load_errors_total', help: 'Loader calls that threw or rejected.', type: 'counter', samples: (f) => f.loadErrors },
];

/** The engine (Cache) in the library. */
export const CACHE_METRICS: readonly Definition<L1Figures & LoaderFigures>[] = [...L1_METRICS, ...LOADER_METRICS];

export const TIERED_METRICS: readonly Definition<TieredFigures>[] = [
  ...ofL1<TieredFigures>(),
  ...LOADER_METRICS,
  { name: 'l2_hits_total', help: 'L2 (Redis) reads that found the key.', type: 'counter', samples: (f) => f.l2Hits },
  { name: 'l2_misses_total', help: 'L2 (Redis) reads that did not find the key.', type: 'counter', samples: (f) => f.l2Misses },
  { name: 'l2_errors_total', help: 'L2 (Redis) calls that failed or timed out.', type: 'counter', samples: (f) => f.l2Errors },
  { name: 'l2_requests_total', help: 'L2 (Redis) calls made (reads, writes, locks, tags).', type: 'counter', samples: (f) => f.l2Requests },
  { name: 'stale_served_total', help: 'Loader failures answered with a stale value (staleIfError).', type: 'counter', samples: (f) => f.staleServed },
  INVALIDATIONS,
  { name: 'upstream_up', help: 'Whether the L2 Redis client is connected (1) or not (0).', type: 'gauge', samples: (f) => (f.l2Up ? 1 : 0) },
  INVALIDATION_STATE,
];

/** The quantiles every latency summary shows. */
export const LATENCY_QUANTILES: readonly number[] = [0.5, 0.9, 0.99, 0.999];

export const L1_LATENCY = {
  name: 'l1_latency_seconds',
  help: `Time to answer an L1 hit (one in 64 timed): quantiles ${WINDOW_DESCRIPTION}; _sum and _count over the timed hits since start.`,
};
export const L2_LATENCY = {
  name: 'l2_latency_seconds',
  help: `Round trip of an upstream (L2) command: quantiles ${WINDOW_DESCRIPTION}; _sum and _count since start.`,
};

export interface BindOptions {
  /** Prepended to every name; default `cachee_`. */
  prefix?: string;
  /** Added to every series, to tell sources apart in one registry. */
  labels?: Labels;
}

/** Which label sets are registered per registry and prefix, so one cannot be bound twice. */
const bound = new WeakMap<object, Set<string>>();

/**
 * Binds `definitions` to `read` (called on each scrape; undefined: the source is gone, and its
 * series leave the registry). Returns the function that unbinds them.
 */
export function bindMetrics<F>(
  registry: MetricRegistry,
  definitions: readonly Definition<F>[],
  read: () => F | undefined,
  options: BindOptions = {},
): () => void {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const labels = options.labels ?? {};
  const identity = `${prefix}\u0000${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
  let identities = bound.get(registry);
  if (identities === undefined) bound.set(registry, (identities = new Set()));
  if (identities.has(identity)) {
    throw new Error(`metrics: a source with labels ${JSON.stringify(labels)} is already registered under prefix ${prefix} in this registry`);
  }
  identities.add(identity);
  let gone = false;
  const release = () => {
    if (gone) return;
    gone = true;
    identities.delete(identity);
    for (const remove of removers) remove();
  };
  // One read per scrape for all the definitions (they are collected in the same turn): the
  // figures are built once, and every series of the scrape is of the same instant.
  let current: { figures: F | undefined } | undefined;
  const readOnce = (): F | undefined => {
    if (current === undefined) {
      current = { figures: read() };
      queueMicrotask(() => (current = undefined));
    }
    return current.figures;
  };
  const removers = definitions.map((definition) => {
    const metric = scrapedMetric(registry, {
      name: prefix + definition.name,
      help: definition.help,
      type: definition.type,
      aggregator: definition.aggregator,
    });
    return metric.add(() => {
      const figures = gone ? undefined : readOnce();
      if (figures === undefined) {
        release();
        return undefined;
      }
      const samples = definition.samples(figures);
      if (typeof samples === 'number') return [{ labels, value: samples }];
      return samples.map((sample) => ({ ...sample, labels: { ...labels, ...sample.labels } }));
    });
  });
  return release;
}

/**
 * A latency summary over `read()`'s view (ns), shown in seconds. `aggregator: 'omit'` on the
 * workers: their quantiles cannot be combined, so the primary builds its own from their histograms.
 */
export function bindLatencySummary(
  registry: MetricRegistry,
  definition: { name: string; help: string },
  read: () => LatencyView | undefined,
  options: BindOptions & { aggregator?: Aggregator } = {},
): () => void {
  const name = (options.prefix ?? DEFAULT_PREFIX) + definition.name;
  const metric = scrapedMetric(registry, { name, help: definition.help, type: 'summary', aggregator: options.aggregator ?? 'sum' });
  return metric.add(() => {
    const view = read();
    if (view === undefined) return undefined;
    return summarySamples(name, LATENCY_QUANTILES, (q) => view.percentile(q * 100) / 1e9, view.sum / 1e9, view.count, options.labels);
  });
}
