/**
 * The proxy's L1: ready-to-write RESP replies, grouped by the Redis key they were read from, on
 * top of the engine. One engine entry per (database, key) holds every cached reply derived from
 * that key ("variants": GET k, HGET k f, LRANGE k 0 9 ... per user and protocol), so that an
 * invalidation of the key is one delete, and the policy weighs keys, not individual replies.
 *
 * A reply is kept as a latin1 string (one character per byte: the exact RESP bytes), not as a
 * Buffer. A Buffer is three small native allocations besides its bytes, and replies come and go
 * with every eviction: under churn the freed native memory fragments and the process grows far
 * past the budget. Strings live in the V8 heap, which compacts, so the budget here is close to
 * the memory used. Writing one costs a copy into the client's reply buffer, as a Buffer would.
 *
 * The exception is the reply most keys are read by, GET's (the entry's first variant): it goes to
 * the ReplyArena, beside the key's bytes, so that the hit path finds and writes it without making
 * a string or touching the heap (see ./reply-arena.ts). The arena's records live and die with the
 * engine's entries: every removal reaches `onEvict`, which drops the record.
 *
 * Memory: `--l1-memory` bounds all L1 holds, not just its replies. Each entry counts what it holds
 * by itself (its key and the Variants object in the heap at HEAP_FACTOR, its replies), the engine
 * counts its own structures at the size they have (countStructures: its own index of keys in place
 * of a Map, which V8 keeps at 2 to 4 times the live keys under churn; the per-slot arrays, sized
 * for the most entries held), and the arena's table and head segment are counted beside them
 * (externalBytes).
 */
import { Cache, TYPICAL_STRUCTURE_BYTES } from '../core/cache.js';
import { HEAP_FACTOR, latin1StringBytes, stringBytes } from '../core/size-of.js';
import { hottestByName, type HotKey } from '../metrics/hot-keys.js';
import { MAX_ARENA_PAYLOAD, recordCost, ReplyArena, segmentBytesFor } from './reply-arena.js';

/** The Variants object: 24 + 5 fields of 8. */
const ENTRY_OVERHEAD = 64;
/** The object and two arrays of further variants, when there are any. */
const MORE_OVERHEAD = 136;
/** Per further variant: its two array slots. */
const SLOT_OVERHEAD = 16;
/**
 * The structures' bytes per entry, for estimates made without an L1 (`cachee simulate`): the
 * engine's, and the arena's table at 2.5 cells a key as the engine's index.
 */
export const TYPICAL_L1_STRUCTURE_BYTES = TYPICAL_STRUCTURE_BYTES + 2.5 * 8;
/** `Variants.deadline` of replies that may live forever. */
const NO_DEADLINE = -1;

/**
 * The replies read from one key. The first is held inline (most keys are only ever read one way,
 * by GET), so a hit follows no pointer to an array; further variants are in `more`.
 */
interface Variants {
  name: string;
  /** Ready-to-write RESP reply, latin1; '' when it is in the arena. */
  reply: string;
  /** What the first variant's reply costs in the arena (recordCost); 0: it is `reply`. */
  arenaBytes: number;
  /**
   * When every variant expires, the earliest of the TTLs they were stored with: whole ms (a small
   * integer, stored in the object, where a fraction would take a heap number per entry) or NO_DEADLINE.
   */
  deadline: number;
  more: { names: string[]; replies: string[] } | undefined;
}

function earliest(a: number, b: number): number {
  return a === NO_DEADLINE ? b : b === NO_DEADLINE ? a : Math.min(a, b);
}


/** The engine's TTL for an entry: until its earliest deadline (0: none). */
function ttlOf(v: Variants, now: number): number {
  return v.deadline === NO_DEADLINE ? 0 : Math.max(1, v.deadline - now);
}

export interface ReplyCacheOptions {
  maxBytes: number;
  /** ms; 0: no TTL beyond the ones given to `put`. */
  ttl: number;
  now?: () => number;
}

/**
 * The start of a variant's name: whose reply it is (the ACL user, '' when not known) and in which
 * protocol; the command and its arguments follow.
 */
export function variantPrefix(user: string | undefined, protocol: number): string {
  return `${user ?? ''}\u0000${protocol}\u0000`;
}

/**
 * GET's variant of each (user, protocol): one string, shared by every session, so that the
 * variant check of a hit compares two references instead of their characters; and its number,
 * which names it in the arena. Only GET variants go there: other variants' names hold arguments,
 * whose number has no bound.
 */
const getVariantNumbers = new Map<string, number>();
const getVariantNames: string[] = [];

/** The GET variant of the sessions whose variants start with `prefix` (variantPrefix). */
export function getVariantOf(prefix: string): string {
  const name = `${prefix}get`;
  const known = getVariantNumbers.get(name);
  if (known !== undefined) return getVariantNames[known];
  getVariantNumbers.set(name, getVariantNames.length);
  getVariantNames.push(name);
  return name;
}

/** The arena's number of a GET variant (from getVariantOf); -1 for any other variant. */
export function getVariantNumber(variant: string): number {
  return getVariantNumbers.get(variant) ?? -1;
}

