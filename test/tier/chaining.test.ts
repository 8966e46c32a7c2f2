/** L1 -> cachee proxy -> Redis: a TieredCache whose L2 URL is a cachee proxy in front of a real Redis. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { TieredCache } from '../../src/index.js';
import { startProxyOverRedis, type ProxyUnderTest } from '../support/proxy.js';
import { connectedCache, waitFor } from '../support/tiered.js';

describe('chaining: the L2 URL points at a cachee proxy', () => {
  let env: ProxyUnderTest;
  let chained: TieredCache<string>;
  let direct: TieredCache<string>;
  let plain: Redis;
  before(async () => {
    env = await startProxyOverRedis();
    chained = await connectedCache<string>({ redis: `redis://127.0.0.1:${env.port}`, namespace: 'chain', l1: { maxEntries: 100 }, distributedLock: true });
    direct = await connectedCache<string>({ redis: env.redis.url, namespace: 'chain', l1: { maxEntries: 100 } });
    plain = new Redis(env.redis.port, '127.0.0.1');
  });
  after(async () => {
    plain.disconnect();
    await chained.close();
    await direct.close();
    await env.stop();
  });

  const inL1 = (cache: TieredCache<string>, key: string, value: string) =>
    waitFor(async () => (await cache.get(key)) === value && cache.getLocal(key) === value, 5000, `${key}=${value} in L1`);

  it('tracking works through the proxy: writes made directly on Redis reach the chained L1', async () => {
    await plain.set('chain:k', '"v1"');
    await inL1(chained, 'k', 'v1');
    await plain.set('chain:k', '"v2"');
    await waitFor(() => chained.getLocal('k') === undefined, 5000, 'the invalidation through the proxy');
    assert.equal(await chained.get('k'), 'v2', 'and the proxy’s own L1 was invalidated too');
  });

  it('writes through the proxy reach instances on Redis directly, and the other way round', async () => {
    await chained.set('w', 'from chained');
    assert.equal(await plain.get('chain:w'), '"from chained"');
    await inL1(direct, 'w', 'from chained');
    await inL1(chained, 'w', 'from chained');
    await direct.set('w', 'from direct');
    await waitFor(() => chained.getLocal('w') === undefined, 5000, 'the chained L1 to drop w');
    assert.equal(await chained.get('w'), 'from direct');
    await chained.delete('w');
    await waitFor(() => direct.getLocal('w') === undefined, 5000, 'the direct L1 to drop w');
    assert.equal(await direct.get('w'), undefined);
  });

  it('tags, clear and the lock (Lua scripts, SET NX PX) pass through the proxy', async () => {
    await chained.set('t', 'tagged', { tags: ['x'] });
    await inL1(direct, 't', 'tagged');
    await chained.invalidateTags(['x']);
    await waitFor(() => direct.getLocal('t') === undefined, 5000, 'invalidateTags through the proxy');
    assert.equal(await plain.exists('chain:t'), 0);
    let loads = 0;
    assert.equal(await chained.getOrLoad('l', async () => `loaded ${++loads}`), 'loaded 1');
    await waitFor(async () => (await plain.exists('chain#lock:l')) === 0, 5000, 'the lock to be released');
    await inL1(direct, 'l', 'loaded 1');
    await chained.clear();
    await waitFor(() => direct.getLocal('l') === undefined, 5000, 'clear through the proxy');
  });
});
