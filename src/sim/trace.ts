/**
 * Traces as the simulators take them, and the readers of the trace formats.
 *
 * A trace is one dense id per request (0 .. distinct-1, in order of first appearance) in a typed
 * array: millions of requests cost 4 bytes each plus one map entry per distinct key, and the
 * policies (./policies.ts) index typed arrays by key.
 *
 * The readers are push parsers (`feed` chunks, then `end`), so one reader serves a whole buffer
 * (the hit-ratio benchmark) and a stream (`cachee simulate` on a file of any size) alike. The
 * formats of the public traces are those of `bench/traces/README.md`; the record format is
 * in src/proxy/record-format.ts.
 */

export interface Trace {
  name: string;
  /** One dense id per request. */
  keys: Int32Array;
  /** Number of distinct keys; ids are 0 .. distinct-1. */
  distinct: number;
}

/** A line or a length that does not fit the format; the message names the line. */
export class TraceFormatError extends Error {}

/** A file with nothing to replay (empty, or a record log without reads). */
export class EmptyTraceError extends TraceFormatError {}

/** Raw keys: numbers for the numeric formats, strings otherwise (64-bit binary keys as 8-byte latin1 strings: they do not fit a double). */
export type RawKey = number | string;

/** An Int32Array that doubles as it fills. */
export class Int32List {
  private data = new Int32Array(1 << 12);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    return this.data[index];
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  /** A copy of the values, exactly `length` long. */
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Maps raw keys to dense ids; one instance per trace, so a composed trace shares ids across its parts. */
export class Densifier {
  private readonly ids = new Map<RawKey, number>();
  private readonly out = new Int32List();

  /** Appends one request for `key`; returns its id. */
  readonly add = (key: RawKey): number => {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    this.out.push(id);
    return id;
  };

  get requests(): number {
    return this.out.length;
  }

  get distinct(): number {
    return this.ids.size;
  }

  finish(name: string): Trace {
    return { name, keys: this.out.toArray(), distinct: this.ids.size };
  }
}

export interface TraceReader {
  feed(chunk: Buffer): void;
  /** After the last chunk; throws TraceFormatError on a truncated input. */
  end(): void;
}

/** Splits chunks into lines (latin1, `\r\n` or `\n`, the last line with or without an end) and hands each on with its number. */
export abstract class LineReader implements TraceReader {
  private rest = '';
  private lineNumber = 0;

  feed(chunk: Buffer): void {
    const text = chunk.toString('latin1');
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      const piece = text.slice(start, end);
      this.emit(this.rest === '' ? piece : this.rest + piece);
      this.rest = '';
      start = end + 1;
    }
    this.rest += text.slice(start);
  }

  end(): void {
    if (this.rest !== '') this.emit(this.rest);
    this.rest = '';
  }

  private emit(line: string): void {
    this.lineNumber++;
    this.line(line.endsWith('\r') ? line.slice(0, -1) : line, this.lineNumber);
  }

  protected abstract line(text: string, lineNumber: number): void;

  protected fail(lineNumber: number, text: string, expected: string): never {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new TraceFormatError(`line ${lineNumber}: ${JSON.stringify(shown)} is not ${expected}`);
  }
}

/** LIRS: one decimal key per line; blank lines and `*` (checkpoints) skipped. */
export class LirsReader extends LineReader {
  constructor(private readonly emitKey: (key: RawKey) => unknown) {
    super();
  }

  protected line(text: string, lineNumber: number): void {
    const t = text.trim();
    if (t === '' || t === '*') return;
    const key = Number(t);
    if (!Number.isSafeInteger(key)) this.fail(lineNumber, t, 'a LIRS request (one decimal key, or *)');
    this.emitKey(key);
  }
}

/** ARC: `startBlock blockCount ignored requestNo`, one request per block of the run (Caffeine's ArcTraceReader). */
export class ArcReader extends LineReader {
  constructor(private readonly emitKey: (key: RawKey) => unknown) {
    super();
  }

  protected line(text: string, lineNumber: number): void {
    const t = text.trim();
    if (t === '') return;
    // The first two fields by indexOf: a split would allocate an array for each of millions of lines.
    const first = t.indexOf(' ');
    const second = first < 0 ? -1 : t.indexOf(' ', first + 1);
    const start = Number(t.slice(0, first));
    const count = Number(second < 0 ? t.slice(first + 1) : t.slice(first + 1, second));
    if (first < 0 || !Number.isSafeInteger(start) || !Number.isSafeInteger(count) || count < 0) {
      this.fail(lineNumber, t, 'an ARC request (startBlock blockCount ignored requestNo)');
    }
    for (let k = 0; k < count; k++) this.emitKey(start + k);
  }
}

/** Plain text: one key per line, taken as it is (spaces included); blank lines skipped. */
export class KeyLineReader extends LineReader {
  constructor(private readonly emitKey: (key: RawKey) => unknown) {
    super();
  }

  protected line(text: string): void {
    if (text !== '') this.emitKey(text);
  }
}

const NO_BYTES = Buffer.alloc(0);

/** Consecutive big-endian 64-bit integers (Java's DataOutputStream#writeLong), one key each. */
export class Binary64Reader implements TraceReader {
  private carry = NO_BYTES;
  private bytes = 0;

  constructor(private readonly emitKey: (key: RawKey) => unknown) {}

  feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const whole = data.length - (data.length % 8);
    for (let off = 0; off < whole; off += 8) this.emitKey(data.toString('latin1', off, off + 8));
    // A copy only of a partial key (a view would pin the whole chunk).
    this.carry = whole === data.length ? NO_BYTES : Buffer.from(data.subarray(whole));
  }

  end(): void {
    if (this.carry.length !== 0) throw new TraceFormatError(`binary, but its length (${this.bytes} bytes) is not a multiple of 8, as 64-bit keys need`);
  }
}
