/**
 * A coarse monotonic clock in milliseconds for TTL checks on the hit path.
 *
 * `performance.now()` costs about as much as a whole `Map.get`, so a hit must not call it. The
 * value read is reused until a 1 ms timer clears it, and re-read every 256 calls in any case so
 * that a long synchronous loop (which starves the timer) still sees time move. An entry can
 * therefore be served at most about a millisecond past its deadline.
 */
import { performance } from 'node:perf_hooks';

let cached = 0;
let calls = 0;
let timerPending = false;

function forget(): void {
  cached = 0;
  timerPending = false;
}

export function coarseNow(): number {
  if (cached === 0 || (++calls & 255) === 0) refresh();
  return cached;
}

function refresh(): void {
  // +1 keeps the value non-zero, since zero marks "not read yet".
  cached = performance.now() + 1;
  if (!timerPending) {
    timerPending = true;
    setTimeout(forget, 1).unref();
  }
}
