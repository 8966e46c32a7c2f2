/**
 * `cachee record` against a real proxy over a real redis-server, then `cachee simulate` on what
 * it wrote; and the one-line failures.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/index.js';
import { RawClient, infoField, startProxyOverRedis, waitFor, type ProxyUnderTest } from '../support/proxy.js';
import { startRedis } from '../support/redis-server.js';
import { closedPort, fakeDeps, runBin, tempDir } from './helpers.js';

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'latin1').split('\n').filter((line) => line !== '');
}

/**
 * Starts `cachee record` on the proxy, runs `reads` once the log has its header (the recording
 * is on), waits until every read the proxy sent is in the file, then stops it with Ctrl-C.
 * Returns the log's read lines apart from its first line and its last (header and trailer).
 */
async function record(env: ProxyUnderTest, file: string, sample: string, reads: (client: RawClient) => Promise<void>) {
  const deps = fakeDeps();
  const running = runCli(['record', '--port', String(env.port), '--out', file, '--sample', sample], deps);
  await waitFor(() => lines(file).length === 1, 5000, 'the log header');
  const client = await RawClient.connect(env.port);
  await reads(client);
  // Every read is offered to the recording before its reply goes out, so this count is final.
  const sent = Number(infoField(await client.call('INFO', 'cachee'), 'recorded_reads'));
  client.close();
  await waitFor(() => lines(file).length === sent + 1, 5000, `${sent} reads in the log`);
  deps.signal('SIGINT');
  const code = await running;
  const log = lines(file);
  return { code, deps, sent, header: log[0], reads: log.slice(1, -1), trailer: log.at(-1) };
}

const { dir, cleanup } = tempDir();
after(cleanup);

