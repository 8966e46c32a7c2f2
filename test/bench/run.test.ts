import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LRUCache } from 'lru-cache';
import { runHitRatio, verdict, type HitRatioRow } from '../../bench/hitratio/run.js';
import { loadWorkload, seededRandom, zipfSampler } from '../../bench/hitratio/synthetic.js';

const lruCacheFactory = (max: number) => new LRUCache<number, number>({ max });

describe('runHitRatio', () => {
  it('replays any get/set cache; lru-cache as the stand-in lands on the LRU column', () => {
    const { traces, synthetic } = runHitRatio({ names: ['gli'], factory: lruCacheFactory });
    assert.deepEqual(traces.map((r) => r.size), [500, 1000, 2000]);
    assert.equal(synthetic.length, 0);
    for (const row of traces) {
      assert.equal(row.cachee, row.lru);
      assert.equal(row.requests, 6015);
      assert.ok(row.reference !== undefined && row.delta === row.cachee - row.reference.ref);
      assert.equal(row.verdict, 'SHORT'); // LRU is 0.55 to 49 points below W-TinyLFU on gli
    }
  });

  it('runs given sizes, without a reference where the README has none', () => {
    const [row] = runHitRatio({ names: ['loop-10k'], sizes: [10_000], factory: lruCacheFactory }).synthetic;
    assert.equal(row.size, 10_000);
    assert.equal(row.cachee, (100 * (1_000_000 - 10_000)) / 1_000_000);
    assert.equal(row.reference, undefined);
    assert.equal(row.verdict, undefined);
  });

  it('rejects unknown names', () => {
    assert.throws(() => runHitRatio({ names: ['nope'] }), /unknown trace nope/);
  });
});

describe('verdict', () => {
  const row = (cachee: number): HitRatioRow => ({
    trace: 't',
    size: 1,
    requests: 1,
    cachee,
    lru: 40,
    opt: 60,
    reference: { ref: 50, refSource: '50 (X)', others: { ARC: 52 }, lru: 40, opt: 60 },
  });
  it('is best at or above every published figure and LRU, ok within half a point of the ref, else SHORT', () => {
    assert.equal(verdict(row(52)), 'best');
    assert.equal(verdict(row(51.9)), 'ok');
    assert.equal(verdict(row(49.5)), 'ok');
    assert.equal(verdict(row(49.4)), 'SHORT');
  });
  it('caps the bar for best at OPT', () => {
    assert.equal(verdict({ ...row(60), opt: 60, reference: { ...row(60).reference!, others: { ARC: 61 } } }), 'best');
  });
});

describe('synthetic workloads', () => {
  it('are reproducible from their seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 100; i++) assert.equal(a(), b());
  });

  it('draw Zipf ranks with the intended skew', () => {
    const n = 1000;
    const draw = zipfSampler(n, 1, seededRandom(1));
    const counts = new Float64Array(n);
    const samples = 200_000;
    for (let i = 0; i < samples; i++) counts[draw()]++;
    let harmonic = 0;
    for (let r = 1; r <= n; r++) harmonic += 1 / r;
    for (const rank of [0, 1, 9]) {
      const expected = samples / (rank + 1) / harmonic;
      assert.ok(Math.abs(counts[rank] - expected) < 0.05 * expected, `rank ${rank}: ${counts[rank]} vs ${expected}`);
    }
  });

  it('loop-10k is a loop slightly larger than each of its cache sizes', () => {
    const loop = loadWorkload('loop-10k');
    assert.equal(loop.keys.length, 1_000_000);
    assert.ok(loop.sizes.every((s) => s < loop.distinct && s >= 0.9 * loop.distinct));
  });
});
