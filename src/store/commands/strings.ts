/** Strings and counters, after Redis's t_string.c: same argument checks, same order of checks. */
import { constants } from 'node:buffer';
import { isKeyword, LLONG_MAX, LLONG_MIN, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import type { Lookup } from '../database.js';
import { addLongDouble, formatLongDouble, LONG_DOUBLE_ZERO, parseLongDouble, type LongDouble } from '../long-double.js';
import { array, bulk, EMPTY_BULK, error, Errors, integer, isReply, NULL, OK, ONE, ZERO, type Reply } from '../reply.js';
import { StringEntry, type Entry } from '../values.js';
import { entryOfType } from './typed-entry.js';

/** Redis's default proto-max-bulk-len: the largest string a command may build. */
const PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;

const SET_NX = 1 << 0;
const SET_XX = 1 << 1;
const EX = 1 << 2;
const PX = 1 << 3;
const KEEPTTL = 1 << 4;
const SET_GET = 1 << 5;
const EXAT = 1 << 6;
const PXAT = 1 << 7;
const PERSIST = 1 << 8;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

interface ExpireOptions {
  flags: number;
  expire: Buffer | undefined;
  unitSeconds: boolean;
}

/**
 * SET's and GETEX's options (parseExtendedStringArgumentsOrReply): each option may appear again,
 * but never next to one it excludes; an expiry option needs a following argument.
 */
function parseOptions(ctx: CommandContext, forSet: boolean): ExpireOptions | Reply {
  const args = ctx.args;
  const options: ExpireOptions = { flags: 0, expire: undefined, unitSeconds: true };
  for (let j = forSet ? 3 : 2; j < args.length; j++) {
    const opt = args[j];
    const hasNext = j < args.length - 1;
    const f = options.flags;
    if (forSet && isKeyword(opt, 'nx') && !(f & SET_XX)) {
      options.flags |= SET_NX;
    } else if (forSet && isKeyword(opt, 'xx') && !(f & SET_NX)) {
      options.flags |= SET_XX;
    } else if (forSet && isKeyword(opt, 'get')) {
      options.flags |= SET_GET;
    } else if (forSet && isKeyword(opt, 'keepttl') && !(f & (PERSIST | ANY_EXPIRE))) {
      options.flags |= KEEPTTL;
    } else if (!forSet && isKeyword(opt, 'persist') && !(f & (ANY_EXPIRE | KEEPTTL))) {
      options.flags |= PERSIST;
    } else if (hasNext && expiryOption(opt, f) !== 0) {
      const flag = expiryOption(opt, f);
      options.flags |= flag;
      options.expire = args[++j];
      options.unitSeconds = flag === EX || flag === EXAT;
    } else {
      return Errors.syntax;
    }
  }
  return options;
}

/** The expiry flag `opt` names, if no conflicting option was given before; else 0. */
function expiryOption(opt: Buffer, flags: number): number {
  for (const [word, flag] of [
    ['ex', EX],
    ['px', PX],
    ['exat', EXAT],
    ['pxat', PXAT],
  ] as const) {
    if (isKeyword(opt, word)) return flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~flag)) ? 0 : flag;
  }
  return 0;
}

/** The absolute deadline (unix ms) of an expiry option (getExpireMillisecondsOrReply). */
function expireDeadline(ctx: CommandContext, options: ExpireOptions): number | Reply {
  let ms = parseLongLong(options.expire!);
  if (ms === null) return Errors.notInteger;
  if (ms <= 0n || (options.unitSeconds && ms > LLONG_MAX / 1000n)) return Errors.invalidExpireTime(ctx.name);
  if (options.unitSeconds) ms *= 1000n;
  if (options.flags & (EX | PX)) ms += BigInt(ctx.now);
  // Redis detects the overflow of the addition by a wrapped, non-positive result.
  if (ms > LLONG_MAX) return Errors.invalidExpireTime(ctx.name);
  return Number(ms);
}

