/*
 * Hand-written and on the proxy's hot path (every byte clients send): a library would cost us
 * speed and allocations. One command in one chunk costs its argument array, one view per argument,
 * one view for the raw frame, and the two-field result; no strings, no copies.
 */
import { CR, DOLLAR, LF, NUL, STAR } from './bytes.js';
import { ChunkQueue } from './chunk-queue.js';
import { protocolErrors, RespProtocolError } from './errors.js';
export { RespProtocolError } from './errors.js';
import { HeaderLine } from './header-line.js';
import { splitInlineArgs } from './inline-args.js';

export interface RequestParserOptions {
  /** Largest bulk argument, in bytes (Redis's proto-max-bulk-len). Default 512 MiB. */
  maxBulkLength?: number;
  /**
   * Most arguments in one multibulk command. Default 2^31 - 1, Redis 7's limit (INT_MAX; it was
   * 1024 * 1024 up to 6.2). The argument list grows as the arguments arrive, not from the count.
   */
  maxMultibulkLength?: number;
  /**
   * Longest inline command line, and longest `*N` / `$N` header line, in bytes (Redis's
   * PROTO_INLINE_MAX_SIZE). Default 64 KiB.
   */
  maxInlineLength?: number;
  /** Most bytes buffered for one incomplete command (client-query-buffer-limit). Default 1 GiB. */
  maxQueryBuffer?: number;
}

export const REQUEST_PARSER_DEFAULTS: Readonly<Required<RequestParserOptions>> = Object.freeze({
  maxBulkLength: 512 * 1024 * 1024,
  maxMultibulkLength: 2 ** 31 - 1,
  maxInlineLength: 64 * 1024,
  maxQueryBuffer: 1024 * 1024 * 1024,
});

/** One client command. */
export interface RespCommand {
  /**
   * The arguments, command name first. Views of the received chunk when the command arrived in
   * one chunk (so they share its memory: copy one to keep it long-term); views of a single copy
   * of the command's bytes when it spanned chunks; copies for quoted inline arguments.
   */
  readonly args: Buffer[];
  /** The command's exact bytes as received (multibulk or inline), to forward upstream as is. */
  readonly raw: Buffer;
}

const FRAME_START = 0;
const COUNT_LINE = 1;
const BULK_LINE = 2;
const BULK_BODY = 3;
const INLINE_LINE = 4;

/**
 * Incremental parser of what clients send, following Redis 7's processMultibulkBuffer and
 * processInlineBuffer: `feed()` chunks as they arrive, then call `next()` until it returns
 * undefined (more bytes needed).
 *
 * A frame starting with `*` is a multibulk command; anything else is an inline command, ended by
 * LF (an optional CR before it is dropped) and split as redis-cli's quoting does (see
 * splitInlineArgs). Empty inline lines and `*0` / `*-N` frames are skipped, as Redis skips them.
 * As in Redis, the two bytes after a CR or after a bulk argument are skipped without checking
 * that they are CR LF, so this parser frames a byte stream exactly where Redis would.
 *
 * Errors: `next()` throws a RespProtocolError whose message is the text Redis sends after
 * `-ERR ` (then Redis closes the connection); the parser is then dead: `next()` rethrows the same
 * error and `feed()` discards what it is given.
 *
 * A NUL byte in a header or inline line hides the line's end, as Redis's strchr stops at it: the
 * line then never ends, and is refused as too long once `maxInlineLength` bytes have come (Redis
 * waits the same way, then refuses with the same error).
 *
 * Where this differs from Redis, on purpose: a line longer than `maxInlineLength` (its CR LF not
 * counted) is an error whether or not its line end has arrived (Redis only checks while the end
 * is missing, so its verdict depends on how its reads happened to cut the stream).
 */
export class RequestParser {
  private readonly input = new ChunkQueue();
  private readonly line = new HeaderLine();
  private readonly maxBulkLength: number;
  private readonly maxMultibulkLength: number;
  private readonly maxInlineLength: number;
  private readonly maxQueryBuffer: number;
  private state = FRAME_START;
  private argsLeft = 0;
  /** Bytes of the current bulk argument, its CR LF included, not read yet. */
  private bulkLeft = 0;
  private inlineLength = 0;
  /** A NUL byte came in the line being read: its end is hidden from Redis, so from us too. */
  private lineHidden = false;
  /** Frame offsets of each argument's start and end, reused from command to command. */
  private readonly bounds: number[] = [];
  private boundsLength = 0;
  private failure: RespProtocolError | undefined;

  constructor(options: RequestParserOptions = {}) {
    this.maxBulkLength = limit(options, 'maxBulkLength');
    this.maxMultibulkLength = limit(options, 'maxMultibulkLength');
    this.maxInlineLength = limit(options, 'maxInlineLength');
    this.maxQueryBuffer = limit(options, 'maxQueryBuffer');
  }

  feed(chunk: Buffer): void {
    if (this.failure === undefined) this.input.push(chunk);
  }

  /** Bytes fed and not yet returned in a command. */
  get bufferedBytes(): number {
    return this.input.bufferedBytes;
  }

  /**
   * Hands over every byte fed and not yet returned in a command (an incomplete command's bytes
   * first), as they were received, and starts afresh at a command boundary. For a connection that
   * stops being parsed (subscribe or monitor mode) and forwards bytes as they come.
   */
  takeBuffered(): Buffer {
    this.state = FRAME_START;
    return this.input.takeBuffered();
  }

  /** The error that killed this parser, if one did. */
  get error(): RespProtocolError | undefined {
    return this.failure;
  }

