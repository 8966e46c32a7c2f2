import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_PROXY_CONFIG, type ProxyConfig, type RunningProxy } from '../../src/proxy/config.js';
import { runCli, type StartProxy } from '../../src/cli/index.js';
import { SIGNAL_REPEAT_MS } from '../../src/cli/start.js';
import { startProxy as realStartProxy } from '../../src/proxy/server.js';
import { waitFor } from '../support/proxy.js';
import { adminGet } from '../support/prometheus.js';
import { closedPort, fakeDeps, tempDir, tick } from './helpers.js';

/** A startProxy that records its calls; close() resolves when `release` is called (or at once). */
function fakeProxy(options: { holdClose?: boolean; fail?: Error } = {}) {
  const calls: { config: ProxyConfig; log?: (line: string) => void }[] = [];
  let closes = 0;
  let release = () => {};
  const startProxy: StartProxy = async (config, log) => {
    calls.push({ config, log });
    if (options.fail) throw options.fail;
    const running: RunningProxy = {
      host: config.host,
      port: config.port,
      close: () => {
        closes++;
        return options.holdClose ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
    };
    return running;
  };
  return { startProxy, calls, closes: () => closes, release: () => release() };
}

/** Waits (up to 10 s) for `condition`: by time, not by turns, since the config file's read may wait behind other tests' work on libuv's thread pool. */
async function until(condition: () => boolean): Promise<void> {
  await waitFor(condition, 10_000, 'the condition').catch(() => {});
  assert.ok(condition(), 'condition never held');
}

describe('cachee start', () => {
  it('starts the proxy with the resolved config (flag > env > file > default) and stops on SIGTERM', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(path.join(dir, 'cachee.json'), JSON.stringify({ upstream: 'redis://file:6379', port: 7003, l1Memory: '3mb', l1Ttl: '3s', workers: 2 }));
      const proxy = fakeProxy();
      const deps = fakeDeps({ cwd: dir, env: { CACHEE_PORT: '7002', CACHEE_L1_MEMORY: '2mb' }, startProxy: proxy.startProxy });
      const running = runCli(['start', '--port', '7001', '--l1-keys', 'session:*'], deps);
      await until(() => deps.listeners === 1 && proxy.calls.length === 1 && deps.out.length >= 2);
      assert.deepEqual(proxy.calls[0].config, {
        ...DEFAULT_PROXY_CONFIG,
        upstream: 'redis://file:6379',
        port: 7001,
        l1Memory: 2 * 1024 ** 2,
        l1Ttl: 3000,
        l1Keys: ['session:*'],
        workers: 2,
      });
      assert.equal(typeof proxy.calls[0].log, 'function');

      deps.signal('SIGTERM');
      assert.equal(await running, 0);
      assert.equal(proxy.closes(), 1);
      assert.equal(deps.listeners, 0, 'signal handlers removed');
      assert.deepEqual(deps.exits, []);
      assert.equal(
        deps.stdoutText(),
        [
          '2025-01-02T03:04:05.678Z cachee 9.9.9 starting, config cachee.json',
          '2025-01-02T03:04:05.678Z listening on 127.0.0.1:7001, upstream redis://file:6379 (L1 2 MB, TTL 3s, keys session:*, 2 workers)',
          '2025-01-02T03:04:05.678Z SIGTERM: shutting down',
          '2025-01-02T03:04:05.678Z stopped',
          '',
        ].join('\n'),
      );
      assert.equal(deps.stderrText(), '');
    } finally {
      cleanup();
    }
  });

  it('with no file and no upstream, runs on defaults from the embedded store and says so', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const proxy = fakeProxy();
      const deps = fakeDeps({ cwd: dir, startProxy: proxy.startProxy });
      const running = runCli(['start'], deps);
      await until(() => deps.out.length >= 2);
      assert.deepEqual(proxy.calls[0].config, DEFAULT_PROXY_CONFIG);
      deps.signal('SIGINT');
      assert.equal(await running, 0);
      const lines = deps.stdoutText().split('\n');
      assert.equal(lines[0], '2025-01-02T03:04:05.678Z cachee 9.9.9 starting, no cachee.json: defaults');
      assert.equal(lines[1], '2025-01-02T03:04:05.678Z listening on 127.0.0.1:6380, no upstream: serving from the embedded store (256 MB; keys expire only by EXPIRE, SET EX and the like)');
      assert.equal(lines[2], '2025-01-02T03:04:05.678Z SIGINT: shutting down');
    } finally {
      cleanup();
    }
  });

  it("timestamps the proxy's own lines (upstream connected, lost)", async () => {
    let now = Date.parse('2025-06-01T00:00:00.000Z');
    const proxy = fakeProxy();
    const deps = fakeDeps({ now: () => now, startProxy: proxy.startProxy });
    const running = runCli(['start', '--upstream', 'redis://u:pw@h:6379'], deps);
    await until(() => deps.out.length >= 2);
    assert.doesNotMatch(deps.stdoutText(), /pw/);
    now += 1500;
    proxy.calls[0].log!('upstream connected');
    proxy.calls[0].log!('upstream lost: connection reset\n');
    deps.signal('SIGTERM');
    assert.equal(await running, 0);
    const lines = deps.stdoutText().split('\n');
    assert.equal(lines[2], '2025-06-01T00:00:01.500Z upstream connected');
    assert.equal(lines[3], '2025-06-01T00:00:01.500Z upstream lost: connection reset');
  });

  it('exits at once with 1 on a second signal while closing, but takes a repeat within SIGNAL_REPEAT_MS as the same signal', async () => {
    let now = Date.parse('2025-06-01T00:00:00.000Z');
    const proxy = fakeProxy({ holdClose: true });
    const deps = fakeDeps({ now: () => now, startProxy: proxy.startProxy });
    const running = runCli(['start'], deps);
    await until(() => deps.out.length >= 2);
    deps.signal('SIGTERM');
    await tick();
    assert.equal(proxy.closes(), 1);
    // Sent to the process group and forwarded by the launcher: one signal, arriving twice.
    now += SIGNAL_REPEAT_MS - 1;
    deps.signal('SIGTERM');
    await tick();
    assert.deepEqual(deps.exits, []);
    assert.doesNotMatch(deps.stdoutText(), /again/);
    now += 1;
    deps.signal('SIGINT');
    assert.deepEqual(deps.exits, [1]);
    assert.equal(await running, 1);
    assert.match(deps.stdoutText(), /SIGINT again: exiting now\n$/);
  });

  it('exits at once with 0 on a signal during start-up, closing the proxy if it starts later', async () => {
    let finishStart!: (proxy: RunningProxy) => void;
    let closed = 0;
    const deps = fakeDeps({
      startProxy: () => new Promise((resolve) => (finishStart = resolve)),
    });
    const running = runCli(['start'], deps);
    await until(() => finishStart !== undefined && deps.listeners === 1);
    deps.signal('SIGTERM');
    assert.deepEqual(deps.exits, [0]);
    assert.equal(await running, 0);
    assert.match(deps.stdoutText(), /SIGTERM: shutting down before the proxy started; stopped\n$/);
    finishStart({ host: '127.0.0.1', port: 6380, close: async () => void closed++ });
    await tick();
    assert.equal(closed, 1);
    assert.doesNotMatch(deps.stdoutText(), /listening/);
  });

  it('reports a failed start in one line, exit 1', async () => {
    const err = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:6380'), { code: 'EADDRINUSE' });
    const deps = fakeDeps({ startProxy: fakeProxy({ fail: err }).startProxy });
    assert.equal(await runCli(['start'], deps), 1);
    assert.equal(deps.stderrText(), 'cachee start: cannot start the proxy on 127.0.0.1:6380: address already in use\n');
    assert.equal(deps.listeners, 0);
  });

  it('says where the admin server listens, and the real proxy serves /metrics there until SIGTERM', async () => {
    const port = await closedPort();
    const deps = fakeDeps({ startProxy: realStartProxy });
    const running = runCli(['start', '--port', String(port), '--admin-port', '0'], deps);
    await waitFor(() => deps.out.some((line) => line.includes('listening on')), 10_000, 'the listening line');
    const listening = deps.out.find((line) => line.includes('listening on'))!;
    const match = new RegExp(`listening on 127\\.0\\.0\\.1:${port}, dashboard on http://127\\.0\\.0\\.1:(\\d+)/ \\(metrics at /metrics\\), no upstream`).exec(listening);
    assert.ok(match, listening);
    const admin = { host: '127.0.0.1', port: Number(match[1]) };
    const { status, text } = await adminGet(admin, '/metrics');
    assert.equal(status, 200);
    assert.match(text, /^cachee_upstream_state\{state="embedded"\} 1$/m);
    deps.signal('SIGTERM');
    assert.equal(await running, 0);
    await assert.rejects(adminGet(admin, '/metrics'), 'the admin server closed with the proxy');
  });

  it('reports an admin port in use in one line, exit 1, and frees the proxy port it had taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const port = await closedPort();
    try {
      const deps = fakeDeps({ startProxy: realStartProxy });
      assert.equal(await runCli(['start', '--port', String(port), '--admin-port', String(taken)], deps), 1);
      assert.equal(
        deps.stderrText(),
        `cachee start: cannot start the admin server on 127.0.0.1:${taken}: address already in use (--admin-port: another port, or off)\n`,
      );
      const again = net.createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
