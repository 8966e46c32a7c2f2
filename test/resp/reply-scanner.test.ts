import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ReplyScanner, RespProtocolError, RespType } from '../../src/resp/index.js';
import { byteByByte, bytes, scanChunks, sharesMemory, splitAt } from './helpers.js';
import { encodeModel, model, typeByte } from './reply-model.js';

/** One reply of every type, RESP2 and RESP3, each with the type it must be reported as. */
const REPLIES: [string, number][] = [
  ['+OK\r\n', RespType.SimpleString],
  ['-ERR unknown command\r\n', RespType.Error],
  [':-42\r\n', RespType.Integer],
  ['$5\r\nhe\r\no\r\n', RespType.BulkString],
  ['$0\r\n\r\n', RespType.BulkString],
  ['$-1\r\n', RespType.BulkString],
  ['*-1\r\n', RespType.Array],
  ['*0\r\n', RespType.Array],
  ['_\r\n', RespType.Null],
  [',3.14\r\n', RespType.Double],
  [',-inf\r\n', RespType.Double],
  ['#t\r\n', RespType.Boolean],
  ['!21\r\nSYNTAX invalid syntax\r\n', RespType.BulkError],
  ['=15\r\ntxt:Some string\r\n', RespType.VerbatimString],
  ['(3492890328409238509324850943850943825024385\r\n', RespType.BigNumber],
  ['*3\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n%0\r\n', RespType.Array],
  ['%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n*1\r\n~1\r\n#f\r\n', RespType.Map],
  ['~2\r\n$1\r\na\r\n$1\r\nb\r\n', RespType.Set],
  ['>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n', RespType.Push],
  ['>2\r\n$10\r\ninvalidate\r\n_\r\n', RespType.Push],
  ['*2\r\n|1\r\n+ttl\r\n:5\r\n$1\r\nv\r\n:2\r\n', RespType.Array], // attribute on an element
  ['|1\r\n$8\r\nkey-info\r\n*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n*0\r\n', RespType.Array], // attribute with an attribute inside its value
];
const STREAM = REPLIES.map(([raw]) => raw).join('');

function assertScansAll(chunks: Buffer[]): void {
  const replies = scanChunks(chunks);
  assert.deepEqual(
    replies.map((r) => [r.raw.toString('latin1'), r.type]),
    REPLIES,
  );
}

