/**
 * One numbered database (SELECT n) of the store. Its entries live in the store's single engine
 * under `prefix + key`, so one budget and one eviction policy span every database; the
 * database itself keeps an index of its keys (for SCAN, KEYS, RANDOMKEY, DBSIZE, FLUSHDB) and
 * applies Redis's exact expiry rule on every lookup.
 *
 * The index is an array of keys with free slots reused: a key keeps its slot while it lives,
 * so a SCAN cursor (a slot number) returns every key present for the whole scan, as Redis
 * promises, and a deleted key costs a hole rather than a reshuffle.
 */
import type { Cache } from '../core/cache.js';
import type { Entry } from './values.js';

/**
 * What the index holds per slot: the array of keys and the array of free slots, 8 bytes an
 * element each, at up to 1.5 times their length (JavaScript arrays grow by half).
 */
export const INDEX_BYTES_PER_SLOT = 2 * 8 * 1.5;

/** Counters the databases update, shared by all of them (INFO stats). */
export interface KeyspaceCounters {
  keyspaceHits: number;
  keyspaceMisses: number;
}

/** Whose lookup it is, as Redis tells lookupKeyRead from lookupKeyWrite: only reads count in INFO's keyspace hits and misses. */
export type Lookup = 'read' | 'write';

/** Told of every write to a key, and before a database is emptied (WATCH: see key-watch.ts). */
export interface WriteListener {
  touched(db: Database, key: string): void;
  flushing(db: Database): void;
}

export class Database {
  /** Its number now (SELECT n); SWAPDB changes it. */
  index = 0;
  /** Set by the store. */
  writes: WriteListener | undefined;
  private slots: (string | undefined)[] = [];
  private freeSlots: number[] = [];
  private keyCount = 0;
  private expiringCount = 0;

  constructor(
    private readonly engine: Cache<string, Entry>,
    /** Stable for the life of the store: SWAPDB moves databases, not keys. */
    readonly prefix: string,
    private readonly counters: KeyspaceCounters,
  ) {}

  /**
   * Bytes of the index, at most: it grows with the most keys held at once (a freed slot is reused
   * before a new one is made) and never as keys leave, as the engine's externalBytes must.
   */
  get indexBytes(): number {
    return INDEX_BYTES_PER_SLOT * this.slots.length;
  }

  /** Keys stored, expired ones not yet reclaimed included (Redis's DBSIZE counts those too). */
  get size(): number {
    return this.keyCount;
  }

  /** Keys with a time to live (INFO's `expires=`). */
  get expiringKeys(): number {
    return this.expiringCount;
  }

  /**
   * A read's lookup (Redis's lookupKeyRead): the key's entry if it exists and has not expired;
   * counts as an access for eviction, and as a keyspace hit or miss.
   */
  get(key: string, now: number): Entry | undefined {
    return this.countRead(this.getForWrite(key, now));
  }

  /** Counts a read's lookup as a keyspace hit or miss; returns its entry. */
  countRead(entry: Entry | undefined): Entry | undefined {
    if (entry !== undefined) this.counters.keyspaceHits++;
    else this.counters.keyspaceMisses++;
    return entry;
  }

  /** A write's lookup (lookupKeyWrite): like get, but not a keyspace hit or miss. */
  getForWrite(key: string, now: number): Entry | undefined {
    const full = this.prefix + key;
    const entry = this.engine.get(full);
    if (entry === undefined || entry.expiresAt === 0 || now <= entry.expiresAt) return entry;
    this.engine.delete(full);
    return undefined;
  }

  /** A read that is not an access for eviction (TTL, TYPE, EXISTS: Redis's LOOKUP_NOTOUCH); still a hit or miss. */
  getNoTouch(key: string, now: number): Entry | undefined {
    return this.countRead(this.peek(key, now));
  }

  /** The entry if live, neither an access nor a hit or miss. */
  peek(key: string, now: number): Entry | undefined {
    const entry = this.engine.peek(this.prefix + key);
    return entry === undefined || entry.expiresAt === 0 || now <= entry.expiresAt ? entry : undefined;
  }

