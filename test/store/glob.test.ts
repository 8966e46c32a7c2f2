/** Redis's glob matching, including its odd corners (the differential tests compare many more). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatch, globMatcher } from '../../src/store/glob.js';

describe('glob', () => {
  it('matches like stringmatchlen', () => {
    const cases: [string, string, boolean][] = [
      ['*', '', false], // as in C: the loop never starts (KEYS * special-cases '*' before matching)
      ['**', 'a', true],
      ['h?llo', 'hello', true],
      ['h?llo', 'hllo', false],
      ['h*llo', 'hllo', true],
      ['h[ae]llo', 'hallo', true],
      ['h[^e]llo', 'hello', false],
      ['h[a-b]llo', 'hbllo', true],
      ['h[z-a]llo', 'hbllo', true], // reversed ranges are swapped
      ['a\\*b', 'a*b', true],
      ['a\\*b', 'axb', false],
      ['[abc', 'a', true], // an unterminated class ends at the pattern's end
      ['a\\', 'a\\', true], // a trailing backslash is literal
      ['[\u00e0-\u00ff]', 'b', false],
      ['[a-\u00ff]', '\u0001', true], // bytes above 0x7f are negative as C chars: the range is \xff..a
    ];
    for (const [pattern, subject, expected] of cases) {
      assert.equal(globMatch(pattern, subject), expected, `${JSON.stringify(pattern)} ~ ${JSON.stringify(subject)}`);
    }
  });

  it('a reusable matcher answers as globMatch, its shortcuts for literals and prefixes included', () => {
    const patterns = ['user:*', 'user:**', 'user:', '**', 'h?llo', 'h*llo', 'a\\*b', '[abc', 'us*r:*', ''];
    const subjects = ['', 'user:', 'user:1', 'user', 'hello', 'hllo', 'a*b', 'axb', 'a', 'usr:x', 'user:\u00e9'];
    for (const pattern of patterns) {
      const matches = globMatcher(pattern);
      for (const subject of subjects) {
        assert.equal(matches(subject), globMatch(pattern, subject), `${JSON.stringify(pattern)} ~ ${JSON.stringify(subject)}`);
      }
    }
    assert.equal(globMatcher('*')(''), true, 'KEYS * and SCAN MATCH * take every key, as Redis special-cases them');
  });

  // Exponential matching would not finish: the runner's timeout is the guard, not a timing goal.
  it('does not go exponential on many stars', { timeout: 60_000 }, () => {
    assert.equal(globMatch('*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)), false);
  });
});
