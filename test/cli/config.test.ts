import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_PROXY_CONFIG } from '../../src/proxy/config.js';
import { CliError } from '../../src/cli/errors.js';
import { redactUrl, resolveConfig, type ConfigFile } from '../../src/cli/config.js';
import { runCli } from '../../src/cli/index.js';
import { fakeDeps, tempDir } from './helpers.js';

function file(data: Record<string, unknown>): ConfigFile {
  return { path: '/x/cachee.json', display: 'cachee.json', data };
}

/** The lines of the CliError `fn` throws. */
function errorLines(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliError, String(err));
    assert.equal(err.exitCode, 2);
    return err.lines;
  }
  assert.fail('expected a CliError');
}

describe('resolveConfig precedence: flag > env > file > default', () => {
  it('uses the defaults with nothing given', () => {
    const { config, sources } = resolveConfig({});
    assert.deepEqual(config, DEFAULT_PROXY_CONFIG);
    assert.deepEqual(sources.port, { kind: 'default' });
  });

  it('takes each field from the highest layer that has it', () => {
    const { config, sources } = resolveConfig({
      flags: { port: '7001' },
      env: { CACHEE_PORT: '7002', CACHEE_L1_MEMORY: '2mb', CACHEE_HOST: '' /* empty: unset */ },
      file: file({ port: 7003, l1Memory: '3mb', l1Ttl: '5s', host: '10.0.0.1' }),
    });
    assert.equal(config.port, 7001);
    assert.equal(config.l1Memory, 2 * 1024 ** 2);
    assert.equal(config.l1Ttl, 5000);
    assert.equal(config.host, '10.0.0.1');
    assert.equal(config.workers, DEFAULT_PROXY_CONFIG.workers);
    assert.deepEqual(sources.port, { kind: 'flag', flag: '--port' });
    assert.deepEqual(sources.l1Memory, { kind: 'env', name: 'CACHEE_L1_MEMORY' });
    assert.deepEqual(sources.l1Ttl, { kind: 'file', file: 'cachee.json', field: 'l1Ttl' });
    assert.deepEqual(sources.workers, { kind: 'default' });
  });

  it('reads every setting from the environment', () => {
    const { config } = resolveConfig({
      env: {
        CACHEE_UPSTREAM: 'rediss://user:pw@cache.internal:6380/2',
        CACHEE_HOST: '0.0.0.0',
        CACHEE_PORT: '6390',
        CACHEE_L1_MEMORY: '1gb',
        CACHEE_L1_TTL: '1m',
        CACHEE_L1_KEYS: 'session:*, auth:*',
        CACHEE_L1_REQUIRE_FRESH: 'yes',
        CACHEE_UPSTREAM_TIMEOUT: '500ms',
        CACHEE_MAX_CLIENTS: '100',
        CACHEE_MAX_BULK_LENGTH: '1mb',
        CACHEE_MAX_QUERY_BUFFER: '2mb',
        CACHEE_WORKERS: '4',
        CACHEE_ADMIN_PORT: '7000',
      },
    });
    assert.deepEqual(config, {
      upstream: 'rediss://user:pw@cache.internal:6380/2',
      host: '0.0.0.0',
      port: 6390,
      l1Memory: 1024 ** 3,
      l1Ttl: 60_000,
      l1Keys: ['session:*', 'auth:*'],
      requireFresh: true,
      upstreamTimeout: 500,
      maxClients: 100,
      maxBulkLength: 1024 ** 2,
      maxQueryBuffer: 2 * 1024 ** 2,
      workers: 4,
      adminPort: 7000,
    });
  });

  it('lets --no-upstream and --no-l1-require-fresh override the file', () => {
    const { config } = resolveConfig({
      flags: { upstream: false, requireFresh: false },
      file: file({ upstream: 'redis://h:6379', requireFresh: true }),
    });
    assert.equal(config.upstream, undefined);
    assert.equal(config.requireFresh, false);
  });

  it('reads null upstream and a * key list in the file as none and every key', () => {
    const { config } = resolveConfig({ file: file({ upstream: null, l1Keys: ['*'] }) });
    assert.equal(config.upstream, undefined);
    assert.equal(config.l1Keys, undefined);
    const keys = resolveConfig({ flags: { l1Keys: ['a:*,b:*', 'c:*'] }, file: file({ upstream: 'redis://h:6379', l1Keys: ['x,y'] }) });
    assert.deepEqual(keys.config.l1Keys, ['a:*', 'b:*', 'c:*']);
    assert.deepEqual(resolveConfig({ file: file({ upstream: 'redis://h:6379', l1Keys: ['x,y'] }) }).config.l1Keys, ['x,y']);
  });

  it('refuses --workers and --l1-keys without an upstream, naming where they came from', () => {
    assert.deepEqual(errorLines(() => resolveConfig({ flags: { workers: '2' }, env: { CACHEE_L1_KEYS: 'a:*' } })), [
      'error: --workers: must be 1 without an upstream: workers cannot share one embedded store, so each would serve different data (got "2")',
      'error: CACHEE_L1_KEYS: needs an upstream: it limits which keys L1 copies from Redis, and the embedded store holds every key written to it (got "a:*")',
    ]);
    assert.deepEqual(errorLines(() => resolveConfig({ flags: { upstream: false }, file: file({ upstream: 'redis://h:6379', workers: 3 }) })), [
      'error: cachee.json: workers: must be 1 without an upstream: workers cannot share one embedded store, so each would serve different data (got 3)',
    ]);
    assert.equal(resolveConfig({ flags: { workers: '2', upstream: 'redis://h:6379' } }).config.workers, 2);
    assert.equal(resolveConfig({ flags: { workers: '1' } }).config.workers, 1);
  });
});

