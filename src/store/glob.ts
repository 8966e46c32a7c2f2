/**
 * Redis's glob matching (`stringmatchlen` in util.c) for KEYS, SCAN MATCH and HSCAN MATCH,
 * ported line for line so that odd patterns match exactly what they match in Redis: an
 * unterminated `[`, reversed ranges (`[z-a]`), a trailing `\`, bytes above 0x7f in ranges
 * (compared as C's signed char), and the early exit that keeps `*a*a*a*b` from going exponential.
 * Pattern and subject are latin1 strings (one char per byte).
 */

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const BACKSLASH = 0x5c;
const DASH = 0x2d;
/** Redis's protection against abusive patterns. */
const MAX_NESTING = 1000;

/** C's `char` is signed on x86: bytes above 0x7f compare as negative numbers in ranges. */
function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

class Matcher {
  /** Set once the rest of the pattern failed at every position: no longer match can succeed. */
  skipLongerMatches = false;

  constructor(
    private readonly pattern: string,
    /** Set again by a reusable predicate (globMatcher) for each subject. */
    public subject: string,
  ) {}

  /** The pattern's byte at `i`; 0 past the end, as the NUL terminator of the sds would read. */
  private p(i: number): number {
    return i < this.pattern.length ? this.pattern.charCodeAt(i) : 0;
  }

  private s(i: number): number {
    return i < this.subject.length ? this.subject.charCodeAt(i) : 0;
  }

  match(pi: number, patternLen: number, si: number, stringLen: number, nesting: number): boolean {
    if (nesting > MAX_NESTING) return false;
    while (patternLen > 0 && stringLen > 0) {
      switch (this.p(pi)) {
        case STAR:
          while (patternLen > 0 && this.p(pi + 1) === STAR) {
            pi++;
            patternLen--;
          }
          if (patternLen === 1) return true;
          while (stringLen > 0) {
            if (this.match(pi + 1, patternLen - 1, si, stringLen, nesting + 1)) return true;
            if (this.skipLongerMatches) return false;
            si++;
            stringLen--;
          }
          this.skipLongerMatches = true;
          return false;
        case QUESTION:
          si++;
          stringLen--;
          break;
        case OPEN: {
          pi++;
          patternLen--;
          const not = this.p(pi) === CARET;
          if (not) {
            pi++;
            patternLen--;
          }
          let matched = false;
          for (;;) {
            if (this.p(pi) === BACKSLASH && patternLen >= 2) {
              pi++;
              patternLen--;
              if (this.p(pi) === this.s(si)) matched = true;
            } else if (this.p(pi) === CLOSE) {
              break;
            } else if (patternLen === 0) {
              pi--;
              patternLen++;
              break;
            } else if (patternLen >= 3 && this.p(pi + 1) === DASH) {
              let start = signed(this.p(pi));
              let end = signed(this.p(pi + 2));
              const c = signed(this.s(si));
              if (start > end) [start, end] = [end, start];
              pi += 2;
              patternLen -= 2;
              if (c >= start && c <= end) matched = true;
            } else if (this.p(pi) === this.s(si)) {
              matched = true;
            }
            pi++;
            patternLen--;
          }
          if (not) matched = !matched;
          if (!matched) return false;
          si++;
          stringLen--;
          break;
        }
        case BACKSLASH:
          if (patternLen >= 2) {
            pi++;
            patternLen--;
          }
          if (this.p(pi) !== this.s(si)) return false;
          si++;
          stringLen--;
          break;
        default:
          if (this.p(pi) !== this.s(si)) return false;
          si++;
          stringLen--;
          break;
      }
      pi++;
      patternLen--;
      if (stringLen === 0) {
        while (this.p(pi) === STAR) {
          pi++;
          patternLen--;
        }
        break;
      }
    }
    return patternLen === 0 && stringLen === 0;
  }
}

/** Whether `subject` matches the Redis glob `pattern` (both latin1, case-sensitive). */
export function globMatch(pattern: string, subject: string): boolean {
  return new Matcher(pattern, subject).match(0, pattern.length, 0, subject.length, 0);
}

/**
 * A reusable predicate, for a pattern matched against many subjects (the proxy's --l1-keys, on
 * every GET): `*` alone matches everything (KEYS and SCAN special-case it so), a literal is a comparison, a literal followed only by
 * stars is a prefix test; anything else reuses one Matcher instead of making one per subject.
 */
export function globMatcher(pattern: string): (subject: string) => boolean {
  const special = pattern.search(/[*?[\\]/);
  if (special < 0) return (subject) => subject === pattern;
  if (/^\**$/.test(pattern.slice(special))) {
    const prefix = pattern.slice(0, special);
    if (pattern === '*') return () => true;
    // Stars alone do not match the empty string (the matching loop never starts), as in Redis.
    return prefix === '' ? (subject) => subject.length > 0 : (subject) => subject.startsWith(prefix);
  }
  const matcher = new Matcher(pattern, '');
  return (subject) => {
    matcher.subject = subject;
    matcher.skipLongerMatches = false;
    return matcher.match(0, pattern.length, 0, subject.length, 0);
  };
}
