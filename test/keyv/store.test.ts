/**
 * cachee/keyv through Keyv's own API and through cache-manager (built on Keyv), over both
 * backends: an in-process Cache, and TieredCaches on a real redis-server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { Cache, TieredCache } from '../../src/index.js';
import { CacheeKeyvStore, type KeyvBackend } from '../../src/keyv/index.js';
import { connectedCache, redisForTests, waitFor } from '../support/tiered.js';

const env = redisForTests();
let counter = 0;

const eventually = (what: string, condition: () => boolean | Promise<boolean>) => waitFor(condition, 5000, what);

/** TieredCaches sharing a fresh Redis namespace, closed after the tests. */
async function tieredFleet(count: number, invalidation: 'tracking' | 'pubsub' = 'tracking'): Promise<{ ns: string; caches: TieredCache<unknown>[] }> {
  const ns = `kv${++counter}`;
  const caches = await Promise.all(
    Array.from({ length: count }, () => connectedCache<unknown>({ redis: env.redis.url, namespace: ns, invalidation, l1: { maxEntries: 1000 } })),
  );
  env.open.push(...caches);
  return { ns, caches };
}

interface Backend {
  name: string;
  /** A fresh backend, and whether it holds `key` (as Keyv passes it, namespace included), read past Keyv. */
  make(): Promise<{ backend: KeyvBackend; holds(key: string): Promise<boolean> }>;
}

const backends: Backend[] = [
  {
    name: 'Cache (in-process)',
    make: async () => {
      const backend = new Cache<string, unknown>({ maxEntries: 1000 });
      return { backend, holds: async (key) => backend.has(key) };
    },
  },
  {
    name: 'TieredCache (L1 + Redis)',
    make: async () => {
      const {
        ns,
        caches: [backend],
      } = await tieredFleet(1);
      return { backend, holds: async (key) => (await env.plain.exists(`${ns}:${key}`)) === 1 };
    },
  },
];