/**
 * What L1 counts for a key read by GET alone (as `sizeOfVariants` does), from the lengths of the
 * key and of the reply, with its typical share of the engine's structures: the estimate
 * `cachee simulate` makes from a recorded log.
 */
export function getEntryBytes(keyLength: number, replyLength: number): number {
  const inArena = keyLength + replyLength <= MAX_ARENA_PAYLOAD;
  const heap = ENTRY_OVERHEAD + latin1StringBytes(keyLength) + (inArena ? 0 : latin1StringBytes(replyLength));
  return Math.ceil(heap * HEAP_FACTOR) + (inArena ? recordCost(keyLength, replyLength) : 0) + TYPICAL_L1_STRUCTURE_BYTES;
}

function sizeOfVariants(v: Variants, key: string): number {
  // A GET variant's name is one string shared by every entry (getVariantOf).
  const name = getVariantNumber(v.name) >= 0 ? 0 : stringBytes(v.name);
  let heap = ENTRY_OVERHEAD + stringBytes(key) + name + (v.arenaBytes > 0 ? 0 : latin1StringBytes(v.reply.length));
  const more = v.more;
  if (more !== undefined) {
    heap += MORE_OVERHEAD + SLOT_OVERHEAD * more.names.length;
    for (let i = 0; i < more.names.length; i++) heap += stringBytes(more.names[i]) + latin1StringBytes(more.replies[i].length);
  }
  return Math.ceil(heap * HEAP_FACTOR) + v.arenaBytes;
}

/** Whether a key reads as `digits NUL ...`, as another database's entry key would (see entryKey). */
function looksPrefixed(key: string): boolean {
  // A loop, not a regular expression: entryKey runs on every GET hit.
  let i = 0;
  for (let c = key.charCodeAt(0); c >= 48 && c <= 57; c = key.charCodeAt(++i));
  return i > 0 && key.charCodeAt(i) === 0;
}

/** The database of an entry key (`entryKey`'s inverse): 0 unless it starts `digits NUL`. */
function databaseOf(entryKey: string): number {
  return looksPrefixed(entryKey) ? Number(entryKey.slice(0, entryKey.indexOf('\u0000'))) : 0;
}

/** The Redis key of an entry key (`entryKey`'s inverse, less the database). */
function redisKeyOf(entryKey: string): string {
  return looksPrefixed(entryKey) ? entryKey.slice(entryKey.indexOf('\u0000') + 1) : entryKey;
}

export class ReplyCache {
  private readonly engine: Cache<string, Variants>;
  /** The GET replies (see the top of this file). */
  readonly arena: ReplyArena;
  private readonly ttl: number;
  private readonly now: () => number;
  /** Databases that have entries, so a key invalidated without a database reaches all of them. */
  private readonly databases = new Set<number>();

  constructor(options: ReplyCacheOptions) {
    this.arena = new ReplyArena(segmentBytesFor(options.maxBytes));
    this.ttl = options.ttl;
    this.now = options.now ?? (() => performance.now());
    this.engine = new Cache<string, Variants>({
      maxBytes: options.maxBytes,
      sizeOf: sizeOfVariants,
      countStructures: true,
      externalBytes: (slots) => this.arena.fixedBytesFor(slots),
      now: options.now,
      // The record goes with its entry, unless a replacement keeps the first variant in the arena
      // (put() then writes the record again). clear() empties the arena at once.
      onEvict: (entryKey, v, reason) => {
        if (v.arenaBytes === 0 || reason === 'cleared') return;
        if (reason === 'replaced' && (this.engine.peek(entryKey)?.arenaBytes ?? 0) > 0) return;
        this.arena.delete(redisKeyOf(entryKey), databaseOf(entryKey), getVariantNumber(v.name));
      },
    });
  }

  /**
   * The engine's key for a Redis key: database 0's keys as they are (the common case costs
   * nothing), others as `db NUL key`. A database-0 key that itself looks like `digits NUL ...`
   * is written `0 NUL key`, so that no two (database, key) pairs share an entry.
   */
  static entryKey(db: number, key: string): string {
    if (db !== 0) return `${db}\u0000${key}`;
    return looksPrefixed(key) ? `0\u0000${key}` : key;
  }

  /** The stored reply (latin1 RESP), or undefined. `entryKey` comes from `ReplyCache.entryKey`. */
  get(entryKey: string, variant: string): string | undefined {
    const v = this.engine.get(entryKey);
    if (v === undefined) return undefined;
    if (v.name === variant) {
      if (v.arenaBytes === 0) return v.reply;
      const ref = this.arena.findString(redisKeyOf(entryKey), databaseOf(entryKey), getVariantNumber(variant));
      // Always found: an entry with arenaBytes has its record (put and onEvict keep them together).
      return ref < 0 ? undefined : this.arena.replyString(ref);
    }
    const more = v.more;
    if (more !== undefined) for (let i = 0; i < more.names.length; i++) if (more.names[i] === variant) return more.replies[i];
    return undefined;
  }

