/**
 * TieredCache's options, documented where they are declared, and their validation: every bad
 * option fails at construction, a wrong type with a TypeError, a bad value with a RangeError.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { CacheOptions } from '../core/options.js';
import { checkMetricsOptions, type MetricsOptions } from '../metrics/library.js';
import { parseUpstreamUrl } from './redis-connection.js';
import { jsonSerializer, type Serializer } from './serializer.js';

export type InvalidationMode = 'tracking' | 'pubsub' | 'none';

/** The engine's options that make sense for an L1 (its TTL is `l1.ttl`, jitter is applied to L2). */
export type L1Options<V> = Pick<CacheOptions<string, V>, 'maxEntries' | 'maxBytes' | 'sketchBytes' | 'now'> & {
  /** Longest life of an L1 copy, ms: the staleness bound when every invalidation path fails. 0: until the L2 TTL. */
  ttl?: number;
  /** Size of a value in bytes (default: the engine's heap estimate). */
  sizeOf?: (value: V, key: string) => number;
};

export interface DistributedLockOptions {
  /** ms the lock is held at most (a loader slower than this lets another instance load too). */
  ttl: number;
  /** ms an instance waits for the lock holder's value before loading by itself. */
  wait: number;
}

export interface TieredCacheOptions<V> {
  /** `redis://[user:pass@]host[:port][/db]`, `rediss://...`, or an ioredis `Redis` instance (not a Cluster). */
  redis: string | Redis;
  /** Prefix of every key and channel in Redis: key `k` is `namespace:k`. */
  namespace: string;
  /** The L1 engine's bounds. Default: 64 MiB. */
  l1?: L1Options<V>;
  /** Redis TTL of an entry, ms (its "fresh" life). 0 or absent: no expiry. */
  ttl?: number;
  /** Spreads each write's Redis TTL by +-this fraction (0 to <1), so keys set together do not expire together. */
  ttlJitter?: number;
  /** How other instances' L1 copies learn of writes. Default 'tracking'. */
  invalidation?: InvalidationMode;
  /** Default: JSON text, Buffers as raw bytes (see ./serializer.ts). */
  serializer?: Serializer<V>;
  /** ms an L2 command may take; past it the L2 counts as down for that call. Default 500. */
  l2Timeout?: number;
  /** One loader call per fleet for a cold key (SET NX PX). true: { ttl: 5000, wait: 5000 }. */
  distributedLock?: boolean | DistributedLockOptions;
  /** Default of getOrLoad's `staleIfError`: ms after expiry during which a failing loader is answered with the last value. */
  staleIfError?: number;
  /** ms a loader's `undefined` (a miss) is remembered in L1; 0 (default): misses are not cached. */
  negativeTtl?: number;
  /**
   * `get` and `getOrLoad` look L1 up at the end of the event-loop turn, after every socket ready
   * in it was read: a request handled in a socket's callback then sees an invalidation that
   * arrived before it in the same turn. Costs each call a wait for the turn's end. Default false.
   */
  readAtTurnEnd?: boolean;
  /**
   * Probabilistic early refresh, as a fraction of the TTL (0 to <1; 0: off, the default): in the
   * last `earlyRefresh * ttl` of an entry's life, a getOrLoad hit reloads it in the background
   * with a probability rising from 0 to 1 as expiry nears, while the current value is served.
   */
  earlyRefresh?: number;
  /**
   * Exports `stats()` (L1, L2, invalidations by source) and an L2 latency summary to a prom-client
   * registry: `{ registry, prefix?, labels? }` (src/metrics/library.ts, the README's "Metrics").
   */
  metrics?: MetricsOptions;
}

export interface ResolvedTieredOptions<V> {
  redis: string | Redis;
  namespace: string;
  l1: L1Options<V>;
  ttl: number;
  ttlJitter: number;
  invalidation: InvalidationMode;
  serializer: Serializer<V>;
  l2Timeout: number;
  distributedLock: DistributedLockOptions | undefined;
  staleIfError: number;
  negativeTtl: number;
  readAtTurnEnd: boolean;
  earlyRefresh: number;
  metrics: MetricsOptions | undefined;
}

const DEFAULT_L1_BYTES = 64 * 1024 * 1024;
const DEFAULT_LOCK: DistributedLockOptions = { ttl: 5000, wait: 5000 };

const milliseconds = z.number({ invalid_type_error: 'must be a number of ms' }).finite('must be finite').nonnegative('must be >= 0');
const fraction = z.number({ invalid_type_error: 'must be a number' }).min(0, 'must be >= 0').lt(1, 'must be below 1');
const positiveMilliseconds = z.number({ invalid_type_error: 'must be a number of ms' }).finite('must be finite').positive('must be > 0');

function isRedisClient(value: unknown): value is Redis {
  if (value instanceof Redis) return true;
  // Another copy of ioredis: recognised by its shape.
  const v = value as Partial<Redis> | null;
  return typeof v === 'object' && v !== null && typeof v.duplicate === 'function' && typeof v.getBuffer === 'function' && typeof v.options === 'object';
}

