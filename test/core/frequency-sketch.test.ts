import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrequencySketch } from '../../src/core/frequency-sketch.js';
import { hashKey } from '../../src/core/hash.js';

const SEED = 0x1234567;
const h = (key: unknown) => hashKey(key, SEED) >>> 6;

describe('FrequencySketch', () => {
  it('counts occurrences up to 15', () => {
    const sketch = new FrequencySketch(64 * 1024, 1_000_000);
    for (let i = 0; i < 5; i++) sketch.increment(h('a'));
    assert.equal(sketch.frequency(h('a')), 5);
    assert.equal(sketch.frequency(h('never')), 0);
    for (let i = 0; i < 100; i++) sketch.increment(h('a'));
    assert.equal(sketch.frequency(h('a')), 15);
    sketch.add(h('b'), 20);
    assert.equal(sketch.frequency(h('b')), 15);
  });

  it('estimates many keys with small error when sized for them', () => {
    const sketch = new FrequencySketch(8 * 4096, 1_000_000);
    for (let k = 0; k < 4096; k++) for (let i = 0; i < k % 16; i++) sketch.increment(h(k));
    let error = 0;
    for (let k = 0; k < 4096; k++) {
      const estimate = sketch.frequency(h(k));
      assert.ok(estimate >= Math.min(k % 16, 15), 'a Count-Min sketch never underestimates before aging');
      error += estimate - (k % 16);
    }
    assert.ok(error / 4096 < 0.5, `mean overestimate ${error / 4096}`);
  });

  it('halves every counter after sampleSize additions (aging)', () => {
    const sketch = new FrequencySketch(4096, 100);
    for (let i = 0; i < 12; i++) sketch.increment(h('hot'));
    assert.equal(sketch.frequency(h('hot')), 12);
    let halved = false;
    for (let k = 0; k < 88 && !halved; k++) halved = sketch.increment(h(`filler${k}`));
    assert.equal(halved, true, 'the 100th addition halves');
    assert.equal(sketch.frequency(h('hot')), 6);
  });

  it('halving visits only the blocks holding counts: every counter reads halved, and emptied blocks count again when added to', () => {
    // sampleSize 1: each countAdditions(1) is one halving; add() does not count.
    const sketch = new FrequencySketch(64 * 1024, 1);
    const keys = Array.from({ length: 2000 }, (_, k) => h(`k${k}`));
    keys.forEach((key, k) => sketch.add(key, k % 16));
    const before = keys.map((key) => sketch.frequency(key));
    for (const halvings of [1, 2, 3, 4]) {
      const fresh = new FrequencySketch(64 * 1024, 1);
      keys.forEach((key, k) => fresh.add(key, k % 16));
      for (let n = 0; n < halvings; n++) assert.equal(fresh.countAdditions(1), true);
      // min over a key's counters commutes with halving each: floor(min / 2^n).
      keys.forEach((key, k) => assert.equal(fresh.frequency(key), before[k] >>> halvings, `key ${k} after ${halvings}`));
    }
    // Halved to zero, the blocks leave the halving's list; nothing comes back, and adding lists them again.
    for (let n = 0; n < 300; n++) sketch.countAdditions(1);
    keys.forEach((key) => assert.equal(sketch.frequency(key), 0));
    sketch.add(keys[0], 7);
    assert.equal(sketch.frequency(keys[0]), 7, 'counts again from there');
  });

  it('keeps its memory fixed whatever the number of keys', () => {
    const sketch = new FrequencySketch(1024, 1000);
    const before = sketch.byteLength;
    for (let k = 0; k < 100_000; k++) sketch.increment(h(k));
    assert.equal(sketch.byteLength, before);
    assert.equal(before, 1024);
  });

  it('forgets a memoized frequency when the key is counted again', () => {
    const sketch = new FrequencySketch(4096, 1_000_000);
    sketch.increment(h('v'));
    assert.equal(sketch.frequencyMemoized(h('v')), 1);
    sketch.add(h('v'), 2);
    assert.equal(sketch.frequencyMemoized(h('v')), 3);
  });

  it('spreads keys differently per seed (hash-flooding defence)', () => {
    const a = [0, 1, 2, 3].map((k) => hashKey(`k${k}`, 1));
    const b = [0, 1, 2, 3].map((k) => hashKey(`k${k}`, 2));
    assert.notDeepEqual(a, b);
    assert.equal(hashKey('same', 9), hashKey('same', 9));
    assert.equal(hashKey(0, 9), hashKey(-0, 9));
  });
});
