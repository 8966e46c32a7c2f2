/**
 * TieredCache's L1: the engine holding fresh entries (stored with their fresh life as engine TTL,
 * so a hit is one engine `get` and no clock check), plus, created on first need, a second engine
 * with the same bounds for last-resort copies: entries with a `staleIfError` window move there
 * when they expire from the first, and are read only when a loader fails.
 */
import { Cache } from '../core/cache.js';
import type { CacheStats, EvictionReason } from '../core/options.js';
import { L1Entry, l1Entry, valueOf, type EntryTimes, type Stored } from './promotion.js';
import type { L1Options } from './tiered-options.js';

/**
 * How early (ms, on this clock) a report may come and still be taken for the expiry: Redis started
 * the TTL when it ran the write, and this clock may lag a loaded event loop. Generous on purpose:
 * a write mistaken for the expiry only leaves the old value as the loader's last resort, and a
 * read goes to L2 (which has the new one) before any loader.
 */
const EXPIRY_REPORT_SLACK_MS = 1000;

export class L1Store<V> {
  readonly fresh: Cache<string, Stored<V>>;
  /** Set once any L1Entry was stored: until then every hit is a bare value and needs no check. */
  holdsEntries = false;
  private lastResort: Cache<string, Stored<V>> | undefined;
  private readonly engineOptions: ConstructorParameters<typeof Cache<string, Stored<V>>>[0];

  constructor(
    options: L1Options<V>,
    private readonly clock: () => number,
    /** Early refresh is on: every entry keeps its deadlines. */
    private readonly keepDeadlines: boolean,
  ) {
    const { sizeOf, ttl: _l1Ttl, ...bounds } = options;
    this.engineOptions = {
      ...bounds,
      sizeOf:
        sizeOf === undefined
          ? undefined
          : (stored, key) => {
              const value = valueOf(stored);
              return value === undefined ? 0 : sizeOf(value, key);
            },
    };
    this.fresh = new Cache({ ...this.engineOptions, onEvict: (key, entry, reason) => this.evicted(key, entry, reason) });
  }

  private evicted(key: string, stored: Stored<V>, reason: EvictionReason): void {
    if (reason === 'expired' && stored instanceof L1Entry) this.keepAsLastResort(key, stored);
  }

  /** Keeps the entry for a failing loader until its `staleUntil`, if that is still ahead. */
  keepAsLastResort(key: string, entry: L1Entry<V>): void {
    const left = entry.staleUntil - this.clock();
    if (entry.value === undefined || !(left > 0) || entry.staleUntil <= entry.freshUntil) return;
    this.lastResort ??= new Cache(this.engineOptions);
    this.lastResort.set(key, entry, { ttl: left === Infinity ? 0 : left });
  }

  /** The value to serve when the loader failed: a fresh entry, else a last-resort copy in its window. */
  lastResortValue(key: string): { value: V } | undefined {
    const live = valueOf(this.fresh.peek(key));
    if (live !== undefined) return { value: live };
    // An entry the engine still holds past its deadline (its wheel is about a second precise)
    // leaves as 'expired' on delete, and evicted() moves it to the last-resort copies.
    this.fresh.delete(key);
    const kept = this.lastResort?.peek(key) as L1Entry<V> | undefined;
    if (kept === undefined || kept.value === undefined || !(kept.staleUntil > this.clock())) return undefined;
    return { value: kept.value };
  }

  put(key: string, value: V | undefined, times: Omit<EntryTimes, 'now' | 'keepDeadlines'>): void {
    this.lastResort?.delete(key);
    const made = l1Entry(value, { ...times, now: this.clock(), keepDeadlines: this.keepDeadlines });
    if (made === undefined) this.fresh.delete(key);
    else {
      if (made.stored instanceof L1Entry) this.holdsEntries = true;
      this.fresh.set(key, made.stored, { ttl: made.engineTtl });
    }
  }

  /**
   * A key the invalidation channel reported as changed: it leaves L1, except that a report that
   * may be of the entry's own expiry in Redis (it came at or after `expiresAt`, give or take the
   * slack) keeps the last-resort copy. Any later report for an expired key is a new write, which
   * L2 now answers before the loader; a delete of an expired key is no change and reports nothing.
   */
  reported(key: string): void {
    const now = this.clock();
    const stored = this.fresh.peek(key);
    const live = stored instanceof L1Entry ? stored : undefined;
    // Deleting an entry the engine holds past its deadline evicts it as 'expired': evicted() then moves it.
    this.fresh.delete(key);
    const entry = live ?? (this.lastResort?.peek(key) as L1Entry<V> | undefined);
    if (entry !== undefined && now >= entry.expiresAt - EXPIRY_REPORT_SLACK_MS) {
      if (live !== undefined) this.keepAsLastResort(key, live);
      return;
    }
    this.lastResort?.delete(key);
  }

  delete(key: string): void {
    this.fresh.delete(key);
    this.lastResort?.delete(key);
  }

  clear(): void {
    this.fresh.clear();
    this.lastResort?.clear();
  }

  stats(): CacheStats {
    return this.fresh.stats();
  }
}
