/** Redis killed and restarted under a running TieredCache, in both modes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { connectedCache, waitFor } from '../support/tiered.js';

for (const mode of ['tracking', 'pubsub'] as const) {
  describe(`Redis killed and restarted, invalidation: '${mode}'`, () => {
    let redis: RedisServer;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      await redis.stop();
    });

    it('answers from L1 and the loader while down, flushes L1 on the way back, serves no stale value after', async () => {
      const cache = await connectedCache<string>({ redis: redis.url, namespace: 'r', invalidation: mode, l1: { maxEntries: 100 }, l2Timeout: 200 });
      const plain = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
      plain.on('error', () => {});
      try {
        await cache.set('before', 'v1');
        await waitFor(async () => (await cache.get('before')) === 'v1' && cache.getLocal('before') === 'v1', 5000, 'before in L1');

        await redis.kill();
        await waitFor(() => cache.invalidationState === 'down', 5000, 'the channel to be lost');
        assert.equal(cache.getLocal('before'), undefined, 'L1 flushed when the channel dropped');

        let loads = 0;
        const loader = async (key: string) => `${key} from the origin ${++loads}`;
        assert.equal(await cache.getOrLoad('before', loader), 'before from the origin 1', 'the loader answers');
        assert.equal(await cache.getOrLoad('before', loader), 'before from the origin 1', 'then L1 does');
        assert.equal(loads, 1);
        await assert.rejects(cache.get('nowhere'), /unavailable|did not answer/, 'get() of a key no tier has');
        await assert.rejects(cache.set('k', 'x'), 'a write cannot reach the source of truth');

        await redis.restart();
        await waitFor(() => cache.invalidationState === 'connected' && cache.l2Available, 10_000, 'the channel and L2 to come back');
        assert.equal(cache.getLocal('before'), undefined, 'L1 flushed when the channel came back');
        // The restarted Redis is empty; someone else writes the key; nothing from before the outage shows.
        await waitFor(async () => (await plain.set('r:before', '"v2"').catch(() => null)) === 'OK', 5000, 'the plain client');
        assert.equal(await cache.get('before'), 'v2');
        assert.equal(await cache.getOrLoad('before', loader), 'v2');
        await cache.set('after', 'works');
        assert.equal(await plain.get('r:after'), '"works"');
      } finally {
        plain.disconnect();
        await cache.close();
      }
    });
  });
}
