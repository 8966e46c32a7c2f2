/**
 * The admin port of a real proxy over a real redis-server, and of the embedded store: /metrics
 * parsed as Prometheus would, its counters moving as the proxy serves and agreeing with INFO
 * cachee; /api/hot-keys; /healthz; and the admin server's answers to bad requests.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { admin, infoField, RawClient, startEmbeddedProxy, startProxyOverRedis, waitFor, type EmbeddedUnderTest, type ProxyUnderTest } from '../support/proxy.js';
import { adminGet, scrape, type PromText } from '../support/prometheus.js';

const s = (b: Buffer) => b.toString('latin1');

/** Every name the dashboard reads, and its type. */
const CONTRACT: Record<string, string> = {
  cachee_l1_hits_total: 'counter',
  cachee_l1_misses_total: 'counter',
  cachee_l1_evictions_total: 'counter',
  cachee_l1_rejections_total: 'counter',
  cachee_l1_expirations_total: 'counter',
  cachee_invalidations_total: 'counter',
  cachee_l2_requests_total: 'counter',
  cachee_l2_errors_total: 'counter',
  cachee_commands_total: 'counter',
  cachee_l1_entries: 'gauge',
  cachee_l1_bytes: 'gauge',
  cachee_l1_max_bytes: 'gauge',
  cachee_connected_clients: 'gauge',
  cachee_upstream_up: 'gauge',
  cachee_upstream_state: 'gauge',
  cachee_invalidation_state: 'gauge',
  cachee_l1_latency_seconds: 'summary',
  cachee_l2_latency_seconds: 'summary',
};

/** INFO cachee's fields, then a scrape, with nothing in between that moves the counters compared. */
async function infoAndScrape(client: RawClient, env: { proxy: { admin?: { host: string; port: number } } }): Promise<{ info: Buffer; metrics: PromText }> {
  const info = await client.call('INFO', 'cachee');
  return { info, metrics: await scrape(admin(env)) };
}

function assertAgrees(info: Buffer, metrics: PromText): void {
  const pairs: [string, string][] = [
    ['l1_hits', 'cachee_l1_hits_total'],
    ['l1_misses', 'cachee_l1_misses_total'],
    ['l1_entries', 'cachee_l1_entries'],
    ['l1_bytes', 'cachee_l1_bytes'],
    ['l1_max_bytes', 'cachee_l1_max_bytes'],
    ['l1_evictions', 'cachee_l1_evictions_total'],
    ['l2_requests', 'cachee_l2_requests_total'],
  ];
  for (const [field, metric] of pairs) assert.equal(metrics.value(metric), Number(infoField(info, field)), `${metric} = INFO's ${field}`);
  const state = (name: string) => metrics.family(name).samples.find((sample) => sample.value === 1)?.labels.state;
  assert.equal(state('cachee_upstream_state'), infoField(info, 'upstream'));
  assert.equal(state('cachee_invalidation_state'), infoField(info, 'invalidation'));
}

function assertQuantilesOrdered(metrics: PromText, name: string): void {
  const values = ['0.5', '0.9', '0.99', '0.999'].map((quantile) => metrics.value(name, { quantile }));
  for (let i = 1; i < values.length; i++) assert.ok(values[i - 1] <= values[i], `${name} quantiles ascend: ${values.join(', ')}`);
  assert.ok(values[0] > 0, `${name} p50 > 0`);
}

