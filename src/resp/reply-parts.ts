/**
 * Pieces of whole replies the proxy looks into: an array of bulk strings, EXEC's results, an
 * integer, +QUEUED. Each takes the reply's raw bytes as the upstream sent them.
 */
import { ReplyScanner } from './reply-scanner.js';

/**
 * The elements of an array reply of `count` bulk strings, each as its own bulk-string reply
 * bytes; undefined for a nil element; undefined altogether for anything else (an error, say).
 * Elements are copied out, so the socket's buffer is not kept.
 */
export function splitBulkArray(reply: Buffer, count: number): (Buffer | undefined)[] | undefined {
  const header = `*${count}\r\n`;
  if (reply.toString('latin1', 0, header.length) !== header) return undefined;
  const out: (Buffer | undefined)[] = [];
  let pos = header.length;
  for (let n = 0; n < count; n++) {
    const type = reply[pos];
    if (type === 0x5f) {
      // RESP3 null: `_\r\n`
      out.push(undefined);
      pos += 3;
      continue;
    }
    if (type !== 0x24) return undefined;
    const lineEnd = reply.indexOf(0x0d, pos);
    if (lineEnd < 0) return undefined;
    const length = Number(reply.toString('latin1', pos + 1, lineEnd));
    if (length < 0) {
      out.push(undefined);
      pos = lineEnd + 2;
      continue;
    }
    const end = lineEnd + 2 + length + 2;
    if (!Number.isInteger(length) || end > reply.length) return undefined;
    out.push(Buffer.from(reply.subarray(pos, end)));
    pos = end;
  }
  return pos === reply.length ? out : undefined;
}

/** Redis's answer to a command queued in MULTI. */
export function isQueuedReply(raw: Buffer): boolean {
  return raw.length === 9 && raw.toString('latin1') === '+QUEUED\r\n';
}

/**
 * The replies in EXEC's reply to the commands it ran, each its raw bytes; undefined when it ran
 * none (a WATCHed key changed: nil; EXECABORT: an error).
 */
export function transactionResults(reply: Buffer): Buffer[] | undefined {
  if (reply[0] !== 0x2a) return undefined;
  const lineEnd = reply.indexOf(0x0d);
  const count = Number(reply.toString('latin1', 1, lineEnd));
  if (!Number.isInteger(count) || count < 0) return undefined;
  const scanner = new ReplyScanner();
  scanner.feed(reply.subarray(lineEnd + 2));
  const results: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const result = scanner.next();
    if (result === undefined) return undefined;
    results.push(result.raw);
  }
  return results;
}

/** The integer in a `:n\r\n` reply. */
export function integerReply(raw: Buffer): number | undefined {
  if (raw[0] !== 0x3a) return undefined;
  return Number(raw.toString('latin1', 1, raw.length - 2));
}
