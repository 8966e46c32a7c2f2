/**
 * Reading command arguments the way Redis does. Arguments arrive as Buffers; keys and values are
 * kept as latin1 strings (one char per byte), which are binary-safe and compact.
 */

export const LLONG_MAX = 2n ** 63n - 1n;
export const LLONG_MIN = -(2n ** 63n);
export const INT_MAX = 2n ** 31n - 1n;
export const INT_MIN = -(2n ** 31n);

/** The bytes as a latin1 string (a copy: nothing keeps the caller's buffer alive). */
export function text(arg: Buffer): string {
  return arg.toString('latin1');
}

/** Text up to the first NUL byte (and at most `limit` bytes): what C's `%s` sees of an argument. */
export function cString(arg: Buffer, limit = Infinity): string {
  const nul = arg.indexOf(0);
  return arg.toString('latin1', 0, Math.min(nul < 0 ? arg.length : nul, limit));
}

const LOWER_A = 0x61;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

function asciiLower(byte: number): number {
  return byte >= UPPER_A && byte <= UPPER_Z ? byte + (LOWER_A - UPPER_A) : byte;
}

/**
 * Whether `arg` is the option `word` (given in lower case), as Redis's `strcasecmp` decides:
 * case-insensitive, and blind to anything after a NUL byte.
 */
export function isKeyword(arg: Buffer, word: string): boolean {
  const n = word.length;
  if (arg.length < n) return false;
  for (let i = 0; i < n; i++) {
    if (asciiLower(arg[i]) !== word.charCodeAt(i)) return false;
  }
  return arg.length === n || arg[n] === 0;
}

/** Lower-cased text for table lookups (ASCII letters only, like C's tolower in the C locale). */
export function lowerText(arg: Buffer): string {
  let out = '';
  for (let i = 0; i < arg.length; i++) out += String.fromCharCode(asciiLower(arg[i]));
  return out;
}

export function upperAscii(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/**
 * Redis's `string2ll`: an optional '-', then digits with no leading zero (or just "0"); no
 * spaces, no '+', at most 20 characters, within the signed 64-bit range. Null when invalid.
 */
export function parseLongLong(arg: Buffer | string): bigint | null {
  const s = typeof arg === 'string' ? arg : text(arg);
  const n = s.length;
  if (n === 0 || n >= 21) return null;
  if (n === 1 && s === '0') return 0n;
  let i = s.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i === n) return null;
  const first = s.charCodeAt(i);
  if (first < 0x31 || first > 0x39) return null;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
  }
  const value = BigInt(s);
  return value > LLONG_MAX || value < LLONG_MIN ? null : value;
}

const ULONG_MAX = 2n ** 64n - 1n;
const SPACE = /^[ \t\n\v\f\r]/;

/**
 * A SCAN cursor, read like Redis with `strtoul`: an optional sign, decimal digits, nothing
 * after (a NUL byte ends the text); a negative number wraps around 2^64. Null when invalid.
 */
export function parseCursor(arg: Buffer): bigint | null {
  const s = cString(arg);
  if (SPACE.test(s)) return null;
  if (s === '') return 0n;
  const match = /^([+-]?)(\d+)$/.exec(s);
  if (match === null) return null;
  const magnitude = BigInt(match[2]);
  if (magnitude > ULONG_MAX) return null;
  return match[1] === '-' && magnitude !== 0n ? ULONG_MAX + 1n - magnitude : magnitude;
}
