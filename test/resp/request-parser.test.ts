import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeCommand, RequestParser, RespProtocolError } from '../../src/resp/index.js';
import { byteByByte, bytes, parseChunks, parseError, sharesMemory, splitAt } from './helpers.js';

const GET = '*2\r\n$3\r\nGET\r\n$7\r\nkey:123\r\n';

/** A stream mixing every kind of frame, including ones Redis skips. */
const MIXED = [
  GET,
  'PING\r\n',
  '\r\n', // empty inline line: skipped
  '*0\r\n', // empty multibulk: skipped
  '*-1\r\n', // negative count: skipped
  '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\nb\0c\r\n', // binary-safe bulk
  'ECHO "hi there" \'x\'\n', // LF-only inline line with quotes
  '*1\r\n$0\r\n\r\n', // empty argument
  '   \r\n', // blank inline line: skipped
  '*2\r\n$4\r\nECHO\r\n$12\r\n123456789012\r\n',
].join('');

const MIXED_COMMANDS = [
  { args: ['GET', 'key:123'], raw: GET },
  { args: ['PING'], raw: 'PING\r\n' },
  { args: ['SET', 'k', 'a\r\nb\0c'], raw: '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\nb\0c\r\n' },
  { args: ['ECHO', 'hi there', 'x'], raw: 'ECHO "hi there" \'x\'\n' },
  { args: [''], raw: '*1\r\n$0\r\n\r\n' },
  { args: ['ECHO', '123456789012'], raw: '*2\r\n$4\r\nECHO\r\n$12\r\n123456789012\r\n' },
];

function assertProtocolError(chunks: Buffer[], message: string, options?: ConstructorParameters<typeof RequestParser>[0]) {
  const error = parseError(chunks, options);
  assert.ok(error instanceof RespProtocolError, `expected "${message}", got ${error}`);
  assert.equal(error.message, message);
}