/** The entry if it is a string, undefined if missing, the WRONGTYPE error otherwise. */
function stringAt(ctx: CommandContext, key: string, lookup: Lookup = 'read'): StringEntry | undefined | Reply {
  return entryOfType(ctx, key, 'string', lookup);
}

/** Stores a string value, reusing the existing string entry if there is one. */
function writeString(ctx: CommandContext, key: string, existing: Entry | undefined, value: string, expiresAt: number): void {
  if (existing !== undefined && existing.type === 'string') {
    existing.value = value;
    ctx.db.save(key, existing, expiresAt, ctx.now);
  } else {
    ctx.db.save(key, new StringEntry(value), expiresAt, ctx.now);
  }
}

/** setGenericCommand: SET and its older forms. */
function setGeneric(ctx: CommandContext, options: ExpireOptions, key: string, value: string, okReply: Reply, abortReply: Reply): Reply {
  let expiresAt = 0;
  if (options.expire !== undefined) {
    const deadline = expireDeadline(ctx, options);
    if (isReply(deadline)) return deadline;
    expiresAt = deadline;
  }
  // SET ... GET reads the old value first (getGenericCommand), which counts as a read.
  const existing = options.flags & SET_GET ? ctx.db.get(key, ctx.now) : ctx.db.getForWrite(key, ctx.now);
  let previous: Reply = NULL;
  if (options.flags & SET_GET) {
    if (existing !== undefined && existing.type !== 'string') return Errors.wrongType;
    if (existing !== undefined) previous = bulk(existing.value);
  }
  const found = existing !== undefined;
  if ((options.flags & SET_NX && found) || (options.flags & SET_XX && !found)) {
    return options.flags & SET_GET ? previous : abortReply;
  }
  if (options.flags & KEEPTTL) expiresAt = existing?.expiresAt ?? 0;
  writeString(ctx, key, existing, value, expiresAt);
  return options.flags & SET_GET ? previous : okReply;
}

const fixedOptions = (flags = 0, expire?: Buffer, unitSeconds = true): ExpireOptions => ({ flags, expire, unitSeconds });

const get: CommandHandler = (ctx) => {
  const entry = stringAt(ctx, text(ctx.args[1]));
  if (isReply(entry)) return entry;
  return entry === undefined ? NULL : bulk(entry.value);
};

const setCommand: CommandHandler = (ctx) => {
  const options = parseOptions(ctx, true);
  if (isReply(options)) return options;
  return setGeneric(ctx, options, text(ctx.args[1]), text(ctx.args[2]), OK, NULL);
};

const setnx: CommandHandler = (ctx) => setGeneric(ctx, fixedOptions(SET_NX), text(ctx.args[1]), text(ctx.args[2]), ONE, ZERO);

const setex: CommandHandler = (ctx) => setGeneric(ctx, fixedOptions(EX, ctx.args[2], true), text(ctx.args[1]), text(ctx.args[3]), OK, NULL);

const psetex: CommandHandler = (ctx) => setGeneric(ctx, fixedOptions(PX, ctx.args[2], false), text(ctx.args[1]), text(ctx.args[3]), OK, NULL);

const getset: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const entry = stringAt(ctx, key);
  if (isReply(entry)) return entry;
  const previous = entry === undefined ? NULL : bulk(entry.value);
  writeString(ctx, key, entry, text(ctx.args[2]), 0);
  return previous;
};

const getdel: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const entry = stringAt(ctx, key);
  if (isReply(entry)) return entry;
  if (entry === undefined) return NULL;
  ctx.db.delete(key, ctx.now);
  return bulk(entry.value);
};

