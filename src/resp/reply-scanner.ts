/*
 * Hand-written and on the proxy's hot path (every byte Redis sends back): a library would cost us
 * speed and allocations. It finds where each reply ends and decodes nothing.
 */
import { CR, LF } from './bytes.js';
import { ChunkQueue } from './chunk-queue.js';
import { protocolErrors, RespProtocolError } from './errors.js';
import { HeaderLine } from './header-line.js';
import { AGGREGATE, BULK, describeByte, FRAMING, LINE, RespType } from './reply-types.js';

/** One complete reply (or push frame) from the upstream server, undecoded. */
export interface ScannedReply {
  /**
   * Its exact bytes, attributes included: a view of the received chunk when it arrived in one,
   * else a single copy.
   */
  readonly raw: Buffer;
  /** Type byte of the reply proper, after any attributes (RespType; RespType.Push for pushes). */
  readonly type: number;
  /** Where the reply proper starts in `raw`: 0, or the length of the attributes before it. */
  readonly valueOffset: number;
}

const VALUE_START = 0;
const LINE_VALUE = 1;
const HEADER_LINE = 2;
const BULK_BODY = 3;
const TERMINATOR = 4;

/**
 * Incremental scanner of what Redis sends back, RESP2 and RESP3 (streamed strings and aggregates
 * excepted): `feed()` chunks, then call `next()` until it returns undefined (more bytes needed).
 * It nests through aggregates with a stack of element counts and never re-reads a byte.
 *
 * Push frames (`>`) come out like replies, with type RespType.Push: the caller tells them apart
 * by that byte. (RESP2 pub/sub messages are plain arrays, as the protocol makes them.)
 * Attributes (`|`) are part of the value that follows them: a top-level attribute comes out in
 * the same `raw` as the reply it annotates, with `type` that reply's type.
 *
 * Unlike the request parser, it insists on well-formed input (CR LF everywhere, known type bytes,
 * valid lengths) since a server that breaks the protocol has lost sync: it throws a
 * RespProtocolError (code 'invalid-reply') and is dead from then on.
 */
export class ReplyScanner {
  private readonly input = new ChunkQueue();
  private readonly line = new HeaderLine();
  private state = VALUE_START;
  /** Values still to come in each open aggregate, outermost first. */
  private readonly remaining: number[] = [];
  private depth = 0;
  /** Depth of the innermost attribute annotating the reply itself (0: none). */
  private attributeDepth = 0;
  private replyType = 0;
  private valueOffset = 0;
  private bulkLeft = 0;
  /** Bytes of the CR LF ending a value still expected: 2, or 1 (the LF). */
  private terminatorLeft = 0;
  private failure: RespProtocolError | undefined;

  feed(chunk: Buffer): void {
    if (this.failure === undefined) this.input.push(chunk);
  }

  /** Bytes fed and not yet returned in a reply. */
  get bufferedBytes(): number {
    return this.input.bufferedBytes;
  }

  get error(): RespProtocolError | undefined {
    return this.failure;
  }

  /**
   * Hands over every byte fed and not yet returned in a reply, as received, and starts afresh at
   * a reply boundary (for a connection that switches to forwarding bytes unparsed).
   */
  takeBuffered(): Buffer {
    this.state = VALUE_START;
    this.depth = 0;
    return this.input.takeBuffered();
  }

