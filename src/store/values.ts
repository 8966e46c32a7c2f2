/**
 * What the store keeps under a key, and what it costs. Strings and hash fields are latin1 JS
 * strings (binary-safe, one byte per char, 16 bytes of header), which cost far less than a
 * Buffer per value (about 100 bytes of objects, or a pinned 8 KiB pool slab).
 *
 * `expiresAt` (unix ms, 0: none) and `slot` (the key's place in its database's index, -1:
 * none) belong to the database and are changed only by it.
 */
import { TYPICAL_STRUCTURE_BYTES } from '../core/cache.js';
import { HEAP_FACTOR, latin1StringBytes, stringBytes } from '../core/size-of.js';
import { INDEX_BYTES_PER_SLOT } from './database.js';
import type { SetEntry } from './set-value.js';
import type { ZsetEntry } from './zset-value.js';
import type { ListpackLimits } from './listpack-limits.js';
import type { ListEntry } from './list-entry.js';

/** An entry object: header, map and 4 fields. */
const ENTRY_OBJECT_BYTES = 56;
/**
 * The engine's key is the database's prefix + the key: V8 makes a string of 13 characters or
 * more a ConsString of the two (32 bytes beside their characters), and keeps it when it flattens
 * it on the first lookup by its characters.
 */
const CONS_STRING_BYTES = 32;
const CONS_MIN_LENGTH = 13;

function keyBytes(key: string): number {
  return stringBytes(key) + (key.length >= CONS_MIN_LENGTH ? CONS_STRING_BYTES : 0);
}
/** A Map: the object plus its initial hash table. */
const MAP_BYTES = 64;
/** A Map entry: key, value and chain words, its share of buckets, and growth slack. */
const MAP_ENTRY_BYTES = 40;

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
    /**
     * Whether Redis 7.0 would hold this hash as a listpack rather than a hash table: a new hash is
     * one until a write makes it longer than hash-max-listpack-entries or sets a field or value
     * longer than hash-max-listpack-value (t_hash.c's hashTypeSet); it never goes back. Clients
     * see it in OBJECT ENCODING.
     */
    public listpack = true,
  ) {}

  get(field: string): string | undefined {
    return this.fields.get(field);
  }

  /** Returns true when the field is new. The hash stops being a listpack past the limits. */
  setField(field: string, value: string, limits: ListpackLimits): boolean {
    if (field.length > limits.value || value.length > limits.value) this.listpack = false;
    const old = this.fields.get(field);
    this.fields.set(field, value);
    // Checked on an update too: the limit may have been lowered since the hash was written.
    if (this.fields.size > limits.entries) this.listpack = false;
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

export type Entry = StringEntry | HashEntry | SetEntry | ListEntry | ZsetEntry;
export type ValueType = Entry['type'];


/**
 * What an entry holds by itself in the heap: the key (as the engine and the index share it), the
 * entry object and its payload (see src/core/size-of.ts for the string model), at HEAP_FACTOR.
 * This is the engine's `sizeOf`; the engine counts its structures and the databases' indexes
 * beside it (countStructures), and `maxBytes` bounds the sum.
 */
export function entryBytes(key: string, entry: Entry): number {
  const payload = entry.type === 'string' ? stringBytes(entry.value) : entry.payloadBytes;
  return Math.ceil((keyBytes(key) + ENTRY_OBJECT_BYTES + payload) * HEAP_FACTOR);
}

/**
 * `entryBytes` of a string value from the lengths of its key and value alone, with its typical
 * share of the structures (estimates from recorded lengths).
 */
export function stringEntryBytes(keyLength: number, valueLength: number): number {
  const cons = keyLength + 1 >= CONS_MIN_LENGTH ? CONS_STRING_BYTES : 0;
  const heap = latin1StringBytes(keyLength + 1) + cons + ENTRY_OBJECT_BYTES + latin1StringBytes(valueLength);
  return Math.ceil(heap * HEAP_FACTOR) + TYPICAL_STRUCTURE_BYTES + INDEX_BYTES_PER_SLOT;
}
