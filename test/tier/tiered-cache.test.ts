/**
 * TieredCache against a real redis-server and against cachee's own embedded store (`cachee start`
 * with no upstream): two or more instances in one process, in both modes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TieredCache, type TieredCacheOptions } from '../../src/index.js';
import { startDelayRelay } from '../../bench/support/delay-relay.js';
import { BACKENDS, connectedCache, redisForTests, waitFor, type Backend, type Mode } from '../support/tiered.js';

for (const backend of BACKENDS) describe(`TieredCache against ${backend}`, () => suite(backend));

function suite(backend: Backend): void {
  const env = redisForTests(backend);
  let counter = 0;

  /** Instances sharing a fresh namespace. */
  async function fleet<V>(mode: Mode | 'none', count: number, extra: Partial<TieredCacheOptions<V>> = {}): Promise<{ ns: string; caches: TieredCache<V>[] }> {
    const ns = `t${++counter}`;
    const caches = await Promise.all(
      Array.from({ length: count }, () => connectedCache<V>({ redis: env.redis.url, namespace: ns, invalidation: mode, l1: { maxEntries: 1000 }, ...extra })),
    );
    env.open.push(...caches);
    return { ns, caches };
  }

  const eventually = (what: string, condition: () => boolean | Promise<boolean>) => waitFor(condition, 5000, what);

  /**
   * Reads until the key is in L1. In tracking mode Redis's report of a write often overtakes the
   * write's reply, so the writer cannot tell it from someone else's and leaves the key to its next read.
   */
  const warm = <V>(cache: TieredCache<V>, key: string) =>
    eventually(`${key} in L1`, async () => {
      await cache.get(key);
      return cache.getLocal(key) !== undefined;
    });

  for (const mode of ['tracking', 'pubsub'] as const) {
    describe(`TieredCache, invalidation: '${mode}'`, () => {
      it('reads L1 -> L2 -> loader, promoting what it finds below into the tiers above', async () => {
        const {
          ns,
          caches: [a, b],
        } = await fleet<{ name: string }>(mode, 2, { ttl: 60_000 });
        let loads = 0;
        const loader = async (key: string) => {
          loads++;
          return { name: `loaded ${key}` };
        };
        assert.deepEqual(await a.getOrLoad('u1', loader), { name: 'loaded u1' });
        assert.equal(loads, 1);
        // The Redis layout: JSON text under ns:key, with the ttl.
        assert.equal(await env.plain.get(`${ns}:u1`), '{"name":"loaded u1"}');
        const pttl = await env.plain.pttl(`${ns}:u1`);
        assert.ok(pttl > 50_000 && pttl <= 60_000, `PTTL ${pttl}`);
        // b: L1 miss, L2 hit, promoted; the loader is not called.
        assert.equal(b.getLocal('u1'), undefined);
        assert.deepEqual(await b.getOrLoad('u1', loader), { name: 'loaded u1' });
        assert.equal(loads, 1);
        assert.deepEqual(b.getLocal('u1'), { name: 'loaded u1' });
        assert.equal(b.stats().l2Hits, 1);
        // get() promotes too; a miss everywhere is undefined.
        await env.plain.set(`${ns}:u2`, '{"name":"written elsewhere"}');
        assert.deepEqual(await a.get('u2'), { name: 'written elsewhere' });
        assert.deepEqual(a.getLocal('u2'), { name: 'written elsewhere' });
        assert.equal(await a.get('nobody'), undefined);
      });

      it('a write goes to Redis and removes every other instance’s L1 copy; the writer reads its own write', async () => {
        const {
          ns,
          caches: [a, b, c],
        } = await fleet<string>(mode, 3);
        await a.set('k', 'v1');
        for (const cache of [b, c]) assert.equal(await cache.get('k'), 'v1');
        assert.equal(b.getLocal('k'), 'v1');
        await a.set('k', 'v2');
        assert.equal(await env.plain.get(`${ns}:k`), '"v2"');
        await eventually('b and c to drop v1', () => b.getLocal('k') === undefined && c.getLocal('k') === undefined);
        assert.equal(await b.get('k'), 'v2');
        assert.equal(await c.get('k'), 'v2');
        assert.equal(await a.get('k'), 'v2');
      });

      it('delete, invalidateTags and clear reach every instance', async () => {
        const {
          ns,
          caches: [a, b],
        } = await fleet<number>(mode, 2);
        await a.set('d', 1);
        await a.set('t1', 2, { tags: ['red'] });
        await a.set('t2', 3, { tags: ['red', 'blue'] });
        await a.set('t3', 4, { tags: ['blue'] });
        for (const key of ['d', 't1', 't2', 't3']) {
          await warm(a, key);
          await warm(b, key);
        }

        await a.delete('d');
        assert.equal(await env.plain.exists(`${ns}:d`), 0);
        await eventually('b to drop d', () => b.getLocal('d') === undefined);
        assert.equal(await b.get('d'), undefined);

        await b.invalidateTags(['red']);
        assert.equal(await env.plain.exists(`${ns}:t1`, `${ns}:t2`), 0, 'tagged keys gone from L2');
        assert.equal(await env.plain.get(`${ns}:t3`), '4', 'a key without the tag stays');
        assert.equal(await env.plain.exists(`${ns}#tag:red`), 0, 'the tag set itself is gone');
        assert.equal(b.getLocal('t1'), undefined, 'the caller drops them at once');
        await eventually('a to drop t1 and t2', () => a.getLocal('t1') === undefined && a.getLocal('t2') === undefined);
        assert.equal(a.getLocal('t3'), 4);
        assert.equal(await a.get('t2'), undefined);

        // Values loaded while Redis was unreachable, or cached misses, are only in L1: clear() flushes them too.
        await b.set('x', 5);
        await warm(a, 'x');
        let negativeLoads = 0;
        const absent = async () => {
          negativeLoads++;
          return undefined;
        };
        await a.getOrLoad('only-in-l1', absent, { negativeTtl: 60_000 });
        await a.getOrLoad('only-in-l1', absent, { negativeTtl: 60_000 });
        assert.equal(negativeLoads, 1);
        await b.clear();
        assert.equal((await env.plain.keys(`${ns}:*`)).length, 0);
        assert.equal((await env.plain.keys(`${ns}#tag:*`)).length, 0);
        await eventually('a to flush', () => a.getLocal('t3') === undefined && a.getLocal('x') === undefined);
        assert.equal(await a.get('t3'), undefined);
        // The cached miss was never in Redis: only clear()'s own broadcast could remove it.
        await eventually('the broadcast flush', async () => {
          await a.getOrLoad('only-in-l1', absent, { negativeTtl: 60_000 });
          return negativeLoads === 2;
        });
      });

      it('null is a value; undefined from the loader is a miss, cached only with negativeTtl', async () => {
        const {
          ns,
          caches: [a, b],
        } = await fleet<string | null>(mode, 2);
        await a.set('n', null);
        assert.equal(await env.plain.get(`${ns}:n`), 'null');
        assert.equal(await b.get('n'), null);
        assert.equal(b.getLocal('n'), null);
        let loads = 0;
        const missing = async () => {
          loads++;
          return undefined;
        };
        assert.equal(await a.getOrLoad('absent', missing), undefined);
        assert.equal(await a.getOrLoad('absent', missing), undefined);
        assert.equal(loads, 2, 'without negativeTtl every miss asks the loader');
        assert.equal(await env.plain.exists(`${ns}:absent`), 0, 'a miss is never written to Redis');
        assert.equal(await a.getOrLoad('absent', missing, { negativeTtl: 60_000 }), undefined);
        assert.equal(await a.getOrLoad('absent', missing, { negativeTtl: 60_000 }), undefined);
        assert.equal(loads, 3, 'the cached miss answers');
        // Writing the key elsewhere ends the cached miss.
        await b.set('absent', 'now here');
        await eventually('a to drop its cached miss', async () => (await a.getOrLoad('absent', missing)) === 'now here');
      });

      it('loader errors reach every waiting caller and nothing is cached; staleIfError serves the last value', async () => {
        const {
          ns,
          caches: [a],
        } = await fleet<string>(mode, 1);
        let calls = 0;
        const failing = async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error('origin down');
        };
        const results = await Promise.allSettled([a.getOrLoad('e', failing), a.getOrLoad('e', failing), a.getOrLoad('e', failing)]);
        assert.equal(calls, 1, 'one loader call shared by the three');
        for (const r of results) assert.equal(r.status === 'rejected' && (r.reason as Error).message, 'origin down');
        assert.equal(await env.plain.exists(`${ns}:e`), 0);
        assert.equal(a.getLocal('e'), undefined);

        const first = async () => 'first';
        const staleOptions = { ttl: 300, staleIfError: 60_000 };
        assert.equal(await a.getOrLoad('s', first, staleOptions), 'first');
        assert.equal(await a.getOrLoad('p', first, { ttl: 300 }), 'first');
        await eventually('s in L1', async () => (await a.getOrLoad('s', first, staleOptions)) === 'first' && a.getLocal('s') === 'first');
        await eventually('Redis to expire both', async () => (await env.plain.exists(`${ns}:s`, `${ns}:p`)) === 0);
        await eventually('the L1 copy to stop being fresh', () => a.getLocal('s') === undefined);
        assert.equal(await a.getOrLoad('s', failing, staleOptions), 'first');
        assert.equal(a.stats().staleServed, 1);
        await assert.rejects(a.getOrLoad('p', failing), /origin down/, 'without staleIfError the error reaches the caller');
        assert.equal(await a.getOrLoad('s', async () => 'second', { ttl: 60_000 }), 'second', 'a working loader replaces the stale value');
      });

      it('an entry is refreshed early in the background while its value is still served', async () => {
        const {
          caches: [a],
        } = await fleet<number>(mode, 1, { ttl: 300, earlyRefresh: 0.9 });
        let version = 0;
        const loader = async () => ++version;
        assert.equal(await a.getOrLoad('hot', loader), 1);
        await eventually('an early refresh', async () => {
          const value = await a.getOrLoad('hot', loader);
          assert.notEqual(value, undefined);
          return a.stats().earlyRefreshes >= 1 && version >= 2;
        });
        await eventually('the refreshed value to be served', async () => (await a.getOrLoad('hot', loader)) >= 2);
      });

      it('the read-in-flight race: a reply overtaken by an invalidation is returned but not cached', async () => {
        // The reader's L2 commands go through a relay adding 100 ms each way; its invalidation
        // channel connects straight to Redis (ioredis's options name the real port for it).
        const relay = await startDelayRelay(env.redis.port, 100);
        const slowClient = new Redis(relay.port, '127.0.0.1');
        try {
          await slowClient.ping();
          slowClient.options.port = env.redis.port;
          const ns = `race-${mode}-${backend}`;
          const reader = await connectedCache<string>({ redis: slowClient, namespace: ns, invalidation: mode, l1: { maxEntries: 10 }, l2Timeout: 2000 });
          const writer = await connectedCache<string>({ redis: env.redis.url, namespace: ns, invalidation: mode, l1: { maxEntries: 10 } });
          env.open.push(reader, writer);
          await writer.set('k', 'old');
          const read = reader.get('k'); // reaches Redis at ~100 ms, its reply arrives at ~200 ms
          await new Promise((resolve) => setTimeout(resolve, 150));
          await writer.set('k', 'new'); // its invalidation reaches the reader directly, before the reply
          assert.equal(await read, 'old', 'the read began before the write');
          assert.equal(reader.getLocal('k'), undefined, 'but its reply must not enter L1');
          assert.equal(await reader.get('k'), 'new');
        } finally {
          await relay.close();
          slowClient.disconnect();
        }
      });

      const noPause = backend === 'embedded' && 'the embedded store has no CLIENT PAUSE to make it slow';
      it('a Redis slower than l2Timeout does not fail reads L1 or the loader can answer', { skip: noPause }, async () => {
        const {
          caches: [a],
        } = await fleet<string>(mode, 1, { l2Timeout: 100, ttl: 60_000 });
        await a.set('warm', 'in L1');
        await warm(a, 'warm');
        const pauser = new Redis(env.redis.port, '127.0.0.1');
        try {
          await pauser.client('PAUSE', 600, 'ALL');
          assert.equal(a.getLocal('warm'), 'in L1');
          assert.equal(await a.get('warm'), 'in L1');
          assert.equal(await a.getOrLoad('cold', async () => 'from the loader'), 'from the loader');
          await assert.rejects(a.get('other'), /did not answer within 100 ms/, 'get() with no tier able to answer');
          assert.ok(a.stats().l2Errors >= 2);
        } finally {
          pauser.disconnect();
        }
      });
    });
  }

  describe('TieredCache, tracking: writes by any Redis client', () => {
    it('a plain ioredis SET, DEL, EXPIRE or FLUSHALL on ns:k invalidates every L1 copy', async () => {
      const {
        ns,
        caches: [a, b],
      } = await fleet<string>('tracking', 2);
      await env.plain.set(`${ns}:k`, '"v1"');
      await env.plain.set(`${ns}:other`, '"o"');
      assert.equal(await a.get('k'), 'v1');
      assert.equal(await b.get('k'), 'v1');
      await env.plain.set(`${ns}:k`, '"v2"');
      await eventually('both to drop v1', () => a.getLocal('k') === undefined && b.getLocal('k') === undefined);
      assert.equal(await a.get('k'), 'v2');
      await env.plain.del(`${ns}:k`);
      await eventually('a to drop v2', () => a.getLocal('k') === undefined);
      assert.equal(await a.get('k'), undefined);
      await a.get('other');
      await env.plain.pexpire(`${ns}:other`, 1);
      await eventually('a to drop the expired key', () => a.getLocal('other') === undefined);
      await a.set('f', 'x');
      await b.get('f');
      await env.plain.flushall();
      await eventually('FLUSHALL to empty both L1s', () => a.getLocal('f') === undefined && b.getLocal('f') === undefined);
    });

    it('hears only its own namespace', async () => {
      const {
        caches: [a],
      } = await fleet<string>('tracking', 1);
      const { ns: otherNs } = await fleet<string>('tracking', 1);
      await a.set('k', 'mine');
      await warm(a, 'k');
      const received = a.stats().invalidationsReceived;
      await env.plain.set(`${otherNs}:k`, '"theirs"');
      await env.plain.set('k', 'no namespace');
      // A later write in a's namespace: reports arrive in order, so once it is in, so are the others'.
      await a.set('marker', 'x');
      await eventually('the marker', () => a.stats().invalidationsReceived > received);
      assert.equal(a.stats().invalidationsReceived, received + 1, 'only the marker, from its own namespace');
      assert.equal(a.getLocal('k'), 'mine');
    });
  });

  describe('TieredCache, pubsub', () => {
    it('skips its own messages', async () => {
      const {
        caches: [a, b, c],
      } = await fleet<string>('pubsub', 3);
      await a.set('k', 'v1');
      await b.get('k');
      await a.set('k', 'v2');
      await c.set('marker', 'sent after');
      // Messages reach a subscriber in order: once a has c's marker, it has had its own message too.
      await eventually('a to get the marker', () => a.stats().invalidationsReceived >= 1);
      assert.equal(a.stats().invalidationsReceived, 1, "only c's marker; a's own message was skipped");
      assert.equal(a.getLocal('k'), 'v2');
      await eventually('b to drop v1', () => b.getLocal('k') === undefined);
    });
  });

  describe('TieredCache, invalidation: none', () => {
    it('serves L1 copies for at most l1.ttl; its own writes still update its L1', async () => {
      const {
        ns,
        caches: [a],
      } = await fleet<string>('none', 1, { l1: { maxEntries: 100, ttl: 50 } });
      assert.equal(a.invalidationState, 'off');
      await a.set('k', 'v1');
      await env.plain.set(`${ns}:k`, '"v2"');
      assert.equal(a.getLocal('k'), 'v1', 'nobody tells it');
      await eventually('the L1 copy to expire', () => a.getLocal('k') === undefined);
      assert.equal(await a.get('k'), 'v2');
      await a.set('k', 'v3');
      assert.equal(a.getLocal('k'), 'v3');
    });
  });

  describe('TieredCache TTL jitter', () => {
    it('spreads the Redis TTLs of keys written together', async () => {
      const {
        ns,
        caches: [a],
      } = await fleet<number>('none', 1, { ttl: 100_000, ttlJitter: 0.5 });
      for (let i = 0; i < 20; i++) await a.set(`j${i}`, i);
      const ttls = await Promise.all(Array.from({ length: 20 }, (_, i) => env.plain.pttl(`${ns}:j${i}`)));
      for (const ttl of ttls) assert.ok(ttl >= 49_000 && ttl <= 150_000, `PTTL ${ttl}`);
      assert.ok(Math.max(...ttls) - Math.min(...ttls) > 5_000, `spread ${Math.min(...ttls)}..${Math.max(...ttls)}`);
    });
  });
  describe('TieredCache readAtTurnEnd', () => {
    it('answers get and getOrLoad as without it, only after the turn ends; getLocal at once', async () => {
      const {
        ns,
        caches: [a],
      } = await fleet<string>('tracking', 1, { readAtTurnEnd: true });
      let loads = 0;
      assert.equal(await a.getOrLoad('k', async () => `loaded ${++loads}`), 'loaded 1');
      assert.equal(await a.getOrLoad('k', async () => `loaded ${++loads}`), 'loaded 1');
      assert.equal(loads, 1);
      await env.plain.set(`${ns}:k`, '"direct"');
      await eventually('the direct write', async () => (await a.get('k')) === 'direct');
      await warm(a, 'k');
      assert.equal(a.getLocal('k'), 'direct');
      // The lookup waits for the turn's end: a hit is not there before an immediate queued first.
      const order: string[] = [];
      setImmediate(() => order.push('immediate'));
      await a.get('k').then(() => order.push('get'));
      assert.deepEqual(order, ['immediate', 'get']);
    });
  });
}
