/**
 * INCRBYFLOAT and HINCRBYFLOAT compute in C's `long double`, which on x86-64 (where Redis runs)
 * is the x87 80-bit format: a 64-bit significand and exponents up to 2^16383. A JS double would
 * give different digits ("10.5" + "0.1" must print as 10.6) and overflow where Redis does not
 * ("1e400" is a valid increment). So this emulates the format exactly with BigInts: parsing as
 * glibc's `strtold` does (correctly rounded), adding with round-half-even, and printing as
 * Redis's `ld2string(..., LD_STR_HUMAN)` does (`%.17Lf`, trailing zeros removed, "-0" -> "0").
 */

const PRECISION = 64;
/** Exponent of the last significand bit of the smallest subnormal, 2^-16445. */
const MIN_EXPONENT = -16445;
/** Exponent of the last significand bit of the largest finite value, just below 2^16384. */
const MAX_EXPONENT = 16384 - PRECISION;
/** Redis refuses longer texts (MAX_LONG_DOUBLE_CHARS). */
const MAX_TEXT_LENGTH = 5 * 1024;

const TOP = 1n << BigInt(PRECISION);
const HIDDEN = 1n << BigInt(PRECISION - 1);

/** (-1)^negative * significand * 2^exponent, or an infinity. */
export interface LongDouble {
  readonly negative: boolean;
  readonly significand: bigint;
  readonly exponent: number;
  readonly infinite: boolean;
}

function finite(negative: boolean, significand: bigint, exponent: number): LongDouble {
  return { negative, significand, exponent, infinite: false };
}

