/**
 * The embedded server (startProxy with no upstream) against a real Redis, both over TCP: the
 * store's corpus (test/store/support/corpus.ts) as one pipeline, in RESP2 and after HELLO 3, then
 * cut into small writes so commands straddle reads; then what only a network front can get
 * wrong: inline commands, QUIT in the middle of a pipeline, an empty line, replies in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient, redisAndEmbedded, replyThenClose } from '../support/proxy.js';
import { compareReplies, preludeFor } from '../store/support/compare.js';
import { SCENARIOS, type Step } from '../store/support/corpus.js';
import { toArgs } from '../store/support/args.js';
import { encodeCommand } from '../../src/resp/encode.js';

const servers = redisAndEmbedded();

/** Writes `bytes` in slices of 1 to 97 bytes, each on its own event-loop turn. */
async function writeInSlices(client: RawClient, bytes: Buffer): Promise<void> {
  let size = 1;
  for (let offset = 0; offset < bytes.length; offset += size) {
    size = (size * 7 + 3) % 97 + 1;
    client.write(bytes.subarray(offset, offset + size));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Every reply to `steps`, sent as one pipeline (or in slices) on a new connection. */
async function repliesFrom(port: number, steps: Step[], sliced: boolean): Promise<Buffer[]> {
  const client = await RawClient.connect(port);
  try {
    const bytes = Buffer.concat(steps.map((s) => encodeCommand(toArgs(s.args))));
    if (sliced) await writeInSlices(client, bytes);
    else client.write(bytes);
    return await client.read(steps.length, 20_000);
  } finally {
    client.close();
  }
}

for (const [protocol, sliced] of [
  ['RESP2', false],
  ['RESP3', false],
  ['RESP2, sent in slices', true],
] as const) {
  describe(`embedded server vs redis-server over TCP, ${protocol}`, () => {
    for (const scenario of SCENARIOS) {
      it(scenario.name, async () => {
        const prelude = preludeFor(protocol === 'RESP3');
        const all = [...prelude, ...scenario.steps];
        const expected = await repliesFrom(servers.redis.port, all, false);
        const actual = await repliesFrom(servers.embedded.port, all, sliced);
        compareReplies(prelude, scenario.steps, expected, actual, protocol);
      });
    }
  });
}

describe('embedded server vs redis-server: what the network adds', () => {
  const both = async (bytes: string | Buffer, count: number) => ({
    ours: await replyThenClose(servers.embedded.port, bytes, count),
    theirs: await replyThenClose(servers.redis.port, bytes, count),
  });

  it('answers inline commands, quoted arguments and empty lines like Redis', async () => {
    const inline = 'FLUSHALL\r\n\r\nSET greeting "hello world"\r\nGET greeting\nSTRLEN greeting\r\nset k \'a\\nb\'\r\nGET k\r\nQUIT\r\n';
    const { ours, theirs } = await both(inline, 6);
    assert.equal(ours.replies.length, 6);
    assert.deepEqual(ours, theirs);
  });

  it('answers QUIT in a pipeline, ignores what follows it, and closes', async () => {
    const pipeline = Buffer.concat([
      encodeCommand(['SET', 'before-quit', '1']),
      encodeCommand(['QUIT']),
      encodeCommand(['SET', 'after-quit', '1']),
    ]);
    const { ours, theirs } = await both(pipeline, 3);
    assert.deepEqual(ours, { replies: ['+OK\r\n', '+OK\r\n'], closed: true });
    assert.deepEqual(ours, theirs);
    const check = await RawClient.connect(servers.embedded.port);
    assert.deepEqual(
      (await check.pipeline([['EXISTS', 'before-quit'], ['EXISTS', 'after-quit']])).map(String),
      [':1\r\n', ':0\r\n'],
    );
    check.close();
  });

  it('answers the commands before a protocol error, then the error, then closes', async () => {
    const bytes = `${encodeCommand(['SET', 'p', 'v']).toString('latin1')}*1\r\n$4\r\nGET p\r\n*1\r\n$x\r\n`;
    const { ours, theirs } = await both(bytes, 3);
    assert.deepEqual(ours, theirs);
    assert.equal(ours.replies[0], '+OK\r\n');
    assert.match(ours.replies.at(-1) ?? '', /^-ERR Protocol error: /);
  });

  it('keeps each connection\'s replies in request order under concurrent pipelines', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(servers.embedded.port)));
    const results = await Promise.all(
      clients.map((client, c) => client.pipeline(Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? ['SET', `order:${c}`, String(i)] : ['GET', `order:${c}`])))),
    );
    results.forEach((replies, c) => {
      replies.forEach((reply, i) => assert.equal(reply.toString('latin1'), i % 2 === 0 ? '+OK\r\n' : `$${String(i - 1).length}\r\n${i - 1}\r\n`, `client ${c} reply ${i}`));
    });
    for (const client of clients) client.close();
  });
});
