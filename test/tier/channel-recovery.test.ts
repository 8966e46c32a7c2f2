/**
 * TieredCache's tracking channel through failures that pass: Redis busy with a script while the
 * channel reconnects (answered -BUSY), and a user denied CLIENT TRACKING for a while (NOPERM).
 * Neither may turn invalidation off for good; while the channel is down, L1 takes nothing that a
 * write elsewhere could make stale, and once it is back a direct write reaches L1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TieredCache } from '../../src/index.js';
import { BUSY_REDIS_ARGS, busyWhileTrackingReconnects, invalidationConnectionIds } from '../support/busy-upstream.js';
import { RawClient } from '../support/proxy.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { connectedCache, waitFor } from '../support/tiered.js';

describe('TieredCache tracking channel, failures that pass', () => {
  let redis: RedisServer;
  let plain: Redis;
  let direct: RawClient;
  before(async () => {
    redis = await startRedis(BUSY_REDIS_ARGS);
    plain = new Redis(redis.port, '127.0.0.1');
    direct = await RawClient.connect(redis.port);
  });
  after(async () => {
    plain.disconnect();
    direct.close();
    await redis.stop();
  });

  const warm = (cache: TieredCache<string>, key: string) =>
    waitFor(async () => (await cache.get(key)) !== undefined && cache.getLocal(key) !== undefined, 5000, `${key} in L1`);

  it('comes back after Redis answered -BUSY to its reconnection, and a direct write then reaches L1', async () => {
    const cache = await connectedCache<string>({ redis: redis.url, namespace: 'busy', l1: { maxEntries: 100 } });
    const states: string[] = [];
    try {
      await plain.set('busy:k', '"old"');
      await warm(cache, 'k');
      await busyWhileTrackingReconnects(redis.port, 1500);
      await waitFor(() => {
        states.push(cache.invalidationState);
        return cache.invalidationState === 'connected';
      }, 10_000, 'the channel to come back after the script');
      assert.ok(!states.includes('off'), `never taken as "no tracking": ${[...new Set(states)].join(', ')}`);
      await plain.set('busy:k', '"new"');
      await waitFor(async () => (await cache.get('k')) === 'new', 5000, 'the new value');
    } finally {
      await cache.close();
    }
  });

  it('while CLIENT TRACKING is refused (NOPERM) stays down, keeps Redis reads out of L1, and comes back when allowed', async () => {
    await plain.call('ACL', 'SETUSER', 'app', 'on', '>secret', '~*', '&*', '+@all');
    const cache = await connectedCache<string>({ redis: `redis://app:secret@127.0.0.1:${redis.port}`, namespace: 'perm', l1: { maxEntries: 100 } });
    try {
      await plain.set('perm:k', '"v1"');
      await warm(cache, 'k');
      await plain.call('ACL', 'SETUSER', 'app', '-client|tracking');
      for (const id of await invalidationConnectionIds(direct)) await direct.call('CLIENT', 'KILL', 'ID', id);
      await waitFor(() => cache.invalidationState === 'down', 5000, 'the channel to be lost');
      assert.equal(cache.getLocal('k'), undefined, 'L1 flushed when the channel dropped');

      // Redis answers reads; none of them may enter L1 while no invalidation can reach it.
      assert.equal(await cache.get('k'), 'v1');
      assert.equal(cache.getLocal('k'), undefined, 'a read from Redis stays out of L1');
      await cache.set('own', 'mine');
      assert.equal(cache.getLocal('own'), undefined, 'an own write stays out of L1');
      await plain.set('perm:k', '"v2"');
      assert.equal(await cache.get('k'), 'v2', 'a direct write is seen at once');
      assert.equal(cache.invalidationState, 'down', 'still down: NOPERM is not "no tracking"');

      await plain.call('ACL', 'SETUSER', 'app', '+client|tracking');
      await waitFor(() => cache.invalidationState === 'connected', 10_000, 'the channel to come back once allowed');
      await warm(cache, 'k');
      await plain.set('perm:k', '"v3"');
      await waitFor(async () => (await cache.get('k')) === 'v3', 5000, 'the new value');
    } finally {
      await cache.close();
    }
  });
});
