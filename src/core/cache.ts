/**
 * The L1 engine: a bounded in-process cache with a W-TinyLFU policy, a byte budget, per-entry
 * TTLs and read-through loading. Everything else in cachee (the tiered cache, the proxy) is a
 * thin layer over this class; it does no I/O.
 *
 * The policy is Window TinyLFU as Caffeine implements it (Einziger, Friedman, Manes, "TinyLFU: A
 * Highly Efficient Cache Admission Policy", 2017; Einziger, Eytan, Friedman, Manes, "Adaptive
 * Software Cache Management", Middleware 2018):
 * - A newcomer enters a small LRU admission *window*. Entries pushed out of the window become
 *   *candidates* for the main space, a segmented LRU of *probation* and *protected* (80% of main).
 * - When the cache is over its bound, the candidate competes with probation's LRU *victim*: the
 *   one the frequency sketch (./frequency-sketch.ts) has seen less often recently is evicted.
 *   Candidates that are at least warm win against a hotter victim with probability 1/128, so an
 *   attacker who inflates a victim's counters by hash collisions cannot freeze the cache.
 * - A hit in probation promotes to protected; protected's overflow is demoted back to probation.
 * - A climber (./window-climber.ts) moves capacity between the window and the main space. It
 *   reads within-sample signals (ghosts of recently rejected candidates and evicted victims; the
 *   regions' hit densities) and uses the hit rate to veto moves that hurt, so recency-heavy
 *   workloads get a large window and frequency-heavy ones (and loops) a small one.
 *
 * Layout, for speed and memory: entries live in numbered slots (structure of arrays, as
 * lru-cache does); the `Map` maps a key to its slot, a small integer. The queues are circular
 * doubly-linked lists threaded through one Int32Array (`meta`: two words a slot, prev and next,
 * whose high bits also hold the entry's queue and its pending access count), with slots 0..2 as
 * the queues' sentinels. That is 8 bytes a slot beyond the key and value references, as
 * lru-cache's prev/next. The key's sketch hash is not stored but computed when the entry competes
 * for admission or leaves. A hit only appends the slot to a read buffer; the buffer is replayed
 * into the policy every 64 hits and before any write, so the policy stays exact while `get` stays
 * cheap.
 *
 * The sketch is a table of random cache lines: touching it on every hit would cost more than the
 * hash-map lookup itself. So a resident entry counts its own accesses in its meta words (4 bits,
 * on the cache line the LRU move touches anyway), its frequency is the sketch's estimate plus
 * that count, and the count is written into the sketch when the entry leaves. Just before the
 * sketch halves, the main space's entries write their counts into it too: halving the two parts
 * apart would round an entry's total down by up to 1 more than a non-resident's, so residents
 * would lose the ties they must win (on a loop the main then churns: loop 250 lost 1.7 points).
 * The window's entries keep theirs, halved with the sketch, as they are about to compete anyway.
 *
 * Expiry uses a hierarchical timer wheel (./timer-wheel.ts), advanced by reads, writes and an
 * unref'd 1 s interval, so expired entries are reclaimed even when nobody reads them.
 *
 * Memory: by default `maxBytes` bounds the entries' sizes, each with an estimate of its share of
 * the structures. With `countStructures` (the proxy's L1, which must keep a process within a
 * budget) it bounds what the cache holds: the entries, the structures at their present size
 * (keys are then found through the engine's own index, ./slot-index.ts, whose size it knows,
 * instead of a Map), the arrays they replaced until collected, and the owner's `externalBytes`.
 * The slots grow only when the budget pays for the larger arrays and for the old ones meanwhile
 * (planSlots); otherwise the slots bound the cache like the bytes do.
 */
import { coarseNow } from './clock.js';
import { FrequencySketch } from './frequency-sketch.js';
import { hashKey } from './hash.js';
import { SlotIndex } from './slot-index.js';
import { UncollectedBytes } from './uncollected.js';
import {
  checkTtl,
  defaultSketchBytes,
  jitteredTtl,
  MAX_ENTRIES,
  resolveOptions,
  type CacheOptions,
  type CacheStats,
  type EvictionReason,
  type SetOptions,
} from './options.js';
import { estimateBytes } from './size-of.js';
import { TimerWheel } from './timer-wheel.js';
import { WindowClimber } from './window-climber.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const FREE = 3;
/** Slots 0..2 are the sentinels of the three queues; entries start here. */
const FIRST_SLOT = 3;
const NONE = -1;
/**
 * Two words per slot in `meta`: [prev | queue << 28, next | pending accesses << 28]. Slot numbers
 * take the low 28 bits, so a cache holds at most MAX_ENTRIES entries.
 */
const STRIDE = 2;
const SLOT_MASK = 0x0fffffff;
const HIGH_MASK = ~SLOT_MASK;
const HIGH_SHIFT = 28;
const PENDING_MAX = 15;
/** Pace of the count sweep before each halving (see sweepCountsToSketch). */
const SWEEP_SLOTS_PER_ACCESS = 4;
/** The climber's ghosts take non-negative 30-bit hashes. */
const GHOST_HASH_SHIFT = 2;

const READ_BUFFER_SIZE = 64;
const PERCENT_MAIN = 0.99;
const PERCENT_MAIN_PROTECTED = 0.8;
/** A candidate this warm may displace a hotter victim, at random (hash-flooding defence). */
const ADMIT_WARM_FREQUENCY = 6;
const QUEUE_TRANSFER_LIMIT = 1000;
const INITIAL_SLOTS = 1024;
/** With countStructures the slots start fewer: they are counted against the budget, which may be small. */
const INITIAL_SLOTS_COUNTED = 64;
const EXPIRY_SWEEP_MS = 1000;
/** Entries `hottest` looks at by default. */
export const HOTTEST_SAMPLE = 4096;

/**
 * Bookkeeping bytes per entry that the default size estimate adds to the key and the value:
 * the Map's entry (key, value, chain: 24 bytes, plus its share of buckets and spare capacity),
 * this class's per-slot arrays (keys, values, meta, sizes: 8 each; expiry: 16 more with TTLs)
 * and the slots kept spare as the arrays grow. Calibrated against heap growth by the memory
 * benchmark.
 */
export const ENTRY_OVERHEAD_BYTES = 88;

/**
 * With countStructures, the structures' bytes per entry, for estimates made without a cache (`cachee
 * simulate`): the index at 2.5 cells a key (8 bytes a cell; it is 30-60% full) and six per-slot
 * words at 1.5 slots a key (the arrays double as they grow).
 */