describe('proxy over Redis: /metrics', () => {
  let env: ProxyUnderTest;
  let client: RawClient;
  let direct: RawClient;
  before(async () => {
    env = await startProxyOverRedis();
    client = await RawClient.connect(env.port);
    direct = await RawClient.connect(env.redis.port);
  });
  after(async () => {
    client?.close();
    direct?.close();
    await env?.stop();
  });

  it('serves every metric of the contract, with HELP and TYPE, and the process metrics', async () => {
    const metrics = await scrape(admin(env));
    for (const [name, type] of Object.entries(CONTRACT)) {
      assert.equal(metrics.family(name).type, type, name);
      assert.ok(metrics.family(name).help, `${name} has a HELP`);
    }
    assert.match(metrics.family('cachee_l1_latency_seconds').help!, /sliding window of the last 50-60 s/);
    assert.equal(metrics.family('process_cpu_user_seconds_total').type, 'counter');
    assert.equal(metrics.family('nodejs_heap_size_used_bytes').type, 'gauge');
    assert.equal(metrics.value('cachee_upstream_up'), 1);
    assert.equal(metrics.value('cachee_upstream_state', { state: 'connected' }), 1);
    assert.equal(metrics.value('cachee_upstream_state', { state: 'down' }), 0);
    assert.equal(metrics.value('cachee_invalidation_state', { state: 'tracking' }), 1);
    assert.equal(metrics.value('cachee_connected_clients'), 1, 'the test client');
    assert.ok(metrics.value('cachee_invalidations_total', { source: 'flush' }) >= 1, 'the channel coming up flushed L1');
  });

  it('moves hits, misses, commands and invalidations as the proxy serves, agreeing with INFO cachee', async () => {
    const start = await scrape(admin(env));
    const count = (metrics: PromText, command: string) => metrics.family('cachee_commands_total').samples.find((x) => x.labels.command === command)?.value ?? 0;
    const ownWrites = start.value('cachee_invalidations_total', { source: 'own_write' });

    assert.equal(s(await client.call('SET', 'greeting', 'hello')), '+OK\r\n');
    // Redis reports the proxy's own write to its tracking connection too.
    await waitFor(async () => (await scrape(admin(env))).value('cachee_invalidations_total', { source: 'tracking' }) >= 1, 5000, 'the report of the own write');
    for (let i = 0; i < 3; i++) assert.equal(s(await client.call('GET', 'greeting')), '$5\r\nhello\r\n');
    await client.call('NOSUCHCOMMAND', 'x');
    await client.call('X'.repeat(200));

    let { info, metrics } = await infoAndScrape(client, env);
    assertAgrees(info, metrics);
    assert.equal(metrics.value('cachee_l1_misses_total') - start.value('cachee_l1_misses_total'), 1, 'the first GET');
    assert.equal(metrics.value('cachee_l1_hits_total') - start.value('cachee_l1_hits_total'), 2);
    assert.equal(metrics.value('cachee_invalidations_total', { source: 'own_write' }) - ownWrites, 1, 'the SET through the proxy');
    assert.equal(count(metrics, 'get') - count(start, 'get'), 3);
    assert.equal(count(metrics, 'set') - count(start, 'set'), 1);
    assert.equal(count(metrics, 'info') - count(start, 'info'), 1);
    assert.equal(count(metrics, 'other') - count(start, 'other'), 2, 'unknown names share one label');
    assert.ok(!metrics.family('cachee_commands_total').samples.some((x) => /nosuch|xxx/.test(x.labels.command)));

    // A write by another client: Redis's tracking report drops the L1 copy.
    const tracked = metrics.value('cachee_invalidations_total', { source: 'tracking' });
    assert.equal(s(await direct.call('SET', 'greeting', 'hi')), '+OK\r\n');
    await waitFor(async () => (await scrape(admin(env))).value('cachee_invalidations_total', { source: 'tracking' }) === tracked + 1, 5000, 'the tracking report');
    assert.equal(s(await client.call('GET', 'greeting')), '$2\r\nhi\r\n');
    ({ info, metrics } = await infoAndScrape(client, env));
    assertAgrees(info, metrics);
    assert.equal(metrics.value('cachee_invalidations_total', { source: 'pubsub' }), 0);

    const flushes = metrics.value('cachee_invalidations_total', { source: 'flush' });
    assert.equal(s(await client.call('FLUSHALL')), '+OK\r\n');
    assert.ok((await scrape(admin(env))).value('cachee_invalidations_total', { source: 'flush' }) > flushes, 'FLUSHALL flushed L1');
  });

  it('times one L1 hit in 64 and every upstream round trip, into real histograms', async () => {
    await client.call('SET', 'timed', 'v');
    await client.call('GET', 'timed');
    for (let i = 0; i < 200; i++) await client.call('GET', 'timed');
    const metrics = await scrape(admin(env));
    const hits = metrics.value('cachee_l1_hits_total');
    // Only GETs hit in this file, and the hit numbered n (from 0) is timed when n % 64 == 0.
    assert.equal(metrics.value('cachee_l1_latency_seconds_count'), Math.ceil(hits / 64));
    assert.equal(metrics.value('cachee_l2_latency_seconds_count'), metrics.value('cachee_l2_requests_total'), 'every forwarded command answered and timed');
    assert.ok(metrics.value('cachee_l2_latency_seconds_sum') > 0);
    assertQuantilesOrdered(metrics, 'cachee_l1_latency_seconds');
    assertQuantilesOrdered(metrics, 'cachee_l2_latency_seconds');
    const info = await client.call('INFO', 'cachee');
    assert.ok(Number(infoField(info, 'l1_p99_latency_ns')) >= Number(infoField(info, 'l1_p50_latency_ns')));
    assert.ok(Number(infoField(info, 'l2_p50_latency_us')) > 0);
  });

  it('reports the hottest Redis keys, whatever database they were read in', async () => {
    await client.call('SET', 'hot', '1');
    await client.call('SET', 'cold', '1');
    const other = await RawClient.connect(env.port);
    try {
      await other.call('SELECT', '2');
      await other.call('SET', 'hot', '2');
      for (let i = 0; i < 30; i++) {
        await client.call('GET', 'hot');
        await other.call('GET', 'hot');
      }
      await client.call('GET', 'cold');
      // A write replays the hits still buffered into the policy.
      await client.call('SET', 'unrelated', '1');
      const { status, type, text } = await adminGet(admin(env), '/api/hot-keys?limit=2');
      assert.equal(status, 200);
      assert.equal(type, 'application/json; charset=utf-8');
      const { keys } = JSON.parse(text) as { keys: { key: string; frequency: number }[] };
      assert.equal(keys.length, 2);
      assert.equal(keys[0].key, 'hot', text);
      assert.ok(keys[0].frequency > 15, 'databases 0 and 2 summed');
      assert.ok(keys[0].frequency >= keys[1].frequency);
      assert.ok(!keys.some((k) => k.key.includes('\u0000')), 'no database prefix');
    } finally {
      other.close();
    }
  });
});

