import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, lineChart } from '../../src/report/line-chart.js';

const base = { title: 'Hit ratio', xLabel: 'entries', yLabel: 'ratio' };

test('draws one polyline and one legend entry per series, dashed where asked', () => {
  const svg = lineChart({
    ...base,
    xScale: 'log',
    series: [
      { name: 'cachee', points: [{ x: 1000, y: 0.3 }, { x: 10_000, y: 0.5 }] },
      { name: 'lru', points: [{ x: 1000, y: 0.2 }, { x: 10_000, y: 0.4 }], dashed: true },
    ],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.equal(svg.match(/<polyline [^>]*stroke-dasharray/g)?.length, 1);
  assert.match(svg, />cachee<\/text>/);
  assert.match(svg, />lru<\/text>/);
  // A log axis over 1k..10k ticks at 1k, 2k, 5k, 10k.
  for (const label of ['1k', '2k', '5k', '10k']) assert.match(svg, new RegExp(`>${label}</text>`));
});

test('points are placed left to right by x, whatever order they come in', () => {
  const svg = lineChart({ ...base, series: [{ name: 's', points: [{ x: 3, y: 1 }, { x: 1, y: 2 }, { x: 2, y: 3 }] }] });
  const points = /<polyline [^>]*points="([^"]+)"/.exec(svg)![1].split(' ').map((p) => Number(p.split(',')[0]));
  assert.deepEqual([...points].sort((a, b) => a - b), points);
});

test('forced y bounds keep every point inside the plot', () => {
  const svg = lineChart({ ...base, yMin: 0, yMax: 1, series: [{ name: 's', points: [{ x: 1, y: 0 }, { x: 2, y: 1 }] }] });
  const ys = [...svg.matchAll(/<circle cx="[^"]+" cy="([^"]+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(ys, [370, 40]); // bottom and top of the plot area
});

test('titles and names are escaped', () => {
  const svg = lineChart({ ...base, title: 'a < b & "c"', series: [{ name: '<script>', points: [{ x: 1, y: 1 }] }] });
  assert.ok(!svg.includes('<script>'));
  assert.ok(svg.includes(escapeXml('a < b & "c"')));
});

test('bad input is a RangeError, not a broken file', () => {
  assert.throws(() => lineChart({ ...base, series: [] }), RangeError);
  assert.throws(() => lineChart({ ...base, series: [{ name: 's', points: [{ x: Number.NaN, y: 1 }] }] }), RangeError);
  assert.throws(() => lineChart({ ...base, xScale: 'log', series: [{ name: 's', points: [{ x: 0, y: 1 }] }] }), /log x axis needs values above 0/);
});

test('a series may name its colour, so a p50 and its dashed p99 match', () => {
  const svg = lineChart({
    ...base,
    series: [
      { name: 'a p50', colour: '#123456', points: [{ x: 1, y: 1 }] },
      { name: 'a p99', colour: '#123456', dashed: true, points: [{ x: 1, y: 2 }] },
      { name: 'b', points: [{ x: 1, y: 3 }] },
    ],
  });
  const strokes = [...svg.matchAll(/<polyline fill="none" stroke="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(strokes, ['#123456', '#123456', '#2ca02c']); // the third keeps its palette slot
});
