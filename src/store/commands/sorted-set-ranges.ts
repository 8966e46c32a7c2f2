/**
 * Sorted-set ranges by rank, score and member, after Redis 7.0's zrangeGenericCommand and
 * friends: the ZRANGE family (and ZRANGESTORE), ZCOUNT, ZLEXCOUNT and ZREMRANGEBY*.
 */
import { isKeyword, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { parseScoreBound } from '../double.js';
import { EMPTY_ARRAY, error, Errors, integer, isReply, ZERO, type Reply } from '../reply.js';
import { LEX_MAX, LEX_MIN, lexRange, scoreRange, type LexRange, type NodeRange, type SkipNode } from '../sorted-set.js';
import type { ZsetEntry } from '../zset-value.js';
import { membersReply, pairOf, parseLong, saveZset, storeResult, zsetAt } from './sorted-sets.js';

const NOT_FLOAT_RANGE = error('ERR min or max is not a float');
const NOT_LEX_RANGE = error('ERR min or max not valid string range item');

/** zslParseRange */
function parseScoreRange(min: Buffer, max: Buffer): NodeRange | null {
  const low = parseScoreBound(text(min));
  const high = parseScoreBound(text(max));
  if (low === null || high === null) return null;
  return scoreRange({ min: low.value, max: high.value, minExclusive: low.exclusive, maxExclusive: high.exclusive });
}

/** zslParseLexRangeItem: "-", "+", "(member" or "[member". */
function parseLexBound(arg: Buffer): { bound: LexRange['min']; exclusive: boolean } | null {
  const first = arg[0];
  if (first === 0x2b || first === 0x2d) {
    // Like Redis's C string test, anything after a NUL byte is not seen.
    if (arg.length > 1 && arg[1] !== 0) return null;
    return { bound: first === 0x2b ? LEX_MAX : LEX_MIN, exclusive: true };
  }
  if (first === 0x28 || first === 0x5b) return { bound: arg.toString('latin1', 1), exclusive: first === 0x28 };
  return null;
}

function parseLexRange(min: Buffer, max: Buffer): NodeRange | null {
  const low = parseLexBound(min);
  const high = parseLexBound(max);
  if (low === null || high === null) return null;
  return lexRange({ min: low.bound, max: high.bound, minExclusive: low.exclusive, maxExclusive: high.exclusive });
}

type RangeKind = 'rank' | 'score' | 'lex';

/** A parsed range of any kind, with ZRANGE's options. */
interface RangeQuery {
  kind: RangeKind;
  reverse: boolean;
  start: number;
  end: number;
  /** BYSCORE's or BYLEX's range. */
  range: NodeRange | undefined;
  offset: number;
  /** -1: no limit (any negative count is none). */
  limit: number;
}

/** genericZrangebyrankCommand's nodes: ranks sanitized as Redis does, walked in order. */
function nodesByRank(zset: ZsetEntry, startArg: number, endArg: number, reverse: boolean): SkipNode[] {
  const length = zset.size;
  let start = startArg < 0 ? length + startArg : startArg;
  let end = endArg < 0 ? length + endArg : endArg;
  if (start < 0) start = 0;
  if (start > end || start >= length) return [];
  if (end >= length) end = length - 1;
  const nodes: SkipNode[] = [];
  let node = zset.set.byRank(reverse ? length - start : start + 1);
  for (let n = end - start + 1; n > 0 && node !== null; n--) {
    nodes.push(node);
    node = reverse ? node.backward : node.forward[0];
  }
  return nodes;
}

/**
 * Nodes from `first` on (backwards if `reverse`) while `inRange`, skipping `offset` of them and
 * taking at most `limit` (negative: no limit). A negative offset walks off the end, as in Redis.
 */
function walkRange(first: SkipNode | null, reverse: boolean, inRange: (node: SkipNode) => boolean, offset: number, limit: number): SkipNode[] {
  let node = first;
  const step = (n: SkipNode) => (reverse ? n.backward : n.forward[0]);
  if (offset < 0) return [];
  for (let skip = offset; node !== null && skip > 0; skip--) node = step(node);
  const nodes: SkipNode[] = [];
  for (let left = limit; node !== null && left !== 0 && inRange(node); left--) {
    nodes.push(node);
    node = step(node);
  }
  return nodes;
}

function rangeNodes(zset: ZsetEntry, query: RangeQuery): SkipNode[] {
  const { reverse, offset, limit } = query;
  if (query.kind === 'rank') return nodesByRank(zset, query.start, query.end, reverse);
  // genericZrangebyscoreCommand gives up at once on an offset past the end; the lex one walks there.
  if (query.kind === 'score' && offset > 0 && offset >= zset.size) return [];
  const range = query.range!;
  const first = reverse ? zset.set.lastInRange(range) : zset.set.firstInRange(range);
  return walkRange(first, reverse, reverse ? range.aboveMin : range.belowMax, offset, limit);
}

/** Reads a query's bounds by its kind; the error if they are not valid. */
function parseBounds(query: RangeQuery, minArg: Buffer, maxArg: Buffer): Reply | undefined {
  if (query.kind === 'rank') {
    const start = parseLong(minArg);
    const end = start === null ? null : parseLong(maxArg);
    if (start === null || end === null) return Errors.notInteger;
    [query.start, query.end] = [start, end];
  } else {
    query.range = (query.kind === 'score' ? parseScoreRange(minArg, maxArg) : parseLexRange(minArg, maxArg)) ?? undefined;
    if (query.range === undefined) return query.kind === 'score' ? NOT_FLOAT_RANGE : NOT_LEX_RANGE;
  }
  return undefined;
}

/**
 * zrangeGenericCommand: `source` is the index of the key, followed by min and max; `kind` and
 * `reverse` are fixed by the command name (ZRANGEBYSCORE...), or undefined for ZRANGE's options.
 * `destination` is ZRANGESTORE's key.
 */
function zrangeGeneric(ctx: CommandContext, source: number, fixedKind: RangeKind | undefined, fixedReverse: boolean | undefined, destination?: string): Reply {
  const args = ctx.args;
  const store = destination !== undefined;
  let kind = fixedKind;
  let reverse = fixedReverse;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = source + 3; j < args.length; j++) {
    const left = args.length - j - 1;
    if (!store && isKeyword(args[j], 'withscores')) {
      withScores = true;
    } else if (isKeyword(args[j], 'limit') && left >= 2) {
      const parsedOffset = parseLong(args[j + 1]);
      const parsedLimit = parsedOffset === null ? null : parseLong(args[j + 2]);
      if (parsedOffset === null || parsedLimit === null) return Errors.notInteger;
      [offset, limit] = [parsedOffset, parsedLimit];
      j += 2;
    } else if (reverse === undefined && isKeyword(args[j], 'rev')) {
      reverse = true;
    } else if (kind === undefined && isKeyword(args[j], 'bylex')) {
      kind = 'lex';
    } else if (kind === undefined && isKeyword(args[j], 'byscore')) {
      kind = 'score';
    } else {
      return Errors.syntax;
    }
  }
  reverse ??= false;
  kind ??= 'rank';
  if (limit !== -1 && kind === 'rank') return error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withScores && kind === 'lex') return error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  let [minArg, maxArg] = [args[source + 1], args[source + 2]];
  // BYSCORE and BYLEX take a reverse range as max, min.
  if (reverse && kind !== 'rank') [minArg, maxArg] = [maxArg, minArg];
  const query: RangeQuery = { kind, reverse, start: 0, end: 0, range: undefined, offset, limit };
  const invalid = parseBounds(query, minArg, maxArg);
  if (invalid !== undefined) return invalid;
  const zset = zsetAt(ctx, text(args[source]));
  if (zset === undefined) return store ? storeResult(ctx, destination, []) : EMPTY_ARRAY;
  if (isReply(zset)) return zset;
  const pairs = rangeNodes(zset, query).map(pairOf);
  return store ? storeResult(ctx, destination, pairs) : membersReply(ctx, pairs, withScores);
}

