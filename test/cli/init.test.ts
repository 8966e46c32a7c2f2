import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ProxyConfig } from '../../src/proxy/config.js';
import { runCli, type StartProxy } from '../../src/cli/index.js';
import { fakeDeps, tempDir } from './helpers.js';

describe('cachee init', () => {
  it('writes cachee.json in the working folder with every setting', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const deps = fakeDeps({ cwd: dir, env: { CACHEE_PORT: '9999' /* not read by init */ } });
      const code = await runCli(
        ['init', '--upstream', 'redis://cache:6379', '--l1-memory', '1gb', '--l1-ttl', '30s', '--l1-keys', 'session:*,auth:*'],
        deps,
      );
      assert.equal(code, 0, deps.stderrText());
      assert.equal(
        deps.stdoutText(),
        'wrote cachee.json: listen on 127.0.0.1:6380, upstream redis://cache:6379 (L1 1 GB, TTL 30s, keys session:*,auth:*)\n',
      );
      const written = JSON.parse(readFileSync(path.join(dir, 'cachee.json'), 'utf8'));
      assert.deepEqual(written, {
        upstream: 'redis://cache:6379',
        host: '127.0.0.1',
        port: 6380,
        l1Memory: '1gb',
        l1Ttl: '30s',
        l1Keys: ['session:*', 'auth:*'],
        requireFresh: false,
        upstreamTimeout: '2s',
        maxClients: 10000,
        maxBulkLength: '512mb',
        maxQueryBuffer: '1gb',
        maxInputMemory: '1gb',
        workers: 1,
        adminPort: 6381,
        adminAllowedHosts: [],
      });
    } finally {
      cleanup();
    }
  });

  it('refuses to overwrite an existing file unless --force', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'cachee.json');
      writeFileSync(file, '{"port": 1234}\n');
      const deps = fakeDeps({ cwd: dir });
      assert.equal(await runCli(['init', '--port', '7000'], deps), 1);
      assert.equal(deps.stderrText(), 'cachee init: cachee.json already exists (use --force to overwrite it)\n');
      assert.equal(readFileSync(file, 'utf8'), '{"port": 1234}\n');

      assert.equal(await runCli(['init', '--port', '7000', '--force'], fakeDeps({ cwd: dir })), 0);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).port, 7000);
    } finally {
      cleanup();
    }
  });

  it('writes to --config, a file or a folder, creating folders, and says null upstream for none', async () => {
    const { dir, cleanup } = tempDir();
    try {
      assert.equal(await runCli(['init', '--config', 'conf/proxy.json'], fakeDeps({ cwd: dir })), 0);
      assert.equal(JSON.parse(readFileSync(path.join(dir, 'conf/proxy.json'), 'utf8')).upstream, null);
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'conf/proxy.json'), 'utf8')).l1Keys, ['*']);
      assert.equal(await runCli(['init', '--config', 'conf'], fakeDeps({ cwd: dir })), 0);
      assert.ok(existsSync(path.join(dir, 'conf/cachee.json')));
    } finally {
      cleanup();
    }
  });

  it('keeps a file holding a password private', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const deps = fakeDeps({ cwd: dir });
      assert.equal(await runCli(['init', '--upstream', 'redis://app:s3cret@cache:6379'], deps), 0);
      assert.equal(statSync(path.join(dir, 'cachee.json')).mode & 0o777, 0o600);
      assert.doesNotMatch(deps.stdoutText(), /s3cret/);
    } finally {
      cleanup();
    }
  });

  it('validates before writing: a bad value writes nothing', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const deps = fakeDeps({ cwd: dir });
      assert.equal(await runCli(['init', '--port', '65536'], deps), 2);
      assert.equal(deps.stderrText(), 'error: --port: must be between 1 and 65535 (got "65536")\n');
      assert.equal(existsSync(path.join(dir, 'cachee.json')), false);
    } finally {
      cleanup();
    }
  });

  it('writes a file that start reads back to the same config', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const flags = ['--upstream', 'rediss://h:6380/1', '--l1-memory', '1.5gb', '--l1-ttl', '1500ms', '--l1-keys', 'a:*', '--l1-require-fresh', '--workers', '3', '--admin-port', 'off'];
      assert.equal(await runCli(['init', ...flags], fakeDeps({ cwd: dir })), 0);
      assert.equal(JSON.parse(readFileSync(path.join(dir, 'cachee.json'), 'utf8')).adminPort, 'off');
      const seen: ProxyConfig[] = [];
      const startProxy: StartProxy = async (config) => {
        seen.push(config);
        return { host: config.host, port: config.port, close: async () => {} };
      };
      const deps = fakeDeps({ cwd: dir, startProxy });
      const running = runCli(['start'], deps);
      while (seen.length === 0) await new Promise((r) => setImmediate(r));
      deps.signal('SIGTERM');
      assert.equal(await running, 0);
      assert.deepEqual(seen[0], {
        upstream: 'rediss://h:6380/1',
        host: '127.0.0.1',
        port: 6380,
        l1Memory: 1.5 * 1024 ** 3,
        l1Ttl: 1500,
        l1Keys: ['a:*'],
        requireFresh: true,
        upstreamTimeout: 2000,
        maxClients: 10000,
        maxBulkLength: 512 * 1024 ** 2,
        maxQueryBuffer: 1024 ** 3,
        maxInputMemory: 1024 ** 3,
        workers: 3,
      });
    } finally {
      cleanup();
    }
  });
});
