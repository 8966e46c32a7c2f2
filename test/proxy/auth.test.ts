/**
 * Who a client of the proxy is, tried from the outside as an attacker would: a client never
 * gets more than the same connection straight to Redis would (or, with --requirepass, than the
 * proxy's own password gives), and nothing the proxy answers itself (L1 hits, INFO cachee,
 * CACHEE RECORD) skips that.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { DEFAULT_PROXY_CONFIG, type RunningProxy } from '../../src/proxy/config.js';
import { startProxy } from '../../src/proxy/server.js';
import { infoField, RawClient, sendThenHalfClose, startEmbeddedProxy, startProxyOverRedis, startTrackingProxy, type EmbeddedUnderTest, type ProxyUnderTest } from '../support/proxy.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const s = (b: Buffer | undefined) => b?.toString('latin1');
const NOAUTH = '-NOAUTH Authentication required.\r\n';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
const NOAUTH_HELLO =
  '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n';

/** Every way an unauthenticated client could read what another client read, answered NOAUTH. */
async function assertRefusedBeforeAuth(client: RawClient, key: string): Promise<void> {
  assert.equal(s(await client.call('GET', key)), NOAUTH, 'GET of a key in L1');
  assert.equal(s((await client.pipeline([['GET', key], ['GET', key]]))[1]), NOAUTH, 'pipelined GETs (the hit path)');
  assert.equal(s(await client.call('MGET', key, key)), NOAUTH, 'MGET of keys in L1');
  assert.equal(s(await client.call('STRLEN', key)), NOAUTH, 'another cacheable read');
  assert.equal(s(await client.call('INFO', 'cachee')), NOAUTH, 'INFO cachee');
  assert.equal(s(await client.call('CACHEE', 'RECORD', '1', '0')), NOAUTH, 'CACHEE RECORD');
  assert.equal(s(await client.call('SET', key, 'overwritten')), NOAUTH, 'a write');
}

async function hits(client: RawClient): Promise<number> {
  return Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits'));
}

/** `owner` (authenticated) writes `key` and reads it twice: the second read is an L1 hit. */
async function fillL1(owner: RawClient, key: string, value: string): Promise<void> {
  const bulk = `$${value.length}\r\n${value}\r\n`;
  assert.equal(s(await owner.call('SET', key, value)), '+OK\r\n');
  assert.equal(s(await owner.call('GET', key)), bulk);
  const before = await hits(owner);
  assert.equal(s(await owner.call('GET', key)), bulk);
  assert.equal(await hits(owner), before + 1, 'the key is in L1');
}