  /** The next complete reply or push, or undefined until more bytes are fed. */
  next(): ScannedReply | undefined {
    if (this.failure !== undefined) throw this.failure;
    const input = this.input;
    for (;;) {
      if (input.pos === input.chunk.length && !input.advance()) return undefined;
      switch (this.state) {
        case VALUE_START:
          this.startValue();
          break;
        case LINE_VALUE: {
          const cr = input.chunk.indexOf(CR, input.pos);
          if (cr < 0) {
            input.pos = input.chunk.length;
          } else {
            input.pos = cr + 1;
            this.terminatorLeft = 1;
            this.state = TERMINATOR;
          }
          break;
        }
        case HEADER_LINE:
          if (this.readHeaderLine() && this.openHeader() && this.finishValue()) return this.complete();
          break;
        case BULK_BODY: {
          const available = input.chunk.length - input.pos;
          if (available < this.bulkLeft) {
            input.pos += available;
            this.bulkLeft -= available;
          } else {
            input.pos += this.bulkLeft;
            this.terminatorLeft = 2;
            this.state = TERMINATOR;
          }
          break;
        }
        case TERMINATOR: {
          const expected = this.terminatorLeft === 2 ? CR : LF;
          if (input.chunk[input.pos] !== expected) {
            this.fail(`expected ${expected === CR ? 'CR' : 'LF'}, got ${describeByte(input.chunk[input.pos])}`);
          }
          input.pos++;
          if (--this.terminatorLeft === 0 && this.finishValue()) return this.complete();
          break;
        }
      }
    }
  }

  private startValue(): void {
    const input = this.input;
    const type = input.chunk[input.pos];
    if (this.depth === 0) {
      input.beginFrame();
      this.replyType = 0;
      this.attributeDepth = 0;
    }
    if (this.replyType === 0 && this.annotatesReply()) {
      if (type === RespType.Attribute) {
        this.attributeDepth = this.depth + 1;
      } else {
        this.replyType = type;
        this.valueOffset = input.pos + input.base;
      }
    }
    switch (FRAMING[type]) {
      case LINE:
        input.pos++;
        this.state = LINE_VALUE;
        return;
      case BULK:
      case AGGREGATE:
        this.line.reset();
        this.state = HEADER_LINE;
        return;
      default:
        this.fail(`unexpected byte ${describeByte(type)} where a reply was expected`);
    }
  }

  /** The value starting now is the reply itself: top-level, or what a top-level attribute annotates. */
  private annotatesReply(): boolean {
    return this.depth === this.attributeDepth && (this.depth === 0 || this.remaining[this.depth - 1] === 1);
  }

  /** Reads a header line through its CR LF; false when the chunk ran out first. */
  private readHeaderLine(): boolean {
    const input = this.input;
    const line = this.line;
    const chunk = input.chunk;
    const end = chunk.length;
    let i = input.pos;
    while (!line.sawCR && i < end) {
      const byte = chunk[i++];
      if (byte === CR) line.sawCR = true;
      else line.push(byte);
    }
    if (i === end) {
      input.pos = i;
      return false;
    }
    if (chunk[i] !== LF) this.fail(`expected LF, got ${describeByte(chunk[i])}`);
    input.pos = i + 1;
    return true;
  }

  /** Acts on a complete header line; true when its value is already complete (null or empty). */
  private openHeader(): boolean {
    const line = this.line;
    const type = line.first;
    const count = line.value;
    if (!line.valid || count < -1) this.fail(`invalid length in ${describeByte(type)} header`);
    if (count === -1) {
      if (type === RespType.BulkString || type === RespType.Array) return true;
      this.fail(`invalid length in ${describeByte(type)} header`);
    }
    if (FRAMING[type] === BULK) {
      this.bulkLeft = count;
      this.state = BULK_BODY;
      return false;
    }
    const values = type === RespType.Map ? count * 2 : type === RespType.Attribute ? count * 2 + 1 : count;
    this.state = VALUE_START;
    if (values === 0) return true;
    this.remaining[this.depth++] = values;
    return false;
  }

  /** A value is complete: counts it in its aggregates; true when the whole reply is. */
  private finishValue(): boolean {
    this.state = VALUE_START;
    const remaining = this.remaining;
    while (this.depth > 0) {
      if (--remaining[this.depth - 1] > 0) return false;
      this.depth--;
    }
    return true;
  }

  private complete(): ScannedReply {
    const raw = this.input.takeFrame(this.input.pos);
    return { raw, type: this.replyType, valueOffset: this.valueOffset };
  }

  private fail(detail: string): never {
    this.failure = protocolErrors.invalidReply(detail);
    this.input.clear();
    throw this.failure;
  }
}
