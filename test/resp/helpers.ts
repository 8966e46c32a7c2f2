import { RequestParser, type RequestParserOptions, type RespProtocolError } from '../../src/resp/index.js';
import { ReplyScanner, type ScannedReply } from '../../src/resp/index.js';

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

export interface ParsedCommand {
  args: string[];
  raw: string;
}

/** Feeds `chunks` one at a time, draining after each, and returns the commands (as latin1 text). */
export function parseChunks(chunks: Buffer[], options?: RequestParserOptions): ParsedCommand[] {
  const parser = new RequestParser(options);
  const commands: ParsedCommand[] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (let command = parser.next(); command !== undefined; command = parser.next()) {
      commands.push({ args: command.args.map((arg) => arg.toString('latin1')), raw: command.raw.toString('latin1') });
    }
  }
  return commands;
}

/** The error a stream ends in, or undefined when it parses without one. */
export function parseError(chunks: Buffer[], options?: RequestParserOptions): RespProtocolError | undefined {
  const parser = new RequestParser(options);
  try {
    for (const chunk of chunks) {
      parser.feed(chunk);
      while (parser.next() !== undefined);
    }
  } catch (error) {
    return error as RespProtocolError;
  }
  return undefined;
}

export function scanChunks(chunks: Buffer[]): ScannedReply[] {
  const scanner = new ReplyScanner();
  const replies: ScannedReply[] = [];
  for (const chunk of chunks) {
    scanner.feed(chunk);
    for (let reply = scanner.next(); reply !== undefined; reply = scanner.next()) replies.push(reply);
  }
  return replies;
}

export function byteByByte(buffer: Buffer): Buffer[] {
  return Array.from({ length: buffer.length }, (_, i) => buffer.subarray(i, i + 1));
}

/** `buffer` cut at each of `cuts` (sorted offsets). */
export function splitAt(buffer: Buffer, cuts: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, buffer.length]) {
    chunks.push(buffer.subarray(start, cut));
    start = cut;
  }
  return chunks;
}

/** True when `view` is a view into `of`'s memory (no copy was made). */
export function sharesMemory(view: Buffer, of: Buffer): boolean {
  return view.buffer === of.buffer && view.byteOffset >= of.byteOffset && view.byteOffset + view.length <= of.byteOffset + of.length;
}
