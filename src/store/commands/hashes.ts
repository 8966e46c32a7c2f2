/**
 * Hashes, after Redis's t_hash.c. Fields keep insertion order (a JS Map), which is the order
 * Redis replies in for a hash it holds as a listpack (HashEntry.listpack); for a hash table
 * Redis's order is the table's, which no client may rely on.
 */
import { isKeyword, LLONG_MAX, LLONG_MIN, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import type { Lookup } from '../database.js';
import { hashListpackLimits } from '../listpack-limits.js';
import { addLongDouble, formatLongDouble, LONG_DOUBLE_ZERO, parseLongDouble } from '../long-double.js';
import {
  array,
  bulk,
  bulkOrNull,
  bulks,
  EMPTY_ARRAY,
  error,
  Errors,
  integer,
  isReply,
  map,
  NULL,
  OK,
  ONE,
  ZERO,
  type Reply,
} from '../reply.js';
import { HashEntry } from '../values.js';
import { scanWhole } from './keys.js';
import { entryOfType } from './typed-entry.js';

/** The hash at `key`, undefined if missing, the WRONGTYPE error for another type. */
function hashAt(ctx: CommandContext, key: string, lookup: Lookup = 'read'): HashEntry | undefined | Reply {
  return entryOfType(ctx, key, 'hash', lookup);
}

/** hashTypeLookupWriteOrCreate: the hash, a new empty one (not saved yet), or WRONGTYPE. */
function hashForWrite(ctx: CommandContext, key: string): HashEntry | Reply {
  return hashAt(ctx, key, 'write') ?? new HashEntry();
}

/** Saves a hash changed in place (the engine re-measures it), or deletes it once empty. */
function saveHash(ctx: CommandContext, key: string, hash: HashEntry): void {
  if (hash.size === 0) ctx.db.delete(key, ctx.now);
  else ctx.db.save(key, hash, hash.expiresAt, ctx.now);
}

function hsetGeneric(ctx: CommandContext, reply: (created: number) => Reply): Reply {
  const args = ctx.args;
  if (args.length % 2 === 1) return Errors.arity(ctx.name);
  const key = text(args[1]);
  const hash = hashForWrite(ctx, key);
  if (isReply(hash)) return hash;
  const limits = hashListpackLimits(ctx.server);
  let created = 0;
  for (let i = 2; i < args.length; i += 2) if (hash.setField(text(args[i]), text(args[i + 1]), limits)) created++;
  saveHash(ctx, key, hash);
  return reply(created);
}

const hset: CommandHandler = (ctx) => hsetGeneric(ctx, integer);
const hmset: CommandHandler = (ctx) => hsetGeneric(ctx, () => OK);

const hsetnx: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const hash = hashForWrite(ctx, key);
  if (isReply(hash)) return hash;
  const field = text(ctx.args[2]);
  if (hash.get(field) !== undefined) return ZERO;
  hash.setField(field, text(ctx.args[3]), hashListpackLimits(ctx.server));
  saveHash(ctx, key, hash);
  return ONE;
};

const hget: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  return hash === undefined ? NULL : bulkOrNull(hash.get(text(ctx.args[2])));
};

const hmget: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  const values: Reply[] = [];
  for (let i = 2; i < ctx.args.length; i++) values.push(bulkOrNull(hash?.get(text(ctx.args[i]))));
  return array(values);
};

const hgetall: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  if (hash === undefined) return map([]);
  return map(Array.from(hash.fields, ([field, value]) => [bulk(field), bulk(value)] as const));
};

const hkeys: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  return hash === undefined ? EMPTY_ARRAY : bulks(hash.fields.keys());
};

const hvals: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  return hash === undefined ? EMPTY_ARRAY : bulks(hash.fields.values());
};

const hdel: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const hash = hashAt(ctx, key, 'write');
  if (isReply(hash)) return hash;
  if (hash === undefined) return ZERO;
  let deleted = 0;
  for (let i = 2; i < ctx.args.length; i++) {
    if (hash.deleteField(text(ctx.args[i]))) deleted++;
    if (hash.size === 0) break;
  }
  if (deleted > 0) saveHash(ctx, key, hash);
  return integer(deleted);
};

const hlen: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  return integer(hash?.size ?? 0);
};

const hexists: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  return hash?.get(text(ctx.args[2])) === undefined ? ZERO : ONE;
};

const hstrlen: CommandHandler = (ctx) => {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  return integer(hash?.get(text(ctx.args[2]))?.length ?? 0);
};