for (const { name, make } of backends) {
  describe(`Keyv over ${name}`, () => {
    it('get, set, has, delete, and their many-key forms', async () => {
      const keyv = new Keyv({ store: new CacheeKeyvStore((await make()).backend) });
      assert.equal(await keyv.get('k'), undefined);
      assert.equal(await keyv.has('k'), false);
      assert.equal(await keyv.set('k', 'v'), true);
      assert.equal(await keyv.get('k'), 'v');
      assert.equal(await keyv.has('k'), true);
      assert.equal(await keyv.delete('k'), true);
      assert.equal(await keyv.delete('k'), false);
      assert.equal(await keyv.get('k'), undefined);

      assert.deepEqual(await keyv.setMany([{ key: 'a', value: 1 }, { key: 'b', value: { two: 2 } }]), undefined);
      assert.deepEqual(await keyv.get(['a', 'missing', 'b']), [1, undefined, { two: 2 }]);
      assert.deepEqual(await keyv.has(['a', 'missing']), [true, false]);
      // True only when every key was there, as Keyv answers for a store without deleteMany.
      assert.equal(await keyv.delete(['a', 'missing']), false);
      assert.equal(await keyv.delete(['b']), true);
      assert.deepEqual(await keyv.get(['a', 'b']), [undefined, undefined]);
    });

    it('keeps values of every kind Keyv serializes: JSON, binary, null, false', async () => {
      const keyv = new Keyv({ store: new CacheeKeyvStore((await make()).backend) });
      const values: [string, unknown][] = [
        ['string', 'with "quotes" and \u00e9'],
        ['number', 0],
        ['false', false],
        ['null', null],
        ['object', { list: [1, 'two', { three: 3 }], nested: { deep: true } }],
        ['buffer', Buffer.from([0, 1, 2, 255, 254])],
        ['object with a buffer', { bytes: Buffer.from('\u00ff\u0000binary') }],
      ];
      for (const [key, value] of values) await keyv.set(key, value);
      for (const [key, value] of values) assert.deepEqual(await keyv.get(key), value, key);
    });

    it('stores raw entries when Keyv does not serialize', async () => {
      const keyv = new Keyv({ store: new CacheeKeyvStore((await make()).backend), serialize: undefined, deserialize: undefined });
      await keyv.set('raw', { name: 'Ada', tags: ['a', 'b'] }, 60_000);
      assert.deepEqual(await keyv.get('raw'), { name: 'Ada', tags: ['a', 'b'] });
      const entry = (await keyv.getRaw('raw'))!;
      assert.ok(typeof entry.expires === 'number' && entry.expires > Date.now(), `expires ${entry.expires}`);
    });

    it("passes Keyv's TTL to the backend, which drops the entry when it expires", async () => {
      const { backend, holds } = await make();
      const keyv = new Keyv({ store: new CacheeKeyvStore(backend) });
      await keyv.set('short', 'v', 50);
      await keyv.set('long', 'v', 60_000);
      assert.equal(await keyv.get('long'), 'v');
      // Gone from the backend itself, not only hidden by Keyv's own check of `expires`.
      await eventually('the short entry to expire in the backend', async () => !(await holds('keyv:short')));
      assert.equal(await keyv.get('short'), undefined);
      assert.equal(await holds('keyv:long'), true);
      // A TTL already past: the key is absent.
      await keyv.set('long', 'v', -1);
      assert.equal(await holds('keyv:long'), false);
    });

    it('keeps namespaces apart; clear() removes only its own', async () => {
      const { backend, holds } = await make();
      const users = new Keyv({ store: new CacheeKeyvStore(backend), namespace: 'users' });
      const sessions = new Keyv({ store: new CacheeKeyvStore(backend), namespace: 'sessions' });
      await users.set('1', 'Ada');
      await users.set('2', 'Grace');
      await sessions.set('1', 'token');
      assert.equal(await users.get('1'), 'Ada');
      assert.equal(await sessions.get('1'), 'token');
      await users.clear();
      assert.deepEqual(await users.get(['1', '2']), [undefined, undefined]);
      assert.equal(await holds('users:1'), false);
      assert.equal(await sessions.get('1'), 'token');
      // Without a namespace, clear() empties the store.
      const everything = new Keyv({ store: new CacheeKeyvStore(backend) });
      everything.namespace = undefined;
      await everything.clear();
      assert.equal(await sessions.get('1'), undefined);
    });

    it('works as a cache-manager store: wrap, get, set, del, clear', async () => {
      const cache = createCache({ stores: [new Keyv({ store: new CacheeKeyvStore((await make()).backend) })] });
      let loads = 0;
      const load = async () => {
        loads++;
        return { id: 7, name: 'loaded' };
      };
      assert.deepEqual(await cache.wrap('user:7', load, 60_000), { id: 7, name: 'loaded' });
      assert.deepEqual(await cache.wrap('user:7', load, 60_000), { id: 7, name: 'loaded' });
      assert.equal(loads, 1);
      assert.deepEqual(await cache.get('user:7'), { id: 7, name: 'loaded' });
      await cache.set('greeting', 'hello', 60_000);
      assert.equal(await cache.get('greeting'), 'hello');
      const ttl = await cache.ttl('greeting');
      assert.ok(ttl !== undefined && ttl > Date.now(), `ttl ${ttl}`);
      assert.equal(await cache.del('greeting'), true);
      assert.equal(await cache.get('greeting'), undefined);
      await cache.clear();
      assert.equal(await cache.get('user:7'), undefined);
      assert.deepEqual(await cache.wrap('user:7', load), { id: 7, name: 'loaded' });
      assert.equal(loads, 2);
    });
  });
}