describe('the proxy, a Redis with requirepass, and the URL\'s credentials', () => {
  let redis: RedisServer;
  let proxy: RunningProxy;
  before(async () => {
    redis = await startRedis(['--requirepass', 's3cret']);
    ({ proxy } = await startTrackingProxy({ upstream: `redis://:s3cret@127.0.0.1:${redis.port}` }));
  });
  after(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  it('refuses a client that never sent AUTH, as Redis does, though another client filled L1', async () => {
    const owner = await RawClient.connect(proxy.port);
    const stranger = await RawClient.connect(proxy.port);
    try {
      assert.equal(s(await owner.call('AUTH', 's3cret')), '+OK\r\n');
      await fillL1(owner, 'secret:1', 'v1');
      await assertRefusedBeforeAuth(stranger, 'secret:1');
      assert.equal(s(await owner.call('GET', 'secret:1')), '$2\r\nv1\r\n', 'the refused write did not happen');
    } finally {
      owner.close();
      stranger.close();
    }
  });

  it('keeps refusing after a failed AUTH, and serves once AUTH succeeds (ioredis, node-redis)', async () => {
    const client = await RawClient.connect(proxy.port);
    try {
      assert.equal(s(await client.call('AUTH', 'bob', 'wrongpw')), WRONGPASS);
      assert.equal(s(await client.call('GET', 'secret:1')), NOAUTH);
      assert.equal(s(await client.call('AUTH', 'wrongpw')), WRONGPASS);
      // Pipelined behind the failed AUTH: Redis never ran the GET as anyone.
      const [auth, get] = await client.pipeline([['AUTH', 'nope'], ['GET', 'secret:1']]);
      assert.equal(s(auth), WRONGPASS);
      assert.equal(s(get), NOAUTH);
    } finally {
      client.close();
    }
    const io = new Redis({ port: proxy.port, host: '127.0.0.1', password: 's3cret', lazyConnect: true });
    const node = createClient({ url: `redis://:s3cret@127.0.0.1:${proxy.port}` });
    node.on('error', () => {});
    try {
      await io.connect();
      assert.equal(await io.get('secret:1'), 'v1');
      await node.connect();
      assert.equal(await node.get('secret:1'), 'v1');
    } finally {
      io.disconnect();
      await node.close().catch(() => {});
    }
  });

  it('answers HELLO before AUTH as Redis does, and RESET makes the client unauthenticated again', async () => {
    const client = await RawClient.connect(proxy.port);
    try {
      assert.equal(s(await client.call('HELLO', '3')), NOAUTH_HELLO);
      const hello = s(await client.call('HELLO', '3', 'AUTH', 'default', 's3cret'));
      assert.match(hello ?? '', /^%7\r\n/, 'HELLO with AUTH authenticates and switches to RESP3');
      assert.equal(s(await client.call('GET', 'secret:1')), '$2\r\nv1\r\n');
      assert.equal(s(await client.call('RESET')), '+RESET\r\n');
      await assertRefusedBeforeAuth(client, 'secret:1');
    } finally {
      client.close();
    }
  });
});

describe('the proxy with --requirepass', () => {
  let redis: RedisServer;
  let proxy: RunningProxy;
  let direct: RawClient;
  before(async () => {
    // The upstream's default user needs no password: without a check of its own, the proxy
    // would let anyone through as `default`.
    redis = await startRedis();
    direct = await RawClient.connect(redis.port);
    assert.equal(s(await direct.call('ACL', 'SETUSER', 'alice', 'on', '>alicepw', '~*', '+@all')), '+OK\r\n');
    ({ proxy } = await startTrackingProxy({ upstream: redis.url, requirepass: 'proxypw' }));
  });
  after(async () => {
    direct?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('refuses every command until AUTH with its password, L1 hits included', async () => {
    const owner = await RawClient.connect(proxy.port);
    const stranger = await RawClient.connect(proxy.port);
    try {
      assert.equal(s(await owner.call('AUTH', 'proxypw')), '+OK\r\n');
      await fillL1(owner, 'k', 'v');
      await assertRefusedBeforeAuth(stranger, 'k');
      assert.equal(s(await stranger.call('MULTI')), NOAUTH);
      assert.equal(s(await stranger.call('HELLO', '3')), NOAUTH_HELLO);
      assert.equal(s(await stranger.call('AUTH', 'wrong')), WRONGPASS);
      assert.equal(s(await stranger.call('AUTH', 'default', 'wrong')), WRONGPASS);
      assert.equal(s(await stranger.call('GET', 'k')), NOAUTH);
      assert.equal(s(await stranger.call('AUTH', 'default', 'proxypw')), '+OK\r\n');
      assert.equal(s(await stranger.call('GET', 'k')), '$1\r\nv\r\n');
      assert.equal(s(await stranger.call('RESET')), '+RESET\r\n');
      assert.equal(s(await stranger.call('GET', 'k')), NOAUTH);
    } finally {
      owner.close();
      stranger.close();
    }
  });

  it('holds what is pipelined behind an AUTH to a Redis user until Redis answers it', async () => {
    const client = await RawClient.connect(proxy.port);
    try {
      const replies = await client.pipeline([['AUTH', 'alice', 'wrong'], ['GET', 'k'], ['SET', 'k', 'stolen'], ['AUTH', 'alice', 'alicepw'], ['GET', 'k']]);
      assert.deepEqual(replies.map(s), [WRONGPASS, NOAUTH, NOAUTH, '+OK\r\n', '$1\r\nv\r\n']);
      assert.equal(s(await direct.call('GET', 'k')), '$1\r\nv\r\n', 'the write was never run');
    } finally {
      client.close();
    }
  });

  it('answers everything pipelined behind the AUTH, in order, even when the client closes its side after', async () => {
    const client = await RawClient.connect(proxy.port);
    try {
      const gets = Array.from({ length: 2000 }, () => ['GET', 'k']);
      const replies = await client.pipeline([['AUTH', 'alice', 'alicepw'], ...gets, ['PING']]);
      assert.equal(replies.length, 2002);
      assert.equal(s(replies[0]), '+OK\r\n');
      assert.ok(replies.slice(1, 2001).every((reply) => s(reply) === '$1\r\nv\r\n'));
      assert.equal(s(replies[2001]), '+PONG\r\n');
    } finally {
      client.close();
    }
    const all = await sendThenHalfClose(proxy.port, '*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$7\r\nalicepw\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n');
    assert.equal(all, '+OK\r\n$1\r\nv\r\n+PONG\r\n');
  });

  it('needs the password in the same way through ioredis', async () => {
    const wrong = new Redis({ port: proxy.port, host: '127.0.0.1', lazyConnect: true, enableReadyCheck: false });
    const right = new Redis({ port: proxy.port, host: '127.0.0.1', password: 'proxypw', lazyConnect: true });
    try {
      await wrong.connect();
      await assert.rejects(wrong.get('k'), /NOAUTH/);
      await right.connect();
      assert.equal(await right.get('k'), 'v');
    } finally {
      wrong.disconnect();
      right.disconnect();
    }
  });
});

describe('the proxy in front of a Redis with requirepass, the URL without credentials', () => {
  let redis: RedisServer;
  let proxy: RunningProxy | undefined;
  const log: string[] = [];
  before(async () => {
    redis = await startRedis(['--requirepass', 's3cret']);
  });
  after(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  it('listens, and relays clients, who must AUTH', async () => {
    const started = startProxy({ ...DEFAULT_PROXY_CONFIG, port: 0, adminPort: undefined, upstream: redis.url }, (line) => log.push(line));
    const outcome = await Promise.race([started, new Promise<'still probing'>((resolve) => setTimeout(() => resolve('still probing'), 8000))]);
    assert.notEqual(outcome, 'still probing', `the proxy did not start listening: ${log.join('\n')}`);
    proxy = outcome as RunningProxy;
    assert.ok(log.some((line) => /clients must AUTH, and L1 is off/.test(line)), log.join('\n'));
    const client = await RawClient.connect(proxy.port);
    try {
      assert.equal(s(await client.call('GET', 'k')), NOAUTH);
      assert.equal(s(await client.call('AUTH', 's3cret')), '+OK\r\n');
      assert.equal(s(await client.call('SET', 'k', 'v')), '+OK\r\n');
      assert.equal(s(await client.call('GET', 'k')), '$1\r\nv\r\n');
      assert.equal(s(await client.call('BLPOP', 'nothing', '0.1')), '*-1\r\n');
    } finally {
      client.close();
    }
  });

  it('refuses --requirepass there: its default user would have no upstream identity', async () => {
    await assert.rejects(
      startProxy({ ...DEFAULT_PROXY_CONFIG, port: 0, adminPort: undefined, upstream: redis.url, requirepass: 'p' }, () => {}),
      /--requirepass needs credentials in --upstream/,
    );
  });
});

describe('the proxy\'s own commands, for users Redis restricts', () => {
  let under: ProxyUnderTest;
  let direct: RawClient;
  before(async () => {
    under = await startProxyOverRedis();
    direct = await RawClient.connect(under.redis.port);
    await direct.call('ACL', 'SETUSER', 'reader', 'on', '>pw', '~*', '+get', '+auth');
    await direct.call('ACL', 'SETUSER', 'operator', 'on', '>pw', '~*', '+get', '+auth', '+info', '+monitor');
  });
  after(async () => {
    direct?.close();
    await under?.stop();
  });

  it('runs INFO cachee only for a user Redis lets run INFO, CACHEE RECORD only for one it lets MONITOR', async () => {
    const reader = await RawClient.connect(under.port);
    const operator = await RawClient.connect(under.port);
    try {
      assert.equal(s(await reader.call('AUTH', 'reader', 'pw')), '+OK\r\n');
      assert.match(s(await reader.call('INFO', 'cachee')) ?? '', /^-NOPERM /);
      assert.match(s(await reader.call('CACHEE', 'RECORD', '1', '0')) ?? '', /^-NOPERM this user has no permissions to run the 'cachee\|record' command/);
      assert.equal(s(await reader.call('GET', 'k')), '$-1\r\n', 'the connection still serves');
      assert.equal(s(await operator.call('AUTH', 'operator', 'pw')), '+OK\r\n');
      assert.match(s(await operator.call('INFO', 'cachee')) ?? '', /l1_hits:/);
      assert.match(s(await operator.call('CACHEE', 'RECORD', '1', '0')) ?? '', /^\+OK source=l1/);
    } finally {
      reader.close();
      operator.close();
    }
  });
});

describe('the embedded store with --requirepass', () => {
  let embedded: EmbeddedUnderTest;
  before(async () => {
    embedded = await startEmbeddedProxy({ requirepass: 'pw' });
  });
  after(async () => embedded?.stop());

  it('refuses everything before AUTH, as Redis with requirepass does', async () => {
    const owner = await RawClient.connect(embedded.port);
    const stranger = await RawClient.connect(embedded.port);
    try {
      assert.equal(s(await owner.call('AUTH', 'pw')), '+OK\r\n');
      assert.equal(s(await owner.call('SET', 'k', 'v')), '+OK\r\n');
      await assertRefusedBeforeAuth(stranger, 'k');
      assert.equal(s(await stranger.call('HELLO', '3')), NOAUTH_HELLO);
      assert.equal(s(await stranger.call('AUTH', 'wrong')), WRONGPASS);
      assert.equal(s(await stranger.call('AUTH', 'alice', 'pw')), WRONGPASS);
      assert.equal(s(await stranger.call('GET', 'k')), NOAUTH);
      assert.match(s(await stranger.call('HELLO', '3', 'AUTH', 'default', 'pw')) ?? '', /^%7\r\n/);
      assert.equal(s(await stranger.call('GET', 'k')), '$1\r\nv\r\n');
      assert.equal(s(await stranger.call('RESET')), '+RESET\r\n');
      assert.equal(s(await stranger.call('GET', 'k')), NOAUTH);
      assert.equal(s(await stranger.call('AUTH', 'default', 'pw')), '+OK\r\n');
      assert.match(s(await stranger.call('INFO', 'cachee')) ?? '', /l1_hits:/);
    } finally {
      owner.close();
      stranger.close();
    }
  });
});
