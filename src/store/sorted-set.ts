/**
 * A sorted set as Redis keeps a large one (t_zset.c): a skiplist ordered by (score, member), each
 * level's links counting the nodes they skip so that rank lookups are O(log n), beside a Map from
 * member to node. Members are latin1 strings, so JS's string order is Redis's byte order.
 */

const MAX_LEVEL = 32;
/** The chance that a node reaches the next level (ZSKIPLIST_P). */
const LEVEL_P = 0.25;

export interface SkipNode {
  readonly member: string;
  score: number;
  backward: SkipNode | null;
  /** forward[i] / span[i]: the next node at level i and how many places on it is. */
  readonly forward: (SkipNode | null)[];
  readonly span: number[];
}

/** A score interval (zrangespec). */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** A member interval (zlexrangespec); `-` and `+` are the bounds below and above every member. */
export interface LexRange {
  min: string | typeof LEX_MIN | typeof LEX_MAX;
  max: string | typeof LEX_MIN | typeof LEX_MAX;
  minExclusive: boolean;
  maxExclusive: boolean;
}

export const LEX_MIN = Symbol('-');
export const LEX_MAX = Symbol('+');

function newNode(level: number, score: number, member: string): SkipNode {
  return { member, score, backward: null, forward: new Array<SkipNode | null>(level).fill(null), span: new Array<number>(level).fill(0) };
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < LEVEL_P) level++;
  return level;
}

