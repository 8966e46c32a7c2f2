/**
 * Sorted-set scores are C doubles, read with glibc's `strtod` and written with `%.17g`, as Redis
 * 7.0 does (its `addReplyDouble` and `d2string`). JS's own Number() and toPrecision() differ:
 * Number() takes "Infinity" but not "inf", hex integers but not hex floats, spaces on both
 * sides, and "" as 0; toPrecision() breaks exact ties upwards where glibc rounds half to even.
 */

/** What `strtod` read: the value and how many characters it consumed (0: nothing valid). */
interface Strtod {
  value: number;
  end: number;
  /** ERANGE: the text overflowed to ±inf or underflowed to zero. */
  outOfRange: boolean;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;
const INFINITY = /^([+-]?)inf(?:inity)?/i;
const NAN = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?/i;
const LEADING_SPACE = /^[ \t\n\v\f\r]*/;

/** glibc's strtod on `s` (latin1 text): leading white space, then the longest number it can read. */
function strtod(s: string): Strtod {
  const skipped = LEADING_SPACE.exec(s)![0].length;
  const rest = skipped === 0 ? s : s.slice(skipped);
  let match = HEX.exec(rest);
  if (match !== null) {
    const value = hexValue(match[1] === '-', match[2], match[3]);
    return { value, end: skipped + match[0].length, outOfRange: !Number.isFinite(value) || (value === 0 && /[1-9a-f]/i.test(match[2])) };
  }
  match = DECIMAL.exec(rest);
  if (match !== null) {
    const value = Number(match[0]);
    const mantissa = match[0].replace(/[eE].*/, '');
    const outOfRange = !Number.isFinite(value) || (value === 0 && /[1-9]/.test(mantissa));
    return { value, end: skipped + match[0].length, outOfRange };
  }
  match = INFINITY.exec(rest);
  if (match !== null) return { value: match[1] === '-' ? -Infinity : Infinity, end: skipped + match[0].length, outOfRange: false };
  match = NAN.exec(rest);
  if (match !== null) return { value: NaN, end: skipped + match[0].length, outOfRange: false };
  return { value: 0, end: 0, outOfRange: false };
}

/** A hex float's value, correctly rounded to a double (round half to even). */
function hexValue(negative: boolean, digits: string, exponentText: string | undefined): number {
  const point = digits.indexOf('.');
  const fractionDigits = point < 0 ? 0 : digits.length - point - 1;
  let mantissa = BigInt('0x' + (digits.replace('.', '') || '0'));
  let exponent = Number(exponentText ?? 0) - 4 * fractionDigits;
  if (mantissa === 0n) return negative ? -0 : 0;
  // Keep 54 bits and a sticky bit, then let the exact power-of-two scaling round once.
  const bits = mantissa.toString(2).length;
  if (bits > 55) {
    const drop = BigInt(bits - 55);
    const sticky = mantissa & ((1n << drop) - 1n) ? 1n : 0n;
    mantissa = (mantissa >> drop) | sticky;
    exponent += Number(drop);
  }
  const value = scaleByPowerOfTwo(Number(mantissa), exponent);
  return negative ? -value : value;
}

/** x * 2^exponent, in steps of at most 2^±1000 so that no power of two overflows to inf or 0 on its own. */
function scaleByPowerOfTwo(x: number, exponent: number): number {
  let value = x;
  let e = exponent;
  for (; e > 1000 && Number.isFinite(value); e -= 1000) value *= 2 ** 1000;
  for (; e < -1000 && value !== 0; e += 1000) value *= 2 ** -1000;
  return value * 2 ** e;
}

/** Redis's `string2d` (getDoubleFromObject): the whole text, no leading space, no overflow, not NaN. */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || LEADING_SPACE.exec(s)![0].length > 0) return null;
  const { value, end, outOfRange } = strtod(s);
  if (end !== s.length || outOfRange || Number.isNaN(value)) return null;
  return value;
}

/**
 * A score range bound as `zslParseRange` reads it: `strtod` on what follows an optional "(",
 * which must reach the end of the text or a NUL byte; overflow is ±inf, and even "" reads as 0.
 */
export function parseScoreBound(s: string): { value: number; exclusive: boolean } | null {
  const exclusive = s.charCodeAt(0) === 0x28; // '('
  const body = exclusive ? s.slice(1) : s;
  const { value, end } = strtod(body);
  if ((end !== body.length && body.charCodeAt(end) !== 0) || Number.isNaN(value)) return null;
  return { value, exclusive };
}

/** `%.17g` of a double, as Redis prints scores; "inf", "-inf", "-0" as Redis writes them. */
export function formatDouble(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // Integers that fit print as integers (also what %.17g gives them).
  if (Number.isSafeInteger(value)) return String(value);
  let [digits, exponent] = significantDigits(value);
  // %g: exponent notation below 1e-4 or from 1e17, else fixed; trailing zeros removed.
  digits = digits.replace(/0+$/, '');
  const sign = value < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 17) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude < 10 ? '0' : ''}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return sign + digits + '0'.repeat(exponent + 1 - digits.length);
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** The 17 significant digits of |value| rounded half to even, and the decimal exponent of the first. */
function significantDigits(value: number): [string, number] {
  const [mantissa, exponentText] = Math.abs(value).toExponential(16).split('e');
  let digits = mantissa.replace('.', '');
  let exponent = Number(exponentText);
  // toExponential breaks a tie upwards; a tie shows as "...50" at 19 digits, which is then checked exactly.
  const wider = Math.abs(value).toExponential(18).split('e');
  const tail = wider[0].replace('.', '').slice(17);
  if (tail === '50' && Number(wider[1]) === exponent) {
    const exact = exactDigits(Math.abs(value));
    if (exact.replace(/0+$/, '').length === 18) {
      // An exact tie: round half to even from the truncated digits.
      const truncated = exact.slice(0, 17);
      const last = truncated.charCodeAt(16) - 0x30;
      if (last % 2 === 0) {
        digits = truncated;
      } else {
        const rounded = (BigInt(truncated) + 1n).toString();
        if (rounded.length > 17) exponent++;
        digits = rounded.slice(0, 17);
      }
    }
  }
  return [digits, exponent];
}

/** Every significant digit of a finite positive double (its exact decimal value), without the point. */
function exactDigits(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const significand = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  const digits = exponent >= 0 ? (significand << BigInt(exponent)).toString() : (significand * 5n ** BigInt(-exponent)).toString();
  return digits.replace(/^0+/, '');
}
