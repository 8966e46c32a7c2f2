/** Password checks that take the same time wherever the guess differs. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares digests (of equal length), so neither the place nor the length of a difference shows. */
export function samePassword(given: Buffer, expected: string): boolean {
  const digest = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
