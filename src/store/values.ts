/**
 * What the store keeps under a key, and what it costs. Strings and hash fields are latin1 JS
 * strings (binary-safe, one byte per char, 16 bytes of header), which cost far less than a
 * Buffer per value (about 100 bytes of objects, or a pinned 8 KiB pool slab).
 *
 * `expiresAt` (unix ms, 0: none) and `slot` (the key's place in its database's index, -1:
 * none) belong to the database and are changed only by it.
 */
import { ENTRY_OVERHEAD_BYTES } from '../core/cache.js';
import { latin1StringBytes, stringBytes } from '../core/size-of.js';

/** An entry object: header, map and 4 fields. */
const ENTRY_OBJECT_BYTES = 56;
/** A Map: the object plus its initial hash table. */
const MAP_BYTES = 64;
/** A Map entry: key, value and chain words, its share of buckets, and growth slack. */
const MAP_ENTRY_BYTES = 40;
/** The key's place in the database index (a slot of an array of keys). */
const INDEX_BYTES = 8;

export class StringEntry {
  readonly type = 'string';
  expiresAt = 0;
  slot = -1;

  constructor(public value: string) {}
}

export class HashEntry {
  readonly type = 'hash';
  expiresAt = 0;
  slot = -1;

  constructor(
    readonly fields = new Map<string, string>(),
    /** Heap bytes of the fields and values, kept current by `setField` / `deleteField`. */
    public payloadBytes = MAP_BYTES,
  ) {}

  get(field: string): string | undefined {
    return this.fields.get(field);
  }

  /** Returns true when the field is new. */
  setField(field: string, value: string): boolean {
    const old = this.fields.get(field);
    this.fields.set(field, value);
    if (old === undefined) {
      this.payloadBytes += MAP_ENTRY_BYTES + stringBytes(field) + stringBytes(value);
      return true;
    }
    this.payloadBytes += stringBytes(value) - stringBytes(old);
    return false;
  }

  deleteField(field: string): boolean {
    const old = this.fields.get(field);
    if (old === undefined) return false;
    this.fields.delete(field);
    this.payloadBytes -= MAP_ENTRY_BYTES + stringBytes(field) + stringBytes(old);
    return true;
  }

  get size(): number {
    return this.fields.size;
  }
}

export type Entry = StringEntry | HashEntry;
export type ValueType = Entry['type'];


/**
 * What an entry costs in heap bytes: the engine's per-entry bookkeeping, the key (as the engine
 * and the index share it), the entry object and its payload (see src/core/size-of.ts for the
 * string model). This is the engine's `sizeOf`, so it is what `maxBytes` bounds.
 */
export function entryBytes(key: string, entry: Entry): number {
  const payload = entry.type === 'string' ? stringBytes(entry.value) : entry.payloadBytes;
  return ENTRY_OVERHEAD_BYTES + stringBytes(key) + INDEX_BYTES + ENTRY_OBJECT_BYTES + payload;
}

/** `entryBytes` of a string value from the lengths of its key and value alone (estimates from recorded lengths). */
export function stringEntryBytes(keyLength: number, valueLength: number): number {
  return ENTRY_OVERHEAD_BYTES + latin1StringBytes(keyLength) + INDEX_BYTES + ENTRY_OBJECT_BYTES + latin1StringBytes(valueLength);
}
