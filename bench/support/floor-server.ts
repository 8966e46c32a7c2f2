/**
 * The least a Node server does to answer redis-benchmark's GETs from L1: the floor that
 * bench/proxy.ts (section get) times the proxy's hit path against, so each run shows how much
 * of the gap to Redis is Node's and how much is the proxy's own work.
 *
 * The proxy's L1 (ReplyCache: the engine, with GET replies in its arena) holding each key's RESP
 * reply, the proxy's socket layer (ClientSocket: through the handle where Node allows) and one
 * ReplyWriter per client, flushed as the proxy's are (at once, or with the turn's: turn-flush.ts):
 * `GET key` from L1's arena as the proxy's scanner does (`$-1` when absent; upper-case GET
 * matched by its bytes), anything else (redis-benchmark's CONFIG GET at start) with an empty
 * array. No session state, no upstream, no stats, no limits: not a server for anything but this.
 *
 * `node --import tsx bench/support/floor-server.ts KEYS VALUE_SIZE` prints its port.
 */
import net from 'node:net';
import { ClientSocket } from '../../dist/proxy/client-socket.js';
import { getVariantNumber, getVariantOf, ReplyCache, variantPrefix } from '../../dist/proxy/reply-cache.js';
import { ReplyWriter } from '../../dist/proxy/reply-writer.js';
import { flushAtTurnEnd } from '../../dist/proxy/turn-flush.js';

const [keys, valueSize] = process.argv.slice(2).map(Number);
if (!(keys > 0) || !(valueSize >= 0)) {
  console.error('usage: floor-server.ts KEYS VALUE_SIZE');
  process.exit(2);
}

const GET = getVariantOf(variantPrefix('default', 2));
const GET_NUMBER = getVariantNumber(GET);
const cache = new ReplyCache({ maxBytes: 1 << 30, ttl: 3_600_000 });
const reply = Buffer.from(`$${valueSize}\r\n${'x'.repeat(valueSize)}\r\n`);
for (let i = 0; i < keys; i++) cache.put(0, `key:${String(i).padStart(12, '0')}`, GET, reply);

const NOT_FOUND = Buffer.from('$-1\r\n');
const EMPTY_ARRAY = Buffer.from('*0\r\n');
const CR = 0x0d;

/** The decimal number at `at` up to CR, and where its CRLF ends; undefined when not all there. */
function numberAt(chunk: Buffer, at: number): [value: number, next: number] | undefined {
  let value = 0;
  let i = at;
  for (; i < chunk.length && chunk[i] !== CR; i++) value = value * 10 + (chunk[i] - 0x30);
  return i + 1 < chunk.length ? [value, i + 2] : undefined;
}

const GET_PREFIX = Buffer.from('*2\r\n$3\r\nGET\r\n$');

/** Answers the multibulk frame at `at`; returns where it ends, or -1 when it is not complete. */
function answerFrame(chunk: Buffer, at: number, out: ReplyWriter): number {
  if (chunk.length - at > GET_PREFIX.length) {
    let i = 0;
    while (i < GET_PREFIX.length && chunk[at + i] === GET_PREFIX[i]) i++;
    if (i === GET_PREFIX.length) {
      const length = numberAt(chunk, at + i);
      if (length === undefined || length[1] + length[0] + 2 > chunk.length) return -1;
      answerGet(chunk, length[1], length[0], out);
      return length[1] + length[0] + 2;
    }
  }
  const header = numberAt(chunk, at + 1);
  if (header === undefined) return -1;
  const count = header[0];
  let pos = header[1];
  let isGet = count === 2;
  let keyStart = 0;
  for (let arg = 0; arg < count; arg++) {
    const bulk = numberAt(chunk, pos + 1);
    if (bulk === undefined || bulk[1] + bulk[0] + 2 > chunk.length) return -1;
    if (arg === 0) isGet &&= bulk[0] === 3 && (chunk[bulk[1]] | 0x20) === 0x67;
    keyStart = bulk[1];
    pos = bulk[1] + bulk[0] + 2;
  }
  if (isGet) answerGet(chunk, keyStart, pos - 2 - keyStart, out);
  else out.push(EMPTY_ARRAY);
  return pos;
}

function answerGet(chunk: Buffer, keyStart: number, keyLength: number, out: ReplyWriter): void {
  const ref = cache.findInArena(chunk, keyStart, keyLength, 0, GET_NUMBER);
  if (ref < 0) {
    out.push(NOT_FOUND);
    return;
  }
  const arena = cache.arena;
  out.pushBytes(arena.bytesOf(ref), arena.replyStart(ref), arena.replyLength(ref));
  cache.countArenaHit(ref);
}

const server = net.createServer((socket) => {
  let rest: Buffer | undefined;
  const client: ClientSocket = new ClientSocket(socket, {
    data: (data) => {
      const chunk = rest === undefined ? data : Buffer.concat([rest, data]);
      rest = undefined;
      let at = 0;
      let frames = 0;
      while (at < chunk.length) {
        const end = answerFrame(chunk, at, out);
        if (end < 0) break;
        at = end;
        frames++;
      }
      if (at < chunk.length) rest = Buffer.from(chunk.subarray(at));
      // As ClientConnection.finishInput: one command's reply at once, a pipeline's with the turn's.
      if (frames <= 1) out.flush();
      else if (!flushQueued) {
        flushQueued = true;
        flushAtTurnEnd(turn);
      }
    },
    drain: () => {},
    end: () => client.end(),
  });
  const out = new ReplyWriter(client);
  let flushQueued = false;
  const turn = {
    flushTurn: () => {
      flushQueued = false;
      out.flush();
    },
    destroy: () => socket.destroy(),
  };
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`floor listening on ${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