describe('resolveConfig errors name the flag, the variable or the field', () => {
  it('names the flag, the variable and the file field of a bad value, every one of them', () => {
    const lines = errorLines(() =>
      resolveConfig({
        flags: { l1Memory: '12xb' },
        env: { CACHEE_L1_TTL: '30x', CACHEE_L1_REQUIRE_FRESH: 'maybe' },
        file: file({ workers: 'two', maxBulkLength: true }),
      }),
    );
    assert.deepEqual(lines, [
      'error: --l1-memory: "12xb" is not a size (use b, kb, mb, gb)',
      'error: CACHEE_L1_TTL: "30x" is not a duration (use ms, s, m, h)',
      'error: CACHEE_L1_REQUIRE_FRESH: "maybe" is not a boolean (use true or false)',
      'error: cachee.json: maxBulkLength: must be a size like "512mb", or a number of bytes',
      'error: cachee.json: workers: "two" is not a whole number',
    ]);
  });

  it('reports a bad file value even when a flag overrides it', () => {
    assert.deepEqual(
      errorLines(() => resolveConfig({ flags: { l1Ttl: '1s' }, file: file({ l1Ttl: '1 minute' }) })),
      ['error: cachee.json: l1Ttl: "1 minute" is not a duration (use ms, s, m, h)'],
    );
  });

  it('validates ranges with zod and names where the value came from', () => {
    assert.deepEqual(errorLines(() => resolveConfig({ flags: { port: '70000' } })), [
      'error: --port: must be between 1 and 65535 (got "70000")',
    ]);
    assert.deepEqual(errorLines(() => resolveConfig({ env: { CACHEE_PORT: '0' } })), [
      'error: CACHEE_PORT: must be between 1 and 65535 (got "0")',
    ]);
    assert.deepEqual(errorLines(() => resolveConfig({ file: file({ port: 123456, workers: 0, l1Memory: 0 }) })), [
      'error: cachee.json: port: must be between 1 and 65535 (got 123456)',
      'error: cachee.json: l1Memory: must be more than 0 bytes (got 0)',
      'error: cachee.json: workers: must be between 1 and 1024 (got 0)',
    ]);
    assert.deepEqual(errorLines(() => resolveConfig({ flags: { upstreamTimeout: '0s', maxClients: '0' } })), [
      'error: --upstream-timeout: must be at least 1ms (got "0s")',
      'error: --max-clients: must be at least 1 (got "0")',
    ]);
  });

  it('reads --admin-port as a port, 0 for any free one, or off for none, and checks it', () => {
    assert.equal(resolveConfig({}).config.adminPort, 6381);
    assert.equal(resolveConfig({ flags: { adminPort: '0' } }).config.adminPort, 0);
    assert.equal(resolveConfig({ flags: { adminPort: '9100' }, env: { CACHEE_ADMIN_PORT: '9200' } }).config.adminPort, 9100);
    assert.equal(resolveConfig({ env: { CACHEE_ADMIN_PORT: 'OFF' } }).config.adminPort, undefined);
    assert.equal(resolveConfig({ file: file({ adminPort: 'off' }) }).config.adminPort, undefined);
    assert.equal(resolveConfig({ file: file({ adminPort: 9300 }) }).config.adminPort, 9300);
    assert.equal(resolveConfig({ flags: { adminPort: 'off' }, file: file({ adminPort: 9300 }) }).config.adminPort, undefined, 'the flag wins');
    assert.deepEqual(errorLines(() => resolveConfig({ flags: { adminPort: 'none' } })), ['error: --admin-port: "none" is not a port number or off']);
    assert.deepEqual(errorLines(() => resolveConfig({ env: { CACHEE_ADMIN_PORT: '70000' } })), [
      'error: CACHEE_ADMIN_PORT: must be between 0 and 65535 (0: any free port), or off (got "70000")',
    ]);
    assert.deepEqual(errorLines(() => resolveConfig({ file: file({ adminPort: true }) })), ['error: cachee.json: adminPort: true is not a port number or off']);
    assert.deepEqual(errorLines(() => resolveConfig({ flags: { port: '7000', adminPort: '7000' } })), [
      "error: --admin-port: must differ from the proxy's port (7000) (got \"7000\")",
    ]);
  });

  it('checks the upstream URL, hiding its password', () => {
    const bad: [string, string][] = [
      ['localhost:6379', 'must be a redis:// or rediss:// URL (try redis://localhost:6379) (got "localhost:6379")'],
      ['http://u:secret@h:80', 'must use redis:// or rediss://, not http:// (got "http://u:***@h:80")'],
      ['redis://:6379', 'is not a valid URL (expected redis://[user:pass@]host[:port][/db]) (got "redis://:6379")'],
      ['redis://h:99999', 'is not a valid URL (expected redis://[user:pass@]host[:port][/db]) (got "redis://h:99999")'],
      ['redis://h:6379/db1', 'database must be a number (redis://host:6379/0) (got "redis://h:6379/db1")'],
    ];
    for (const [url, message] of bad) {
      assert.deepEqual(errorLines(() => resolveConfig({ flags: { upstream: url } })), [`error: --upstream: ${message}`], url);
    }
    for (const url of ['redis://h', 'redis://h:6379', 'rediss://u:p@h:6380/3', 'redis://[::1]:6379', 'redis://h:6379/']) {
      assert.equal(resolveConfig({ flags: { upstream: url } }).config.upstream, url);
    }
  });

  it('takes the proxy\'s password from a flag, CACHEE_REQUIREPASS or the file, and never echoes it', () => {
    assert.equal(resolveConfig({ flags: { requirepass: 'p1' } }).config.requirepass, 'p1');
    assert.equal(resolveConfig({ env: { CACHEE_REQUIREPASS: 'p2' } }).config.requirepass, 'p2');
    assert.equal(resolveConfig({ file: file({ requirepass: 'p3' }) }).config.requirepass, 'p3');
    assert.equal(resolveConfig({}).config.requirepass, undefined);
    assert.deepEqual(errorLines(() => resolveConfig({ flags: { requirepass: '  ' } })), ['error: --requirepass: must not be empty']);
    assert.deepEqual(errorLines(() => resolveConfig({ file: file({ requirepass: 12345 }) })), ['error: cachee.json: requirepass: must be a string']);
  });

  it('rejects unknown file fields, suggesting the right one', () => {
    assert.deepEqual(errorLines(() => resolveConfig({ file: file({ l1_memory: '1gb', 'l1-ttl': '1s', colour: 'red' }) })), [
      'error: cachee.json: unknown field "l1_memory" (did you mean "l1Memory"?)',
      'error: cachee.json: unknown field "l1-ttl" (did you mean "l1Ttl"?)',
      'error: cachee.json: unknown field "colour"',
    ]);
  });

  it('redacts passwords', () => {
    assert.equal(redactUrl('redis://user:pw@h:1'), 'redis://user:***@h:1');
    assert.equal(redactUrl('redis://:pw@h'), 'redis://:***@h');
    assert.equal(redactUrl('redis://token@h'), 'redis://***@h');
    assert.equal(redactUrl('redis://h:6379'), 'redis://h:6379');
  });
});

