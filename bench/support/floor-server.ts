/**
 * The least a Node server does to answer redis-benchmark's GETs from the engine: the floor that
 * bench/proxy.ts (section get) times the proxy's hit path against, so each run shows how much
 * of the gap to Redis is Node's and how much is the proxy's own work.
 *
 * One engine Cache holding each key's RESP reply (as the proxy's L1 holds latin1 strings), the
 * proxy's socket layer (ClientSocket: through the handle where Node allows) and one ReplyWriter
 * per client, a chunk's complete frames answered in one write: `GET key` from the
 * cache (`$-1` when absent; upper-case GET matched by its bytes, as the proxy's scanner does
 * first), anything else (redis-benchmark's CONFIG GET at start) with an empty array. No session state, no upstream, no stats, no limits: not a server for anything but this.
 *
 * `node --import tsx bench/support/floor-server.ts KEYS VALUE_SIZE` prints its port.
 */
import net from 'node:net';
import { Cache } from '../../dist/index.js';
import { ClientSocket } from '../../dist/proxy/client-socket.js';
import { ReplyWriter } from '../../dist/proxy/reply-writer.js';

const [keys, valueSize] = process.argv.slice(2).map(Number);
if (!(keys > 0) || !(valueSize >= 0)) {
  console.error('usage: floor-server.ts KEYS VALUE_SIZE');
  process.exit(2);
}

const cache = new Cache<string, string>({ maxBytes: 1 << 30, sizeOf: (reply, key) => reply.length + key.length + 100 });
const reply = `$${valueSize}\r\n${'x'.repeat(valueSize)}\r\n`;
for (let i = 0; i < keys; i++) cache.set(`key:${String(i).padStart(12, '0')}`, reply, { ttl: 3_600_000 });

const NOT_FOUND = '$-1\r\n';
const EMPTY_ARRAY = '*0\r\n';
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
      const keyStart = length[1];
      out.push(cache.get((chunk as unknown as Latin1Sliceable).latin1Slice(keyStart, keyStart + length[0])) ?? NOT_FOUND);
      return keyStart + length[0] + 2;
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
  out.push(isGet ? (cache.get((chunk as unknown as Latin1Sliceable).latin1Slice(keyStart, pos - 2)) ?? NOT_FOUND) : EMPTY_ARRAY);
  return pos;
}

/** What `toString('latin1', start, end)` calls, without its argument checks (as the proxy does). */
interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

const server = net.createServer((socket) => {
  let rest: Buffer | undefined;
  const client: ClientSocket = new ClientSocket(socket, {
    data: (data) => {
      const chunk = rest === undefined ? data : Buffer.concat([rest, data]);
      rest = undefined;
      let at = 0;
      while (at < chunk.length) {
        const end = answerFrame(chunk, at, out);
        if (end < 0) break;
        at = end;
      }
      if (at < chunk.length) rest = Buffer.from(chunk.subarray(at));
      out.flush();
    },
    drain: () => {},
  });
  const out = new ReplyWriter(client);
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`floor listening on ${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
