/**
 * The real `cachee start`, as a process of its own (src/cli/main.ts, the source of the bin, run
 * by node with tsx): with no upstream it serves the embedded store; with an upstream and
 * `--workers 2` it runs two worker processes that both serve and are both invalidated. `cachee
 * status` reads it, and SIGTERM ends it with exit code 0.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { RawClient, infoField, waitFor } from '../support/proxy.js';
import { adminGet, scrape } from '../support/prometheus.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';
import { tempDir } from './helpers.js';
import { MALLOC_ENV } from '../../src/proxy/malloc-tuning.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'src/cli/main.ts');
const TSX = import.meta.resolve('tsx');

interface CliProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

/**
 * Runs `cachee ...args` in `cwd`; its stdout and stderr lines collect in `lines`. `detached`: in
 * a process group of its own, which `process.kill(-pid)` signals as a whole.
 */
function runCachee(args: string[], cwd: string, options: { env?: NodeJS.ProcessEnv; detached?: boolean } = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const parts = (rest + text).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

/** Waits for a line matching `pattern`, failing with what the process printed so far. */
async function lineMatching(cli: CliProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  await waitFor(() => cli.lines.some((line) => pattern.test(line)) || cli.child.exitCode !== null, timeoutMs, `${pattern}`).catch((error: Error) => {
    throw new Error(`${error.message}; output:\n${cli.lines.join('\n')}`);
  });
  const line = cli.lines.find((l) => pattern.test(l));
  assert.ok(line, `exited before ${pattern}; output:\n${cli.lines.join('\n')}`);
  return line;
}

const s = (b: Buffer) => b.toString('latin1');

const glibc = typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime === 'string';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The primary hands connections to the workers in turn: connects until each of `workers` has
 * one (all connections made go to `opened`, to be closed); the first client of each, by pid.
 */
async function clientOnEachWorker(port: number, workers: number, opened: RawClient[]): Promise<Map<string, RawClient>> {
  const byWorker = new Map<string, RawClient>();
  for (let attempt = 0; attempt < 20 && byWorker.size < workers; attempt++) {
    const client = await RawClient.connect(port);
    opened.push(client);
    const pid = infoField(await client.call('INFO', 'cachee'), 'process_id')!;
    if (!byWorker.has(pid)) byWorker.set(pid, client);
  }
  assert.equal(byWorker.size, workers, `${workers} worker processes answer`);
  return byWorker;
}

describe('cachee start, no upstream: the embedded store', () => {
  it('serves, reports through cachee status, and exits 0 on SIGTERM', async () => {
    const { dir, cleanup } = tempDir();
    const port = await freePort();
    const cli = runCachee(['start', '--port', String(port), '--admin-port', '0', '--l1-memory', '8mb'], dir);
    try {
      await lineMatching(cli, new RegExp(`listening on 127\\.0\\.0\\.1:${port}, dashboard on http://127\\.0\\.0\\.1:\\d+/ \\(metrics at /metrics\\), no upstream: serving from the embedded store \\(8 MB`));
      const client = await RawClient.connect(port);
      assert.equal(s(await client.call('SET', 'greeting', 'hello')), '+OK\r\n');
      assert.equal(s(await client.call('GET', 'greeting')), '$5\r\nhello\r\n');
      assert.equal(s(await client.call('GET', 'greeting')), '$5\r\nhello\r\n');
      assert.equal(s(await client.call('GET', 'nobody')), '$-1\r\n');
      assert.match(s(await client.call('LPUSH', 'list', 'x')), /^-ERR unknown command 'LPUSH'/);

      const status = runCachee(['status', '--port', String(port)], dir);
      assert.equal(await status.exited, 0, status.lines.join('\n'));
      const report = status.lines.join('\n');
      assert.match(report, /^L1 hit rate: +66\.7%$/m);
      assert.match(report, /^L1 entries: +1$/m);
      // One small entry beside the structures, which count too (the sketch: 512 KiB at 8 MB).
      assert.match(report, /^L1 memory: +1 MB \/ 8 MB$/m);
      assert.match(report, /^L1 evictions\/sec: +0$/m);
      assert.match(report, /^L1 avg latency: +\d/m);
      assert.match(report, /^L2 fallback rate: +n\/a \(no upstream\)$/m);
      assert.match(report, /^Upstream: +none \(embedded store\)$/m);
      client.close();

      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.ok(cli.lines.some((line) => line.endsWith('SIGTERM: shutting down')));
      assert.ok(cli.lines.at(-1)?.endsWith(' stopped'), cli.lines.join('\n'));
    } finally {
      cli.child.kill('SIGKILL');
      cleanup();
    }
  });

  it('started without glibc\'s threshold fixed, serves from a child that has it; a SIGTERM to the launcher or to its whole group ends both with 0', { skip: !glibc }, async () => {
    const env = { ...process.env };
    for (const name of Object.keys(MALLOC_ENV)) delete env[name];
    const { dir, cleanup } = tempDir();
    try {
      for (const target of ['launcher', 'group'] as const) {
        const port = await freePort();
        const cli = runCachee(['start', '--port', String(port), '--admin-port', 'off'], dir, { env, detached: true });
        try {
          await lineMatching(cli, /listening on/);
          const client = await RawClient.connect(port);
          const pid = Number(infoField(await client.call('INFO', 'cachee'), 'process_id'));
          client.close();
          assert.notEqual(pid, cli.child.pid, 'the launcher serves nothing');
          assert.ok(readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes('MALLOC_MMAP_THRESHOLD_=131072'));
          assert.ok(!cli.lines.some((line) => /MALLOC_MMAP_THRESHOLD_ is not set/.test(line)), cli.lines.join('\n'));

          process.kill(target === 'group' ? -cli.child.pid! : cli.child.pid!, 'SIGTERM');
          assert.equal(await cli.exited, 0, cli.lines.join('\n'));
          assert.ok(!cli.lines.some((line) => /again/.test(line)), cli.lines.join('\n'));
          assert.ok(cli.lines.at(-1)?.endsWith(' stopped'), cli.lines.join('\n'));
          await waitFor(() => !isAlive(pid), 5000, `proxy process ${pid} to end`);
        } finally {
          if (cli.child.exitCode === null) process.kill(-cli.child.pid!, 'SIGKILL');
        }
      }
    } finally {
      cleanup();
    }
  });

  it('refuses --workers 2, naming the flag, exit 2', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const cli = runCachee(['start', '--workers', '2', '--port', String(await freePort()), '--admin-port', '0'], dir);
      assert.equal(await cli.exited, 2);
      assert.deepEqual(cli.lines, ['error: --workers: must be 1 without an upstream: workers cannot share one embedded store, so each would serve different data (got "2")']);
    } finally {
      cleanup();
    }
  });
});