export const TYPICAL_STRUCTURE_BYTES = 2.5 * 8 + 1.5 * 6 * 8;

interface Flight<V> {
  promise: Promise<V>;
  /** Set when the key was written or deleted during the load: its result must not be cached. */
  stale: boolean;
}

export class Cache<K, V> {
  private readonly map = new Map<K, number>();
  private keys: (K | undefined)[] = [];
  private values: (V | undefined)[] = [];
  private meta: Int32Array;
  /** Each slot's size in bytes; present when sizes are tracked (maxBytes or sizeOf). */
  private sizes: Float64Array | undefined;
  private wheel: TimerWheel | undefined;
  /** The wheel's deadlines (kept here too so `get` reads one field). */
  private expiresAt: Float64Array = new Float64Array(0);
  private expiring = false;
  private capacity = 0;
  private nextUnused = FIRST_SLOT;
  private freeHead = NONE;

  private sketch: FrequencySketch;
  private readonly readBuffer = new Int32Array(READ_BUFFER_SIZE);
  private readCount = 0;
  /** Accesses counted in entries but not yet toward the sketch's aging period. */
  private uncountedAccesses = 0;
  /** The next slot whose count the pre-halving sweep moves to the sketch; NONE between sweeps. */
  private sweepCursor = NONE;

  /** Policy weights are bytes when maxBytes is set, else 1 per entry. */
  private readonly weighted: boolean;
  private readonly maxWeight: number;
  private readonly maxCount: number;
  private readonly maxSlots: number;
  private totalWeight = 0;
  private windowWeight = 0;
  private protectedWeight = 0;
  private windowMax: number;
  private protectedMax: number;
  private count = 0;
  private totalBytes = 0;
  /** Entries the cache holds when full, for sample sizes; learned when bytes bound it. */
  private capacityEstimate: number;
  /**
   * Bytes bound the cache, so its capacity in entries is learned (capacityEstimate) as it fills:
   * from a guess of 1,024 when bytes alone bound it, else down from maxEntries if the bytes bind first.
   */
  private readonly learnsCapacity: boolean;
  /** The sketch still has its size for an unknown capacity (see fitSketch). */
  private sketchUnfitted: boolean;
  /** The climber's sample length for capacityEstimate, kept with it (maintain reads it on every write). */
  private climberSampleSize: number;

  private climber: WindowClimber;
  /** Window weight the climber still wants moved (+: grow the window); applied over several maintenance runs. */
  private adjustment = 0;
  private sampleHitsStart = 0;
  private sampleMissesStart = 0;
  private random: number;
  private readonly seed: number;
  /** The slot whose key `victimMemoHash`/`hashMemo` hash; NONE when none. */
  private victimMemoSlot = NONE;
  private victimMemoHash = 0;
  private hashMemoSlot = NONE;
  private hashMemo = 0;

  private readonly sizeOf: ((value: V, key: K) => number) | undefined;
  /** With countStructures: the index of keys to slots, in place of `map` (see ./slot-index.ts). */
  private readonly index: SlotIndex<K> | undefined;
  private readonly externalBytes: ((slots: number) => number) | undefined;
  /** With countStructures: arrays replaced as the slots grew, until collected. */
  private readonly garbage: UncollectedBytes | undefined;
  /** With countStructures: structures and external bytes, as read at the last write (see heldBytes). */
  private reservedWeight = 0;
  /** With countStructures: the most entries the slots may hold now (see planSlots). */
  private slotLimit = Infinity;
  private readonly defaultTtl: number;
  private readonly ttlJitter: number;
  private readonly onEvict: ((key: K, value: V, reason: EvictionReason) => void) | undefined;
  private readonly clock: () => number;
  /** Evicted entries awaiting `onEvict`: [key, value, reason, key, value, reason, ...]. */
  private readonly notices: unknown[] = [];
  private notifying = false;
  private readonly flights = new Map<K, Flight<V>>();
  private sweepTimer: ReturnType<typeof setInterval> | undefined;

  private hitCount = 0;
  private missCount = 0;
  private evictionCount = 0;
  private rejectionCount = 0;
  private expirationCount = 0;
  private loadCount = 0;
  private loadErrorCount = 0;

  constructor(options: CacheOptions<K, V>) {
    const o = resolveOptions(options);
    this.weighted = o.maxBytes !== Infinity;
    this.maxWeight = this.weighted ? o.maxBytes : o.maxEntries;
    this.maxCount = Math.min(o.maxEntries, MAX_ENTRIES);
    // One spare slot: a newcomer is inserted before the eviction that makes room for it.
    this.maxSlots = Math.min(o.maxEntries, MAX_ENTRIES) + FIRST_SLOT + 1;
    this.seed = randomInt32();
    if (o.countStructures) {
      this.garbage = new UncollectedBytes();
      this.index = new SlotIndex<K>(this.seed, this.garbage);
      this.externalBytes = o.externalBytes;
    }
    if (this.weighted) {
      const overhead = o.countStructures ? 0 : ENTRY_OVERHEAD_BYTES;
      this.sizeOf = o.sizeOf ?? ((value: V, key: K) => estimateBytes(key) + estimateBytes(value) + overhead);
    } else {
      this.sizeOf = o.sizeOf;
    }
    this.defaultTtl = o.ttl;
    this.ttlJitter = o.ttlJitter;
    this.onEvict = o.onEvict;
    this.clock = o.now ?? coarseNow;

    this.windowMax = this.maxWeight - Math.floor(PERCENT_MAIN * this.maxWeight);
    this.protectedMax = Math.floor(PERCENT_MAIN_PROTECTED * (this.maxWeight - this.windowMax));

    this.learnsCapacity = this.weighted;
    this.capacityEstimate = o.maxEntries === Infinity ? 1024 : o.maxEntries;
    this.sketchUnfitted = o.sketchFitsOnFill;
    this.sketch = new FrequencySketch(o.sketchBytes, 10 * this.capacityEstimate);
    this.climber = new WindowClimber(this.maxWeight, this.sketch.byteLength);
    this.climberSampleSize = this.climber.sampleSize(this.capacityEstimate);
    this.random = randomInt32() | 1;

    this.meta = new Int32Array(0);
    this.growSlots(Math.min(this.maxSlots, (o.countStructures ? INITIAL_SLOTS_COUNTED : INITIAL_SLOTS) + FIRST_SLOT));
    this.resetSentinels();
  }

  // ---------------------------------------------------------------- reads

