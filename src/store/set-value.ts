/**
 * A set value, after Redis 7.0's t_set.c: members are latin1 strings, kept in an array (for
 * O(1) random picks, as SPOP and SRANDMEMBER need) with each member's place in a Map (for O(1)
 * lookups and removals, the last member moving into the hole).
 *
 * Redis 7.0 encodes a set as an intset while every member is an integer (string2ll) and there
 * are at most set-max-intset-entries (512) of them, and as a hash table for good after either
 * stops being true. The two differ in what clients see: an intset replies in ascending order, a
 * hash table in its own order, which no client may rely on. `intset` follows the same rule, so
 * `members()` can reply in Redis's order wherever Redis's order is deterministic.
 */
import { stringBytes } from '../core/size-of.js';
import { parseLongLong } from './arguments.js';

/** Redis's default set-max-intset-entries (the store has no CONFIG SET to change it). */
export const MAX_INTSET_ENTRIES = 512;
/** A Map: the object plus its initial hash table; and the member array's object. */
const EMPTY_BYTES = 64 + 32;
/** Per member: its Map entry (key, value and chain words, bucket share, growth slack) and its array slot (8 bytes, up to 1.5x). */
const MEMBER_BYTES = 40 + 12;

export class SetEntry {
  readonly type = 'set';
  expiresAt = 0;
  slot = -1;
  /** Heap bytes of the members, kept current by `add` / `remove`. */
  payloadBytes = EMPTY_BYTES;
  /** Redis would hold these members as an intset (see above). */
  intset = true;
  private readonly items: string[] = [];
  private readonly places = new Map<string, number>();

  /** A set of `members` as Redis builds a new one (SINTERSTORE, SMOVE to a new key...). */
  static of(members: Iterable<string>): SetEntry {
    const set = new SetEntry();
    for (const member of members) set.add(member);
    return set;
  }

  get size(): number {
    return this.items.length;
  }

  has(member: string): boolean {
    return this.places.has(member);
  }

  /** Returns true when the member is new. */
  add(member: string): boolean {
    if (this.places.has(member)) return false;
    if (this.intset && (this.items.length >= MAX_INTSET_ENTRIES || parseLongLong(member) === null)) this.intset = false;
    this.places.set(member, this.items.length);
    this.items.push(member);
    this.payloadBytes += MEMBER_BYTES + stringBytes(member);
    return true;
  }

  remove(member: string): boolean {
    const place = this.places.get(member);
    if (place === undefined) return false;
    this.places.delete(member);
    const last = this.items.pop()!;
    if (place < this.items.length) {
      this.items[place] = last;
      this.places.set(last, place);
    }
    this.payloadBytes -= MEMBER_BYTES + stringBytes(member);
    return true;
  }

  /** A member picked uniformly at random; the set must not be empty. */
  random(): string {
    return this.items[Math.floor(Math.random() * this.items.length)];
  }

  /**
   * `count` distinct members picked at random (count <= size): a few of many by drawing places
   * until enough differ (O(count), as Redis's SRANDMEMBER does), else by a partial Fisher-Yates
   * shuffle of a copy.
   */
  randomDistinct(count: number): string[] {
    const size = this.items.length;
    if (count * 3 <= size) {
      const places = new Set<number>();
      while (places.size < count) places.add(Math.floor(Math.random() * size));
      return Array.from(places, (place) => this.items[place]);
    }
    const all = this.items.slice();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (all.length - i));
      [all[i], all[j]] = [all[j], all[i]];
    }
    all.length = count;
    return all;
  }

  /** Every member in the order Redis iterates them: ascending as an intset, else the store's own. */
  members(): string[] {
    if (!this.intset || this.items.length < 2) return this.items.slice();
    return this.items
      .map((member) => [BigInt(member), member] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, member]) => member);
  }

  /** The same members under another key (RENAME): this entry is left to its old key, which is deleted. */
  moved(): SetEntry {
    const copy = new SetEntry();
    copy.intset = this.intset;
    copy.payloadBytes = this.payloadBytes;
    copy.items.push(...this.items);
    for (const [member, place] of this.places) copy.places.set(member, place);
    return copy;
  }
}
