/** What `cachee bench` prints and writes: the table, cachee-bench.json and cachee-bench.svg. */
import os from 'node:os';
import { alignColumns } from '../../report/text-table.js';
import { lineChart, trimZeros, type ChartSeries } from '../../report/line-chart.js';
import { humanSize } from '../units.js';
import { ENGINE_BATCH, PATH_NAMES, type PathName, type Percentiles } from './measure.js';

export interface SizeResult {
  /** As --sizes names it: `64b`, `1kb`, ... */
  size: string;
  bytes: number;
  direct: Percentiles;
  /** `notFromL1`: timed proxy reads the proxy's l1_hits did not count (0 on a clean run). */
  proxy: Percentiles & { notFromL1: number };
  engine: Percentiles;
  /** Ratios of the p50s. */
  speedup: { directOverProxy: number; directOverEngine: number };
}

export interface BenchSetup {
  upstream: string;
  proxy: string;
  /** No proxy answered at the configured address, so the bench ran one in its own process. */
  proxyInProcess: boolean;
  client: string;
  requests: number;
  rounds: number;
  warmup: number;
  engineBatch: number;
  prefix: string;
}

export interface BenchReport {
  tool: 'cachee bench';
  version: string;
  date: string;
  node: string;
  platform: string;
  cpus: string;
  setup: BenchSetup;
  sizes: SizeResult[];
}

/** cachee-bench.json's content: the figures and what they were measured on. */
export function benchReport(setup: BenchSetup, sizes: SizeResult[], version: string, now: number): BenchReport {
  const cpus = os.cpus();
  return {
    tool: 'cachee bench',
    version,
    date: new Date(now).toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown'}`,
    setup,
    sizes,
  };
}

const PATH_TITLES: Readonly<Record<PathName, string>> = {
  direct: 'the upstream itself',
  proxy: 'through the proxy, an L1 hit',
  engine: `Cache.get in this process, per call in batches of ${ENGINE_BATCH}`,
};

/** Three significant digits, whole numbers from 100 up: 0.0312, 52.1, 1234. */
export function formatFigure(n: number): string {
  return n >= 100 ? String(Math.round(n)) : trimZeros(n);
}

const HEADERS = ['size', 'direct p50', 'direct p99', 'proxy p50', 'proxy p99', 'engine p50', 'engine p99', 'direct/proxy', 'direct/engine'];

/** The aligned table, a line of units first. */
export function formatTable(results: readonly SizeResult[]): string {
  const rows = results.map((r) => [
    humanSize(r.bytes),
    ...PATH_NAMES.flatMap((name) => [formatFigure(r[name].p50Us), formatFigure(r[name].p99Us)]),
    `${formatFigure(r.speedup.directOverProxy)}x`,
    `${formatFigure(r.speedup.directOverEngine)}x`,
  ]);
  return [
    `GET latency in µs. ${PATH_NAMES.map((name) => `${name}: ${PATH_TITLES[name]}`).join('; ')}. Ratios: of the p50s.`,
    // The size left-aligned, the figures right-aligned under their headers.
    ...alignColumns([HEADERS, ...rows], [0]),
  ]
    .map((text) => `${text}\n`)
    .join('');
}

/** Each path in one colour, its p50 solid and its p99 dashed. */
const PATH_COLOURS: Readonly<Record<PathName, string>> = { direct: '#d62728', proxy: '#1f77b4', engine: '#2ca02c' };

export function benchChart(report: BenchReport): string {
  const series: ChartSeries[] = PATH_NAMES.flatMap((name) =>
    (['p50Us', 'p99Us'] as const).map((percentile) => ({
      name: `${name} ${percentile.slice(0, 3)}`,
      colour: PATH_COLOURS[name],
      dashed: percentile === 'p99Us',
      points: report.sizes.map((r) => ({ x: r.bytes, y: r[name][percentile] })),
    })),
  );
  return lineChart({
    title: `cachee bench: GET latency by value size (${report.date.slice(0, 10)})`,
    xLabel: 'value size, bytes',
    yLabel: 'GET latency, µs',
    xScale: 'log',
    yScale: 'log',
    series,
  });
}