describe('Keyv over TieredCache, against Redis', () => {
  it('writes Keyv entries under the TieredCache namespace, with the TTL as Redis PTTL', async () => {
    const {
      ns,
      caches: [tiered],
    } = await tieredFleet(1);
    const keyv = new Keyv({ store: new CacheeKeyvStore(tiered), namespace: 'app', ttl: 60_000 });
    await keyv.set('k', { a: 1 });
    const pttl = await env.plain.pttl(`${ns}:app:k`);
    assert.ok(pttl > 50_000 && pttl <= 60_000, `PTTL ${pttl}`);
    // Keyv's serialized entry (text), stored by the TieredCache's serializer as a JSON string.
    const entry = JSON.parse(JSON.parse((await env.plain.get(`${ns}:app:k`))!));
    assert.deepEqual(entry.value, { a: 1 });
    assert.ok(entry.expires > Date.now(), `expires ${entry.expires}`);
  });

  for (const mode of ['tracking', 'pubsub'] as const) {
    it(`two Keyv instances over two TieredCaches see each other's writes (invalidation: '${mode}')`, async () => {
      const {
        caches: [a, b],
      } = await tieredFleet(2, mode);
      const writer = new Keyv({ store: new CacheeKeyvStore(a) });
      const reader = new Keyv({ store: new CacheeKeyvStore(b) });
      /** Reads until the reader's L1 holds the key, so what follows is a test of invalidation. */
      const warm = (key: string) =>
        eventually(`${key} in the reader's L1`, async () => {
          await reader.get(key);
          return b.getLocal(`keyv:${key}`) !== undefined;
        });

      await writer.set('k', 'first');
      await writer.set('other', 'kept');
      await warm('k');
      await warm('other');
      assert.equal(await reader.get('k'), 'first');
      await writer.set('k', 'second');
      await eventually('the reader to see the new value', async () => (await reader.get('k')) === 'second');

      await warm('k');
      await writer.delete('k');
      await eventually('the reader to see the delete', async () => (await reader.get('k')) === undefined);

      await writer.set('k', 'third');
      await warm('k');
      await writer.clear();
      await eventually("the reader to see the clear", async () => (await reader.get('k')) === undefined && (await reader.get('other')) === undefined);
    });
  }

  it('reports a failed read as an error event, and a miss', async () => {
    // Nothing listens on port 1: every L2 call fails at once.
    const tiered = new TieredCache<unknown>({ redis: 'redis://127.0.0.1:1', namespace: 'down', invalidation: 'none', l2Timeout: 200 });
    env.open.push(tiered);
    const keyv = new Keyv({ store: new CacheeKeyvStore(tiered) });
    const errors: unknown[] = [];
    keyv.on('error', (error: unknown) => errors.push(error));
    assert.equal(await keyv.get('k'), undefined);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /Redis/);
    // A failed write: Keyv answers false and reports it.
    assert.equal(await keyv.set('k', 'v'), false);
    assert.equal(errors.length, 2);
  });

  it('disconnect() closes the TieredCache', async () => {
    const {
      caches: [tiered],
    } = await tieredFleet(1);
    const keyv = new Keyv({ store: new CacheeKeyvStore(tiered) });
    await keyv.disconnect();
    await assert.rejects(tiered.set('k', 'v'), /closed/);
  });
});

describe('CacheeKeyvStore', () => {
  it('refuses a backend that is not a cachee cache', () => {
    assert.throws(() => new CacheeKeyvStore(new Map() as unknown as KeyvBackend), /must be a cachee Cache or TieredCache/);
  });
});

describe('Keyv over a Cache that declines an entry', () => {
  it('answers false for a value larger than the whole cache, and keeps nothing', async () => {
    const backend = new Cache<string, unknown>({ maxBytes: 4096 });
    const keyv = new Keyv({ store: new CacheeKeyvStore(backend) });
    assert.equal(await keyv.set('small', 'v'), true);
    assert.equal(await keyv.set('huge', 'x'.repeat(10_000)), false);
    assert.equal(await keyv.get('huge'), undefined);
    assert.equal(await keyv.get('small'), 'v');
  });
});
