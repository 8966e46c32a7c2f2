/**
 * Lists, after Redis 7.0's t_list.c, blocking commands included (see ../blocking.ts). Replies,
 * errors and the order of their checks are Redis's; a list emptied by a command is deleted.
 */
import { isKeyword, LLONG_MAX, parseLongLong, text } from '../arguments.js';
import { BLOCKED, type BlockedCommand } from '../blocking.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import type { Lookup } from '../database.js';
import { ListEntry } from '../list-entry.js';
import { parseLongDouble } from '../long-double.js';
import {
  array,
  bulk,
  bulks,
  EMPTY_ARRAY,
  error,
  Errors,
  integer,
  isReply,
  NULL,
  NULL_ARRAY,
  OK,
  ZERO,
  type Reply,
} from '../reply.js';
import { entryOfType } from './typed-entry.js';

const HEAD = true;
const TAIL = false;

/** The list at `key`, undefined if missing, the WRONGTYPE error for another type. */
function listAt(ctx: CommandContext, key: string, lookup: Lookup = 'read'): ListEntry | undefined | Reply {
  return entryOfType(ctx, key, 'list', lookup);
}

/** Saves a list changed in place (the engine re-measures it), or deletes it once empty. */
function saveList(ctx: CommandContext, key: string, list: ListEntry): void {
  if (list.length === 0) ctx.db.delete(key, ctx.now);
  else ctx.db.save(key, list, list.expiresAt, ctx.now);
}

/** getLongFromObjectOrReply: a 64-bit integer, or the error (Redis's own, or `message`). */
function longArg(arg: Buffer, message?: string): bigint | Reply {
  return parseLongLong(arg) ?? (message === undefined ? Errors.notInteger : error(`ERR ${message}`));
}

/** getRangeLongFromObjectOrReply. */
function rangeArg(arg: Buffer, min: bigint, max: bigint, message: string | undefined): bigint | Reply {
  const value = longArg(arg, message);
  if (isReply(value)) return value;
  if (value < min || value > max) return message === undefined ? Errors.outOfRange(min, max) : error(`ERR ${message}`);
  return value;
}

/** getPositiveLongFromObjectOrReply. */
function positiveArg(arg: Buffer, message = 'value is out of range, must be positive'): bigint | Reply {
  return rangeArg(arg, 0n, LLONG_MAX, message);
}

/** getListPositionFromObjectOrReply: LEFT is the head, RIGHT the tail. */
function whereArg(arg: Buffer): boolean | Reply {
  if (isKeyword(arg, 'left')) return HEAD;
  if (isKeyword(arg, 'right')) return TAIL;
  return Errors.syntax;
}

/** A list index (negative from the tail) as a position, or -1 when out of range. */
function position(list: ListEntry, index: bigint): number {
  const length = BigInt(list.length);
  const at = index < 0n ? length + index : index;
  return at < 0n || at >= length ? -1 : Number(at);
}

// ---------------------------------------------------------------- push

function pushGeneric(ctx: CommandContext, where: boolean, onlyIfExists: boolean): Reply {
  const key = text(ctx.args[1]);
  const found = listAt(ctx, key, 'write');
  if (isReply(found)) return found;
  if (found === undefined && onlyIfExists) return ZERO;
  const list = found ?? new ListEntry();
  for (let i = 2; i < ctx.args.length; i++) list.push(text(ctx.args[i]), where);
  saveList(ctx, key, list);
  return integer(list.length);
}

const lpush: CommandHandler = (ctx) => pushGeneric(ctx, HEAD, false);
const rpush: CommandHandler = (ctx) => pushGeneric(ctx, TAIL, false);
const lpushx: CommandHandler = (ctx) => pushGeneric(ctx, HEAD, true);
const rpushx: CommandHandler = (ctx) => pushGeneric(ctx, TAIL, true);

const linsert: CommandHandler = (ctx) => {
  const args = ctx.args;
  let after: boolean;
  if (isKeyword(args[2], 'after')) after = true;
  else if (isKeyword(args[2], 'before')) after = false;
  else return Errors.syntax;
  const key = text(args[1]);
  const list = listAt(ctx, key, 'write');
  if (isReply(list)) return list;
  if (list === undefined) return ZERO;
  const pivot = text(args[3]);
  for (let i = 0; i < list.length; i++) {
    if (list.at(i) !== pivot) continue;
    list.insert(after ? i + 1 : i, text(args[4]));
    saveList(ctx, key, list);
    return integer(list.length);
  }
  return integer(-1);
};

