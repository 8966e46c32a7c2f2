/**
 * Hit ratios on the public traces and the synthetic workloads: the engine, exact LRU and
 * Bélády's OPT, judged against the published W-TinyLFU figures. The replay is `cachee
 * simulate`'s (src/sim/replay.ts), so both print the same figures for a trace.
 *
 *   node --import tsx bench/hitratio/run.ts [--trace NAME]... [--size N]... [--bound B] [--json]
 *
 * `--bound` says how the cache of `size` entries is bounded: `entries` (default, `maxEntries:
 * size`), `bytes` (`maxBytes: size`, each entry 1 byte: the cache learns its capacity in entries
 * as it fills) or `both` (as `bytes`, plus a `maxEntries` of 10 x size that the bytes reach first).
 * `--trace` takes trace or workload names (repeatable, or comma-separated); `--size` replaces each
 * one's list of sizes. Protocol (Caffeine's and Otter's): for each request `get`, and on a miss
 * `set`; every request counts, cold misses included. The engine's figure is the median of 3 runs.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Cache } from '../../src/core/cache.js';
import { policyHits, type CacheFactory } from '../../src/sim/replay.js';
import { referenceFor } from './references.js';
import { loadWorkload, WORKLOAD_NAMES } from './synthetic.js';
import { loadTrace, TRACE_NAMES, type Trace, type TraceName } from './traces.js';

export type Verdict = 'best' | 'ok' | 'SHORT';

export interface HitRatioRow {
  trace: string;
  size: number;
  requests: number;
  /** Hit ratios, percent; `cachee` is the cache under test (the engine unless a factory is given). */
  cachee: number;
  lru: number;
  opt: number;
  /** From the README's reference table, when it has this trace and size. */
  reference?: {
    ref: number;
    refSource: string;
    others: Record<string, number>;
    /** The README's own LRU and OPT figures, which `lru` and `opt` should equal to 0.01. */
    lru: number;
    opt: number;
  };
  /** cachee − ref, and the verdict; only with a reference. */
  delta?: number;
  verdict?: Verdict;
}

export interface HitRatioResult {
  traces: HitRatioRow[];
  synthetic: HitRatioRow[];
}

export interface HitRatioOptions {
  /** Trace and workload names to run; default: all. */
  names?: string[];
  /** Sizes to run instead of each trace's own list. */
  sizes?: number[];
  /** The cache under test; default: the engine. */
  factory?: CacheFactory;
}

export const TRACE_SIZES: Record<TraceName, number[]> = {
  gli: [500, 1000, 2000],
  loop: [250, 500, 1000],
  oltp: [250, 1000, 2000],
  p3: [25_000, 100_000, 400_000],
  scarab: [10_000, 50_000, 100_000],
  mixed: [500, 1000, 2000],
};

/**
 * `best`: at least every published figure of the row and LRU (capped at OPT, as chart read-offs
 * can exceed it); `ok`: within half a point of the best W-TinyLFU figure; else `SHORT`.
 */
export function verdict(row: HitRatioRow): Verdict | undefined {
  const r = row.reference;
  if (r === undefined) return undefined;
  const bar = Math.min(row.opt, Math.max(row.lru, r.ref, ...Object.values(r.others)));
  if (row.cachee >= bar) return 'best';
  return row.cachee >= r.ref - 0.5 ? 'ok' : 'SHORT';
}

function simulate(trace: Trace, sizes: number[], factory: CacheFactory | undefined): HitRatioRow[] {
  const n = trace.keys.length;
  const percent = (hits: number) => (100 * hits) / n;
  return policyHits(trace, sizes, { factory }).map(({ size, cachee, lru, opt }) => {
    const row: HitRatioRow = { trace: trace.name, size, requests: n, cachee: percent(cachee), lru: percent(lru), opt: percent(opt) };
    const ref = referenceFor(trace.name, size);
    if (ref !== undefined) {
      row.reference = { ref: ref.ref, refSource: ref.refSource, others: ref.others, lru: ref.lru, opt: ref.opt };
      row.delta = row.cachee - ref.ref;
      row.verdict = verdict(row);
    }
    return row;
  });
}

