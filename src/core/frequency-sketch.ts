/**
 * A Count-Min sketch of 4-bit counters that estimates how often each key was seen recently: the
 * "TinyLFU" of W-TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache Admission
 * Policy", ACM ToS 2017). Its memory is fixed at construction, whatever the number of keys.
 *
 * Layout, after Caffeine's FrequencySketch: the table is split into 64-byte blocks (one cache
 * line); a key's four counters all live in one block, one counter in each quarter of it, so an
 * increment or an estimate touches a single cache line. A block is 16 words of 8 nibbles.
 *
 * Aging: after `sampleSize` recorded accesses every counter is halved ("reset"), so the sketch
 * forgets old popularity and tracks the recent distribution; 4 bits suffice because counts are
 * bounded by the reset period (Caffeine uses 10x the cache's capacity, and so do we).
 *
 * The halving visits only the blocks that hold a count (listed when first added to, dropped once
 * halved to zero): the table's size is fixed while the period follows the number of entries, so
 * a 512 KiB sketch in front of a thousand hot keys would otherwise be swept whole every ten
 * thousand accesses, about 4% of the proxy's CPU.
 *
 * Counting and adding are separate calls so that a cache can keep the counts of the keys it
 * holds next to its entries and write them here only when the entry leaves (see cache.ts).
 *
 * Hand-written: it runs on every cache access, where a general library would cost us our speed.
 */
export class FrequencySketch {
  private readonly table: Uint32Array;
  private readonly blockMask: number;
  /** Per block, 1 while it is in `active`. */
  private readonly listed: Uint8Array;
  /** The blocks that may hold a nonzero counter, `activeCount` of them. */
  private readonly active: Int32Array;
  private activeCount = 0;
  private additions = 0;
  /** A one-entry memo of `frequencyMemoized`, cleared by any change to the memoized key's block. */
  private memoHash = -1;
  private memoFrequency = 0;
  /** Increments between two halvings of every counter. */
  sampleSize: number;

  /** `bytes` is rounded down to a power of two, at least one 64-byte block. */
  constructor(bytes: number, sampleSize: number) {
    let blocks = 1;
    while (blocks * 2 * 64 <= bytes) blocks *= 2;
    this.table = new Uint32Array(blocks * 16);
    this.listed = new Uint8Array(blocks);
    this.active = new Int32Array(blocks);
    this.blockMask = blocks - 1;
    this.sampleSize = Math.max(1, sampleSize);
  }

  get byteLength(): number {
    return this.table.byteLength;
  }

  /** The table and its index of blocks in use. */
  get memoryBytes(): number {
    return this.table.byteLength + this.listed.byteLength + this.active.byteLength;
  }

  /** Records one occurrence of the key whose hash is `hash`; true when that halved the sketch. */
  increment(hash: number): boolean {
    this.add(hash, 1);
    return this.countAdditions(1);
  }

  /** Adds `n` occurrences to the key's counters (each saturating at 15) without counting them. */
  add(hash: number, n: number): void {
    const t = this.table;
    const index = hash & this.blockMask;
    if (this.listed[index] === 0) {
      this.listed[index] = 1;
      this.active[this.activeCount++] = index;
    }
    const block = index << 4;
    const h = rehash(hash);
    for (let i = 0; i < 4; i++) {
      const bits = h >>> (i << 3);
      const word = block + (i << 2) + (bits & 3);
      const shift = ((bits >>> 2) & 7) << 2;
      const count = (t[word] >>> shift) & 15;
      const raised = count + n > 15 ? 15 : count + n;
      t[word] += ((raised - count) << shift) >>> 0;
    }
    if (((hash ^ this.memoHash) & this.blockMask) === 0) this.memoHash = -1;
  }

  /** Counts `n` accesses toward the next halving; true when this call halved every counter. */
  countAdditions(n: number): boolean {
    this.additions += n;
    if (this.additions < this.sampleSize) return false;
    this.halve();
    return true;
  }

  /** Accesses still to count before the next halving. */
  get additionsBeforeHalving(): number {
    return this.sampleSize - this.additions;
  }

  /** The estimated number of recent occurrences, 0 to 15. */
  frequency(hash: number): number {
    const t = this.table;
    const block = (hash & this.blockMask) << 4;
    const h = rehash(hash);
    let min = 15;
    for (let i = 0; i < 4; i++) {
      const bits = h >>> (i << 3);
      const count = (t[block + (i << 2) + (bits & 3)] >>> (((bits >>> 2) & 7) << 2)) & 15;
      if (count < min) min = count;
    }
    return min;
  }

  /**
   * Like `frequency`, remembering the answer for one key. The eviction loop asks about the same
   * victim again and again while newcomers are rejected; this saves a cache miss per write.
   */
  frequencyMemoized(hash: number): number {
    if (hash === this.memoHash) return this.memoFrequency;
    this.memoFrequency = this.frequency(hash);
    this.memoHash = hash;
    return this.memoFrequency;
  }

  /** Halves every counter; the odd remainders lost are subtracted from the sample count. */
  private halve(): void {
    const t = this.table;
    const active = this.active;
    let odd = 0;
    let kept = 0;
    for (let a = 0; a < this.activeCount; a++) {
      const index = active[a];
      const start = index << 4;
      let left = 0;
      for (let i = start; i < start + 16; i++) {
        const w = t[i];
        odd += popcountNibbleLows(w & 0x11111111);
        left |= t[i] = (w >>> 1) & 0x77777777;
      }
      if (left === 0) this.listed[index] = 0;
      else active[kept++] = index;
    }
    this.activeCount = kept;
    this.additions = (this.additions - (odd >>> 2)) >>> 1;
    this.memoHash = -1;
  }

  clear(): void {
    this.table.fill(0);
    this.listed.fill(0);
    this.activeCount = 0;
    this.additions = 0;
    this.memoHash = -1;
  }
}

/** A second, independent mix of the hash to pick counters inside the block. */
function rehash(x: number): number {
  x = Math.imul(x, 0x31848bab);
  return x ^ (x >>> 14);
}

/** Counts set bits of a word whose bits are only at nibble offsets 0, 4, ..., 28. */
function popcountNibbleLows(x: number): number {
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
