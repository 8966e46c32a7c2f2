/**
 * The one guard on every key `cachee bench` writes, reads or deletes: it throws unless the key is
 * under `cachee:bench:`, so a bug (or a bad --prefix) cannot touch the user's own keys.
 */
import { CliError } from '../errors.js';

export const BENCH_PREFIX = 'cachee:bench:';

/** A key outside the bench's namespace: a bug, not bad input. */
export class ForeignKeyError extends Error {
  constructor(key: string) {
    super(`cachee bench: refusing to touch ${JSON.stringify(key)}: its keys all start with ${BENCH_PREFIX}`);
    this.name = 'ForeignKeyError';
  }
}

/** Returns `key` if it is the bench's own, else throws ForeignKeyError. */
export function benchKey(key: string): string {
  if (!key.startsWith(BENCH_PREFIX)) throw new ForeignKeyError(key);
  return key;
}

/** A --prefix value: it must itself lie under `cachee:bench:` (exit 2 otherwise). */
export function checkPrefix(prefix: string): string {
  if (!prefix.startsWith(BENCH_PREFIX)) {
    throw new CliError(`error: --prefix: must start with ${BENCH_PREFIX} so the bench cannot touch other keys (got ${JSON.stringify(prefix)})`, 2);
  }
  return prefix;
}
