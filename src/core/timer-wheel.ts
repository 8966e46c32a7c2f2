/**
 * A hierarchical timer wheel (Varghese & Lauck, "Hashed and Hierarchical Timing Wheels", 1987),
 * after Caffeine's TimerWheel: reclaims expired entries in amortized O(1) without a timer per
 * entry and without waiting for a read of the expired key.
 *
 * Each wheel is a ring of buckets; a bucket is a circular doubly-linked list of cache slots. An
 * entry due within a wheel's range sits in the bucket of its due tick; when time passes a tick,
 * that bucket's entries are either expired or cascade down to a finer wheel. Precision is about
 * a second: reads check the exact deadline themselves, so the wheel only bounds how long an
 * unread expired entry keeps its memory.
 *
 * `earliestDeadline` is a lower bound on every deadline in the wheel, so a read before it needs
 * no per-entry check (which would cost a cache miss on the hit path). Scheduling lowers it; a
 * sweep of the finest wheel raises it to the end of the current tick, or to the earliest
 * deadline the sweep left in the current tick: every other bucket holds later deadlines.
 *
 * Times are in the cache's clock unit (milliseconds). Slots are the cache's entry indices.
 */

import type { UncollectedBytes } from './uncollected.js';

/** Bucket width of each wheel, as a power of two of milliseconds: ~1 s, ~65 s, ~70 min, ~37 h. */
const SHIFTS = [10, 16, 22, 27, 31];
/** Buckets per wheel; each wheel spans the next one's bucket width. The last is the overflow. */
const BUCKETS = [64, 64, 32, 16, 1];
const SPANS = SHIFTS.map((s) => 2 ** s);
const FIRST_BUCKET = BUCKETS.map((_, i) => BUCKETS.slice(0, i).reduce((a, b) => a + b, 0));
const BUCKET_COUNT = BUCKETS.reduce((a, b) => a + b, 0);
const UNLINKED = -1;

export class TimerWheel {
  /** Deadline of each slot; Infinity when the slot does not expire. Read by the cache's get. */
  expiresAt: Float64Array;
  /** prev/next pairs; bucket sentinels first, then slot `s` at node `BUCKET_COUNT + s`. */
  private links: Int32Array;
  private time: number;
  /** No slot in the wheel expires before this. */
  earliestDeadline = Infinity;
  /** During a sweep: the earliest deadline left before `tickEnd`. */
  private sweptMinimum = Infinity;
  private tickEnd = Infinity;

  constructor(capacity: number, now: number) {
    this.expiresAt = new Float64Array(capacity).fill(Infinity);
    this.links = new Int32Array((BUCKET_COUNT + capacity) * 2).fill(UNLINKED);
    for (let b = 0; b < BUCKET_COUNT; b++) {
      this.links[2 * b] = b;
      this.links[2 * b + 1] = b;
    }
    this.time = now;
  }

  get capacity(): number {
    return this.expiresAt.length;
  }

  get byteLength(): number {
    return this.expiresAt.byteLength + this.links.byteLength;
  }

  /** Room for `capacity` slots; the arrays replaced are counted in `garbage` until collected. */
  grow(capacity: number, garbage?: UncollectedBytes): void {
    garbage?.dropped(this.expiresAt, this.expiresAt.byteLength);
    garbage?.dropped(this.links, this.links.byteLength);
    const expiresAt = new Float64Array(capacity).fill(Infinity);
    expiresAt.set(this.expiresAt);
    this.expiresAt = expiresAt;
    const links = new Int32Array((BUCKET_COUNT + capacity) * 2).fill(UNLINKED);
    links.set(this.links);
    this.links = links;
  }

  /** Sets the slot's deadline (Infinity: never) and files it in the matching bucket. */
  schedule(slot: number, expiresAt: number): void {
    this.deschedule(slot);
    this.expiresAt[slot] = expiresAt;
    if (expiresAt !== Infinity) {
      this.link(this.bucketFor(expiresAt), BUCKET_COUNT + slot);
      if (expiresAt < this.earliestDeadline) this.earliestDeadline = expiresAt;
    }
  }

