/**
 * Sets, after Redis 7.0's t_set.c. Replies list members in the order Redis iterates them (see
 * SetEntry.members: ascending for what Redis holds as an intset). A set left empty is deleted.
 */
import { isKeyword, LLONG_MAX, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import type { Lookup } from '../database.js';
import { array, bulk, bulkOrNull, EMPTY_ARRAY, error, Errors, integer, isReply, NULL, ONE, set, ZERO, type Reply } from '../reply.js';
import { SetEntry } from '../set-value.js';
import { MAX_DRAWS } from './hashes.js';
import { scanWhole } from './keys.js';

/** shared.emptyset: `*0` in RESP2, `~0` in RESP3. */
const EMPTY_SET = set([]);
const NOT_POSITIVE = error('ERR value is out of range, must be positive');

/** The set at `key`, undefined if missing, the WRONGTYPE error for another type. */
function setAt(ctx: CommandContext, key: string, lookup: Lookup = 'read'): SetEntry | undefined | Reply {
  const entry = lookup === 'read' ? ctx.db.get(key, ctx.now) : ctx.db.getForWrite(key, ctx.now);
  if (entry !== undefined && entry.type !== 'set') return Errors.wrongType;
  return entry;
}

/** Saves a set changed in place (the engine re-measures it), or deletes it once empty. */
function saveSet(ctx: CommandContext, key: string, value: SetEntry): void {
  if (value.size === 0) ctx.db.delete(key, ctx.now);
  else ctx.db.save(key, value, value.expiresAt, ctx.now);
}

/** Members as a reply of Redis's set type (`~` in RESP3). */
const memberSet = (members: readonly string[]): Reply => set(members.map(bulk));

/** getPositiveLongFromObjectOrReply: 0 to LONG_MAX, else `message`. */
function positiveLong(arg: Buffer, message: Reply): bigint | Reply {
  const value = parseLongLong(arg);
  return value === null || value < 0n ? message : value;
}

const sadd: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const found = setAt(ctx, key, 'write');
  if (isReply(found)) return found;
  const value = found ?? new SetEntry();
  let added = 0;
  for (let i = 2; i < ctx.args.length; i++) if (value.add(text(ctx.args[i]))) added++;
  if (added > 0) saveSet(ctx, key, value);
  return integer(added);
};

const srem: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const value = setAt(ctx, key, 'write');
  if (isReply(value)) return value;
  if (value === undefined) return ZERO;
  let removed = 0;
  for (let i = 2; i < ctx.args.length && value.size > 0; i++) if (value.remove(text(ctx.args[i]))) removed++;
  if (removed > 0) saveSet(ctx, key, value);
  return integer(removed);
};

const smove: CommandHandler = (ctx) => {
  const [source, target, member] = [text(ctx.args[1]), text(ctx.args[2]), text(ctx.args[3])];
  const from = setAt(ctx, source, 'write');
  const to = setAt(ctx, target, 'write');
  if (from === undefined) return ZERO;
  if (isReply(from)) return from;
  if (isReply(to)) return to;
  if (from === to) return from.has(member) ? ONE : ZERO;
  if (!from.remove(member)) return ZERO;
  // The source's change first, then the target's (only if it gained the member): Redis's order.
  saveSet(ctx, source, from);
  const destination = to ?? new SetEntry();
  if (destination.add(member)) saveSet(ctx, target, destination);
  return ONE;
};

const sismember: CommandHandler = (ctx) => {
  const value = setAt(ctx, text(ctx.args[1]));
  if (isReply(value)) return value;
  return value?.has(text(ctx.args[2])) ? ONE : ZERO;
};

const smismember: CommandHandler = (ctx) => {
  const value = setAt(ctx, text(ctx.args[1]));
  if (isReply(value)) return value;
  const replies: Reply[] = [];
  for (let i = 2; i < ctx.args.length; i++) replies.push(value?.has(text(ctx.args[i])) ? ONE : ZERO);
  return array(replies);
};