// ---------------------------------------------------------------- read

const llen: CommandHandler = (ctx) => {
  const list = listAt(ctx, text(ctx.args[1]));
  if (isReply(list)) return list;
  return integer(list?.length ?? 0);
};

const lindex: CommandHandler = (ctx) => {
  const list = listAt(ctx, text(ctx.args[1]));
  if (isReply(list)) return list;
  if (list === undefined) return NULL;
  const index = longArg(ctx.args[2]);
  if (isReply(index)) return index;
  const at = position(list, index);
  return at < 0 ? NULL : bulk(list.at(at));
};

/** LRANGE's and LTRIM's range (negative indexes from the tail) within a list of `length`; undefined when empty. */
function clampRange(start: bigint, end: bigint, length: number): [start: number, end: number] | undefined {
  const n = BigInt(length);
  if (start < 0n) start += n;
  if (end < 0n) end += n;
  if (start < 0n) start = 0n;
  if (start > end || start >= n) return undefined;
  return [Number(start), Number(end >= n ? n - 1n : end)];
}

/** addListRangeReply: elements `start` to `end` (negative from the tail), clamped. */
function rangeReply(list: ListEntry, start: bigint, end: bigint): Reply {
  const range = clampRange(start, end, list.length);
  return range === undefined ? EMPTY_ARRAY : bulks(list.slice(...range));
}

const lrange: CommandHandler = (ctx) => {
  const start = longArg(ctx.args[2]);
  if (isReply(start)) return start;
  const end = longArg(ctx.args[3]);
  if (isReply(end)) return end;
  const list = listAt(ctx, text(ctx.args[1]));
  if (isReply(list)) return list;
  return list === undefined ? EMPTY_ARRAY : rangeReply(list, start, end);
};

const RANK_ZERO = error(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
const lpos: CommandHandler = (ctx) => {
  const args = ctx.args;
  let rank = 1n;
  let count = -1n;
  let maxlen = 0n;
  for (let j = 3; j < args.length; j++) {
    const more = j < args.length - 1;
    if (isKeyword(args[j], 'rank') && more) {
      const value = longArg(args[++j]);
      if (isReply(value)) return value;
      if (value === 0n) return RANK_ZERO;
      rank = value;
    } else if (isKeyword(args[j], 'count') && more) {
      const value = positiveArg(args[++j], "COUNT can't be negative");
      if (isReply(value)) return value;
      count = value;
    } else if (isKeyword(args[j], 'maxlen') && more) {
      const value = positiveArg(args[++j], "MAXLEN can't be negative");
      if (isReply(value)) return value;
      maxlen = value;
    } else {
      return Errors.syntax;
    }
  }
  const fromTail = rank < 0n;
  // C's long: negating LONG_MIN leaves it negative, and so every match is past the rank.
  if (fromTail) rank = BigInt.asIntN(64, -rank);
  const list = listAt(ctx, text(args[1]));
  if (isReply(list)) return list;
  if (list === undefined) return count !== -1n ? EMPTY_ARRAY : NULL;
  const element = text(args[2]);
  const length = list.length;
  const scan = maxlen === 0n || maxlen > BigInt(length) ? length : Number(maxlen);
  const found: number[] = [];
  let matches = 0n;
  for (let n = 0; n < scan; n++) {
    const index = fromTail ? length - n - 1 : n;
    if (list.at(index) !== element) continue;
    matches++;
    if (matches < rank) continue;
    found.push(index);
    if (count === -1n || (count !== 0n && BigInt.asIntN(64, matches - rank + 1n) >= count)) break;
  }
  if (count !== -1n) return array(found.map(integer));
  return found.length > 0 ? integer(found[0]) : NULL;
};

// ---------------------------------------------------------------- change

const lset: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const list = listAt(ctx, key, 'write');
  if (isReply(list)) return list;
  if (list === undefined) return Errors.noSuchKey;
  const index = longArg(ctx.args[2]);
  if (isReply(index)) return index;
  const at = position(list, index);
  if (at < 0) return error('ERR index out of range');
  list.set(at, text(ctx.args[3]));
  saveList(ctx, key, list);
  return OK;
};

