/**
 * `cachee bench` in-process (runCli with captured output) against a throwaway redis-server and a
 * real proxy, and once through the bin. Figures are checked for shape, never for speed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/index.js';
import { BenchClient } from '../../src/cli/bench/client.js';
import { BENCH_PREFIX, ForeignKeyError, benchKey, checkPrefix } from '../../src/cli/bench/keys.js';
import { parseProxyAddress, parseSizes } from '../../src/cli/bench/options.js';
import { formatFigure } from '../../src/cli/bench/report.js';
import { CliError } from '../../src/cli/errors.js';
import { decodeReply } from '../../src/resp/decode.js';
import { DEFAULT_PROXY_CONFIG } from '../../src/proxy/config.js';
import { startProxy } from '../../src/proxy/server.js';
import { RawClient, infoField, startEmbeddedProxy, startProxyOverRedis, waitFor, type ProxyUnderTest } from '../support/proxy.js';
import { startRedis } from '../support/redis-server.js';
import { FIXED_NOW, closedPort, fakeDeps, runBin, tempDir } from './helpers.js';

const PATHS = ['direct', 'proxy', 'engine'] as const;
/** Keys the bench must leave alone: outside its prefix, one of them only just. */
const FOREIGN = { 'user:1': 'keep', 'cachee:bench': 'no colon: not under the prefix', 'cachee:benchmark:x': 'neither' };

async function allKeys(client: RawClient): Promise<string[]> {
  const keys = decodeReply(await client.call('KEYS', '*'), { strings: 'string' }) as string[];
  return keys.sort();
}

