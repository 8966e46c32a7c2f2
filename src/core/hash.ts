/**
 * Seeded 32-bit hashing of cache keys for the frequency sketch.
 *
 * Hand-written because it runs on the write path, whenever an entry competes for admission or
 * leaves (the engine does not store it: see Cache.hashOf). The per-instance seed
 * makes the hash unpredictable from outside the process, so an attacker cannot pick keys that
 * collide in the sketch (hash flooding).
 */

const float64 = new Float64Array(1);
const float64Words = new Int32Array(float64.buffer);

let nextObjectId = 0x9e3779b9 | 0;
const objectIds = new WeakMap<object, number>();

/** Murmur3's 32-bit finalizer: spreads every input bit over the whole word. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function hashString(s: string, seed: number): number {
  const n = s.length;
  let h = seed ^ n;
  let i = 0;
  // Two UTF-16 units per multiply halves the loop's cost on the usual ASCII keys.
  for (; i + 1 < n; i += 2) {
    h = Math.imul(h ^ (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)), 0x01000193);
  }
  if (i < n) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

function hashNumber(x: number, seed: number): number {
  if ((x | 0) === x) return mix32(x ^ seed);
  float64[0] = x;
  return mix32(Math.imul(float64Words[0] ^ seed, 0x01000193) ^ float64Words[1]);
}

function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) {
    nextObjectId = (nextObjectId + 0x6d2b79f5) | 0;
    id = nextObjectId;
    objectIds.set(o, id);
  }
  return id;
}

/** Hashes any key the way `Map` compares it (SameValueZero): equal keys hash equally. */
export function hashKey(key: unknown, seed: number): number {
  switch (typeof key) {
    case 'string':
      return hashString(key, seed);
    case 'number':
      return hashNumber(key === 0 ? 0 : key, seed); // -0 and +0 are one Map key
    case 'object':
    case 'function':
      return key === null ? mix32(seed ^ 0x5bd1e995) : mix32(objectId(key as object) ^ seed);
    case 'bigint':
      return hashString(key.toString(), seed ^ 0x27d4eb2f);
    case 'boolean':
      return mix32(seed ^ (key ? 0x1b873593 : 0xcc9e2d51));
    case 'symbol':
      // Distinct symbols with one description collide here; that only costs sketch precision.
      return hashString(key.description ?? '', seed ^ 0x165667b1);
    default:
      return mix32(seed ^ 0x3c6ef372); // undefined
  }
}