const lrem: CommandHandler = (ctx) => {
  const toRemove = longArg(ctx.args[2]);
  if (isReply(toRemove)) return toRemove;
  const key = text(ctx.args[1]);
  const list = listAt(ctx, key, 'write');
  if (isReply(list)) return list;
  if (list === undefined) return ZERO;
  const element = text(ctx.args[3]);
  const limit = toRemove < 0n ? -toRemove : toRemove;
  // From the tail when the count is negative: which occurrences go depends on the direction.
  const doomed = new Set<number>();
  for (let n = 0; n < list.length && (limit === 0n || BigInt(doomed.size) < limit); n++) {
    const index = toRemove < 0n ? list.length - n - 1 : n;
    if (list.at(index) === element) doomed.add(index);
  }
  if (doomed.size > 0) {
    list.retain((_, index) => !doomed.has(index));
    saveList(ctx, key, list);
  }
  return integer(doomed.size);
};

const ltrim: CommandHandler = (ctx) => {
  const start = longArg(ctx.args[2]);
  if (isReply(start)) return start;
  const end = longArg(ctx.args[3]);
  if (isReply(end)) return end;
  const key = text(ctx.args[1]);
  const list = listAt(ctx, key, 'write');
  if (isReply(list)) return list;
  if (list === undefined) return OK;
  const range = clampRange(start, end, list.length);
  if (range === undefined) ctx.db.delete(key, ctx.now);
  else {
    list.trim(...range);
    saveList(ctx, key, list);
  }
  return OK;
};

// ---------------------------------------------------------------- pop

function popGeneric(ctx: CommandContext, where: boolean): Reply {
  const args = ctx.args;
  if (args.length > 3) return Errors.arity(ctx.name);
  const hasCount = args.length === 3;
  let count = 0n;
  if (hasCount) {
    const value = positiveArg(args[2]);
    if (isReply(value)) return value;
    count = value;
  }
  const key = text(args[1]);
  const list = listAt(ctx, key, 'write');
  if (isReply(list)) return list;
  if (list === undefined) return hasCount ? NULL_ARRAY : NULL;
  if (hasCount && count === 0n) return EMPTY_ARRAY;
  if (!hasCount) {
    const value = list.pop(where)!;
    saveList(ctx, key, list);
    return bulk(value);
  }
  return popRange(ctx, key, list, where, count);
}

/** Pops up to `count` elements from one end, in the order popped. */
function popRange(ctx: CommandContext, key: string, list: ListEntry, where: boolean, count: bigint): Reply {
  const n = count > BigInt(list.length) ? list.length : Number(count);
  const values: string[] = [];
  for (let i = 0; i < n; i++) values.push(list.pop(where)!);
  saveList(ctx, key, list);
  return bulks(values);
}

const lpop: CommandHandler = (ctx) => popGeneric(ctx, HEAD);
const rpop: CommandHandler = (ctx) => popGeneric(ctx, TAIL);

/** lmoveGenericCommand: pops from `source` and pushes on `destination` (null when the source is missing). */
function moveGeneric(ctx: CommandContext, source: string, destination: string, from: boolean, to: boolean): Reply {
  const list = listAt(ctx, source, 'write');
  if (isReply(list)) return list;
  if (list === undefined) return NULL;
  return moveFrom(ctx, list, source, destination, from, to);
}

/** Moves one element from `list` (at `source`, not empty) to `destination`; WRONGTYPE if that holds another type. */
function moveFrom(ctx: CommandContext, list: ListEntry, source: string, destination: string, from: boolean, to: boolean): Reply {
  const target = listAt(ctx, destination, 'write');
  if (isReply(target)) return target;
  const value = list.pop(from)!;
  const pushed = target ?? new ListEntry();
  pushed.push(value, to);
  // The destination first, then the source: the order of Redis's invalidations.
  ctx.db.save(destination, pushed, pushed.expiresAt, ctx.now);
  if (pushed !== list) saveList(ctx, source, list);
  return bulk(value);
}

/** LMOVE's and BLMOVE's wherefrom and whereto (arguments 3 and 4). */
function moveEnds(ctx: CommandContext): [from: boolean, to: boolean] | Reply {
  const from = whereArg(ctx.args[3]);
  if (isReply(from)) return from;
  const to = whereArg(ctx.args[4]);
  return isReply(to) ? to : [from, to];
}

const lmove: CommandHandler = (ctx) => {
  const ends = moveEnds(ctx);
  if (isReply(ends)) return ends;
  return moveGeneric(ctx, text(ctx.args[1]), text(ctx.args[2]), ...ends);
};

const rpoplpush: CommandHandler = (ctx) => moveGeneric(ctx, text(ctx.args[1]), text(ctx.args[2]), TAIL, HEAD);

