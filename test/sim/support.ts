/** Helpers for the simulation tests. */

/**
 * Runs `fn` with crypto.getRandomValues filling every array with one fixed pattern: the engine's
 * only source of randomness (hash seed, admission jitter), so every Cache made meanwhile makes
 * the same choices on the same keys.
 */
export function withFixedEngineRandomness<T>(fn: () => T): T {
  const crypto = globalThis.crypto;
  Object.defineProperty(crypto, 'getRandomValues', {
    configurable: true,
    value: <A extends ArrayBufferView | null>(array: A): A => {
      if (array !== null) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(0x5a);
      return array;
    },
  });
  const restore = () => void delete (crypto as { getRandomValues?: unknown }).getRandomValues;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    restore();
    throw err;
  }
  // An async fn keeps the fixed randomness until it settles.
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
