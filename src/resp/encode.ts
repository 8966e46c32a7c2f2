/*
 * Hand-written and on the proxy's hot path (commands sent upstream, replies served from cache):
 * a library would cost us speed and allocations. Each encoder sizes its output exactly and
 * writes it once.
 */
import { CR, DOLLAR, LF, STAR } from './bytes.js';
import { RespType } from './reply-types.js';

/** The protocol a client speaks: RESP2 (the default) or RESP3 (after HELLO 3). */
export type RespVersion = 2 | 3;

export type CommandArg = string | Buffer | number;

const fromAscii = (text: string): Buffer => Buffer.from(text, 'latin1');

/**
 * Shared constant replies. Never write into them: they are the same Buffers for every caller.
 */
export const Replies = Object.freeze({
  OK: fromAscii('+OK\r\n'),
  PONG: fromAscii('+PONG\r\n'),
  QUEUED: fromAscii('+QUEUED\r\n'),
  ZERO: fromAscii(':0\r\n'),
  ONE: fromAscii(':1\r\n'),
  MINUS_ONE: fromAscii(':-1\r\n'),
  MINUS_TWO: fromAscii(':-2\r\n'),
  /** RESP2 null bulk string. */
  NULL_BULK: fromAscii('$-1\r\n'),
  /** RESP2 null array. */
  NULL_ARRAY: fromAscii('*-1\r\n'),
  /** RESP3 null. */
  NULL: fromAscii('_\r\n'),
  EMPTY_BULK: fromAscii('$0\r\n\r\n'),
  EMPTY_ARRAY: fromAscii('*0\r\n'),
  EMPTY_MAP: fromAscii('%0\r\n'),
  EMPTY_SET: fromAscii('~0\r\n'),
  TRUE: fromAscii('#t\r\n'),
  FALSE: fromAscii('#f\r\n'),
});

/** Digits of a non-negative integer written in decimal. */
function decimalLength(value: number): number {
  let digits = 1;
  while (value >= 10) {
    value = Math.floor(value / 10);
    digits++;
  }
  return digits;
}