/** LMPOP's and BLMPOP's arguments from `numkeysIndex` on. */
interface MultiPop {
  keys: string[];
  where: boolean;
  count: bigint;
}

function parseMultiPop(ctx: CommandContext, numkeysIndex: number): MultiPop | Reply {
  const args = ctx.args;
  const numkeys = rangeArg(args[numkeysIndex], 1n, LLONG_MAX, 'numkeys should be greater than 0');
  if (isReply(numkeys)) return numkeys;
  const whereIndex = BigInt(numkeysIndex) + numkeys + 1n;
  if (whereIndex >= BigInt(args.length)) return Errors.syntax;
  const where = whereArg(args[Number(whereIndex)]);
  if (isReply(where)) return where;
  let count = -1n;
  for (let j = Number(whereIndex) + 1; j < args.length; j++) {
    if (count === -1n && isKeyword(args[j], 'count') && j < args.length - 1) {
      const value = rangeArg(args[++j], 1n, LLONG_MAX, 'count should be greater than 0');
      if (isReply(value)) return value;
      count = value;
    } else {
      return Errors.syntax;
    }
  }
  const keys = args.slice(numkeysIndex + 1, Number(whereIndex)).map(text);
  return { keys, where, count: count === -1n ? 1n : count };
}

/** The first key of `keys` holding a list, or WRONGTYPE for a key of another type found first. */
function firstList(ctx: CommandContext, keys: readonly string[]): [string, ListEntry] | undefined | Reply {
  for (const key of keys) {
    const list = listAt(ctx, key, 'write');
    if (isReply(list)) return list;
    if (list !== undefined) return [key, list];
  }
  return undefined;
}

/** [key, [elements...]]: up to `count` elements popped from `list`. */
function multiPopReply(ctx: CommandContext, key: string, list: ListEntry, where: boolean, count: bigint): Reply {
  return array([bulk(key), popRange(ctx, key, list, where, count)]);
}

const lmpop: CommandHandler = (ctx) => {
  const parsed = parseMultiPop(ctx, 1);
  if (isReply(parsed)) return parsed;
  const found = firstList(ctx, parsed.keys);
  if (isReply(found)) return found;
  if (found === undefined) return NULL_ARRAY;
  return multiPopReply(ctx, found[0], found[1], parsed.where, parsed.count);
};

// ---------------------------------------------------------------- blocking

const TIMEOUT_NOT_FLOAT = error('ERR timeout is not a float or out of range');
const TIMEOUT_NEGATIVE = error('ERR timeout is negative');

/**
 * getTimeoutFromObjectOrReply in seconds: the deadline in unix ms, 0 for none. Redis multiplies
 * the long double by 1000 (rounded to its 64-bit significand) and takes the ceiling as a long
 * long, so 0.001 is 1 ms and -0.0001 is 0 (no timeout); what overflows a long long (infinity
 * included) comes out negative there.
 */
export function parseTimeout(ctx: CommandContext, arg: Buffer): number | Reply {
  const seconds = parseLongDouble(text(arg));
  if (seconds === null) return TIMEOUT_NOT_FLOAT;
  if (seconds.infinite) return TIMEOUT_NEGATIVE;
  let significand = seconds.significand * 1000n;
  let exponent = seconds.exponent;
  const excess = significand.toString(2).length - 64;
  if (excess > 0) {
    const unit = 1n << BigInt(excess);
    const rest = significand % unit;
    significand /= unit;
    if (2n * rest > unit || (2n * rest === unit && (significand & 1n) === 1n)) significand++;
    exponent += excess;
  }
  let whole: bigint;
  let fractional = false;
  if (exponent >= 0) {
    whole = significand << BigInt(exponent);
  } else {
    whole = significand >> BigInt(-exponent);
    fractional = (significand & ((1n << BigInt(-exponent)) - 1n)) !== 0n;
  }
  if (seconds.negative) return whole === 0n ? 0 : TIMEOUT_NEGATIVE;
  const ms = fractional ? whole + 1n : whole;
  if (ms > LLONG_MAX) return TIMEOUT_NEGATIVE;
  return ms === 0n ? 0 : Number(ms) + ctx.now;
}

/** Blocks the session on `keys`, or answers at once inside a transaction or a script (Redis's CLIENT_DENY_BLOCKING). */
function block(ctx: CommandContext, command: Omit<BlockedCommand, 'db'>, denied: Reply): Reply {
  if (ctx.session.inExec || ctx.server.scripting.runner.running) return denied;
  ctx.server.blocked.block(ctx.session, { ...command, db: ctx.session.db });
  return BLOCKED;
}