function assertPositiveFinite(value: unknown, what: string): void {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${what} is ${value}`);
}

/** stderr as written: one line, ending in a newline, no stack frame. */
function assertOneLine(text: string, pattern: RegExp): void {
  assert.match(text, /^[^\n]+\n$/, `expected one line, got ${JSON.stringify(text)}`);
  assert.match(text, pattern);
  assert.doesNotMatch(text, /\n\s+at /);
}

describe('cachee bench against Redis and a running proxy', () => {
  let under: ProxyUnderTest;
  let direct: RawClient;
  before(async () => {
    under = await startProxyOverRedis();
    direct = await RawClient.connect(under.redis.port);
    for (const [key, value] of Object.entries(FOREIGN)) await direct.call('SET', key, value);
  });
  after(async () => {
    direct?.close();
    await under?.stop();
  });

  it('prints a row per size, writes the JSON and the SVG, and leaves only the keys it found', async () => {
    const { dir, cleanup } = tempDir();
    const admin = await RawClient.connect(under.port);
    try {
      const hitsBefore = Number(infoField(await admin.call('INFO', 'cachee'), 'l1_hits'));
      const deps = fakeDeps({ cwd: dir });
      const args = ['bench', '--upstream', under.redis.url, '--proxy', `127.0.0.1:${under.port}`, '--sizes', '4kb,64b,100kb', '--requests', '30'];
      assert.equal(await runCli(args, deps), 0, deps.stderrText());

      // The table: a line of units, the headers, then one row per size, ascending.
      const lines = deps.stdoutText().trimEnd().split('\n');
      assert.match(lines[0], /^GET latency in µs/);
      assert.deepEqual(lines[1].split(/\s{2,}/), ['size', 'direct p50', 'direct p99', 'proxy p50', 'proxy p99', 'engine p50', 'engine p99', 'direct/proxy', 'direct/engine']);
      assert.deepEqual(lines.slice(2).map((line) => line.split(/\s{2,}/)[0]), ['64 B', '4 KB', '100 KB']);
      for (const row of lines.slice(2)) {
        assert.equal(row.length, lines[1].length, 'columns line up under the headers');
        assert.match(row, /^\S+ \S+( +[\d.]+){6}( +[\d.]+x){2}$/);
      }
      // No bar off a terminal: one line per size, then where the files went.
      assert.deepEqual(deps.stderrText().trimEnd().split('\n'), [
        'cachee bench: 64 B done (1 of 3)',
        'cachee bench: 4 KB done (2 of 3)',
        'cachee bench: 100 KB done (3 of 3)',
        `cachee bench: wrote ${path.join(dir, 'cachee-bench.json')} and cachee-bench.svg`,
      ]);

      const report = JSON.parse(readFileSync(path.join(dir, 'cachee-bench.json'), 'utf8'));
      assert.equal(report.tool, 'cachee bench');
      assert.equal(report.date, new Date(FIXED_NOW).toISOString());
      assert.equal(report.node, process.version);
      assert.equal(typeof report.platform, 'string');
      assert.deepEqual(report.setup, {
        upstream: under.redis.url,
        proxy: `127.0.0.1:${under.port}`,
        proxyInProcess: false,
        client: report.setup.client,
        requests: 30,
        rounds: 10,
        warmup: 30,
        engineBatch: 1000,
        prefix: BENCH_PREFIX,
      });
      assert.match(report.setup.client, /^ioredis \d+\.\d+\.\d+$/);
      assert.deepEqual(report.sizes.map((s: { size: string; bytes: number }) => [s.size, s.bytes]), [['64b', 64], ['4kb', 4096], ['100kb', 102_400]]);
      for (const size of report.sizes) {
        for (const name of PATHS) {
          assertPositiveFinite(size[name].p50Us, `${size.size} ${name} p50`);
          assertPositiveFinite(size[name].p99Us, `${size.size} ${name} p99`);
          assert.ok(size[name].p99Us >= size[name].p50Us, `${size.size} ${name}: p99 below p50`);
          assert.equal(size[name].samples, 30);
        }
        assert.equal(size.proxy.notFromL1, 0);
        assertPositiveFinite(size.speedup.directOverProxy, 'direct/proxy');
        assertPositiveFinite(size.speedup.directOverEngine, 'direct/engine');
        assert.equal(size.speedup.directOverProxy, size.direct.p50Us / size.proxy.p50Us);
      }
      // Every timed proxy read was an L1 hit, as the proxy counts them.
      const hitsAfter = Number(infoField(await admin.call('INFO', 'cachee'), 'l1_hits'));
      assert.ok(hitsAfter - hitsBefore >= 3 * 30, `${hitsAfter - hitsBefore} L1 hits`);

      const svg = readFileSync(path.join(dir, 'cachee-bench.svg'), 'utf8');
      assert.match(svg, /^<svg /);
      const series = [...svg.matchAll(/<polyline [^>]*><title>([^<]+)<\/title>/g)].map((m) => m[1]);
      assert.deepEqual(series, ['direct p50', 'direct p99', 'proxy p50', 'proxy p99', 'engine p50', 'engine p99']);
      assert.equal(svg.match(/<polyline [^>]*stroke-dasharray/g)?.length, 3, 'the p99s are dashed');
      assert.equal(svg.match(/<circle /g)?.length, 6 * 3, 'a point per size on each series');

      assert.deepEqual(await allKeys(direct), Object.keys(FOREIGN).sort());
      assert.equal((await direct.call('GET', 'user:1')).toString(), '$4\r\nkeep\r\n');
    } finally {
      admin.close();
      cleanup();
    }
  });

  it('writes under --prefix and into --out', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const deps = fakeDeps();
      const args = ['bench', '--upstream', under.redis.url, '--proxy', `redis://127.0.0.1:${under.port}`, '--sizes', '1kb', '--requests', '5', '--prefix', 'cachee:bench:mine:', '--out', path.join(dir, 'new')];
      assert.equal(await runCli(args, deps), 0, deps.stderrText());
      const report = JSON.parse(readFileSync(path.join(dir, 'new', 'cachee-bench.json'), 'utf8'));
      assert.equal(report.setup.prefix, 'cachee:bench:mine:');
      assert.ok(existsSync(path.join(dir, 'new', 'cachee-bench.svg')));
      assert.deepEqual(await allKeys(direct), Object.keys(FOREIGN).sort());
    } finally {
      cleanup();
    }
  });

  it('stops on Ctrl-C with exit 130, its keys removed', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const deps = fakeDeps({ cwd: dir });
      const stderr = deps.stderr!;
      deps.stderr = (text) => {
        stderr(text);
        if (text.includes('done (1 of 2)')) {
          deps.signal('SIGINT');
        }
      };
      const args = ['bench', '--upstream', under.redis.url, '--proxy', `127.0.0.1:${under.port}`, '--sizes', '64b,1kb', '--requests', '20'];
      assert.equal(await runCli(args, deps), 130);
      assert.equal(deps.stderrText().split('\n').at(-2), 'cachee bench: stopped by SIGINT');
      assert.equal(deps.stdoutText(), '', 'no table from a broken run');
      assert.equal(deps.listeners, 0);
      assert.ok(!existsSync(path.join(dir, 'cachee-bench.json')));
      assert.deepEqual(await allKeys(direct), Object.keys(FOREIGN).sort());
    } finally {
      cleanup();
    }
  });

  it('the guard refuses a foreign key before anything is sent', async () => {
    assert.equal(benchKey('cachee:bench:64b'), 'cachee:bench:64b');
    for (const key of ['user:1', 'cachee:bench', 'cachee:benchmark:x', '', ' cachee:bench:x']) {
      assert.throws(() => benchKey(key), ForeignKeyError, key);
    }
    const client = await BenchClient.connect({ url: under.redis.url, display: 'test' }, 'the upstream', 1000);
    try {
      await client.set('cachee:bench:guarded', Buffer.from('x'));
      const ttl = Number(/^:(\d+)\r\n$/.exec((await direct.call('TTL', 'cachee:bench:guarded')).toString())?.[1]);
      assert.ok(ttl > 0, 'its keys expire even if a run is killed before its clean-up');
      assert.throws(() => client.get('user:1'), ForeignKeyError);
      await assert.rejects(client.set('user:1', Buffer.from('overwritten')), ForeignKeyError);
      // One foreign key in a batch refuses the whole batch: the bench's own key stays too.
      await assert.rejects(client.del(['cachee:bench:guarded', 'user:1']), ForeignKeyError);
      assert.equal((await direct.call('GET', 'user:1')).toString(), '$4\r\nkeep\r\n');
      assert.equal((await direct.call('EXISTS', 'cachee:bench:guarded')).toString(), ':1\r\n');
      await client.del(['cachee:bench:guarded']);
    } finally {
      client.close();
    }
  });

  it('refuses a proxy that is plain Redis, serves its embedded store, has too small an L1, or never hits', async () => {
    const plain = fakeDeps();
    assert.equal(await runCli(['bench', '--upstream', under.redis.url, '--proxy', `127.0.0.1:${under.redis.port}`], plain), 1);
    assertOneLine(plain.stderrText(), new RegExp(`^cachee bench: 127\\.0\\.0\\.1:${under.redis.port} is not a cachee proxy, or not this version: INFO cachee returned no fields\\n$`));

    const embedded = await startEmbeddedProxy();
    try {
      const deps = fakeDeps();
      assert.equal(await runCli(['bench', '--upstream', under.redis.url, '--proxy', `127.0.0.1:${embedded.port}`], deps), 1);
      assertOneLine(deps.stderrText(), /^cachee bench: the proxy on 127\.0\.0\.1:\d+ serves its embedded store, not an upstream: start it with --upstream redis:/);
    } finally {
      await embedded.stop();
    }

    const small = await startProxyOverRedis({ l1Memory: 512 * 1024 });
    try {
      const deps = fakeDeps();
      assert.equal(await runCli(['bench', '--upstream', small.redis.url, '--proxy', `127.0.0.1:${small.port}`, '--sizes', '64b,1mb'], deps), 1);
      assertOneLine(deps.stderrText(), /^cachee bench: the proxy's L1 holds 512 KB in all, too little for a 1 MB value: leave that size out \(--sizes\) or give the proxy more --l1-memory\n$/);
    } finally {
      await small.stop();
    }

    const picky = await startProxyOverRedis({ l1Keys: ['user:*'] });
    try {
      const deps = fakeDeps();
      assert.equal(await runCli(['bench', '--upstream', picky.redis.url, '--proxy', `127.0.0.1:${picky.port}`, '--sizes', '64b'], deps), 1);
      assertOneLine(deps.stderrText(), /^cachee bench: GET cachee:bench:64b through the proxy on 127\.0\.0\.1:\d+ was no L1 hit in 20 reads \(invalidation: tracking; is the key outside its --l1-keys\?\)\n$/);
      const pickyRedis = await RawClient.connect(picky.redis.port);
      assert.equal((await pickyRedis.call('EXISTS', 'cachee:bench:64b')).toString(), ':0\r\n', 'removed after the error');
      pickyRedis.close();
    } finally {
      await picky.stop();
    }
    assert.deepEqual(await allKeys(direct), Object.keys(FOREIGN).sort());
  });
});

