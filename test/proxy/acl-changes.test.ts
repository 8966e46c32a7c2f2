/**
 * Revoking a user's access while her connection through the proxy is open: once Redis refuses
 * her a key, L1 must not serve it to her either. Changes made through the proxy take effect with
 * the ACL command's reply; those made straight on Redis within the ACL watch's poll
 * (src/proxy/acl-watch.ts). Without the watch, L1 served her for --l1-ttl (30 s).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { RunningProxy } from '../../src/proxy/config.js';
import { infoField, RawClient, startTrackingProxy, waitFor } from '../support/proxy.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const s = (b: Buffer | undefined) => b?.toString('latin1');
const NOPERM_KEY = '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n';
/** Far longer than the ACL watch's poll, far shorter than --l1-ttl. */
const SEEN_WITHIN_MS = 5000;

describe('ACL changes while a client is connected through the proxy', () => {
  let redis: RedisServer;
  let proxy: RunningProxy;
  let direct: RawClient;
  let admin: RawClient;
  let alice: RawClient;

  before(async () => {
    redis = await startRedis();
    ({ proxy } = await startTrackingProxy({ upstream: redis.url, l1Ttl: 60_000 }));
    direct = await RawClient.connect(redis.port);
    admin = await RawClient.connect(proxy.port);
  });
  after(async () => {
    direct?.close();
    admin?.close();
    await proxy?.close();
    await redis?.stop();
  });

  /**
   * Alice, who may read secret:* and public:*, has read secret:1 twice: the second from L1. Set up
   * straight on Redis, like the previous test's end (she is deleted, then made again): the watch
   * may see none of it before a test revokes her access again.
   */
  beforeEach(async () => {
    assert.equal(s(await direct.call('ACL', 'SETUSER', 'alice', 'reset', 'on', '>alicepw', '~secret:*', '~public:*', '+@all')), '+OK\r\n');
    await direct.call('SET', 'secret:1', 'classified');
    alice = await RawClient.connect(proxy.port);
    assert.equal(s(await alice.call('AUTH', 'alice', 'alicepw')), '+OK\r\n');
    assert.equal(s(await alice.call('GET', 'secret:1')), '$10\r\nclassified\r\n');
    const hits = Number(infoField(await admin.call('INFO', 'cachee'), 'l1_hits'));
    assert.equal(s(await alice.call('GET', 'secret:1')), '$10\r\nclassified\r\n');
    assert.equal(Number(infoField(await admin.call('INFO', 'cachee'), 'l1_hits')), hits + 1, 'alice read secret:1 from L1');
  });
  afterEach(async () => {
    alice?.close();
    await direct.call('ACL', 'DELUSER', 'alice');
  });

  it('refuses her the key at once when the change goes through the proxy', async () => {
    assert.equal(s(await admin.call('ACL', 'SETUSER', 'alice', 'resetkeys', '~public:*')), '+OK\r\n');
    assert.equal(s(await alice.call('GET', 'secret:1')), NOPERM_KEY);
  });

  it('refuses her the key once the watch sees a change made straight on Redis (ACL SETUSER resetkeys)', async () => {
    assert.equal(s(await direct.call('ACL', 'SETUSER', 'alice', 'resetkeys', '~public:*')), '+OK\r\n');
    await waitFor(async () => s(await alice.call('GET', 'secret:1')) === NOPERM_KEY, SEEN_WITHIN_MS, 'the proxy to refuse alice secret:1');
    // And never again from L1 (a read in flight across the change is not kept either).
    for (let i = 0; i < 20; i++) assert.equal(s(await alice.call('GET', 'secret:1')), NOPERM_KEY);
  });

  it('serves her nothing once she is deleted on Redis (ACL DELUSER)', async () => {
    assert.equal(s(await direct.call('ACL', 'DELUSER', 'alice')), ':1\r\n');
    await waitFor(async () => alice.closed || s(await alice.call('GET', 'secret:1').catch(() => undefined)) !== '$10\r\nclassified\r\n', SEEN_WITHIN_MS, 'the proxy to stop serving alice');
    await waitFor(() => alice.closed, SEEN_WITHIN_MS, 'her connection to close, as Redis closed hers');
  });

  it('serves her old connection nothing once her password changed and she was killed, though her new one refills L1', async () => {
    assert.equal(s(await direct.call('ACL', 'SETUSER', 'alice', 'resetpass', '>newpw')), '+OK\r\n');
    assert.match(s(await direct.call('CLIENT', 'KILL', 'USER', 'alice')) ?? '', /^:[1-9]/);
    const renewed = await RawClient.connect(proxy.port);
    try {
      assert.equal(s(await renewed.call('AUTH', 'alice', 'newpw')), '+OK\r\n');
      // Read until the watch's flush is behind us and the new connection's read is in L1 again.
      await waitFor(async () => {
        const hits = Number(infoField(await admin.call('INFO', 'cachee'), 'l1_hits'));
        await renewed.call('GET', 'secret:1');
        return Number(infoField(await admin.call('INFO', 'cachee'), 'l1_hits')) > hits;
      }, SEEN_WITHIN_MS, 'secret:1 back in L1 for the new connection');
      const reply = await alice.call('GET', 'secret:1').catch(() => undefined);
      assert.notEqual(s(reply), '$10\r\nclassified\r\n', 'the killed connection is not served from L1');
      await waitFor(() => alice.closed, SEEN_WITHIN_MS, 'the killed connection to close');
    } finally {
      renewed.close();
    }
  });
});

describe('an upstream user that may not read the ACL', () => {
  let redis: RedisServer;
  let proxy: RunningProxy;
  let log: string[];
  before(async () => {
    redis = await startRedis();
    const direct = await RawClient.connect(redis.port);
    await direct.call('ACL', 'SETUSER', 'cachee', 'on', '>pw', '~*', '&*', '+@all', '-acl');
    direct.close();
    ({ proxy, log } = await startTrackingProxy({ upstream: `redis://cachee:pw@127.0.0.1:${redis.port}` }));
  });
  after(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  it('gets a warning, and L1 answers no reads: the proxy could not see a revocation', async () => {
    assert.ok(log.some((line) => /may not run ACL LIST/.test(line)), log.join('\n'));
    const client = await RawClient.connect(proxy.port);
    try {
      await client.call('SET', 'k', 'v');
      for (let i = 0; i < 3; i++) assert.equal(s(await client.call('GET', 'k')), '$1\r\nv\r\n');
      assert.equal(infoField(await client.call('INFO', 'cachee'), 'l1_hits'), '0');
    } finally {
      client.close();
    }
  });
});
