/**
 * Sorted sets, after Redis 7.0's t_zset.c: adding, removing, scores, ranks, pops, random
 * members and ZSCAN. Ranges are in sorted-set-ranges.ts, unions and intersections in
 * sorted-set-algebra.ts, blocking pops in sorted-set-blocking.ts.
 */
import { isKeyword, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import type { Lookup } from '../database.js';
import { formatDouble, parseDouble } from '../double.js';
import { array, bulk, double, EMPTY_ARRAY, error, Errors, integer, isReply, NULL, NULL_ARRAY, ZERO, type Reply } from '../reply.js';
import type { SkipNode } from '../sorted-set.js';
import { zsetListpackLimits } from '../listpack-limits.js';
import { ZsetEntry } from '../zset-value.js';
import { scanWhole } from './keys.js';
import { entryOfType } from './typed-entry.js';

/** The sorted set at `key`, undefined if missing, the WRONGTYPE error for another type. */
export function zsetAt(ctx: CommandContext, key: string, lookup: Lookup = 'read'): ZsetEntry | undefined | Reply {
  return entryOfType(ctx, key, 'zset', lookup);
}

/** Saves a sorted set changed in place (the engine re-measures it), or deletes it once empty. */
export function saveZset(ctx: CommandContext, key: string, zset: ZsetEntry): void {
  if (zset.size === 0) ctx.db.delete(key, ctx.now);
  else ctx.db.save(key, zset, zset.expiresAt, ctx.now);
}

/**
 * A command's result stored under `key` as a new sorted set without a time to live, or the key
 * deleted if the result is empty (ZRANGESTORE, ZUNIONSTORE...); replies with its size.
 */
export function storeResult(ctx: CommandContext, key: string, pairs: readonly (readonly [string, number])[]): Reply {
  if (pairs.length === 0) {
    ctx.db.delete(key, ctx.now);
    return ZERO;
  }
  ctx.db.save(key, ZsetEntry.of(pairs, zsetListpackLimits(ctx.server)), 0, ctx.now);
  return integer(pairs.length);
}

/** Members, with their scores if asked: flat in RESP2, [member, score] pairs in RESP3. */
export function membersReply(ctx: CommandContext, pairs: Iterable<readonly [string, number]>, withScores: boolean): Reply {
  const items: Reply[] = [];
  for (const [member, score] of pairs) {
    if (!withScores) items.push(bulk(member));
    else if (ctx.session.protocol === 3) items.push(array([bulk(member), double(score)]));
    else items.push(bulk(member), double(score));
  }
  return array(items);
}

export const pairOf = (node: SkipNode): [string, number] => [node.member, node.score];

/** getLongFromObjectOrReply: a 64-bit integer, as a Number (range arithmetic saturates harmlessly). */
export function parseLong(arg: Buffer): number | null {
  const value = parseLongLong(arg);
  return value === null ? null : Number(value);
}

const NAN_SCORE = error('ERR resulting score is not a number (NaN)');

/** zaddGenericCommand: ZADD, and ZINCRBY as ZADD INCR. */
function zaddGeneric(ctx: CommandContext, incrCommand: boolean): Reply {
  const args = ctx.args;
  let [nx, xx, gt, lt, ch, incr] = [false, false, false, false, false, incrCommand];
  let first = 2;
  for (; first < args.length; first++) {
    const option = args[first];
    if (isKeyword(option, 'nx')) nx = true;
    else if (isKeyword(option, 'xx')) xx = true;
    else if (isKeyword(option, 'ch')) ch = true;
    else if (isKeyword(option, 'incr')) incr = true;
    else if (isKeyword(option, 'gt')) gt = true;
    else if (isKeyword(option, 'lt')) lt = true;
    else break;
  }
  const elements = args.length - first;
  if (elements % 2 !== 0 || elements === 0) return Errors.syntax;
  if (nx && xx) return error('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) return error('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 2) return error('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let i = first; i < args.length; i += 2) {
    const score = parseDouble(text(args[i]));
    if (score === null) return Errors.notFloat;
    scores.push(score);
  }
  const key = text(args[1]);
  const found = zsetAt(ctx, key, 'write');
  if (isReply(found)) return found;
  if (found === undefined && xx) return incr ? NULL : ZERO;
  const zset = found ?? new ZsetEntry();
  const limits = zsetListpackLimits(ctx.server);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let result = 0;
  for (let j = 0; j < scores.length; j++) {
    const member = text(args[first + 1 + 2 * j]);
    let score = scores[j];
    const current = zset.score(member);
    if (current !== undefined) {
      if (nx) continue;
      if (incr) {
        score += current;
        if (Number.isNaN(score)) return NAN_SCORE;
      }
      if ((lt && score >= current) || (gt && score <= current)) continue;
      if (score !== current) {
        zset.setScore(member, score);
        updated++;
      }
    } else if (!xx) {
      zset.add(score, member, limits);
      added++;
    } else {
      continue;
    }
    processed++;
    result = score;
  }
  if (added > 0 || updated > 0) saveZset(ctx, key, zset);
  if (incr) return processed > 0 ? double(result) : NULL;
  return integer(ch ? added + updated : added);
}

const zadd: CommandHandler = (ctx) => zaddGeneric(ctx, false);
const zincrby: CommandHandler = (ctx) => zaddGeneric(ctx, true);

const zrem: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const zset = zsetAt(ctx, key, 'write');
  if (isReply(zset)) return zset;
  if (zset === undefined) return ZERO;
  let deleted = 0;
  for (let i = 2; i < ctx.args.length && zset.size > 0; i++) if (zset.remove(text(ctx.args[i]))) deleted++;
  if (deleted > 0) saveZset(ctx, key, zset);
  return integer(deleted);
};