  /** The next complete command, or undefined until more bytes are fed. */
  next(): RespCommand | undefined {
    if (this.failure !== undefined) throw this.failure;
    const input = this.input;
    for (;;) {
      if (input.pos === input.chunk.length && !input.advance()) {
        if (input.frameBytes > this.maxQueryBuffer) this.fail(protocolErrors.queryBufferLimit(this.maxQueryBuffer));
        return undefined;
      }
      switch (this.state) {
        case FRAME_START:
          input.beginFrame();
          this.boundsLength = 0;
          this.inlineLength = 0;
          this.lineHidden = false;
          this.line.reset();
          this.state = input.chunk[input.pos] === STAR ? COUNT_LINE : INLINE_LINE;
          break;
        case COUNT_LINE:
          if (this.readHeaderLine()) this.startArguments();
          break;
        case BULK_LINE:
          if (this.readHeaderLine()) this.startBulk();
          break;
        case BULK_BODY: {
          const available = input.chunk.length - input.pos;
          if (available < this.bulkLeft) {
            input.pos += available;
            this.bulkLeft -= available;
            break;
          }
          input.pos += this.bulkLeft;
          if (--this.argsLeft > 0) {
            this.lineHidden = false;
            this.line.reset();
            this.state = BULK_LINE;
            break;
          }
          this.state = FRAME_START;
          return this.completeMultibulk();
        }
        case INLINE_LINE: {
          const command = this.readInline();
          if (command !== undefined) return command;
          break;
        }
      }
    }
  }

  /**
   * Reads a header line up to its CR and the byte after it, which Redis skips unchecked.
   * True once the line is complete; false when the chunk ran out first.
   */
  private readHeaderLine(): boolean {
    const input = this.input;
    const line = this.line;
    if (line.sawCR) {
      input.pos++;
      return true;
    }
    const chunk = input.chunk;
    const end = chunk.length;
    let i = input.pos;
    while (i < end) {
      const byte = chunk[i++];
      if (byte === CR && !this.lineHidden) {
        this.checkHeaderLength();
        line.sawCR = true;
        if (i === end) break;
        input.pos = i + 1;
        return true;
      }
      if (byte === NUL) this.lineHidden = true;
      line.push(byte);
    }
    input.pos = i;
    this.checkHeaderLength();
    return false;
  }

  private checkHeaderLength(): void {
    if (this.line.length <= this.maxInlineLength) return;
    this.fail(
      this.state === COUNT_LINE ? protocolErrors.tooBigMbulkCountString() : protocolErrors.tooBigBulkCountString(),
    );
  }

  private startArguments(): void {
    const line = this.line;
    const count = line.value;
    if (!line.valid || count > this.maxMultibulkLength) this.fail(protocolErrors.invalidMultibulkLength());
    if (count <= 0) {
      this.input.dropFrame();
      this.state = FRAME_START;
      return;
    }
    this.argsLeft = count;
    line.reset();
    this.lineHidden = false;
    this.state = BULK_LINE;
  }

  private startBulk(): void {
    const line = this.line;
    if (line.first !== DOLLAR) this.fail(protocolErrors.expectedDollar(line.first));
    const length = line.value;
    if (!line.valid || length < 0 || length > this.maxBulkLength) this.fail(protocolErrors.invalidBulkLength());
    const start = this.input.pos + this.input.base;
    this.bounds[this.boundsLength++] = start;
    this.bounds[this.boundsLength++] = start + length;
    this.bulkLeft = length + 2;
    this.state = BULK_BODY;
  }

  private completeMultibulk(): RespCommand {
    const raw = this.input.takeFrame(this.input.pos);
    const bounds = this.bounds;
    const count = this.boundsLength >> 1;
    const args = new Array<Buffer>(count);
    for (let i = 0, j = 0; i < count; i++, j += 2) args[i] = raw.subarray(bounds[j], bounds[j + 1]);
    return { args, raw };
  }

  private readInline(): RespCommand | undefined {
    const input = this.input;
    const chunk = input.chunk;
    let newline = this.lineHidden ? -1 : chunk.indexOf(LF, input.pos);
    if (newline >= 0) {
      const nul = chunk.indexOf(NUL, input.pos);
      if (nul >= 0 && nul < newline) {
        this.lineHidden = true;
        newline = -1;
      }
    }
    if (newline < 0) {
      this.inlineLength += chunk.length - input.pos;
      input.pos = chunk.length;
      // One byte more than the limit may still be the line's CR.
      if (this.inlineLength > this.maxInlineLength + 1) this.fail(protocolErrors.tooBigInlineRequest());
      return undefined;
    }
    input.pos = newline + 1;
    this.state = FRAME_START;
    const raw = input.takeFrame(input.pos);
    let lineEnd = raw.length - 1;
    if (lineEnd > 0 && raw[lineEnd - 1] === CR) lineEnd--;
    if (lineEnd > this.maxInlineLength) this.fail(protocolErrors.tooBigInlineRequest());
    const args = splitInlineArgs(raw.subarray(0, lineEnd));
    if (args === null) this.fail(protocolErrors.unbalancedQuotes());
    return args.length === 0 ? undefined : { args, raw };
  }

  private fail(error: RespProtocolError): never {
    this.failure = error;
    this.input.clear();
    throw error;
  }
}

function limit(options: RequestParserOptions, name: keyof RequestParserOptions): number {
  const value = options[name] ?? REQUEST_PARSER_DEFAULTS[name];
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`RequestParser: ${name} must be a non-negative safe integer, got ${value}`);
  }
  return value;
}
