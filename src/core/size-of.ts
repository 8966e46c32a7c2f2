/**
 * Estimates how many bytes of V8 heap a key or value occupies, so that `maxBytes` means real
 * memory. The model (64-bit V8 without pointer compression, as Node ships):
 * - string: 16-byte header + 1 byte per character (2 when any character is above U+00FF),
 *   rounded up to 8; 0 for the empty string and single Latin-1 characters, which V8 shares;
 * - number: 0 for a small integer (stored in place), else 16 (a heap number);
 *   boolean, null, undefined: 0; bigint: 16 + 8 per 64-bit digit;
 * - Buffer / typed array / ArrayBuffer / DataView: its byte length + 176 for the view and buffer
 *   objects and the backing-store record (the bytes themselves live outside the JS heap, in
 *   `arrayBuffers`);
 * - array: 48 + 8 per slot, plus its elements; plain object: 24 + 8 per own property, plus its
 *   values (property names are shared by the object's hidden class and not counted);
 * - Map / Set: 64 + 40 per entry plus contents; Date: 48; anything else: 64.
 * Nested values are followed to a depth of 16; an object met twice is counted once.
 */

/**
 * What a heap object costs, per byte it occupies, in a process that collects its old generation
 * once it has grown by a tenth (the proxy's, src/proxy/gc-tuning.ts): dead objects of up to a
 * tenth of the live ones wait for the next collection. For budgets that count a whole process.
 */
export const HEAP_FACTOR = 1.125;

const TWO_BYTE = /[^\u0000-\u00ff]/;
const BINARY_OVERHEAD = 176;

export function stringBytes(s: string): number {
  if (s.length <= 1 && (s.length === 0 || s.charCodeAt(0) <= 0xff)) return 0;
  const chars = TWO_BYTE.test(s) ? s.length * 2 : s.length;
  return 16 + ((chars + 7) & ~7);
}

/** `stringBytes` of a Latin-1 string from its length alone (estimates from recorded lengths). */
export function latin1StringBytes(length: number): number {
  return length <= 1 ? 0 : 16 + ((length + 7) & ~7);
}

export function estimateBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return (value | 0) === value ? 0 : 16;
    case 'bigint':
      return 16 + 8 * Math.ceil(value.toString(16).length / 16);
    case 'object':
      if (value === null) return 0;
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength + BINARY_OVERHEAD;
      return objectBytes(value, new Set(), 0);
    case 'symbol':
    case 'function':
      return 64;
    default:
      return 0;
  }
}

const MAX_DEPTH = 16;

function nestedBytes(value: unknown, seen: Set<object>, depth: number): number {
  if (value === null || typeof value !== 'object') return estimateBytes(value);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return estimateBytes(value);
  return objectBytes(value, seen, depth);
}

function objectBytes(o: object, seen: Set<object>, depth: number): number {
  if (seen.has(o)) return 0;
  seen.add(o);
  const deeper = depth + 1;
  if (deeper > MAX_DEPTH) return 64;
  if (Array.isArray(o)) {
    let total = 48 + 8 * o.length;
    for (let i = 0; i < o.length; i++) total += nestedBytes(o[i], seen, deeper);
    return total;
  }
  if (o instanceof Map) {
    let total = 64 + 40 * o.size;
    for (const [k, v] of o) total += nestedBytes(k, seen, deeper) + nestedBytes(v, seen, deeper);
    return total;
  }
  if (o instanceof Set) {
    let total = 64 + 40 * o.size;
    for (const v of o) total += nestedBytes(v, seen, deeper);
    return total;
  }
  if (o instanceof Date) return 48;
  let total = 24;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    total += 8 + nestedBytes((o as Record<string, unknown>)[k], seen, deeper);
  }
  return total;
}
