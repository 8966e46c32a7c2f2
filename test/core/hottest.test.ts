import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '../../src/core/cache.js';
import { checkInvariants } from './invariants.js';

/** 500 keys, k0..k9 read `reads` times each (so promoted to protected), the rest never read. */
function skewed(reads: number): Cache<string, number> {
  const cache = new Cache<string, number>({ maxEntries: 1000 });
  for (let i = 0; i < 500; i++) cache.set(`k${i}`, i);
  for (let r = 0; r < reads; r++) for (let i = 0; i < 10; i++) cache.get(`k${i}`);
  replayReads(cache);
  return cache;
}

/** Hits reach the policy in batches; a write replays the ones still buffered (hottest does not). */
function replayReads(cache: Cache<string, number>): void {
  cache.set('replay', -1);
}

const hotTen = Array.from({ length: 10 }, (_, i) => `k${i}`);

describe('Cache.hottest', () => {
  it('returns the keys read most, highest estimate first', () => {
    const cache = skewed(20);
    const top = cache.hottest(10);
    assert.deepEqual(top.map((e) => e.key).sort(), [...hotTen].sort());
    const rest = cache.hottest(500);
    assert.equal(rest.length, 500);
    const coldest = Math.max(...rest.filter((e) => !hotTen.includes(e.key)).map((e) => e.frequency));
    for (const entry of top) assert.ok(entry.frequency > coldest, `${entry.key}: ${entry.frequency} vs ${coldest}`);
    for (let i = 1; i < rest.length; i++) assert.ok(rest[i - 1].frequency >= rest[i].frequency, 'sorted, highest first');
    assert.ok(rest.every((e) => e.frequency >= 0 && e.frequency <= 15));
  });

  it('looks at no more than sampleSize entries, from the most recently used end of protected', () => {
    const cache = skewed(10);
    // Ten other keys read once each: promoted to protected's most recently used end.
    const recent = Array.from({ length: 10 }, (_, i) => `k${100 + i}`);
    for (const key of recent) cache.get(key);
    replayReads(cache);
    const sampled = cache.hottest(10, 10);
    assert.deepEqual(sampled.map((e) => e.key).sort(), [...recent].sort(), 'only the ten most recent protected entries were sampled');
    assert.deepEqual(cache.hottest(10, 4096).map((e) => e.key).sort(), [...hotTen].sort());
    assert.equal(cache.hottest(3, 10).length, 3);
    assert.equal(cache.hottest(0).length, 0);
  });

  it('has no effect on the stats or the policy, and skips expired entries', () => {
    let now = 1000;
    const cache = new Cache<string, number>({ maxEntries: 100, now: () => now });
    cache.set('short', 1, { ttl: 10 });
    cache.set('long', 2, { ttl: 1000 });
    cache.get('short');
    const before = cache.stats();
    assert.deepEqual(cache.hottest(10).map((e) => e.key).sort(), ['long', 'short']);
    now += 20;
    assert.deepEqual(cache.hottest(10).map((e) => e.key), ['long']);
    assert.deepEqual(cache.stats(), before);
    checkInvariants(cache);
  });

  it('refuses a bad limit or sample size', () => {
    const cache = skewed(1);
    assert.throws(() => cache.hottest(-1), RangeError);
    assert.throws(() => cache.hottest(1.5), RangeError);
    assert.throws(() => cache.hottest(1, 0), RangeError);
  });
});