describe('cachee (bad values on the command line)', () => {
  it('prints one line naming the flag, exit 2, no stack trace', async () => {
    const deps = fakeDeps({ startProxy: async () => assert.fail('must not start') });
    assert.equal(await runCli(['start', '--l1-memory', '12xb'], deps), 2);
    assert.equal(deps.stderrText(), 'error: --l1-memory: "12xb" is not a size (use b, kb, mb, gb)\n');
    assert.equal(deps.stdoutText(), '');
  });

  it('names the variable', async () => {
    const deps = fakeDeps({ env: { CACHEE_WORKERS: '-3' }, startProxy: async () => assert.fail('must not start') });
    assert.equal(await runCli(['start'], deps), 2);
    assert.equal(deps.stderrText(), 'error: CACHEE_WORKERS: "-3" is not a whole number\n');
  });

  it('names the file and field, and reports broken JSON in one line', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const deps = fakeDeps({ cwd: dir, startProxy: async () => assert.fail('must not start') });
      writeFileSync(path.join(dir, 'cachee.json'), '{"l1Ttl": "forever"}');
      assert.equal(await runCli(['start'], deps), 2);
      assert.equal(deps.stderrText(), 'error: cachee.json: l1Ttl: "forever" is not a duration (use ms, s, m, h)\n');

      deps.err.length = 0;
      writeFileSync(path.join(dir, 'cachee.json'), '{"port": 6380,');
      assert.equal(await runCli(['start'], deps), 2);
      assert.match(deps.stderrText(), /^error: cachee\.json: not valid JSON \(.+\)\n$/);

      deps.err.length = 0;
      assert.equal(await runCli(['start', '--config', 'missing.json'], deps), 2);
      assert.equal(deps.stderrText(), 'error: --config: missing.json: no such file\n');
    } finally {
      cleanup();
    }
  });

  it('leaves unknown options and usage to commander, exit 2', async () => {
    const deps = fakeDeps();
    assert.equal(await runCli(['start', '--colour', 'red'], deps), 2);
    assert.match(deps.stderrText(), /^error: unknown option '--colour'/);
    const help = fakeDeps();
    assert.equal(await runCli(['--help'], help), 0);
    assert.match(help.stdoutText(), /Usage: cachee/);
  });
});
