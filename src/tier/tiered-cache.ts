/**
 * TieredCache: an in-process L1 (the W-TinyLFU engine) in front of Redis (L2) in front of a
 * loader (the origin), kept coherent across every instance that shares the namespace.
 *
 * Design:
 * - Reads go L1 -> L2 -> loader; a value found below is stored in the tiers above it. The L1
 *   holds live values (no serialization on a hit): the bare value, or an entry with its deadlines
 *   when something needs them, built by one function (./promotion.ts) whatever the value came
 *   from, and stored with its fresh life as engine TTL (./l1-store.ts), so a hit is one `get`.
 * - Writes go to Redis first (the source of truth), then every instance's L1 drops its copy: the
 *   invalidation channel (./tracking-channel.ts, ./pubsub-channel.ts) reports each change, and the
 *   writer updates its own L1 directly.
 * - The read-in-flight race (an invalidation overtaking a read's reply) is closed by the same
 *   ReadGuard the proxy uses: every L2 read, load and write takes a ticket, and its result enters
 *   L1 only if no invalidation of the key (or flush) came in between.
 * - Losing the channel flushes L1, and so does getting it back. While it is down, nothing read
 *   from Redis or written to it enters L1 (another program's write would not remove it); only the
 *   loader's value when Redis cannot take it (an outage: nobody writes then) is kept, until the
 *   channel's return flushes it.
 * - Concurrent misses of a key in one process share one flight; with `distributedLock`, one
 *   instance of the fleet loads while the others wait for its value (./distributed-lock.ts).
 *   The engine's own getOrLoad is not used for this: it fixes the entry's TTL before the load,
 *   while here it is known only after (Redis's PTTL, or the write's jittered TTL).
 * - Redis trouble never fails a read another tier can answer: an L2 error or timeout counts as an
 *   L2 miss on the way to the loader, and only the loader's error (with no stale value to serve)
 *   or, for get(), the L2's own, reaches the caller.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Cache } from '../core/cache.js';
import { coarseNow } from '../core/clock.js';
import { jitteredTtl, type CacheStats } from '../core/options.js';
import type { TieredCounters, TieredFigures } from '../metrics/definitions.js';
import { bindTieredCacheMetrics } from '../metrics/tiered-metrics.js';
import { DistributedLock } from './distributed-lock.js';
import type { ChannelHandlers, ChannelState, InvalidationChannel } from './invalidation-channel.js';
import { Keyspace } from './keyspace.js';
import { L1Store } from './l1-store.js';
import { L1Entry, remainingFromPttl, shouldRefreshEarly, type Stored } from './promotion.js';
import { PubSubChannel, encodeChange } from './pubsub-channel.js';
import { ReadGuard } from './read-guard.js';
import { RedisStore } from './redis-store.js';
import { targetOf } from './redis-target.js';
import type { Serializer } from './serializer.js';
import { checkCallOptions, resolveTieredOptions, type ResolvedTieredOptions, type TieredCacheOptions } from './tiered-options.js';
import { TrackingChannel } from './tracking-channel.js';
import { turnEnd } from './turn-end.js';

export interface TieredSetOptions {
  /** Redis TTL of this entry, ms (0: none); default: the cache's `ttl`. */
  ttl?: number;
  /** Longest life of the L1 copy, ms; default: `l1.ttl`. */
  l1Ttl?: number;
  /** Tags for invalidateTags. */
  tags?: string[];
}

export interface LoadOptions extends TieredSetOptions {
  /** ms after expiry during which a failing loader is answered with the last value; default: the cache's. */
  staleIfError?: number;
  /** ms a loader's `undefined` is remembered in L1; default: the cache's `negativeTtl`. */
  negativeTtl?: number;
}

export interface TieredCacheStats extends TieredCounters {
  l1: CacheStats;
  earlyRefreshes: number;
  /** Keys dropped from L1 because the channel reported them (tracking, or pub/sub: see `invalidation`). */
  invalidationsReceived: number;
  /** Keys this instance wrote or removed (set, delete, invalidateTags, failed writes): its L1 copy replaced or dropped. */
  invalidationsOwn: number;
  /** Whole-L1 flushes (clear() anywhere, channel lost or regained, FLUSHALL). */
  flushes: number;
}

interface CallSettings {
  ttl: number;
  l1Ttl: number;
  staleIfError: number;
  negativeTtl: number;
  tags: string[] | undefined;
}

