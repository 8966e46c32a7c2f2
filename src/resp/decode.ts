import { CR, LF } from './bytes.js';
import { protocolErrors } from './errors.js';
import { describeByte, RespType } from './reply-types.js';

/** An error reply (`-ERR ...` or RESP3 `!`), returned as a value, never thrown. */
export class RespError {
  constructor(
    /** The whole error text, code included: "WRONGTYPE Operation against a key...". */
    readonly message: string,
  ) {}

  /** The first word, by convention the error code ("ERR", "WRONGTYPE", "MOVED"...). */
  get code(): string {
    const space = this.message.indexOf(' ');
    return space < 0 ? this.message : this.message.slice(0, space);
  }
}

/** A RESP3 verbatim string (`=`): text with a three-letter format such as "txt" or "mkd". */
export class RespVerbatimString {
  constructor(
    readonly format: string,
    readonly text: Buffer | string,
  ) {}
}

/** A RESP3 push frame (`>`): out-of-band data such as invalidation or pub/sub messages. */
export class RespPush {
  constructor(readonly items: RespValue[]) {}

  /** The first item as text ("invalidate", "message"...), by convention the push's kind. */
  get kind(): string {
    const first = this.items[0];
    return typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString() : '';
  }
}

export type RespValue =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespVerbatimString
  | RespPush
  | RespValue[]
  | Map<RespValue, RespValue>
  | Set<RespValue>;

export interface DecodeOptions {
  /**
   * How bulk strings (and verbatim strings' text) come out: 'buffer' (default: binary-safe, a
   * copy-free view of `raw`) or 'string' (UTF-8 decoded; what map lookups by key need).
   */
  strings?: 'buffer' | 'string';
}

/**
 * Decodes one complete reply, the whole of `raw` (as ReplyScanner returns it), into JS values:
 * - simple strings (`+`) → string (always: they are status text); bulk strings (`$`) → Buffer or
 *   string per `options.strings`; `$-1`, `*-1` and `_` → null;
 * - integers (`:`) → number, or bigint outside the safe integer range; big numbers (`(`) → bigint;
 *   doubles (`,`) → number (inf, -inf, nan included); booleans (`#`) → boolean;
 * - errors (`-`, `!`) → RespError; verbatim strings (`=`) → RespVerbatimString;
 * - arrays → arrays; maps (`%`) → Map (in wire order); sets (`~`) → Set; pushes (`>`) → RespPush.
 * Attributes (`|`) are skipped: the value they annotate is returned.
 * Throws a RespProtocolError when `raw` is not exactly one well-formed reply.
 */
export function decodeReply(raw: Buffer, options: DecodeOptions = {}): RespValue {
  const reader = new Reader(raw, options.strings === 'string');
  const value = reader.value();
  if (reader.pos !== raw.length) throw protocolErrors.invalidReply('bytes left after the reply');
  return value;
}

class Reader {
  pos = 0;

  constructor(
    private readonly raw: Buffer,
    private readonly asStrings: boolean,
  ) {}

  value(): RespValue {
    const type = this.byte();
    switch (type) {
      case RespType.SimpleString:
        return this.lineText();
      case RespType.Error:
        return new RespError(this.lineText());
      case RespType.Integer:
        return this.integer(this.lineText());
      case RespType.Null:
        if (this.lineEnd() !== this.pos) throw protocolErrors.invalidReply('bytes in a null');
        this.pos += 2;
        return null;
      case RespType.Double:
        return parseDouble(this.lineText());
      case RespType.Boolean: {
        const text = this.lineText();
        if (text !== 't' && text !== 'f') throw protocolErrors.invalidReply(`invalid boolean '${text}'`);
        return text === 't';
      }
      case RespType.BigNumber:
        return this.bigNumber(this.lineText());
      case RespType.BulkString: {
        const bytes = this.bulk(true);
        return bytes === null ? null : this.asStrings ? bytes.toString() : bytes;
      }
      case RespType.BulkError:
        return new RespError(this.bulk(false)!.toString());
      case RespType.VerbatimString: {
        const bytes = this.bulk(false)!;
        if (bytes.length < 4 || bytes[3] !== 0x3a) throw protocolErrors.invalidReply('invalid verbatim string');
        const text = bytes.subarray(4);
        return new RespVerbatimString(bytes.toString('latin1', 0, 3), this.asStrings ? text.toString() : text);
      }
      case RespType.Array: {
        const count = this.count(true);
        return count < 0 ? null : this.values(count);
      }
      case RespType.Set:
        return new Set(this.values(this.count(false)));
      case RespType.Push:
        return new RespPush(this.values(this.count(false)));
      case RespType.Map: {
        const count = this.count(false);
        const map = new Map<RespValue, RespValue>();
        for (let i = 0; i < count; i++) {
          const key = this.value();
          map.set(key, this.value());
        }
        return map;
      }
      case RespType.Attribute: {
        const count = this.count(false);
        for (let i = 0; i < 2 * count; i++) this.value();
        return this.value();
      }
      default:
        throw protocolErrors.invalidReply(`unexpected byte ${describeByte(type)} where a reply was expected`);
    }
  }

  private values(count: number): RespValue[] {
    const values = new Array<RespValue>(count);
    for (let i = 0; i < count; i++) values[i] = this.value();
    return values;
  }

  private byte(): number {
    if (this.pos >= this.raw.length) throw protocolErrors.invalidReply('incomplete reply');
    return this.raw[this.pos++];
  }

  /** Position of the CR ending the current line, checked to be followed by LF. */
  private lineEnd(): number {
    const cr = this.raw.indexOf(CR, this.pos);
    if (cr < 0 || cr + 1 >= this.raw.length) throw protocolErrors.invalidReply('incomplete reply');
    if (this.raw[cr + 1] !== LF) throw protocolErrors.invalidReply('expected LF after CR');
    return cr;
  }

  private lineText(): string {
    const end = this.lineEnd();
    const text = this.raw.toString('utf8', this.pos, end);
    this.pos = end + 2;
    return text;
  }

  private integer(text: string): number | bigint {
    if (!/^-?\d+$/.test(text)) throw protocolErrors.invalidReply(`invalid integer '${text}'`);
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : BigInt(text);
  }

  private bigNumber(text: string): bigint {
    if (!/^[-+]?\d+$/.test(text)) throw protocolErrors.invalidReply(`invalid big number '${text}'`);
    return BigInt(text);
  }

  /** An aggregate's element count; -1 for a RESP2 null when `nullable`. */
  private count(nullable: boolean): number {
    const text = this.lineText();
    if (nullable && text === '-1') return -1;
    if (!/^\d+$/.test(text)) throw protocolErrors.invalidReply(`invalid aggregate length '${text}'`);
    return Number(text);
  }

  private bulk(nullable: boolean): Buffer | null {
    const length = this.count(nullable);
    if (length < 0) return null;
    const end = this.pos + length;
    if (end + 2 > this.raw.length) throw protocolErrors.invalidReply('incomplete reply');
    if (this.raw[end] !== CR || this.raw[end + 1] !== LF) throw protocolErrors.invalidReply('expected CR LF after bulk data');
    const bytes = this.raw.subarray(this.pos, end);
    this.pos = end + 2;
    return bytes;
  }
}

function parseDouble(text: string): number {
  switch (text) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
      return NaN;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw protocolErrors.invalidReply(`invalid double '${text}'`);
  return Number(text);
}
