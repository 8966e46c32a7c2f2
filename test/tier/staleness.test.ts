/**
 * TieredCache with `readAtTurnEnd` under load, as an application uses it: a process of its own
 * (bench/staleness/tiered-server.ts) answers each request with `get` in the request's callback;
 * connections ask it back to back while a direct client rewrites the key on Redis. No read that
 * started after a rewrite was acknowledged may return an older value (bench/staleness/checker.ts).
 * Without the option about 2% of such reads are stale (`npm run bench:staleness`).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { checkThroughProxy, startServerProcess } from '../../bench/staleness/load.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const APP = fileURLToPath(new URL('../../bench/staleness/tiered-server.ts', import.meta.url));

describe('TieredCache readAtTurnEnd under load: no read returns a value older than an acknowledged write', () => {
  let redis: RedisServer;
  let app: { port: number; stop(): Promise<void> };
  before(async () => {
    redis = await startRedis();
    app = await startServerProcess(APP, [redis.url, 'app', '--read-at-turn-end'], /listening on (\d+)/);
  });
  after(async () => {
    await app?.stop();
    await redis.stop();
  });

  it('100 connections asking for one key, rewritten directly every 2 ms for 4 s', async () => {
    const report = await checkThroughProxy({ redisPort: redis.port, proxyPort: app.port, key: 'app:k', connections: 100, seconds: 4, writeEveryMs: 2 });
    assert.ok(report.reads > 0);
    assert.equal(report.impossible, 0, 'every value read was written');
    assert.equal(report.stale, 0, `stale reads: ${JSON.stringify(report)}`);
  });
});
