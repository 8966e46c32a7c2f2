import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient, infoField, startProxyOverRedis, waitFor, type ProxyUnderTest } from '../support/proxy.js';
import { BUSY_REDIS_ARGS, busyWhileTrackingReconnects, invalidationConnectionIds } from '../support/busy-upstream.js';

const s = (b: Buffer) => b.toString('latin1');

describe('proxy L1 and invalidation', () => {
  let env: ProxyUnderTest;
  let viaProxy: RawClient;
  let direct: RawClient;

  before(async () => {
    env = await startProxyOverRedis();
    viaProxy = await RawClient.connect(env.port);
    direct = await RawClient.connect(env.redis.port);
  });
  after(async () => {
    viaProxy.close();
    direct.close();
    await env.stop();
  });

  const hits = async () => Number(infoField(await viaProxy.call('INFO', 'cachee'), 'l1_hits'));

  it('answers a repeated read from L1', async () => {
    await viaProxy.call('SET', 'k1', 'v1');
    assert.equal(s(await viaProxy.call('GET', 'k1')), '$2\r\nv1\r\n');
    const before = await hits();
    assert.equal(s(await viaProxy.call('GET', 'k1')), '$2\r\nv1\r\n');
    assert.equal(await hits(), before + 1);
  });

  it('sees its own write at once (invalidated before the reply)', async () => {
    await viaProxy.call('GET', 'k2');
    await viaProxy.call('GET', 'k2');
    await viaProxy.call('SET', 'k2', 'new');
    assert.equal(s(await viaProxy.call('GET', 'k2')), '$3\r\nnew\r\n');
  });

  it('answers hits in order behind a forwarded read in one pipeline, and a read behind a write sees the write', async () => {
    await direct.call('SET', 'p-hot', 'v1');
    await direct.call('SET', 'p-cold', 'cold');
    await viaProxy.call('GET', 'p-hot');
    const before = await hits();
    const replies = await viaProxy.pipeline([
      ['GET', 'p-cold'],
      ['GET', 'p-hot'],
      ['SET', 'p-hot', 'v2'],
      ['GET', 'p-hot'],
    ]);
    assert.deepEqual(replies.map(s), ['$4\r\ncold\r\n', '$2\r\nv1\r\n', '+OK\r\n', '$2\r\nv2\r\n']);
    assert.equal(await hits(), before + 1, 'only the read before the write came from L1');
    assert.equal(s(await viaProxy.call('GET', 'p-hot')), '$2\r\nv2\r\n');
  });

  it('serves binary keys and values of any size from L1 byte for byte', async () => {
    const key = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const small = Buffer.from(Array.from({ length: 300 }, (_, i) => 255 - (i % 256)));
    const large = Buffer.alloc(200_000, 0xe9);
    await direct.call('SET', key, small);
    await direct.call('SET', 'p-large', large);
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(await viaProxy.call('GET', key), Buffer.concat([Buffer.from('$300\r\n'), small, Buffer.from('\r\n')]));
      assert.deepEqual(await viaProxy.call('GET', 'p-large'), Buffer.concat([Buffer.from('$200000\r\n'), large, Buffer.from('\r\n')]));
    }
    const before = await hits();
    await viaProxy.call('GET', key);
    await viaProxy.call('GET', 'p-large');
    assert.equal(await hits(), before + 2, 'both from L1: the small reply from the arena, the large one as a string');
    await direct.call('SET', key, 'changed');
    await waitFor(async () => s(await viaProxy.call('GET', key)) === '$7\r\nchanged\r\n', 2000, 'the external write to the binary key');
  });

  it('sees a write made directly on Redis by another client', async () => {
    await viaProxy.call('SET', 'k3', 'old');
    await viaProxy.call('GET', 'k3');
    await viaProxy.call('GET', 'k3');
    await direct.call('SET', 'k3', 'external');
    await waitFor(async () => s(await viaProxy.call('GET', 'k3')) === '$8\r\nexternal\r\n', 2000, 'the external write');
  });

  it('stores each key of an MGET it forwards, and invalidates them one by one', async () => {
    await direct.call('MSET', 'm1', 'one', 'm2', 'two');
    await direct.call('HSET', 'm-hash', 'f', 'v');
    await direct.call('SET', 'm-short', 'soon', 'PX', '150');
    const all = ['m1', 'm2', 'm-missing', 'm-hash', 'm-short'];
    const expected = '*5\r\n$3\r\none\r\n$3\r\ntwo\r\n$-1\r\n$-1\r\n$4\r\nsoon\r\n';
    assert.equal(s(await viaProxy.call('MGET', ...all)), expected); // forwarded: nothing in L1 yet
    const before = await hits();
    assert.equal(s(await viaProxy.call('GET', 'm1')), '$3\r\none\r\n');
    assert.equal(s(await viaProxy.call('MGET', 'm2', 'm1')), '*2\r\n$3\r\ntwo\r\n$3\r\none\r\n');
    assert.equal(await hits(), before + 3, 'GET m1 and MGET m2 m1 answered from L1');
    // MGET's nil is not GET's reply for a hash: that still comes from Redis.
    assert.match(s(await viaProxy.call('GET', 'm-hash')), /^-WRONGTYPE/);
    await direct.call('SET', 'm2', 'changed');
    await waitFor(async () => s(await viaProxy.call('GET', 'm2')) === '$7\r\nchanged\r\n', 2000, 'the external write');
    assert.equal(s(await viaProxy.call('GET', 'm1')), '$3\r\none\r\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s(await viaProxy.call('GET', 'm-short')), '$-1\r\n', 'bounded by the key\'s TTL in Redis');
  });

  it('drops a key that expires in Redis', async () => {
    await direct.call('SET', 'k4', 'short', 'PX', '150');
    assert.equal(s(await viaProxy.call('GET', 'k4')), '$5\r\nshort\r\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s(await viaProxy.call('GET', 'k4')), '$-1\r\n');
  });

  it('caches hash, list, set and sorted-set reads and invalidates them on writes', async () => {
    await viaProxy.call('HSET', 'h', 'a', '1');
    await viaProxy.call('HGET', 'h', 'a');
    assert.equal(s(await viaProxy.call('HGET', 'h', 'a')), '$1\r\n1\r\n');
    await direct.call('HSET', 'h', 'a', '2');
    await waitFor(async () => s(await viaProxy.call('HGET', 'h', 'a')) === '$1\r\n2\r\n', 2000, 'hash invalidation');
    await viaProxy.call('RPUSH', 'l', 'x', 'y');
    await viaProxy.call('LRANGE', 'l', '0', '-1');
    await viaProxy.call('RPUSH', 'l', 'z');
    assert.equal(s(await viaProxy.call('LRANGE', 'l', '0', '-1')), '*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n');
    await viaProxy.call('SADD', 'set', 'm');
    await viaProxy.call('SMEMBERS', 'set');
    await viaProxy.call('SREM', 'set', 'm');
    assert.equal(s(await viaProxy.call('SMEMBERS', 'set')), '*0\r\n');
    await viaProxy.call('ZADD', 'z', '1', 'a');
    await viaProxy.call('ZSCORE', 'z', 'a');
    await viaProxy.call('ZINCRBY', 'z', '2', 'a');
    assert.equal(s(await viaProxy.call('ZSCORE', 'z', 'a')), '$1\r\n3\r\n');
  });

  it('applies a transaction\'s writes when EXEC returns', async () => {
    await viaProxy.call('SET', 'tx', 'before');
    await viaProxy.call('GET', 'tx');
    const replies = await viaProxy.pipeline([['MULTI'], ['SET', 'tx', 'after'], ['GET', 'tx'], ['EXEC']]);
    assert.deepEqual(replies.map(s), ['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*2\r\n+OK\r\n$5\r\nafter\r\n']);
    assert.equal(s(await viaProxy.call('GET', 'tx')), '$5\r\nafter\r\n');
  });

  it('flushes L1 on FLUSHALL, and on a script that declares no keys', async () => {
    await viaProxy.call('SET', 'f', '1');
    await viaProxy.call('GET', 'f');
    await viaProxy.call('EVAL', "redis.call('SET', 'f', '2')", '0');
    assert.equal(s(await viaProxy.call('GET', 'f')), '$1\r\n2\r\n');
    await viaProxy.call('GET', 'f');
    await viaProxy.call('FLUSHALL');
    assert.equal(s(await viaProxy.call('GET', 'f')), '$-1\r\n');
  });

  it('keeps each database apart', async () => {
    const other = await RawClient.connect(env.port);
    await other.call('SELECT', '3');
    await viaProxy.call('SET', 'db', 'zero');
    await other.call('SET', 'db', 'three');
    await viaProxy.call('GET', 'db');
    await other.call('GET', 'db');
    assert.equal(s(await viaProxy.call('GET', 'db')), '$4\r\nzero\r\n');
    assert.equal(s(await other.call('GET', 'db')), '$5\r\nthree\r\n');
    other.close();
  });

  it('flushes L1 when the tracking connection is lost, and serves fresh data after', async () => {
    await viaProxy.call('SET', 'lost', 'v1');
    await viaProxy.call('GET', 'lost');
    await viaProxy.call('GET', 'lost');
    assert.ok(Number(infoField(await viaProxy.call('INFO', 'cachee'), 'l1_entries')) > 0);
    const ids = await invalidationConnectionIds(direct);
    assert.ok(ids.length > 0, 'the invalidation connection is named in CLIENT LIST');
    for (const id of ids) await direct.call('CLIENT', 'KILL', 'ID', id);
    await direct.call('SET', 'lost', 'v2');
    await waitFor(async () => infoField(await viaProxy.call('INFO', 'cachee'), 'invalidation') === 'tracking', 3000, 'tracking to come back');
    assert.equal(s(await viaProxy.call('GET', 'lost')), '$2\r\nv2\r\n');
    assert.ok(env.log.some((l) => l.includes('invalidation lost')));
  });
});