function infinity(negative: boolean): LongDouble {
  return { negative, significand: 0n, exponent: 0, infinite: true };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** quotient of num / (den * 2^shift), shift of either sign, and its remainder over that divisor. */
function divideScaled(num: bigint, den: bigint, shift: number): [bigint, bigint, bigint] {
  const n = shift < 0 ? num << BigInt(-shift) : num;
  const d = shift > 0 ? den << BigInt(shift) : den;
  return [n / d, n % d, d];
}

/** The long double nearest to num / den (both >= 0), ties to even; infinite on overflow. */
function nearest(negative: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return finite(negative, 0n, 0);
  let exponent = bitLength(num) - bitLength(den) - PRECISION;
  let [q, r, d] = divideScaled(num, den, exponent);
  while (q >= TOP) [q, r, d] = divideScaled(num, den, ++exponent);
  while (q < HIDDEN && exponent > MIN_EXPONENT) [q, r, d] = divideScaled(num, den, --exponent);
  if (exponent < MIN_EXPONENT) {
    exponent = MIN_EXPONENT;
    [q, r, d] = divideScaled(num, den, exponent);
  }
  const twice = 2n * r;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n;
  if (q === TOP) {
    q = HIDDEN;
    exponent++;
  }
  if (exponent > MAX_EXPONENT) return infinity(negative);
  return finite(negative, q, exponent);
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEXADECIMAL = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;
/** Beyond these powers the value is certainly out of range, so no need to compute it. */
const EXPONENT_CLAMP = 100_000;

function clampedExponent(digits: string | undefined): number {
  if (digits === undefined) return 0;
  const value = BigInt(digits);
  if (value > BigInt(EXPONENT_CLAMP)) return EXPONENT_CLAMP;
  if (value < BigInt(-EXPONENT_CLAMP)) return -EXPONENT_CLAMP;
  return Number(value);
}

/**
 * Parses a whole text as Redis's `string2ld` does: strtold syntax (decimal, hexadecimal,
 * inf/infinity), nothing before or after (a NUL byte included), and neither NaN nor a finite
 * number strtold reports as out of range (overflow, or a non-zero value rounding to zero).
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_TEXT_LENGTH) return null;
  const inf = INFINITY.exec(s);
  if (inf !== null) return infinity(inf[1] === '-');
  const hex = HEXADECIMAL.exec(s);
  if (hex !== null) return parseHex(hex);
  const dec = DECIMAL.exec(s);
  if (dec === null) return null;
  const [, sign, whole, fraction = ''] = dec;
  if (whole.length + fraction.length === 0) return null;
  const negative = sign === '-';
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return finite(negative, 0n, 0);
  const exponent10 = clampedExponent(dec[4]) - fraction.length;
  // The value lies in [10^(magnitude-1), 10^magnitude): the long double range is about 10^±4932.
  const magnitude = digits.length + exponent10;
  if (magnitude > 4934) return null;
  if (magnitude < -4955) return null;
  const mantissa = BigInt(digits);
  const result =
    exponent10 >= 0 ? nearest(negative, mantissa * 10n ** BigInt(exponent10), 1n) : nearest(negative, mantissa, 10n ** BigInt(-exponent10));
  return checkRange(result);
}

function parseHex(match: RegExpExecArray): LongDouble | null {
  const [, sign, whole, fraction = ''] = match;
  if (whole.length + fraction.length === 0) return null;
  const negative = sign === '-';
  const mantissa = BigInt(`0x${whole + fraction}`);
  if (mantissa === 0n) return finite(negative, 0n, 0);
  const exponent2 = clampedExponent(match[4]) - 4 * fraction.length;
  const top = bitLength(mantissa) + exponent2;
  if (top > 16400) return null;
  if (top < MIN_EXPONENT - 2) return null;
  const result = exponent2 >= 0 ? nearest(negative, mantissa << BigInt(exponent2), 1n) : nearest(negative, mantissa, 1n << BigInt(-exponent2));
  return checkRange(result);
}

/** strtold's ERANGE cases that Redis rejects: overflow to infinity, underflow to zero. */
function checkRange(value: LongDouble): LongDouble | null {
  return value.infinite || value.significand === 0n ? null : value;
}

/** a + b rounded to the format; null when the sum is NaN (inf - inf). */
export const LONG_DOUBLE_ZERO: LongDouble = finite(false, 0n, 0);

export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.infinite || b.infinite) {
    if (a.infinite && b.infinite && a.negative !== b.negative) return null;
    return a.infinite ? a : b;
  }
  if (a.significand === 0n && b.significand === 0n) return finite(a.negative && b.negative, 0n, 0);
  if (a.significand === 0n) return b;
  if (b.significand === 0n) return a;
  const exponent = Math.min(a.exponent, b.exponent);
  const sa = a.significand << BigInt(a.exponent - exponent);
  const sb = b.significand << BigInt(b.exponent - exponent);
  const sum = (a.negative ? -sa : sa) + (b.negative ? -sb : sb);
  // An exact zero sum is +0 when rounding to nearest.
  if (sum === 0n) return finite(false, 0n, 0);
  const negative = sum < 0n;
  const magnitude = negative ? -sum : sum;
  return exponent >= 0 ? nearest(negative, magnitude << BigInt(exponent), 1n) : nearest(negative, magnitude, 1n << BigInt(-exponent));
}

const FRACTION_DIGITS = 17;
const SCALE = 10n ** BigInt(FRACTION_DIGITS);

/** Redis's human-friendly form: `%.17Lf`, trailing zeros (and the point) removed, "-0" as "0". */
export function formatLongDouble(value: LongDouble): string {
  if (value.infinite) return value.negative ? '-inf' : 'inf';
  let scaled: bigint;
  if (value.exponent >= 0) {
    scaled = (value.significand << BigInt(value.exponent)) * SCALE;
  } else {
    const num = value.significand * SCALE;
    const den = 1n << BigInt(-value.exponent);
    scaled = num / den;
    const twice = 2n * (num % den);
    if (twice > den || (twice === den && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const digits = scaled.toString().padStart(FRACTION_DIGITS + 1, '0');
  const whole = digits.slice(0, -FRACTION_DIGITS);
  const fraction = digits.slice(-FRACTION_DIGITS).replace(/0+$/, '');
  const out = `${value.negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
  return out === '-0' ? '0' : out;
}