describe('RequestParser: framing', () => {
  it('parses one multibulk command into views of the received chunk', () => {
    const chunk = bytes(GET);
    const parser = new RequestParser();
    parser.feed(chunk);
    const command = parser.next()!;
    assert.deepEqual(command.args.map(String), ['GET', 'key:123']);
    assert.deepEqual(command.raw, chunk);
    assert.ok(sharesMemory(command.raw, chunk));
    for (const arg of command.args) assert.ok(sharesMemory(arg, chunk), 'zero-copy argument');
    assert.equal(parser.next(), undefined);
    assert.equal(parser.bufferedBytes, 0);
  });

  it('returns undefined before anything is fed', () => {
    assert.equal(new RequestParser().next(), undefined);
  });

  it('parses a 16-command pipeline in one chunk without copying any of it', () => {
    const chunk = bytes(GET.repeat(16));
    const parser = new RequestParser();
    parser.feed(chunk);
    for (let i = 0; i < 16; i++) {
      const command = parser.next()!;
      assert.deepEqual(command.args.map(String), ['GET', 'key:123']);
      assert.equal(command.raw.byteOffset, chunk.byteOffset + i * GET.length);
      assert.equal(command.raw.length, GET.length);
      assert.ok(command.args.every((arg) => sharesMemory(arg, command.raw)));
    }
    assert.equal(parser.next(), undefined);
  });

  it('parses every kind of frame, skipping the ones Redis skips', () => {
    assert.deepEqual(parseChunks([bytes(MIXED)]), MIXED_COMMANDS);
  });

  it('parses the same commands whatever single split point divides the stream', () => {
    const stream = bytes(MIXED);
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(parseChunks(splitAt(stream, [cut])), MIXED_COMMANDS, `split at ${cut}`);
    }
  });

  it('parses the same commands fed byte by byte', () => {
    assert.deepEqual(parseChunks(byteByByte(bytes(MIXED))), MIXED_COMMANDS);
  });

  it('parses the same commands for every pair of split points of a smaller stream', () => {
    const stream = bytes(`${GET}PING\r\n*0\r\n*1\r\n$2\r\nab\r\n`);
    const expected = parseChunks([stream]);
    assert.equal(expected.length, 3);
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        assert.deepEqual(parseChunks(splitAt(stream, [a, b])), expected, `split at ${a}, ${b}`);
      }
    }
  });

  it('parses chunks fed before next() is called', () => {
    const stream = bytes(MIXED);
    const parser = new RequestParser();
    for (const chunk of splitAt(stream, [3, 50, 51, 90])) parser.feed(chunk);
    const args: string[][] = [];
    for (let command = parser.next(); command; command = parser.next()) args.push(command.args.map((a) => a.toString('latin1')));
    assert.deepEqual(args, MIXED_COMMANDS.map((c) => c.args));
  });

  it('copies a command that spans chunks once, its arguments being views of that copy', () => {
    const stream = bytes(`*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n${GET}`);
    const [first, second] = splitAt(stream, [12]);
    const parser = new RequestParser();
    parser.feed(first);
    assert.equal(parser.next(), undefined);
    assert.equal(parser.bufferedBytes, 12);
    parser.feed(second);
    const spanning = parser.next()!;
    assert.equal(spanning.raw.toString(), '*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n');
    assert.ok(!sharesMemory(spanning.raw, first) && !sharesMemory(spanning.raw, second));
    assert.ok(spanning.args.every((arg) => sharesMemory(arg, spanning.raw)));
    const next = parser.next()!;
    assert.ok(sharesMemory(next.raw, second), 'the command after it is a view again');
  });

  it('does not check the two bytes after a bulk argument, as Redis does not', () => {
    // redis-server 7.0.15 answers "$3 foo" then "+PONG" to this.
    assert.deepEqual(parseChunks([bytes('*2\r\n$4\r\nECHO\r\n$3\r\nfooXYPING\r\n')]), [
      { args: ['ECHO', 'foo'], raw: '*2\r\n$4\r\nECHO\r\n$3\r\nfooXY' },
      { args: ['PING'], raw: 'PING\r\n' },
    ]);
  });

  it('keeps empty quoted inline arguments and drops nothing else', () => {
    assert.deepEqual(parseChunks([bytes('ECHO ""\r\n')]), [{ args: ['ECHO', ''], raw: 'ECHO ""\r\n' }]);
  });

  it('skips negative multibulk counts down to the long long minimum', () => {
    assert.deepEqual(parseChunks([bytes('*-9223372036854775808\r\n*-5\r\nPING\r\n')]).map((c) => c.args), [['PING']]);
  });

  it('handles a big bulk argument arriving in many chunks', () => {
    const value = Buffer.alloc(300_000, 0x61);
    const stream = encodeCommand(['SET', 'big', value]);
    const chunks = splitAt(stream, Array.from({ length: 40 }, (_, i) => (i + 1) * 7000));
    const parser = new RequestParser();
    let command;
    for (const chunk of chunks) {
      parser.feed(chunk);
      command ??= parser.next();
    }
    assert.ok(command);
    assert.ok(command.args[2].equals(value));
    assert.ok(command.raw.equals(stream));
  });

  it('takeBuffered hands back the unparsed bytes and restarts at a command boundary', () => {
    const parser = new RequestParser();
    parser.feed(bytes(`${GET}*2\r\n$3\r\nGE`));
    assert.ok(parser.next());
    assert.equal(parser.next(), undefined);
    parser.feed(bytes('T\r\n'));
    assert.equal(parser.takeBuffered().toString(), '*2\r\n$3\r\nGET\r\n');
    assert.equal(parser.bufferedBytes, 0);
    parser.feed(bytes('PING\r\n'));
    assert.deepEqual(parser.next()!.args.map(String), ['PING']);
  });
});

describe('RequestParser: protocol errors (worded as Redis 7 words them)', () => {
  const cases: [string, string, string][] = [
    ['letters in the count', '*abc\r\n', 'Protocol error: invalid multibulk length'],
    ['a leading zero', '*01\r\n', 'Protocol error: invalid multibulk length'],
    ['a plus sign', '*+1\r\n', 'Protocol error: invalid multibulk length'],
    ['an empty count', '*\r\n', 'Protocol error: invalid multibulk length'],
    ['-0', '*-0\r\n', 'Protocol error: invalid multibulk length'],
    ['a space', '*1 \r\n', 'Protocol error: invalid multibulk length'],
    ['a count over INT_MAX (Redis 7)', '*2147483648\r\n', 'Protocol error: invalid multibulk length'],
    ['a count below the long long minimum', '*-9223372036854775809\r\n', 'Protocol error: invalid multibulk length'],
    ['a 20-digit count', '*12345678901234567890\r\n', 'Protocol error: invalid multibulk length'],
    ['a negative bulk length', '*1\r\n$-1\r\n', 'Protocol error: invalid bulk length'],
    ['a bulk length with a leading zero', '*1\r\n$01\r\n', 'Protocol error: invalid bulk length'],
    ['a bulk length over 512 MiB', '*1\r\n$536870913\r\n', 'Protocol error: invalid bulk length'],
    ['letters in a bulk length', '*1\r\n$x\r\n', 'Protocol error: invalid bulk length'],
    ['an empty bulk length', '*1\r\n$\r\n', 'Protocol error: invalid bulk length'],
    ['another type where a bulk belongs', '*1\r\nXY\r\n', "Protocol error: expected '$', got 'X'"],
    ['an integer among the arguments', '*2\r\n$3\r\nGET\r\n:1\r\n', "Protocol error: expected '$', got ':'"],
    ['an empty line where a bulk belongs (CR shown as a space)', '*1\r\n\r\n', "Protocol error: expected '$', got ' '"],
    ['an unterminated double quote', 'ECHO "abc\r\n', 'Protocol error: unbalanced quotes in request'],
    ['a closing quote followed by a letter', "ECHO 'a'b\r\n", 'Protocol error: unbalanced quotes in request'],
  ];
  for (const [name, input, message] of cases) {
    it(`${name}: ${JSON.stringify(input)}`, () => {
      assertProtocolError([bytes(input)], message);
      assertProtocolError(byteByByte(bytes(input)), message);
    });
  }

  it('gives the error a code and leaves the parser dead', () => {
    const parser = new RequestParser();
    parser.feed(bytes(`${GET}*1\r\n$-1\r\n${GET}`));
    assert.ok(parser.next());
    let thrown: unknown;
    assert.throws(() => parser.next(), (error) => {
      thrown = error;
      return error instanceof RespProtocolError && error.code === 'invalid-bulk-length';
    });
    assert.equal(parser.error, thrown);
    parser.feed(bytes(GET));
    assert.throws(() => parser.next(), (error) => error === thrown, 'rethrows the same error');
    assert.equal(parser.bufferedBytes, 0);
  });

  it('waits for the full header line before judging it, as Redis does', () => {
    const parser = new RequestParser();
    parser.feed(bytes('*1\r\nX'));
    assert.equal(parser.next(), undefined, 'no verdict on the type byte before the CR');
    parser.feed(bytes('\r'));
    assert.equal(parser.next(), undefined, 'nor before the byte after the CR');
    parser.feed(bytes('\n'));
    assert.throws(() => parser.next(), /expected '\$', got 'X'/);
  });
});

