/** The metrics' building blocks: the latency recorder's window, the command counter, the test parser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandCounter } from '../../src/metrics/command-counter.js';
import { LatencyRecorder, mergeLatencies } from '../../src/metrics/latency.js';
import { SLOT_MS, WINDOW_SLOTS } from '../../src/metrics/window.js';
import { PromText } from '../support/prometheus.js';

/** Within the histogram's 2 significant digits. */
function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.01, `${actual} ≈ ${expected}`);
}

describe('LatencyRecorder', () => {
  it('gives percentiles of what was recorded, and the mean since start', () => {
    const recorder = new LatencyRecorder(() => 0);
    for (let ns = 1; ns <= 1000; ns++) recorder.record(ns * 1000);
    near(recorder.percentile(50), 500_000);
    near(recorder.percentile(99), 990_000);
    near(recorder.percentile(100), 1_000_000);
    assert.equal(recorder.count, 1000);
    assert.equal(recorder.mean, 500_500);
  });

  it('forgets what is older than the window, keeping the totals since start', () => {
    let now = 0;
    const recorder = new LatencyRecorder(() => now);
    recorder.record(1_000_000);
    now += SLOT_MS;
    recorder.record(2000);
    near(recorder.percentile(100), 1_000_000);
    now += (WINDOW_SLOTS - 1) * SLOT_MS; // the first slot comes round again: cleared
    assert.ok(recorder.percentile(100) < 3000, String(recorder.percentile(100)));
    now += WINDOW_SLOTS * SLOT_MS * 10; // a long pause: everything is out of the window
    assert.ok(Number.isNaN(recorder.percentile(50)));
    assert.equal(recorder.count, 2);
    assert.equal(recorder.sum, 1_002_000);
    recorder.record(5000);
    near(recorder.percentile(50), 5000);
  });

  it('records values past its range as its highest, and merges encoded windows', () => {
    const a = new LatencyRecorder(() => 0);
    const b = new LatencyRecorder(() => 0);
    for (let i = 0; i < 90; i++) a.record(1000);
    for (let i = 0; i < 10; i++) b.record(1e12);
    const merged = mergeLatencies([a.encode(), b.encode()]);
    assert.equal(merged.count, 100);
    assert.equal(merged.sum, 90 * 1000 + 10 * 1e12);
    near(merged.percentile(50), 1000);
    near(merged.percentile(99), 60e9);
    assert.ok(Number.isNaN(mergeLatencies([]).percentile(50)));
  });

  it('encodes only the buckets it has counts in, and survives the JSON of a worker message', () => {
    const recorder = new LatencyRecorder(() => 0);
    for (let i = 1; i <= 1000; i++) recorder.record(i * 1000);
    const encoded = JSON.parse(JSON.stringify(recorder.encode()));
    const counts = encoded.window.filter((_: number, i: number) => i % 2 === 1);
    assert.ok(counts.every((c: number) => c > 0));
    assert.equal(counts.reduce((a: number, b: number) => a + b, 0), 1000);
    // 2 significant digits: neighbouring values share buckets.
    assert.ok(counts.length < 1000, String(counts.length));
    const merged = mergeLatencies([encoded]);
    for (const p of [1, 50, 90, 99, 100]) assert.equal(merged.percentile(p), recorder.percentile(p), `p${p}`);
  });
});

describe('CommandCounter', () => {
  it('counts known names apart and everything else as other, by name or by the bytes sent', () => {
    const counter = new CommandCounter(['set', 'hget', 'get']);
    counter.count('get');
    counter.countName(Buffer.from('GeT'));
    counter.countName(Buffer.from('SET'));
    counter.count('hget');
    counter.countName(Buffer.from('nosuch'));
    counter.countName(Buffer.alloc(100_000, 'a'));
    assert.deepEqual([...counter.entries()], [
      ['get', 2],
      ['set', 1],
      ['hget', 1],
      ['other', 2],
    ]);
  });
});

describe('the test suite\'s Prometheus parser', () => {
  const good = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1",y="q\\"\\\\n"} 3\n# TYPE s summary\ns{quantile="0.5"} Nan\ns_sum 1.5e3\ns_count 2\n';

  it('reads families, labels with escapes, and special values', () => {
    const text = new PromText(good);
    assert.equal(text.family('a_total').help, 'A.');
    assert.equal(text.value('a_total', { x: '1', y: 'q"\\n' }), 3);
    assert.ok(Number.isNaN(text.value('s', { quantile: '0.5' })));
    assert.equal(text.value('s_sum'), 1500);
    assert.throws(() => text.value('a_total'), /0 samples/, 'labels must match exactly');
  });

  it('refuses what Prometheus would', () => {
    for (const bad of [
      'a 1\n', // no TYPE
      '# TYPE a gauge\na{x=1} 1\n', // unquoted label
      '# TYPE a gauge\na one\n', // bad value
      '# TYPE a gauge\n# TYPE a gauge\n', // TYPE twice
      '# TYPE a gauge\n# TYPE b gauge\nb 1\na 1\n', // family split
      '# TYPE a gauge\na 1 2 3\n', // trailing junk
      '# TYPE a counter\na_sum 1\n', // a counter has no _sum
      '# TYPE a gauge\na{x="1",x="2"} 1\n', // a label twice
    ]) {
      assert.throws(() => new PromText(bad), Error, JSON.stringify(bad));
    }
  });
});
