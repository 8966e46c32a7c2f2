/**
 * Remembers the hashes of recently evicted keys with a stamp (when they left), so that a miss can
 * tell whether a slightly larger region would still have held its key. Direct-mapped: a key
 * overwrites whatever shared its slot, so memory is fixed (8 bytes a slot) and every operation is
 * one probe; a lost ghost only costs a little evidence.
 */
export class GhostTable {
  private readonly hashes: Int32Array;
  private readonly stamps: Int32Array;
  private readonly mask: number;

  /** `slots` is rounded down to a power of two. */
  constructor(slots: number) {
    let n = 1;
    while (n * 2 <= slots) n *= 2;
    this.hashes = new Int32Array(n);
    this.stamps = new Int32Array(n);
    this.mask = n - 1;
  }

  get slots(): number {
    return this.hashes.length;
  }

  get byteLength(): number {
    return this.hashes.byteLength + this.stamps.byteLength;
  }

  /** Remembers `hash` (non-negative, below 2^31 - 1) as evicted at `stamp`. */
  add(hash: number, stamp: number): void {
    const slot = spread(hash) & this.mask;
    this.hashes[slot] = hash + 1;
    this.stamps[slot] = stamp;
  }

  /** Forgets `hash` and returns the stamp it was evicted at, or -1 when it is not remembered. */
  take(hash: number): number {
    const slot = spread(hash) & this.mask;
    if (this.hashes[slot] !== hash + 1) return -1;
    this.hashes[slot] = 0;
    return this.stamps[slot];
  }
}

/** The callers sample keys by their hash's low bits: index by other bits. */
function spread(x: number): number {
  x = Math.imul(x ^ (x >>> 13), 0x5bd1e995);
  return x ^ (x >>> 15);
}