const getex: CommandHandler = (ctx) => {
  const options = parseOptions(ctx, false);
  if (isReply(options)) return options;
  const key = text(ctx.args[1]);
  const entry = stringAt(ctx, key);
  if (isReply(entry)) return entry;
  if (entry === undefined) return NULL;
  let expiresAt = 0;
  if (options.expire !== undefined) {
    const deadline = expireDeadline(ctx, options);
    if (isReply(deadline)) return deadline;
    expiresAt = deadline;
  }
  const reply = bulk(entry.value);
  if (options.flags & (PXAT | EXAT) && expiresAt <= ctx.now) {
    ctx.db.delete(key, ctx.now);
  } else if (options.expire !== undefined) {
    ctx.db.save(key, entry, expiresAt, ctx.now);
  } else if (options.flags & PERSIST && entry.expiresAt !== 0) {
    ctx.db.save(key, entry, 0, ctx.now);
  }
  return reply;
};

const mget: CommandHandler = (ctx) => {
  const replies: Reply[] = [];
  for (let i = 1; i < ctx.args.length; i++) {
    const entry = ctx.db.get(text(ctx.args[i]), ctx.now);
    replies.push(entry !== undefined && entry.type === 'string' ? bulk(entry.value) : NULL);
  }
  return array(replies);
};

function msetGeneric(ctx: CommandContext, onlyIfNoneExists: boolean): Reply {
  const args = ctx.args;
  if (args.length % 2 === 0) return Errors.arity(ctx.name);
  if (onlyIfNoneExists) {
    for (let j = 1; j < args.length; j += 2) {
      if (ctx.db.getForWrite(text(args[j]), ctx.now) !== undefined) return ZERO;
    }
  }
  for (let j = 1; j < args.length; j += 2) {
    const key = text(args[j]);
    writeString(ctx, key, ctx.db.getForWrite(key, ctx.now), text(args[j + 1]), 0);
  }
  return onlyIfNoneExists ? ONE : OK;
}

const mset: CommandHandler = (ctx) => msetGeneric(ctx, false);
const msetnx: CommandHandler = (ctx) => msetGeneric(ctx, true);

/**
 * Past this a string cannot be kept: it is larger than the whole budget (the engine would drop
 * it anyway), or than a JS string can be. Commands then answer as if it was stored and evicted,
 * without building it.
 */
function unstorable(ctx: CommandContext, length: number): boolean {
  return length > ctx.server.maxBytes || length > constants.MAX_STRING_LENGTH;
}

const STRING_TOO_LONG = error('ERR string exceeds maximum allowed size (proto-max-bulk-len)');

/** checkStringLength: a string built by a command may not exceed proto-max-bulk-len. */
function tooLong(length: number | bigint, extra: number): boolean {
  return BigInt(length) + BigInt(extra) > BigInt(PROTO_MAX_BULK_LEN);
}

const append: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const entry = stringAt(ctx, key, 'write');
  if (isReply(entry)) return entry;
  const tail = text(ctx.args[2]);
  if (entry === undefined) {
    ctx.db.save(key, new StringEntry(tail), 0, ctx.now);
    return integer(tail.length);
  }
  if (tooLong(entry.value.length, tail.length)) return STRING_TOO_LONG;
  const length = entry.value.length + tail.length;
  if (unstorable(ctx, length)) {
    ctx.db.delete(key, ctx.now);
  } else {
    entry.value += tail;
    ctx.db.save(key, entry, entry.expiresAt, ctx.now);
  }
  return integer(length);
};

const strlen: CommandHandler = (ctx) => {
  const entry = stringAt(ctx, text(ctx.args[1]));
  if (isReply(entry)) return entry;
  return entry === undefined ? ZERO : integer(entry.value.length);
};

const getrange: CommandHandler = (ctx) => {
  let start = parseLongLong(ctx.args[2]);
  if (start === null) return Errors.notInteger;
  let end = parseLongLong(ctx.args[3]);
  if (end === null) return Errors.notInteger;
  const entry = stringAt(ctx, text(ctx.args[1]));
  if (isReply(entry)) return entry;
  if (entry === undefined) return EMPTY_BULK;
  const value = entry.value;
  const length = BigInt(value.length);
  if (start < 0n && end < 0n && start > end) return EMPTY_BULK;
  if (start < 0n) start += length;
  if (end < 0n) end += length;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= length) end = length - 1n;
  if (start > end || length === 0n) return EMPTY_BULK;
  return bulk(value.slice(Number(start), Number(end) + 1));
};

