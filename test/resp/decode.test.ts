import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeReply, RespError, RespProtocolError, RespPush, RespVerbatimString } from '../../src/resp/index.js';

const decode = (text: string, options?: Parameters<typeof decodeReply>[1]) => decodeReply(Buffer.from(text, 'latin1'), options);

describe('decodeReply', () => {
  it('decodes integers as numbers, or bigints outside the safe range', () => {
    assert.equal(decode(':9007199254740991\r\n'), 9007199254740991);
    assert.equal(decode(':9007199254740992\r\n'), 9007199254740992n);
    assert.equal(decode(':-9223372036854775808\r\n'), -9223372036854775808n);
    assert.equal(decode('(123\r\n'), 123n);
  });

  it('decodes doubles including the RESP3 special values and exponents', () => {
    assert.equal(decode(',1.5e3\r\n'), 1500);
    assert.equal(decode(',inf\r\n'), Infinity);
    assert.equal(decode(',-inf\r\n'), -Infinity);
    assert.ok(Number.isNaN(decode(',nan\r\n')));
    assert.ok(Number.isNaN(decode(',-nan\r\n')), 'Redis before 7.2 may send -nan');
    assert.equal(decode(',10\r\n'), 10);
  });

  it('returns errors as RespError values with their code', () => {
    const error = decode('-WRONGTYPE Operation against a key\r\n') as RespError;
    assert.ok(error instanceof RespError);
    assert.equal(error.code, 'WRONGTYPE');
    assert.equal(error.message, 'WRONGTYPE Operation against a key');
    const bulkError = decode('!21\r\nSYNTAX invalid syntax\r\n') as RespError;
    assert.equal(bulkError.code, 'SYNTAX');
  });

  it('returns bulk strings as views of raw by default, or as strings on request', () => {
    const raw = Buffer.from('*2\r\n$3\r\nfoo\r\n=8\r\nmkd:# hi\r\n');
    const [foo, verbatim] = decodeReply(raw) as [Buffer, RespVerbatimString];
    assert.ok(Buffer.isBuffer(foo) && foo.buffer === raw.buffer && foo.toString() === 'foo');
    assert.equal(verbatim.format, 'mkd');
    assert.deepEqual(verbatim.text, Buffer.from('# hi'));
    assert.deepEqual(decodeReply(raw, { strings: 'string' }), ['foo', new RespVerbatimString('mkd', '# hi')]);
  });

  it('decodes a HELLO 3 reply into a Map usable by key', () => {
    const hello = decode(
      '%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n',
      { strings: 'string' },
    ) as Map<string, unknown>;
    assert.equal(hello.get('server'), 'redis');
    assert.equal(hello.get('proto'), 3);
    assert.deepEqual(hello.get('modules'), []);
  });

  it('marks push frames, such as tracking invalidations', () => {
    const push = decode('>2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n') as RespPush;
    assert.ok(push instanceof RespPush);
    assert.equal(push.kind, 'invalidate');
    assert.deepEqual(push.items[1], [Buffer.from('a'), Buffer.from('b')]);
    assert.equal((decode('>2\r\n$10\r\ninvalidate\r\n_\r\n') as RespPush).items[1], null);
  });

  it('skips attributes, returning the value they annotate', () => {
    assert.deepEqual(decode('|1\r\n+ttl\r\n:5\r\n*2\r\n:1\r\n|0\r\n:2\r\n'), [1, 2]);
  });

  it('decodes RESP2 and RESP3 nulls and booleans', () => {
    assert.equal(decode('$-1\r\n'), null);
    assert.equal(decode('*-1\r\n'), null);
    assert.equal(decode('_\r\n'), null);
    assert.equal(decode('#t\r\n'), true);
    assert.equal(decode('#f\r\n'), false);
  });

  const malformed: [string, string][] = [
    ['trailing bytes', '+OK\r\n+OK\r\n'],
    ['an incomplete line', '+OK'],
    ['an incomplete aggregate', '*2\r\n:1\r\n'],
    ['a short bulk', '$5\r\nabc\r\n'],
    ['a bad boolean', '#x\r\n'],
    ['a bad integer', ':12a\r\n'],
    ['a bad double', ',1.2.3\r\n'],
    ['a bad verbatim string', '=3\r\ntxt\r\n'],
    ['bytes in a null', '_x\r\n'],
    ['an unknown type', '@\r\n'],
    ['a missing LF', '+OK\rX'],
    ['a negative map length', '%-1\r\n'],
  ];
  for (const [name, input] of malformed) {
    it(`refuses ${name}`, () => {
      assert.throws(() => decode(input), (e) => e instanceof RespProtocolError && e.code === 'invalid-reply');
    });
  }
});
