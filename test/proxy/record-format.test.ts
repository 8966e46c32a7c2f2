import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TYPICAL_STRUCTURE_BYTES } from '../../src/core/cache.js';
import { INDEX_BYTES_PER_SLOT } from '../../src/store/database.js';
import { getEntryBytes, getVariantOf, ReplyCache, TYPICAL_L1_STRUCTURE_BYTES, variantPrefix } from '../../src/proxy/reply-cache.js';
import { bulkPayloadLength, entryBytes, meanEntryBytes } from '../../src/sim/memory.js';
import { formatRecordHeader, formatRecordLine, KeySampler } from '../../src/proxy/record-format.js';
import { parseRecordHeader } from '../../src/sim/record-reader.js';
import { TraceFormatError } from '../../src/sim/trace.js';
import { entryBytes as storeEntryBytes, StringEntry } from '../../src/store/values.js';

describe('record header and lines', () => {
  it('round-trip the header', () => {
    const header = { sample: 0.1, started: '2025-01-02T03:04:05.678Z', source: 'embedded' as const };
    const line = formatRecordHeader(header);
    assert.equal(line, '# cachee-record v1 sample=0.1 started=2025-01-02T03:04:05.678Z source=embedded salt-free\n');
    assert.deepEqual(parseRecordHeader(line.trimEnd()), header);
  });

  it('need a sample rate in (0, 1]', () => {
    for (const bad of ['# cachee-record v1', '# cachee-record v1 sample=0', '# cachee-record v1 sample=1.5', '# cachee-record v1 sample=x']) {
      assert.throws(() => parseRecordHeader(bad), TraceFormatError, bad);
    }
    assert.equal(parseRecordHeader('# cachee-record v1 future-flag sample=1 other=x').sample, 1);
  });

  it('write an unknown reply length as -', () => {
    assert.equal(formatRecordLine('0123456789abcdef', 5, -1), '0123456789abcdef 5 -');
    assert.equal(formatRecordLine('0123456789abcdef', 5, 0), '0123456789abcdef 5 0');
  });
});

describe('KeySampler', () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);

  it('keeps about the sample rate of the keys, the same keys every time it is asked', () => {
    const sampler = new KeySampler(0.1);
    const kept = keys.filter((key) => sampler.sampled(key));
    // 100k keys at 0.1: the standard deviation of the count is under 100.
    assert.ok(Math.abs(kept.length - 10_000) < 500, `${kept.length} of 100000`);
    assert.deepEqual(kept.filter((key) => sampler.sampled(key)), kept);
    const all = new KeySampler(1);
    assert.ok(keys.every((key) => all.sampled(key)));
  });

  it('hashes a key to 16 hex digits, the same within a recording and unrelated across recordings', () => {
    const a = new KeySampler(1);
    const b = new KeySampler(1);
    assert.match(a.hash('user:1'), /^[0-9a-f]{16}$/);
    assert.equal(a.hash('user:1'), a.hash('user:1'));
    assert.notEqual(a.hash('user:1'), a.hash('user:2'));
    assert.notEqual(a.hash('user:1'), b.hash('user:1'));
  });

  it('refuses a rate outside (0, 1]', () => {
    for (const rate of [0, -0.5, 1.01, Number.NaN]) assert.throws(() => new KeySampler(rate), RangeError);
  });
});

describe('memory estimates', () => {
  it("cost an L1 key as the proxy's L1 counts it", () => {
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
    const reply = Buffer.from('$5\r\nhello\r\n');
    cache.put(0, 'user:1', getVariantOf(variantPrefix('default', 2)), reply);
    assert.equal(cache.entryBytes, getEntryBytes('user:1'.length, reply.length) - TYPICAL_L1_STRUCTURE_BYTES);
    assert.equal(entryBytes('l1', 6, reply.length), getEntryBytes(6, reply.length));
  });

  it("cost an embedded key as the store counts a string", () => {
    const value = 'x'.repeat(300);
    const reply = `$300\r\n${value}\r\n`;
    assert.equal(bulkPayloadLength(reply.length), 300);
    const structures = TYPICAL_STRUCTURE_BYTES + INDEX_BYTES_PER_SLOT;
    assert.equal(entryBytes('embedded', 6, reply.length), storeEntryBytes('user:1', new StringEntry(value)) + structures);
    assert.ok(entryBytes('embedded', 6, reply.length) > structures + 300);
  });

  it('find the payload of a bulk reply of any length', () => {
    for (const n of [0, 1, 9, 10, 99, 100, 12_345]) assert.equal(bulkPayloadLength(`$${n}\r\n`.length + n + 2), n);
    assert.equal(bulkPayloadLength(3), -1);
  });

  it('average over the keys with a known reply length only', () => {
    const estimate = meanEntryBytes(Int32Array.from([6, 6, 6]), Int32Array.from([11, -1, 111]), 'l1');
    assert.deepEqual(estimate, { bytes: (getEntryBytes(6, 11) + getEntryBytes(6, 111)) / 2, keys: 2, source: 'l1' });
    assert.equal(meanEntryBytes(Int32Array.from([6]), Int32Array.from([-1]), 'l1'), undefined);
  });
});
