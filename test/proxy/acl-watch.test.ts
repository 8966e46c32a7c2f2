/**
 * The ACL watch against a real redis-server: what it reports as a change of users or
 * permissions, and what it cannot read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AclWatch, defaultUserOpenIn, readAcl, type AclSnapshot } from '../../src/proxy/acl-watch.js';
import { parseUpstreamUrl, UpstreamConnection, type UpstreamTarget } from '../../src/tier/redis-connection.js';
import { RawClient, waitFor } from '../support/proxy.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

describe('the ACL watch', () => {
  let redis: RedisServer;
  let direct: RawClient;
  let target: UpstreamTarget;
  before(async () => {
    redis = await startRedis();
    direct = await RawClient.connect(redis.port);
    target = parseUpstreamUrl(redis.url);
  });
  after(async () => {
    direct?.close();
    await redis?.stop();
  });

  async function snapshot(): Promise<AclSnapshot> {
    const connection = new UpstreamConnection(target, { timeout: 2000 });
    try {
      await connection.connected();
      return await readAcl(connection);
    } finally {
      connection.close();
    }
  }

  /** A watch that looks only when asked (checkNow), and the changes it reported. */
  function watchAskedOnly(initial: AclSnapshot): { watch: AclWatch; changes: AclSnapshot[] } {
    const changes: AclSnapshot[] = [];
    const watch = new AclWatch({ target, timeout: 2000, initial, interval: 3_600_000, onChange: (acl) => changes.push(acl), onStateChange: () => {} });
    return { watch, changes };
  }

  it('reports a grant revoked between two looks, though the list reads the same', async () => {
    await direct.call('ACL', 'SETUSER', 'bob', 'reset', 'on', '>pw', '~public:*', '+@all');
    const { watch, changes } = watchAskedOnly(await snapshot());
    try {
      await direct.call('ACL', 'SETUSER', 'bob', '~secret:*');
      await direct.call('ACL', 'SETUSER', 'bob', 'resetkeys', '~public:*');
      watch.checkNow();
      await waitFor(() => changes.length > 0, 5000, 'the change to be reported');
    } finally {
      watch.close();
    }
  });

  it('reports nothing while nothing changed, and tells whether the default user needs a password', async () => {
    const initial = await snapshot();
    assert.equal(defaultUserOpenIn(initial), true);
    const { watch, changes } = watchAskedOnly(initial);
    try {
      watch.checkNow();
      await new Promise((resolve) => setTimeout(resolve, 200));
      watch.checkNow();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(changes, []);
      await direct.call('CONFIG', 'SET', 'requirepass', 'now-closed');
      watch.checkNow();
      await waitFor(() => changes.length > 0, 5000, 'the change to be reported');
      assert.equal(defaultUserOpenIn(changes[0]), false);
    } finally {
      watch.close();
      await direct.call('AUTH', 'now-closed');
      await direct.call('CONFIG', 'SET', 'requirepass', '');
    }
  });
});
