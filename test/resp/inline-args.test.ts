import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitInlineArgs } from '../../src/resp/index.js';
import { bytes, sharesMemory } from './helpers.js';

const split = (line: string) => splitInlineArgs(bytes(line))?.map((arg) => arg.toString('latin1')) ?? null;

describe('splitInlineArgs (Redis sdssplitargs)', () => {
  const cases: [string, string[] | null][] = [
    ['', []],
    ['   ', []],
    ['PING', ['PING']],
    ['SET  key\tvalue ', ['SET', 'key', 'value']],
    ['\x0b\x0cGET k', ['GET', 'k']], // leading \v and \f are blanks (isspace)...
    ['a\x0bb', ['a\x0bb']], // ...but do not end an unquoted argument
    ['a\rb', ['a', 'b']],
    ['ECHO "hello world"', ['ECHO', 'hello world']],
    ['ECHO ""', ['ECHO', '']],
    ["ECHO ''", ['ECHO', '']],
    ['"\\n\\r\\t\\b\\a\\\\\\""', ['\n\r\t\b\x07\\"']],
    ['"\\x41\\x4a\\x4A\\xff"', ['AJJ\xff']],
    ['"\\x4g\\x\\q"', ['x4gxq']], // \x without two hex digits, unknown escapes: the byte itself
    ['"\\x4"', ['x4']],
    ["'a\\'b'", ["a'b"]],
    ["'a\\nb\\x'", ['a\\nb\\x']], // only \' is an escape in single quotes
    ["'a\\\\'", null], // ...so this \' escapes the closing quote
    ['a"b c"', ['ab c']], // an argument may continue into one quoted part
    ["pre'x y'", ['prex y']],
    ['"a"\x0bb', ['a', 'b']], // \v after a closing quote is a blank
    ['"a" "b"', ['a', 'b']],
    ['"a"b', null], // closing quote must be followed by a blank or the end
    ["'a'b", null],
    ['"a""b"', null],
    ['"abc', null],
    ["'abc", null],
    ['"abc\\"', null], // the escaped quote leaves the string open
    ['"abc\\', null],
    ['a\0b c', ['a']], // sdssplitargs reads a C string: the line ends at NUL
    ['"a\0b"', null],
  ];
  for (const [line, expected] of cases) {
    it(`${JSON.stringify(line)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(split(line), expected);
    });
  }

  it('returns views of the line for unquoted arguments and copies for quoted ones', () => {
    const line = bytes('SET key "v w"');
    const args = splitInlineArgs(line)!;
    assert.ok(sharesMemory(args[0], line));
    assert.equal(args[1].byteOffset, line.byteOffset + 4);
    assert.ok(!sharesMemory(args[2], line), 'a quoted argument is a copy');
  });

  it('keeps quoted arguments apart when a line holds many of them', () => {
    assert.deepEqual(split('"aa" "b" \'ccc\' d"e"'), ['aa', 'b', 'ccc', 'de']);
  });
});