type Loader<V> = (key: string) => V | undefined | Promise<V | undefined>;
type L2Lookup<V> = { found: true; value: V } | { found: false };
const L2_MISS = { found: false } as const;

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`TieredCache: a key must be a string, got ${typeof key}`);
}

function ownClient(url: string): Redis {
  return new Redis(url, {
    connectionName: 'cachee-l2',
    // Fail while disconnected instead of queueing (see ./redis-store.ts); ioredis reconnects by itself.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
}

export class TieredCache<V> {
  private readonly o: ResolvedTieredOptions<V>;
  private readonly l1: L1Store<V>;
  /** `l1.fresh`, read directly on the hit path. */
  private readonly fresh: Cache<string, Stored<V>>;
  private readonly clock: () => number;
  private readonly guard = new ReadGuard();
  private readonly keys: Keyspace;
  private readonly store: RedisStore;
  private readonly ownsClient: boolean;
  private readonly channel: InvalidationChannel | undefined;
  private readonly lock: DistributedLock | undefined;
  private readonly serializer: Serializer<V>;
  private readonly flights = new Map<string, Promise<V | undefined>>();
  private readonly refreshing = new Set<string>();
  /**
   * Tracking reports this instance's own writes back to it. Per key, how many of those reports
   * are still to come for writes whose value this L1 kept (see onInvalidated).
   */
  private readonly ownReportsDue = new Map<string, number>();
  private readonly defaults: CallSettings;
  private readonly id = randomUUID();
  private closed = false;
  private readonly counts = {
    l2Hits: 0,
    l2Misses: 0,
    l2Errors: 0,
    loads: 0,
    loadErrors: 0,
    staleServed: 0,
    earlyRefreshes: 0,
    invalidationsReceived: 0,
    invalidationsOwn: 0,
    flushes: 0,
  };
  private readonly unbindMetrics: (() => void) | undefined;

  constructor(options: TieredCacheOptions<V>) {
    const o = (this.o = resolveTieredOptions(options));
    if (typeof o.redis !== 'string' && o.redis.options.keyPrefix) {
      throw new TypeError('TieredCache: the client has a keyPrefix; pass a client without one and use namespace instead');
    }
    const target = o.invalidation === 'tracking' ? targetOf(o.redis) : undefined;
    this.clock = o.l1.now ?? coarseNow;
    try {
      this.l1 = new L1Store<V>(o.l1, this.clock, o.earlyRefresh > 0);
    } catch (error) {
      (error as Error).message = `TieredCache: l1: ${(error as Error).message}`;
      throw error;
    }
    this.fresh = this.l1.fresh;
    this.serializer = o.serializer;
    this.defaults = { ttl: o.ttl, l1Ttl: o.l1.ttl ?? 0, staleIfError: o.staleIfError, negativeTtl: o.negativeTtl, tags: undefined };
    this.keys = new Keyspace(o.namespace);

    this.ownsClient = typeof o.redis === 'string';
    const client = typeof o.redis === 'string' ? ownClient(o.redis) : o.redis;
    if (this.ownsClient) client.on('error', () => {}); // every failure also fails the call that met it
    else if (client.status === 'wait') client.connect().catch(() => {});
    const announce = o.invalidation === 'pubsub' ? (change: Parameters<typeof encodeChange>[1]) => encodeChange(this.id, change) : undefined;
    this.store = new RedisStore(client, this.keys, o.l2Timeout, this.id, announce);
    if (o.distributedLock !== undefined) this.lock = new DistributedLock(this.store, o.distributedLock);

    const handlers: ChannelHandlers = {
      invalidate: (keys) => this.onInvalidated(keys),
      flush: () => this.flushLocal(),
      stateChanged: () => {},
    };
    const channelTimeout = Math.max(o.l2Timeout, 1000);
    if (o.invalidation === 'tracking') this.channel = new TrackingChannel(target!, this.keys, channelTimeout, handlers);
    else if (o.invalidation === 'pubsub') this.channel = new PubSubChannel(client, this.keys.channel, this.id, channelTimeout, handlers);
    this.channel?.start();
    if (o.metrics !== undefined) {
      // Weakly: a cache dropped without close() leaves the registry instead of staying alive in it.
      const ref = new WeakRef(this);
      this.unbindMetrics = bindTieredCacheMetrics(
        { figures: () => ref.deref()?.metricFigures(), l2Latency: () => ref.deref()?.store.latency },
        o.metrics,
      );
    }
  }

  /** 'connected': other instances' writes reach this L1; 'down': lost (L1 was flushed); 'off': no channel. */
  get invalidationState(): ChannelState {
    return this.channel?.state ?? 'off';
  }

  /** Whether the L2 client is connected. */
  get l2Available(): boolean {
    return this.store.available;
  }

  // ---------------------------------------------------------------- reads

  /** The L1 copy (the engine keeps only fresh ones); never touches Redis. */
  getLocal(key: string): V | undefined {
    const stored = this.fresh.get(key);
    return this.l1.holdsEntries && stored instanceof L1Entry ? stored.value : (stored as V | undefined);
  }

  /** L1, then L2 (promoting into L1). Rejects only when L1 misses and Redis cannot answer. */
  get(key: string): Promise<V | undefined> {
    if (this.o.readAtTurnEnd) return turnEnd().then(() => this.getNow(key));
    return this.getNow(key);
  }

  private getNow(key: string): Promise<V | undefined> {
    const stored = this.fresh.get(key);
    // Not an async function: a hit costs one resolved promise, nothing more.
    if (stored !== undefined) return Promise.resolve(this.l1.holdsEntries && stored instanceof L1Entry ? stored.value : (stored as V));
    return this.getBelow(key);
  }

  private async getBelow(key: string): Promise<V | undefined> {
    checkKey(key);
    this.checkOpen();
    const found = await this.readL2(key, this.defaults);
    return found.found ? found.value : undefined;
  }

  /**
   * L1, then L2, then `loader` (its value is written to L2 and L1). Concurrent misses share one
   * loader call. A loader returning `undefined` is a miss, cached only with `negativeTtl`.
   */
  async getOrLoad<R extends V | undefined = V>(key: string, loader: (key: string) => R | Promise<R>, options?: LoadOptions): Promise<R> {
    if (this.o.readAtTurnEnd) await turnEnd();
    const stored = this.fresh.get(key);
    if (stored !== undefined) {
      if (stored instanceof L1Entry) {
        if (this.o.earlyRefresh > 0) this.considerEarlyRefresh(key, stored, loader, options);
        return stored.value as R;
      }
      return stored as R;
    }
    checkKey(key);
    this.checkOpen();
    if (typeof loader !== 'function') throw new TypeError('TieredCache.getOrLoad: loader must be a function');
    let flight = this.flights.get(key);
    if (flight === undefined) {
      const settings = this.settings(options, 'getOrLoad');
      const started = this.load(key, loader, settings);
      flight = started;
      this.flights.set(key, started);
      const finish = () => {
        if (this.flights.get(key) === started) this.flights.delete(key);
      };
      started.then(finish, finish);
    }
    return flight as Promise<R>;
  }

  private async load(key: string, loader: Loader<V>, settings: CallSettings): Promise<V | undefined> {
    let l2Up = true;
    try {
      const found = await this.readL2(key, settings);
      if (found.found) return found.value;
    } catch {
      l2Up = false;
    }
    let lease;
    if (this.lock !== undefined && l2Up) {
      const outcome = await this.lock.acquireOrWait(key, () => this.readL2(key, settings));
      if (outcome.kind === 'value') return outcome.value;
      lease = outcome.lease;
    }
    try {
      return await this.loadFromOrigin(key, loader, settings);
    } catch (error) {
      const kept = this.l1.lastResortValue(key);
      if (kept !== undefined) {
        this.counts.staleServed++;
        return kept.value;
      }
      throw error;
    } finally {
      // The value is in L2 already (waiters look there); callers need not wait for the unlock.
      void lease?.release();
    }
  }

  /** Calls the loader and stores its value in L2 and L1, unless the key changed meanwhile. */
  private async loadFromOrigin(key: string, loader: Loader<V>, settings: CallSettings): Promise<V | undefined> {
    const ticket = this.guard.begin(key);
    let value: V | undefined;
    this.counts.loads++;
    try {
      value = await loader(key);
    } catch (error) {
      this.guard.settle(ticket);
      this.counts.loadErrors++;
      throw error;
    }
    // Someone wrote or deleted the key while we loaded: theirs is newer; ours is only returned.
    if (!this.guard.settle(ticket)) return value;
    if (value === undefined) {
      if (settings.negativeTtl > 0 && this.l1Coherent()) this.storeLocal(key, undefined, settings.negativeTtl, { ...settings, l1Ttl: 0, staleIfError: 0 });
      return undefined;
    }
    try {
      await this.writeThrough(key, value, settings);
    } catch {
      // Redis is down: the value still serves this instance, until the channel's return flushes it.
      this.counts.l2Errors++;
      this.storeLocal(key, value, settings.ttl > 0 ? settings.ttl : Infinity, settings);
    }
    return value;
  }

  /** GET + PTTL, promoting a hit into L1 unless the key was invalidated while the reply travelled. */
  private async readL2(key: string, settings: CallSettings): Promise<L2Lookup<V>> {
    const ticket = this.guard.begin(key);
    let reply;
    try {
      reply = await this.store.read(key);
    } catch (error) {
      this.guard.settle(ticket);
      this.counts.l2Errors++;
      throw error;
    }
    const untouched = this.guard.settle(ticket);
    if (reply.bytes === null) {
      this.counts.l2Misses++;
      return L2_MISS;
    }
    this.counts.l2Hits++;
    const value = this.serializer.deserialize(reply.bytes);
    if (untouched && this.l1Coherent()) this.storeLocal(key, value, remainingFromPttl(reply.pttl), settings);
    return { found: true, value };
  }

  private considerEarlyRefresh(key: string, entry: L1Entry<V>, loader: Loader<V>, options: LoadOptions | undefined): void {
    const ttl = options?.ttl ?? this.o.ttl;
    const now = this.clock();
    if (this.refreshing.has(key) || !shouldRefreshEarly(entry, now, this.o.earlyRefresh * ttl, Math.random())) return;
    const settings = this.settings(options, 'getOrLoad');
    this.refreshing.add(key);
    this.counts.earlyRefreshes++;
    void this.refresh(key, loader, settings)
      .catch(() => {}) // the current value keeps being served until it expires
      .finally(() => this.refreshing.delete(key));
  }

  /** A background reload; with the fleet lock, skipped when another instance is already at it. */
  private async refresh(key: string, loader: Loader<V>, settings: CallSettings): Promise<void> {
    const lease = this.lock === undefined ? undefined : await this.lock.tryAcquire(key);
    if (this.lock !== undefined && lease === undefined) return;
    try {
      await this.loadFromOrigin(key, loader, settings);
    } finally {
      await lease?.release();
    }
  }

  // ---------------------------------------------------------------- writes

  /** Writes to Redis, then updates this L1 and invalidates every other instance's. */
  async set(key: string, value: V, options?: TieredSetOptions): Promise<void> {
    checkKey(key);
    this.checkOpen();
    if (value === undefined) throw new TypeError('TieredCache.set: undefined means absent; use delete()');
    await this.writeThrough(key, value, this.settings(options, 'set'));
    this.counts.invalidationsOwn++;
  }

  private async writeThrough(key: string, value: V, settings: CallSettings): Promise<void> {
    const bytes = this.serializer.serialize(value);
    const ttl = this.jittered(settings.ttl);
    const ticket = this.guard.begin(key);
    try {
      await this.store.write(key, bytes, ttl, settings.tags);
    } catch (error) {
      this.guard.settle(ticket);
      this.dropLocal(key); // the write may or may not have happened
      throw error;
    }
    const untouched = this.guard.settle(ticket);
    // Reads still in flight were sent before this write: their replies must not enter L1.
    this.guard.invalidate(key);
    if (untouched && this.l1Coherent()) {
      this.storeLocal(key, value, ttl > 0 ? ttl : Infinity, settings);
      if (this.o.invalidation === 'tracking') this.ownReportsDue.set(key, (this.ownReportsDue.get(key) ?? 0) + 1);
    } else {
      this.l1.delete(key);
    }
  }

  /** Deletes from Redis and from every instance's L1; true when Redis held the key. */
  async delete(key: string): Promise<boolean> {
    checkKey(key);
    this.checkOpen();
    try {
      return await this.store.delete(key);
    } finally {
      this.dropLocal(key);
    }
  }

  /**
   * Deletes every key that starts with `prefix` from Redis and from every instance's L1 (a SCAN:
   * O(keys in the namespace)); returns how many Redis held. A key written meanwhile may survive.
   */
  async deleteByPrefix(prefix: string): Promise<number> {
    checkKey(prefix);
    this.checkOpen();
    let deleted: string[];
    try {
      deleted = await this.store.deleteByPrefix(prefix);
    } catch (error) {
      this.flushLocal(); // some batches may have gone: which keys is not known
      throw error;
    }
    for (const key of deleted) this.dropLocal(key);
    return deleted.length;
  }

  /** Removes every key written with any of `tags` from L2 and from every instance's L1. */
  async invalidateTags(tags: string[]): Promise<void> {
    this.checkOpen();
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
      throw new TypeError('TieredCache.invalidateTags: tags must be an array of strings');
    }
    if (tags.length === 0) return;
    const keys = await this.store.invalidateTags(tags);
    for (const key of keys) this.dropLocal(key);
  }

  /** Deletes every key of the namespace in Redis and flushes every instance's L1. */
  async clear(): Promise<void> {
    this.checkOpen();
    try {
      await this.store.clear();
    } finally {
      this.flushLocal();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unbindMetrics?.();
    await this.channel?.close();
    this.store.close();
    if (this.ownsClient) this.store.client.disconnect();
    this.l1.clear();
  }

  stats(): TieredCacheStats {
    return { l1: this.l1.stats(), ...this.counts, l2Requests: this.store.requests };
  }

  /** What the metrics show (src/metrics/definitions.ts), from stats(). */
  private metricFigures(): TieredFigures {
    const stats = this.stats();
    const received = stats.invalidationsReceived;
    const channel = this.invalidationState;
    return {
      ...stats,
      l1: { ...stats.l1, maxBytes: this.fresh.maxBytes },
      invalidations: {
        ownWrite: stats.invalidationsOwn,
        tracking: this.o.invalidation === 'tracking' ? received : 0,
        pubsub: this.o.invalidation === 'pubsub' ? received : 0,
        flush: stats.flushes,
      },
      l2Up: this.l2Available,
      invalidation: channel === 'connected' ? (this.o.invalidation === 'pubsub' ? 'pubsub' : 'tracking') : channel === 'down' ? 'down' : 'none',
    };
  }

  // ---------------------------------------------------------------- L1

  /** Whether a write elsewhere would reach L1 now: the channel is not down ('off': `l1.ttl` bounds it). */
  private l1Coherent(): boolean {
    return this.channel === undefined || this.channel.state !== 'down';
  }

  private storeLocal(key: string, value: V | undefined, remaining: number, settings: CallSettings): void {
    this.l1.put(key, value, { remaining, l1Ttl: settings.l1Ttl, staleIfError: settings.staleIfError });
  }

  /**
   * Keys the channel reports as changed. Two reports leave the L1 copy in place:
   * - The report of this instance's own write. Reports come in Redis's order on one connection,
   *   and the write's own report had not arrived when its reply did (its ticket was untouched),
   *   so the first report after the reply is either that one or one of an earlier write, after
   *   which ours still comes: skipping exactly one is safe, a later write's report still drops it.
   * - The report of the entry's own expiry in Redis: a copy with a staleIfError window stays as
   *   the loader's last resort, no longer servable as fresh (./l1-store.ts).
   */
  private onInvalidated(keys: string[]): void {
    this.counts.invalidationsReceived += keys.length;
    for (const key of keys) {
      this.lock?.notify(key);
      const due = this.ownReportsDue.get(key);
      if (due !== undefined) {
        if (due > 1) this.ownReportsDue.set(key, due - 1);
        else this.ownReportsDue.delete(key);
        this.guard.invalidate(key);
        continue;
      }
      this.guard.invalidate(key);
      this.l1.reported(key);
    }
  }

  private dropLocal(key: string): void {
    this.counts.invalidationsOwn++;
    this.guard.invalidate(key);
    this.l1.delete(key);
  }

  private flushLocal(): void {
    this.counts.flushes++;
    this.ownReportsDue.clear();
    this.guard.invalidateAll();
    this.l1.clear();
  }

  // ---------------------------------------------------------------- helpers

  private settings(options: LoadOptions | undefined, method: string): CallSettings {
    if (options === undefined) return this.defaults;
    checkCallOptions(options, method);
    const d = this.defaults;
    return {
      ttl: options.ttl ?? d.ttl,
      l1Ttl: options.l1Ttl ?? d.l1Ttl,
      staleIfError: options.staleIfError ?? d.staleIfError,
      negativeTtl: options.negativeTtl ?? d.negativeTtl,
      tags: options.tags,
    };
  }

  private jittered(ttl: number): number {
    // Whole ms of at least 1: Redis's PX.
    if (ttl <= 0 || this.o.ttlJitter === 0) return ttl;
    return Math.max(1, Math.round(jitteredTtl(ttl, this.o.ttlJitter)));
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('TieredCache: closed');
  }
}
