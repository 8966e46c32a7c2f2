/**
 * The proxy's L1: ready-to-write RESP replies, grouped by the Redis key they were read from, on
 * top of the engine. One engine entry per (database, key) holds every cached reply derived from
 * that key ("variants": GET k, HGET k f, LRANGE k 0 9 ... per user and protocol), so that an
 * invalidation of the key is one delete, and the policy weighs keys, not individual replies.
 */
import { Cache } from '../core/cache.js';
import { stringBytes } from '../core/size-of.js';

/** Bytes a stored reply costs besides its content (the Buffer objects and their backing store). */
const BUFFER_OVERHEAD = 160;
const ENTRY_OVERHEAD = 200;

interface Variants {
  names: string[];
  replies: Buffer[];
  /** Deadline of every variant: the earliest of the TTLs they were stored with. */
  expiresAt: number;
}

export interface ReplyCacheOptions {
  maxBytes: number;
  /** ms; 0: no TTL beyond the ones given to `put`. */
  ttl: number;
  now?: () => number;
}

function sizeOfVariants(v: Variants, key: string): number {
  let bytes = ENTRY_OVERHEAD + stringBytes(key) + 48 + 16 * v.names.length;
  for (let i = 0; i < v.names.length; i++) {
    bytes += stringBytes(v.names[i]) + v.replies[i].length + BUFFER_OVERHEAD;
  }
  return bytes;
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

  static entryKey(db: number, key: string): string {
    return db === 0 ? key : `${db}\u0000${key}`;
  }

  /** The stored reply, or undefined. `entryKey` comes from `ReplyCache.entryKey`. */
  get(entryKey: string, variant: string): Buffer | undefined {
    const v = this.engine.get(entryKey);
    if (v === undefined) return undefined;
    const names = v.names;
    for (let i = 0; i < names.length; i++) if (names[i] === variant) return v.replies[i];
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
    const copy = Buffer.allocUnsafeSlow(reply.length);
    reply.copy(copy);
    const existing = this.engine.peek(entryKey);
    let next: Variants;
    if (existing === undefined) {
      next = { names: [variant], replies: [copy], expiresAt: deadline };
    } else {
      const i = existing.names.indexOf(variant);
      next = { names: existing.names.slice(), replies: existing.replies.slice(), expiresAt: Math.min(existing.expiresAt, deadline) };
      if (i >= 0) next.replies[i] = copy;
      else {
        next.names.push(variant);
        next.replies.push(copy);
      }
    }
    const ttl = next.expiresAt === Infinity ? 0 : Math.max(1, next.expiresAt - now);
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
}