/** Node (score, member) precedes (score2, member2). */
function before(node: SkipNode, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

/** sdscmplex: members against bounds that may be `-` or `+`. */
function compareLex(a: LexRange['min'], b: LexRange['min']): number {
  if (a === b) return 0;
  if (a === LEX_MIN || b === LEX_MAX) return -1;
  if (a === LEX_MAX || b === LEX_MIN) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A range of either kind as the skiplist walks it: which nodes are past its start, or before its end. */
export interface NodeRange {
  /** The bounds are crossed (min above max, or equal and either exclusive): nothing is in range. */
  readonly empty: boolean;
  aboveMin(node: SkipNode): boolean;
  belowMax(node: SkipNode): boolean;
}

export function scoreRange(range: ScoreRange): NodeRange {
  const { min, max, minExclusive, maxExclusive } = range;
  return {
    empty: min > max || (min === max && (minExclusive || maxExclusive)),
    aboveMin: minExclusive ? (node) => node.score > min : (node) => node.score >= min,
    belowMax: maxExclusive ? (node) => node.score < max : (node) => node.score <= max,
  };
}

export function lexRange(range: LexRange): NodeRange {
  const { min, max, minExclusive, maxExclusive } = range;
  const cmp = compareLex(min, max);
  return {
    empty: cmp > 0 || (cmp === 0 && (minExclusive || maxExclusive)),
    aboveMin: minExclusive ? (node) => compareLex(node.member, min) > 0 : (node) => compareLex(node.member, min) >= 0,
    belowMax: maxExclusive ? (node) => compareLex(node.member, max) < 0 : (node) => compareLex(node.member, max) <= 0,
  };
}

export class SortedSet {
  readonly members = new Map<string, SkipNode>();
  private readonly header = newNode(MAX_LEVEL, 0, '');
  private tail: SkipNode | null = null;
  private level = 1;

  get size(): number {
    return this.members.size;
  }

  score(member: string): number | undefined {
    return this.members.get(member)?.score;
  }

  first(): SkipNode | null {
    return this.header.forward[0];
  }

  last(): SkipNode | null {
    return this.tail;
  }

  /** Every node, lowest first. */
  *inOrder(): Generator<SkipNode> {
    for (let node = this.header.forward[0]; node !== null; node = node.forward[0]) yield node;
  }

  /** Adds a member that is not in the set yet. */
  insert(score: number, member: string): SkipNode {
    const update = new Array<SkipNode>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      for (let next = x.forward[i]; next !== null && before(next, score, member); next = x.forward[i]) {
        rank[i] += x.span[i];
        x = next;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        update[i].span[i] = this.size;
      }
      this.level = level;
    }
    const node = newNode(level, score, member);
    for (let i = 0; i < level; i++) {
      node.forward[i] = update[i].forward[i];
      update[i].forward[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.header ? null : update[0];
    if (node.forward[0] !== null) node.forward[0].backward = node;
    else this.tail = node;
    this.members.set(member, node);
    return node;
  }

  /** Removes a member; false if it was not there. */
  delete(member: string): boolean {
    const node = this.members.get(member);
    if (node === undefined) return false;
    const update = this.pathTo(node.score, member);
    this.unlink(node, update);
    return true;
  }

  /** Changes a member's score (zslUpdateScore): in place when its order does not change. */
  updateScore(member: string, score: number): void {
    const node = this.members.get(member)!;
    const back = node.backward;
    const next = node.forward[0];
    if ((back === null || before(back, score, member)) && (next === null || !before(next, score, member))) {
      node.score = score;
      return;
    }
    this.delete(member);
    this.insert(score, member);
  }

  /** 1-based rank of a member, 0 if absent. */
  rank(member: string): number {
    const node = this.members.get(member);
    if (node === undefined) return 0;
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next !== null && (before(next, node.score, member) || next === node); next = x.forward[i]) {
        rank += x.span[i];
        x = next;
      }
      if (x === node) return rank;
    }
    return 0;
  }

  /** The node at a 1-based rank (zslGetElementByRank), null out of range. */
  byRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.size) return null;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && traversed + x.span[i] <= rank) {
        traversed += x.span[i];
        x = x.forward[i]!;
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** zslIsInRange / zslIsInLexRange: whether some member could be in range (bounds not crossed, set overlaps). */
  private overlaps(range: NodeRange): boolean {
    const first = this.first();
    return !range.empty && this.tail !== null && range.aboveMin(this.tail) && first !== null && range.belowMax(first);
  }

  /** The last node before the range's start, per `precedes` (the header if none). */
  private lastBefore(precedes: (node: SkipNode) => boolean): { node: SkipNode; rank: number } {
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next !== null && precedes(next); next = x.forward[i]) {
        rank += x.span[i];
        x = next;
      }
    }
    return { node: x, rank };
  }

  firstInRange(range: NodeRange): SkipNode | null {
    if (!this.overlaps(range)) return null;
    const x = this.lastBefore((n) => !range.aboveMin(n)).node.forward[0];
    return x !== null && range.belowMax(x) ? x : null;
  }

  lastInRange(range: NodeRange): SkipNode | null {
    if (!this.overlaps(range)) return null;
    const x = this.lastBefore(range.belowMax).node;
    return x !== this.header && range.aboveMin(x) ? x : null;
  }

  /** How many members are in range (ZCOUNT, ZLEXCOUNT), from two rank lookups. */
  countInRange(range: NodeRange): number {
    if (!this.overlaps(range)) return 0;
    const below = this.lastBefore((n) => !range.aboveMin(n)).rank;
    const upTo = this.lastBefore(range.belowMax).rank;
    return Math.max(0, upTo - below);
  }

  /** For each level, the last node before (score, member): what a removal must relink. */
  private pathTo(score: number, member: string): SkipNode[] {
    const update = new Array<SkipNode>(this.level);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next !== null && before(next, score, member); next = x.forward[i]) x = next;
      update[i] = x;
    }
    return update;
  }

  /** zslDeleteNode */
  private unlink(node: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.level; i++) {
      if (update[i].forward[i] === node) {
        update[i].span[i] += node.span[i] - 1;
        update[i].forward[i] = node.forward[i];
      } else {
        update[i].span[i]--;
      }
    }
    if (node.forward[0] !== null) node.forward[0].backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) this.level--;
    this.members.delete(node.member);
  }
}
