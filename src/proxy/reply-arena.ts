/**
 * Where L1 keeps its GET replies: the Redis key's bytes and the ready-to-write reply side by side,
 * in large Buffers outside the V8 heap, found through an open-addressing table hashed over the
 * key's bytes. Hand-written, and on the proxy's hit path.
 *
 * Why not strings in a Map: a hit then makes a string of the key (an allocation, then hashing it),
 * walks the Map's buckets, compares against the stored key string, and follows the entry to the
 * reply string: four or five cache lines spread over the heap, behind TLB misses that cost dearly
 * under nested paging. Here a hit reads one table cell, then one record whose key and reply are
 * adjacent, and copies the reply straight from it. Measured in bench/support/floor-server.ts (a
 * bare server answering redis-benchmark's GETs, 10k keys, pipeline 16, in turn with Redis): with
 * Map and strings it spent 1.36x Redis's CPU per GET, with this layout 0.97x.
 *
 * Layout (log-structured, as in RAMCloud's memory): records are appended to the head of segments
 * (a 64th of the budget, up to 1 MiB); a removed record is marked dead. When dead bytes exceed 1/8 of all segments, the
 * segment with the most dead bytes is cleaned: its live records move to the head, and the segment
 * is released. So the segments held stay within 8/7 of the live bytes plus the head, and no
 * cleaning pass copies more than one segment. Released segments are kept for reuse up to 1/16 of
 * those held; beyond, they go back to the allocator. Hence a bound on the memory the arena holds,
 * whatever the mix of records: 17/14 of each live record (recordCost) plus fixedBytesFor, which is
 * what the owner counts against its budget.
 *
 * Cleaning runs in `set` and `delete` only: a ref from `find` stays valid until the next of those.
 *
 * A record (4-byte aligned): slot, db, variant, hash, key length, reply length (int32 each), then
 * the key bytes and the reply bytes. `slot` is the owner's handle for the entry (the engine's slot).
 * The table's cells are pairs (hash, ref + 1); a ref is segment << 18 | word offset.
 *
 * The hash is FNV-1a over the key's bytes from a random per-process seed, finished with a mixer:
 * keys a client chose cannot be crafted offline into one long probe run, and an insert more than
 * MAX_PROBE cells from its home is refused (the owner keeps that reply elsewhere). The table
 * (../core/hash-cells.ts) is at most 60% full, so every lookup ends at an empty cell; the owner
 * sizes it for the engine's slots (`reserve`), which bound the records.
 */
import { HashCells } from '../core/hash-cells.js';
import { UncollectedBytes } from '../core/uncollected.js';

/**
 * Segments are a 64th of L1's budget, a power of two from 16 KiB to 1 MiB: the head segment's
 * free end is memory held for no record, so it must be small beside the budget.
 */
const MAX_SEGMENT_BYTES = 1 << 20;
const MIN_SEGMENT_BYTES = 16 << 10;
const OFFSET_BITS = 18;
const OFFSET_MASK = (1 << OFFSET_BITS) - 1;
/** Refs are positive int32s with 13 bits of segment: 8 GiB of segments. */
const MAX_SEGMENTS = 1 << 13;
const HEADER_WORDS = 6;
/**
 * Largest key + reply kept here, in an arena of `segmentBytes` segments: a record of at most 1/8
 * of a segment (a segment sealed early for a large record wastes less than that, and cleaning
 * reclaims it). Larger replies stay with the owner, as strings in the heap. All smaller replies
 * are here rather than in the heap: two pools would each keep what they held at their own busiest
 * phase, and the heap holds up to a tenth more than lives in it between collections.
 */
export function maxPayloadOf(segmentBytes: number): number {
  return segmentBytes / 8 - HEADER_WORDS * 4;
}

/** The largest key + reply any arena keeps (with 1 MiB segments). */
export const MAX_ARENA_PAYLOAD = maxPayloadOf(MAX_SEGMENT_BYTES);

/** The segment size for an L1 budget of `budget` bytes. */
export function segmentBytesFor(budget: number): number {
  let bytes = MIN_SEGMENT_BYTES;
  while (bytes < MAX_SEGMENT_BYTES && bytes * 2 * 64 <= budget) bytes *= 2;
  return bytes;
}
const MAX_PROBE = 64;
const INITIAL_CELLS = 1 << 10;
const DEAD = -1;

// Record fields, as word offsets from the record's start.
const SLOT = 0;
const DB = 1;
const VARIANT = 2;
const HASH = 3;
const KEY_LENGTH = 4;
const REPLY_LENGTH = 5;

const SEED = (Math.random() * 0x100000000) >>> 0;