const setrange: CommandHandler = (ctx) => {
  const offsetValue = parseLongLong(ctx.args[2]);
  if (offsetValue === null) return Errors.notInteger;
  if (offsetValue < 0n) return error('ERR offset is out of range');
  const key = text(ctx.args[1]);
  const patch = text(ctx.args[3]);
  const entry = stringAt(ctx, key, 'write');
  if (isReply(entry)) return entry;
  if (entry !== undefined && patch.length === 0) return integer(entry.value.length);
  if (entry === undefined && patch.length === 0) return ZERO;
  if (tooLong(offsetValue, patch.length)) return STRING_TOO_LONG;
  const offset = Number(offsetValue);
  const old = entry?.value ?? '';
  const length = Math.max(old.length, offset + patch.length);
  if (unstorable(ctx, length)) {
    ctx.db.delete(key, ctx.now);
    return integer(length);
  }
  // Built in a Buffer and copied out flat, so the new value holds no slices of the old one.
  const bytes = Buffer.alloc(length);
  bytes.write(old, 0, 'latin1');
  bytes.write(patch, offset, 'latin1');
  writeString(ctx, key, entry, bytes.toString('latin1'), entry?.expiresAt ?? 0);
  return integer(length);
};

/** incrDecrCommand: the stored value must be a canonical 64-bit integer, and so must the result. */
function incrDecr(ctx: CommandContext, increment: bigint): Reply {
  const key = text(ctx.args[1]);
  const entry = stringAt(ctx, key, 'write');
  if (isReply(entry)) return entry;
  const value = entry === undefined ? 0n : parseLongLong(entry.value);
  if (value === null) return Errors.notInteger;
  if ((increment < 0n && value < 0n && increment < LLONG_MIN - value) || (increment > 0n && value > 0n && increment > LLONG_MAX - value)) {
    return Errors.overflow;
  }
  const result = value + increment;
  writeString(ctx, key, entry, result.toString(), entry?.expiresAt ?? 0);
  return integer(result);
}

const incr: CommandHandler = (ctx) => incrDecr(ctx, 1n);
const decr: CommandHandler = (ctx) => incrDecr(ctx, -1n);

const incrby: CommandHandler = (ctx) => {
  const increment = parseLongLong(ctx.args[2]);
  return increment === null ? Errors.notInteger : incrDecr(ctx, increment);
};

const decrby: CommandHandler = (ctx) => {
  const decrement = parseLongLong(ctx.args[2]);
  if (decrement === null) return Errors.notInteger;
  if (decrement === LLONG_MIN) return error('ERR decrement would overflow');
  return incrDecr(ctx, -decrement);
};

const incrbyfloat: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const entry = stringAt(ctx, key, 'write');
  if (isReply(entry)) return entry;
  const value: LongDouble | null = entry === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(entry.value);
  if (value === null) return Errors.notFloat;
  const increment = parseLongDouble(text(ctx.args[2]));
  if (increment === null) return Errors.notFloat;
  const sum = addLongDouble(value, increment);
  if (sum === null || sum.infinite) return error('ERR increment would produce NaN or Infinity');
  const result = formatLongDouble(sum);
  writeString(ctx, key, entry, result, entry?.expiresAt ?? 0);
  return bulk(result);
};

export const stringCommands: Record<string, CommandHandler> = {
  get,
  set: setCommand,
  setnx,
  setex,
  psetex,
  getset,
  getdel,
  getex,
  mget,
  mset,
  msetnx,
  append,
  strlen,
  getrange,
  setrange,
  incr,
  decr,
  incrby,
  decrby,
  incrbyfloat,
};
