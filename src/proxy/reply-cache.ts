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
 */
import { Cache } from '../core/cache.js';
import { ENTRY_OVERHEAD_BYTES } from '../core/cache.js';
import { latin1StringBytes, stringBytes } from '../core/size-of.js';
import { hottestByName, type HotKey } from '../metrics/hot-keys.js';

/**
 * Bytes a stored entry costs besides its strings: the engine's bookkeeping (ENTRY_OVERHEAD_BYTES),
 * the Variants object (24 + 4 fields of 8 = 56), and 16 more: the proxy's memory bench (RSS
 * against --l1-memory, at its limit) was measured when the engine counted 104 for itself, not
 * 88. Counting less would let L1 hold more per budget; that bench must say so first.
 */
const ENTRY_OVERHEAD = ENTRY_OVERHEAD_BYTES + 56 + 16;
/** The object and two arrays of further variants, when there are any. */
const MORE_OVERHEAD = 136;
/** Per further variant: its two array slots. */
const SLOT_OVERHEAD = 16;
/** `Variants.deadline` of replies that may live forever. */
const NO_DEADLINE = -1;

/**
 * The replies read from one key. The first is held inline (most keys are only ever read one way,
 * by GET), so a hit follows no pointer to an array; further variants are in `more`.
 */
interface Variants {
  name: string;
  /** Ready-to-write RESP reply, latin1. */
  reply: string;
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

/** The GET variant's name of the `default` user on RESP2. */
const DEFAULT_GET_VARIANT = `${variantPrefix('default', 2)}get`;

/**
 * What L1 counts for a key read by GET alone (as `sizeOfVariants` does), from the lengths of the
 * key and of the reply: the estimate `cachee simulate` makes from a recorded log.
 */
export function getEntryBytes(keyLength: number, replyLength: number): number {
  return ENTRY_OVERHEAD + latin1StringBytes(keyLength) + latin1StringBytes(DEFAULT_GET_VARIANT.length) + latin1StringBytes(replyLength);
}

function sizeOfVariants(v: Variants, key: string): number {
  let bytes = ENTRY_OVERHEAD + stringBytes(key) + stringBytes(v.name) + latin1StringBytes(v.reply.length);
  const more = v.more;
  if (more !== undefined) {
    bytes += MORE_OVERHEAD + SLOT_OVERHEAD * more.names.length;
    for (let i = 0; i < more.names.length; i++) bytes += stringBytes(more.names[i]) + latin1StringBytes(more.replies[i].length);
  }
  return bytes;
}

/** Whether a key reads as `digits NUL ...`, as another database's entry key would (see entryKey). */
function looksPrefixed(key: string): boolean {
  // A loop, not a regular expression: entryKey runs on every GET hit.
  let i = 0;
  for (let c = key.charCodeAt(0); c >= 48 && c <= 57; c = key.charCodeAt(++i));
  return i > 0 && key.charCodeAt(i) === 0;
}

/** The Redis key of an entry key (`entryKey`'s inverse, less the database). */
function redisKeyOf(entryKey: string): string {
  const separator = entryKey.indexOf('\u0000');
  // Database 0 entries are the bare key, which may itself hold a NUL: only a leading number counts.
  return separator > 0 && /^\d+$/.test(entryKey.slice(0, separator)) ? entryKey.slice(separator + 1) : entryKey;
}

export class ReplyCache {
  private readonly engine: Cache<string, Variants>;
  private readonly ttl: number;
  private readonly now: () => number;
  /** Databases that have entries, so a key invalidated without a database reaches all of them. */
  private readonly databases = new Set<number>();

  constructor(options: ReplyCacheOptions) {
    this.ttl = options.ttl;
    this.now = options.now ?? (() => performance.now());
    this.engine = new Cache<string, Variants>({
      maxBytes: options.maxBytes,
      sizeOf: sizeOfVariants,
      now: options.now,
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
    if (v.name === variant) return v.reply;
    const more = v.more;
    if (more !== undefined) for (let i = 0; i < more.names.length; i++) if (more.names[i] === variant) return more.replies[i];
    return undefined;
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
    const copy = reply.toString('latin1');
    const existing = this.engine.peek(entryKey);
    let next: Variants;
    const whole = deadline === Infinity ? NO_DEADLINE : Math.floor(deadline);
    if (existing === undefined) {
      next = { name: variant, reply: copy, deadline: whole, more: undefined };
    } else {
      // A new object, not an update in place: the engine measures the entry again on set.
      next = { name: existing.name, reply: existing.reply, deadline: earliest(existing.deadline, whole), more: existing.more };
      if (existing.name === variant) {
        next.reply = copy;
      } else {
        const names = existing.more?.names.slice() ?? [];
        const replies = existing.more?.replies.slice() ?? [];
        const i = names.indexOf(variant);
        if (i >= 0) replies[i] = copy;
        else {
          names.push(variant);
          replies.push(copy);
        }
        next.more = { names, replies };
      }
    }
    const ttl = next.deadline === NO_DEADLINE ? 0 : Math.max(1, next.deadline - now);
    if (this.engine.set(entryKey, next, { ttl })) this.databases.add(db);
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
    this.databases.clear();
  }

  get entries(): number {
    return this.engine.size;
  }

  get bytes(): number {
    return this.engine.bytes;
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