describe('the admin server', () => {
  let env: EmbeddedUnderTest;
  before(async () => {
    env = await startEmbeddedProxy();
  });
  after(() => env?.stop());

  it('answers 404 for an unknown path, 405 for another method, 200 on /healthz', async () => {
    const where = admin(env);
    assert.equal((await adminGet(where, '/nope')).status, 404);
    assert.equal((await adminGet(where, '/metrics/')).status, 404);
    const post = await fetch(`http://${where.host}:${where.port}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
    assert.deepEqual(await adminGet(where, '/healthz'), { status: 200, type: 'text/plain; charset=utf-8', text: 'ok\n' });
  });

  it('answers a bad limit with 400 and says why', async () => {
    const where = admin(env);
    for (const query of ['limit=abc', 'limit=0', 'limit=1001', 'limit=-1', 'limit=1.5', 'limit=', 'limit=1&limit=2', 'limit=99999999999']) {
      const { status, text } = await adminGet(where, `/api/hot-keys?${query}`);
      assert.equal(status, 400, query);
      assert.match(JSON.parse(text).error, /^limit must be one whole number from 1 to 1000, got /, query);
    }
    assert.equal((await adminGet(where, '/api/hot-keys?limit=1000')).status, 200);
  });

  it('is not started with adminPort off', async () => {
    const off = await startEmbeddedProxy({ adminPort: undefined });
    try {
      assert.equal(off.proxy.admin, undefined);
      const client = await RawClient.connect(off.port);
      assert.equal(s(await client.call('PING')), '+PONG\r\n');
      client.close();
    } finally {
      await off.stop();
    }
  });

  it('survives requests that are not HTTP, and goes on serving', async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(admin(env).port, admin(env).host, () => socket.write('\u0000\u0001 garbage\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.equal((await adminGet(admin(env), '/healthz')).status, 200);
  });
});

describe('embedded store: /metrics and hot keys', () => {
  let env: EmbeddedUnderTest;
  let client: RawClient;
  before(async () => {
    env = await startEmbeddedProxy();
    client = await RawClient.connect(env.port);
  });
  after(async () => {
    client?.close();
    await env?.stop();
  });

  it('serves the same metric names from the store, L2 at 0, upstream embedded', async () => {
    await client.call('SET', 'a', '1');
    for (let i = 0; i < 5; i++) await client.call('GET', 'a');
    await client.call('GET', 'missing');
    await client.call('BOGUS');
    const { info, metrics } = await infoAndScrape(client, env);
    for (const [name, type] of Object.entries(CONTRACT)) assert.equal(metrics.family(name).type, type, name);
    assertAgrees(info, metrics);
    assert.equal(metrics.value('cachee_l1_hits_total'), 5);
    assert.equal(metrics.value('cachee_l1_misses_total'), 1);
    assert.equal(metrics.value('cachee_l1_entries'), 1);
    assert.equal(metrics.value('cachee_l2_requests_total'), 0);
    assert.equal(metrics.value('cachee_l2_errors_total'), 0);
    assert.equal(metrics.value('cachee_l2_latency_seconds_count'), 0);
    assert.ok(Number.isNaN(metrics.value('cachee_l2_latency_seconds', { quantile: '0.5' })), 'no samples: NaN');
    assert.equal(metrics.value('cachee_upstream_up'), 1);
    assert.equal(metrics.value('cachee_upstream_state', { state: 'embedded' }), 1);
    assert.equal(metrics.value('cachee_invalidation_state', { state: 'none' }), 1);
    assert.equal(metrics.value('cachee_connected_clients'), 1);
    assert.equal(metrics.value('cachee_commands_total', { command: 'get' }), 6);
    assert.equal(metrics.value('cachee_commands_total', { command: 'set' }), 1);
    assert.equal(metrics.value('cachee_commands_total', { command: 'other' }), 1);
    assert.equal(metrics.value('cachee_l1_latency_seconds_count'), 1, 'the first hit timed');
  });

  it('reports the store keys hottest first, without their database prefix', async () => {
    await client.call('SELECT', '1');
    await client.call('SET', 'hot-ключ', 'x');
    await client.call('SET', 'lukewarm', 'x');
    for (let i = 0; i < 20; i++) await client.call('GET', 'hot-ключ');
    await client.call('GET', 'lukewarm');
    await client.call('SET', 'replay', 'x');
    const { keys } = JSON.parse((await adminGet(admin(env), '/api/hot-keys?limit=3')).text) as { keys: { key: string; frequency: number }[] };
    assert.equal(keys.length, 3);
    assert.equal(keys[0].key, 'hot-ключ', 'UTF-8 key names as text');
    assert.equal(keys[0].frequency, 15);
    assert.ok(keys.every((k) => !/^[\u0000-\u001f]/.test(k.key)));
  });
});
