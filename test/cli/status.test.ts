import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/index.js';
import { INFO_FIELDS, INFO_REQUEST, buildReport, formatReport, parseInfo, parseReply } from '../../src/cli/status.js';
import { closedPort, fakeDeps, runBin, tempDir } from './helpers.js';
import { startEmbeddedProxy, type EmbeddedUnderTest } from '../support/proxy.js';

const MB = 1024 ** 2;

/** The numbers behind the README's example. */
const EXAMPLE: Record<string, string | number> = {
  l1_hits: 884,
  l1_misses: 116,
  l1_entries: 247_891,
  l1_bytes: 892 * MB,
  l1_max_bytes: 1024 * MB,
  l1_evictions: 9_000,
  l1_evictions_per_sec: 142,
  l1_avg_latency_ns: 31,
  l2_requests: 200,
  l2_avg_latency_us: 340,
  upstream: 'connected',
  invalidation: 'tracking',
};

function infoBody(fields: Record<string, string | number>): string {
  return `# Cachee\r\n${Object.entries(fields)
    .map(([k, v]) => `${k}:${v}\r\n`)
    .join('')}`;
}

/** A RESP server answering INFO cachee with whatever `reply()` returns (raw RESP), split in two writes. */
async function fakeProxyServer(reply: () => string): Promise<{ port: number; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!received.endsWith('\r\n') || received.length < INFO_REQUEST.length) return;
      requests.push(received);
      received = '';
      const bytes = Buffer.from(reply(), 'utf8');
      const half = Math.floor(bytes.length / 2);
      socket.write(bytes.subarray(0, half));
      setImmediate(() => socket.write(bytes.subarray(half)));
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

const EXPECTED_REPORT = [
  'L1 hit rate:      88.4%',
  'L1 entries:       247,891',
  'L1 memory:        892 MB / 1024 MB',
  'L1 evictions/sec: 142',
  'L1 avg latency:   31ns',
  'L2 fallback rate: 11.6%',
  'L2 avg latency:   0.34ms',
  'Effective avg:    0.039ms',
  'Upstream:         connected',
  'Invalidation:     tracking',
  '',
].join('\n');

describe('cachee status against a RESP server', () => {
  let fields: Record<string, string | number> = EXAMPLE;
  let raw: string | undefined;
  let server: Awaited<ReturnType<typeof fakeProxyServer>>;
  before(async () => {
    server = await fakeProxyServer(() => raw ?? bulk(infoBody(fields)));
  });
  after(() => server.close());

  it('sends INFO cachee as a RESP array and prints the report', async () => {
    const deps = fakeDeps();
    assert.equal(await runCli(['status', '--port', String(server.port)], deps), 0, deps.stderrText());
    assert.equal(server.requests.at(-1), '*2\r\n$4\r\nINFO\r\n$6\r\ncachee\r\n');
    assert.equal(deps.stdoutText(), EXPECTED_REPORT);
  });

  it('prints JSON with --json', async () => {
    const deps = fakeDeps();
    assert.equal(await runCli(['status', '--port', String(server.port), '--host', '127.0.0.1', '--json'], deps), 0);
    const json = JSON.parse(deps.stdoutText());
    assert.equal(json.address, `127.0.0.1:${server.port}`);
    assert.equal(json.upstream, 'connected');
    assert.equal(json.invalidation, 'tracking');
    assert.deepEqual(json.l1, {
      hits: 884,
      misses: 116,
      hitRate: 0.884,
      entries: 247_891,
      bytes: 892 * MB,
      maxBytes: 1024 * MB,
      evictions: 9_000,
      evictionsPerSec: 142,
      avgLatencyNs: 31,
    });
    assert.equal(json.l2.requests, 200);
    assert.ok(Math.abs(json.l2.fallbackRate - 0.116) < 1e-12);
    assert.equal(json.l2.avgLatencyUs, 340);
    assert.ok(Math.abs(json.effectiveAvgMs - 0.039467404) < 1e-12, String(json.effectiveAvgMs));
  });

  it('finds the port through CACHEE_PORT', async () => {
    const deps = fakeDeps({ env: { CACHEE_PORT: String(server.port) } });
    assert.equal(await runCli(['status'], deps), 0, deps.stderrText());
    assert.equal(deps.stdoutText(), EXPECTED_REPORT);
  });

  it('finds the port in cachee.json, a flag still winning', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(path.join(dir, 'cachee.json'), JSON.stringify({ host: '0.0.0.0', port: server.port, l1Memory: 'ignored by status' }));
      const deps = fakeDeps({ cwd: dir });
      assert.equal(await runCli(['status'], deps), 0, deps.stderrText());
      assert.equal(deps.stdoutText(), EXPECTED_REPORT);
      const closed = await closedPort();
      const flag = fakeDeps({ cwd: dir });
      assert.equal(await runCli(['status', '--port', String(closed)], flag), 1);
      assert.match(flag.stderrText(), new RegExp(`127\\.0\\.0\\.1:${closed} \\(connection refused\\)`));
    } finally {
      cleanup();
    }
  });

  it('says what is wrong with a server that is not a cachee proxy', async () => {
    raw = bulk('');
    const deps = fakeDeps();
    assert.equal(await runCli(['status', '--port', String(server.port)], deps), 1);
    assert.equal(deps.stderrText(), `cachee status: 127.0.0.1:${server.port} is not a cachee proxy, or not this version: INFO cachee returned no fields\n`);

    raw = '-NOAUTH Authentication required.\r\n';
    const auth = fakeDeps();
    assert.equal(await runCli(['status', '--port', String(server.port)], auth), 1);
    assert.equal(auth.stderrText(), `cachee status: 127.0.0.1:${server.port} answered INFO cachee with an error: NOAUTH Authentication required.\n`);

    raw = undefined;
    fields = { ...EXAMPLE, l1_hits: 'lots' };
    const bad = fakeDeps();
    assert.equal(await runCli(['status', '--port', String(server.port)], bad), 1);
    assert.match(bad.stderrText(), /field l1_hits is "lots", not an integer\n$/);
    fields = EXAMPLE;
  });

  it('--watch prints a row a sample until SIGINT', async () => {
    let samples = 0;
    fields = EXAMPLE;
    let now = 0;
    const deps = fakeDeps({
      now: () => now,
      sleep: async () => {
        now += 1000;
        samples++;
        fields = { ...EXAMPLE, l1_hits: 884 + 90 * samples, l1_misses: 116 + 10 * samples };
        if (samples === 3) deps.signal('SIGINT');
      },
    });
    assert.equal(await runCli(['status', '--port', String(server.port), '--watch'], deps), 0, deps.stderrText());
    const lines = deps.stdoutText().trimEnd().split('\n');
    assert.equal(lines.length, 4); // header + 3 rows
    assert.match(lines[0], /^reads\/s +hit rate +entries +memory +evict\/s +L1 avg +L2 avg +effective +upstream +invalidation$/);
    assert.match(lines[1], /^n\/a +88\.4% +247,891 +892 MB \/ 1024 MB +142 +31ns +0\.34ms +0\.039ms +connected +tracking$/);
    assert.match(lines[2], /^100 +90\.0% /); // 100 reads in the last second, 90 of them hits
    assert.equal(deps.listeners, 0);
    fields = EXAMPLE;
  });
});

