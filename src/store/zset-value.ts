/**
 * A sorted-set value: the skiplist and member map of sorted-set.ts, and what they cost in the
 * heap by size-of.ts's model (64-bit, no pointer compression), kept current as members come
 * and go so that the engine's re-measure on save is O(1).
 */
import { stringBytes } from '../core/size-of.js';
import { SortedSet, type SkipNode } from './sorted-set.js';
import type { ListpackLimits } from './listpack-limits.js';

/** The empty structure: the set object, its Map, and the skiplist's header of 32 levels. */
const EMPTY_BYTES = 64 + 64 + (64 + 2 * (48 + 8 * 32));
/**
 * A member: its Map entry (40), the node object (24 + 8 x 5 fields), its two per-level arrays
 * (48 each, plus 8 per level each) and the score as a heap number (16).
 */
const MEMBER_BYTES = 40 + 64 + 2 * 48 + 16;
const PER_LEVEL_BYTES = 2 * 8;

function memberBytes(node: SkipNode): number {
  return MEMBER_BYTES + PER_LEVEL_BYTES * node.forward.length + stringBytes(node.member);
}


export class ZsetEntry {
  readonly type = 'zset';
  expiresAt = 0;
  slot = -1;

  constructor(
    readonly set = new SortedSet(),
    /** Heap bytes of the structure and its members, kept current by `add` / `remove`. */
    public payloadBytes = EMPTY_BYTES,
    /**
     * Whether Redis 7.0 would hold this set as a listpack rather than a skiplist: a new set is one
     * until a member makes it longer than zset-max-listpack-entries, or one is longer than
     * zset-max-listpack-value; it never goes back (but a stored result is built anew). Clients
     * see the difference: a listpack keeps an integral score as an integer (-0 reads back as 0)
     * and ZSCAN returns it so, in order.
     */
    public listpack = true,
  ) {}

  /** A new sorted set of these (member, score) pairs, members distinct (ZRANGESTORE, ZUNIONSTORE...). */
  static of(pairs: Iterable<readonly [string, number]>, limits: ListpackLimits): ZsetEntry {
    const zset = new ZsetEntry();
    for (const [member, score] of pairs) zset.add(score, member, limits);
    return zset;
  }

  get size(): number {
    return this.set.size;
  }

  score(member: string): number | undefined {
    return this.set.score(member);
  }

  /** Adds a member not in the set yet; the set stops being a listpack past the limits. */
  add(score: number, member: string, limits: ListpackLimits): void {
    if (this.listpack && (this.size + 1 > limits.entries || member.length > limits.value)) this.listpack = false;
    this.payloadBytes += memberBytes(this.set.insert(this.asStored(score), member));
  }

  /** Changes an existing member's score. */
  setScore(member: string, score: number): void {
    const before = memberBytes(this.set.members.get(member)!);
    this.set.updateScore(member, this.asStored(score));
    this.payloadBytes += memberBytes(this.set.members.get(member)!) - before;
  }

  remove(member: string): boolean {
    const node = this.set.members.get(member);
    if (node === undefined) return false;
    this.set.delete(member);
    this.payloadBytes -= memberBytes(node);
    return true;
  }

  /** The same members under another key (RENAME): this entry is left to its old key, which is deleted. */
  moved(): ZsetEntry {
    return new ZsetEntry(this.set, this.payloadBytes, this.listpack);
  }

  /** A score as this set keeps it: a listpack stores an integral score as an integer, so -0 as 0. */
  private asStored(score: number): number {
    return this.listpack && score === 0 ? 0 : score;
  }
}