describe('cachee start --workers 2, in front of Redis', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('runs two workers that both serve from L1 and are both invalidated, replaces one that dies; SIGTERM stops them, exit 0', async () => {
    const { dir, cleanup } = tempDir();
    const port = await freePort();
    const cli = runCachee(['start', '--upstream', redis.url, '--workers', '2', '--port', String(port), '--admin-port', '0'], dir);
    const clients: RawClient[] = [];
    const direct = await RawClient.connect(redis.port);
    try {
      await lineMatching(cli, /listening on .*, 2 workers\)$/);
      await lineMatching(cli, /worker 1: invalidation: tracking/);
      await lineMatching(cli, /worker 2: invalidation: tracking/);

      const byWorker = await clientOnEachWorker(port, 2, clients);
      assert.ok(![...byWorker.keys()].includes(String(cli.child.pid)), 'the primary serves no client');
      if (process.platform === 'linux' && process.env.MALLOC_MMAP_THRESHOLD_ === undefined) {
        for (const pid of byWorker.keys()) {
          const environment = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
          assert.ok(environment.includes('MALLOC_MMAP_THRESHOLD_=131072'), `worker ${pid} starts with glibc's threshold fixed`);
        }
      }

      await direct.call('SET', 'shared', 'old');
      for (const client of byWorker.values()) {
        assert.equal(s(await client.call('GET', 'shared')), '$3\r\nold\r\n');
        const hitsBefore = Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits'));
        assert.equal(s(await client.call('GET', 'shared')), '$3\r\nold\r\n');
        assert.equal(Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits')), hitsBefore + 1, 'the second read is an L1 hit');
      }
      await direct.call('SET', 'shared', 'new');
      for (const [pid, client] of byWorker) {
        await waitFor(async () => s(await client.call('GET', 'shared')) === '$3\r\nnew\r\n', 5000, `worker ${pid} to drop its copy`);
      }

      // A worker that dies is replaced; the other goes on serving meanwhile.
      const [[deadPid], [, liveClient]] = [...byWorker];
      const trackingLines = () => cli.lines.filter((line) => /worker \d: invalidation: tracking/.test(line)).length;
      process.kill(Number(deadPid), 'SIGKILL');
      await lineMatching(cli, /worker \d: exited with signal SIGKILL; starting a replacement$/);
      assert.equal(s(await liveClient.call('GET', 'shared')), '$3\r\nnew\r\n');
      await waitFor(() => trackingLines() === 3, 20_000, 'the replacement to track invalidations');
      const replacementPid = /pid (\d+) starting/.exec(cli.lines.filter((line) => /pid \d+ starting/.test(line))[2])?.[1];
      assert.ok(replacementPid !== undefined && replacementPid !== deadPid, cli.lines.join('\n'));

      for (const client of clients) client.close();
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0, cli.lines.join('\n'));
      assert.ok(cli.lines.some((line) => line.endsWith('worker 1: stopped')), cli.lines.join('\n'));
      assert.ok(cli.lines.some((line) => line.endsWith('worker 2: stopped')), cli.lines.join('\n'));
      for (const pid of [...byWorker.keys(), replacementPid]) assert.throws(() => process.kill(Number(pid), 0), /ESRCH/, `worker ${pid} is gone`);
    } finally {
      for (const client of clients) client.close();
      direct.close();
      cli.child.kill('SIGKILL');
      cleanup();
    }
  });

  it('the primary\'s admin port sums the workers\' counters in /metrics and merges their hot keys', async () => {
    const { dir, cleanup } = tempDir();
    const port = await freePort();
    const cli = runCachee(['start', '--upstream', redis.url, '--workers', '2', '--port', String(port), '--admin-port', '0'], dir);
    const clients: RawClient[] = [];
    try {
      const listening = await lineMatching(cli, /listening on .*, 2 workers\)$/);
      const admin = { host: '127.0.0.1', port: Number(/dashboard on http:\/\/127\.0\.0\.1:(\d+)\//.exec(listening)?.[1]) };
      assert.ok(admin.port > 0, listening);
      await lineMatching(cli, /worker 1: invalidation: tracking/);
      await lineMatching(cli, /worker 2: invalidation: tracking/);

      const byWorker = await clientOnEachWorker(port, 2, clients);
      // Read each worker's own key until that worker answers from L1 (its first read fills L1,
      // unless Redis's report of the SET lands after it and drops the copy).
      let gets = 0;
      for (const [pid, client] of byWorker) {
        await client.call('SET', `key-${pid}`, 'v');
        await waitFor(async () => {
          gets++;
          await client.call('GET', `key-${pid}`);
          return Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits')) > 0;
        }, 5000, `worker ${pid} to hit`);
        await client.call('SET', 'replay', 'x');
      }
      const infos = await Promise.all([...byWorker.values()].map((client) => client.call('INFO', 'cachee')));
      const sum = (field: string) => infos.reduce((total, info) => total + Number(infoField(info, field)), 0);
      const metrics = await scrape(admin);
      assert.equal(metrics.value('cachee_l1_hits_total'), sum('l1_hits'));
      assert.ok(infos.every((info) => Number(infoField(info, 'l1_hits')) > 0), 'both workers hit');
      assert.equal(metrics.value('cachee_l1_misses_total'), sum('l1_misses'));
      assert.equal(metrics.value('cachee_l2_requests_total'), sum('l2_requests'));
      assert.equal(metrics.value('cachee_l1_entries'), sum('l1_entries'));
      assert.equal(metrics.value('cachee_l1_max_bytes'), sum('l1_max_bytes'));
      assert.equal(metrics.value('cachee_connected_clients'), clients.length);
      assert.equal(metrics.value('cachee_commands_total', { command: 'get' }), gets);
      assert.equal(metrics.value('cachee_upstream_up'), 1);
      assert.equal(metrics.value('cachee_upstream_state', { state: 'connected' }), 1);
      assert.equal(metrics.value('cachee_invalidation_state', { state: 'tracking' }), 1);
      // The summaries come from the workers' histograms, merged.
      assert.equal(metrics.value('cachee_l2_latency_seconds_count'), sum('l2_requests'));
      assert.equal(metrics.value('cachee_l1_latency_seconds_count'), 2, 'each worker timed its first hit');
      assert.ok(metrics.value('cachee_l2_latency_seconds', { quantile: '0.99' }) > 0);
      assert.equal(metrics.family('process_cpu_user_seconds_total').type, 'counter', "the workers' process metrics");

      const { keys } = JSON.parse((await adminGet(admin, '/api/hot-keys?limit=10')).text) as { keys: { key: string }[] };
      for (const pid of byWorker.keys()) assert.ok(keys.some((k) => k.key === `key-${pid}`), `worker ${pid}'s key: ${JSON.stringify(keys)}`);
      assert.equal((await adminGet(admin, '/healthz')).status, 200);

      for (const client of clients) client.close();
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0, cli.lines.join('\n'));
      await assert.rejects(adminGet(admin, '/healthz'), 'the admin server closed with the proxy');
    } finally {
      for (const client of clients) client.close();
      cli.child.kill('SIGKILL');
      cleanup();
    }
  });
});

