/**
 * ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD, after Redis 7.0's
 * zunionInterDiffGenericCommand. Inputs are sorted sets or sets (each member scoring 1); another
 * type is WRONGTYPE.
 */
import { isKeyword, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { parseDouble } from '../double.js';
import { error, Errors, integer, type Reply } from '../reply.js';
import type { Entry } from '../values.js';
import { membersReply, storeResult } from './sorted-sets.js';

type Operation = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

/** An input as zuiNext / zuiFind see it: members with scores (1 for a set's), none if missing. */
interface Source {
  readonly size: number;
  score(member: string): number | undefined;
  entries(): Iterable<readonly [string, number]>;
  weight: number;
}

function sourceOf(entry: Entry | undefined): Source {
  if (entry?.type === 'zset') {
    return {
      size: entry.size,
      score: (member) => entry.score(member),
      entries: () => Array.from(entry.set.members, ([member, node]) => [member, node.score] as const),
      weight: 1,
    };
  }
  // A set is a sorted set whose members all score 1, as Redis's zunionInterDiffGenericCommand reads it.
  if (entry?.type === 'set') {
    return {
      size: entry.size,
      score: (member) => (entry.has(member) ? 1 : undefined),
      entries: () => entry.members().map((member) => [member, 1] as const),
      weight: 1,
    };
  }
  return { size: 0, score: () => undefined, entries: () => [], weight: 1 };
}

/** zunionInterAggregate: a sum of +inf and -inf is 0, as Redis keeps it. */
function aggregate(how: Aggregate, target: number, value: number): number {
  if (how === 'sum') {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

/** weight x score, 0 where that is NaN (0 x inf). */
function weighted(weight: number, score: number): number {
  const value = weight * score;
  return Number.isNaN(value) ? 0 : value;
}

/** How a command of the family is called. */
interface Call {
  operation: Operation;
  /** Index of numkeys. */
  numKeysAt: number;
  /** The STORE forms' destination. */
  destination?: string;
  /** ZINTERCARD. */
  cardinalityOnly?: boolean;
}

function zsetOperation(ctx: CommandContext, call: Call): Reply {
  const args = ctx.args;
  const { operation, numKeysAt, destination, cardinalityOnly = false } = call;
  const setCount = parseLongLong(args[numKeysAt]);
  if (setCount === null) return Errors.notInteger;
  if (setCount < 1n) return error(`ERR at least 1 input key is needed for '${ctx.name}' command`);
  if (setCount > BigInt(args.length - (numKeysAt + 1))) return Errors.syntax;
  const sources: Source[] = [];
  let j = numKeysAt + 1;
  for (; sources.length < Number(setCount); j++) {
    const entry = ctx.db.get(text(args[j]), ctx.now);
    if (entry !== undefined && entry.type !== 'zset' && entry.type !== 'set') return Errors.wrongType;
    sources.push(sourceOf(entry));
  }
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  while (j < args.length) {
    const remaining = args.length - j;
    if (operation !== 'diff' && !cardinalityOnly && remaining >= sources.length + 1 && isKeyword(args[j], 'weights')) {
      j++;
      for (const source of sources) {
        const weight = parseDouble(text(args[j++]));
        if (weight === null) return error('ERR weight value is not a float');
        source.weight = weight;
      }
    } else if (operation !== 'diff' && !cardinalityOnly && remaining >= 2 && isKeyword(args[j], 'aggregate')) {
      const name = args[j + 1];
      if (isKeyword(name, 'sum')) how = 'sum';
      else if (isKeyword(name, 'min')) how = 'min';
      else if (isKeyword(name, 'max')) how = 'max';
      else return Errors.syntax;
      j += 2;
    } else if (destination === undefined && !cardinalityOnly && isKeyword(args[j], 'withscores')) {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && isKeyword(args[j], 'limit')) {
      const parsed = parseLongLong(args[j + 1]);
      if (parsed === null) return error('ERR LIMIT can\'t be negative');
      if (parsed < 0n) return error('ERR LIMIT can\'t be negative');
      limit = Number(parsed);
      j += 2;
    } else {
      return Errors.syntax;
    }
  }
  // Smallest first, as Redis orders them (a stable sort, like glibc's qsort here).
  if (operation !== 'diff') sources.sort((a, b) => a.size - b.size);
  if (cardinalityOnly) return integer(intersectionSize(sources, limit));
  const result = operation === 'inter' ? intersect(sources, how) : operation === 'union' ? unite(sources, how) : subtract(sources);
  const pairs = Array.from(result).sort(([ma, sa], [mb, sb]) => sa - sb || (ma < mb ? -1 : ma > mb ? 1 : 0));
  if (destination !== undefined) return storeResult(ctx, destination, pairs);
  return membersReply(ctx, pairs, withScores);
}

function intersect(sources: readonly Source[], how: Aggregate): Map<string, number> {
  const result = new Map<string, number>();
  const [first, ...others] = sources;
  for (const [member, firstScore] of first.entries()) {
    let score = weighted(first.weight, firstScore);
    let inAll = true;
    for (const other of others) {
      const found = other.score(member);
      if (found === undefined) {
        inAll = false;
        break;
      }
      score = aggregate(how, score, weighted(other.weight, found));
    }
    if (inAll) result.set(member, score);
  }
  return result;
}

function intersectionSize(sources: readonly Source[], limit: number): number {
  const [first, ...others] = sources;
  let count = 0;
  for (const [member] of first.entries()) {
    if (!others.every((other) => other.score(member) !== undefined)) continue;
    count++;
    if (limit > 0 && count >= limit) break;
  }
  return count;
}

function unite(sources: readonly Source[], how: Aggregate): Map<string, number> {
  const result = new Map<string, number>();
  for (const source of sources) {
    for (const [member, sourceScore] of source.entries()) {
      const score = weighted(source.weight, sourceScore);
      const current = result.get(member);
      result.set(member, current === undefined ? score : aggregate(how, current, score));
    }
  }
  return result;
}

/** The first set's members in none of the others, with the first set's scores (weights do not apply). */
function subtract(sources: readonly Source[]): Map<string, number> {
  const result = new Map<string, number>();
  const [first, ...others] = sources;
  for (const [member, score] of first.entries()) {
    if (others.every((other) => other.score(member) === undefined)) result.set(member, score);
  }
  return result;
}

const zunion: CommandHandler = (ctx) => zsetOperation(ctx, { operation: 'union', numKeysAt: 1 });
const zinter: CommandHandler = (ctx) => zsetOperation(ctx, { operation: 'inter', numKeysAt: 1 });
const zdiff: CommandHandler = (ctx) => zsetOperation(ctx, { operation: 'diff', numKeysAt: 1 });
const zunionstore: CommandHandler = (ctx) => zsetOperation(ctx, { operation: 'union', numKeysAt: 2, destination: text(ctx.args[1]) });
const zinterstore: CommandHandler = (ctx) => zsetOperation(ctx, { operation: 'inter', numKeysAt: 2, destination: text(ctx.args[1]) });
const zdiffstore: CommandHandler = (ctx) => zsetOperation(ctx, { operation: 'diff', numKeysAt: 2, destination: text(ctx.args[1]) });
const zintercard: CommandHandler = (ctx) => zsetOperation(ctx, { operation: 'inter', numKeysAt: 1, cardinalityOnly: true });

export const sortedSetAlgebraCommands: Record<string, CommandHandler> = {
  zunion,
  zinter,
  zdiff,
  zunionstore,
  zinterstore,
  zdiffstore,
  zintercard,
};
