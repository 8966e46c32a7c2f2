/**
 * Readers for the public traces in `../shared/traces` (see its README for formats and provenance).
 * Every trace is returned as dense ids (0 .. distinct-1, in order of first appearance) so the
 * caches under test see small integer keys and the simulators can index typed arrays by key.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface Trace {
  name: string;
  /** One dense id per request. */
  keys: Int32Array;
  /** Number of distinct keys; ids are 0 .. distinct-1. */
  distinct: number;
}

export const TRACE_NAMES = ['gli', 'loop', 'oltp', 'p3', 'scarab', 'mixed'] as const;
export type TraceName = (typeof TRACE_NAMES)[number];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tracesDir(): string {
  return path.resolve(REPO_ROOT, process.env.CACHEE_TRACES ?? '../shared/traces');
}

function readRaw(file: string): Buffer {
  const full = path.join(tracesDir(), file);
  if (file.endsWith('.gz')) return gunzipSync(readFileSync(full));
  if (file.endsWith('.xz')) {
    const xz = spawnSync('xz', ['-dc', full], { maxBuffer: 1 << 30 });
    if (xz.error) throw xz.error;
    if (xz.status !== 0) throw new Error(`xz -dc ${full} failed: ${xz.stderr.toString().trim()}`);
    return xz.stdout;
  }
  return readFileSync(full);
}

/** Raw keys: numbers for the text formats; 8-byte latin1 strings for the binary one (64-bit keys do not fit a double). */
type RawKey = number | string;

type Reader = (data: Buffer, emit: (key: RawKey) => void) => void;

const lirsKeys: Reader = (data, emit) => {
  for (const line of data.toString('latin1').split('\n')) {
    const t = line.trim();
    if (t !== '' && t !== '*') emit(Number(t));
  }
};

const arcKeys: Reader = (data, emit) => {
  for (const line of data.toString('latin1').split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    const space = t.indexOf(' ');
    const start = Number(t.slice(0, space));
    const count = Number(t.slice(space + 1, t.indexOf(' ', space + 1)));
    for (let k = 0; k < count; k++) emit(start + k);
  }
};

const binaryKeys: Reader = (data, emit) => {
  if (data.length % 8 !== 0) throw new Error(`binary trace length ${data.length} is not a multiple of 8`);
  for (let off = 0; off < data.length; off += 8) emit(data.toString('latin1', off, off + 8));
};

/** Maps raw keys to dense ids; one instance per trace, so a composed trace shares ids across its parts. */
class Densifier {
  private readonly ids = new Map<RawKey, number>();
  private out = new Int32Array(1 << 16);
  private length = 0;

  readonly add = (key: RawKey): void => {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    if (this.length === this.out.length) {
      const grown = new Int32Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.length++] = id;
  };

  finish(name: string): Trace {
    return { name, keys: this.out.slice(0, this.length), distinct: this.ids.size };
  }
}

type Part = [file: string, reader: Reader];

const PARTS: Record<TraceName, Part[]> = {
  gli: [['gli.trace.gz', lirsKeys]],
  loop: [['loop.trace.gz', lirsKeys]],
  oltp: [['oltp.arc.gz', arcKeys]],
  p3: [['p3.arc.gz', arcKeys]],
  scarab: [['scarab-recs.trace.xz', binaryKeys]],
  mixed: [
    ['trace_vaultservice.gz', binaryKeys],
    ['loop.trace.gz', lirsKeys],
    ['trace_vaultservice.gz', binaryKeys],
  ],
};

const loaded = new Map<TraceName, Trace>();

/** Decodes a trace once per process; later calls return the same arrays. */
export function loadTrace(name: TraceName): Trace {
  let trace = loaded.get(name);
  if (trace === undefined) {
    const parts = PARTS[name];
    if (parts === undefined) throw new Error(`unknown trace ${name}; known: ${TRACE_NAMES.join(', ')}`);
    const ids = new Densifier();
    for (const [file, reader] of parts) reader(readRaw(file), ids.add);
    trace = ids.finish(name);
    loaded.set(name, trace);
  }
  return trace;
}