describe('RequestParser: a NUL byte hides the line end, as Redis\'s strchr does', () => {
  const TAIL = 'x'.repeat(100);
  for (const [where, head, error] of [
    ['a count line', '*1\0\r\n$4\r\nPING\r\n', 'Protocol error: too big mbulk count string'],
    ['a bulk length line', '*1\r\n$4\0\r\nPING\r\n', 'Protocol error: too big bulk count string'],
    ['a bulk length line starting with it', '*1\r\n\0$4\r\nPING\r\n', 'Protocol error: too big bulk count string'],
    ['an inline line', 'PI\0NG\r\nPING\r\n', 'Protocol error: too big inline request'],
  ]) {
    it(`in ${where}: waits past the line end, then refuses the line as too long`, () => {
      assert.deepEqual(parseChunks([bytes(head)]), [], 'no command, no error yet');
      assert.equal(parseError([bytes(head)]), undefined);
      // Fed whole or byte by byte, the line only ends by growing past the limit.
      for (const chunks of [[bytes(head + TAIL)], byteByByte(bytes(head + TAIL))]) assertProtocolError(chunks, error, { maxInlineLength: 64 });
    });
  }

  it('in an inline line after the line end: the line is an ordinary command', () => {
    assert.deepEqual(parseChunks([bytes('PING\r\nPI\0')]).map((c) => c.args), [['PING']]);
  });
});