describe('cachee bench with no proxy at the configured address', () => {
  it('starts one in this process, says so in one line, and closes it at the end', async () => {
    const under = await startProxyOverRedis(); // only its Redis is used
    const { dir, cleanup } = tempDir();
    try {
      const configured = await closedPort();
      const deps = fakeDeps({ cwd: dir, env: { CACHEE_UPSTREAM: under.redis.url, CACHEE_PORT: String(configured) } });
      assert.equal(await runCli(['bench', '--sizes', '64b,10kb', '--requests', '10'], deps), 0, deps.stderrText());
      const notice = deps.stderrText().split('\n')[0];
      const match = new RegExp(`^cachee bench: no proxy answering on 127\\.0\\.0\\.1:${configured}; started one in this process on 127\\.0\\.0\\.1:(\\d+) \\(`).exec(notice);
      assert.ok(match, notice);
      const report = JSON.parse(readFileSync(path.join(dir, 'cachee-bench.json'), 'utf8'));
      assert.equal(report.setup.proxyInProcess, true);
      assert.equal(report.setup.proxy, `127.0.0.1:${match[1]}`);
      assert.equal(report.setup.upstream, under.redis.url);
      assert.deepEqual(report.sizes.map((s: { proxy: { notFromL1: number } }) => s.proxy.notFromL1), [0, 0]);
      await assert.rejects(RawClient.connect(Number(match[1])), 'the proxy it started is closed');
    } finally {
      cleanup();
      await under.stop();
    }
  });
});

