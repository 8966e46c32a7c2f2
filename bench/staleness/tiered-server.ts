/**
 * An application in front of a TieredCache, for the staleness bench: a process of its own that
 * answers `GET <key>` (RESP, one command per read, as the bench's readers send it) with the
 * cache's value of `<key>` without its namespace, asked in the callback of the request's input.
 * `--read-at-turn-end`: with the cache's `readAtTurnEnd` option.
 * Prints `listening on <port>` once the cache's tracking is up.
 * Usage: tiered-server.ts <redis url> <namespace> [--read-at-turn-end]
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TieredCache } from '../../src/index.js';

const [url, namespace] = process.argv.slice(2);
const readAtTurnEnd = process.argv.includes('--read-at-turn-end');
const cache = new TieredCache<number>({ redis: url, namespace, l1: { maxEntries: 1000 }, readAtTurnEnd });
while (cache.invalidationState !== 'connected') await sleep(10);

const prefix = `${namespace}:`;
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    // `*2\r\n$3\r\nGET\r\n$<n>\r\n<key>\r\n`: the key is the fifth line.
    const key = chunk.toString('latin1').split('\r\n')[4].slice(prefix.length);
    cache.get(key).then(
      (value) => {
        const text = value === undefined ? '' : String(value);
        socket.write(`$${text.length}\r\n${text}\r\n`);
      },
      () => socket.destroy(),
    );
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${(server.address() as net.AddressInfo).port}`));
