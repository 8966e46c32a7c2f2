/**
 * What a cache of N entries would take in memory, for the reads of a record log: N times the mean
 * cost of one key, each key costed by the size model of what recorded it, from the lengths the
 * log keeps (the key's, and its latest reply's). That is what `--l1-memory` bounds, so a size
 * read off `cachee simulate` translates into a budget.
 */
import { getEntryBytes } from '../proxy/reply-cache.js';
import { stringEntryBytes } from '../store/values.js';
import type { RecordSource } from '../proxy/record-format.js';

/** The payload length of a bulk-string reply of `replyLength` bytes (`$<n>\r\n<n bytes>\r\n`); -1 if there is none. */
export function bulkPayloadLength(replyLength: number): number {
  for (let digits = 1; digits <= 16; digits++) {
    const payload = replyLength - digits - 5;
    if (payload >= 0 && String(payload).length === digits) return payload;
  }
  return -1;
}

export function entryBytes(source: RecordSource, keyLength: number, replyLength: number): number {
  if (source === 'l1') return getEntryBytes(keyLength, replyLength);
  return stringEntryBytes(keyLength, Math.max(0, bulkPayloadLength(replyLength)));
}

export interface EntryEstimate {
  /** Mean bytes per key. */
  bytes: number;
  /** Keys it is the mean of (those with a known reply length). */
  keys: number;
  source: RecordSource;
}

/** The mean cost of the keys with a known reply length; undefined when none has one. */
export function meanEntryBytes(keyBytes: Int32Array, replyBytes: Int32Array, source: RecordSource): EntryEstimate | undefined {
  let total = 0;
  let keys = 0;
  for (let id = 0; id < keyBytes.length; id++) {
    if (replyBytes[id] < 0) continue;
    total += entryBytes(source, keyBytes[id], replyBytes[id]);
    keys++;
  }
  return keys === 0 ? undefined : { bytes: total / keys, keys, source };
}
