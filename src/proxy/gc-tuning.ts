/**
 * GC settings for a process that runs a proxy and nothing else (`cachee start`, each --workers
 * worker): its heap is mostly L1, so it should hold little beyond L1.
 *
 * By default V8 lets the young generation grow to 3 x 16 MB and the old one to a multiple of what
 * survived the last collection (and at least 8 MB more) before it collects again; under L1's
 * eviction churn that took the RSS to 5x a 64 MB budget (`npm run bench:proxy`, memory section).
 * A young generation kept at its initial size and an old one collected at +10% (steps of 2 MB
 * at least, with --optimize-for-size) hold the RSS near budget + 100 MB; the hit path allocates
 * too little for the extra collections to cost anything measurable. These flags are read as the
 * heap runs, so setting them once the process runs takes effect. Garbage outside the heap that
 * an idle process would keep is collected by ./garbage-watch.ts.
 */
import v8 from 'node:v8';
import { watchGarbage } from './garbage-watch.js';

export function tuneGcForProxyProcess(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--heap-growing-percent=10');
  v8.setFlagsFromString('--optimize-for-size');
  watchGarbage();
}
