/**
 * A list value: a deque of latin1 strings in a ring buffer (a power-of-two array with a head
 * index), so pushes and pops at either end are O(1) and LINDEX/LSET/LRANGE index directly.
 * Inserting or removing in the middle shifts the nearer side, as Redis's quicklist is O(N) there.
 *
 * Its cost is kept current like HashEntry's: the array's slots (8 bytes each, at its capacity)
 * plus each element's string (see src/core/size-of.ts).
 */
import { stringBytes } from '../core/size-of.js';

/** The deque object (header, map, 4 fields) and the array object's header. */
const LIST_OBJECT_BYTES = 48 + 32;
/** One array slot: a tagged pointer. */
const SLOT_BYTES = 8;
const MIN_CAPACITY = 8;

export class ListEntry {
  readonly type = 'list';
  expiresAt = 0;
  slot = -1;
  private ring: (string | undefined)[] = new Array<string | undefined>(MIN_CAPACITY);
  private head = 0;
  private count = 0;
  /** Heap bytes of the elements' strings. */
  private elementBytes = 0;

  /** Heap bytes of the deque and its elements, for entryBytes. */
  get payloadBytes(): number {
    return LIST_OBJECT_BYTES + this.ring.length * SLOT_BYTES + this.elementBytes;
  }

  get length(): number {
    return this.count;
  }

  /** The element at `index` (0 is the head), which must be in range. */
  at(index: number): string {
    return this.ring[(this.head + index) & (this.ring.length - 1)]!;
  }

  set(index: number, value: string): void {
    const place = (this.head + index) & (this.ring.length - 1);
    this.elementBytes += stringBytes(value) - stringBytes(this.ring[place]!);
    this.ring[place] = value;
  }

  pushHead(value: string): void {
    if (this.count === this.ring.length) this.resize(this.ring.length * 2);
    this.head = (this.head - 1) & (this.ring.length - 1);
    this.ring[this.head] = value;
    this.count++;
    this.elementBytes += stringBytes(value);
  }

  pushTail(value: string): void {
    if (this.count === this.ring.length) this.resize(this.ring.length * 2);
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = value;
    this.count++;
    this.elementBytes += stringBytes(value);
  }

  push(value: string, head: boolean): void {
    if (head) this.pushHead(value);
    else this.pushTail(value);
  }

  /** Removes and returns the head (or tail) element; undefined when empty. */
  pop(head: boolean): string | undefined {
    if (this.count === 0) return undefined;
    const mask = this.ring.length - 1;
    const place = head ? this.head : (this.head + this.count - 1) & mask;
    const value = this.ring[place]!;
    this.ring[place] = undefined;
    if (head) this.head = (this.head + 1) & mask;
    this.count--;
    this.elementBytes -= stringBytes(value);
    this.shrinkIfSparse();
    return value;
  }

  /** Inserts `value` so that it ends up at `index` (0..length). */
  insert(index: number, value: string): void {
    if (index === 0) return this.pushHead(value);
    if (index === this.count) return this.pushTail(value);
    if (this.count === this.ring.length) this.resize(this.ring.length * 2);
    const mask = this.ring.length - 1;
    if (index < this.count / 2) {
      // Shift the elements before it one place toward the head.
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) this.ring[(this.head + i) & mask] = this.ring[(this.head + i + 1) & mask];
    } else {
      for (let i = this.count; i > index; i--) this.ring[(this.head + i) & mask] = this.ring[(this.head + i - 1) & mask];
    }
    this.ring[(this.head + index) & mask] = value;
    this.count++;
    this.elementBytes += stringBytes(value);
  }

  /** Removes the element at `index`, which must be in range. */
  removeAt(index: number): void {
    const mask = this.ring.length - 1;
    this.elementBytes -= stringBytes(this.ring[(this.head + index) & mask]!);
    if (index < this.count / 2) {
      for (let i = index; i > 0; i--) this.ring[(this.head + i) & mask] = this.ring[(this.head + i - 1) & mask];
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
      for (let i = index; i < this.count - 1; i++) this.ring[(this.head + i) & mask] = this.ring[(this.head + i + 1) & mask];
      this.ring[(this.head + this.count - 1) & mask] = undefined;
    }
    this.count--;
    this.shrinkIfSparse();
  }

  /**
   * Keeps only the elements whose index passes `keep`, in order, in one pass (LREM); returns how
   * many were removed.
   */
  retain(keep: (value: string, index: number) => boolean): number {
    const kept: string[] = [];
    let removedBytes = 0;
    for (let i = 0; i < this.count; i++) {
      const value = this.at(i);
      if (keep(value, i)) kept.push(value);
      else removedBytes += stringBytes(value);
    }
    const removed = this.count - kept.length;
    if (removed > 0) {
      this.refill(kept);
      this.elementBytes -= removedBytes;
    }
    return removed;
  }

  /** Keeps the elements from `start` to `end` inclusive, which must be in range (LTRIM). */
  trim(start: number, end: number): void {
    const kept: string[] = [];
    for (let i = start; i <= end; i++) kept.push(this.at(i));
    let bytes = 0;
    for (const value of kept) bytes += stringBytes(value);
    this.refill(kept);
    this.elementBytes = bytes;
  }

  /** Elements from `start` to `end` inclusive, which must be in range. */
  slice(start: number, end: number): string[] {
    const out: string[] = [];
    for (let i = start; i <= end; i++) out.push(this.at(i));
    return out;
  }

  /** A list holding the same elements, for another key (RENAME). */
  copy(): ListEntry {
    const copy = new ListEntry();
    copy.refill(this.slice(0, this.count - 1));
    copy.elementBytes = this.elementBytes;
    return copy;
  }

  private refill(values: string[]): void {
    let capacity = MIN_CAPACITY;
    while (capacity < values.length) capacity *= 2;
    const ring = new Array<string | undefined>(capacity);
    for (let i = 0; i < values.length; i++) ring[i] = values[i];
    this.ring = ring;
    this.head = 0;
    this.count = values.length;
  }

  /** Halves the array once it is at most a quarter full, so a drained list gives its memory back. */
  private shrinkIfSparse(): void {
    if (this.ring.length > MIN_CAPACITY && this.count <= this.ring.length / 4) this.resize(this.ring.length / 2);
  }

  private resize(capacity: number): void {
    const ring = new Array<string | undefined>(capacity);
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.count; i++) ring[i] = this.ring[(this.head + i) & mask];
    this.ring = ring;
    this.head = 0;
  }
}