describe('cachee status --watch across a restart', () => {
  it('says once that the proxy went away, and keeps trying', async () => {
    const server = await fakeProxyServer(() => bulk(infoBody(EXAMPLE)));
    let samples = 0;
    const deps = fakeDeps({
      sleep: async () => {
        samples++;
        if (samples === 1) await server.close();
        if (samples === 3) deps.signal('SIGINT');
      },
    });
    assert.equal(await runCli(['status', '--port', String(server.port), '--watch', '--json'], deps), 0);
    assert.equal(deps.out.length, 1);
    assert.equal(JSON.parse(deps.out[0]).l1.hits, 884);
    assert.equal(deps.stderrText(), `cachee status: no proxy answering on 127.0.0.1:${server.port} (connection refused); retrying every 1000ms\n`);
  });

  it('fails at once when nothing answers the first time', async () => {
    const deps = fakeDeps();
    assert.equal(await runCli(['status', '--port', String(await closedPort()), '--watch'], deps), 1);
    assert.match(deps.stderrText(), /^cachee status: no proxy answering on .* \(connection refused\)\n$/);
  });
});

describe('cachee status against a proxy with --requirepass', () => {
  let embedded: EmbeddedUnderTest;
  before(async () => {
    embedded = await startEmbeddedProxy({ requirepass: 'pw' });
  });
  after(async () => embedded?.stop());

  it('AUTHs with the password the proxy was given (CACHEE_REQUIREPASS)', async () => {
    const deps = fakeDeps({ env: { CACHEE_PORT: String(embedded.port), CACHEE_REQUIREPASS: 'pw' } });
    assert.equal(await runCli(['status', '--json'], deps), 0, deps.stderrText());
    assert.equal(JSON.parse(deps.stdoutText()).upstream, 'embedded');
  });

  it('says the proxy wants a password, or that it refused this one, and never prints it', async () => {
    const none = fakeDeps({ env: { CACHEE_PORT: String(embedded.port) } });
    assert.equal(await runCli(['status'], none), 1);
    assert.equal(none.stderrText(), `cachee status: 127.0.0.1:${embedded.port} answered INFO cachee with an error: NOAUTH Authentication required.\n`);
    const wrong = fakeDeps({ env: { CACHEE_PORT: String(embedded.port), CACHEE_REQUIREPASS: 'not-it' } });
    assert.equal(await runCli(['status'], wrong), 1);
    assert.equal(wrong.stderrText(), `cachee status: 127.0.0.1:${embedded.port} refused the password (WRONGPASS invalid username-password pair or user is disabled.)\n`);
  });
});

