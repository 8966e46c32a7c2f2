/**
 * The record format: what `cachee record` writes and `cachee simulate` reads (its reader is
 * src/sim/record-reader.ts). This comment is its definition (the README shows an example).
 *
 *   # cachee-record v1 sample=0.1 started=2025-01-02T03:04:05.678Z source=l1 salt-free
 *   3f9a0c6e1d2b4a57 12 18
 *   0b7e4419c2d85f31 9 -
 *   # end reads=20 logged=2 dropped=0
 *
 * Text, one line per `\n`. The first line is the header: `# cachee-record v1`, then words, each
 * `name=value` or a bare flag; unknown ones are ignored. `sample` (required) is the fraction of
 * the key space the log covers, 0 < sample <= 1; `started` is when the recording began (ISO
 * 8601); `source` is what answered the reads: `l1` (the proxy's L1 in front of Redis) or
 * `embedded` (the embedded store); `salt-free` says the salt is not in the file.
 *
 * Every other line is one read, in the order the proxy saw them: `<hash> <keyBytes> <replyBytes>`.
 * `hash` is 16 hex digits, the first 64 bits of SHA-256 over a random salt of the recording and
 * the key: the same key has the same hash throughout one log, and without the salt, which is
 * never written down, the log tells nothing about the keys. `keyBytes` is the key's length and
 * `replyBytes` the length of the read's reply (the RESP bytes L1 keeps for it), `-` when
 * unknown (the read failed). Values themselves are never logged. Later lines starting with `#`
 * are comments, but for the trailer `# end reads=<n> logged=<n> dropped=<n>`, written when the
 * proxy ended the recording: `reads` counts every read it saw meanwhile, sampled or not,
 * `dropped` the sampled ones it could not send (the recorder fell behind). A log cut short has
 * no trailer.
 *
 * Sampling is by key, not by request (spatial sampling, SHARDS: Waldspurger et al., FAST '15): a
 * key is in the log iff a salted 32-bit hash of it is below sample × 2^32, so every read of a
 * sampled key is there and per-key frequencies survive. A cache of N entries then behaves on the
 * log as a cache of N × sample entries does on the full stream of reads. With the trailer, the
 * simulation also corrects for a sample that holds more or fewer reads than sample × reads
 * (SHARDS-adj: a few hot keys in or out of the sample move the count).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { hashString } from '../core/hash.js';

export const RECORD_PREFIX = '# cachee-record';
export const RECORD_MAGIC = `${RECORD_PREFIX} v1`;

export type RecordSource = 'l1' | 'embedded';

export interface RecordHeader {
  sample: number;
  /** ISO 8601, as written. */
  started?: string;
  source?: RecordSource;
}

/** Whether `rate` can be a sample rate: 0 < rate <= 1. */
export function isSampleRate(rate: number): boolean {
  return Number.isFinite(rate) && rate > 0 && rate <= 1;
}

export function formatRecordHeader(header: Required<RecordHeader>): string {
  return `${RECORD_MAGIC} sample=${header.sample} started=${header.started} source=${header.source} salt-free\n`;
}

export interface RecordTrailer {
  /** Every read the proxy saw while recording, sampled or not. */
  reads: number;
  /** Sampled reads it could not send. */
  dropped: number;
}

export function formatRecordTrailer(trailer: RecordTrailer & { logged: number }): string {
  return `# end reads=${trailer.reads} logged=${trailer.logged} dropped=${trailer.dropped}\n`;
}

/** One read's line, without its `\n`; `replyBytes` < 0: unknown. */
export function formatRecordLine(hash: string, keyBytes: number, replyBytes: number): string {
  return `${hash} ${keyBytes} ${replyBytes < 0 ? '-' : replyBytes}`;
}

/** Which keys a recording logs, and under which hash: both keyed by secrets of the recording alone. */
export class KeySampler {
  private readonly salt = randomBytes(16);
  private readonly sampleSeed = randomInt(2 ** 31);
  /** Keys whose sample hash is below this (out of 2^32) are in the log. */
  private readonly threshold: number;

  constructor(readonly rate: number) {
    if (!isSampleRate(rate)) throw new RangeError(`sample rate must be in (0, 1], got ${rate}`);
    this.threshold = rate * 2 ** 32;
  }

  /** Hashes already made, so a hot key costs one SHA-256 per recording, not one per read. */
  private readonly hashes = new Map<string, string>();

  /** Cheap (the fast hash the engine's sketch uses): it runs on every read while recording. */
  sampled(key: string): boolean {
    return this.rate === 1 || hashString(key, this.sampleSeed) >>> 0 < this.threshold;
  }

  /** The key's hash in the log: SHA-256, made once per key (up to HASH_MEMO_KEYS remembered). */
  hash(key: string): string {
    let hash = this.hashes.get(key);
    if (hash === undefined) {
      hash = createHash('sha256').update(this.salt).update(key, 'latin1').digest('hex').slice(0, 16);
      if (this.hashes.size >= HASH_MEMO_KEYS) this.hashes.clear();
      this.hashes.set(key, hash);
    }
    return hash;
  }
}

/** Keys whose log hash a recording remembers at once (about 10 MB at most). */
const HASH_MEMO_KEYS = 100_000;