describe('cachee record', () => {
  let env: ProxyUnderTest;
  before(async () => {
    env = await startProxyOverRedis();
    const client = await RawClient.connect(env.port);
    for (let i = 0; i < 200; i++) await client.call('SET', `user:${i}`, 'v'.repeat(i));
    client.close();
  });
  after(async () => {
    await env.stop();
  });

  it('logs one line per GET at sample 1: header, hashed keys, reply lengths, never the keys', async () => {
    const file = path.join(dir, 'all.log');
    const gets = ['user:1', 'user:2', 'user:1', 'user:10', 'user:1', 'absent'];
    const { code, deps, sent, header, reads: logged, trailer } = await record(env, file, '1', async (client) => {
      for (const key of gets) await client.call('GET', key);
    });
    assert.equal(code, 0);
    assert.equal(sent, gets.length);
    assert.equal(deps.stdoutText(), `recorded 6 reads of 4 keys to ${file} (sample 1)\n`);
    assert.equal(deps.stderrText(), '');
    assert.equal(header, '# cachee-record v1 sample=1 started=2025-01-02T03:04:05.678Z source=l1 salt-free');
    // Ctrl-C asks the proxy to end the recording, which then says how many reads it saw.
    assert.equal(trailer, '# end reads=6 logged=6 dropped=0');
    const reads = logged.map((line) => line.split(' '));
    assert.equal(reads.length, gets.length);
    // Reply lengths: `$1\r\nv\r\n` is 7 bytes, `$2\r\nvv\r\n` 8, `$10\r\n...` 17, nil `$-1\r\n` 5.
    assert.deepEqual(
      reads.map(([, key, reply]) => `${key} ${reply}`),
      ['6 7', '6 8', '6 7', '7 17', '6 7', '6 5'],
    );
    assert.equal(reads[0][0], reads[2][0]);
    assert.equal(reads[0][0], reads[4][0]);
    assert.equal(new Set(reads.map(([hash]) => hash)).size, 4);
    const text = readFileSync(file, 'latin1');
    for (const key of gets) assert.ok(!text.includes(key), `${key} appears in the log`);
  });

  it('samples by key at 0.5: every read of a logged key is logged; then simulate reads the log', async () => {
    const file = path.join(dir, 'half.log');
    const { code, deps, header, reads, trailer } = await record(env, file, '0.5', async (client) => {
      for (let round = 0; round < 3; round++) await client.pipeline(Array.from({ length: 200 }, (_, i) => ['GET', `user:${i}`]));
    });
    assert.equal(code, 0);
    assert.match(header, /^# cachee-record v1 sample=0\.5 /);
    const perKey = new Map<string, number>();
    for (const line of reads) perKey.set(line.split(' ')[0], (perKey.get(line.split(' ')[0]) ?? 0) + 1);
    assert.equal(trailer, `# end reads=600 logged=${reads.length} dropped=0`);
    assert.equal(deps.stdoutText(), `recorded ${reads.length} reads of ${perKey.size} keys to ${file} (sample 0.5)\n`);
    assert.ok([...perKey.values()].every((n) => n === 3), 'each logged key has all three of its reads');
    // 200 keys at 0.5: 100 expected, a standard deviation of about 7.
    assert.ok(perKey.size > 60 && perKey.size < 140, `${perKey.size} of 200 keys logged`);

    const json = fakeDeps();
    assert.equal(await runCli(['simulate', file, '--sizes', '20,100,1k', '--json'], json), 0, json.stderrText());
    const rows = JSON.parse(json.stdoutText()) as { size: number; cachee: number; lru: number; opt: number; memoryBytes: number; simulatedSize: number }[];
    assert.deepEqual(rows.map((r) => [r.size, r.simulatedSize]), [[20, 10], [100, 50], [1000, 500]]);
    for (const row of rows) {
      for (const ratio of [row.cachee, row.lru, row.opt]) assert.ok(ratio >= 0 && ratio <= 1, `ratio ${ratio}`);
      assert.ok(row.opt >= row.lru && row.opt >= row.cachee);
      assert.ok(row.memoryBytes > 0);
    }
    // A cache as large as the sample's key space hits every read but each key's first: 2 of
    // each key's 3 logged reads. SHARDS-adj counts the 300 reads a 0.5 sample of 600 should
    // hold, less the 3 × keys logged, as hits too.
    const keys = perKey.size;
    assert.equal(rows[2].lru, Math.min(1, (2 * keys + 300 - 3 * keys) / 300));

    const text = fakeDeps();
    assert.equal(await runCli(['simulate', file, '--sizes', '100'], text), 0);
    assert.match(text.stdoutText(), /record \(detected\)/);
    assert.match(text.stdoutText(), /Sampled log \(sample=0\.5\): each size is simulated as size × 0\.5 entries/);
    assert.match(text.stdoutText(), new RegExp(`Adjusted for the share of reads the sample holds \\(SHARDS-adj\\): ${3 * keys} logged, 300 expected`));
    assert.match(text.stdoutText(), /Memory: size × \d+ bytes, the mean cost of the \d+ keys seen with a reply \(the proxy's L1 model/);
  });
});

describe('cachee record, failing', () => {
  it('says in one line that no proxy answers, exits 1 and writes no file', async () => {
    const port = await closedPort();
    const file = path.join(dir, 'none.log');
    const deps = fakeDeps();
    assert.equal(await runCli(['record', '--port', String(port), '--out', file], deps), 1);
    assert.equal(deps.stderrText(), `cachee record: no proxy answering on 127.0.0.1:${port} (connection refused)\n`);
    assert.equal(existsSync(file), false);
  });

  it('says so from the bin too, without a stack trace', async () => {
    const port = await closedPort();
    const result = await runBin(['record', '--port', String(port), '--out', path.join(dir, 'bin.log')]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `cachee record: no proxy answering on 127.0.0.1:${port} (connection refused)\n`);
  });

  it('refuses a sample rate outside (0, 1] and a missing --out', async () => {
    for (const sample of ['0', '1.5', '-0.1', 'x', '']) {
      const deps = fakeDeps();
      assert.equal(await runCli(['record', '--out', path.join(dir, 'x.log'), '--sample', sample], deps), 2, sample);
      assert.equal(deps.stderrText(), `error: --sample: must be a fraction in (0, 1], like 0.1 (got ${JSON.stringify(sample)})\n`);
    }
    const deps = fakeDeps();
    assert.equal(await runCli(['record'], deps), 2);
    assert.match(deps.stderrText(), /required option '--out <file>' not specified/);
  });

  it('says when the server is not a cachee proxy, and removes the file it opened', async () => {
    // A real redis-server does not know CACHEE.
    const redis = await startRedis();
    try {
      const file = path.join(dir, 'redis.log');
      const deps = fakeDeps();
      assert.equal(await runCli(['record', '--port', String(redis.port), '--out', file], deps), 1);
      assert.match(deps.stderrText(), new RegExp(`^cachee record: 127\\.0\\.0\\.1:${redis.port} cannot record: ERR unknown command 'CACHEE'.*\\n$`));
      assert.equal(deps.stderrText().split('\n').length, 2, 'one line');
      assert.equal(existsSync(file), false);
    } finally {
      await redis.stop();
    }
  });
});
