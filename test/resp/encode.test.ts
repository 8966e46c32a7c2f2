import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  encodeAggregateHeader,
  encodeArray,
  encodeBigNumber,
  encodeBoolean,
  encodeBulkString,
  encodeCommand,
  encodedCommandLength,
  encodeDouble,
  encodeError,
  encodeInteger,
  encodeLatin1BulkArray,
  encodeMap,
  encodeNull,
  encodeNullArray,
  encodePush,
  encodeSet,
  encodeSimpleString,
  encodeVerbatimString,
  Replies,
  RespType,
  writeCommand,
  type CommandArg,
} from '../../src/resp/index.js';

const text = (buffer: Buffer) => buffer.toString('latin1');
const b = (s: string) => Buffer.from(s);

describe('encodeCommand', () => {
  it('writes strings (UTF-8), Buffers and numbers as a multibulk', () => {
    assert.equal(text(encodeCommand(['SET', 'k', 12])), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n');
    assert.equal(text(encodeCommand(['ECHO', 'é€'])), '*2\r\n$4\r\nECHO\r\n$5\r\n\xc3\xa9\xe2\x82\xac\r\n');
    assert.equal(text(encodeCommand([b('a\r\nb'), -1.5, 0])), '*3\r\n$4\r\na\r\nb\r\n$4\r\n-1.5\r\n$1\r\n0\r\n');
    assert.equal(text(encodeCommand([])), '*0\r\n');
    assert.equal(text(encodeCommand([''])), '*1\r\n$0\r\n\r\n');
  });

  it('sizes lengths of any number of digits', () => {
    const args: CommandArg[] = [...Array.from({ length: 10 }, () => 'x'), Buffer.alloc(1234567, 0x78)];
    const encoded = encodeCommand(args);
    assert.equal(text(encoded.subarray(0, 100)), `*11\r\n${'$1\r\nx\r\n'.repeat(10)}$1234567\r\n${'x'.repeat(15)}`);
    assert.equal(text(encoded.subarray(-3)), 'x\r\n');
    assert.equal(encoded.length, encodedCommandLength(args));
  });

  it('writes into a provided buffer at an offset', () => {
    const target = Buffer.alloc(64, 0x2e);
    const end = writeCommand(target, 3, ['GET', 'k']);
    assert.equal(end, 3 + encodedCommandLength(['GET', 'k']));
    assert.equal(text(target.subarray(0, end + 1)), '...*2\r\n$3\r\nGET\r\n$1\r\nk\r\n.');
    assert.throws(() => writeCommand(Buffer.alloc(5), 0, ['GET', 'k']), RangeError);
  });
});

describe('reply encoders', () => {
  it('encode simple strings, errors and integers', () => {
    assert.equal(text(encodeSimpleString('OK')), '+OK\r\n');
    assert.throws(() => encodeSimpleString('a\r\nb'), RangeError);
    assert.equal(text(encodeError('ERR bad\r\nthing')), '-ERR bad  thing\r\n');
    assert.equal(text(encodeInteger(0)), ':0\r\n');
    assert.equal(text(encodeInteger(-123)), ':-123\r\n');
    assert.equal(text(encodeInteger(2n ** 64n)), ':18446744073709551616\r\n');
    assert.throws(() => encodeInteger(1.5), RangeError);
  });

  it('encode bulk strings and nulls for each protocol', () => {
    assert.equal(text(encodeBulkString('héllo')), '$6\r\nh\xc3\xa9llo\r\n');
    assert.equal(text(encodeBulkString(b(''))), '$0\r\n\r\n');
    assert.equal(text(encodeBulkString(null)), '$-1\r\n');
    assert.equal(text(encodeBulkString(null, 3)), '_\r\n');
    assert.equal(text(encodeNull(2)), '$-1\r\n');
    assert.equal(text(encodeNull(3)), '_\r\n');
    assert.equal(text(encodeNullArray(2)), '*-1\r\n');
    assert.equal(text(encodeNullArray(3)), '_\r\n');
  });

  it('encode aggregates of encoded elements, degrading RESP3 types for RESP2 clients', () => {
    const one = encodeInteger(1);
    const a = encodeBulkString('a');
    assert.equal(text(encodeArray([one, a])), '*2\r\n:1\r\n$1\r\na\r\n');
    assert.equal(text(encodeArray(null)), '*-1\r\n');
    assert.equal(text(encodeArray(null, 3)), '_\r\n');
    assert.equal(text(encodeMap([[a, one]], 3)), '%1\r\n$1\r\na\r\n:1\r\n');
    assert.equal(text(encodeMap([[a, one]], 2)), '*2\r\n$1\r\na\r\n:1\r\n');
    assert.equal(text(encodeSet([a], 3)), '~1\r\n$1\r\na\r\n');
    assert.equal(text(encodeSet([a], 2)), '*1\r\n$1\r\na\r\n');
    assert.equal(text(encodePush([a], 3)), '>1\r\n$1\r\na\r\n');
    assert.equal(text(encodePush([a], 2)), '*1\r\n$1\r\na\r\n');
    assert.equal(text(encodeAggregateHeader(RespType.Map, 12)), '%12\r\n');
  });

  it('encode doubles, booleans, verbatim strings and big numbers, with RESP2 fallbacks', () => {
    assert.equal(text(encodeDouble(1.5, 3)), ',1.5\r\n');
    assert.equal(text(encodeDouble(1.5, 2)), '$3\r\n1.5\r\n');
    assert.equal(text(encodeDouble(Infinity, 3)), ',inf\r\n');
    assert.equal(text(encodeDouble(-Infinity, 2)), '$4\r\n-inf\r\n');
    assert.equal(text(encodeDouble(NaN, 3)), ',nan\r\n');
    assert.equal(text(encodeDouble(-0, 3)), ',-0\r\n');
    assert.equal(text(encodeDouble(1e21, 3)), ',1e+21\r\n');
    assert.equal(text(encodeBoolean(true, 3)), '#t\r\n');
    assert.equal(text(encodeBoolean(false, 3)), '#f\r\n');
    assert.equal(text(encodeBoolean(true, 2)), ':1\r\n');
    assert.equal(text(encodeBoolean(false, 2)), ':0\r\n');
    assert.equal(text(encodeVerbatimString('Some string', 'txt', 3)), '=15\r\ntxt:Some string\r\n');
    assert.equal(text(encodeVerbatimString('Some string', 'txt', 2)), '$11\r\nSome string\r\n');
    assert.throws(() => encodeVerbatimString('x', 'text', 3), RangeError);
    assert.equal(text(encodeBigNumber(12345678901234567890123n, 3)), '(12345678901234567890123\r\n');
    assert.equal(text(encodeBigNumber('-5', 2)), '$2\r\n-5\r\n');
    assert.throws(() => encodeBigNumber('1.5', 3), RangeError);
  });

  it('encode an array of latin1 bulk strings in one buffer, as encodeArray of encodeBulkString would', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 }), { maxLength: 40 }), (values) => {
        const separately = encodeArray(values.map((value) => encodeBulkString(Buffer.from(value, 'latin1'))));
        assert.deepEqual(encodeLatin1BulkArray(values), separately);
      }),
    );
  });

  it('offers the common replies as constants', () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(Replies).map(([name, buffer]) => [name, text(buffer)])),
      {
        OK: '+OK\r\n',
        PONG: '+PONG\r\n',
        QUEUED: '+QUEUED\r\n',
        ZERO: ':0\r\n',
        ONE: ':1\r\n',
        MINUS_ONE: ':-1\r\n',
        MINUS_TWO: ':-2\r\n',
        NULL_BULK: '$-1\r\n',
        NULL_ARRAY: '*-1\r\n',
        NULL: '_\r\n',
        EMPTY_BULK: '$0\r\n\r\n',
        EMPTY_ARRAY: '*0\r\n',
        EMPTY_MAP: '%0\r\n',
        EMPTY_SET: '~0\r\n',
        TRUE: '#t\r\n',
        FALSE: '#f\r\n',
      },
    );
  });
});
