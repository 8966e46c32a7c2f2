/**
 * Reads a `cachee record` log (the format: src/proxy/record-format.ts) for `cachee simulate`.
 */
import { EmptyTraceError, Int32List, LineReader, TraceFormatError, type RawKey } from './trace.js';
import { isSampleRate, RECORD_MAGIC, RECORD_PREFIX, type RecordHeader, type RecordTrailer } from '../proxy/record-format.js';

export function isRecordHeader(line: string): boolean {
  return line === RECORD_MAGIC || line.startsWith(`${RECORD_MAGIC} `);
}

/** The header's fields; throws TraceFormatError when it is not a v1 header or its sample is missing or bad. */
export function parseRecordHeader(line: string): RecordHeader {
  if (!isRecordHeader(line)) {
    const other = new RegExp(`^${RECORD_PREFIX} (\\S+)`).exec(line);
    throw new TraceFormatError(other ? `record format ${other[1]} is not supported (this cachee reads v1)` : 'line 1 is not a "# cachee-record v1" header');
  }
  const fields = new Map<string, string>();
  for (const word of line.slice(RECORD_MAGIC.length).trim().split(/\s+/)) {
    const eq = word.indexOf('=');
    if (eq > 0) fields.set(word.slice(0, eq), word.slice(eq + 1));
  }
  const sampleText = fields.get('sample');
  const sample = Number(sampleText);
  if (sampleText === undefined || !isSampleRate(sample)) {
    throw new TraceFormatError(`the header's sample=${sampleText ?? ''} is not a rate in (0, 1]`);
  }
  const source = fields.get('source');
  return {
    sample,
    started: fields.get('started'),
    source: source === 'l1' || source === 'embedded' ? source : undefined,
  };
}

const TRAILER = /^# end reads=(\d+) logged=\d+ dropped=(\d+)/;

const HASH = /^[0-9a-f]{16}$/;
const COUNT = /^\d+$/;

/**
 * Reads a record log: each line's hash is the key; the sizes of each key (by dense id) are kept
 * from its lines, the latest known reply length winning.
 */
export class RecordReader extends LineReader {
  header: RecordHeader | undefined;
  trailer: RecordTrailer | undefined;
  /** Per dense id: the key's length, and its latest known reply length (-1: none known). */
  readonly keyBytes = new Int32List();
  readonly replyBytes = new Int32List();

  constructor(private readonly emitKey: (key: RawKey) => number) {
    super();
  }

  protected line(text: string, lineNumber: number): void {
    if (lineNumber === 1) {
      this.header = parseRecordHeader(text);
      return;
    }
    if (text === '') return;
    if (text.startsWith('#')) {
      const trailer = TRAILER.exec(text);
      if (trailer !== null) this.trailer = { reads: Number(trailer[1]), dropped: Number(trailer[2]) };
      return;
    }
    const [hash, keyText, replyText, extra] = text.split(' ');
    if (extra !== undefined || !HASH.test(hash) || !COUNT.test(keyText ?? '') || (replyText !== '-' && !COUNT.test(replyText ?? ''))) {
      this.fail(lineNumber, text, 'a record line (<16 hex digits> <keyBytes> <replyBytes or ->)');
    }
    const id = this.emitKey(hash);
    const reply = replyText === '-' ? -1 : Number(replyText);
    if (id === this.keyBytes.length) {
      this.keyBytes.push(Number(keyText));
      this.replyBytes.push(reply);
    } else if (reply >= 0) {
      this.replyBytes.set(id, reply);
    }
  }

  override end(): void {
    super.end();
    if (this.header === undefined) throw new EmptyTraceError('the file is empty');
  }
}