describe('ReplyScanner', () => {
  it('frames one reply of every type', () => {
    assertScansAll([bytes(STREAM)]);
  });

  it('frames them the same whatever single split point divides the stream', () => {
    const stream = bytes(STREAM);
    for (let cut = 0; cut <= stream.length; cut++) assertScansAll(splitAt(stream, [cut]));
  });

  it('frames them fed byte by byte', () => {
    assertScansAll(byteByByte(bytes(STREAM)));
  });

  it('returns views of the chunk for replies that arrived in one', () => {
    const chunk = bytes('+OK\r\n$3\r\nabc\r\n');
    const replies = scanChunks([chunk]);
    assert.equal(replies.length, 2);
    for (const reply of replies) assert.ok(sharesMemory(reply.raw, chunk));
  });

  it('attaches top-level attributes to the reply they annotate', () => {
    const attribute = '|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.1923\r\n';
    const [reply] = scanChunks([bytes(`${attribute}*2\r\n:2039123\r\n:9543892\r\n`)]);
    assert.equal(reply.type, RespType.Array);
    assert.equal(reply.valueOffset, attribute.length);
    assert.equal(reply.raw.subarray(reply.valueOffset).toString(), '*2\r\n:2039123\r\n:9543892\r\n');
  });

  it('follows chained attributes to the reply', () => {
    const attributes = '|1\r\n+a\r\n+b\r\n|0\r\n';
    const [reply] = scanChunks([bytes(`${attributes}:7\r\n`)]);
    assert.equal(reply.type, RespType.Integer);
    assert.equal(reply.valueOffset, attributes.length);
  });

  it('reports valueOffset 0 without a top-level attribute, where the reply starts with one', () => {
    for (const reply of scanChunks([bytes(STREAM)])) {
      const attributed = reply.raw[0] === RespType.Attribute;
      assert.equal(reply.valueOffset, attributed ? reply.raw.lastIndexOf('*0\r\n') : 0);
    }
  });

  it('tells push frames from replies, interleaved', () => {
    const replies = scanChunks([bytes('>2\r\n+message\r\n+x\r\n+OK\r\n>1\r\n+pong\r\n:1\r\n')]);
    assert.deepEqual(
      replies.map((r) => r.type === RespType.Push),
      [true, false, true, false],
    );
  });

  it('copies a reply spanning chunks once', () => {
    const [a, b] = splitAt(bytes('*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n+OK\r\n'), [9]);
    const scanner = new ReplyScanner();
    scanner.feed(a);
    assert.equal(scanner.next(), undefined);
    assert.equal(scanner.bufferedBytes, 9);
    scanner.feed(b);
    const spanning = scanner.next()!;
    assert.equal(spanning.raw.toString(), '*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n');
    assert.ok(!sharesMemory(spanning.raw, a) && !sharesMemory(spanning.raw, b));
    assert.ok(sharesMemory(scanner.next()!.raw, b));
    assert.equal(scanner.next(), undefined);
  });

  it('skips big bulk payloads by length', () => {
    const payload = Buffer.alloc(1_000_000, 0x0d); // CRs inside the payload must not matter
    const stream = Buffer.concat([bytes(`$${payload.length}\r\n`), payload, bytes('\r\n:1\r\n')]);
    const replies = scanChunks(splitAt(stream, [5, 500_000, 999_999]));
    assert.equal(replies.length, 2);
    assert.equal(replies[0].raw.length, stream.length - 4);
  });

  it('takeBuffered hands back what was not returned and restarts at a reply boundary', () => {
    const scanner = new ReplyScanner();
    scanner.feed(bytes('+OK\r\n*2\r\n:1\r\n'));
    assert.ok(scanner.next());
    assert.equal(scanner.next(), undefined);
    assert.equal(scanner.takeBuffered().toString(), '*2\r\n:1\r\n');
    scanner.feed(bytes(':5\r\n'));
    assert.equal(scanner.next()!.raw.toString(), ':5\r\n');
  });

  const malformed: [string, string][] = [
    ['an unknown type byte', '@oops\r\n'],
    ['a streamed string', '$?\r\n;4\r\nHell\r\n;0\r\n'],
    ['a negative map length', '%-1\r\n'],
    ['a null set', '~-1\r\n'],
    ['a bulk length below -1', '$-2\r\n'],
    ['letters in a length', '*x\r\n'],
    ['a header without LF', '$3\rabc\r\n'],
    ['a simple string without LF', '+OK\rX'],
    ['bulk data not followed by CR LF', '$3\r\nabcd\r\n'],
    ['an error inside an aggregate', '*2\r\n:1\r\n@\r\n'],
  ];
  for (const [name, input] of malformed) {
    it(`refuses ${name} and stays dead`, () => {
      for (const chunks of [[bytes(input)], byteByByte(bytes(input))]) {
        const scanner = new ReplyScanner();
        let error: unknown;
        try {
          for (const chunk of chunks) {
            scanner.feed(chunk);
            while (scanner.next() !== undefined);
          }
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof RespProtocolError && error.code === 'invalid-reply', `${name}: ${error}`);
        assert.throws(() => scanner.next(), (e) => e === error);
      }
    });
  }

  it('frames any RESP2 or RESP3 replies, split into chunks anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(model, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(2 as const, 3 as const),
        fc.array(fc.nat(), { maxLength: 8 }),
        (models, version, cutSeeds) => {
          const encoded = models.map((m) => encodeModel(m, version));
          const stream = Buffer.concat(encoded);
          const cuts = [...new Set(cutSeeds.map((seed) => seed % (stream.length + 1)))].sort((a, b) => a - b);
          const replies = scanChunks(splitAt(stream, cuts));
          assert.equal(replies.length, models.length);
          replies.forEach((reply, i) => {
            assert.deepEqual(reply.raw, encoded[i]);
            assert.equal(reply.type, typeByte(models[i], version));
          });
        },
      ),
      { numRuns: 400 },
    );
  });
});
