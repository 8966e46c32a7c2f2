/**
 * `CACHEE RECORD <sample> <durationMs>`: a command the proxy answers itself (as it does `INFO
 * cachee`), which turns the connection into a feed of the reads the proxy sees. `cachee record`
 * writes the feed to a log (format and sampling: src/proxy/record-format.ts).
 *
 * The protocol:
 * - `sample` is the fraction of keys to log, 0 < sample <= 1; `durationMs` a whole number of
 *   milliseconds, 0 for no limit (until the client disconnects).
 * - The reply is `+OK source=l1` (the proxy's L1 in front of Redis) or `+OK source=embedded`.
 * - Then one message per logged read: a RESP2 array (a RESP3 push) of two bulk strings, `record`
 *   and the read's log line, `<hash> <keyBytes> <replyBytes or ->`.
 * - When the duration is over, the client sends QUIT, or the proxy shuts down: a last message
 *   `record-end` with `<sent> <dropped> <seen>`, (after QUIT, `+OK`), and the proxy closes the
 *   connection. `dropped` counts sampled reads not sent because the client fell more than
 *   MAX_BACKLOG bytes behind (a slow reader must not make the proxy buffer without bound);
 *   `seen` counts every read offered to the recording, sampled or not, for SHARDS' adjustment.
 * - While recording, the connection accepts QUIT alone; any other command gets an error.
 * - `INFO cachee` adds `recordings` (how many run now) and `recorded_reads` (the reads they sent).
 *
 * What is logged: in front of Redis, every lookup L1 makes, hit or miss: GET, the other cacheable
 * reads, each key of an MGET (a miss when its reply arrives, with that reply's length). Keys
 * outside --l1-keys and reads L1 is not asked (while invalidation is down, inside MULTI) are not.
 * The embedded store logs its GETs. With --workers, each worker logs the reads of its own
 * connections: a recording sees the worker that took its connection.
 *
 * Cost: the read paths check one field (`RecordingHost.recorder`), undefined while nothing
 * records. While recording, each read costs a fast 32-bit hash (the sampling), and each logged
 * read a SHA-256 and one message.
 */
import { formatRecordLine, isSampleRate, KeySampler, type RecordSource } from './record-format.js';
import { isKeyword } from '../store/arguments.js';

/** Bytes a recording client may leave unread before reads are dropped instead of sent. */
export const MAX_BACKLOG = 8 * 1024 * 1024;

/** What hosts recordings: the ProxyCore, or the embedded store. */
export interface RecordingHost {
  /** Undefined while nothing records: the one field the read paths check. */
  recorder: AccessRecorder | undefined;
  readonly recordSource: RecordSource;
}

export interface RecordRequest {
  sample: number;
  durationMs: number;
}

/** Whether a command is CACHEE (any subcommand), which the front answers itself. */
export function isCacheeCommand(args: readonly Buffer[]): boolean {
  return args[0].length === 6 && isKeyword(args[0], 'cachee');
}

/** `CACHEE RECORD <sample> <durationMs>`'s arguments, or the error message for a bad one. */
export function parseRecordCommand(args: readonly Buffer[]): RecordRequest | string {
  const sub = args[1]?.toString('latin1').toLowerCase();
  if (sub !== 'record') return `ERR unknown CACHEE subcommand${sub === undefined ? '' : ` '${sub.slice(0, 32)}'`}; try CACHEE RECORD <sample> <durationMs>`;
  if (args.length !== 4) return "ERR wrong number of arguments for 'cachee|record': CACHEE RECORD <sample> <durationMs>";
  const sampleText = args[2].toString('latin1');
  const durationText = args[3].toString('latin1');
  const sample = Number(sampleText);
  if (sampleText.trim() === '' || !isSampleRate(sample)) return `ERR sample must be a number in (0, 1], got '${sampleText.slice(0, 32)}'`;
  if (!/^\d{1,15}$/.test(durationText)) return `ERR durationMs must be a whole number of milliseconds, got '${durationText.slice(0, 32)}'`;
  return { sample, durationMs: Number(durationText) };
}

/** The text of the last message: `<sent> <dropped> <seen>`. */
export function recordEndText(recording: Recording): string {
  return `${recording.sent} ${recording.dropped} ${recording.seen}`;
}

/** One message of the feed: a two-element array (RESP2) or push (RESP3) of bulk strings. */
export function recordMessage(kind: 'record' | 'record-end', text: string, protocol: number): string {
  return `${protocol === 3 ? '>' : '*'}2\r\n$${kind.length}\r\n${kind}\r\n$${text.length}\r\n${text}\r\n`;
}

/** One client's recording: which reads it logs, and how they reach the client. */
export class Recording {
  sent = 0;
  dropped = 0;
  /** Every read offered, sampled or not. */
  seen = 0;
  private readonly sampler: KeySampler;

  constructor(
    sample: number,
    /** Sends one log line; false when it had to be dropped. */
    private readonly deliver: (line: string) => boolean,
  ) {
    this.sampler = new KeySampler(sample);
  }

  offer(key: string, replyBytes: number): void {
    this.seen++;
    if (!this.sampler.sampled(key)) return;
    if (this.deliver(formatRecordLine(this.sampler.hash(key), key.length, replyBytes))) this.sent++;
    else this.dropped++;
  }
}

/** Hands each read to every recording of one host. */
export class AccessRecorder {
  private readonly recordings = new Set<Recording>();

  access(key: string, replyBytes: number): void {
    for (const recording of this.recordings) recording.offer(key, replyBytes);
  }

  /** `INFO cachee`'s fields on recordings: how many run, and the reads they have sent (a recording costs the proxy CPU, so it shows). */
  static info(host: RecordingHost): Record<string, number> {
    let sent = 0;
    for (const recording of host.recorder?.recordings ?? []) sent += recording.sent;
    return { recordings: host.recorder?.recordings.size ?? 0, recorded_reads: sent };
  }

  static add(host: RecordingHost, recording: Recording): void {
    host.recorder ??= new AccessRecorder();
    host.recorder.recordings.add(recording);
  }

  static remove(host: RecordingHost, recording: Recording): void {
    const recorder = host.recorder;
    if (recorder === undefined) return;
    recorder.recordings.delete(recording);
    if (recorder.recordings.size === 0) host.recorder = undefined;
  }
}
