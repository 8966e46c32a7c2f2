/**
 * A trace file of any supported format, compressed or not, into a Trace: the format named, or
 * told from the first 64 KiB of the (decompressed) content.
 *
 * | format     | content                                                                 |
 * | ---------- | ----------------------------------------------------------------------- |
 * | `record`   | a `cachee record` log (src/proxy/record-format.ts): starts `# cachee-record`    |
 * | `keys`     | text, one key per line (any text that fits no other format)              |
 * | `lirs`     | text, one decimal key per line, `*` lines skipped                        |
 * | `arc`      | text, `startBlock blockCount ignored requestNo` lines                    |
 * | `binary64` | binary: big-endian 64-bit keys (content that is not text)                |
 *
 * The file is streamed, so its size is bounded by the trace (4 bytes a request, a map entry
 * per distinct key), not by the file.
 */
import { openDecompressed, readDecompressedSync, type Compression } from './decompress.js';
import { RECORD_PREFIX, type RecordHeader, type RecordTrailer } from '../proxy/record-format.js';
import { RecordReader } from './record-reader.js';
import { ArcReader, Binary64Reader, Densifier, EmptyTraceError, KeyLineReader, LirsReader, TraceFormatError, type Trace, type TraceReader } from './trace.js';

export const TRACE_FORMATS = ['record', 'keys', 'lirs', 'arc', 'binary64'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export function isTraceFormat(name: string): name is TraceFormat {
  return (TRACE_FORMATS as readonly string[]).includes(name);
}

/** How much content detection looks at. */
const DETECT_BYTES = 64 * 1024;
/** Lines detection checks against the numeric formats. */
const DETECT_LINES = 1000;

const ARC_LINE = /^\s*\d+ \d+ \S+ \S+\s*$/;
const LIRS_LINE = /^\s*(\d+|\*)\s*$/;

/** Control bytes other than tab, line feed and carriage return: a file with them is binary. */
function isText(head: Buffer): boolean {
  for (const byte of head) if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  return true;
}

/**
 * The format of content starting with `head`; `whole`: head is all of it (else its last line may
 * be cut off). Binary content is `binary64`; text that fits no numeric format is `keys` if it
 * looks like one key a line (no line with blanks inside), else a TraceFormatError: keys with
 * blanks are rare, and such a file is more likely something else (a CSV, a log) that would read
 * as keys that never repeat. `--format keys` still reads it.
 */
export function detectFormat(head: Buffer, whole: boolean): TraceFormat {
  if (!isText(head)) return 'binary64';
  let text = head.toString('latin1');
  // Any version: the record reader then says which versions it reads.
  if (text.startsWith(RECORD_PREFIX)) return 'record';
  if (!whole && text.lastIndexOf('\n') >= 0) text = text.slice(0, text.lastIndexOf('\n'));
  const lines = text.split('\n').slice(0, DETECT_LINES);
  const requests = lines.filter((line) => line.trim() !== '');
  if (requests.length > 0 && requests.every((line) => ARC_LINE.test(line))) return 'arc';
  if (requests.length > 0 && requests.every((line) => LIRS_LINE.test(line))) return 'lirs';
  const spaced = lines.findIndex((line) => /\S\s+\S/.test(line));
  if (spaced < 0) return 'keys';
  throw new TraceFormatError(`unknown format: text, but line ${spaced + 1} has blanks inside, so it is not one key a line (nor LIRS, ARC or a record log)`);
}

export function traceReader(format: TraceFormat, ids: Densifier): TraceReader {
  switch (format) {
    case 'record':
      return new RecordReader(ids.add);
    case 'keys':
      return new KeyLineReader(ids.add);
    case 'lirs':
      return new LirsReader(ids.add);
    case 'arc':
      return new ArcReader(ids.add);
    case 'binary64':
      return new Binary64Reader(ids.add);
  }
}

/** Reads whole decompressed `file` contents into `ids` (the benchmark's small traces, several files to one trace). */
export function readTraceSync(file: string, format: TraceFormat, ids: Densifier): void {
  const reader = traceReader(format, ids);
  reader.feed(readDecompressedSync(file));
  reader.end();
}

export interface LoadedTrace {
  trace: Trace;
  format: TraceFormat;
  /** Told from the content, not named. */
  detected: boolean;
  compression: Compression;
  /** Record logs only: the header, the trailer if any, and each key's recorded lengths by dense id (-1: none known). */
  record?: { header: RecordHeader; trailer?: RecordTrailer; keyBytes: Int32Array; replyBytes: Int32Array };
}

export interface LoadOptions {
  /** Default: detected. */
  format?: TraceFormat;
  /** Called after each chunk with the requests read so far. */
  onProgress?: (requests: number) => void;
}

/**
 * Streams `file` into a Trace named after it. Throws the file system's error when it cannot be
 * read, and TraceFormatError when it is empty, has no requests, or does not fit its format.
 */
export async function loadTraceFile(file: string, options: LoadOptions = {}): Promise<LoadedTrace> {
  const { stream, compression, finished } = openDecompressed(file);
  const ids = new Densifier();
  let reader: TraceReader | undefined;
  let format = options.format;
  const head: Buffer[] = [];
  let headBytes = 0;
  const start = (whole: boolean): TraceReader => {
    const content = Buffer.concat(head);
    format ??= detectFormat(content, whole);
    const started = traceReader(format, ids);
    started.feed(content);
    return started;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (reader !== undefined) {
      reader.feed(chunk);
    } else {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= DETECT_BYTES) reader = start(false);
    }
    options.onProgress?.(ids.requests);
  }
  await finished;
  if (reader === undefined) {
    if (headBytes === 0) throw new EmptyTraceError('the file is empty');
    reader = start(true);
  }
  reader.end();
  if (ids.requests === 0) {
    throw new EmptyTraceError(format === 'record' ? 'the log has no reads: the proxy saw no read of a sampled key while it recorded' : `the file has no requests (read as ${format})`);
  }
  const loaded: LoadedTrace = { trace: ids.finish(file), format: format!, detected: options.format === undefined, compression };
  if (reader instanceof RecordReader) {
    loaded.record = { header: reader.header!, trailer: reader.trailer, keyBytes: reader.keyBytes.toArray(), replyBytes: reader.replyBytes.toArray() };
  }
  return loaded;
}