describe('cachee bench against a password-protected Redis', () => {
  it('connects with the URL and never shows the password', async () => {
    const redis = await startRedis(['--requirepass', 's3cret']);
    const upstream = `redis://:s3cret@127.0.0.1:${redis.port}`;
    const log: string[] = [];
    const proxy = await startProxy({ ...DEFAULT_PROXY_CONFIG, port: 0, adminPort: 0, upstream }, (line) => log.push(line));
    const { dir, cleanup } = tempDir();
    try {
      await waitFor(() => log.some((line) => line.startsWith('invalidation: ')), 5000, 'tracking');
      const deps = fakeDeps({ cwd: dir, env: { CACHEE_UPSTREAM: upstream, CACHEE_PORT: String(proxy.port) } });
      assert.equal(await runCli(['bench', '--sizes', '64b', '--requests', '5'], deps), 0, deps.stderrText());
      const json = readFileSync(path.join(dir, 'cachee-bench.json'), 'utf8');
      assert.equal(JSON.parse(json).setup.upstream, `redis://:***@127.0.0.1:${redis.port}`);
      for (const text of [json, deps.stdoutText(), deps.stderrText()]) assert.doesNotMatch(text, /s3cret/);
    } finally {
      cleanup();
      await proxy.close();
      await redis.stop();
    }
  });
});