const zcard: CommandHandler = (ctx) => {
  const zset = zsetAt(ctx, text(ctx.args[1]));
  if (isReply(zset)) return zset;
  return integer(zset?.size ?? 0);
};

const zscore: CommandHandler = (ctx) => {
  const zset = zsetAt(ctx, text(ctx.args[1]));
  if (isReply(zset)) return zset;
  const score = zset?.score(text(ctx.args[2]));
  return score === undefined ? NULL : double(score);
};

const zmscore: CommandHandler = (ctx) => {
  const zset = zsetAt(ctx, text(ctx.args[1]));
  if (isReply(zset)) return zset;
  const scores: Reply[] = [];
  for (let i = 2; i < ctx.args.length; i++) {
    const score = zset?.score(text(ctx.args[i]));
    scores.push(score === undefined ? NULL : double(score));
  }
  return array(scores);
};

function zrankGeneric(ctx: CommandContext, reverse: boolean): Reply {
  const zset = zsetAt(ctx, text(ctx.args[1]));
  if (isReply(zset)) return zset;
  if (zset === undefined) return NULL;
  const rank = zset.set.rank(text(ctx.args[2]));
  if (rank === 0) return NULL;
  return integer(reverse ? zset.size - rank : rank - 1);
}

const zrank: CommandHandler = (ctx) => zrankGeneric(ctx, false);
const zrevrank: CommandHandler = (ctx) => zrankGeneric(ctx, true);

/** How genericZpopCommand shapes its reply. */
export interface PopReply {
  /** Name the key popped from (ZMPOP, the blocking pops). */
  emitKey: boolean;
  /** [member, score] pairs rather than a flat list. */
  nested: boolean;
  /** A null array rather than an empty one when every key is missing. */
  nullWhenEmpty: boolean;
}

/** The first of `keys` holding a sorted set, or undefined; WRONGTYPE for another type first. */
export function firstZset(ctx: CommandContext, keys: readonly string[]): [string, ZsetEntry] | undefined | Reply {
  for (const key of keys) {
    const found = zsetAt(ctx, key, 'write');
    if (isReply(found)) return found;
    if (found !== undefined) return [key, found];
  }
  return undefined;
}

