/** `cachee simulate`: the figures (the engine's own, LRU, OPT), the three outputs, and the one-line failures. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTrace, traceFile } from '../../bench/hitratio/traces.js';
import { runCli } from '../../src/cli/index.js';
import { Cache } from '../../src/core/cache.js';
import { lruHits, optHits } from '../../src/sim/policies.js';
import { replay } from '../../src/sim/replay.js';
import { withFixedEngineRandomness } from '../sim/support.js';
import { fakeDeps, tempDir } from './helpers.js';

async function simulate(...args: string[]) {
  const deps = fakeDeps();
  const code = await runCli(['simulate', ...args], deps);
  return { code, stdout: deps.stdoutText(), stderr: deps.stderrText() };
}

describe('cachee simulate on a public trace', () => {
  const gli = traceFile('gli');

  it('--json prints one object per size, ratios from 0 to 1: LRU and OPT exact, cachee what the engine gets', async () => {
    const { code, stdout, stderr } = await withFixedEngineRandomness(() => simulate(gli, '--sizes', '500,1k', '--json'));
    assert.equal(code, 0, stderr);
    const rows = JSON.parse(stdout) as Record<string, number>[];
    const trace = loadTrace('gli');
    const n = trace.keys.length;
    assert.deepEqual(
      rows.map((row) => Object.keys(row)),
      [
        ['size', 'cachee', 'lru', 'opt'],
        ['size', 'cachee', 'lru', 'opt'],
      ],
    );
    for (const row of rows) {
      assert.equal(row.lru, lruHits(trace.keys, trace.distinct, row.size) / n);
      assert.equal(row.opt, optHits(trace.keys, trace.distinct, row.size) / n);
      const engine = withFixedEngineRandomness(() => replay(trace.keys, new Cache<number, number>({ maxEntries: row.size })));
      assert.equal(row.cachee, engine / n, `size ${row.size}`);
    }
    assert.deepEqual(
      rows.map((row) => row.size),
      [500, 1000],
    );
  });

  it('prints a table with a footnote per estimate, and n/a memory for a trace without sizes', async () => {
    const { code, stdout } = await simulate(gli, '--sizes', '500,2k');
    assert.equal(code, 0);
    const lines = stdout.split('\n');
    assert.equal(lines[0], `${gli}: lirs (detected), gzip, 6,015 requests, 2,529 distinct keys`);
    assert.match(lines[2], /^ size +cachee +LRU +OPT +memory$/);
    assert.match(lines[3], /^  500 +\d+\.\d\d% +0\.95% +34\.33% +n\/a$/);
    assert.match(lines[4], /^2,000 +\d+\.\d\d% +57\.41% +57\.96% +n\/a$/);
    assert.match(stdout, /\nMemory: n\/a, the trace has no value sizes/);
  });

  it('--svg writes the curves through the report chart', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const svg = path.join(dir, 'gli.svg');
      assert.equal((await simulate(gli, '--sizes', '250,500,1k,2k', '--svg', svg)).code, 0);
      const text = readFileSync(svg, 'utf8');
      assert.match(text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(text, /Hit ratio by cache size: gli\.trace\.gz/);
      assert.equal(text.match(/<polyline /g)?.length, 3);
      for (const name of ['cachee', 'LRU', 'OPT (optimal)']) assert.match(text, new RegExp(`>${name.replace(/[()]/g, '\\$&')}</text>`));
    } finally {
      cleanup();
    }
  });
});

describe('cachee simulate on other inputs', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  const file = (name: string, content: string | Buffer) => {
    const full = path.join(dir, name);
    writeFileSync(full, content);
    return full;
  };

  it('reads a plain list of keys, and a numeric one named with --format keys', async () => {
    const keys = file('keys.txt', 'a\nb\na\nc\na\n');
    const rows = JSON.parse((await simulate(keys, '--sizes', '1,10', '--json')).stdout) as { lru: number }[];
    assert.deepEqual(rows.map((r) => r.lru), [0, 2 / 5]); // a b a c a: no repeat in a row; then a twice
    const numbers = file('numbers.txt', '7\n8\n7\n');
    assert.match((await simulate(numbers, '--sizes', '10')).stdout, /lirs \(detected\)/);
    assert.match((await simulate(numbers, '--sizes', '10', '--format', 'keys')).stdout, /: keys, 3 requests, 2 distinct keys/);
  });

  it('estimates memory from a record log', async () => {
    const log = file('r.log', '# cachee-record v1 sample=1 started=x source=l1\n0000000000000001 6 11\n0000000000000002 6 -\n0000000000000001 6 11\n');
    const [row] = JSON.parse((await simulate(log, '--sizes', '1k', '--json')).stdout) as { memoryBytes: number; simulatedSize?: number }[];
    assert.ok(row.memoryBytes > 1000 * 11, `${row.memoryBytes}`);
    assert.equal(row.simulatedSize, undefined, 'no scaling at sample 1');
    assert.match((await simulate(log, '--sizes', '1k')).stdout, /\n1,000 .* KB\n/);
  });

  const failures: [what: string, args: () => string[], code: number, line: RegExp][] = [
    ['an unknown format', () => [file('notes.md', '# Notes\nsome text here\n'), '--sizes', '1k'], 1, /^cachee simulate: .*notes\.md: unknown format: text, but line 1 has blanks inside.*name it with --format$/],
    ['binary of a length no format has', () => [file('odd.bin', Buffer.from([0, 1, 2])), '--sizes', '1k'], 1, /^cachee simulate: .*odd\.bin: binary, but its length \(3 bytes\) is not a multiple of 8/],
    ['an empty file', () => [file('empty.log', ''), '--sizes', '1k'], 1, /^cachee simulate: .*empty\.log: the file is empty$/],
    ['an empty log', () => [file('header.log', '# cachee-record v1 sample=0.1 started=x source=l1 salt-free\n'), '--sizes', '1k'], 1, /^cachee simulate: .*header\.log: the log has no reads/],
    ['a file that is not there', () => [path.join(dir, 'missing.log'), '--sizes', '1k'], 1, /^cachee simulate: .*missing\.log: cannot read it \(no such file\)$/],
    ['a folder', () => [dir, '--sizes', '1k'], 1, /^cachee simulate: .*: cannot read it \(is a directory\)$/],
    ['a bad line in a named format', () => [file('bad.arc', '1 1 0 0\nnope\n'), '--sizes', '1k', '--format', 'arc'], 1, /^cachee simulate: .*bad\.arc: line 2: "nope" is not an ARC request/],
    ['a size of 0', () => [file('k0.txt', 'a\n'), '--sizes', '1k,0'], 2, /^error: --sizes: a cache of 0 entries holds nothing; sizes start at 1$/],
    ['a size that is not a number', () => [file('k1.txt', 'a\n'), '--sizes', '10q'], 2, /^error: --sizes: "10q" is not a count/],
    ['an unknown --format', () => [file('k2.txt', 'a\n'), '--sizes', '1', '--format', 'csv'], 2, /^error: --format: "csv" is not one of record, keys, lirs, arc, binary64$/],
    ['a size below one entry on the sample', () => [file('s.log', '# cachee-record v1 sample=0.01\n0000000000000001 1 5\n'), '--sizes', '10'], 2, /^error: --sizes: a cache of 10 entries is 0\.1 entries on a 0\.01 sample: too small/],
    ['an --svg that cannot be written', () => [file('k3.txt', 'a\n'), '--sizes', '1', '--svg', path.join(dir, 'no', 'such', 'dir.svg')], 1, /^cachee simulate: cannot write .*dir\.svg: ENOENT/],
  ];
  for (const [what, args, code, line] of failures) {
    it(`ends ${what} with one line and exit ${code}`, async () => {
      const result = await simulate(...args());
      assert.equal(result.code, code);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.split('\n').length, 2, `one line: ${JSON.stringify(result.stderr)}`);
      assert.match(result.stderr.trimEnd(), line);
    });
  }
});