  /** Returns the stored value (the same reference that was set) or undefined; counts a hit or a miss. */
  get(key: K): V | undefined {
    const i = this.slotFor(key);
    if (i === undefined) {
      this.missCount++;
      return undefined;
    }
    if (this.expiring && this.isExpired(i)) {
      this.expireOnRead(i);
      return undefined;
    }
    this.hitCount++;
    const value = this.values[i];
    this.readBuffer[this.readCount] = i;
    if (++this.readCount === READ_BUFFER_SIZE) this.drainOnRead();
    return value;
  }

  /**
   * Where `key` is held (-1: absent), for an index kept beside the cache: the handle stays `key`'s
   * until the entry is removed, which onEvict reports (a replacement keeps it). No effect on the
   * policy or the stats.
   */
  slotOf(key: K): number {
    return this.slotFor(key) ?? -1;
  }

  /** Whether the entry at a handle from slotOf has not expired; no effect on the policy or the stats. */
  slotLive(i: number): boolean {
    return !(this.expiring && this.isExpired(i));
  }

  /**
   * Counts a hit on the entry at a handle from slotOf, as `get` does, once `slotLive` said it is
   * live. The maintenance this may run can remove entries: read what you need first.
   */
  touchSlot(i: number): void {
    this.hitCount++;
    this.readBuffer[this.readCount] = i;
    if (++this.readCount === READ_BUFFER_SIZE) this.drainOnRead();
  }

  /** The slot of `key`, or undefined. */
  private slotFor(key: K): number | undefined {
    return this.index === undefined ? this.map.get(key) : this.index.get(key, this.keys);
  }

  /** Like get, without touching the policy or the stats. */
  peek(key: K): V | undefined {
    const i = this.slotFor(key);
    if (i === undefined || (this.expiring && this.isExpired(i))) return undefined;
    return this.values[i];
  }

  /** Whether the key is present and not expired; no effect on the policy or the stats. */
  has(key: K): boolean {
    const i = this.slotFor(key);
    return i !== undefined && !(this.expiring && this.isExpired(i));
  }

  /**
   * The keys held now, expired ones left out, as an array (a snapshot, safe to delete from while
   * walking it); no effect on the policy or the stats. O(size): for removing a group of keys.
   */
  liveKeys(): K[] {
    const found: K[] = [];
    for (let q = WINDOW; q <= PROTECTED; q++) {
      for (let i = this.meta[q * STRIDE + 1] & SLOT_MASK; i !== q; i = this.meta[i * STRIDE + 1] & SLOT_MASK) {
        if (!(this.expiring && this.isExpired(i))) found.push(this.keys[i] as K);
      }
    }
    return found;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Sum of entry sizes, plus with countStructures the structures and external bytes (what
   * maxBytes bounds); 0 when sizes are not tracked (neither maxBytes nor sizeOf given).
   */
  get bytes(): number {
    return this.index === undefined ? this.totalBytes : this.totalBytes + this.heldBytes();
  }

  /**
   * Bytes of the engine's own structures at their present size: with countStructures its index of
   * keys (a Map's table is not counted: V8 does not tell its size) and the arrays the slots have
   * outgrown until they are collected; the per-slot arrays, the expiry wheel, the sketch with its
   * block index, the climber's ghosts and the read buffer.
   */
  get structureBytes(): number {
    const slotArrays = 2 * (16 + 8 * this.capacity) + this.meta.byteLength + (this.sizes?.byteLength ?? 0);
    return (
      (this.index?.byteLength ?? 0) +
      (this.garbage?.bytes ?? 0) +
      slotArrays +
      (this.wheel?.byteLength ?? 0) +
      this.sketch.memoryBytes +
      this.climber.byteLength +
      this.readBuffer.byteLength
    );
  }

  /** Entries the cache has slots for now (it grows them as it needs, up to maxEntries). */
  get slotCapacity(): number {
    return this.capacity - FIRST_SLOT;
  }

  /** With countStructures: what the cache holds besides its entries (structures and external bytes). */
  private heldBytes(): number {
    return this.structureBytes + (this.externalBytes?.(this.capacity - FIRST_SLOT) ?? 0);
  }

  /** With countStructures: the bytes of what is sized by the slots (engine and owner), for `slots` slots. */
  private slotSizedBytes(slots: number): number {
    const capacity = slots + FIRST_SLOT;
    const perSlot = 8 + 8 + 4 * STRIDE + (this.sizes === undefined ? 0 : 8) + (this.wheel === undefined ? 0 : 16);
    const external = this.externalBytes === undefined ? 0 : this.externalBytes(slots) - this.externalBytes(0);
    return perSlot * capacity + SlotIndex.bytesFor(capacity) + external;
  }

  /**
   * With countStructures, once every slot is taken: doubles the slots when the budget, after
   * paying for the larger arrays, holds more entries of the present mean size than there are
   * slots now, and then reserves room for the old arrays too (garbage until collected), so that
   * the growth never takes the cache past its budget; growSlots runs after the evictions. Else the
   * slots bound the cache: one more entry is evicted, so that the next newcomer has a slot.
   * Returns the capacity to grow to (0: none).
   */
  private planSlots(): number {
    const slots = this.capacity - FIRST_SLOT;
    const grown = Math.min(this.maxSlots, this.capacity * 2);
    if (grown === this.capacity) return 0;
    const now = this.slotSizedBytes(slots);
    const after = this.reservedWeight - now + this.slotSizedBytes(grown - FIRST_SLOT);
    const mean = this.totalWeight / this.count;
    if (this.maxWeight - after > (this.count + 1) * mean) {
      this.reservedWeight = after + now;
      return grown;
    }
    this.slotLimit = slots - 1;
    return 0;
  }

  /** The bound in bytes, Infinity when the cache is bounded by count only. */
  get maxBytes(): number {
    return this.weighted ? this.maxWeight : Infinity;
  }

  stats(): CacheStats {
    const lookups = this.hitCount + this.missCount;
    return {
      hits: this.hitCount,
      misses: this.missCount,
      hitRate: lookups === 0 ? 0 : this.hitCount / lookups,
      evictions: this.evictionCount,
      rejections: this.rejectionCount,
      expirations: this.expirationCount,
      entries: this.count,
      bytes: this.bytes,
      loads: this.loadCount,
      loadErrors: this.loadErrorCount,
    };
  }

  /**
   * The `limit` keys with the highest frequency estimate among a sample of at most `sampleSize`
   * resident entries, highest first. The estimate is the one admission uses (the sketch's count
   * plus the accesses the entry has not written to it yet, 0 to 15), so the hottest keys tie at
   * 15; ties keep the sampling order. The sample walks protected from its most recently used end,
   * then probation, then the window: where the entries that are read again and again live.
   *
   * Cost: O(sampleSize) (a hash and a sketch read per sampled entry) plus sorting the sample;
   * never a scan of the whole cache. No effect on the policy or the stats; the hits still in the
   * read buffer (fewer than 64, replayed at the next write) are not counted yet.
   */
  hottest(limit: number, sampleSize: number = HOTTEST_SAMPLE): { key: K; frequency: number }[] {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`hottest: limit must be a whole number >= 0, got ${limit}`);
    if (!Number.isInteger(sampleSize) || sampleSize < 1) throw new RangeError(`hottest: sampleSize must be a whole number >= 1, got ${sampleSize}`);
    const sampled: { key: K; frequency: number }[] = [];
    for (const q of [PROTECTED, PROBATION, WINDOW]) {
      for (let i = this.last(q); i !== NONE && sampled.length < sampleSize; i = this.previous(i)) {
        if (this.expiring && this.isExpired(i)) continue;
        sampled.push({ key: this.keys[i] as K, frequency: this.frequency(i) });
      }
    }
    sampled.sort((a, b) => b.frequency - a.frequency);
    return sampled.slice(0, limit);
  }