/** Pops up to `count` members (-1: one, the plain form) from the lowest or highest end of `zset`. */
export function popFrom(ctx: CommandContext, key: string, zset: ZsetEntry, max: boolean, count: number, shape: PopReply): Reply {
  if (count === 0) return EMPTY_ARRAY;
  const popped: Reply[] = [];
  for (let n = Math.min(count === -1 ? 1 : count, zset.size); n > 0; n--) {
    const node = max ? zset.set.last()! : zset.set.first()!;
    zset.remove(node.member);
    if (shape.nested) popped.push(array([bulk(node.member), double(node.score)]));
    else popped.push(bulk(node.member), double(node.score));
  }
  saveZset(ctx, key, zset);
  if (!shape.emitKey) return array(popped);
  return shape.nested ? array([bulk(key), array(popped)]) : array([bulk(key), ...popped]);
}

/** genericZpopCommand: pops from the first non-empty sorted set among `keys`. */
function zpopGeneric(ctx: CommandContext, keys: readonly string[], max: boolean, count: number, shape: PopReply): Reply {
  const found = firstZset(ctx, keys);
  if (isReply(found)) return found;
  if (found === undefined) return shape.nullWhenEmpty ? NULL_ARRAY : EMPTY_ARRAY;
  return popFrom(ctx, found[0], found[1], max, count, shape);
}

function zpopMinMax(ctx: CommandContext, max: boolean): Reply {
  if (ctx.args.length > 3) return Errors.syntax;
  let count = -1;
  if (ctx.args.length === 3) {
    const parsed = parseLong(ctx.args[2]);
    if (parsed === null || parsed < 0) return error('ERR value is out of range, must be positive');
    count = parsed;
  }
  const nested = ctx.session.protocol === 3 && count !== -1;
  return zpopGeneric(ctx, [text(ctx.args[1])], max, count, { emitKey: false, nested, nullWhenEmpty: false });
}

const zpopmin: CommandHandler = (ctx) => zpopMinMax(ctx, false);
const zpopmax: CommandHandler = (ctx) => zpopMinMax(ctx, true);

/** ZMPOP's and BZMPOP's arguments from numkeys on (zmpopGenericCommand). */
export interface MultiPop {
  keys: string[];
  max: boolean;
  count: number;
}

/** numkeys key [key ...] MIN|MAX [COUNT count], from `numKeysAt`. */
export function parseMultiPop(ctx: CommandContext, numKeysAt: number): MultiPop | Reply {
  const args = ctx.args;
  const numKeys = parseLongLong(args[numKeysAt]);
  if (numKeys === null || numKeys < 1n) return error('ERR numkeys should be greater than 0');
  if (numKeys >= BigInt(args.length)) return Errors.syntax;
  const whereIndex = numKeysAt + 1 + Number(numKeys);
  if (whereIndex >= args.length) return Errors.syntax;
  let max: boolean;
  if (isKeyword(args[whereIndex], 'min')) max = false;
  else if (isKeyword(args[whereIndex], 'max')) max = true;
  else return Errors.syntax;
  let count = -1;
  for (let j = whereIndex + 1; j < args.length; j++) {
    if (count === -1 && isKeyword(args[j], 'count') && j + 1 < args.length) {
      const parsed = parseLongLong(args[++j]);
      if (parsed === null || parsed < 1n) return error('ERR count should be greater than 0');
      count = Number(parsed);
    } else {
      return Errors.syntax;
    }
  }
  return { keys: args.slice(numKeysAt + 1, whereIndex).map(text), max, count: count === -1 ? 1 : count };
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]. */
const zmpop: CommandHandler = (ctx) => {
  const parsed = parseMultiPop(ctx, 1);
  if (isReply(parsed)) return parsed;
  return zpopGeneric(ctx, parsed.keys, parsed.max, parsed.count, { emitKey: true, nested: true, nullWhenEmpty: true });
};

const LONG_MAX = 2n ** 63n - 1n;
/** See MAX_DRAWS in hashes.ts: a reply is built in memory, so an absurd repeating count is refused. */
const MAX_DRAWS = 10_000_000n;

