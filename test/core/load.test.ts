import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '../../src/core/cache.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('getOrLoad', () => {
  it('shares one loader call between concurrent misses', async () => {
    const cache = new Cache<string, number>({ maxEntries: 10 });
    const gate = deferred<number>();
    let calls = 0;
    const loader = () => {
      calls++;
      return gate.promise;
    };
    const waiters = Array.from({ length: 100 }, () => cache.getOrLoad('k', loader));
    gate.resolve(42);
    assert.deepEqual(await Promise.all(waiters), Array(100).fill(42));
    assert.equal(calls, 1);
    assert.equal(cache.get('k'), 42);
    assert.equal(await cache.getOrLoad('k', loader), 42);
    assert.equal(calls, 1);
    assert.equal(cache.stats().loads, 1);
  });

  it('rejects every waiter with the loader error and caches nothing', async () => {
    const cache = new Cache<string, number>({ maxEntries: 10 });
    const gate = deferred<number>();
    const failure = new Error('origin down');
    const waiters = Array.from({ length: 5 }, () => cache.getOrLoad('k', () => gate.promise));
    gate.reject(failure);
    for (const w of waiters) await assert.rejects(w, (e) => e === failure);
    assert.equal(cache.has('k'), false);
    assert.equal(cache.stats().loadErrors, 1);
    assert.equal(await cache.getOrLoad('k', () => 7), 7, 'a later call loads again');
  });

  it('turns a synchronous throw into a rejection', async () => {
    const cache = new Cache<string, number>({ maxEntries: 10 });
    await assert.rejects(
      cache.getOrLoad('k', () => {
        throw new TypeError('bad');
      }),
      TypeError,
    );
    assert.equal(cache.stats().loadErrors, 1);
  });

  it('does not cache a load that a write or delete overtook', async () => {
    const cache = new Cache<string, number>({ maxEntries: 10 });
    const gate = deferred<number>();
    const loading = cache.getOrLoad('k', () => gate.promise);
    cache.set('k', 2);
    gate.resolve(1);
    assert.equal(await loading, 1);
    assert.equal(cache.get('k'), 2, 'the newer write wins');

    const gate2 = deferred<number>();
    const loading2 = cache.getOrLoad('j', () => gate2.promise);
    cache.delete('j');
    gate2.resolve(1);
    await loading2;
    assert.equal(cache.has('j'), false, 'a delete during the load wins');
  });

  it('applies the ttl given to getOrLoad', async () => {
    let now = 0;
    const cache = new Cache<string, number>({ maxEntries: 10, now: () => now });
    await cache.getOrLoad('k', () => 1, { ttl: 50 });
    now = 49;
    assert.equal(cache.get('k'), 1);
    now = 50;
    assert.equal(cache.get('k'), undefined);
  });

  it('starts a fresh load after clear()', async () => {
    const cache = new Cache<string, number>({ maxEntries: 10 });
    const gate = deferred<number>();
    const first = cache.getOrLoad('k', () => gate.promise);
    cache.clear();
    const second = cache.getOrLoad('k', () => 2);
    gate.resolve(1);
    assert.equal(await first, 1);
    assert.equal(await second, 2);
    assert.equal(cache.get('k'), 2);
  });
});