describe('RequestParser: limits', () => {
  const K64 = 64 * 1024;

  it('accepts an inline line of exactly maxInlineLength bytes and refuses one more', () => {
    const line = `ECHO ${'a'.repeat(K64 - 5)}`;
    assert.equal(parseChunks([bytes(`${line}\r\n`)])[0].args[1].length, K64 - 5);
    assertProtocolError([bytes(`${line}a\r\n`)], 'Protocol error: too big inline request');
    assertProtocolError(byteByByte(bytes(`${line}a\n`)), 'Protocol error: too big inline request');
  });

  it('refuses an unterminated inline line once it passes the limit', () => {
    const parser = new RequestParser();
    parser.feed(bytes('a'.repeat(K64)));
    parser.feed(bytes('\r'));
    assert.equal(parser.next(), undefined, 'the byte past the limit may be the CR');
    parser.feed(bytes('a'));
    assert.throws(() => parser.next(), /too big inline request/);
  });

  it('refuses a count line longer than the limit, before its CR arrives', () => {
    const parser = new RequestParser();
    parser.feed(bytes(`*${'1'.repeat(K64 - 1)}`));
    assert.equal(parser.next(), undefined);
    parser.feed(bytes('1'));
    assert.throws(() => parser.next(), (e) => e instanceof RespProtocolError && e.message === 'Protocol error: too big mbulk count string');
  });

  it('refuses a bulk length line longer than the limit, before checking its type byte', () => {
    assertProtocolError([bytes(`*1\r\n${'X'.repeat(70_000)}`)], 'Protocol error: too big bulk count string');
    assertProtocolError([bytes(`*2\r\n$4\r\nECHO\r\n$${'1'.repeat(K64)}`)], 'Protocol error: too big bulk count string');
  });

  it('applies maxInlineLength to header lines too', () => {
    assertProtocolError([bytes('*100\r\n')], 'Protocol error: too big mbulk count string', { maxInlineLength: 3 });
    assertProtocolError([bytes('*1\r\n$1000\r\n')], 'Protocol error: too big bulk count string', { maxInlineLength: 4 });
    assert.equal(parseChunks([bytes('*1\r\n$3\r\nabc\r\n')], { maxInlineLength: 2 }).length, 1);
  });

  it('applies maxBulkLength and maxMultibulkLength', () => {
    assert.equal(parseChunks([bytes('*1\r\n$4\r\nabcd\r\n')], { maxBulkLength: 4 }).length, 1);
    assertProtocolError([bytes('*1\r\n$5\r\nabcde\r\n')], 'Protocol error: invalid bulk length', { maxBulkLength: 4 });
    assert.equal(parseChunks([bytes('*2\r\n$1\r\na\r\n$1\r\nb\r\n')], { maxMultibulkLength: 2 }).length, 1);
    assertProtocolError([bytes('*3\r\n')], 'Protocol error: invalid multibulk length', { maxMultibulkLength: 2 });
  });

  it('accepts the default limits exactly', () => {
    for (const header of ['*2147483647\r\n', '*1\r\n$536870912\r\n']) {
      const parser = new RequestParser();
      parser.feed(bytes(header));
      assert.equal(parser.next(), undefined);
      assert.equal(parser.error, undefined);
    }
  });

  it('refuses an incomplete command that buffers more than maxQueryBuffer bytes', () => {
    const options = { maxQueryBuffer: 100 };
    const parser = new RequestParser(options);
    parser.feed(bytes('*2\r\n$3\r\nSET\r\n$200\r\n'));
    parser.feed(bytes('a'.repeat(50)));
    assert.equal(parser.next(), undefined);
    parser.feed(bytes('a'.repeat(50)));
    assert.throws(() => parser.next(), (e) => e instanceof RespProtocolError && e.code === 'query-buffer-limit');
    // Only the incomplete command counts: complete ones are handed out, whatever their size.
    assert.equal(parseChunks([encodeCommand(['SET', 'k', 'v'.repeat(500)])], options).length, 1);
  });

  it('rejects invalid limits', () => {
    assert.throws(() => new RequestParser({ maxBulkLength: -1 }), RangeError);
    assert.throws(() => new RequestParser({ maxQueryBuffer: 1.5 }), RangeError);
  });
});

describe('RequestParser: property', () => {
  const arg = fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes));
  /** Inline arguments: quoted with \xHH escapes, so any bytes survive the round trip. */
  const inlineQuoted = (args: Buffer[]) =>
    `${args.map((a) => `"${[...a].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}"`).join(' ')}\r\n`;
  const command = fc.oneof(
    { weight: 4, arbitrary: fc.array(arg, { minLength: 1, maxLength: 6 }).map((args) => ({ args, raw: encodeCommand(args) })) },
    { weight: 1, arbitrary: fc.array(arg, { minLength: 1, maxLength: 4 }).map((args) => ({ args, raw: bytes(inlineQuoted(args)) })) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.stringMatching(/^[A-Za-z0-9:_-]{1,8}$/), { minLength: 1, maxLength: 4 })
        .map((words) => ({ args: words.map((w) => bytes(w)), raw: bytes(`${words.join(' ')}\n`) })),
    },
  );
  const skipped = fc.constantFrom('\r\n', '\n', '*0\r\n', '*-1\r\n', '  \t\r\n');

  it('parses any commands, split into chunks anywhere, back to their arguments and raw bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(command, fc.option(skipped, { nil: undefined })), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (commands, cutSeeds) => {
          const stream = Buffer.concat(commands.flatMap(([c, noise]) => (noise ? [c.raw, bytes(noise)] : [c.raw])));
          const cuts = [...new Set(cutSeeds.map((seed) => seed % (stream.length + 1)))].sort((a, b) => a - b);
          const parser = new RequestParser();
          const parsed: { args: Buffer[]; raw: Buffer }[] = [];
          for (const chunk of splitAt(stream, cuts)) {
            parser.feed(chunk);
            for (let c = parser.next(); c; c = parser.next()) parsed.push(c);
          }
          assert.equal(parsed.length, commands.length);
          parsed.forEach((c, i) => {
            assert.deepEqual(c.args, commands[i][0].args);
            assert.deepEqual(c.raw, commands[i][0].raw);
          });
          assert.equal(parser.bufferedBytes, 0);
        },
      ),
      { numRuns: 400 },
    );
  });
});