/** Writes a non-negative integer in decimal at `pos`; returns the position after it. */
function writeDecimal(target: Buffer, pos: number, value: number): number {
  const end = pos + decimalLength(value);
  for (let i = end - 1; i >= pos; i--) {
    target[i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return end;
}

/** Writes `<type><count>\r\n`; returns the position after it. */
function writeHeader(target: Buffer, pos: number, type: number, count: number): number {
  target[pos] = type;
  pos = writeDecimal(target, pos + 1, count);
  target[pos] = CR;
  target[pos + 1] = LF;
  return pos + 2;
}

function headerLength(count: number): number {
  return decimalLength(count) + 3;
}

function argText(arg: number): string {
  return String(arg);
}

function argLength(arg: CommandArg): number {
  if (typeof arg === 'string') return Buffer.byteLength(arg);
  if (typeof arg === 'number') return argText(arg).length;
  return arg.length;
}

/** Bytes `encodeCommand(args)` produces. */
export function encodedCommandLength(args: readonly CommandArg[]): number {
  let total = headerLength(args.length);
  for (const arg of args) {
    const length = argLength(arg);
    total += headerLength(length) + length + 2;
  }
  return total;
}

/**
 * Writes `args` as a multibulk command (`*N\r\n$len\r\narg\r\n...`) into `target` at `offset`,
 * strings as UTF-8 and numbers in JavaScript's decimal form; returns the offset after it.
 * Throws a RangeError when `target` is too small.
 */
export function writeCommand(target: Buffer, offset: number, args: readonly CommandArg[]): number {
  if (offset + encodedCommandLength(args) > target.length) throw new RangeError('writeCommand: target buffer too small');
  let pos = writeHeader(target, offset, STAR, args.length);
  for (const arg of args) {
    if (typeof arg === 'string') {
      pos = writeHeader(target, pos, DOLLAR, Buffer.byteLength(arg));
      pos += target.write(arg, pos);
    } else if (typeof arg === 'number') {
      const text = argText(arg);
      pos = writeHeader(target, pos, DOLLAR, text.length);
      pos += target.write(text, pos, 'latin1');
    } else {
      pos = writeHeader(target, pos, DOLLAR, arg.length);
      pos += arg.copy(target, pos);
    }
    target[pos] = CR;
    target[pos + 1] = LF;
    pos += 2;
  }
  return pos;
}

/** `args` as a multibulk command, ready to send to Redis. */
export function encodeCommand(args: readonly CommandArg[]): Buffer {
  const target = Buffer.allocUnsafe(encodedCommandLength(args));
  writeCommand(target, 0, args);
  return target;
}

/** `+text\r\n`. Throws a RangeError if `text` holds CR or LF, which would break the framing. */
export function encodeSimpleString(text: string): Buffer {
  if (/[\r\n]/.test(text)) throw new RangeError('encodeSimpleString: a simple string cannot hold CR or LF');
  return Buffer.from(`+${text}\r\n`);
}

/**
 * `-message\r\n`; `message` carries its own code ("ERR unknown command", "WRONGTYPE ...").
 * CR and LF become spaces, as Redis makes them, so the reply stays one line.
 */
export function encodeError(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]/g, ' ')}\r\n`);
}

/** `:n\r\n`. Throws a RangeError for a number that is not an integer. */
export function encodeInteger(value: number | bigint): Buffer {
  if (value === 0) return Replies.ZERO;
  if (value === 1) return Replies.ONE;
  if (typeof value === 'number' && !Number.isInteger(value)) throw new RangeError(`encodeInteger: ${value} is not an integer`);
  return fromAscii(`:${value}\r\n`);
}

/** `$len\r\nbytes\r\n` (strings as UTF-8); null is `$-1` in RESP2, `_` in RESP3. */
export function encodeBulkString(value: Buffer | string | null, version: RespVersion = 2): Buffer {
  if (value === null) return encodeNull(version);
  const length = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  const target = Buffer.allocUnsafe(headerLength(length) + length + 2);
  let pos = writeHeader(target, 0, DOLLAR, length);
  pos += typeof value === 'string' ? target.write(value, pos) : value.copy(target, pos);
  target[pos] = CR;
  target[pos + 1] = LF;
  return target;
}

/**
 * An array of bulk strings given as latin1 text (one byte per char), in one buffer: the same
 * bytes as encodeArray of encodeBulkString's, without a buffer per element (LRANGE, HGETALL...).
 */
export function encodeLatin1BulkArray(values: readonly string[]): Buffer {
  let size = headerLength(values.length);
  for (const value of values) size += headerLength(value.length) + value.length + 2;
  const target = Buffer.allocUnsafe(size);
  let pos = writeHeader(target, 0, RespType.Array, values.length);
  for (const value of values) {
    pos = writeHeader(target, pos, DOLLAR, value.length);
    pos += target.write(value, pos, 'latin1');
    target[pos] = CR;
    target[pos + 1] = LF;
    pos += 2;
  }
  return target;
}

/** The null reply for a missing string: `$-1` in RESP2, `_` in RESP3. */
export function encodeNull(version: RespVersion = 2): Buffer {
  return version === 3 ? Replies.NULL : Replies.NULL_BULK;
}

/** The null reply for a missing array: `*-1` in RESP2, `_` in RESP3. */
export function encodeNullArray(version: RespVersion = 2): Buffer {
  return version === 3 ? Replies.NULL : Replies.NULL_ARRAY;
}

/** `<type><count>\r\n`, to stream an aggregate's elements without concatenating them. */
export function encodeAggregateHeader(type: number, count: number): Buffer {
  const target = Buffer.allocUnsafe(headerLength(count));
  writeHeader(target, 0, type, count);
  return target;
}

function aggregate(type: number, count: number, elements: readonly Buffer[]): Buffer {
  let length = headerLength(count);
  for (const element of elements) length += element.length;
  const target = Buffer.allocUnsafe(length);
  let pos = writeHeader(target, 0, type, count);
  for (const element of elements) pos += element.copy(target, pos);
  return target;
}

/** An array of already encoded elements; null is `*-1` in RESP2, `_` in RESP3. */
export function encodeArray(elements: readonly Buffer[] | null, version: RespVersion = 2): Buffer {
  if (elements === null) return encodeNullArray(version);
  return aggregate(RespType.Array, elements.length, elements);
}

/** A map of already encoded keys and values: `%N` in RESP3, a flat array of 2N in RESP2. */
export function encodeMap(entries: readonly (readonly [Buffer, Buffer])[], version: RespVersion = 2): Buffer {
  const flat = entries.flat();
  return version === 3 ? aggregate(RespType.Map, entries.length, flat) : aggregate(RespType.Array, flat.length, flat);
}

/** A set of already encoded elements: `~N` in RESP3, an array in RESP2. */
export function encodeSet(elements: readonly Buffer[], version: RespVersion = 2): Buffer {
  return aggregate(version === 3 ? RespType.Set : RespType.Array, elements.length, elements);
}

/** A push of already encoded elements: `>N` in RESP3, an array in RESP2 (as pub/sub messages are). */
export function encodePush(elements: readonly Buffer[], version: RespVersion = 2): Buffer {
  return aggregate(version === 3 ? RespType.Push : RespType.Array, elements.length, elements);
}

/**
 * The shortest text that reads back as `value` (as Redis 7.2 writes doubles), with inf, -inf
 * and nan spelled the RESP3 way.
 */
function doubleText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return Object.is(value, -0) ? '-0' : String(value);
}

/** `,value\r\n` in RESP3; a bulk string of the same text in RESP2. */
export function encodeDouble(value: number, version: RespVersion = 2): Buffer {
  const text = doubleText(value);
  return version === 3 ? fromAscii(`,${text}\r\n`) : encodeBulkString(text);
}

/** `#t` / `#f` in RESP3; the integers 1 / 0 in RESP2. */
export function encodeBoolean(value: boolean, version: RespVersion = 2): Buffer {
  if (version === 3) return value ? Replies.TRUE : Replies.FALSE;
  return value ? Replies.ONE : Replies.ZERO;
}

/** `=len\r\nfmt:text\r\n` in RESP3 (`format` is three ASCII letters); a bulk string of the text in RESP2. */
export function encodeVerbatimString(text: Buffer | string, format = 'txt', version: RespVersion = 2): Buffer {
  if (version === 2) return encodeBulkString(text);
  if (!/^[\x21-\x7e]{3}$/.test(format)) throw new RangeError(`encodeVerbatimString: format must be 3 characters, got '${format}'`);
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  const target = Buffer.allocUnsafe(headerLength(body.length + 4) + body.length + 6);
  let pos = writeHeader(target, 0, RespType.VerbatimString, body.length + 4);
  pos += target.write(`${format}:`, pos, 'latin1');
  pos += body.copy(target, pos);
  target[pos] = CR;
  target[pos + 1] = LF;
  return target;
}

/** `(digits\r\n` in RESP3; a bulk string of the digits in RESP2. */
export function encodeBigNumber(value: bigint | string, version: RespVersion = 2): Buffer {
  const text = String(value);
  if (!/^-?\d+$/.test(text)) throw new RangeError(`encodeBigNumber: '${text}' is not an integer`);
  return version === 3 ? fromAscii(`(${text}\r\n`) : encodeBulkString(text);
}
