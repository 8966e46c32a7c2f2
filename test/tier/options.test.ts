import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { TieredCache, type TieredCacheOptions } from '../../src/index.js';

const url = 'redis://127.0.0.1:1';

function fails(options: unknown, kind: typeof TypeError | typeof RangeError, message: RegExp): void {
  assert.throws(() => new TieredCache(options as TieredCacheOptions<unknown>), (error: Error) => {
    assert.equal(error.constructor, kind, `${error.constructor.name}: ${error.message}`);
    assert.match(error.message, message);
    return true;
  });
}

describe('TieredCache options fail at construction with a clear message', () => {
  it('wrong types are TypeErrors', () => {
    fails(undefined, TypeError, /options must be an object/);
    fails({ namespace: 'app' }, TypeError, /redis/);
    fails({ redis: 42, namespace: 'app' }, TypeError, /redis must be a redis:\/\/ URL or an ioredis Redis instance/);
    fails({ redis: 'http://localhost', namespace: 'app' }, TypeError, /redis:\/\/ or rediss:\/\//);
    fails({ redis: url }, TypeError, /namespace is required/);
    fails({ redis: url, namespace: 'app', ttl: '10s' }, TypeError, /ttl must be a number of ms/);
    fails({ redis: url, namespace: 'app', serializer: JSON }, TypeError, /serializer/);
    fails({ redis: url, namespace: 'app', distributedLock: 'yes' }, TypeError, /distributedLock/);
    fails({ redis: url, namespace: 'app', readAtTurnEnd: 'yes' }, TypeError, /readAtTurnEnd/);
    fails({ redis: url, namespace: 'app', l2timeout: 5 }, TypeError, /unknown option l2timeout/);
    fails({ redis: url, namespace: 'app', l1: { maxEntries: 10, ttlJitter: 0.1 } }, TypeError, /unknown option l1\.ttlJitter/);
    fails({ redis: url, namespace: 'app', l1: { maxEntries: '10' } }, TypeError, /l1\.maxEntries/);
  });

  it('bad values are RangeErrors', () => {
    fails({ redis: url, namespace: '' }, RangeError, /namespace must not be empty/);
    fails({ redis: url, namespace: 'a#b' }, RangeError, /namespace must not contain/);
    fails({ redis: url, namespace: 'app*' }, RangeError, /namespace must not contain/);
    fails({ redis: url, namespace: 'app', ttl: -1 }, RangeError, /ttl must be >= 0/);
    fails({ redis: url, namespace: 'app', ttl: Infinity }, RangeError, /ttl must be finite/);
    fails({ redis: url, namespace: 'app', ttlJitter: 1 }, RangeError, /ttlJitter must be below 1/);
    fails({ redis: url, namespace: 'app', invalidation: 'broadcast' }, RangeError, /invalidation/);
    fails({ redis: url, namespace: 'app', l2Timeout: 0 }, RangeError, /l2Timeout must be > 0/);
    fails({ redis: url, namespace: 'app', distributedLock: { ttl: 0, wait: 10 } }, RangeError, /distributedLock\.ttl must be > 0/);
    fails({ redis: url, namespace: 'app', earlyRefresh: 1.5 }, RangeError, /earlyRefresh must be below 1/);
    fails({ redis: url, namespace: 'app', l1: { maxEntries: 0 } }, RangeError, /l1: maxEntries must be/);
  });

  it('clients it cannot use are refused', () => {
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'x:' });
    fails({ redis: prefixed, namespace: 'app' }, TypeError, /keyPrefix/);
    const socket = new Redis({ lazyConnect: true, path: '/tmp/redis.sock' });
    fails({ redis: socket, namespace: 'app' }, TypeError, /Unix socket/);
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    fails({ redis: cluster, namespace: 'app' }, TypeError, /Cluster is not supported/);
    prefixed.disconnect();
    socket.disconnect();
    cluster.disconnect();
  });

  it('per-call options are checked too', async () => {
    const cache = new TieredCache<string>({ redis: url, namespace: 'app', invalidation: 'none', l2Timeout: 50 });
    await assert.rejects(cache.set('k', 'v', { ttl: -5 }), (e: Error) => e instanceof RangeError && /TieredCache\.set: ttl must be >= 0/.test(e.message));
    await assert.rejects(cache.getOrLoad('k', () => 'v', { tags: [''] }), RangeError);
    await assert.rejects(cache.set('k', undefined as unknown as string), TypeError);
    await assert.rejects(cache.get(7 as unknown as string), TypeError);
    await cache.close();
  });
});