  /**
   * The hit path's GET: the arena record of (db, key bytes) for GET variant number `variant`, or
   * -1; nothing is allocated. The reply is in `arena.bytesOf(ref)` from `arena.replyStart(ref)`:
   * copy it, then count the hit with `countArenaHit(ref)` (which may move records: the ref is
   * not valid past it). An expired entry is a -1 here; `get` then removes it. A key whose GET
   * reply is not in the arena (too large for it, or not the entry's first variant) is a -1 here
   * and a hit for `get`.
   */
  findInArena(bytes: Uint8Array, start: number, length: number, db: number, variant: number): number {
    const arena = this.arena;
    if (arena.size === 0) return -1;
    const ref = arena.find(bytes, start, length, db, variant);
    return ref >= 0 && this.engine.slotLive(arena.slotOf(ref)) ? ref : -1;
  }

  countArenaHit(ref: number): void {
    this.engine.touchSlot(this.arena.slotOf(ref));
  }

  /**
   * Stores a reply (copied out of the socket's buffer, so the cache does not pin it). `keyTtl` is
   * the key's remaining time in Redis, ms (undefined: no expiry).
   */
  put(db: number, key: string, variant: string, reply: Buffer, keyTtl?: number): void {
    const entryKey = ReplyCache.entryKey(db, key);
    const now = this.now();
    let deadline = this.ttl > 0 ? now + this.ttl : Infinity;
    if (keyTtl !== undefined) deadline = Math.min(deadline, now + keyTtl);
    if (!(deadline > now)) return;
    const existing = this.engine.peek(entryKey);
    const whole = deadline === Infinity ? NO_DEADLINE : Math.floor(deadline);
    const number = getVariantNumber(variant);
    const first = existing === undefined || existing.name === variant;
    const inArena = number >= 0 && first && key.length + reply.length <= this.arena.maxPayload;
    // A new object, not an update in place: the engine measures the entry again on set.
    const next: Variants =
      existing === undefined
        ? { name: variant, reply: '', arenaBytes: 0, deadline: whole, more: undefined }
        : { name: existing.name, reply: existing.reply, arenaBytes: existing.arenaBytes, deadline: earliest(existing.deadline, whole), more: existing.more };
    if (first) {
      next.reply = inArena ? '' : reply.toString('latin1');
      next.arenaBytes = inArena ? recordCost(key.length, reply.length) : 0;
    } else {
      const names = existing.more?.names.slice() ?? [];
      const replies = existing.more?.replies.slice() ?? [];
      const i = names.indexOf(variant);
      const copy = reply.toString('latin1');
      if (i >= 0) replies[i] = copy;
      else {
        names.push(variant);
        replies.push(copy);
      }
      next.more = { names, replies };
    }
    if (this.engine.set(entryKey, next, { ttl: ttlOf(next, now) })) {
      this.databases.add(db);
      if (inArena) this.storeInArena(entryKey, key, db, number, reply, next, now);
    }
    // Evictions may have had the arena take a new segment number, a few hundred bytes the engine
    // had not counted when it made room.
    this.engine.trim();
  }

  /** Writes the GET reply of an entry just stored with arenaBytes to the arena, else keeps it as a string. */
  private storeInArena(entryKey: string, key: string, db: number, number: number, reply: Buffer, stored: Variants, now: number): void {
    const slot = this.engine.slotOf(entryKey);
    // The arena's table has a cell for each of the engine's slots: the engine counted it so.
    this.arena.reserve(this.engine.slotCapacity);
    if (slot >= 0 && this.arena.set(key, db, number, reply, slot)) return;
    // Admitted, then evicted in the same set (slot -1: nothing to keep), or refused by the arena.
    if (slot >= 0) this.engine.set(entryKey, { ...stored, reply: reply.toString('latin1'), arenaBytes: 0 }, { ttl: ttlOf(stored, now) });
  }

  /** Removes every reply read from `key`, in every database. */
  invalidate(key: string): void {
    for (const db of this.databases) this.engine.delete(ReplyCache.entryKey(db, key));
  }

  invalidateIn(db: number, key: string): void {
    this.engine.delete(ReplyCache.entryKey(db, key));
  }

  clear(): void {
    this.engine.clear();
    this.arena.clear();
    this.databases.clear();
  }

  get entries(): number {
    return this.engine.size;
  }

  /** All L1 holds: its entries, the engine's structures and the arena's (what maxBytes bounds). */
  get bytes(): number {
    return this.engine.bytes;
  }

  /** What the entries hold by themselves, without the structures. */
  get entryBytes(): number {
    return this.engine.bytes - this.engine.structureBytes - this.arena.fixedBytesFor(this.engine.slotCapacity);
  }

  get maxBytes(): number {
    return this.engine.maxBytes;
  }

  stats() {
    return this.engine.stats();
  }

  /**
   * The `limit` hottest Redis keys by the engine's frequency estimate (Cache.hottest: a bounded
   * sample, never a full scan), a key cached in several databases counted once, estimates summed.
   */
  hottestKeys(limit: number): HotKey[] {
    return hottestByName(this.engine, redisKeyOf, limit);
  }
}
