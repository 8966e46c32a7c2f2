/** Cache.liveKeys: every key held, none expired, a snapshot one may delete from while walking it. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Cache } from '../../src/core/cache.js';

it('lists every live key, leaving out expired ones', () => {
  let now = 1_000;
  const cache = new Cache<string, number>({ maxEntries: 100, now: () => now });
  for (let i = 0; i < 50; i++) cache.set(`k${i}`, i, i % 2 === 0 ? { ttl: 100 } : undefined);
  // Reads move entries between the queues: the list covers all of them.
  for (let i = 0; i < 50; i += 3) cache.get(`k${i}`);
  assert.deepEqual(new Set(cache.liveKeys()), new Set(Array.from({ length: 50 }, (_, i) => `k${i}`)));
  now += 200;
  assert.deepEqual(new Set(cache.liveKeys()), new Set(Array.from({ length: 25 }, (_, i) => `k${2 * i + 1}`)));
  for (const key of cache.liveKeys()) cache.delete(key);
  assert.deepEqual(cache.liveKeys(), []);
});