/** Bytes a record of this key and reply takes in a segment. */
export function recordBytes(keyLength: number, replyLength: number): number {
  return HEADER_WORDS * 4 + ((keyLength + replyLength + 3) & ~3);
}

/**
 * What a live record accounts for of the arena's memory: its bytes, its share of the dead ones
 * (at most 1/8 of the segments held: 8/7 of the live) and of the spare segments (at most 1/16 of
 * those held): 8/7 x 17/16 = 17/14.
 */
export function recordCost(keyLength: number, replyLength: number): number {
  return Math.ceil((recordBytes(keyLength, replyLength) * 17) / 14);
}

/** A segment's JS objects (the Buffer, its Int32Array view, the record of its fill), about. */
const SEGMENT_OBJECT_BYTES = 256;

/** The table cell's hash: the key's bytes, then db and variant, mixed (murmur3's finalizer). */
function finish(h: number, db: number, variant: number): number {
  h = Math.imul(h ^ db, 0x01000193);
  h = Math.imul(h ^ variant, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hashBytes(bytes: Uint8Array, start: number, end: number, db: number, variant: number): number {
  let h = SEED;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return finish(h, db, variant);
}

interface Segment {
  bytes: Buffer;
  words: Int32Array;
  /** Words taken by records, from the start. */
  end: number;
  /** Dead words: removed records, and once sealed the unused end. */
  dead: number;
}

export class ReplyArena {
  private segments: (Segment | undefined)[] = [];
  private freeSegmentNumbers: number[] = [];
  /**
   * Released segments' memory, kept for the next ones, up to 1/16 of the segments held (at least
   * one). Handed back to the allocator at once, a megabyte at a time under churn, it came back as
   * RSS past the budget: a released Buffer waits for a GC, which external memory triggers only tens
   * of MB later, and glibc serves later megabytes from a heap the freed ones fragment (memory
   * section of bench:proxy, peak RSS: 171.8 MB without spares, 164.1-165.4 keeping all). Kept
   * without a bound, they would hold the most the arena ever held when L1's mix moves to replies
   * kept elsewhere.
   */
  private spare: Buffer[] = [];
  private head: number = -1;
  /** Tables replaced by larger ones, until collected. */
  private readonly garbage = new UncollectedBytes();
  private readonly table = new HashCells(INITIAL_CELLS, this.garbage);
  private readonly segmentWords: number;
  /** Largest key + reply kept (maxPayloadOf). */
  readonly maxPayload: number;
  /** Room for any key a record can hold, for the lookups by string. */
  private readonly scratch: Buffer;
  /** Words of all segments held, and of the dead records (and sealed ends) among them. */
  private heldWords = 0;
  private deadWords = 0;

  get size(): number {
    return this.table.size;
  }

  /** Bytes of the segments in use (live, dead and not yet used); the spare ones are `bytesSpare`. */
  get bytesHeld(): number {
    return this.heldWords * 4;
  }

  /** `segmentBytes`: a power of two from 16 KiB to 1 MiB (segmentBytesFor). */
  constructor(segmentBytes: number = MAX_SEGMENT_BYTES) {
    if (!(segmentBytes >= MIN_SEGMENT_BYTES && segmentBytes <= MAX_SEGMENT_BYTES && (segmentBytes & (segmentBytes - 1)) === 0)) {
      throw new RangeError(`segmentBytes must be a power of two from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES}, got ${segmentBytes}`);
    }
    this.segmentWords = segmentBytes >> 2;
    this.maxPayload = maxPayloadOf(segmentBytes);
    this.scratch = Buffer.allocUnsafe(this.maxPayload);
  }

  get bytesSpare(): number {
    return this.spare.length * this.segmentWords * 4;
  }

  /**
   * What the owner counts for the arena besides recordCost of each live record, once it has room
   * for `records` records (reserve): the head segment (whose free end is neither live nor dead
   * yet) with its share of spares (17/14), the one spare kept however few segments are held, the
   * table, the scratch buffer, the segments' objects, and the tables it replaced that are not
   * collected yet.
   */
  fixedBytesFor(records: number): number {
    return (
      Math.ceil((this.segmentWords * 4 * 31) / 14) +
      HashCells.bytesFor(records, INITIAL_CELLS) +
      this.scratch.length +
      // Every segment held or spare has a number below segments.length; one more for the number
      // a cleaning pass may take before it frees one.
      SEGMENT_OBJECT_BYTES * (this.segments.length + 1) +
      this.garbage.bytes
    );
  }

  /** Room in the table for `records` records, so that it does not grow on the way there. */
  reserve(records: number): void {
    this.table.reserve(records);
  }

  /** Bytes of removed records (and sealed segment ends) not yet reclaimed. */
  get bytesDead(): number {
    return this.deadWords * 4;
  }

  /**
   * The ref of (db, variant, key bytes), or -1. The hit path: reads the table and the record,
   * allocates nothing.
   */
  find(bytes: Uint8Array, start: number, length: number, db: number, variant: number): number {
    return this.locate(bytes, start, length, db, variant, hashBytes(bytes, start, start + length, db, variant));
  }

  /** `find`, the key's hash given. */
  private locate(bytes: Uint8Array, start: number, length: number, db: number, variant: number, hash: number): number {
    const { cells, mask } = this.table;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const cell = cells[2 * i + 1];
      if (cell === 0) return -1;
      if (cells[2 * i] !== hash) continue;
      const ref = cell - 1;
      const segment = this.segments[ref >>> OFFSET_BITS]!;
      const words = segment.words;
      const at = ref & OFFSET_MASK;
      if (words[at + KEY_LENGTH] !== length || words[at + DB] !== db || words[at + VARIANT] !== variant) continue;
      const record = segment.bytes;
      const keyAt = (at + HEADER_WORDS) << 2;
      let k = 0;
      while (k < length && record[keyAt + k] === bytes[start + k]) k++;
      if (k === length) return ref;
    }
  }

  /** `find` for a key held as a latin1 string (copied to a scratch buffer: not the hit path). */
  findString(key: string, db: number, variant: number): number {
    if (key.length > this.maxPayload) return -1;
    return this.find(this.scratch, 0, this.scratch.write(key, 'latin1'), db, variant);
  }

  slotOf(ref: number): number {
    return this.segments[ref >>> OFFSET_BITS]!.words[(ref & OFFSET_MASK) + SLOT];
  }

  /** The Buffer holding the record's reply; it starts at `replyStart(ref)` and is `replyLength(ref)` long. */
  bytesOf(ref: number): Buffer {
    return this.segments[ref >>> OFFSET_BITS]!.bytes;
  }

  replyStart(ref: number): number {
    const at = ref & OFFSET_MASK;
    return ((at + HEADER_WORDS) << 2) + this.segments[ref >>> OFFSET_BITS]!.words[at + KEY_LENGTH];
  }

  replyLength(ref: number): number {
    return this.segments[ref >>> OFFSET_BITS]!.words[(ref & OFFSET_MASK) + REPLY_LENGTH];
  }

  /** The reply as a latin1 string (for the paths that assemble replies as strings). */
  replyString(ref: number): string {
    const start = this.replyStart(ref);
    return this.bytesOf(ref).toString('latin1', start, start + this.replyLength(ref));
  }

  /**
   * Stores the reply of (db, variant, key), replacing any earlier one, with the owner's `slot`.
   * False when it cannot be kept here (too large, or its probe run too long): nothing is stored,
   * and any earlier record of the key is gone.
   */
  set(key: string, db: number, variant: number, reply: Buffer, slot: number): boolean {
    if (key.length > this.maxPayload) return false;
    const keyLength = this.scratch.write(key, 'latin1');
    const hash = hashBytes(this.scratch, 0, keyLength, db, variant);
    const earlier = this.locate(this.scratch, 0, keyLength, db, variant, hash);
    if (earlier >= 0) this.remove(earlier);
    const stored = keyLength + reply.length <= this.maxPayload && this.insert(key, db, variant, hash, reply, slot);
    this.cleanIfFragmented();
    return stored;
  }

  /** Writes a new record and its cell; false when its cell would be too far from home, or no segment is left. */
  private insert(key: string, db: number, variant: number, hash: number, reply: Buffer, slot: number): boolean {
    const ref = this.allocate(recordBytes(key.length, reply.length) >> 2);
    if (ref < 0) return false;
    const segment = this.segments[ref >>> OFFSET_BITS]!;
    const at = ref & OFFSET_MASK;
    const w = segment.words;
    w[at + SLOT] = slot;
    w[at + DB] = db;
    w[at + VARIANT] = variant;
    w[at + HASH] = hash;
    w[at + KEY_LENGTH] = key.length;
    w[at + REPLY_LENGTH] = reply.length;
    const keyAt = (at + HEADER_WORDS) << 2;
    segment.bytes.write(key, keyAt, 'latin1');
    reply.copy(segment.bytes, keyAt + key.length);
    if (this.table.add(hash, ref + 1, MAX_PROBE)) return true;
    this.markDead(ref);
    return false;
  }

  delete(key: string, db: number, variant: number): boolean {
    const ref = this.findString(key, db, variant);
    if (ref < 0) return false;
    this.remove(ref);
    this.cleanIfFragmented();
    return true;
  }

  /** Takes a record out of the table and marks it dead (cleaning is the caller's). */
  private remove(ref: number): void {
    this.table.remove(this.hashOf(ref), ref + 1);
    this.markDead(ref);
  }

  private hashOf(ref: number): number {
    return this.segments[ref >>> OFFSET_BITS]!.words[(ref & OFFSET_MASK) + HASH];
  }

  /** Forgets every record; the segments go back to the allocator (L1 was flushed: it may stay small), the table keeps its size. */
  clear(): void {
    this.segments = [];
    this.freeSegmentNumbers = [];
    this.spare = [];
    this.head = -1;
    this.table.clear();
    this.heldWords = 0;
    this.deadWords = 0;
  }

  // ------------------------------------------------------------------ segments

  /** Room for `words` at the head (a new head segment when the current one is full); -1 past MAX_SEGMENTS. */
  private allocate(words: number): number {
    let segment = this.head < 0 ? undefined : this.segments[this.head];
    const segmentWords = this.segmentWords;
    if (segment === undefined || segment.end + words > segmentWords) {
      if (this.freeSegmentNumbers.length === 0 && this.segments.length >= MAX_SEGMENTS) return -1;
      if (segment !== undefined) this.seal(this.head);
      const number = this.freeSegmentNumbers.pop() ?? this.segments.length;
      const bytes = this.spare.pop() ?? Buffer.allocUnsafeSlow(segmentWords * 4);
      segment = { bytes, words: new Int32Array(bytes.buffer, bytes.byteOffset, segmentWords), end: 0, dead: 0 };
      this.segments[number] = segment;
      this.head = number;
      this.heldWords += segmentWords;
    }
    const at = segment.end;
    segment.end += words;
    return (this.head << OFFSET_BITS) | at;
  }

  /** The head is full: its unused end counts as dead, so cleaning reclaims it. */
  private seal(number: number): void {
    const segment = this.segments[number]!;
    segment.dead += this.segmentWords - segment.end;
    this.deadWords += this.segmentWords - segment.end;
    if (segment.dead === this.segmentWords) this.release(number);
  }

  private recordWords(segment: Segment, at: number): number {
    return recordBytes(segment.words[at + KEY_LENGTH], segment.words[at + REPLY_LENGTH]) >> 2;
  }

  private markDead(ref: number): void {
    const number = ref >>> OFFSET_BITS;
    const segment = this.segments[number]!;
    const at = ref & OFFSET_MASK;
    const words = this.recordWords(segment, at);
    segment.words[at + SLOT] = DEAD;
    segment.dead += words;
    this.deadWords += words;
    // Segments other than the head are sealed: all dead, nothing in them is reachable.
    if (segment.dead === this.segmentWords) this.release(number);
  }

  private release(number: number): void {
    const segment = this.segments[number]!;
    this.segments[number] = undefined;
    this.freeSegmentNumbers.push(number);
    this.heldWords -= this.segmentWords;
    // Past the spares, a segment goes back to the allocator (with the next collection); the arena
    // only shrinks so when records leave for good, so nothing waits for that memory.
    if (this.spare.length < Math.max(1, this.heldWords / this.segmentWords / 16)) this.spare.push(segment.bytes);
    this.deadWords -= segment.dead;
    if (number === this.head) this.head = -1;
  }

  /**
   * Cleans the most fragmented sealed segment while dead words exceed 1/8 of those held. Their
   * average then exceeds 1/8 of a segment, so the victim frees more than a sealed end can waste:
   * each pass gains, and the loop ends.
   */
  private cleanIfFragmented(): void {
    while (this.deadWords * 8 > this.heldWords) {
      let victim = -1;
      let most = 0;
      for (let n = 0; n < this.segments.length; n++) {
        const s = this.segments[n];
        if (s !== undefined && n !== this.head && s.dead > most) {
          most = s.dead;
          victim = n;
        }
      }
      if (victim < 0 || !this.clean(victim)) return;
    }
  }

  /** Moves the live records of segment `number` to the head, then releases it; false if out of segments. */
  private clean(number: number): boolean {
    const segment = this.segments[number]!;
    const words = segment.words;
    for (let at = 0; at < segment.end; ) {
      const length = this.recordWords(segment, at);
      if (words[at + SLOT] !== DEAD) {
        const to = this.allocate(length);
        if (to < 0) return false;
        const target = this.segments[to >>> OFFSET_BITS]!;
        segment.bytes.copy(target.bytes, (to & OFFSET_MASK) << 2, at << 2, (at + length) << 2);
        this.table.replace(words[at + HASH], ((number << OFFSET_BITS) | at) + 1, to + 1);
        words[at + SLOT] = DEAD;
        segment.dead += length;
        this.deadWords += length;
      }
      at += length;
    }
    // Every record is dead now: the last markings may have released it already.
    if (this.segments[number] === segment) this.release(number);
    return true;
  }
}
