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
 * Layout (log-structured, as in RAMCloud's memory): records are appended to the head of 1 MiB
 * segments; a removed record is marked dead. When dead bytes exceed 1/8 of all segments, the
 * segment with the most dead bytes is cleaned: its live records move to the head, and the segment
 * is released. So the segments held stay within 8/7 of the live bytes (plus the head's free end),
 * which is what the owner counts per record (arenaCost in ./reply-cache.ts), and no cleaning pass
 * copies more than one segment.
 *
 * Cleaning runs in `set` and `delete` only: a ref from `find` stays valid until the next of those.
 *
 * A record (4-byte aligned): slot, db, variant, hash, key length, reply length (int32 each), then
 * the key bytes and the reply bytes. `slot` is the owner's handle for the entry (the engine's slot).
 * The table's cells are pairs (hash, ref + 1); a ref is segment << 18 | word offset.
 *
 * The hash is FNV-1a over the key's bytes from a random per-process seed, finished with a mixer:
 * keys a client chose cannot be crafted offline into one long probe run, and an insert more than
 * MAX_PROBE cells from its home is refused (the owner keeps that reply elsewhere). The table stays
 * at most 60% full, so every lookup ends at an empty cell.
 */

const SEGMENT_BYTES = 1 << 20;
const SEGMENT_WORDS = SEGMENT_BYTES >> 2;
const OFFSET_BITS = 18;
const OFFSET_MASK = (1 << OFFSET_BITS) - 1;
/** Refs are positive int32s with 13 bits of segment: 8 GiB of segments. */
const MAX_SEGMENTS = 1 << 13;
const HEADER_WORDS = 6;
/**
 * Largest key + reply kept here; larger replies stay with the owner (as strings in the heap). For
 * those the copy, not the lookup, is most of a hit; and with replies of up to 64 KiB here, the
 * memory section of bench:proxy peaked 3-5 MB higher (167.6-169.1 MB against 164.1-165.4): the
 * arena and the heap each keep what they held at their own busiest phase.
 */
export const MAX_ARENA_PAYLOAD = 4 * 1024 - HEADER_WORDS * 4;
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
   * Released segments' memory, kept for the next ones. Handed back to the allocator instead, a
   * megabyte at a time under churn, it came back as RSS past the budget: a released Buffer waits
   * for a GC, which external memory triggers only tens of MB later, and glibc serves later
   * megabytes from a heap the freed ones fragment. Memory section of bench:proxy, peak RSS: 171.8
   * MB without a pool, 166.5-168.9 keeping spares up to 1/8 of the segments in use, 164.1-165.4
   * keeping all (the same build otherwise). Never more than the most segments held at once.
   */
  private spare: Buffer[] = [];
  private head: number = -1;
  private cells = new Int32Array(INITIAL_CELLS * 2);
  private mask = INITIAL_CELLS - 1;
  private count = 0;
  /** Room for any key a record can hold, for the lookups by string. */
  private readonly scratch = Buffer.allocUnsafe(MAX_ARENA_PAYLOAD);
  /** Words of all segments held, and of the dead records (and sealed ends) among them. */
  private heldWords = 0;
  private deadWords = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes of the segments in use (live, dead and not yet used); the spare ones are `bytesSpare`. */
  get bytesHeld(): number {
    return this.heldWords * 4;
  }

  get bytesSpare(): number {
    return this.spare.length * SEGMENT_BYTES;
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
    const cells = this.cells;
    const mask = this.mask;
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
    if (key.length > MAX_ARENA_PAYLOAD) return -1;
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
    if (key.length > MAX_ARENA_PAYLOAD) return false;
    const keyLength = this.scratch.write(key, 'latin1');
    const hash = hashBytes(this.scratch, 0, keyLength, db, variant);
    const earlier = this.locate(this.scratch, 0, keyLength, db, variant, hash);
    if (earlier >= 0) this.remove(earlier);
    const stored = keyLength + reply.length <= MAX_ARENA_PAYLOAD && this.insert(key, db, variant, hash, reply, slot);
    this.cleanIfFragmented();
    return stored;
  }

  /** Writes a new record and its cell; false when its cell would be too far from home, or no segment is left. */
  private insert(key: string, db: number, variant: number, hash: number, reply: Buffer, slot: number): boolean {
    if ((this.count + 1) * 10 > (this.mask + 1) * 6) this.resizeTable((this.mask + 1) * 2);
    const cell = this.emptyCellFor(hash);
    if (cell < 0) return false;
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
    this.cells[2 * cell] = hash;
    this.cells[2 * cell + 1] = ref + 1;
    this.count++;
    return true;
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
    this.removeCell(this.cellOf(ref));
    this.markDead(ref);
    this.count--;
  }

  /** Forgets every record; the memory goes back to the allocator (L1 was flushed: it may stay small). */
  clear(): void {
    this.segments = [];
    this.freeSegmentNumbers = [];
    this.spare = [];
    this.head = -1;
    this.cells = new Int32Array(INITIAL_CELLS * 2);
    this.mask = INITIAL_CELLS - 1;
    this.count = 0;
    this.heldWords = 0;
    this.deadWords = 0;
  }

  // ------------------------------------------------------------------ table

  /** The first free cell of `hash`'s run, or -1 when it is more than MAX_PROBE cells from home. */
  private emptyCellFor(hash: number): number {
    const cells = this.cells;
    for (let i = hash & this.mask, probes = 0; probes <= MAX_PROBE; i = (i + 1) & this.mask, probes++) {
      if (cells[2 * i + 1] === 0) return i;
    }
    return -1;
  }

  /** The cell that points at `ref` (which the table holds). */
  private cellOf(ref: number): number {
    const hash = this.segments[ref >>> OFFSET_BITS]!.words[(ref & OFFSET_MASK) + HASH];
    const cells = this.cells;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) if (cells[2 * i + 1] === ref + 1) return i;
  }

  /** Empties cell `hole`, moving later cells of the run back so that every lookup still reaches them. */
  private removeCell(hole: number): void {
    const cells = this.cells;
    const mask = this.mask;
    for (let j = (hole + 1) & mask; cells[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = cells[2 * j] & mask;
      // j may move back to hole when its home is not in (hole, j], cyclically.
      const reachable = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (reachable) continue;
      cells[2 * hole] = cells[2 * j];
      cells[2 * hole + 1] = cells[2 * j + 1];
      hole = j;
    }
    cells[2 * hole] = 0;
    cells[2 * hole + 1] = 0;
  }

  private resizeTable(size: number): void {
    const old = this.cells;
    this.cells = new Int32Array(size * 2);
    this.mask = size - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === 0) continue;
      // A longer table only shortens runs: every record finds a cell.
      let j = old[i] & this.mask;
      while (this.cells[2 * j + 1] !== 0) j = (j + 1) & this.mask;
      this.cells[2 * j] = old[i];
      this.cells[2 * j + 1] = old[i + 1];
    }
  }

  // ------------------------------------------------------------------ segments

  /** Room for `words` at the head (a new head segment when the current one is full); -1 past MAX_SEGMENTS. */
  private allocate(words: number): number {
    let segment = this.head < 0 ? undefined : this.segments[this.head];
    if (segment === undefined || segment.end + words > SEGMENT_WORDS) {
      if (this.freeSegmentNumbers.length === 0 && this.segments.length >= MAX_SEGMENTS) return -1;
      if (segment !== undefined) this.seal(this.head);
      const number = this.freeSegmentNumbers.pop() ?? this.segments.length;
      const bytes = this.spare.pop() ?? Buffer.allocUnsafeSlow(SEGMENT_BYTES);
      segment = { bytes, words: new Int32Array(bytes.buffer, bytes.byteOffset, SEGMENT_WORDS), end: 0, dead: 0 };
      this.segments[number] = segment;
      this.head = number;
      this.heldWords += SEGMENT_WORDS;
    }
    const at = segment.end;
    segment.end += words;
    return (this.head << OFFSET_BITS) | at;
  }

  /** The head is full: its unused end counts as dead, so cleaning reclaims it. */
  private seal(number: number): void {
    const segment = this.segments[number]!;
    segment.dead += SEGMENT_WORDS - segment.end;
    this.deadWords += SEGMENT_WORDS - segment.end;
    if (segment.dead === SEGMENT_WORDS) this.release(number);
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
    if (segment.dead === SEGMENT_WORDS) this.release(number);
  }

  private release(number: number): void {
    const segment = this.segments[number]!;
    this.segments[number] = undefined;
    this.freeSegmentNumbers.push(number);
    this.spare.push(segment.bytes);
    this.heldWords -= SEGMENT_WORDS;
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
        this.cells[2 * this.cellOf((number << OFFSET_BITS) | at) + 1] = to + 1;
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
