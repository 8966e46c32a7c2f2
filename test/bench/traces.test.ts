import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lruHits, nextUses, optHits } from '../../src/sim/policies.js';
import { REFERENCES } from '../../bench/hitratio/references.js';
import { loadTrace, TRACE_NAMES, type TraceName } from '../../bench/hitratio/traces.js';

// Requests and distinct keys from the table in bench/traces/README.md.
const COUNTS: Record<TraceName, [requests: number, distinct: number]> = {
  gli: [6_015, 2_529],
  loop: [505_500, 1_011],
  oltp: [914_145, 186_880],
  p3: [3_912_296, 762_543],
  scarab: [1_245_184, 258_368],
  mixed: [776_904, 91_479],
};

describe('public traces', () => {
  for (const name of TRACE_NAMES) {
    it(`${name} has the README's request and distinct-key counts`, () => {
      const trace = loadTrace(name);
      assert.deepEqual([trace.keys.length, trace.distinct], COUNTS[name]);
      let max = -1;
      for (const k of trace.keys) if (k > max) max = k;
      assert.equal(max, trace.distinct - 1, 'ids are dense');
    });
  }

  it('returns the decoded trace from memory on later calls', () => {
    assert.equal(loadTrace('gli'), loadTrace('gli'));
  });

  it('reproduces the README LRU and OPT figures to 0.01 points', () => {
    const next = new Map<TraceName, Int32Array>();
    for (const ref of REFERENCES) {
      const trace = loadTrace(ref.trace);
      if (!next.has(ref.trace)) next.set(ref.trace, nextUses(trace.keys, trace.distinct));
      const percent = (hits: number) => ((100 * hits) / trace.keys.length).toFixed(2);
      const where = `${ref.trace} @ ${ref.size}`;
      assert.equal(percent(lruHits(trace.keys, trace.distinct, ref.size)), ref.lru.toFixed(2), `LRU ${where}`);
      assert.equal(percent(optHits(trace.keys, trace.distinct, ref.size, next.get(ref.trace))), ref.opt.toFixed(2), `OPT ${where}`);
    }
  });
});