describe('cachee start in front of Redis over TLS', () => {
  const TLS = path.join(ROOT, 'test/fixtures/tls');
  let redis: RedisServer;
  let tlsPort: number;
  before(async () => {
    tlsPort = await freePort();
    redis = await startRedis([
      '--requirepass', 's3cret',
      '--tls-port', String(tlsPort),
      '--tls-cert-file', path.join(TLS, 'server.pem'),
      '--tls-key-file', path.join(TLS, 'server.key'),
      '--tls-ca-cert-file', path.join(TLS, 'ca.pem'),
      '--tls-auth-clients', 'no',
    ]);
  });
  after(async () => {
    await redis?.stop();
  });

  it('reaches rediss:// with the URL\'s password and a CA from NODE_EXTRA_CA_CERTS, serves from L1 and is invalidated over TLS', async () => {
    const { dir, cleanup } = tempDir();
    const port = await freePort();
    const env = { ...process.env, ...MALLOC_ENV, NODE_EXTRA_CA_CERTS: path.join(TLS, 'ca.pem') };
    const cli = runCachee(['start', '--upstream', `rediss://default:s3cret@localhost:${tlsPort}`, '--port', String(port), '--admin-port', 'off'], dir, { env });
    // The plain port, for writes the proxy does not see.
    const direct = await RawClient.connect(redis.port);
    try {
      await lineMatching(cli, /invalidation: tracking/);
      assert.ok(cli.lines.some((line) => line.includes(`upstream rediss://default:***@localhost:${tlsPort}`)), cli.lines.join('\n'));
      assert.equal(s(await direct.call('AUTH', 's3cret')), '+OK\r\n');
      const client = await RawClient.connect(port);
      // The URL's password is the proxy's own: a client authenticates as it would with Redis.
      assert.equal(s(await client.call('GET', 'secure')), '-NOAUTH Authentication required.\r\n');
      assert.equal(s(await client.call('AUTH', 's3cret')), '+OK\r\n');
      assert.equal(s(await client.call('SET', 'secure', 'one')), '+OK\r\n');
      assert.equal(s(await client.call('GET', 'secure')), '$3\r\none\r\n');
      const hits = Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits'));
      assert.equal(s(await client.call('GET', 'secure')), '$3\r\none\r\n');
      assert.equal(Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits')), hits + 1, 'the second read is an L1 hit');
      await direct.call('SET', 'secure', 'two');
      await waitFor(async () => s(await client.call('GET', 'secure')) === '$3\r\ntwo\r\n', 5000, 'the tracking connection to report the write');
      client.close();
    } finally {
      direct.close();
      cli.child.kill('SIGTERM');
      await cli.exited;
      cleanup();
    }
  });
});

describe('the bin', () => {
  it('is what the build makes of src/cli/main.ts, a node script that npm start runs with glibc malloc tuned', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
    const emitted = path.join(build.compilerOptions.outDir, path.relative(build.compilerOptions.rootDir, 'src/cli/main.ts')).replace(/\.ts$/, '.js');
    assert.equal(pkg.bin.cachee, emitted);
    // A threshold the user set is kept (see src/proxy/malloc-tuning.ts).
    assert.equal(pkg.scripts.start, `MALLOC_MMAP_THRESHOLD_=\${MALLOC_MMAP_THRESHOLD_:-${MALLOC_ENV.MALLOC_MMAP_THRESHOLD_}} node ${emitted} start`);
    assert.equal(readFileSync(CLI, 'utf8').split('\n')[0], '#!/usr/bin/env node', 'tsc keeps the shebang for the bin');
  });
});
