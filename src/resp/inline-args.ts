import { BACKSLASH, DOUBLE_QUOTE, SINGLE_QUOTE } from './bytes.js';

/** C's isspace: what Redis skips between arguments. */
function isBlank(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

/** What ends an unquoted argument in sdssplitargs (narrower than isspace: \v and \f do not). */
function endsWord(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

const ESCAPES: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07 };

/**
 * Splits an inline command line (without its line ending) into arguments the way Redis's
 * sdssplitargs does, or returns null for unbalanced quotes:
 * - arguments are separated by blanks; an argument may continue into one quoted part
 *   (`a"b c"` is `ab c`), and a closing quote must be followed by a blank or the end of the line;
 * - in "double quotes": \n \r \t \b \a, \xHH (two hex digits), and \ before any other byte
 *   stands for that byte;
 * - in 'single quotes': only \' is an escape;
 * - quotes may hold an empty argument ("" is one empty argument);
 * - the line ends at its first NUL byte, as sdssplitargs reads a C string.
 * Unquoted arguments are views of `line`; quoted ones are copies.
 */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const nul = line.indexOf(0);
  const end = nul < 0 ? line.length : nul;
  const args: Buffer[] = [];
  let scratch: Buffer | undefined;
  let i = 0;
  for (;;) {
    while (i < end && isBlank(line[i])) i++;
    if (i === end) return args;
    const start = i;
    while (i < end && !endsWord(line[i]) && line[i] !== DOUBLE_QUOTE && line[i] !== SINGLE_QUOTE) i++;
    if (i === end || endsWord(line[i])) {
      args.push(line.subarray(start, i));
      continue;
    }
    scratch ??= Buffer.allocUnsafe(end);
    let length = line.copy(scratch, 0, start, i);
    const quote = line[i++];
    for (;;) {
      if (i === end) return null;
      const byte = line[i];
      if (byte === quote) {
        if (i + 1 < end && !isBlank(line[i + 1])) return null;
        i++;
        break;
      }
      if (byte === BACKSLASH && i + 1 < end) {
        const next = line[i + 1];
        if (quote === DOUBLE_QUOTE) {
          const high = next === 0x78 && i + 3 < end ? hexValue(line[i + 2]) : -1;
          const low = high < 0 ? -1 : hexValue(line[i + 3]);
          if (low >= 0) {
            scratch[length++] = high * 16 + low;
            i += 4;
          } else {
            scratch[length++] = ESCAPES[next] ?? next;
            i += 2;
          }
          continue;
        }
        if (next === SINGLE_QUOTE) {
          scratch[length++] = SINGLE_QUOTE;
          i += 2;
          continue;
        }
      }
      scratch[length++] = byte;
      i++;
    }
    args.push(Buffer.from(scratch.subarray(0, length)));
  }
}
