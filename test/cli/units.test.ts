import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnitError, formatDuration, formatSize, humanSize, parseDuration, parseSize } from '../../src/cli/units.js';

describe('parseSize', () => {
  it('reads b, kb, mb, gb in any case, 1024-based, with decimals', () => {
    assert.equal(parseSize('512'), 512);
    assert.equal(parseSize('512b'), 512);
    assert.equal(parseSize('64kb'), 64 * 1024);
    assert.equal(parseSize('64KB'), 64 * 1024);
    assert.equal(parseSize('256Mb'), 256 * 1024 ** 2);
    assert.equal(parseSize('1gb'), 1024 ** 3);
    assert.equal(parseSize('1.5gb'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('.5kb'), 512);
    assert.equal(parseSize(' 2 mb '), 2 * 1024 ** 2);
    assert.equal(parseSize('1.1kb'), 1126); // 1126.4, rounded down to whole bytes
    assert.equal(parseSize('0'), 0);
  });

  it('takes a JSON number as bytes', () => {
    assert.equal(parseSize(4096), 4096);
  });

  it('rejects anything else with the value quoted', () => {
    const cases: [string | number, string][] = [
      ['12xb', '"12xb" is not a size (use b, kb, mb, gb)'],
      ['', '"" is not a size (use b, kb, mb, gb)'],
      ['gb', '"gb" is not a size (use b, kb, mb, gb)'],
      ['-1gb', '"-1gb" is not a size (use b, kb, mb, gb)'],
      ['1tb', '"1tb" is not a size (use b, kb, mb, gb)'],
      ['1e3', '"1e3" is not a size (use b, kb, mb, gb)'],
      ['1 gb x', '"1 gb x" is not a size (use b, kb, mb, gb)'],
      ['1.5', '"1.5" is not a whole number of bytes'],
      ['1.5b', '"1.5b" is not a whole number of bytes'],
      [-5, '-5 is not a size (use b, kb, mb, gb)'],
      ['99999999999gb', '"99999999999gb" is too large'],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => parseSize(input), (err: unknown) => err instanceof UnitError && err.message === message, String(input));
    }
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, h; a bare number is ms', () => {
    assert.equal(parseDuration('250'), 250);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('30S'), 30_000);
    assert.equal(parseDuration('1.1s'), 1100);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(1500), 1500);
  });

  it('rejects bad units, negatives and fractions of a millisecond', () => {
    const cases: [string | number, string][] = [
      ['30x', '"30x" is not a duration (use ms, s, m, h)'],
      ['5d', '"5d" is not a duration (use ms, s, m, h)'],
      ['-1s', '"-1s" is not a duration (use ms, s, m, h)'],
      ['soon', '"soon" is not a duration (use ms, s, m, h)'],
      ['1m30s', '"1m30s" is not a duration (use ms, s, m, h)'],
      ['1.5ms', '"1.5ms" is not a whole number of milliseconds'],
      ['0.0001s', '"0.0001s" is not a whole number of milliseconds'],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => parseDuration(input), (err: unknown) => err instanceof UnitError && err.message === message, String(input));
    }
  });
});

describe('formatting', () => {
  it('spells sizes and durations exactly, and they parse back', () => {
    assert.equal(formatSize(1024 ** 3), '1gb');
    assert.equal(formatSize(1.5 * 1024 ** 3), '1536mb');
    assert.equal(formatSize(1000), '1000b');
    assert.equal(formatDuration(30_000), '30s');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(7_200_000), '2h');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(0), '0s');
    for (const bytes of [0, 1, 1023, 1024, 5 * 1024 ** 2 + 1, 3 * 1024 ** 3]) assert.equal(parseSize(formatSize(bytes)), bytes);
    for (const ms of [0, 1, 999, 1000, 61_000, 3_600_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });

  it('rounds sizes for people', () => {
    assert.equal(humanSize(1024 ** 3), '1 GB');
    assert.equal(humanSize(1.5 * 1024 ** 3), '1.5 GB');
    assert.equal(humanSize(256 * 1024 ** 2), '256 MB');
    assert.equal(humanSize(900), '900 B');
  });
});