const hincrby: CommandHandler = (ctx) => {
  const increment = parseLongLong(ctx.args[3]);
  if (increment === null) return Errors.notInteger;
  const key = text(ctx.args[1]);
  const hash = hashForWrite(ctx, key);
  if (isReply(hash)) return hash;
  const field = text(ctx.args[2]);
  const current = hash.get(field);
  const value = current === undefined ? 0n : parseLongLong(current);
  if (value === null) return error('ERR hash value is not an integer');
  if ((increment < 0n && value < 0n && increment < LLONG_MIN - value) || (increment > 0n && value > 0n && increment > LLONG_MAX - value)) {
    return Errors.overflow;
  }
  const result = value + increment;
  hash.setField(field, result.toString(), hashListpackLimits(ctx.server));
  saveHash(ctx, key, hash);
  return integer(result);
};

const hincrbyfloat: CommandHandler = (ctx) => {
  const increment = parseLongDouble(text(ctx.args[3]));
  if (increment === null) return Errors.notFloat;
  if (increment.infinite) return error('ERR value is NaN or Infinity');
  const key = text(ctx.args[1]);
  const hash = hashForWrite(ctx, key);
  if (isReply(hash)) return hash;
  const field = text(ctx.args[2]);
  const current = hash.get(field);
  const value = current === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(current);
  if (value === null) return error('ERR hash value is not a float');
  const sum = addLongDouble(value, increment);
  if (sum === null || sum.infinite) return error('ERR increment would produce NaN or Infinity');
  const result = formatLongDouble(sum);
  hash.setField(field, result, hashListpackLimits(ctx.server));
  saveHash(ctx, key, hash);
  return bulk(result);
};

const hscan: CommandHandler = (ctx) =>
  scanWhole(
    ctx,
    (ctx) => hashAt(ctx, text(ctx.args[1])),
    (hash, matches) => {
      const items: Reply[] = [];
      for (const [field, value] of hash.fields) if (matches(field)) items.push(bulk(field), bulk(value));
      return items;
    },
  );

const LONG_MAX = 2n ** 63n - 1n;

const hrandfield: CommandHandler = (ctx) => {
  const args = ctx.args;
  if (args.length >= 3) {
    const count = parseLongLong(args[2]);
    if (count === null) return Errors.notInteger;
    if (count < -LONG_MAX) return Errors.outOfRange(-LONG_MAX, LONG_MAX);
    if (args.length > 4 || (args.length === 4 && !isKeyword(args[3], 'withvalues'))) return Errors.syntax;
    const withValues = args.length === 4;
    if (withValues && (count < -LONG_MAX / 2n || count > LONG_MAX / 2n)) return error('ERR value is out of range');
    return randomFields(ctx, count, withValues);
  }
  const hash = hashAt(ctx, text(args[1]));
  if (isReply(hash)) return hash;
  if (hash === undefined) return NULL;
  return bulk(randomEntries(hash, 1, true)[0][0]);
};

/**
 * The most repeated draws one reply may hold. Redis would stream any count until the client's
 * output limit cut it off; a reply here is built in memory first, so an absurd count is refused
 * rather than allowed to exhaust the process.
 */
export const MAX_DRAWS = 10_000_000n;

/** hrandfieldWithCountCommand: a negative count may repeat fields, a positive one does not. */
function randomFields(ctx: CommandContext, count: bigint, withValues: boolean): Reply {
  const hash = hashAt(ctx, text(ctx.args[1]));
  if (isReply(hash)) return hash;
  if (hash === undefined || count === 0n) return EMPTY_ARRAY;
  const unique = count > 0n;
  const wanted = unique ? count : -count;
  if (!unique && wanted > MAX_DRAWS) return error('ERR value is out of range');
  let picked: [string, string][];
  if (!unique || wanted === 1n) {
    picked = randomEntries(hash, Number(wanted), false);
  } else if (wanted >= BigInt(hash.size)) {
    picked = Array.from(hash.fields);
  } else {
    picked = randomEntries(hash, Number(wanted), true);
  }
  const items: Reply[] = [];
  for (const [field, value] of picked) {
    if (!withValues) items.push(bulk(field));
    else if (ctx.session.protocol === 3) items.push(array([bulk(field), bulk(value)]));
    else items.push(bulk(field), bulk(value));
  }
  return array(items);
}

/** `count` random entries, distinct or independent draws. */
function randomEntries(hash: HashEntry, count: number, distinct: boolean): [string, string][] {
  const all = Array.from(hash.fields);
  const out: [string, string][] = [];
  if (!distinct) {
    for (let i = 0; i < count; i++) out.push(all[Math.floor(Math.random() * all.length)]);
    return out;
  }
  // A partial Fisher-Yates shuffle: the first `count` places end up a uniform sample.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
    out.push(all[i]);
  }
  return out;
}

export const hashCommands: Record<string, CommandHandler> = {
  hset,
  hsetnx,
  hmset,
  hget,
  hmget,
  hgetall,
  hdel,
  hexists,
  hlen,
  hkeys,
  hvals,
  hstrlen,
  hincrby,
  hincrbyfloat,
  hscan,
  hrandfield,
};
