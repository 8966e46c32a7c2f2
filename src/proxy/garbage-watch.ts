/**
 * Collects the garbage a client left when nothing else would. V8 frees a Buffer's memory only
 * when a collection finds it dead, and collects when the process allocates: after clients that
 * sent hundreds of MB leave an idle proxy, that memory stays in the RSS until V8's memory reducer
 * gets to it (5-10 s measured, with no promise). A connection that held LARGE_GARBAGE_BYTES of
 * input or more calls garbageReleased when it closes, and a full collection runs within
 * CHECK_MS: at most one per CHECK_MS, however many connections close.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

const CHECK_MS = 1000;
/** Input held by a connection past which its close asks for a collection. */
export const LARGE_GARBAGE_BYTES = 16 * 1024 * 1024;

let collect: (() => void) | undefined;
let scheduled: NodeJS.Timeout | undefined;
let lastRun = -Infinity;

/** V8's `gc()`: exposed by --expose-gc, which a new context gets when the flag is set at run time. */
function fullCollector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Turns the collections on for this process (a proxy process: see gc-tuning.ts). */
export function watchGarbage(): void {
  collect ??= fullCollector();
}

/** A connection that held LARGE_GARBAGE_BYTES or more closed: collect soon (if the watch is on). */
export function garbageReleased(): void {
  if (collect === undefined || scheduled !== undefined) return;
  // After this turn, once the connection is let go of; and no sooner than CHECK_MS after the last.
  const wait = Math.max(0, lastRun + CHECK_MS - performance.now());
  scheduled = setTimeout(() => {
    scheduled = undefined;
    lastRun = performance.now();
    collect!();
  }, wait);
  scheduled.unref();
}