  /**
   * Stores `entry` under `key` (new, replacing another entry, or the same entry changed in
   * place) with the given deadline (unix ms, 0: none). A deadline already past deletes the key.
   * The engine may decline or evict the entry to keep its budget: the write then behaves as an
   * immediate eviction.
   */
  save(key: string, entry: Entry, expiresAt: number, now: number): void {
    this.writes?.touched(this, key);
    if (expiresAt !== 0 && now > expiresAt) {
      this.delete(key, now);
      return;
    }
    const full = this.prefix + key;
    if (entry.slot < 0) {
      const current = this.engine.peek(full);
      if (current !== undefined && current !== entry && current.slot >= 0) this.transferSlot(current, entry);
    }
    this.changeExpiry(entry, expiresAt);
    // The engine's deadline is exclusive and Redis's inclusive (a key lives through its last ms).
    const stored = this.engine.set(full, entry, { ttl: expiresAt === 0 ? 0 : expiresAt - now + 1 });
    if (!stored) this.forget(full, entry);
    else if (entry.slot < 0) {
      this.attach(full, entry);
      // A new slot at the index's end is a few bytes the engine had not counted when it made room.
      this.engine.trim();
    }
  }

  /** Removes the key; true if it existed and had not expired. */
  delete(key: string, now: number): boolean {
    const existed = this.peek(key, now) !== undefined;
    this.engine.delete(this.prefix + key);
    if (existed) this.writes?.touched(this, key);
    return existed;
  }

  /** Removes every key. */
  flush(): void {
    this.writes?.flushing(this);
    for (const full of this.slots) if (full !== undefined) this.engine.delete(full);
    this.reset();
  }

  /** Forgets the index without touching the engine (the engine was cleared as a whole). */
  reset(): void {
    this.slots = [];
    this.freeSlots = [];
    this.keyCount = 0;
    this.expiringCount = 0;
  }

  /** Called by the store when the engine drops an entry of this database, for any reason. */
  forget(full: string, entry: Entry): void {
    const slot = entry.slot;
    if (slot < 0 || this.slots[slot] !== full) return;
    this.slots[slot] = undefined;
    this.freeSlots.push(slot);
    this.keyCount--;
    if (entry.expiresAt !== 0) this.expiringCount--;
    entry.slot = -1;
    // Empty again: drop the holes (no scan in progress can miss anything now).
    if (this.keyCount === 0) this.reset();
  }

  /**
   * Visits live keys from slot `cursor` on, until `count` keys were seen or 10 x count slots
   * (Redis's bound on empty buckets per call); returns the next cursor, 0 at the end.
   */
  scan(cursor: number, count: number, now: number, visit: (key: string, entry: Entry) => void): number {
    const slots = this.slots;
    let seen = 0;
    let budget = count * 10;
    let slot = cursor;
    while (slot < slots.length && seen < count && budget-- > 0) {
      const entry = this.entryAt(slot, now);
      if (entry !== undefined) {
        seen++;
        visit(slots[slot]!.slice(this.prefix.length), entry);
      }
      slot++;
    }
    return slot >= slots.length ? 0 : slot;
  }

  /** Every live key, in index order. */
  *keys(now: number): Generator<string> {
    for (let slot = 0; slot < this.slots.length; slot++) {
      if (this.entryAt(slot, now) !== undefined) yield this.slots[slot]!.slice(this.prefix.length);
    }
  }

  randomKey(now: number): string | undefined {
    const slots = this.slots;
    for (let attempt = 0; attempt < 64 && this.keyCount > 0; attempt++) {
      const slot = Math.floor(Math.random() * slots.length);
      if (this.entryAt(slot, now) !== undefined) return slots[slot]!.slice(this.prefix.length);
    }
    // Sparse index, or only expired keys: walk it once from a random place.
    const start = Math.floor(Math.random() * slots.length);
    for (let n = 0; n < slots.length; n++) {
      const slot = (start + n) % slots.length;
      if (this.entryAt(slot, now) !== undefined) return slots[slot]!.slice(this.prefix.length);
    }
    return undefined;
  }

  private entryAt(slot: number, now: number): Entry | undefined {
    const full = this.slots[slot];
    if (full === undefined) return undefined;
    const entry = this.engine.peek(full);
    return entry === undefined || entry.expiresAt === 0 || now <= entry.expiresAt ? entry : undefined;
  }

  private attach(full: string, entry: Entry): void {
    const slot = this.freeSlots.pop() ?? this.slots.length;
    this.slots[slot] = full;
    entry.slot = slot;
    this.keyCount++;
    if (entry.expiresAt !== 0) this.expiringCount++;
  }

  /** A new entry replacing another under the same key takes over its slot (see SCAN above). */
  private transferSlot(from: Entry, to: Entry): void {
    to.slot = from.slot;
    from.slot = -1;
    this.expiringCount += (to.expiresAt !== 0 ? 1 : 0) - (from.expiresAt !== 0 ? 1 : 0);
  }

  private changeExpiry(entry: Entry, expiresAt: number): void {
    if (entry.slot >= 0) this.expiringCount += (expiresAt !== 0 ? 1 : 0) - (entry.expiresAt !== 0 ? 1 : 0);
    entry.expiresAt = expiresAt;
  }
}