  // ---------------------------------------------------------------- writes

  /**
   * Stores the value. Returns false when it is not in the cache afterwards: the admission policy
   * declined it, or it is larger than the whole budget (then any previous value is removed too).
   * Setting `undefined` deletes the key.
   */
  set(key: K, value: V, options?: SetOptions): boolean {
    if (value === undefined) {
      this.delete(key);
      return false;
    }
    if (this.readCount !== 0) this.drainReads();
    const ttl = options?.ttl === undefined ? this.defaultTtl : checkTtl('ttl', options.ttl);
    const size = this.sizeOf === undefined ? 0 : this.measure(value, key);
    if (this.flights.size !== 0) this.markFlightStale(key);
    if (this.index !== undefined) this.reservedWeight = this.heldBytes();

    let i = this.slotFor(key);
    if (this.weighted && size + this.reservedWeight > this.maxWeight) {
      if (i !== undefined) this.removeSlot(i, 'replaced');
      this.flushNotices();
      return false;
    }
    if (i !== undefined) {
      this.update(i, value, size, ttl);
    } else {
      i = this.insert(key, value, size, ttl);
    }
    this.maintain();
    const stored = this.queueOf(i) !== FREE;
    this.flushNotices();
    return stored;
  }

  delete(key: K): boolean {
    if (this.flights.size !== 0) this.markFlightStale(key);
    // Drain before the lookup: the maintenance it runs may itself remove this key.
    if (this.readCount !== 0) this.drainReads();
    const i = this.slotFor(key);
    let deleted = false;
    if (i !== undefined) {
      const expired = this.expiring && this.isExpired(i);
      if (expired) this.expirationCount++;
      this.removeSlot(i, expired ? 'expired' : 'deleted');
      deleted = !expired;
    }
    // Also when the key was absent: the drain may have expired or evicted others, whose
    // callbacks are due now (a caller may be waiting for one, e.g. to keep a copy).
    this.flushNotices();
    return deleted;
  }

  clear(): void {
    for (const flight of this.flights.values()) flight.stale = true;
    this.flights.clear();
    this.readCount = 0;
    if (this.onEvict !== undefined) {
      for (let q = WINDOW; q <= PROTECTED; q++) {
        for (let i = this.meta[q * STRIDE + 1] & SLOT_MASK; i !== q; i = this.meta[i * STRIDE + 1] & SLOT_MASK) {
          this.notices.push(this.keys[i], this.values[i], 'cleared');
        }
      }
    }
    this.map.clear();
    this.index?.clear();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.meta.fill(0);
    this.resetSentinels();
    this.sizes?.fill(0);
    this.wheel?.clear();
    this.nextUnused = FIRST_SLOT;
    this.freeHead = NONE;
    this.victimMemoSlot = NONE;
    this.hashMemoSlot = NONE;
    this.sweepCursor = NONE;
    this.count = 0;
    this.totalWeight = 0;
    this.windowWeight = 0;
    this.protectedWeight = 0;
    this.totalBytes = 0;
    this.flushNotices();
  }

  /**
   * Evicts until the cache is within its bounds again: for an owner whose externalBytes grew
   * after a write (countStructures). Nothing to do otherwise: every write leaves the cache within them.
   */
  trim(): void {
    if (this.index === undefined) return;
    if (this.readCount !== 0) this.drainReads();
    this.reservedWeight = this.heldBytes();
    if (this.overBound()) this.evictFromMain(0);
    this.flushNotices();
  }

  /** Removes every entry whose TTL has passed; also runs by itself about once a second. */
  purgeExpired(): void {
    if (!this.expiring) return;
    if (this.readCount !== 0) this.drainReads();
    this.advanceWheel();
    this.flushNotices();
  }

  // ---------------------------------------------------------------- loading

  /**
   * Returns the cached value, or calls `loader` and caches what it returns. Concurrent calls for
   * one key share one loader call; if it throws or rejects, every caller gets that error and
   * nothing is cached. A value written or deleted while the load ran wins over the load's result.
   */
  getOrLoad(key: K, loader: (key: K) => V | Promise<V>, options?: SetOptions): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.flights.get(key);
    if (pending !== undefined) return pending.promise;
    if (options?.ttl !== undefined) checkTtl('ttl', options.ttl);

