/**
 * How values become Redis strings and back. The L1 holds live values; only L2 sees bytes.
 *
 * The default is JSON text (UTF-8), except that a Buffer is stored as its raw bytes, so other
 * programs can read and write the same keys. Reading cannot know which of the two a stored string
 * was: bytes that parse as JSON come back parsed, anything else comes back as a Buffer. A Buffer
 * whose bytes happen to be JSON text (`Buffer.from('42')`) therefore reads back from L2 as `42`:
 * a cache of Buffers should use `bufferSerializer`.
 */
export interface Serializer<V> {
  serialize(value: V): Buffer | string;
  deserialize(bytes: Buffer): V;
}

export const jsonSerializer: Serializer<unknown> = {
  serialize(value: unknown): Buffer | string {
    if (Buffer.isBuffer(value)) return value;
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`cannot store a ${typeof value} in Redis as JSON`);
    return text;
  },
  deserialize(bytes: Buffer): unknown {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      return bytes;
    }
  },
};

/** Buffers as-is, both ways: for a cache whose values are all Buffers. */
export const bufferSerializer: Serializer<Buffer> = {
  serialize(value: Buffer): Buffer {
    if (!Buffer.isBuffer(value)) throw new TypeError(`bufferSerializer stores Buffers, got ${typeof value}`);
    return value;
  },
  deserialize: (bytes: Buffer) => bytes,
};
