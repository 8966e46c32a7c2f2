/**
 * An open-addressing table of (hash, value) pairs in one Int32Array, with linear probing, for the
 * indexes that must know their own size: the engine's key-to-slot index (./slot-index.ts) and the
 * proxy's reply arena. Hand-written: its owners look keys up on their hot paths, reading
 * `cells` and `mask` directly (cell i is cells[2i] = hash, cells[2i + 1] = value, 0 = empty), and
 * compare the keys themselves, which live elsewhere.
 *
 * It is at most 60% full: its owner reserves room for the most keys it will hold (`reserve`,
 * when that number grows), else it doubles when an add would pass 60%. Either way the table it
 * replaces is counted in `garbage` until collected. Deletion moves later cells of the run back
 * instead of leaving tombstones, so runs never outgrow the live keys, and every lookup ends at an
 * empty cell.
 */
import type { UncollectedBytes } from './uncollected.js';

/** Cells for `keys` keys at most 60% full, a power of two of at least `initialCells`. */
function cellsFor(keys: number, initialCells: number): number {
  let cells = initialCells;
  while (cells * 3 < keys * 5) cells *= 2;
  return cells;
}

export class HashCells {
  cells: Int32Array;
  mask: number;
  private count = 0;

  /** Bytes of a table reserved for `keys` keys. */
  static bytesFor(keys: number, initialCells: number): number {
    return cellsFor(keys, initialCells) * 8;
  }

  constructor(
    private readonly initialCells: number,
    private readonly garbage?: UncollectedBytes,
  ) {
    this.cells = new Int32Array(initialCells * 2);
    this.mask = initialCells - 1;
  }

  get size(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.cells.byteLength;
  }

  /** Makes room for `keys` keys without a resize on the way (never shrinks). */
  reserve(keys: number): void {
    if (keys * 5 <= (this.mask + 1) * 3) return;
    this.resize(cellsFor(keys, this.initialCells));
  }

  /**
   * Adds (hash, value), value > 0. False, with nothing added, when the free cell is more than
   * `maxProbe` cells from the hash's home.
   */
  add(hash: number, value: number, maxProbe = Infinity): boolean {
    if ((this.count + 1) * 5 > (this.mask + 1) * 3) this.resize((this.mask + 1) * 2);
    const cells = this.cells;
    const mask = this.mask;
    let i = hash & mask;
    for (let probes = 0; cells[2 * i + 1] !== 0; probes++) {
      if (probes >= maxProbe) return false;
      i = (i + 1) & mask;
    }
    cells[2 * i] = hash;
    cells[2 * i + 1] = value;
    this.count++;
    return true;
  }

  /** Removes the pair (hash, value), which the table holds. */
  remove(hash: number, value: number): void {
    const cells = this.cells;
    const mask = this.mask;
    let hole = this.cellOf(hash, value);
    for (let j = (hole + 1) & mask; cells[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = cells[2 * j] & mask;
      // j may move back to the hole when its home is not in (hole, j], cyclically.
      const reachable = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (reachable) continue;
      cells[2 * hole] = cells[2 * j];
      cells[2 * hole + 1] = cells[2 * j + 1];
      hole = j;
    }
    cells[2 * hole] = 0;
    cells[2 * hole + 1] = 0;
    this.count--;
  }

  /** Replaces the value of the pair (hash, from), which the table holds, with `to`. */
  replace(hash: number, from: number, to: number): void {
    this.cells[2 * this.cellOf(hash, from) + 1] = to;
  }

  /** Forgets every pair, keeping the table's size. */
  clear(): void {
    this.cells.fill(0);
    this.count = 0;
  }

  private cellOf(hash: number, value: number): number {
    const cells = this.cells;
    let i = hash & this.mask;
    while (cells[2 * i + 1] !== value) i = (i + 1) & this.mask;
    return i;
  }

  private resize(size: number): void {
    const old = this.cells;
    const cells = new Int32Array(size * 2);
    const mask = size - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === 0) continue;
      // A larger table only shortens runs: every pair finds a cell.
      let j = old[i] & mask;
      while (cells[2 * j + 1] !== 0) j = (j + 1) & mask;
      cells[2 * j] = old[i];
      cells[2 * j + 1] = old[i + 1];
    }
    this.garbage?.dropped(old, old.byteLength);
    this.cells = cells;
    this.mask = mask;
  }
}