  deschedule(slot: number): void {
    const node = BUCKET_COUNT + slot;
    const links = this.links;
    const prev = links[2 * node];
    if (prev === UNLINKED) return;
    const next = links[2 * node + 1];
    links[2 * prev + 1] = next;
    links[2 * next] = prev;
    links[2 * node] = UNLINKED;
    links[2 * node + 1] = UNLINKED;
    this.expiresAt[slot] = Infinity;
  }

  /**
   * Moves time to `now` and calls `expire(slot)` for each slot whose deadline passed. The slot is
   * already out of the wheel when `expire` runs; `expire` must not schedule new entries.
   */
  advance(now: number, expire: (slot: number) => void): void {
    const previous = this.time;
    if (!(now > previous)) return;
    this.time = now;
    const tick = Math.floor(now / SPANS[0]);
    if (tick === Math.floor(previous / SPANS[0])) return; // no bucket is due yet
    this.tickEnd = (tick + 1) * SPANS[0];
    this.sweptMinimum = Infinity;
    for (let w = 0; w < SHIFTS.length; w++) {
      const previousTicks = Math.floor(previous / SPANS[w]);
      const delta = Math.floor(now / SPANS[w]) - previousTicks;
      if (delta <= 0) break;
      const buckets = BUCKETS[w];
      const steps = Math.min(delta + 1, buckets);
      for (let i = 0; i < steps; i++) {
        this.sweep(FIRST_BUCKET[w] + ((previousTicks + i) & (buckets - 1)), now, expire);
      }
    }
    // Every bucket that can hold a deadline before tickEnd was just swept.
    this.earliestDeadline = Math.min(this.sweptMinimum, this.tickEnd);
  }

  /** Forgets every deadline. */
  clear(): void {
    this.earliestDeadline = Infinity;
    this.expiresAt.fill(Infinity);
    this.links.fill(UNLINKED, 2 * BUCKET_COUNT);
    for (let b = 0; b < BUCKET_COUNT; b++) {
      this.links[2 * b] = b;
      this.links[2 * b + 1] = b;
    }
  }

  /** Empties one bucket: expires what is due, files the rest again (in a finer wheel). */
  private sweep(bucket: number, now: number, expire: (slot: number) => void): void {
    const links = this.links;
    let node = links[2 * bucket + 1];
    links[2 * bucket] = bucket;
    links[2 * bucket + 1] = bucket;
    while (node !== bucket) {
      const next = links[2 * node + 1];
      links[2 * node] = UNLINKED;
      links[2 * node + 1] = UNLINKED;
      const slot = node - BUCKET_COUNT;
      const deadline = this.expiresAt[slot];
      if (deadline <= now) {
        this.expiresAt[slot] = Infinity;
        expire(slot);
      } else {
        this.link(this.bucketFor(deadline), node);
        if (deadline < this.sweptMinimum) this.sweptMinimum = deadline;
      }
      node = next;
    }
  }

  private bucketFor(expiresAt: number): number {
    // A deadline already past goes to the current tick's bucket: the next advance sweeps it.
    if (expiresAt < this.time) expiresAt = this.time;
    const duration = expiresAt - this.time;
    const last = SHIFTS.length - 1;
    for (let w = 0; w < last; w++) {
      if (duration < SPANS[w + 1]) {
        return FIRST_BUCKET[w] + (Math.floor(expiresAt / SPANS[w]) & (BUCKETS[w] - 1));
      }
    }
    return FIRST_BUCKET[last];
  }

  private link(bucket: number, node: number): void {
    const links = this.links;
    const tail = links[2 * bucket];
    links[2 * tail + 1] = node;
    links[2 * node] = tail;
    links[2 * node + 1] = bucket;
    links[2 * bucket] = node;
  }
}