function checkNames(names: string[] | undefined): void {
  const known: string[] = [...TRACE_NAMES, ...WORKLOAD_NAMES];
  const unknown = names?.filter((name) => !known.includes(name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown trace ${unknown.join(', ')}; known: ${known.join(', ')}`);
}

export function runHitRatio(options: HitRatioOptions = {}): HitRatioResult {
  const { names, sizes, factory } = options;
  checkNames(names);
  const wanted = (name: string) => names === undefined || names.includes(name);
  return {
    traces: TRACE_NAMES.filter(wanted).flatMap((name) => simulate(loadTrace(name), sizes ?? TRACE_SIZES[name], factory)),
    synthetic: WORKLOAD_NAMES.filter(wanted).flatMap((name) => {
      const workload = loadWorkload(name);
      return simulate(workload, sizes ?? workload.sizes, factory);
    }),
  };
}

// ---------------------------------------------------------------- printing

const pct = (x: number) => x.toFixed(2);
function signed(x: number): string {
  const rounded = Number(x.toFixed(2));
  return (rounded > 0 ? '+' : rounded < 0 ? '−' : '') + Math.abs(rounded).toFixed(2);
}

/** `align` has one letter per column: `l` for text, `r` for numbers. */
function table(headers: string[], align: string, rows: string[][]): string {
  const rule = headers.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  const lines = [`| ${headers.join(' | ')} |`, `| ${rule.join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

export function traceTable(rows: HitRatioRow[]): string {
  const body = rows.map((r) => [
    String(r.size),
    pct(r.cachee),
    pct(r.lru),
    pct(r.opt),
    r.reference?.refSource ?? '',
    r.delta === undefined ? '' : signed(r.delta),
    r.verdict ?? '',
  ]);
  const out = [table(['size', 'cachee', 'LRU', 'OPT', 'W-TinyLFU ref', 'cachee − ref', 'verdict'], 'rrrrlrl', body)];
  // The README's figures are rounded to 2 decimals, so equal to 0.01 means equal once rounded.
  for (const r of rows) {
    const ref = r.reference;
    if (ref !== undefined && (pct(r.lru) !== pct(ref.lru) || pct(r.opt) !== pct(ref.opt))) {
      out.push(`\nwarning: size ${r.size}: LRU ${pct(r.lru)} / OPT ${pct(r.opt)} differ from the README's ${pct(ref.lru)} / ${pct(ref.opt)}`);
    }
  }
  return out.join('');
}

export function syntheticTable(rows: HitRatioRow[]): string {
  return table(
    ['workload', 'size', 'cachee', 'LRU', 'OPT', 'cachee − LRU'],
    'lrrrrr',
    rows.map((r) => [r.trace, String(r.size), pct(r.cachee), pct(r.lru), pct(r.opt), signed(r.cachee - r.lru)]),
  );
}

function main(): void {
  const { values } = parseArgs({
    options: {
      trace: { type: 'string', multiple: true },
      size: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      bound: { type: 'string', default: 'entries' },
    },
  });
  const names = values.trace?.flatMap((t) => t.split(','));
  const sizes = values.size?.flatMap((s) => s.split(',')).map((s) => {
    const n = Number(s.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--size ${s}: expected a positive integer`);
    return n;
  });
  checkNames(names);
  const bound = values.bound!;
  if (!Object.hasOwn(BOUNDS, bound)) throw new Error(`--bound ${bound}: expected ${Object.keys(BOUNDS).join(', ')}`);
  const factory = BOUNDS[bound];

  if (values.json) {
    console.log(JSON.stringify(runHitRatio({ names, sizes, factory }), null, 2));
    return;
  }

  console.log(`# cachee hit ratios, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; percent of all requests, no warm-up\n`);
  if (factory !== undefined) console.log(`Caches bounded by ${bound}: see --bound in bench/hitratio/run.ts.\n`);
  console.log(hitRatioReport(names, sizes, factory));
}

/** The engine bounded in other ways, one byte an entry, for the same capacity (undefined: by entries). */
const BOUNDS: Record<string, CacheFactory | undefined> = {
  entries: undefined,
  bytes: (size) => new Cache<number, number>({ maxBytes: size, sizeOf: () => 1 }),
  both: (size) => new Cache<number, number>({ maxEntries: 10 * size, maxBytes: size, sizeOf: () => 1 }),
};

/** The hit-ratio tables of the named traces and workloads (default: all), as markdown. */
export function hitRatioReport(names?: string[], sizes?: number[], factory?: CacheFactory): string {
  checkNames(names);
  const out: string[] = [];
  const start = performance.now();
  for (const name of TRACE_NAMES) {
    if (names !== undefined && !names.includes(name)) continue;
    const rows = runHitRatio({ names: [name], sizes, factory }).traces;
    const trace = loadTrace(name);
    out.push(`## ${name} (${trace.keys.length.toLocaleString('en-US')} requests, ${trace.distinct.toLocaleString('en-US')} distinct keys)\n`);
    out.push(`${traceTable(rows)}\n`);
  }
  const workloads = WORKLOAD_NAMES.filter((name) => names === undefined || names.includes(name));
  if (workloads.length > 0) {
    out.push('## synthetic workloads\n');
    out.push(workloads.map((name) => `- ${name}: ${loadWorkload(name).description}`).join('\n') + '\n');
    out.push(`${syntheticTable(runHitRatio({ names: workloads, sizes, factory }).synthetic)}\n`);
  }
  out.push(`(${((performance.now() - start) / 1000).toFixed(1)} s)`);
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