describe('proxy L1 when Redis is busy with a script as the tracking connection reconnects', () => {
  it('keeps retrying tracking, and serves no value older than a write made after it is back', async () => {
    const env = await startProxyOverRedis({}, BUSY_REDIS_ARGS);
    const [viaProxy, direct] = await Promise.all([RawClient.connect(env.port), RawClient.connect(env.redis.port)]);
    try {
      const invalidation = async () => infoField(await viaProxy.call('INFO', 'cachee'), 'invalidation');
      await direct.call('SET', 'busy', 'old');
      await viaProxy.call('GET', 'busy');
      assert.equal(s(await viaProxy.call('GET', 'busy')), '$3\r\nold\r\n');
      await busyWhileTrackingReconnects(env.redis.port, 1500);
      assert.ok(env.log.some((l) => /invalidation lost .*BUSY/.test(l)), `the BUSY answer is logged: ${env.log.join(' | ')}`);
      await waitFor(async () => (await invalidation()) === 'tracking', 10_000, 'tracking to come back after the script');
      assert.ok(!env.log.some((l) => l.startsWith('warning:')), 'never taken as an upstream without tracking');
      await direct.call('SET', 'busy', 'new');
      await waitFor(async () => s(await viaProxy.call('GET', 'busy')) === '$3\r\nnew\r\n', 5000, 'the new value through the proxy');
    } finally {
      viaProxy.close();
      direct.close();
      await env.stop();
    }
  });
});

describe('proxy L1 limited by --l1-keys', () => {
  let env: ProxyUnderTest;
  let client: RawClient;
  before(async () => {
    env = await startProxyOverRedis({ l1Keys: ['hot:*', 'h[ae]llo'] });
    client = await RawClient.connect(env.port);
  });
  after(async () => {
    client.close();
    await env.stop();
  });

  it('caches only keys that match a pattern, as Redis globs match', async () => {
    const hits = async () => Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits'));
    for (const key of ['hot:1', 'hallo', 'cold:1', 'hillo']) {
      await client.call('SET', key, 'v');
      await client.call('GET', key);
      const before = await hits();
      assert.equal(s(await client.call('GET', key)), '$1\r\nv\r\n');
      const cached = key === 'hot:1' || key === 'hallo';
      assert.equal(await hits(), before + (cached ? 1 : 0), `${key} ${cached ? 'is' : 'is not'} answered from L1`);
    }
  });
});
