/**
 * The engine's own key-to-slot index, for caches that count their structures against a memory
 * budget (CacheOptions.countStructures). A `Map` is faster to look up in (V8 keeps a string's hash
 * in the string), but under churn V8 keeps a Map's table at 2 to 4 times its live keys (56 to 112
 * bytes a key: a deleted entry holds its place until the table is full, and a full table with
 * fewer than half deleted doubles), and each doubling leaves the old table in the heap until a
 * full collection. For a proxy holding millions of keys that is more memory than the keys
 * themselves, and a peak no budget foresees.
 *
 * Here: a HashCells table of (hash, slot + 1) outside the V8 heap, sized by the engine for its
 * slots (13 to 27 bytes a slot), so that it grows only when they do, in the step the engine makes
 * room for. Keys are
 * hashed with the engine's seeded hash (./hash.ts: keys a client chose cannot be crafted offline
 * into long runs) and compared with SameValueZero, as a Map compares them, against the engine's
 * own array of keys by slot, so the index holds no key references of its own.
 */
import { HashCells } from './hash-cells.js';
import { hashKey } from './hash.js';
import type { UncollectedBytes } from './uncollected.js';

const INITIAL_CELLS = 16;

export class SlotIndex<K> {
  private readonly table: HashCells;

  /** Bytes of an index for `slots` slots. */
  static bytesFor(slots: number): number {
    return HashCells.bytesFor(slots, INITIAL_CELLS);
  }

  constructor(
    private readonly seed: number,
    garbage: UncollectedBytes,
  ) {
    this.table = new HashCells(INITIAL_CELLS, garbage);
  }

  /** Room for a key in each of `slots` slots. */
  reserve(slots: number): void {
    this.table.reserve(slots);
  }

  get byteLength(): number {
    return this.table.byteLength;
  }

  /** The slot of `key`, or undefined; `keys` is the engine's key of each slot. */
  get(key: K, keys: readonly (K | undefined)[]): number | undefined {
    const hash = hashKey(key, this.seed);
    const { cells, mask } = this.table;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const cell = cells[2 * i + 1];
      if (cell === 0) return undefined;
      if (cells[2 * i] === hash) {
        const stored = keys[cell - 1];
        // SameValueZero (NaN is one key; hashKey already made -0 and +0 one).
        if (stored === key || (stored !== stored && key !== key)) return cell - 1;
      }
    }
  }

  /**
   * Adds the key at `slot`, given its hash (hashKey with this index's seed: the engine's policy
   * hash of the slot, which it has at hand); the key must not be in the index.
   */
  add(hash: number, slot: number): void {
    this.table.add(hash, slot + 1);
  }

  /** Removes the key the index holds at `slot`, given its hash (as for add). */
  remove(hash: number, slot: number): void {
    this.table.remove(hash, slot + 1);
  }

  clear(): void {
    this.table.clear();
  }
}