describe('cachee bench, bad input', () => {
  it('says what is wrong in one line, with a non-zero exit', async () => {
    const upstream = `redis://127.0.0.1:${await closedPort()}`;
    const cases: [args: string[], code: number, line: RegExp][] = [
      [[], 2, /^cachee bench: no upstream to compare against: give --upstream redis:\/\/host:port \(or set CACHEE_UPSTREAM, or upstream in cachee\.json\)\n$/],
      [['--upstream', upstream, '--sizes', '64b,3xb'], 2, /^error: --sizes: "3xb" is not a size \(use b, kb, mb, gb\)\n$/],
      [['--upstream', upstream, '--sizes', '0'], 2, /^error: --sizes: a value must have at least 1 byte \(got "0"\)\n$/],
      [['--upstream', upstream, '--sizes', '1gb'], 2, /^error: --sizes: "1gb" is more than the 512mb Redis stores in one value\n$/],
      [['--upstream', upstream, '--requests', '0'], 2, /^error: --requests: must be a whole number, at least 1 \(got "0"\)\n$/],
      [['--upstream', upstream, '--requests', 'many'], 2, /^error: --requests: must be a whole number, at least 1 \(got "many"\)\n$/],
      [['--upstream', upstream, '--prefix', 'user:'], 2, /^error: --prefix: must start with cachee:bench: so the bench cannot touch other keys \(got "user:"\)\n$/],
      [['--upstream', upstream, '--proxy', 'localhost'], 2, /^error: --proxy: give host:port or redis:\/\/host:port \(got "localhost"\)\n$/],
      [['--upstream', 'http://example'], 2, /^error: --upstream: must use redis:\/\/ or rediss:\/\/, not http:\/\/ \(got "http:\/\/example"\)\n$/],
      [['--upstream', upstream], 1, new RegExp(`^cachee bench: cannot reach the upstream ${upstream} \\(connection refused\\)\\n$`)],
    ];
    for (const [args, code, line] of cases) {
      const deps = fakeDeps();
      assert.equal(await runCli(['bench', ...args], deps), code, args.join(' '));
      assertOneLine(deps.stderrText(), line);
      assert.equal(deps.stdoutText(), '');
    }
  });

  it('checks the prefix, the proxy address and the sizes', () => {
    assert.equal(checkPrefix('cachee:bench:ci:'), 'cachee:bench:ci:');
    assert.throws(() => checkPrefix('cachee:bench'), CliError);
    assert.deepEqual(parseProxyAddress('[::1]:6380'), { url: 'redis://[::1]:6380', display: '[::1]:6380' });
    assert.deepEqual(parseProxyAddress('redis://:secret@proxy:7000'), { url: 'redis://:secret@proxy:7000', display: 'proxy:7000' });
    assert.throws(() => parseProxyAddress('proxy:99999'), CliError);
    assert.throws(() => parseProxyAddress('redis://proxy:7000/1'), CliError);
    assert.deepEqual(parseSizes('1kb, 64b,1024,1mb'), [
      { bytes: 64, label: '64b' },
      { bytes: 1024, label: '1kb' },
      { bytes: 1024 ** 2, label: '1mb' },
    ]);
    assert.deepEqual(['0.0312', '52.1', '100', '1235'], [0.03123, 52.14, 99.99, 1234.6].map(formatFigure));
  });
});

describe('cachee bench through the bin', () => {
  it('runs, writes its files, and fails bad input in one line', async () => {
    const under = await startProxyOverRedis();
    const { dir, cleanup } = tempDir();
    try {
      const result = await runBin(['bench', '--upstream', under.redis.url, '--proxy', `127.0.0.1:${under.port}`, '--sizes', '64b,512b', '--requests', '5'], { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.trimEnd().split('\n').slice(2).map((row) => row.split(/\s+/).slice(0, 2).join(' ')), ['64 B', '512 B']);
      assert.ok(existsSync(path.join(dir, 'cachee-bench.json')) && existsSync(path.join(dir, 'cachee-bench.svg')));

      const bad = await runBin(['bench', '--sizes', '64q'], { cwd: dir, env: { CACHEE_UPSTREAM: under.redis.url } });
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr, 'error: --sizes: "64q" is not a size (use b, kb, mb, gb)\n');
      assert.equal(bad.stdout, '');
    } finally {
      cleanup();
      await under.stop();
    }
  });
});
