/**
 * The library's metrics option: a Cache's and a TieredCache's figures in a prom-client registry
 * the application owns, read from stats() on each scrape (the TieredCache over a real Redis).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { Cache, TieredCache } from '../../src/index.js';
import { PromText } from '../support/prometheus.js';
import { connectedCache, redisForTests, waitFor } from '../support/tiered.js';

async function scrapeRegistry(registry: Registry): Promise<PromText> {
  return new PromText(await registry.metrics());
}

describe('Cache({ metrics })', () => {
  it('exports stats() to the registry, read on each scrape', async () => {
    const registry = new Registry();
    const cache = new Cache<string, number>({ maxBytes: 10_000, metrics: { registry } });
    cache.set('a', 1);
    cache.get('a');
    cache.get('a');
    cache.get('b');
    let metrics = await scrapeRegistry(registry);
    const stats = cache.stats();
    assert.equal(metrics.value('cachee_l1_hits_total'), stats.hits);
    assert.equal(metrics.value('cachee_l1_misses_total'), 1);
    assert.equal(metrics.value('cachee_l1_entries'), 1);
    assert.equal(metrics.value('cachee_l1_bytes'), stats.bytes);
    assert.equal(metrics.value('cachee_l1_max_bytes'), 10_000);
    assert.equal(metrics.family('cachee_l1_hits_total').type, 'counter');
    assert.equal(metrics.family('cachee_l1_entries').type, 'gauge');
    await cache.getOrLoad('c', () => 3);
    metrics = await scrapeRegistry(registry);
    assert.equal(metrics.value('cachee_loads_total'), 1);
    assert.equal(metrics.value('cachee_l1_misses_total'), 2, 'moved without any call into the registry');
  });

  it('tells several caches in one registry apart by their labels, and refuses the same labels twice', async () => {
    const registry = new Registry();
    const users = new Cache<string, number>({ maxEntries: 10, metrics: { registry, labels: { cache: 'users' } } });
    const sessions = new Cache<string, number>({ maxEntries: 10, metrics: { registry, labels: { cache: 'sessions' } } });
    users.get('x');
    sessions.set('y', 1);
    sessions.get('y');
    const metrics = await scrapeRegistry(registry);
    assert.equal(metrics.value('cachee_l1_misses_total', { cache: 'users' }), 1);
    assert.equal(metrics.value('cachee_l1_hits_total', { cache: 'sessions' }), 1);
    assert.equal(metrics.family('cachee_l1_max_bytes').samples.length, 0, 'bounded by count only: no byte budget to show');
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry, labels: { cache: 'users' } } }), /already registered/);
    const other = new Cache<string, number>({ maxEntries: 10, metrics: { registry, prefix: 'app_cache_' } });
    other.get('z');
    assert.equal((await scrapeRegistry(registry)).value('app_cache_l1_misses_total'), 1);
  });

  it('refuses bad metrics options at construction', () => {
    const registry = new Registry();
    assert.throws(() => new Cache({ maxEntries: 1, metrics: {} as never }), TypeError);
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry: {} } as never }), /metrics\.registry must be a prom-client Registry/);
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry, prefix: '1x' } }), RangeError);
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry, labels: { 'bad-name': 'x' } } }), RangeError);
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry, labels: { quantile: 'x' } } }), /used by the metrics themselves/);
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry, labels: { a: 1 } as never } }), TypeError);
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry, colour: 'red' } as never }), /unknown option colour/);
  });

  it('will not take over a name another metric of the registry has', () => {
    const registry = new Registry();
    new Counter({ name: 'cachee_l1_hits_total', help: 'someone else', registers: [registry] });
    assert.throws(() => new Cache({ maxEntries: 1, metrics: { registry } }), /already registered by other code/);
  });
});

describe('TieredCache({ metrics })', () => {
  const env = redisForTests();

  it('exports L1, L2 and invalidations by source, agreeing with stats(), and leaves the registry on close', async () => {
    const registry = new Registry();
    const cache = await connectedCache<string>({ redis: env.redis.url, namespace: 'm1', l1: { maxEntries: 100 }, metrics: { registry, labels: { cache: 'm1' } } });
    env.open.push(cache);
    const labels = { cache: 'm1' };
    await cache.set('a', 'one');
    await env.plain.set('m1:b', JSON.stringify('two'));
    assert.equal(await cache.get('b'), 'two'); // an L2 hit, promoted
    assert.equal(await cache.get('missing'), undefined); // an L2 miss
    await env.plain.set('m1:b', JSON.stringify('three')); // tracked: drops b from L1
    await waitFor(() => cache.stats().invalidationsReceived >= 2, 5000, 'the tracking reports');
    await cache.delete('a');

    const metrics = await scrapeRegistry(registry);
    const stats = cache.stats();
    assert.equal(metrics.value('cachee_l2_hits_total', labels), stats.l2Hits);
    assert.equal(stats.l2Hits, 1);
    assert.equal(metrics.value('cachee_l2_misses_total', labels), 1);
    assert.equal(metrics.value('cachee_l2_errors_total', labels), 0);
    assert.equal(metrics.value('cachee_l2_requests_total', labels), stats.l2Requests);
    assert.ok(stats.l2Requests >= 4, 'set, two reads, delete');
    assert.equal(metrics.value('cachee_invalidations_total', { ...labels, source: 'own_write' }), 2, 'set a, delete a');
    assert.equal(metrics.value('cachee_invalidations_total', { ...labels, source: 'tracking' }), stats.invalidationsReceived);
    assert.equal(metrics.value('cachee_invalidations_total', { ...labels, source: 'pubsub' }), 0);
    assert.equal(metrics.value('cachee_l1_hits_total', labels), stats.l1.hits);
    assert.equal(metrics.value('cachee_upstream_up', labels), 1);
    assert.equal(metrics.value('cachee_invalidation_state', { ...labels, state: 'tracking' }), 1);
    assert.equal(metrics.family('cachee_l2_latency_seconds').type, 'summary');
    assert.equal(metrics.value('cachee_l2_latency_seconds_count', labels), stats.l2Requests, 'every call answered and timed');
    assert.ok(metrics.value('cachee_l2_latency_seconds', { ...labels, quantile: '0.99' }) > 0);

    await cache.close();
    const closed = await scrapeRegistry(registry);
    assert.equal(closed.family('cachee_l2_hits_total').samples.length, 0, 'a closed cache leaves the registry');
  });

  it('counts pub/sub invalidations under their own source', async () => {
    const registry = new Registry();
    const [a, b] = await Promise.all(
      ['a', 'b'].map((name) =>
        connectedCache<string>({ redis: env.redis.url, namespace: 'm2', invalidation: 'pubsub', l1: { maxEntries: 100 }, metrics: { registry, labels: { cache: name } } }),
      ),
    );
    env.open.push(a, b);
    await a.set('k', 'v');
    await waitFor(() => b.stats().invalidationsReceived === 1, 5000, 'b to hear of the write');
    const metrics = await scrapeRegistry(registry);
    assert.equal(metrics.value('cachee_invalidations_total', { cache: 'b', source: 'pubsub' }), 1);
    assert.equal(metrics.value('cachee_invalidations_total', { cache: 'b', source: 'tracking' }), 0);
    assert.equal(metrics.value('cachee_invalidation_state', { cache: 'a', state: 'pubsub' }), 1);
  });

  it('refuses bad metrics options like its other options', () => {
    assert.throws(() => new TieredCache({ redis: env.redis.url, namespace: 'x', metrics: { registry: 1 } as never }), /^TypeError: TieredCache: metrics\.registry must be a prom-client Registry$/);
  });
});
