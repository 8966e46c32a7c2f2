/**
 * No stale read under load: `cachee start` (a process of its own, as deployed) in front of a
 * redis-server; connections read one key through it back to back while a direct client rewrites
 * the key. No read that started after a rewrite was acknowledged may return an older value
 * (bench/staleness/checker.ts). Before L1 reads waited for the end of the event-loop turn, about
 * 1% of such reads were stale (bench/staleness, `npm run bench:staleness`).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { checkThroughProxy } from '../../bench/staleness/load.js';
import { RawClient, infoField, waitFor } from '../support/proxy.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

describe('proxy under load: no read returns a value older than an acknowledged write', () => {
  let redis: RedisServer;
  let proxy: ChildProcess;
  let port: number;
  let cwd: string;
  before(async () => {
    redis = await startRedis();
    port = await freePort();
    cwd = mkdtempSync(path.join(os.tmpdir(), 'cachee-staleness-'));
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CACHEE_'))), CACHEE_ADMIN_PORT: '0' };
    proxy = spawn(process.execPath, ['--import', TSX, CLI, 'start', '--upstream', redis.url, '--port', String(port)], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    proxy.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('invalidation: tracking') || proxy.exitCode !== null, 30_000, 'the proxy to track');
    assert.equal(proxy.exitCode, null, output);
  });
  after(async () => {
    const exited = new Promise((resolve) => proxy.once('exit', resolve));
    proxy.kill('SIGTERM');
    await exited;
    rmSync(cwd, { recursive: true, force: true });
    await redis.stop();
  });

  it('100 connections reading one key, rewritten directly every 2 ms for 4 s', async () => {
    const report = await checkThroughProxy({ redisPort: redis.port, proxyPort: port, key: 'hot', connections: 100, seconds: 4, writeEveryMs: 2 });
    const info = await RawClient.connect(port);
    const hits = Number(infoField(await info.call('INFO', 'cachee'), 'l1_hits'));
    info.close();
    assert.ok(hits > 0, 'L1 answered reads');
    assert.equal(report.impossible, 0, 'every value read was written');
    assert.equal(report.stale, 0, `stale reads: ${JSON.stringify(report)}`);
  });
});
