/**
 * An application in front of a TieredCache, for the staleness bench: a process of its own that
 * answers `GET <key>` (RESP, one command per read, as the bench's readers send it) with the
 * cache's value of `<key>` without its namespace, read in the callback of the request's input.
 * `--defer`: read in a setImmediate instead, after every socket of the turn was read.
 * Prints `listening on <port>` once the cache's tracking is up.
 * Usage: tiered-server.ts <redis url> <namespace> [--defer]
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TieredCache } from '../../src/index.js';

const [url, namespace] = process.argv.slice(2);
const defer = process.argv.includes('--defer');
const cache = new TieredCache<number>({ redis: url, namespace, l1: { maxEntries: 1000 } });
while (cache.invalidationState !== 'connected') await sleep(10);

const prefix = `${namespace}:`;
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  const answer = (key: string) => {
    cache.get(key).then(
      (value) => {
        const text = value === undefined ? '' : String(value);
        socket.write(`$${text.length}\r\n${text}\r\n`);
      },
      () => socket.destroy(),
    );
  };
  socket.on('data', (chunk: Buffer) => {
    // `*2\r\n$3\r\nGET\r\n$<n>\r\n<key>\r\n`: the key is the fifth line.
    const key = chunk.toString('latin1').split('\r\n')[4].slice(prefix.length);
    if (defer) setImmediate(answer, key);
    else answer(key);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${(server.address() as net.AddressInfo).port}`));
