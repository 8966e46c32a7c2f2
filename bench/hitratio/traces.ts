/**
 * The public traces in `bench/traces` (see its README for formats, provenance and licences), by name,
 * read with cachee's own trace readers (src/sim) into dense-id traces.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTraceSync, type TraceFormat } from '../../src/sim/trace-file.js';
import { Densifier, type Trace } from '../../src/sim/trace.js';

export type { Trace } from '../../src/sim/trace.js';

export const TRACE_NAMES = ['gli', 'loop', 'oltp', 'p3', 'scarab', 'mixed'] as const;
export type TraceName = (typeof TRACE_NAMES)[number];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tracesDir(): string {
  return path.resolve(REPO_ROOT, process.env.CACHEE_TRACES ?? 'bench/traces');
}

type Part = [file: string, format: TraceFormat];

const PARTS: Record<TraceName, Part[]> = {
  gli: [['gli.trace.gz', 'lirs']],
  loop: [['loop.trace.gz', 'lirs']],
  oltp: [['oltp.arc.gz', 'arc']],
  p3: [['p3.arc.gz', 'arc']],
  scarab: [['scarab-recs.trace.xz', 'binary64']],
  mixed: [
    ['trace_vaultservice.gz', 'binary64'],
    ['loop.trace.gz', 'lirs'],
    ['trace_vaultservice.gz', 'binary64'],
  ],
};

/** The file of a single-file trace, for tests that read it the way `cachee simulate` does. */
export function traceFile(name: Exclude<TraceName, 'mixed'>): string {
  return path.join(tracesDir(), PARTS[name][0][0]);
}

const loaded = new Map<TraceName, Trace>();

/** Decodes a trace once per process; later calls return the same arrays. */
export function loadTrace(name: TraceName): Trace {
  let trace = loaded.get(name);
  if (trace === undefined) {
    const parts = PARTS[name];
    if (parts === undefined) throw new Error(`unknown trace ${name}; known: ${TRACE_NAMES.join(', ')}`);
    const ids = new Densifier();
    for (const [file, format] of parts) readTraceSync(path.join(tracesDir(), file), format, ids);
    trace = ids.finish(name);
    loaded.set(name, trace);
  }
  return trace;
}