const scard: CommandHandler = (ctx) => {
  const value = setAt(ctx, text(ctx.args[1]));
  if (isReply(value)) return value;
  return integer(value?.size ?? 0);
};

const spop: CommandHandler = (ctx) => {
  if (ctx.args.length > 3) return Errors.syntax;
  if (ctx.args.length === 3) return spopWithCount(ctx);
  const key = text(ctx.args[1]);
  const value = setAt(ctx, key, 'write');
  if (isReply(value)) return value;
  if (value === undefined) return NULL;
  const member = value.random();
  value.remove(member);
  saveSet(ctx, key, value);
  return bulk(member);
};

function spopWithCount(ctx: CommandContext): Reply {
  const count = positiveLong(ctx.args[2], NOT_POSITIVE);
  if (isReply(count)) return count;
  const key = text(ctx.args[1]);
  const value = setAt(ctx, key, 'write');
  if (isReply(value)) return value;
  if (value === undefined || count === 0n) return EMPTY_SET;
  if (count >= BigInt(value.size)) {
    // Redis replies with the union of the set alone: a new set's order, and a read's lookup.
    ctx.db.countRead(value);
    const all = SetEntry.of(value.members()).members();
    ctx.db.delete(key, ctx.now);
    return memberSet(all);
  }
  const popped = value.randomDistinct(Number(count));
  for (const member of popped) value.remove(member);
  saveSet(ctx, key, value);
  return memberSet(popped);
}

const srandmember: CommandHandler = (ctx) => {
  const args = ctx.args;
  if (args.length > 3) return Errors.syntax;
  if (args.length === 3) return srandmemberWithCount(ctx);
  const value = setAt(ctx, text(args[1]));
  if (isReply(value)) return value;
  return bulkOrNull(value?.random());
};

/** A negative count may repeat members, a positive one does not. */
function srandmemberWithCount(ctx: CommandContext): Reply {
  const count = parseLongLong(ctx.args[2]);
  if (count === null) return Errors.notInteger;
  if (count < -LLONG_MAX) return Errors.outOfRange(-LLONG_MAX, LLONG_MAX);
  const value = setAt(ctx, text(ctx.args[1]));
  if (isReply(value)) return value;
  if (value === undefined || count === 0n) return EMPTY_ARRAY;
  if (count < 0n) {
    if (-count > MAX_DRAWS) return error('ERR value is out of range');
    const draws = Number(-count);
    const picked: Reply[] = [];
    for (let i = 0; i < draws; i++) picked.push(bulk(value.random()));
    return array(picked);
  }
  if (count >= BigInt(value.size)) return array(value.members().map(bulk));
  return array(value.randomDistinct(Number(count)).map(bulk));
}

/**
 * The sets named by `keys` (read lookups, as Redis 7.0's set algebra makes), undefined for a
 * missing key; WRONGTYPE if any key holds another type.
 */
function setsAt(ctx: CommandContext, keys: readonly Buffer[]): (SetEntry | undefined)[] | Reply {
  const sets: (SetEntry | undefined)[] = [];
  for (const key of keys) {
    const value = setAt(ctx, text(key));
    if (isReply(value)) return value;
    sets.push(value);
  }
  return sets;
}

/**
 * sinterGenericCommand: the members of every set, in the order of the smallest one (the first
 * of the smallest); `limit` stops at that many (0: none). Empty if any set is missing.
 */
function intersection(sets: readonly (SetEntry | undefined)[], limit = 0): string[] {
  if (sets.some((value) => value === undefined)) return [];
  const bySize = (sets as SetEntry[]).slice().sort((a, b) => a.size - b.size);
  const [smallest, ...others] = bySize;
  const found: string[] = [];
  for (const member of smallest.members()) {
    if (!others.every((other) => other === smallest || other.has(member))) continue;
    found.push(member);
    if (found.length === limit) break;
  }
  return found;
}

