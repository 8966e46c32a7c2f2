/**
 * No stale read under load: `cachee start` (a process of its own, as deployed) in front of a
 * redis-server; connections read one key through it back to back while a direct client rewrites
 * the key. No read that started after a rewrite was acknowledged may return an older value
 * (bench/staleness/checker.ts). Before L1 reads waited for the end of the event-loop turn, about
 * 1% of such reads were stale (bench/staleness, `npm run bench:staleness`).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { checkThroughProxy, startServerProcess } from '../../bench/staleness/load.js';
import { RawClient, infoField } from '../support/proxy.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describe('proxy under load: no read returns a value older than an acknowledged write', () => {
  let redis: RedisServer;
  let proxy: { port: number; stop(): Promise<void> };
  before(async () => {
    redis = await startRedis();
    const port = await freePort();
    proxy = await startServerProcess(CLI, ['start', '--upstream', redis.url, '--port', String(port)], /invalidation: tracking/, port);
  });
  after(async () => {
    await proxy?.stop();
    await redis.stop();
  });

  it('100 connections reading one key, rewritten directly every 2 ms for 4 s', async () => {
    const report = await checkThroughProxy({ redisPort: redis.port, proxyPort: proxy.port, key: 'hot', connections: 100, seconds: 4, writeEveryMs: 2 });
    const info = await RawClient.connect(proxy.port);
    const hits = Number(infoField(await info.call('INFO', 'cachee'), 'l1_hits'));
    info.close();
    assert.ok(hits > 0, 'L1 answered reads');
    assert.equal(report.impossible, 0, 'every value read was written');
    assert.equal(report.stale, 0, `stale reads: ${JSON.stringify(report)}`);
  });
});
