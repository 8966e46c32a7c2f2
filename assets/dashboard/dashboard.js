// The live page on the admin port: polls /metrics (the same text Prometheus scrapes, so the page
// can never disagree with it) once a second, keeps the last HISTORY points, and draws them with
// uPlot (loaded by index.html as a global). The hottest keys come from /api/hot-keys.
import { activeState, parsePrometheus, sample, total } from './prometheus-text.js';

const POLL_MS = 1000;
const HOT_KEYS_EVERY = 5; // polls
const HISTORY = 300; // points: five minutes at one a second
const QUANTILES = ['0.5', '0.9', '0.99', '0.999'];

const history = { time: [], hitRatio: [], l1p50: [], l1p99: [], l2p50: [], l2p99: [], memory: [], budget: [], evictions: [], invalidations: [] };
let previous; // { at, hits, misses, evictions, invalidations }
let polls = 0;

const number = new Intl.NumberFormat('en-US');
const $ = (selector) => document.querySelector(selector);

function chart(element, series, scales = {}) {
  const el = $(element);
  return new uPlot(
    {
      width: el.clientWidth || 520,
      height: 220,
      scales: { x: { time: true }, ...scales },
      series: [{}, ...series.map(([label, stroke, dash]) => ({ label, stroke, width: 2, dash, spanGaps: true }))],
      axes: [{}, { size: 72 }],
      legend: { live: false },
    },
    [[], ...series.map(() => [])],
    el,
  );
}

const charts = {
  hitRatio: chart('#chart-hit-ratio', [['hit ratio %', '#1f77b4']], { y: { range: [0, 100] } }),
  latency: chart(
    '#chart-latency',
    [['L1 p50', '#2ca02c'], ['L1 p99', '#2ca02c', [6, 4]], ['L2 p50', '#d62728'], ['L2 p99', '#d62728', [6, 4]]],
    { y: { distr: 3 } },
  ),
  memory: chart('#chart-memory', [['L1 MB', '#1f77b4'], ['budget MB', '#999', [4, 4]]], { y: { range: (u, min, max) => [0, Math.max(1, max) * 1.05] } }),
  rates: chart('#chart-rates', [['evictions/s', '#ff7f0e'], ['invalidations/s', '#9467bd']], { y: { range: (u, min, max) => [0, Math.max(1, max) * 1.1] } }),
};

function push(key, value) {
  const list = history[key];
  list.push(Number.isFinite(value) ? value : null);
  if (list.length > HISTORY) list.shift();
}

function humanBytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n.toFixed(unit === 0 || n >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Positive or nothing: a log axis cannot draw 0. */
const positive = (v) => (v > 0 ? v : NaN);
const micros = (seconds) => positive(seconds * 1e6);

function render(metrics, at) {
  const hits = sample(metrics, 'cachee_l1_hits_total');
  const misses = sample(metrics, 'cachee_l1_misses_total');
  const evictions = sample(metrics, 'cachee_l1_evictions_total');
  const invalidations = total(metrics, 'cachee_invalidations_total');
  const bytes = sample(metrics, 'cachee_l1_bytes');
  const budget = sample(metrics, 'cachee_l1_max_bytes');

  for (const el of document.querySelectorAll('[data-metric]')) {
    const value = sample(metrics, el.dataset.metric);
    el.textContent = Number.isFinite(value) ? number.format(value) : '–';
  }
  $('#hit-rate').textContent = hits + misses > 0 ? `${((100 * hits) / (hits + misses)).toFixed(1)}%` : '–';
  $('#memory').textContent = `${humanBytes(bytes)} / ${humanBytes(budget)}`;
  $('#invalidations').textContent = number.format(invalidations);

  const upstream = activeState(metrics, 'cachee_upstream_state');
  const invalidation = activeState(metrics, 'cachee_invalidation_state');
  setBadge('#health', upstream, upstream === 'down' ? 'down' : 'ok', `upstream ${upstream ?? 'unknown'}`);
  setBadge('#invalidation', invalidation, invalidation === 'down' ? 'down' : invalidation === 'none' ? 'warn' : 'ok', `invalidation ${invalidation ?? 'unknown'}`);

  const rows = [
    ['L1', 'cachee_l1_latency_seconds', (s) => `${Math.round(s * 1e9)} ns`],
    ['L2', 'cachee_l2_latency_seconds', (s) => `${(s * 1e3).toFixed(3)} ms`],
  ];
  $('#latency-table tbody').innerHTML = rows
    .map(([name, metric, format]) => {
      const cells = QUANTILES.map((q) => {
        const v = sample(metrics, metric, { quantile: q });
        return `<td data-quantile="${q}">${Number.isFinite(v) ? format(v) : '–'}</td>`;
      });
      return `<tr data-tier="${name}"><td>${name}</td>${cells.join('')}</tr>`;
    })
    .join('');

  const seconds = at / 1000;
  if (previous) {
    const dt = (at - previous.at) / 1000;
    const dh = hits - previous.hits;
    const dm = misses - previous.misses;
    history.time.push(seconds);
    if (history.time.length > HISTORY) history.time.shift();
    push('hitRatio', dh + dm > 0 ? (100 * dh) / (dh + dm) : NaN);
    push('l1p50', micros(sample(metrics, 'cachee_l1_latency_seconds', { quantile: '0.5' })));
    push('l1p99', micros(sample(metrics, 'cachee_l1_latency_seconds', { quantile: '0.99' })));
    push('l2p50', micros(sample(metrics, 'cachee_l2_latency_seconds', { quantile: '0.5' })));
    push('l2p99', micros(sample(metrics, 'cachee_l2_latency_seconds', { quantile: '0.99' })));
    push('memory', bytes / 1e6);
    push('budget', budget / 1e6);
    push('evictions', Math.max(0, evictions - previous.evictions) / dt);
    push('invalidations', Math.max(0, invalidations - previous.invalidations) / dt);
    const h = history;
    charts.hitRatio.setData([h.time, h.hitRatio]);
    charts.latency.setData([h.time, h.l1p50, h.l1p99, h.l2p50, h.l2p99]);
    charts.memory.setData([h.time, h.memory, h.budget]);
    charts.rates.setData([h.time, h.evictions, h.invalidations]);
  }
  previous = { at, hits, misses, evictions, invalidations };
  $('#updated').textContent = `updated ${new Date(at).toLocaleTimeString()}`;
}

function setBadge(selector, state, level, text) {
  const el = $(selector);
  el.dataset.state = state ?? '';
  el.className = `badge ${state === undefined ? 'unknown' : level}`;
  el.textContent = text;
}

async function renderHotKeys() {
  const response = await fetch('api/hot-keys?limit=10');
  if (!response.ok) throw new Error(`/api/hot-keys: HTTP ${response.status}`);
  const { keys } = await response.json();
  const body = $('#hot-keys tbody');
  body.replaceChildren(
    ...keys.map(({ key, frequency }) => {
      const row = document.createElement('tr');
      const name = document.createElement('td');
      name.className = 'key';
      name.textContent = key; // text, never HTML: keys are whatever clients wrote
      const count = document.createElement('td');
      count.textContent = String(frequency);
      row.append(name, count);
      return row;
    }),
  );
}

async function poll() {
  try {
    const response = await fetch('metrics', { cache: 'no-store' });
    if (!response.ok) throw new Error(`/metrics: HTTP ${response.status}`);
    render(parsePrometheus(await response.text()), Date.now());
    if (polls++ % HOT_KEYS_EVERY === 0) await renderHotKeys();
    $('#error').hidden = true;
    document.body.dataset.polls = String(polls);
  } catch (error) {
    $('#error').hidden = false;
    $('#error').textContent = `cannot reach the proxy: ${error.message}`;
    setBadge('#health', 'unreachable', 'down', 'proxy unreachable');
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

window.addEventListener('resize', () => {
  for (const c of Object.values(charts)) c.setSize({ width: c.root.parentElement.clientWidth, height: 220 });
});
poll();