const redisOption = z.union([
  z.string().superRefine((url, context) => {
    try {
      parseUpstreamUrl(url);
    } catch (error) {
      context.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message, params: { type: true } });
    }
  }),
  z.custom<Redis>(isRedisClient, { message: 'must be a redis:// URL or an ioredis Redis instance', params: { type: true } }).superRefine((client, context) => {
    if ((client as unknown as { isCluster?: boolean }).isCluster === true) {
      context.addIssue({ code: z.ZodIssueCode.custom, message: 'an ioredis Cluster is not supported; pass a Redis instance', params: { type: true } });
    }
  }),
]);

const schema = z
  .object({
    redis: redisOption,
    namespace: z
      .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
      .min(1, 'must not be empty')
      .regex(/^[^\s*?[\]\\#]+$/, 'must not contain whitespace, #, or the glob characters * ? [ ] \\'),
    l1: z
      .object({
        maxEntries: z.number().optional(),
        maxBytes: z.number().optional(),
        sketchBytes: z.number().optional(),
        ttl: milliseconds.optional(),
        sizeOf: z.function().optional(),
        now: z.function().optional(),
      })
      .strict()
      .optional(),
    ttl: milliseconds.optional(),
    ttlJitter: fraction.optional(),
    invalidation: z.enum(['tracking', 'pubsub', 'none']).optional(),
    serializer: z
      .object({ serialize: z.function(), deserialize: z.function() }, { invalid_type_error: 'must be { serialize, deserialize }' })
      .optional(),
    l2Timeout: positiveMilliseconds.optional(),
    distributedLock: z.union([z.boolean(), z.object({ ttl: positiveMilliseconds, wait: milliseconds }).strict()]).optional(),
    staleIfError: milliseconds.optional(),
    negativeTtl: milliseconds.optional(),
    readAtTurnEnd: z.boolean().optional(),
    earlyRefresh: fraction.optional(),
    // Checked by checkMetricsOptions, the engine's own check.
    metrics: z.unknown().optional(),
  })
  .strict();

/** The issue to report: for a union, the branch that got furthest into the value. */
function deepestIssue(issue: z.ZodIssue): z.ZodIssue {
  if (issue.code !== z.ZodIssueCode.invalid_union) return issue;
  let best: z.ZodIssue | undefined;
  for (const error of issue.unionErrors) {
    for (const inner of error.issues) {
      const candidate = deepestIssue(inner);
      if (best === undefined || candidate.path.length > best.path.length || (best.code === 'invalid_type' && candidate.code !== 'invalid_type')) {
        best = candidate;
      }
    }
  }
  return best ?? issue;
}

function isTypeIssue(issue: z.ZodIssue): boolean {
  return (
    issue.code === z.ZodIssueCode.invalid_type ||
    issue.code === z.ZodIssueCode.unrecognized_keys ||
    (issue.code === z.ZodIssueCode.custom && issue.params?.type === true)
  );
}

function optionError(issue: z.ZodIssue): Error {
  const path = issue.path.join('.');
  const message =
    issue.code === z.ZodIssueCode.unrecognized_keys
      ? `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ')}`
      : `${path || 'options'} ${issue.message}`;
  const text = `TieredCache: ${message}`;
  return isTypeIssue(issue) ? new TypeError(text) : new RangeError(text);
}

export function resolveTieredOptions<V>(options: TieredCacheOptions<V>): ResolvedTieredOptions<V> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('TieredCache: options must be an object with at least redis and namespace');
  }
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw optionError(deepestIssue(parsed.error.issues[0]));
  const o = parsed.data;
  const lock = o.distributedLock === true ? DEFAULT_LOCK : o.distributedLock === false ? undefined : o.distributedLock;
  const l1 = (options.l1 ?? { maxBytes: DEFAULT_L1_BYTES }) as L1Options<V>;
  return {
    redis: options.redis,
    namespace: o.namespace,
    l1: l1.maxBytes === undefined && l1.maxEntries === undefined ? { ...l1, maxBytes: DEFAULT_L1_BYTES } : l1,
    ttl: o.ttl ?? 0,
    ttlJitter: o.ttlJitter ?? 0,
    invalidation: o.invalidation ?? 'tracking',
    serializer: (options.serializer ?? jsonSerializer) as Serializer<V>,
    l2Timeout: o.l2Timeout ?? 500,
    distributedLock: lock,
    staleIfError: o.staleIfError ?? 0,
    negativeTtl: o.negativeTtl ?? 0,
    readAtTurnEnd: o.readAtTurnEnd ?? false,
    earlyRefresh: o.earlyRefresh ?? 0,
    metrics: checkMetricsOptions(options.metrics, 'TieredCache: metrics'),
  };
}

/** Per-call TTL options of set and getOrLoad, checked the same way. */
export const callOptionsSchema = z
  .object({
    ttl: milliseconds.optional(),
    l1Ttl: milliseconds.optional(),
    staleIfError: milliseconds.optional(),
    negativeTtl: milliseconds.optional(),
    tags: z.array(z.string({ invalid_type_error: 'must be strings' }).min(1, 'must not be empty')).optional(),
  })
  .strict();

export function checkCallOptions(options: unknown, method: string): void {
  if (options === undefined) return;
  const parsed = callOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const error = optionError(deepestIssue(parsed.error.issues[0]));
    error.message = error.message.replace('TieredCache:', `TieredCache.${method}:`);
    throw error;
  }
}
