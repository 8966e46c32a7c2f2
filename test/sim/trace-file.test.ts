import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { traceFile } from '../../bench/hitratio/traces.js';
import { detectFormat, loadTraceFile, traceReader, type TraceFormat } from '../../src/sim/trace-file.js';
import { Densifier, EmptyTraceError, TraceFormatError } from '../../src/sim/trace.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cachee-sim-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** Big-endian 64-bit keys, as Java's writeLong writes them. */
function binary64(keys: bigint[]): Buffer {
  const out = Buffer.alloc(8 * keys.length);
  keys.forEach((key, i) => out.writeBigInt64BE(key, 8 * i));
  return out;
}

const RECORD = [
  '# cachee-record v1 sample=0.5 started=2025-01-02T03:04:05.678Z source=l1 salt-free',
  '00000000000000aa 5 11',
  '00000000000000bb 7 -',
  '00000000000000aa 5 12',
  '# a comment',
  '00000000000000bb 7 20',
  '00000000000000cc 3 -',
  '# end reads=40 logged=5 dropped=1',
  '',
].join('\n');

/** The dense ids of each format's reading of one small fixture. */
const FIXTURES: [format: TraceFormat, content: string | Buffer, ids: number[]][] = [
  ['lirs', '1\r\n2\r\n*\r\n\r\n1\r\n3\r\n', [0, 1, 0, 2]],
  ['arc', '10 3 0 0\n11 1 0 1\n20 1 0 2\n', [0, 1, 2, 1, 3]],
  ['keys', 'user:1\nuser:2\n\nuser:1\nuser:1', [0, 1, 0, 0]],
  ['binary64', binary64([5n, -1n, 5n, 2n ** 62n]), [0, 1, 0, 2]],
  ['record', RECORD, [0, 1, 0, 1, 2]],
];

describe('trace readers', () => {
  for (const [format, content, ids] of FIXTURES) {
    it(`read ${format}, detected and named, plain and gzipped`, async () => {
      const plain = fixture(`t.${format}`, content);
      const gzipped = fixture(`t.${format}.gz`, gzipSync(content));
      for (const file of [plain, gzipped]) {
        const detected = await loadTraceFile(file);
        assert.equal(detected.format, format, file);
        assert.equal(detected.detected, true);
        assert.deepEqual([...detected.trace.keys], ids, file);
        assert.equal(detected.trace.distinct, Math.max(...ids) + 1);
        const named = await loadTraceFile(file, { format });
        assert.deepEqual([...named.trace.keys], ids);
        assert.equal(named.detected, false);
      }
      assert.equal((await loadTraceFile(gzipped)).compression, 'gzip');
    });

    it(`read ${format} fed a byte at a time as a whole`, () => {
      const ids = new Densifier();
      const reader = traceReader(format, ids);
      const bytes = Buffer.from(content);
      for (let i = 0; i < bytes.length; i++) reader.feed(bytes.subarray(i, i + 1));
      reader.end();
      assert.deepEqual([...ids.finish('t').keys], FIXTURES.find(([f]) => f === format)![2]);
    });
  }

  it('decompress xz through xz -dc', async () => {
    const file = fixture('t.keys', 'a\nb\na\n');
    execFileSync('xz', ['-k', file]);
    const loaded = await loadTraceFile(`${file}.xz`);
    assert.equal(loaded.compression, 'xz');
    assert.deepEqual([...loaded.trace.keys], [0, 1, 0]);
  });

  it('keep each record key its length and latest known reply length, the header and the trailer', async () => {
    const loaded = await loadTraceFile(fixture('sizes.log', RECORD));
    assert.deepEqual(loaded.record?.header, { sample: 0.5, started: '2025-01-02T03:04:05.678Z', source: 'l1' });
    assert.deepEqual(loaded.record?.trailer, { reads: 40, dropped: 1 });
    assert.deepEqual([...loaded.record!.keyBytes], [5, 7, 3]);
    assert.deepEqual([...loaded.record!.replyBytes], [12, 20, -1]);
  });

  it('read the public gli trace as the benchmark does', async () => {
    const loaded = await loadTraceFile(traceFile('gli'));
    assert.equal(loaded.format, 'lirs');
    assert.deepEqual([loaded.trace.keys.length, loaded.trace.distinct], [6_015, 2_529]);
  });
});

describe('format detection', () => {
  const detect = (text: string | Buffer, whole = true) => detectFormat(Buffer.from(text), whole);

  it('tells the formats apart by content', () => {
    assert.equal(detect('# cachee-record v1 sample=1\n'), 'record');
    assert.equal(detect('1 1 0 0\n2 8 0 1\n'), 'arc');
    assert.equal(detect('1\n2\n*\n'), 'lirs');
    assert.equal(detect('user:1\nsession:abc\n'), 'keys');
    assert.equal(detect(binary64([1n, 2n])), 'binary64');
  });

  it('ignores a last line that may be cut off when it has only the start', () => {
    assert.equal(detect('1 1 0 0\n2 1 0 1\n3 1', false), 'arc');
  });

  it('refuses text that is not one key a line', () => {
    assert.throws(() => detect('timestamp,key\n1 2 3\n'), (err: unknown) => err instanceof TraceFormatError && /unknown format.*line 2/.test(err.message));
  });
});

describe('bad trace files', () => {
  const rejects = async (file: string, pattern: RegExp, format?: TraceFormat, kind: Function = TraceFormatError) => {
    await assert.rejects(loadTraceFile(file, { format }), (err: unknown) => err instanceof kind && pattern.test((err as Error).message));
  };

  it('say which line does not fit a named format', async () => {
    await rejects(fixture('bad.lirs', '1\n2\nthree\n'), /^line 3: "three" is not a LIRS request/, 'lirs');
    await rejects(fixture('bad.arc', '1 1 0 0\nx y\n'), /^line 2: .* is not an ARC request/, 'arc');
    await rejects(fixture('bad.log', `${RECORD}not a record line\n`), /^line 9: .* is not a record line/);
    await rejects(fixture('v9.log', '# cachee-record v9 sample=1\n'), /record format v9 is not supported/);
    await rejects(fixture('rate.log', '# cachee-record v1 sample=2\n'), /sample=2 is not a rate/);
  });

  it('refuse binary content whose length is not a multiple of 8', async () => {
    await rejects(fixture('odd.bin', Buffer.from([1, 2, 3, 0, 0, 0, 0, 0, 9])), /not a multiple of 8/);
  });

  it('refuse an empty file, and a log without reads', async () => {
    await rejects(fixture('empty', ''), /the file is empty/, undefined, EmptyTraceError);
    await rejects(fixture('empty.log', `${RECORD.split('\n')[0]}\n`), /the log has no reads/, undefined, EmptyTraceError);
    await rejects(fixture('empty-named.log', ''), /the file is empty/, 'record', EmptyTraceError);
  });

  it('pass on the file system error of a missing file', async () => {
    await assert.rejects(loadTraceFile(path.join(dir, 'missing')), { code: 'ENOENT' });
  });
});
