/**
 * `cachee simulate FILE --sizes 1k,10k,100k [--format F] [--json] [--svg FILE]`: the hit ratio of
 * the engine, LRU and Bélády's OPT at each cache size on a trace (a `cachee record` log, a file
 * of keys, or a public trace format), and what each size takes in memory, so that `--l1-memory`
 * can be read off a curve.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliDeps } from './deps.js';
import { CliError, fileErrorReason, messageOf } from './errors.js';
import { ProgressLine } from './progress.js';
import { formatCount } from './status.js';
import { humanSize } from './units.js';
import { alignColumns } from '../report/text-table.js';
import { lineChart } from '../report/line-chart.js';
import { simulate, SizeTooSmallError, type Simulation } from '../sim/simulate.js';
import { loadTraceFile, type LoadedTrace, type TraceFormat } from '../sim/trace-file.js';
import { EmptyTraceError, TraceFormatError } from '../sim/trace.js';
import { ENGINE_RUNS } from '../sim/replay.js';

export interface SimulateOptions {
  file: string;
  sizes: number[];
  /** Default: detected from the content. */
  format?: TraceFormat;
  json: boolean;
  /** Also write the curve here, as SVG. */
  svg?: string;
}

/** One object per size, ratios 0 to 1, as `--json` prints it. */
export interface SimulateJsonRow {
  size: number;
  cachee: number;
  lru: number;
  opt: number;
  memoryBytes?: number;
  /** Only for a sampled log: the cache size replayed on the sample. */
  simulatedSize?: number;
}

function fail(file: string, reason: string): CliError {
  return new CliError(`cachee simulate: ${file}: ${reason}`, 1);
}

async function load(options: SimulateOptions, progress: ProgressLine): Promise<LoadedTrace> {
  const { file, format } = options;
  try {
    return await loadTraceFile(file, { format, onProgress: (requests) => progress.update(`reading ${file}: ${formatCount(requests)} requests`) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A path through a file (ENOTDIR) names no file either.
    const reason = code === 'ENOTDIR' ? 'no such file' : fileErrorReason(err);
    if (reason !== undefined) throw fail(file, `cannot read it (${reason})`);
    if (err instanceof TraceFormatError) {
      const hint = format === undefined && !(err instanceof EmptyTraceError) ? '; if it is in another format, name it with --format' : '';
      throw fail(file, `${err.message}${hint}`);
    }
    if (code?.startsWith('Z_')) throw fail(file, `cannot decompress it (${messageOf(err)})`);
    throw fail(file, messageOf(err));
  }
}

export function jsonRows(simulation: Simulation): SimulateJsonRow[] {
  return simulation.rows.map((row) => {
    const out: SimulateJsonRow = { size: row.size, cachee: row.cachee, lru: row.lru, opt: row.opt };
    if (row.memoryBytes !== undefined) out.memoryBytes = row.memoryBytes;
    if (simulation.sampleRate < 1) out.simulatedSize = row.simulatedSize;
    return out;
  });
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(2)}%`;

/** The report: what was read, a table of sizes, and a footnote line for each estimate made. */
export function formatSimulation(loaded: LoadedTrace, simulation: Simulation, file: string): string {
  const how = [loaded.detected ? `${loaded.format} (detected)` : loaded.format, ...(loaded.compression === 'none' ? [] : [loaded.compression])].join(', ');
  const lines = [`${file}: ${how}, ${formatCount(simulation.requests)} requests, ${formatCount(simulation.distinct)} distinct keys`, ''];
  const header = ['size', 'cachee', 'LRU', 'OPT', 'memory'];
  const rows = simulation.rows.map((row) => [
    formatCount(row.size),
    percent(row.cachee),
    percent(row.lru),
    percent(row.opt),
    row.memoryBytes === undefined ? 'n/a' : humanSize(row.memoryBytes),
  ]);
  lines.push(...alignColumns([header, ...rows]));
  lines.push('');
  lines.push(`Hit ratios of all requests, cold misses included; cachee is the engine (median of ${ENGINE_RUNS} runs), OPT is Bélády's clairvoyant optimum.`);
  if (simulation.sampleRate < 1) {
    lines.push(
      `Sampled log (sample=${simulation.sampleRate}): each size is simulated as size × ${simulation.sampleRate} entries on the sampled keys (SHARDS scaling).`,
    );
    const adjustment = simulation.adjustment;
    lines.push(
      adjustment === undefined
        ? 'Not adjusted for the share of reads the sample holds: the log does not say how many reads the proxy saw (it was cut short, or reads were dropped).'
        : `Adjusted for the share of reads the sample holds (SHARDS-adj): ${formatCount(adjustment.logged)} logged, ${formatCount(Math.round(adjustment.expected))} expected at this rate; the difference counts as hits.`,
    );
  }
  const entry = simulation.entry;
  if (entry === undefined) {
    lines.push(loaded.record === undefined ? 'Memory: n/a, the trace has no value sizes (a cachee record log has).' : 'Memory: n/a, the log has no known reply lengths.');
  } else {
    const model = entry.source === 'l1' ? "the proxy's L1 model: key, reply and per-entry bookkeeping" : "the embedded store's model: key, value and per-entry bookkeeping";
    lines.push(`Memory: size × ${Math.round(entry.bytes)} bytes, the mean cost of the ${formatCount(entry.keys)} keys seen with a reply (${model}, as --l1-memory counts it).`);
  }
  return `${lines.join('\n')}\n`;
}

export function simulationChart(simulation: Simulation, title: string): string {
  const series = (name: string, pick: (row: Simulation['rows'][number]) => number, dashed = false) => ({
    name,
    dashed,
    points: simulation.rows.map((row) => ({ x: row.size, y: pick(row) })),
  });
  return lineChart({
    title,
    xLabel: 'cache size (entries)',
    yLabel: 'hit ratio',
    xScale: 'log',
    yMin: 0,
    yMax: 1,
    formatY: (y) => `${Math.round(y * 100)}%`,
    series: [series('cachee', (r) => r.cachee), series('LRU', (r) => r.lru), series('OPT (optimal)', (r) => r.opt, true)],
  });
}

export async function runSimulate(options: SimulateOptions, deps: CliDeps): Promise<number> {
  const progress = new ProgressLine(deps);
  const loaded = await load(options, progress);
  let simulation: Simulation;
  try {
    simulation = simulate(loaded, options.sizes, {
      onSize: (size, index) => progress.update(`simulating size ${formatCount(size)} (${index + 1} of ${options.sizes.length})`, true),
    });
  } catch (err) {
    if (err instanceof SizeTooSmallError) throw new CliError(`error: --sizes: ${err.message}`, 2);
    throw err;
  } finally {
    progress.clear();
  }
  if (options.svg !== undefined) {
    const svg = simulationChart(simulation, `Hit ratio by cache size: ${path.basename(options.file)}`);
    try {
      await writeFile(options.svg, svg);
    } catch (err) {
      throw new CliError(`cachee simulate: cannot write ${options.svg}: ${messageOf(err)}`, 1);
    }
  }
  deps.stdout(options.json ? `${JSON.stringify(jsonRows(simulation), null, 2)}\n` : formatSimulation(loaded, simulation, options.file));
  return 0;
}
