/** Keys and expiry, after Redis's db.c and expire.c. */
import { cString, isKeyword, LLONG_MAX, LLONG_MIN, parseCursor, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { globMatcher } from '../glob.js';
import { array, bulk, bulkOrNull, bulks, EMPTY_ARRAY, error, Errors, integer, isReply, OK, ONE, status, ZERO, type Reply } from '../reply.js';
import { HashEntry, StringEntry, type Entry } from '../values.js';

const del: CommandHandler = (ctx) => {
  let deleted = 0;
  for (let i = 1; i < ctx.args.length; i++) if (ctx.db.delete(text(ctx.args[i]), ctx.now)) deleted++;
  return integer(deleted);
};

const exists: CommandHandler = (ctx) => {
  let count = 0;
  for (let i = 1; i < ctx.args.length; i++) if (ctx.db.getNoTouch(text(ctx.args[i]), ctx.now) !== undefined) count++;
  return integer(count);
};

const type: CommandHandler = (ctx) => status(ctx.db.getNoTouch(text(ctx.args[1]), ctx.now)?.type ?? 'none');

const EXPIRE_NX = 1 << 0;
const EXPIRE_XX = 1 << 1;
const EXPIRE_GT = 1 << 2;
const EXPIRE_LT = 1 << 3;

/** parseExtendedExpireArgumentsOrReply */
function parseExpireFlags(ctx: CommandContext): number | Reply {
  let flags = 0;
  for (let j = 3; j < ctx.args.length; j++) {
    const opt = ctx.args[j];
    if (isKeyword(opt, 'nx')) flags |= EXPIRE_NX;
    else if (isKeyword(opt, 'xx')) flags |= EXPIRE_XX;
    else if (isKeyword(opt, 'gt')) flags |= EXPIRE_GT;
    else if (isKeyword(opt, 'lt')) flags |= EXPIRE_LT;
    else return error(`ERR Unsupported option ${cString(opt)}`);
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    return error('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) return error('ERR GT and LT options at the same time are not compatible');
  return flags;
}

/** expireGenericCommand: `basetime` is now for EXPIRE/PEXPIRE, 0 for the AT forms. */
function expireGeneric(ctx: CommandContext, basetime: bigint, unitSeconds: boolean): Reply {
  const flags = parseExpireFlags(ctx);
  if (isReply(flags)) return flags;
  let when = parseLongLong(ctx.args[2]);
  if (when === null) return Errors.notInteger;
  if (unitSeconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) return Errors.invalidExpireTime(ctx.name);
    when *= 1000n;
  }
  if (when > LLONG_MAX - basetime) return Errors.invalidExpireTime(ctx.name);
  when += basetime;
  const key = text(ctx.args[1]);
  const entry = ctx.db.getForWrite(key, ctx.now);
  if (entry === undefined) return ZERO;
  if (flags !== 0) {
    const current = entry.expiresAt === 0 ? -1n : BigInt(entry.expiresAt);
    if (flags & EXPIRE_NX && current !== -1n) return ZERO;
    if (flags & EXPIRE_XX && current === -1n) return ZERO;
    if (flags & EXPIRE_GT && (when <= current || current === -1n)) return ZERO;
    if (flags & EXPIRE_LT && current !== -1n && when >= current) return ZERO;
  }
  if (when <= BigInt(ctx.now)) ctx.db.delete(key, ctx.now);
  else ctx.db.save(key, entry, Number(when), ctx.now);
  return ONE;
}

const expire: CommandHandler = (ctx) => expireGeneric(ctx, BigInt(ctx.now), true);
const pexpire: CommandHandler = (ctx) => expireGeneric(ctx, BigInt(ctx.now), false);
const expireat: CommandHandler = (ctx) => expireGeneric(ctx, 0n, true);
const pexpireat: CommandHandler = (ctx) => expireGeneric(ctx, 0n, false);

/** ttlGenericCommand: -2 for no key, -1 for no expiry; seconds are rounded, not truncated. */
function ttlGeneric(ctx: CommandContext, milliseconds: boolean, absolute: boolean): Reply {
  const entry = ctx.db.getNoTouch(text(ctx.args[1]), ctx.now);
  if (entry === undefined) return integer(-2);
  if (entry.expiresAt === 0) return integer(-1);
  const ttl = Math.max(0, absolute ? entry.expiresAt : entry.expiresAt - ctx.now);
  // Via BigInt: a deadline past 2^53 ms would otherwise print as "9223372036854776000".
  return integer(BigInt(milliseconds ? ttl : Math.floor((ttl + 500) / 1000)));
}

const ttl: CommandHandler = (ctx) => ttlGeneric(ctx, false, false);
const pttl: CommandHandler = (ctx) => ttlGeneric(ctx, true, false);
const expiretime: CommandHandler = (ctx) => ttlGeneric(ctx, false, true);
const pexpiretime: CommandHandler = (ctx) => ttlGeneric(ctx, true, true);

const persist: CommandHandler = (ctx) => {
  const key = text(ctx.args[1]);
  const entry = ctx.db.getForWrite(key, ctx.now);
  if (entry === undefined || entry.expiresAt === 0) return ZERO;
  ctx.db.save(key, entry, 0, ctx.now);
  return ONE;
};

/** A new entry with the same value, for another key (an entry belongs to one key only). */
function copyOf(entry: Entry): Entry {
  if (entry.type === 'set') return entry.moved();
  if (entry.type === 'zset') return entry.moved();
  if (entry.type === 'list') return entry.copy();
  return entry.type === 'string' ? new StringEntry(entry.value) : new HashEntry(entry.fields, entry.payloadBytes, entry.listpack);
}

function renameGeneric(ctx: CommandContext, onlyIfNew: boolean): Reply {
  const source = text(ctx.args[1]);
  const target = text(ctx.args[2]);
  const entry = ctx.db.getForWrite(source, ctx.now);
  if (entry === undefined) return Errors.noSuchKey;
  if (source === target) return onlyIfNew ? ZERO : OK;
  const replacing = ctx.db.getForWrite(target, ctx.now) !== undefined;
  if (replacing && onlyIfNew) return ZERO;
  const expiresAt = entry.expiresAt;
  const moved = copyOf(entry);
  // The source's change first, then the target's: the order of Redis's invalidations.
  ctx.db.delete(source, ctx.now);
  if (replacing) ctx.db.delete(target, ctx.now);
  ctx.db.save(target, moved, expiresAt, ctx.now);
  return onlyIfNew ? ONE : OK;
}

const rename: CommandHandler = (ctx) => renameGeneric(ctx, false);
const renamenx: CommandHandler = (ctx) => renameGeneric(ctx, true);

const keys: CommandHandler = (ctx) => {
  const matches = globMatcher(text(ctx.args[1]));
  const found: string[] = [];
  for (const key of ctx.db.keys(ctx.now)) if (matches(key)) found.push(key);
  return bulks(found);
};

export interface ScanOptions {
  count: number;
  pattern: ((subject: string) => boolean) | undefined;
  type: string | undefined;
}

/** SCAN's and HSCAN's options (scanGenericCommand); TYPE is for SCAN only. */
export function parseScanOptions(ctx: CommandContext, first: number, allowType: boolean): ScanOptions | Reply {
  const args = ctx.args;
  const options: ScanOptions = { count: 10, pattern: undefined, type: undefined };
  for (let i = first; i < args.length; ) {
    const remaining = args.length - i;
    if (isKeyword(args[i], 'count') && remaining >= 2) {
      const count = parseLongLong(args[i + 1]);
      if (count === null) return Errors.notInteger;
      if (count < 1n) return Errors.syntax;
      options.count = Number(count);
      i += 2;
    } else if (isKeyword(args[i], 'match') && remaining >= 2) {
      const pattern = text(args[i + 1]);
      options.pattern = pattern === '*' ? undefined : globMatcher(pattern);
      i += 2;
    } else if (isKeyword(args[i], 'type') && allowType && remaining >= 2) {
      options.type = cString(args[i + 1]).toLowerCase();
      i += 2;
    } else {
      return Errors.syntax;
    }
  }
  return options;
}

export const INVALID_CURSOR = error('ERR invalid cursor');

/** Redis's reply to HSCAN or SSCAN of a missing key. */
const EMPTY_SCAN = array([bulk('0'), EMPTY_ARRAY]);

/**
 * HSCAN, SSCAN: the whole collection in one reply, cursor 0, as Redis does for its small
 * encodings (listpack, intset): COUNT is only a hint, and a single pass trivially returns every
 * element present throughout. `collection` looks the key up (WRONGTYPE as a reply); `items` lists
 * what the reply holds of the elements `matches` accepts.
 */
export function scanWhole<T extends object>(
  ctx: CommandContext,
  collection: (ctx: CommandContext) => T | undefined | Reply,
  items: (value: T, matches: (element: string) => boolean) => Reply[],
): Reply {
  if (parseCursor(ctx.args[2]) === null) return INVALID_CURSOR;
  const value = collection(ctx);
  if (value === undefined) return EMPTY_SCAN;
  if (isReply(value)) return value;
  const options = parseScanOptions(ctx, 3, false);
  if (isReply(options)) return options;
  return array([bulk('0'), array(items(value, options.pattern ?? (() => true)))]);
}

const scan: CommandHandler = (ctx) => {
  const cursor = parseCursor(ctx.args[1]);
  if (cursor === null) return INVALID_CURSOR;
  const options = parseScanOptions(ctx, 2, true);
  if (isReply(options)) return options;
  const found: string[] = [];
  const start = cursor > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cursor);
  const next = ctx.db.scan(start, options.count, ctx.now, (key, entry) => {
    if (options.pattern !== undefined && !options.pattern(key)) return;
    // Redis looks the key up for its type, a read that counts as a keyspace hit (the scan's
    // entry is that lookup: it is live at the same `now`).
    if (options.type !== undefined && ctx.db.countRead(entry)!.type !== options.type) return;
    found.push(key);
  });
  return array([bulk(String(next)), bulks(found)]);
};

const randomkey: CommandHandler = (ctx) => bulkOrNull(ctx.db.randomKey(ctx.now));

export const keyCommands: Record<string, CommandHandler> = {
  del,
  unlink: del,
  exists,
  type,
  expire,
  pexpire,
  expireat,
  pexpireat,
  ttl,
  pttl,
  expiretime,
  pexpiretime,
  persist,
  rename,
  renamenx,
  keys,
  scan,
  randomkey,
};
