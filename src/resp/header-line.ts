/*
 * Hand-written and on the proxy's hot path (it reads every `*N` and `$N` line): a library would
 * cost us speed.
 */
import { CR, DIGIT_0, DIGIT_1, DIGIT_9, MINUS } from './bytes.js';

const EXPECT_SIGN_OR_DIGIT = 0;
const EXPECT_NONZERO_DIGIT = 1;
const ZERO = 2;
const DIGITS = 3;
const INVALID = 4;

/** The digits of 2^63 - 1 and of -2^63, the bounds of a C long long. */
const MAX_MAGNITUDE = [9, 2, 2, 3, 3, 7, 2, 0, 3, 6, 8, 5, 4, 7, 7, 5, 8, 0, 7];
const MIN_MAGNITUDE = [9, 2, 2, 3, 3, 7, 2, 0, 3, 6, 8, 5, 4, 7, 7, 5, 8, 0, 8];
const LONG_LONG_DIGITS = 19;

/**
 * A header line (`*3`, `$5`, `%2`...) fed one byte at a time, so a line split across chunks is
 * never re-read: its type byte, its length, and its integer, judged exactly as Redis's string2ll
 * judges it: an optional '-', then "0" alone or digits without a leading zero, within a long long.
 * No '+', no spaces, no "-0", no empty number.
 */
export class HeaderLine {
  /** Bytes before the CR, the type byte included. */
  length = 0;
  /** The type byte; CR when the line is empty. */
  first = CR;
  /** The CR has been read (the line is complete once the byte after it is). */
  sawCR = false;
  private state = EXPECT_SIGN_OR_DIGIT;
  private negative = false;
  private magnitude = 0;
  private digits = 0;
  /** Sign of the digits so far compared with the long long bound's first digits. */
  private versusBound = 0;

  reset(): void {
    this.length = 0;
    this.first = CR;
    this.sawCR = false;
    this.state = EXPECT_SIGN_OR_DIGIT;
    this.negative = false;
    this.magnitude = 0;
    this.digits = 0;
    this.versusBound = 0;
  }

  /** Takes the next byte before the CR. */
  push(byte: number): void {
    if (this.length++ === 0) {
      this.first = byte;
      return;
    }
    switch (this.state) {
      case EXPECT_SIGN_OR_DIGIT:
        if (byte === MINUS) {
          this.negative = true;
          this.state = EXPECT_NONZERO_DIGIT;
        } else if (byte === DIGIT_0) {
          this.state = ZERO;
        } else {
          this.firstDigit(byte);
        }
        return;
      case EXPECT_NONZERO_DIGIT:
        this.firstDigit(byte);
        return;
      case DIGITS:
        if (byte >= DIGIT_0 && byte <= DIGIT_9) this.addDigit(byte - DIGIT_0);
        else this.state = INVALID;
        return;
      default:
        this.state = INVALID;
    }
  }

  /** The line holds a valid long long after its type byte. */
  get valid(): boolean {
    if (this.state === ZERO) return true;
    if (this.state !== DIGITS) return false;
    return this.digits < LONG_LONG_DIGITS || (this.digits === LONG_LONG_DIGITS && this.versusBound <= 0);
  }

  /** The integer, exact up to 2^53 (which is beyond every limit it is compared with). */
  get value(): number {
    return this.negative ? -this.magnitude : this.magnitude;
  }

  private firstDigit(byte: number): void {
    if (byte >= DIGIT_1 && byte <= DIGIT_9) {
      this.state = DIGITS;
      this.addDigit(byte - DIGIT_0);
    } else {
      this.state = INVALID;
    }
  }

  private addDigit(digit: number): void {
    if (this.versusBound === 0 && this.digits < LONG_LONG_DIGITS) {
      this.versusBound = digit - (this.negative ? MIN_MAGNITUDE : MAX_MAGNITUDE)[this.digits];
    }
    this.digits++;
    this.magnitude = this.magnitude * 10 + digit;
  }
}
