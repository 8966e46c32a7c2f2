import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LRUCache } from 'lru-cache';
import { loadTrace } from '../../bench/hitratio/traces.js';
import { Cache } from '../../src/core/cache.js';
import { lruHits, optHits } from '../../src/sim/policies.js';
import { policyHits, replay } from '../../src/sim/replay.js';
import { scaledSize, simulate, SizeTooSmallError } from '../../src/sim/simulate.js';
import type { LoadedTrace } from '../../src/sim/trace-file.js';
import { withFixedEngineRandomness } from './support.js';

function loaded(keys: number[], sample?: number, trailer?: { reads: number; dropped: number }): LoadedTrace {
  const trace = { name: 't', keys: Int32Array.from(keys), distinct: Math.max(...keys) + 1 };
  const record =
    sample === undefined
      ? undefined
      : { header: { sample, source: 'l1' as const }, trailer, keyBytes: new Int32Array(trace.distinct).fill(8), replyBytes: new Int32Array(trace.distinct).fill(20) };
  return { trace, format: sample === undefined ? 'keys' : 'record', detected: true, compression: 'none', record };
}

describe('replay', () => {
  it('counts a hit when get returns a value, and sets only on a miss', () => {
    const calls: string[] = [];
    const map = new Map<number, number>();
    const hits = replay(Int32Array.from([1, 1, 2, 1]), {
      get: (k) => (calls.push(`get ${k}`), map.get(k)),
      set: (k, v) => (calls.push(`set ${k}`), map.set(k, v)),
    });
    assert.equal(hits, 2);
    assert.deepEqual(calls, ['get 1', 'set 1', 'get 1', 'get 2', 'set 2', 'get 1']);
  });

  it("gives the engine's own hits: the same keys through new Cache({ maxEntries }) hit as often", () => {
    // The engine draws its hash seed and admission jitter from crypto.getRandomValues; with those
    // fixed, every instance makes the same choices, so the figures must be equal, not close.
    const gli = loadTrace('gli');
    for (const size of [500, 1000]) {
      const [row] = withFixedEngineRandomness(() => policyHits(gli, [size]));
      const direct = withFixedEngineRandomness(() => replay(gli.keys, new Cache<number, number>({ maxEntries: size })));
      assert.equal(row.cachee, direct, `gli @ ${size}`);
    }
  });

  it('puts LRU and OPT beside it, OPT never below either on gli', () => {
    const gli = loadTrace('gli');
    const rows = policyHits(gli, [250, 500, 1000, 2000]);
    for (const row of rows) {
      assert.equal(row.lru, lruHits(gli.keys, gli.distinct, row.size));
      assert.equal(row.opt, optHits(gli.keys, gli.distinct, row.size));
      assert.ok(row.opt >= row.cachee, `OPT ${row.opt} < cachee ${row.cachee} @ ${row.size}`);
      assert.ok(row.opt >= row.lru, `OPT ${row.opt} < LRU ${row.lru} @ ${row.size}`);
    }
  });

  it('replays any get/set cache in place of the engine', () => {
    const gli = loadTrace('gli');
    const [row] = policyHits(gli, [1000], { factory: (max) => new LRUCache<number, number>({ max }) });
    assert.equal(row.cachee, row.lru);
  });
});

describe('simulate', () => {
  it('gives ratios of all requests, and memory as size × the mean entry', () => {
    const { rows, requests, distinct, sampleRate, entry } = simulate(loaded([0, 1, 0, 2, 0, 1], 1), [2]);
    assert.deepEqual([requests, distinct, sampleRate], [6, 3, 1]);
    assert.equal(rows[0].lru, lruHits(Int32Array.from([0, 1, 0, 2, 0, 1]), 3, 2) / 6);
    assert.ok(entry !== undefined && entry.keys === 3);
    assert.equal(rows[0].memoryBytes, Math.round(2 * entry.bytes));
  });

  it('has no memory figure for a trace without sizes', () => {
    const { rows, entry } = simulate(loaded([0, 1, 0]), [1]);
    assert.equal(entry, undefined);
    assert.equal(rows[0].memoryBytes, undefined);
  });

  it('scales sizes by the sample rate of a sampled log (SHARDS)', () => {
    const keys = Array.from({ length: 4000 }, (_, i) => (i * 7919) % 300);
    const { rows } = simulate(loaded(keys, 0.25), [100, 400], { factory: (max) => new LRUCache<number, number>({ max }) });
    assert.deepEqual(
      rows.map((r) => [r.size, r.simulatedSize]),
      [
        [100, 25],
        [400, 100],
      ],
    );
    const trace = Int32Array.from(keys);
    assert.equal(rows[0].lru, lruHits(trace, 300, 25) / keys.length);
    assert.equal(rows[1].cachee, lruHits(trace, 300, 100) / keys.length);
    // Memory is for the real cache: the unscaled size.
    assert.equal(rows[1].memoryBytes! / rows[0].memoryBytes!, 4);
  });

  it("corrects for the sample's share of reads when the log says how many the proxy saw (SHARDS-adj)", () => {
    // 4 reads logged where a 0.5 sample of 10 should hold 5: the missing one counts as a hit.
    const keys = [0, 0, 0, 1];
    const [adjusted] = simulate(loaded(keys, 0.5, { reads: 10, dropped: 0 }), [2]).rows;
    assert.equal(adjusted.lru, (2 + 5 - 4) / 5);
    // More reads than expected count against the hits, down to 0 at the least.
    assert.equal(simulate(loaded(keys, 0.5, { reads: 4, dropped: 0 }), [2]).rows[0].lru, 0);
    // No trailer, or reads dropped (their hits unknown): the plain ratio.
    assert.equal(simulate(loaded(keys, 0.5), [2]).rows[0].lru, 2 / 4);
    assert.equal(simulate(loaded(keys, 0.5, { reads: 10, dropped: 1 }), [2]).adjustment, undefined);
    assert.deepEqual(simulate(loaded(keys, 0.5, { reads: 10, dropped: 0 }), [2]).adjustment, { expected: 5, logged: 4 });
  });

  it('refuses a size that is less than one entry on the sample', () => {
    assert.equal(scaledSize(3, 0.5), 2);
    assert.throws(() => scaledSize(1, 0.1), SizeTooSmallError);
    assert.throws(() => simulate(loaded([0, 1], 0.001), [100]), /too small to simulate \(sizes from 500 up\)/);
  });
});
