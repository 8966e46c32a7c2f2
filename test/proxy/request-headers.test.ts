/**
 * The proxy reads `*N` and `$N` header lines exactly as Redis does: random headers (leading zeros,
 * signs, spaces, overflow, empty, past proto-max-bulk-len; NUL bytes) are sent to the proxy and to Redis, and
 * each must answer the same bytes and close (or not) the same way. The `$N` headers go in a
 * `GET key` frame, the shape the proxy's hit path reads by hand, for a key L1 holds: a header
 * Redis refuses must not be answered from L1.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startProxyOverRedis, RawClient, type ProxyUnderTest } from '../support/proxy.js';

/** Every byte `bytes` gets back until the server closes the connection or sends `+PONG` (the sentinel after the frame). */
function exchange(port: number, bytes: Buffer): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    // Only reached when a server waits for more bytes: both must then be waiting.
    const timer = setTimeout(() => finish(false), 3000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, closed });
    };
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith('+PONG\r\n')) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', reject);
  });
}

/** A number line as a client might mangle it: signs, zeros, spaces, letters, huge or empty. */
const numberText = fc.oneof(
  fc.integer({ min: -3, max: 8 }).map(String),
  fc.tuple(
    fc.constantFrom('', '+', '-', ' ', '0', '00', '-0', '+0'),
    fc.integer({ min: 0, max: 8 }).map(String),
    fc.constantFrom('', ' ', '0', 'x', '\t'),
  ).map(([prefix, digits, suffix]) => `${prefix}${digits}${suffix}`),
  fc.constantFrom('', '-', '+', ' ', '536870912', '536870913', '2147483647', '2147483648', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '18446744073709551616', '00000000000000000004'),
  fc.stringMatching(/^[-+ 0-9]{1,22}$/),
);

/** The bytes a lenient reader would take `text` to announce (at most 8), so that such a reader is caught answering. */
function lenientLength(text: string): number {
  const digits = Number.parseInt(text.replace(/[^0-9]/g, '') || '4', 10);
  return Math.min(8, Number.isFinite(digits) ? digits : 4);
}

/** Whether Redis would wait for a body too big to send here (a valid length between 9 and the limit). */
function waitsForBigBody(text: string, limit: number): boolean {
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return false;
  const value = Number(text);
  return value > 8 && value <= limit;
}

describe('request headers: accepted and refused exactly as Redis does', () => {
  let env: ProxyUnderTest;
  before(async () => {
    env = await startProxyOverRedis();
    const client = await RawClient.connect(env.port);
    for (let n = 0; n <= 8; n++) {
      await client.call('SET', 'k'.repeat(n), `value-${n}`);
      // Twice through the proxy: the second read is an L1 hit from then on.
      await client.call('GET', 'k'.repeat(n));
      await client.call('GET', 'k'.repeat(n));
    }
    client.close();
  });
  after(async () => {
    await env.stop();
  });

  it('answers `$00004` in a GET as Redis does, not from L1', async () => {
    const frame = Buffer.from('*2\r\n$3\r\nGET\r\n$00004\r\nkkkk\r\nPING\r\n');
    const ours = await exchange(env.port, frame);
    assert.deepEqual(ours, await exchange(env.redis.port, frame));
    assert.deepEqual(ours, { reply: '-ERR Protocol error: invalid bulk length\r\n', closed: true });
  });

  it('a NUL byte in a header or inline line: the line does not end, and is refused once too long', async () => {
    // Redis finds line ends with strchr, which stops at a NUL: it waits for more, up to 64 KB.
    const tail = 'x'.repeat(70_000);
    for (const head of ['*1\0\r\n$4\r\nPING\r\n', '*2\r\n$3\r\nGET\r\n$4\0\r\nkkkk\r\n', 'GET kk\0kk\r\nPING\r\n']) {
      const frame = Buffer.from(head + tail, 'latin1');
      const ours = await exchange(env.port, frame);
      assert.deepEqual(ours, await exchange(env.redis.port, frame), JSON.stringify(head));
      assert.match(ours.reply, /^-ERR Protocol error: too big (mbulk count string|bulk count string|inline request)\r\n$/);
    }
  });

  it('bulk lengths of a GET', async () => {
    await fc.assert(
      fc.asyncProperty(numberText, async (text) => {
        fc.pre(!waitsForBigBody(text, 512 * 1024 * 1024));
        const frame = Buffer.from(`*2\r\n$3\r\nGET\r\n$${text}\r\n${'k'.repeat(lenientLength(text))}\r\nPING\r\n`, 'latin1');
        assert.deepEqual(await exchange(env.port, frame), await exchange(env.redis.port, frame), JSON.stringify(text));
      }),
      { numRuns: 150 },
    );
  });

  it('argument counts', async () => {
    await fc.assert(
      fc.asyncProperty(numberText, async (text) => {
        fc.pre(!waitsForBigBody(text, 2 ** 31 - 1));
        const count = /^-?[0-9]+$/.test(text) ? Math.max(0, Math.min(8, Number(text))) : 2;
        // ECHO with `count` arguments: Redis answers (an arity error unless there are two), then PING.
        const args = ['ECHO', ...Array.from({ length: Math.max(0, count - 1) }, (_, i) => `a${i}`)].slice(0, count);
        const body = args.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
        const frame = Buffer.from(`*${text}\r\n${body}PING\r\n`, 'latin1');
        assert.deepEqual(await exchange(env.port, frame), await exchange(env.redis.port, frame), JSON.stringify(text));
      }),
      { numRuns: 150 },
    );
  });
});
