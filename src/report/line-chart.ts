/**
 * A small SVG line chart for the CLI's reports (`cachee bench`, `cachee simulate`): a few series
 * over one x axis, linear or log scales, ticks, a legend. Written by hand because the charting
 * libraries render in a browser (or pull in a DOM shim); a report file needs only a few hundred
 * bytes of markup, and this keeps the output reproducible byte for byte.
 */

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  name: string;
  points: readonly ChartPoint[];
  /** Drawn dashed, e.g. a p99 beside its p50. */
  dashed?: boolean;
  /** A CSS colour; default: the next of the palette. Series of one subject can share one. */
  colour?: string;
}

export type Scale = 'linear' | 'log';

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Default linear. Log needs every value > 0. */
  xScale?: Scale;
  yScale?: Scale;
  /** Tick labels; default: a short number. */
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  /** Forces an end of the y axis (e.g. 0 and 1 for ratios); default: the data's range. */
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}

/** Distinguishable on white, and in grey print. */
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const MARGIN = { top: 40, right: 170, bottom: 50, left: 70 };

export function lineChart(options: LineChartOptions): string {
  const { series, width = 760, height = 420 } = options;
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) throw new RangeError('lineChart: no points to draw');
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new RangeError(`lineChart: point (${p.x}, ${p.y}) is not finite`);
  }
  const xScale = options.xScale ?? 'linear';
  const yScale = options.yScale ?? 'linear';
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xAxis = axis(Math.min(...xs), Math.max(...xs), xScale, 'x');
  const yAxis = axis(options.yMin ?? Math.min(...ys), options.yMax ?? Math.max(...ys), yScale, 'y');
  const formatX = options.formatX ?? shortNumber;
  const formatY = options.formatY ?? shortNumber;

  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + axisFraction(xAxis, x) * plotWidth;
  const py = (y: number) => MARGIN.top + (1 - axisFraction(yAxis, y)) * plotHeight;
  const bottom = MARGIN.top + plotHeight;
  const right = MARGIN.left + plotWidth;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (const tick of xAxis.ticks) {
    const x = fixed(px(tick));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${bottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${bottom + 16}" text-anchor="middle">${escapeXml(formatX(tick))}</text>`);
  }
  for (const tick of yAxis.ticks) {
    const y = fixed(py(tick));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatY(tick))}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotHeight / 2})">${escapeXml(options.yLabel)}</text>`,
  );

  series.forEach((s, i) => {
    const colour = s.colour === undefined ? COLOURS[i % COLOURS.length] : escapeXml(s.colour);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const path = sorted.map((p) => `${fixed(px(p.x))},${fixed(py(p.y))}`).join(' ');
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${path}"><title>${escapeXml(s.name)}</title></polyline>`);
    for (const p of sorted) out.push(`<circle cx="${fixed(px(p.x))}" cy="${fixed(py(p.y))}" r="3" fill="${colour}"/>`);
    const legendY = MARGIN.top + 8 + i * 20;
    out.push(`<line x1="${right + 14}" y1="${legendY}" x2="${right + 40}" y2="${legendY}" stroke="${colour}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${right + 46}" y="${legendY}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

interface Axis {
  scale: Scale;
  /** Ends in the scale's own units (log10 for a log axis). */
  low: number;
  high: number;
  ticks: number[];
}

function axis(min: number, max: number, scale: Scale, name: string): Axis {
  if (scale === 'log') {
    if (min <= 0) throw new RangeError(`lineChart: a log ${name} axis needs values above 0, got ${min}`);
    const low = Math.floor(Math.log10(min));
    let high = Math.ceil(Math.log10(max));
    if (high === low) high = low + 1;
    const ticks: number[] = [];
    // Decades; with few of them, the 2s and 5s between too.
    const steps = high - low <= 3 ? [1, 2, 5] : [1];
    for (let e = low; e <= high; e++) for (const m of steps) if (e < high || m === 1) ticks.push(m * 10 ** e);
    return { scale, low, high, ticks };
  }
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / 5);
  const low = Math.floor(min / step) * step;
  const high = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = low; t <= high + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { scale, low, high, ticks };
}

function axisFraction(a: Axis, value: number): number {
  const v = a.scale === 'log' ? Math.log10(value) : value;
  return (v - a.low) / (a.high - a.low);
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function shortNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trimZeros(n / 1e9)}G`;
  if (abs >= 1e6) return `${trimZeros(n / 1e6)}M`;
  if (abs >= 1e3) return `${trimZeros(n / 1e3)}k`;
  return trimZeros(n);
}

/** Three significant digits, trailing zeros dropped: 0.0312, 52.1, 1230. */
export function trimZeros(n: number): string {
  return String(Number(n.toPrecision(3)));
}

function fixed(n: number): string {
  return n.toFixed(1);
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
