// Reads the Prometheus text exposition format (what /metrics serves) into
// { "name{label=\"v\",...}": value } plus a by-name index, enough for the dashboard's figures.
// Labels are kept in the order they are written; the proxy writes them in a stable order.

/** @param {string} text @returns {Map<string, {labels: Record<string,string>, value: number}[]>} */
export function parsePrometheus(text) {
  const metrics = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = brace < 0 ? line.indexOf(' ') : line.indexOf(' ', line.lastIndexOf('}'));
    if (space < 0) continue;
    const name = line.slice(0, brace < 0 ? space : brace);
    const labels = brace < 0 ? {} : parseLabels(line.slice(brace + 1, line.lastIndexOf('}')));
    const value = Number(line.slice(space + 1).trim().split(' ')[0]);
    let samples = metrics.get(name);
    if (!samples) metrics.set(name, (samples = []));
    samples.push({ labels, value });
  }
  return metrics;
}

function parseLabels(body) {
  const labels = {};
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = pattern.exec(body); m; m = pattern.exec(body)) {
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c)); // one pass, so an escaped backslash before an n stays a backslash
  }
  return labels;
}

/** The value of one sample whose labels include `match`; NaN when absent. */
export function sample(metrics, name, match = {}) {
  const found = (metrics.get(name) ?? []).find((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return found ? found.value : NaN;
}

/** The sum of every sample of a metric (e.g. a counter split by a label). */
export function total(metrics, name) {
  return (metrics.get(name) ?? []).reduce((sum, s) => sum + s.value, 0);
}

/** The label value of the sample that is 1 in a state-set gauge (e.g. upstream_state). */
export function activeState(metrics, name, label = 'state') {
  const on = (metrics.get(name) ?? []).find((s) => s.value === 1);
  return on ? on.labels[label] : undefined;
}