/** sunionDiffGenericCommand's result, as the new set Redis builds (its order is that set's). */
function unionOrDifference(sets: readonly (SetEntry | undefined)[], difference: boolean): SetEntry {
  const result = new SetEntry();
  if (!difference) {
    for (const value of sets) for (const member of value?.members() ?? []) result.add(member);
    return result;
  }
  const [first, ...others] = sets;
  for (const member of first?.members() ?? []) {
    if (!others.some((other) => other?.has(member))) result.add(member);
  }
  return result;
}

/** The *STORE variants: the result replaces `destination` (its TTL gone), or deletes it if empty. */
function store(ctx: CommandContext, destination: string, result: SetEntry): Reply {
  if (result.size === 0) {
    ctx.db.delete(destination, ctx.now);
    return ZERO;
  }
  ctx.db.save(destination, result, 0, ctx.now);
  return integer(result.size);
}

const sinter: CommandHandler = (ctx) => {
  const sets = setsAt(ctx, ctx.args.slice(1));
  if (isReply(sets)) return sets;
  return memberSet(intersection(sets));
};

const sinterstore: CommandHandler = (ctx) => {
  const sets = setsAt(ctx, ctx.args.slice(2));
  if (isReply(sets)) return sets;
  return store(ctx, text(ctx.args[1]), SetEntry.of(intersection(sets)));
};

const sintercard: CommandHandler = (ctx) => {
  const args = ctx.args;
  const numkeys = positiveLong(args[1], error('ERR numkeys should be greater than 0'));
  if (isReply(numkeys)) return numkeys;
  if (numkeys === 0n) return error('ERR numkeys should be greater than 0');
  if (numkeys > BigInt(args.length - 2)) return error("ERR Number of keys can't be greater than number of args");
  const keysEnd = 2 + Number(numkeys);
  let limit = 0n;
  for (let i = keysEnd; i < args.length; i++) {
    if (!isKeyword(args[i], 'limit') || i === args.length - 1) return Errors.syntax;
    const value = positiveLong(args[++i], error("ERR LIMIT can't be negative"));
    if (isReply(value)) return value;
    limit = value;
  }
  const sets = setsAt(ctx, args.slice(2, keysEnd));
  if (isReply(sets)) return sets;
  // A limit beyond any set's size is no limit.
  return integer(intersection(sets, limit > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(limit)).length);
};

function unionOrDifferenceCommand(difference: boolean): CommandHandler {
  return (ctx) => {
    const sets = setsAt(ctx, ctx.args.slice(1));
    if (isReply(sets)) return sets;
    return memberSet(unionOrDifference(sets, difference).members());
  };
}

function unionOrDifferenceStoreCommand(difference: boolean): CommandHandler {
  return (ctx) => {
    const sets = setsAt(ctx, ctx.args.slice(2));
    if (isReply(sets)) return sets;
    return store(ctx, text(ctx.args[1]), unionOrDifference(sets, difference));
  };
}

const smembers: CommandHandler = (ctx) => {
  const value = setAt(ctx, text(ctx.args[1]));
  if (isReply(value)) return value;
  return memberSet(value?.members() ?? []);
};

const sscan: CommandHandler = (ctx) =>
  scanWhole(
    ctx,
    (ctx) => setAt(ctx, text(ctx.args[1])),
    (value, matches) => value.members().filter(matches).map(bulk),
  );

export const setCommands: Record<string, CommandHandler> = {
  sadd,
  srem,
  smove,
  sismember,
  smismember,
  scard,
  spop,
  srandmember,
  smembers,
  sinter,
  sinterstore,
  sintercard,
  sunion: unionOrDifferenceCommand(false),
  sunionstore: unionOrDifferenceStoreCommand(false),
  sdiff: unionOrDifferenceCommand(true),
  sdiffstore: unionOrDifferenceStoreCommand(true),
  sscan,
};
