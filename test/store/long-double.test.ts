/** The x87 long double emulation behind INCRBYFLOAT; the expected texts are Redis 7.0's replies. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../../src/store/long-double.js';

function incrbyfloat(value: string, increment: string): string | null {
  const a = parseLongDouble(value);
  const b = parseLongDouble(increment);
  if (a === null || b === null) return null;
  const sum = addLongDouble(a, b);
  return sum === null || sum.infinite ? null : formatLongDouble(sum);
}

describe('long double', () => {
  it('adds with 64 significand bits, so small decimals print as typed', () => {
    assert.equal(incrbyfloat('10.5', '0.1'), '10.6');
    assert.equal(incrbyfloat('10.6', '-0.1'), '10.5');
    assert.equal(incrbyfloat('1.1', '2.2'), '3.3');
    assert.equal(incrbyfloat('3.3', '1e17'), '100000000000000003.296875'); // ulp 2^-7 at 1e17
    assert.equal(incrbyfloat('0', '0x1p-3'), '0.125');
  });

  it('prints %.17Lf with ties to even, trailing zeros and "-0" removed', () => {
    assert.equal(incrbyfloat('0', '0.000003814697265625'), '0.00000381469726562');
    assert.equal(incrbyfloat('0', '-0.000000000000000001'), '0');
    assert.equal(incrbyfloat('-5', '5'), '0');
    assert.equal(incrbyfloat('0', '5.'), '5');
  });

  it('reaches far beyond a double', () => {
    assert.equal(
      incrbyfloat('0', '1e400'),
      '10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880',
    );
    assert.equal(parseLongDouble('1e4933'), null, 'overflow is an error');
    assert.equal(parseLongDouble('1e-5000'), null, 'underflow to zero is an error');
    assert.notEqual(parseLongDouble('0e-5000'), null, 'but zero is zero');
    assert.notEqual(parseLongDouble('3.6e-4951'), null, 'subnormals are fine');
  });

  it('parses strtold syntax only, all of the text', () => {
    for (const ok of ['1', '-1', '+1', '.5', '5.', '1e5', '1E-5', '0x1p3', '0X.8P1', '0xff', 'inf', '-Infinity']) {
      assert.notEqual(parseLongDouble(ok), null, ok);
    }
    for (const bad of ['', ' 1', '1 ', '1\u0000', 'nan', '1e', 'e1', '.', '-', '0x', '0x1p', '1,5', 'infinit', `${'1'.repeat(5120)}`]) {
      assert.equal(parseLongDouble(bad), null, JSON.stringify(bad));
    }
  });

  it('inf + -inf is NaN', () => {
    assert.equal(addLongDouble(parseLongDouble('inf')!, parseLongDouble('-inf')!), null);
    assert.equal(addLongDouble(parseLongDouble('inf')!, parseLongDouble('1')!)!.infinite, true);
  });
});
