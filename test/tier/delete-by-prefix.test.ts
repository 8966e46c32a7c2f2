/** TieredCache.delete's answer and deleteByPrefix, against a real redis-server, in both modes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TieredCache } from '../../src/index.js';
import { connectedCache, redisForTests, waitFor } from '../support/tiered.js';

const env = redisForTests();
let counter = 0;

for (const mode of ['tracking', 'pubsub'] as const) {
  describe(`TieredCache.delete and deleteByPrefix, invalidation: '${mode}'`, () => {
    async function pair(): Promise<{ ns: string; a: TieredCache<string>; b: TieredCache<string> }> {
      const ns = `p${++counter}`;
      const [a, b] = await Promise.all([0, 1].map(() => connectedCache<string>({ redis: env.redis.url, namespace: ns, invalidation: mode, l2Timeout: 10_000 })));
      env.open.push(a, b);
      return { ns, a, b };
    }

    it('delete answers whether Redis held the key', async () => {
      const { a } = await pair();
      await a.set('k', 'v');
      assert.equal(await a.delete('k'), true);
      assert.equal(await a.delete('k'), false);
      assert.equal(await a.delete('never'), false);
    });

    it('deletes only the keys under the prefix, from Redis and from every L1', async () => {
      const { ns, a, b } = await pair();
      // Glob characters in the prefix match themselves only.
      const keys = ['users:1', 'users:2', 'users*:3', 'users?', 'usersx:4', 'other:1'];
      for (const key of keys) await a.set(key, `v ${key}`);
      for (const key of keys) {
        await waitFor(async () => (await b.get(key), b.getLocal(key) !== undefined), 5000, `${key} in b's L1`);
      }
      assert.equal(await a.deleteByPrefix('users:'), 2);
      assert.equal(await env.plain.exists(`${ns}:users:1`, `${ns}:users:2`), 0);
      assert.equal(a.getLocal('users:1'), undefined);
      await waitFor(() => b.getLocal('users:1') === undefined && b.getLocal('users:2') === undefined, 5000, "b's L1 to drop users:*");
      assert.equal(await b.get('users:2'), undefined);
      for (const key of ['users*:3', 'users?', 'usersx:4', 'other:1']) {
        assert.equal(await b.get(key), `v ${key}`, key);
        assert.equal(await env.plain.exists(`${ns}:${key}`), 1, key);
      }
      assert.equal(await a.deleteByPrefix('users*'), 1);
      assert.equal(await a.get('users*:3'), undefined);
      assert.equal(await a.get('usersx:4'), 'v usersx:4');
    });

    // More keys than one SCAN batch (1,000).
    it('deletes every batch of a large prefix', async () => {
      const { ns, a } = await pair();
      const many = Array.from({ length: 2100 }, (_, i) => `bulk:${i}`);
      await Promise.all(many.map((key) => a.set(key, 'v')));
      assert.equal(await a.deleteByPrefix('bulk:'), many.length);
      assert.deepEqual(await env.plain.keys(`${ns}:bulk:*`), []);
    });
  });
}