/** ZRANDMEMBER key [count [WITHSCORES]] (zrandmemberCommand). */
const zrandmember: CommandHandler = (ctx) => {
  const args = ctx.args;
  if (args.length === 2) {
    const zset = zsetAt(ctx, text(args[1]));
    if (isReply(zset)) return zset;
    if (zset === undefined) return NULL;
    return bulk(zset.set.byRank(1 + Math.floor(Math.random() * zset.size))!.member);
  }
  const count = parseLongLong(args[2]);
  if (count === null) return Errors.notInteger;
  if (count < -LONG_MAX) return Errors.outOfRange(-LONG_MAX, LONG_MAX);
  if (args.length > 4 || (args.length === 4 && !isKeyword(args[3], 'withscores'))) return Errors.syntax;
  const withScores = args.length === 4;
  if (withScores && (count < -LONG_MAX / 2n || count > LONG_MAX / 2n)) return error('ERR value is out of range');
  const zset = zsetAt(ctx, text(args[1]));
  if (isReply(zset)) return zset;
  if (zset === undefined || count === 0n) return EMPTY_ARRAY;
  const wanted = count < 0n ? -count : count;
  if (count < 0n && wanted > MAX_DRAWS) return error('ERR value is out of range');
  return membersReply(ctx, randomMembers(zset, Number(wanted > BigInt(zset.size) && count > 0n ? zset.size : wanted), count > 0n), withScores);
};

/** `count` random members: distinct ones (count <= size) or independent draws. */
function randomMembers(zset: ZsetEntry, count: number, distinct: boolean): [string, number][] {
  const size = zset.size;
  const all = (): [string, number][] => Array.from(zset.set.inOrder(), pairOf);
  if (!distinct) {
    if (count < size) return Array.from({ length: count }, () => pairOf(zset.set.byRank(1 + Math.floor(Math.random() * size))!));
    const pairs = all();
    return Array.from({ length: count }, () => pairs[Math.floor(Math.random() * size)]);
  }
  // The whole set comes highest first, as Redis walks a listpack for it (a skiplist's order is its hash table's).
  if (count === size) return all().reverse();
  if (count * 3 > size) {
    // A partial Fisher-Yates shuffle: the first `count` places end up a uniform sample.
    const pairs = all();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
    }
    return pairs.slice(0, count);
  }
  const picked = new Map<number, [string, number]>();
  while (picked.size < count) {
    const rank = 1 + Math.floor(Math.random() * size);
    if (!picked.has(rank)) picked.set(rank, pairOf(zset.set.byRank(rank)!));
  }
  return Array.from(picked.values());
}

const HALF_LLONG_MAX = 2 ** 62;

/**
 * A score as Redis's listpack holds it, which ZSCAN replies with: an integer where the score is
 * integral and within ±LLONG_MAX/2 (double2ll), else d2string's %.17g (which a skiplist's ZSCAN
 * replies with for every score).
 */
function listpackScoreText(score: number): string {
  return Number.isInteger(score) && Math.abs(score) <= HALF_LLONG_MAX ? BigInt(score).toString() : formatDouble(score);
}

/**
 * ZSCAN: the whole set in one reply (see scanWhole), in order, where Redis's skiplist would reply
 * in its hash table's order, which no client may rely on.
 */
const zscan: CommandHandler = (ctx) =>
  scanWhole(
    ctx,
    (ctx) => zsetAt(ctx, text(ctx.args[1])),
    (zset, matches) => {
      const items: Reply[] = [];
      for (const node of zset.set.inOrder()) {
        if (matches(node.member)) items.push(bulk(node.member), bulk(zset.listpack ? listpackScoreText(node.score) : formatDouble(node.score)));
      }
      return items;
    },
  );

export const sortedSetCommands: Record<string, CommandHandler> = {
  zadd,
  zincrby,
  zrem,
  zcard,
  zscore,
  zmscore,
  zrank,
  zrevrank,
  zpopmin,
  zpopmax,
  zmpop,
  zrandmember,
  zscan,
};