    const flight = { stale: false } as Flight<V>;
    this.flights.set(key, flight);
    this.loadCount++;
    const finish = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    flight.promise = new Promise<V>((resolve) => resolve(loader(key))).then(
      (value) => {
        finish();
        if (!flight.stale && value !== undefined) this.set(key, value, options);
        return value;
      },
      (error: unknown) => {
        finish();
        this.loadErrorCount++;
        throw error;
      },
    );
    return flight.promise;
  }

  private markFlightStale(key: K): void {
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      flight.stale = true;
      this.flights.delete(key);
    }
  }

  // ---------------------------------------------------------------- slots

  private measure(value: V, key: K): number {
    const size = this.sizeOf!(value, key);
    if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
      throw new TypeError(`sizeOf must return a finite number >= 0, got ${String(size)}`);
    }
    return size;
  }

  private insert(key: K, value: V, size: number, ttl: number): number {
    const i = this.allocateSlot();
    this.keys[i] = key;
    this.values[i] = value;
    // The insertion is the entry's first access.
    this.meta[i * STRIDE] = WINDOW << HIGH_SHIFT;
    this.meta[i * STRIDE + 1] = 1 << HIGH_SHIFT;
    this.uncountedAccesses++;
    this.linkLast(WINDOW, i);
    this.climber.recordInsertion(this.hashOf(i) >>> GHOST_HASH_SHIFT);
    if (this.sizes !== undefined) this.sizes[i] = size;
    const weight = this.weighted ? size : 1;
    this.windowWeight += weight;
    this.totalWeight += weight;
    this.totalBytes += size;
    this.count++;
    // The index takes the policy hash recordInsertion just computed (memoized for slot i).
    if (this.index === undefined) this.map.set(key, i);
    else this.index.add(this.hashOf(i), i);
    if (ttl > 0) this.scheduleExpiry(i, ttl);
    if (this.learnsCapacity && this.count > this.capacityEstimate && this.capacityEstimate < this.maxCount) {
      this.estimateCapacity(Math.min(this.count, this.maxCount));
    }
    return i;
  }

  /**
   * A cache bounded by bytes, just after an eviction: the entries it holds are its capacity. The
   * estimate follows them down when a quarter fewer (growth is learned on insert).
   */
  private learnCapacityWhenFull(): void {
    if (this.count * 4 < this.capacityEstimate * 3) this.estimateCapacity(this.count);
    if (this.sketchUnfitted) this.fitSketch();
  }

  /**
   * The first time a cache bounded by bytes is full, its default sketch (sized for an unknown
   * capacity, or for maxEntries) is replaced by the one a cache bounded by the entries it holds
   * would get, when smaller: too large a sketch for the cache makes a loop's keys tie, and ties
   * go to the residents (loop at 500 entries: 42.4% with 512 KiB, 49.2% with 4 KiB). The old
   * table's counts are dropped: before a first eviction they are mostly of keys seen once, and
   * the residents keep their own counts. The climber starts again with ghost tables of the new
   * size; the window keeps the share it has.
   */
  private fitSketch(): void {
    this.sketchUnfitted = false;
    const bytes = defaultSketchBytes(this.count);
    if (bytes >= this.sketch.byteLength) return;
    this.sketch = new FrequencySketch(bytes, 10 * this.capacityEstimate);
    this.sweepCursor = NONE;
    this.climber = new WindowClimber(this.maxWeight, bytes);
    this.climberSampleSize = this.climber.sampleSize(this.capacityEstimate);
    this.adjustment = 0;
  }

  /**
   * Sizes the sketch's aging period and the climber's sample to a cache of `entries` entries.
   * Only for a cache bounded by bytes: it starts from maxEntries, or a guess of 1,024 without
   * one, and follows the number of entries up as it fills, and down to the number held whenever
   * it evicts with a quarter fewer (a period sized for 1,024 entries in a cache of 250 kept
   * frequencies four times too long: loop at 250 lost 3.4 points).
   */
  private estimateCapacity(entries: number): void {
    this.capacityEstimate = Math.max(1, entries);
    this.sketch.sampleSize = 10 * this.capacityEstimate;
    this.climberSampleSize = this.climber.sampleSize(this.capacityEstimate);
  }

  private update(i: number, value: V, size: number, ttl: number): void {
    const old = this.values[i] as V;
    this.values[i] = value;
    if (this.sizes !== undefined) {
      const delta = size - this.sizes[i];
      this.sizes[i] = size;
      this.totalBytes += delta;
      if (this.weighted) {
        this.totalWeight += delta;
        const q = this.queueOf(i);
        if (q === WINDOW) this.windowWeight += delta;
        else if (q === PROTECTED) this.protectedWeight += delta;
      }
    }
    if (ttl > 0) this.scheduleExpiry(i, ttl);
    else if (this.expiring) this.wheel!.schedule(i, Infinity);
    this.onAccess(i);
    if (old !== value && this.onEvict !== undefined) this.notices.push(this.keys[i], old, 'replaced');
  }

  private removeSlot(i: number, reason: EvictionReason): void {
    const m = this.meta;
    const q = m[i * STRIDE] >>> HIGH_SHIFT;
    const pending = m[i * STRIDE + 1] >>> HIGH_SHIFT;
    // One hash of the key for the sketch and the index (before the memos forget the slot).
    const hash = pending !== 0 || this.index !== undefined ? this.hashOf(i) : 0;
    // The accesses the entry counted itself go to the sketch now that it leaves.
    if (pending !== 0) this.sketch.add(hash, pending);
    if (i === this.victimMemoSlot) this.victimMemoSlot = NONE;
    if (i === this.hashMemoSlot) this.hashMemoSlot = NONE;
    this.unlink(i);
    const size = this.sizes === undefined ? 0 : this.sizes[i];
    const weight = this.weighted ? size : 1;
    if (q === WINDOW) this.windowWeight -= weight;
    else if (q === PROTECTED) this.protectedWeight -= weight;
    this.totalWeight -= weight;
    this.totalBytes -= size;
    this.count--;
    if (this.expiring) this.wheel!.deschedule(i);
    const key = this.keys[i] as K;
    if (this.index === undefined) this.map.delete(key);
    else this.index.remove(hash, i);
    if (this.onEvict !== undefined) this.notices.push(key, this.values[i], reason);
    this.keys[i] = undefined;
    this.values[i] = undefined;
    // A free slot is marked FREE and threads the free list through its next word.
    m[i * STRIDE] = FREE << HIGH_SHIFT;
    m[i * STRIDE + 1] = this.freeHead;
    this.freeHead = i;
  }

  private allocateSlot(): number {
    if (this.freeHead !== NONE) {
      const i = this.freeHead;
      this.freeHead = this.meta[i * STRIDE + 1];
      return i;
    }
    if (this.nextUnused === this.capacity) this.growSlots(Math.min(this.maxSlots, this.capacity * 2));
    return this.nextUnused++;
  }

  private growSlots(capacity: number): void {
    const garbage = this.garbage;
    if (garbage !== undefined) {
      garbage.dropped(this.meta, this.meta.byteLength);
      garbage.dropped(this.keys, 16 + 8 * this.keys.length);
      garbage.dropped(this.values, 16 + 8 * this.values.length);
      if (this.sizes !== undefined) garbage.dropped(this.sizes, this.sizes.byteLength);
    }
    const meta = new Int32Array(capacity * STRIDE);
    meta.set(this.meta);
    this.meta = meta;
    // Exactly `capacity` slots: push would leave up to half of the backing store spare.
    this.keys = resized(this.keys, capacity);
    this.values = resized(this.values, capacity);
    if (this.sizeOf !== undefined) {
      const sizes = new Float64Array(capacity);
      if (this.sizes !== undefined) sizes.set(this.sizes);
      this.sizes = sizes;
    }
    if (this.wheel !== undefined) {
      this.wheel.grow(capacity, garbage);
      this.expiresAt = this.wheel.expiresAt;
    }
    this.index?.reserve(capacity);
    this.capacity = capacity;
  }

  // ---------------------------------------------------------------- expiry

  private scheduleExpiry(i: number, ttl: number): void {
    if (!this.expiring) this.startExpiring();
    this.wheel!.schedule(i, this.clock() + jitteredTtl(ttl, this.ttlJitter));
  }

  private startExpiring(): void {
    this.wheel = new TimerWheel(this.capacity, this.clock());
    this.expiresAt = this.wheel.expiresAt;
    this.expiring = true;
    // The interval holds the cache weakly, so an unused cache can still be collected.
    const ref = new WeakRef(this);
    this.sweepTimer = setInterval(() => {
      const cache = ref.deref();
      if (cache === undefined) {
        clearInterval(timer);
        return;
      }
      try {
        cache.purgeExpired();
      } catch (error) {
        // Only onEvict can throw here, and no caller is there to receive it.
        process.emitWarning(`cachee: onEvict threw during the expiry sweep: ${String(error)}`);
      }
    }, EXPIRY_SWEEP_MS);
    const timer = this.sweepTimer;
    timer.unref();
  }

  /** Before the wheel's earliest deadline nothing has expired, and the slot's own deadline is not read. */
  private isExpired(i: number): boolean {
    const now = this.clock();
    return now >= this.wheel!.earliestDeadline && this.expiresAt[i] <= now;
  }

  private readonly expireSlot = (i: number): void => {
    this.expirationCount++;
    this.removeSlot(i, 'expired');
  };

  private advanceWheel(): void {
    this.wheel!.advance(this.clock(), this.expireSlot);
  }

  /** The read buffer may still name slot `i`; the drain skips free slots, and none is reused before it. */
  private expireOnRead(i: number): void {
    this.missCount++;
    this.expirationCount++;
    this.removeSlot(i, 'expired');
    this.flushNotices();
  }

  // ---------------------------------------------------------------- policy

  /**
   * The read buffer filled on a hit: the maintenance it runs may expire or evict entries, whose
   * onEvict callbacks are due now, not at the next write. (Kept out of `get` so that stays small.)
   */
  private drainOnRead(): void {
    this.drainReads();
    this.flushNotices();
  }

  /** Replays the buffered hits into the policy, then does the periodic maintenance. */
  private drainReads(): void {
    const n = this.readCount;
    this.readCount = 0;
    const buffer = this.readBuffer;
    for (let r = 0; r < n; r++) this.onAccess(buffer[r]);
    this.maintain();
  }

  private onAccess(i: number): void {
    const m = this.meta;
    const q = m[i * STRIDE] >>> HIGH_SHIFT;
    if (q === FREE) return;
    const counted = m[i * STRIDE + 1];
    if (counted >>> HIGH_SHIFT !== PENDING_MAX) {
      m[i * STRIDE + 1] = counted + (1 << HIGH_SHIFT);
      this.uncountedAccesses++;
    }
    if (q === PROBATION) {
      const weight = this.weighted ? this.sizes![i] : 1;
      this.unlink(i);
      if (weight > this.protectedMax) {
        this.linkLast(PROBATION, i);
      } else {
        this.setQueue(i, PROTECTED);
        this.linkLast(PROTECTED, i);
        this.protectedWeight += weight;
      }
    } else {
      // Counted as they happen, not when the entry leaves: just after the window grows few
      // entries leave, and a sample counting only those read the window as idle and shrank it
      // back (scarab at 100k climbed to 60% over the whole trace, then fell to 36%).
      if (q === WINDOW) this.climber.recordWindowHit();
      this.unlink(i);
      this.linkLast(q, i);
    }
  }

  /** Moves window overflow to probation, evicts while over a bound, adapts, expires. */
  private maintain(): void {
    if (this.uncountedAccesses !== 0) {
      this.sweepCountsToSketch(this.uncountedAccesses);
      if (this.sketch.countAdditions(this.uncountedAccesses)) {
        this.halvePendingCounts();
        this.sweepCursor = NONE;
      }
      this.uncountedAccesses = 0;
    }
    const candidates = this.windowWeight > this.windowMax ? this.evictFromWindow() : 0;
    let grown = 0;
    if (this.index !== undefined) {
      // Read once per run: evictions never make it larger, so it stays an upper bound.
      this.reservedWeight = this.heldBytes();
      if (this.count + FIRST_SLOT >= this.capacity) grown = this.planSlots();
    }
    if (this.overBound()) {
      this.evictFromMain(candidates);
      if (this.learnsCapacity) this.learnCapacityWhenFull();
    }
    if (grown !== 0) {
      this.growSlots(grown);
      this.reservedWeight = this.heldBytes();
    }
    this.slotLimit = Infinity;
    if (this.protectedWeight > this.protectedMax) this.demoteFromProtected();
    if (this.hitCount + this.missCount - this.sampleHitsStart - this.sampleMissesStart >= this.climberSampleSize) {
      this.endSample();
    }
    if (this.adjustment !== 0) this.adjustWindow();
    if (this.expiring) this.advanceWheel();
  }

  private overBound(): boolean {
    return this.totalWeight + this.reservedWeight > this.maxWeight || this.count > this.maxCount || this.count > this.slotLimit;
  }

  private evictFromWindow(): number {
    const m = this.meta;
    let candidates = 0;
    let i = m[WINDOW * STRIDE + 1] & SLOT_MASK;
    while (this.windowWeight > this.windowMax && i !== WINDOW) {
      const next = m[i * STRIDE + 1] & SLOT_MASK;
      this.unlink(i);
      this.linkLast(PROBATION, i);
      this.setQueue(i, PROBATION);
      this.windowWeight -= this.weighted ? this.sizes![i] : 1;
      candidates++;
      i = next;
    }
    return candidates;
  }

  /**
   * Evicts until within bounds. The candidates just moved from the window sit at probation's MRU
   * end and are walked from there; the victims are walked from probation's LRU end. Each round
   * the one with the lower estimated frequency goes. With no candidates left, victims go in LRU
   * order, from probation, then protected, then the window.
   */
  private evictFromMain(candidates: number): void {
    let victimQueue = PROBATION;
    let victim = this.first(PROBATION);
    let candidate = candidates > 0 ? this.last(PROBATION) : NONE;
    while (this.overBound()) {
      if (candidates <= 0) candidate = NONE;
      if (victim === NONE) {
        if (candidate === NONE) {
          if (victimQueue === PROBATION) {
            victimQueue = PROTECTED;
            victim = this.first(PROTECTED);
            continue;
          }
          if (victimQueue === PROTECTED) {
            victimQueue = WINDOW;
            victim = this.first(WINDOW);
            continue;
          }
          break;
        }
        const previous = this.previous(candidate);
        this.evict(candidate, false, true);
        candidate = previous;
        candidates--;
        continue;
      }
      if (candidate === NONE) {
        const next = this.next(victim);
        this.evict(victim, false);
        victim = next;
        continue;
      }
      if (candidate === victim) {
        const next = this.next(victim);
        this.evict(candidate, true);
        victim = next;
        candidate = NONE;
        candidates = 0;
        continue;
      }
      candidates--;
      if (this.admit(candidate, victim)) {
        const next = this.next(victim);
        this.evict(victim, false);
        victim = next;
        candidate = this.previous(candidate);
      } else {
        const previous = this.previous(candidate);
        this.evict(candidate, true);
        candidate = previous;
      }
    }
  }

  private admit(candidate: number, victim: number): boolean {
    // The victim usually stays the same while newcomers are rejected: remember its hash.
    if (victim !== this.victimMemoSlot) {
      this.victimMemoHash = this.hashOf(victim);
      this.victimMemoSlot = victim;
    }
    const victimFrequency = Math.min(PENDING_MAX, this.sketch.frequencyMemoized(this.victimMemoHash) + this.pendingOf(victim));
    const candidateFrequency = this.frequency(candidate);
    if (candidateFrequency > victimFrequency) return true;
    if (candidateFrequency < ADMIT_WARM_FREQUENCY) return false;
    return (this.nextRandom() & 127) === 0;
  }

  /** The sketch's estimate plus the accesses the entry has not written to the sketch yet. */
  private frequency(i: number): number {
    return Math.min(PENDING_MAX, this.sketch.frequency(this.hashOf(i)) + this.pendingOf(i));
  }

  /**
   * The key's sketch hash. Not stored (4 bytes an entry); computed when the entry competes or
   * leaves, and the last one is remembered: a rejected candidate is hashed once, not twice.
   */
  private hashOf(i: number): number {
    // The victim's memo too: an entry leaving or counted is often the victim just compared.
    if (i === this.victimMemoSlot) return this.victimMemoHash;
    if (i !== this.hashMemoSlot) {
      this.hashMemoSlot = i;
      this.hashMemo = hashKey(this.keys[i], this.seed);
    }
    return this.hashMemo;
  }

  /**
   * Moves the counts of the main space's entries into the sketch before it halves, so that the
   * halving rounds each one's total once, as Caffeine's (all in the sketch) does; halving the two
   * parts apart would cost every resident up to 1 and make it lose ties it should win (loops).
   * Window entries keep their counts until they compete for the main space.
   *
   * The sweep costs a hash per entry, so it is spread over the last accesses before the halving
   * (SWEEP_SLOTS_PER_ACCESS slots per access) instead of stalling one call: a million entries
   * would take ~70 ms at once. An entry read again after its turn keeps those few new counts
   * apart, a small share of the period.
   */
  private sweepCountsToSketch(accesses: number): void {
    const end = this.nextUnused;
    const before = this.sketch.additionsBeforeHalving;
    if (this.sweepCursor === NONE) {
      if ((before - accesses) * SWEEP_SLOTS_PER_ACCESS > end - FIRST_SLOT) return;
      this.sweepCursor = FIRST_SLOT;
    }
    // All of the rest when this call halves the sketch.
    const stop = accesses >= before ? end : Math.min(end, this.sweepCursor + accesses * SWEEP_SLOTS_PER_ACCESS);
    const m = this.meta;
    let i = this.sweepCursor;
    for (; i < stop; i++) {
      const q = m[i * STRIDE] >>> HIGH_SHIFT;
      if (q === FREE || q === WINDOW) continue;
      const word = m[i * STRIDE + 1];
      const pending = word >>> HIGH_SHIFT;
      if (pending === 0) continue;
      this.sketch.add(this.hashOf(i), pending);
      m[i * STRIDE + 1] = word & SLOT_MASK;
    }
    this.sweepCursor = i;
  }

  /** Ages the entries' own counts together with the sketch's. */
  private halvePendingCounts(): void {
    const m = this.meta;
    for (let i = FIRST_SLOT; i < this.nextUnused; i++) {
      if (m[i * STRIDE] >>> HIGH_SHIFT === FREE) continue;
      const word = m[i * STRIDE + 1];
      m[i * STRIDE + 1] = (word & SLOT_MASK) | ((word >>> (HIGH_SHIFT + 1)) << HIGH_SHIFT);
    }
  }

  private evict(i: number, rejected: boolean, candidate = rejected): void {
    this.evictionCount++;
    if (rejected) this.rejectionCount++;
    this.climber.recordEviction(this.hashOf(i) >>> GHOST_HASH_SHIFT, candidate);
    this.removeSlot(i, 'size');
  }

  private demoteFromProtected(): void {
    const m = this.meta;
    for (let n = 0; n < QUEUE_TRANSFER_LIMIT && this.protectedWeight > this.protectedMax; n++) {
      const i = m[PROTECTED * STRIDE + 1] & SLOT_MASK;
      if (i === PROTECTED) break;
      this.unlink(i);
      this.linkLast(PROBATION, i);
      this.setQueue(i, PROBATION);
      this.protectedWeight -= this.weighted ? this.sizes![i] : 1;
    }
  }

  /** A sample of requests ended: the climber says how to resize the window. */
  private endSample(): void {
    const hits = this.hitCount - this.sampleHitsStart;
    const requests = hits + this.missCount - this.sampleMissesStart;
    this.sampleHitsStart = this.hitCount;
    this.sampleMissesStart = this.missCount;
    const full = this.totalWeight + this.reservedWeight >= this.maxWeight / 2 || this.count >= this.maxCount / 2;
    const adjustment = this.climber.onSample(hits, requests, full, this.windowMax, this.capacityEstimate);
    if (adjustment !== 0) this.adjustment = adjustment;
  }

  /**
   * Applies the climber's adjustment, at most QUEUE_TRANSFER_LIMIT entries per run; what is left
   * waits for the next maintenance run, as in Caffeine (a large cache's step is thousands of entries).
   */
  private adjustWindow(): void {
    if (this.adjustment > 0) this.adjustment = this.increaseWindow(this.adjustment);
    else this.adjustment = -this.decreaseWindow(-this.adjustment);
  }

  /** Moves up to `amount` of weight from the main space to the window; returns what it could not move yet. */
  private increaseWindow(amount: number): number {
    if (this.protectedMax === 0) return 0;
    let quota = Math.min(amount, this.protectedMax);
    this.protectedMax -= quota;
    this.windowMax += quota;
    this.demoteFromProtected();
    const m = this.meta;
    for (let n = 0; n < QUEUE_TRANSFER_LIMIT; n++) {
      let i = m[PROBATION * STRIDE + 1] & SLOT_MASK;
      let fromProbation = true;
      if (i === PROBATION || quota < this.weightOf(i)) {
        i = m[PROTECTED * STRIDE + 1] & SLOT_MASK;
        fromProbation = false;
      }
      if (i === PROTECTED) break;
      const weight = this.weightOf(i);
      if (quota < weight) break;
      quota -= weight;
      if (!fromProbation) this.protectedWeight -= weight;
      this.unlink(i);
      this.linkLast(WINDOW, i);
      this.setQueue(i, WINDOW);
      this.windowWeight += weight;
    }
    this.protectedMax += quota;
    this.windowMax -= quota;
    return quota;
  }

  /** Moves up to `amount` of weight from the window to the main space; returns what it could not move yet. */
  private decreaseWindow(amount: number): number {
    if (this.windowMax <= 1) return 0;
    let quota = Math.min(amount, Math.max(0, this.windowMax - 1));
    this.protectedMax += quota;
    this.windowMax -= quota;
    const m = this.meta;
    for (let n = 0; n < QUEUE_TRANSFER_LIMIT; n++) {
      const i = m[WINDOW * STRIDE + 1] & SLOT_MASK;
      if (i === WINDOW) break;
      const weight = this.weightOf(i);
      if (quota < weight) break;
      quota -= weight;
      this.windowWeight -= weight;
      this.unlink(i);
      this.linkLast(PROBATION, i);
      this.setQueue(i, PROBATION);
    }
    this.protectedMax -= quota;
    this.windowMax += quota;
    return quota;
  }

  private weightOf(i: number): number {
    return this.weighted ? this.sizes![i] : 1;
  }

  // ---------------------------------------------------------------- queues

  private unlink(i: number): void {
    const m = this.meta;
    const prev = m[i * STRIDE] & SLOT_MASK;
    const next = m[i * STRIDE + 1] & SLOT_MASK;
    m[prev * STRIDE + 1] = (m[prev * STRIDE + 1] & HIGH_MASK) | next;
    m[next * STRIDE] = (m[next * STRIDE] & HIGH_MASK) | prev;
  }

  /** Appends `i` to queue `q`'s MRU end; its queue field is the caller's to set. */
  private linkLast(q: number, i: number): void {
    const m = this.meta;
    const tail = m[q * STRIDE] & SLOT_MASK;
    m[tail * STRIDE + 1] = (m[tail * STRIDE + 1] & HIGH_MASK) | i;
    m[i * STRIDE] = (m[i * STRIDE] & HIGH_MASK) | tail;
    m[i * STRIDE + 1] = (m[i * STRIDE + 1] & HIGH_MASK) | q;
    m[q * STRIDE] = (m[q * STRIDE] & HIGH_MASK) | i;
  }

  private queueOf(i: number): number {
    return this.meta[i * STRIDE] >>> HIGH_SHIFT;
  }

  private setQueue(i: number, q: number): void {
    this.meta[i * STRIDE] = (this.meta[i * STRIDE] & SLOT_MASK) | (q << HIGH_SHIFT);
  }

  /** Accesses counted in the entry and not yet written to the sketch. */
  private pendingOf(i: number): number {
    return this.meta[i * STRIDE + 1] >>> HIGH_SHIFT;
  }

  private resetSentinels(): void {
    for (let q = WINDOW; q <= PROTECTED; q++) {
      this.meta[q * STRIDE] = q;
      this.meta[q * STRIDE + 1] = q;
    }
  }

  private first(q: number): number {
    const i = this.meta[q * STRIDE + 1] & SLOT_MASK;
    return i === q ? NONE : i;
  }

  private last(q: number): number {
    const i = this.meta[q * STRIDE] & SLOT_MASK;
    return i === q ? NONE : i;
  }

  private next(i: number): number {
    const n = this.meta[i * STRIDE + 1] & SLOT_MASK;
    return n < FIRST_SLOT ? NONE : n;
  }

  private previous(i: number): number {
    const p = this.meta[i * STRIDE] & SLOT_MASK;
    return p < FIRST_SLOT ? NONE : p;
  }

  private nextRandom(): number {
    let x = this.random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.random = x;
    return x;
  }

  private flushNotices(): void {
    const notices = this.notices;
    if (notices.length === 0 || this.notifying) return;
    // Callbacks run once the cache is consistent; they may call back into it (what they evict is
    // appended and handled by this same loop). The first error thrown is re-thrown after every
    // callback ran, so one bad callback cannot skip the others.
    this.notifying = true;
    let failure: unknown;
    let failed = false;
    try {
      for (let n = 0; n < notices.length; n += 3) {
        try {
          this.onEvict!(notices[n] as K, notices[n + 1] as V, notices[n + 2] as EvictionReason);
        } catch (error) {
          if (!failed) failure = error;
          failed = true;
        }
      }
    } finally {
      notices.length = 0;
      this.notifying = false;
    }
    if (failed) throw failure;
  }
}

/** A copy of `array` with `length` slots, the new ones undefined (packed, so reads stay fast). */
function resized<T>(array: (T | undefined)[], length: number): (T | undefined)[] {
  const copy = new Array<T | undefined>(length).fill(undefined);
  for (let i = 0; i < array.length; i++) copy[i] = array[i];
  return copy;
}

function randomInt32(): number {
  return globalThis.crypto.getRandomValues(new Int32Array(1))[0];
}