const zrange: CommandHandler = (ctx) => zrangeGeneric(ctx, 1, undefined, undefined);
const zrangestore: CommandHandler = (ctx) => zrangeGeneric(ctx, 2, undefined, undefined, text(ctx.args[1]));
const zrevrange: CommandHandler = (ctx) => zrangeGeneric(ctx, 1, 'rank', true);
const zrangebyscore: CommandHandler = (ctx) => zrangeGeneric(ctx, 1, 'score', false);
const zrevrangebyscore: CommandHandler = (ctx) => zrangeGeneric(ctx, 1, 'score', true);
const zrangebylex: CommandHandler = (ctx) => zrangeGeneric(ctx, 1, 'lex', false);
const zrevrangebylex: CommandHandler = (ctx) => zrangeGeneric(ctx, 1, 'lex', true);

const zcount: CommandHandler = (ctx) => {
  const range = parseScoreRange(ctx.args[2], ctx.args[3]);
  if (range === null) return NOT_FLOAT_RANGE;
  const zset = zsetAt(ctx, text(ctx.args[1]));
  if (isReply(zset)) return zset;
  return integer(zset?.set.countInRange(range) ?? 0);
};

const zlexcount: CommandHandler = (ctx) => {
  const range = parseLexRange(ctx.args[2], ctx.args[3]);
  if (range === null) return NOT_LEX_RANGE;
  const zset = zsetAt(ctx, text(ctx.args[1]));
  if (isReply(zset)) return zset;
  return integer(zset?.set.countInRange(range) ?? 0);
};

/** zremrangeGenericCommand: the range parsed first, then the key looked up for writing. */
function zremrangeGeneric(ctx: CommandContext, kind: RangeKind): Reply {
  const [minArg, maxArg] = [ctx.args[2], ctx.args[3]];
  const query: RangeQuery = { kind, reverse: false, start: 0, end: 0, range: undefined, offset: 0, limit: -1 };
  const invalid = parseBounds(query, minArg, maxArg);
  if (invalid !== undefined) return invalid;
  const key = text(ctx.args[1]);
  const zset = zsetAt(ctx, key, 'write');
  if (isReply(zset)) return zset;
  if (zset === undefined) return ZERO;
  const nodes = rangeNodes(zset, query);
  for (const node of nodes) zset.remove(node.member);
  if (nodes.length > 0) saveZset(ctx, key, zset);
  return integer(nodes.length);
}

const zremrangebyrank: CommandHandler = (ctx) => zremrangeGeneric(ctx, 'rank');
const zremrangebyscore: CommandHandler = (ctx) => zremrangeGeneric(ctx, 'score');
const zremrangebylex: CommandHandler = (ctx) => zremrangeGeneric(ctx, 'lex');

export const sortedSetRangeCommands: Record<string, CommandHandler> = {
  zrange,
  zrangestore,
  zrevrange,
  zrangebyscore,
  zrevrangebyscore,
  zrangebylex,
  zrevrangebylex,
  zcount,
  zlexcount,
  zremrangebyrank,
  zremrangebyscore,
  zremrangebylex,
};
