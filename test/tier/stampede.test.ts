/** 1,000 concurrent getOrLoad of one cold key over 4 instances. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TieredCache } from '../../src/index.js';
import { BACKENDS, connectedCache, stampede, startBackend, type TestServer } from '../support/tiered.js';

for (const backend of BACKENDS) describe(`against ${backend}`, () => suite(backend));

function suite(backend: (typeof BACKENDS)[number]): void {
  let redis: TestServer;
  before(async () => {
    redis = await startBackend(backend);
  });
  after(async () => {
    await redis.stop();
  });

  /** Runs `body` with 4 connected instances on one namespace, closing them after. */
  async function withFleet(namespace: string, distributedLock: boolean, mode: 'tracking' | 'pubsub', body: (caches: TieredCache<string>[]) => Promise<void>): Promise<void> {
    const caches = await Promise.all(
      Array.from({ length: 4 }, () => connectedCache<string>({ redis: redis.url, namespace, invalidation: mode, distributedLock, l1: { maxEntries: 100 } })),
    );
    try {
      await body(caches);
    } finally {
      await Promise.all(caches.map((c) => c.close()));
    }
  }

  describe('stampede protection', () => {
    for (const mode of ['tracking', 'pubsub'] as const) {
      it(`with the distributed lock the loader runs once for the fleet (${mode})`, async () => {
        await withFleet(`lock-${mode}`, true, mode, async (caches) => {
          const { loads, values } = await stampede(caches, 'cold', 1000, 30);
          assert.equal(loads, 1);
          assert.deepEqual([...values], ['value of cold']);
        });
      });
    }

    it('without it, at most once per instance', async () => {
      await withFleet('nolock', false, 'tracking', async (caches) => {
        const { loads, values } = await stampede(caches, 'cold', 1000, 30);
        assert.ok(loads >= 1 && loads <= 4, `${loads} loads`);
        assert.deepEqual([...values], ['value of cold']);
      });
    });

    it('a lock holder whose loader fails lets the others load', async () => {
      await withFleet('failing-holder', true, 'tracking', async (caches) => {
        let calls = 0;
        const loader = async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (calls === 1) throw new Error('first load fails');
          return 'second try';
        };
        const results = await Promise.allSettled(caches.map((c) => c.getOrLoad('k', loader)));
        assert.equal(results.filter((r) => r.status === 'rejected').length, 1, 'only the holder’s callers see its error');
        for (const r of results) if (r.status === 'fulfilled') assert.equal(r.value, 'second try');
        assert.equal(calls, 2, 'the next instance to take the lock loads, the rest get its value');
      });
    });
  });
}