describe('cachee status with no proxy', () => {
  it('says so in one line and exits 1', async () => {
    const port = await closedPort();
    const deps = fakeDeps();
    assert.equal(await runCli(['status', '--port', String(port)], deps), 1);
    assert.equal(deps.stderrText(), `cachee status: no proxy answering on 127.0.0.1:${port} (connection refused)\n`);
    assert.equal(deps.stdoutText(), '');
  });

  it('says so from the bin too, without a stack trace', async () => {
    const port = await closedPort();
    const result = await runBin(['status', '--port', String(port)]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `cachee status: no proxy answering on 127.0.0.1:${port} (connection refused)\n`);
    assert.equal(result.stdout, '');
  });

  it('gives up on a server that never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const deps = fakeDeps();
      assert.equal(await runCli(['status', '--port', String(port), '--timeout', '50ms'], deps), 1);
      assert.equal(deps.stderrText(), `cachee status: 127.0.0.1:${port} accepted the connection but did not answer within 0.05s\n`);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('names a bad --port or --timeout', async () => {
    const deps = fakeDeps();
    assert.equal(await runCli(['status', '--port', 'http'], deps), 2);
    assert.equal(deps.stderrText(), 'error: --port: "http" is not a whole number\n');
    const timeout = fakeDeps();
    assert.equal(await runCli(['status', '--timeout', 'later'], timeout), 2);
    assert.equal(timeout.stderrText(), 'error: --timeout: "later" is not a duration (use ms, s, m, h)\n');
  });
});

describe('the INFO cachee contract', () => {
  it('requires every field and ignores extra ones', () => {
    assert.deepEqual(INFO_FIELDS, Object.keys(EXAMPLE));
    const info = parseInfo(infoBody({ ...EXAMPLE, some_future_field: 'x' }));
    assert.equal(info.l1_hits, 884);
    assert.equal(info.upstream, 'connected');
    const { l2_avg_latency_us: _, ...partial } = EXAMPLE;
    assert.throws(() => parseInfo(infoBody(partial)), /lacks l2_avg_latency_us/);
    assert.throws(() => parseInfo(infoBody({ ...EXAMPLE, upstream: 'maybe' })), /upstream is "maybe", not one of connected\|down\|embedded/);
    assert.throws(() => parseInfo(infoBody({ ...EXAMPLE, l1_entries: '1.5' })), /not an integer/);
    assert.equal(parseInfo(infoBody({ ...EXAMPLE, l1_avg_latency_ns: '31.25' })).l1_avg_latency_ns, 31.25);
  });

  it('reports n/a before the first read, and no L2 for the embedded store', () => {
    const report = buildReport(parseInfo(infoBody({ ...EXAMPLE, l1_hits: 0, l1_misses: 0, upstream: 'embedded', invalidation: 'none' })), 'x');
    assert.equal(report.l1.hitRate, null);
    assert.equal(report.effectiveAvgMs, null);
    const text = formatReport(report);
    assert.match(text, /^L1 hit rate: +n\/a$/m);
    assert.match(text, /^L2 fallback rate: n\/a \(no upstream\)$/m);
    assert.match(text, /^Upstream: +none \(embedded store\)$/m);
  });

  it('shows the optional latency percentiles when the proxy sends them', () => {
    const withPercentiles = { ...EXAMPLE, l1_p50_latency_ns: 28, l1_p99_latency_ns: 950, l2_p50_latency_us: 310, l2_p99_latency_us: 1200 };
    const report = buildReport(parseInfo(infoBody(withPercentiles)), 'x');
    assert.equal(report.l1.p99LatencyNs, 950);
    assert.equal(report.l2.p50LatencyUs, 310);
    const text = formatReport(report);
    assert.match(text, /^L1 avg latency: +31ns\nL1 p50 \/ p99: +28ns \/ 950ns \(last minute\)\nL2 fallback rate:/m);
    assert.match(text, /^L2 p50 \/ p99: +0\.31ms \/ 1\.2ms \(last minute\)$/m);
    const idle = formatReport(buildReport(parseInfo(infoBody({ ...withPercentiles, l1_p50_latency_ns: 0, l1_p99_latency_ns: 0 })), 'x'));
    assert.match(idle, /^L1 p50 \/ p99: +n\/a \(none in the last minute\)$/m);
    assert.equal(formatReport(buildReport(parseInfo(infoBody(EXAMPLE)), 'x')), EXPECTED_REPORT, 'without them, as before');
  });

  it('parses the RESP replies INFO can produce, waiting for the whole bulk', () => {
    assert.equal(parseReply(Buffer.from('$5\r\nab')), undefined);
    assert.deepEqual(parseReply(Buffer.from('$5\r\nabcde\r\n')), { kind: 'text', text: 'abcde' });
    assert.deepEqual(parseReply(Buffer.from('=7\r\ntxt:abc\r\n')), { kind: 'text', text: 'abc' });
    assert.deepEqual(parseReply(Buffer.from('$-1\r\n')), { kind: 'null' });
    assert.deepEqual(parseReply(Buffer.from('-ERR unknown\r\n')), { kind: 'error', text: 'ERR unknown' });
    assert.throws(() => parseReply(Buffer.from('HTTP/1.1 400 Bad Request\r\n')), /unexpected reply/);
  });
});