/**
 * Blocks on `keys` until one holds a value `lookup` finds (there, and of the command's type),
 * then answers with `act` on it; a null array at the deadline, as Redis's blocking pops and moves.
 */
export function blockUntilFound<T>(
  ctx: CommandContext,
  keys: string[],
  deadline: number,
  lookup: (served: CommandContext, key: string) => T | Reply | undefined,
  act: (served: CommandContext, key: string, value: T) => Reply,
  denied: Reply,
): Reply {
  const serve = (served: CommandContext, key: string): Reply | undefined => {
    const value = lookup(served, key);
    return value === undefined || isReply(value) ? undefined : act(served, key, value as T);
  };
  return block(ctx, { keys, deadline, timeoutReply: NULL_ARRAY, serve }, denied);
}

/** BLPOP, BRPOP, BLMPOP: `count` undefined for the single pops, which reply [key, element]. */
function blockingPop(ctx: CommandContext, keys: string[], where: boolean, deadline: number, count: bigint | undefined): Reply {
  const found = firstList(ctx, keys);
  if (isReply(found)) return found;
  const pop = (popCtx: CommandContext, key: string, list: ListEntry): Reply => {
    if (count !== undefined) return multiPopReply(popCtx, key, list, where, count);
    const value = list.pop(where)!;
    saveList(popCtx, key, list);
    return array([bulk(key), bulk(value)]);
  };
  if (found !== undefined) return pop(ctx, found[0], found[1]);
  return blockUntilFound(ctx, keys, deadline, (served, key) => listAt(served, key, 'write'), pop, NULL_ARRAY);
}

const blpop: CommandHandler = (ctx) => {
  const deadline = parseTimeout(ctx, ctx.args[ctx.args.length - 1]);
  if (isReply(deadline)) return deadline;
  return blockingPop(ctx, ctx.args.slice(1, -1).map(text), HEAD, deadline, undefined);
};

const brpop: CommandHandler = (ctx) => {
  const deadline = parseTimeout(ctx, ctx.args[ctx.args.length - 1]);
  if (isReply(deadline)) return deadline;
  return blockingPop(ctx, ctx.args.slice(1, -1).map(text), TAIL, deadline, undefined);
};

const blmpop: CommandHandler = (ctx) => {
  const parsed = parseMultiPop(ctx, 2);
  if (isReply(parsed)) return parsed;
  const deadline = parseTimeout(ctx, ctx.args[1]);
  if (isReply(deadline)) return deadline;
  return blockingPop(ctx, parsed.keys, parsed.where, deadline, parsed.count);
};

/** blmoveGenericCommand: a missing source blocks; the destination's type is checked when served. */
function blockingMove(ctx: CommandContext, from: boolean, to: boolean, deadline: number): Reply {
  const source = text(ctx.args[1]);
  const destination = text(ctx.args[2]);
  const list = listAt(ctx, source, 'write');
  if (isReply(list)) return list;
  if (list !== undefined) return moveFrom(ctx, list, source, destination, from, to);
  // Redis answers a timed-out BLMOVE as it does BLPOP: with a null array.
  const move = (served: CommandContext, key: string, ready: ListEntry) => moveFrom(served, ready, key, destination, from, to);
  return blockUntilFound(ctx, [source], deadline, (served, key) => listAt(served, key, 'write'), move, NULL);
}

const blmove: CommandHandler = (ctx) => {
  const ends = moveEnds(ctx);
  if (isReply(ends)) return ends;
  const deadline = parseTimeout(ctx, ctx.args[5]);
  if (isReply(deadline)) return deadline;
  return blockingMove(ctx, ...ends, deadline);
};

const brpoplpush: CommandHandler = (ctx) => {
  const deadline = parseTimeout(ctx, ctx.args[3]);
  if (isReply(deadline)) return deadline;
  return blockingMove(ctx, TAIL, HEAD, deadline);
};

export const listCommands: Record<string, CommandHandler> = {
  lpush,
  rpush,
  lpushx,
  rpushx,
  linsert,
  llen,
  lindex,
  lrange,
  lpos,
  lset,
  lrem,
  ltrim,
  lpop,
  rpop,
  lmove,
  rpoplpush,
  lmpop,
  blpop,
  brpop,
  blmpop,
  blmove,
  brpoplpush,
};

