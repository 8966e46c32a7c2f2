/**
 * CLIENT REPLY in the store against a real Redis. Silenced replies cannot be counted, so each
 * sequence ends with CLIENT REPLY ON and a marker PING, and all the bytes before the marker's
 * reply are compared.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodeCommand } from '../../src/resp/index.js';
import { Store } from '../../src/store/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { toArgs } from './support/args.js';

const MARKER = ['PING', 'end-of-sequence'];
const MARKER_REPLY = '$15\r\nend-of-sequence\r\n';

/** Everything Redis sends back for `commands` (then ON and the marker), up to the marker's reply. */
function redisBytes(port: number, commands: string[][]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.endsWith(MARKER_REPLY)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.write(Buffer.concat([...commands, ['CLIENT', 'REPLY', 'ON'], MARKER].map((command) => encodeCommand(command))));
  });
}

function storeBytes(commands: string[][]): string {
  const store = new Store({ maxBytes: 1024 * 1024 });
  const session = store.newSession();
  return [...commands, ['CLIENT', 'REPLY', 'ON'], MARKER].map((command) => store.execute(session, toArgs(command)).toString('latin1')).join('');
}

const words = (line: string) => line.split(' ');

describe('CLIENT REPLY, store vs redis-server', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  const sequences: Record<string, string[]> = {
    'OFF silences until ON; SKIP silences the next command': ['CLIENT REPLY SKIP', 'PING a', 'PING b', 'CLIENT REPLY OFF', 'PING c', 'CLIENT REPLY SKIP', 'PING d', 'CLIENT REPLY ON', 'PING e'],
    'errors are silenced too; a bad mode is a syntax error': ['CLIENT REPLY foo', 'CLIENT REPLY OFF', 'CLIENT REPLY foo', 'NOSUCHCOMMAND', 'GET'],
    'SKIP inside a transaction silences the command after EXEC': ['MULTI', 'CLIENT REPLY SKIP', 'PING in', 'EXEC', 'PING after'],
    'arity': ['CLIENT REPLY', 'CLIENT REPLY ON OFF'],
  };
  for (const [name, lines] of Object.entries(sequences)) {
    it(name, async () => {
      const commands = lines.map(words);
      assert.equal(JSON.stringify(storeBytes(commands)), JSON.stringify(await redisBytes(redis.port, commands)));
    });
  }

  it('lets invalidations through while replies are off', () => {
    const store = new Store({ maxBytes: 1024 * 1024 });
    const tracker = store.newSession();
    const got: string[] = [];
    tracker.deliver = (bytes) => got.push(bytes.toString('latin1'));
    const writer = store.newSession();
    const send = (...args: string[]) => store.execute(tracker, toArgs(args)).toString('latin1');
    send('HELLO', '3');
    send('CLIENT', 'TRACKING', 'on');
    send('GET', 'k');
    assert.equal(send('CLIENT', 'REPLY', 'OFF'), '');
    store.execute(writer, toArgs(['SET', 'k', 'v']));
    assert.deepEqual(got, ['>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n']);
    assert.equal(send('GET', 'k'), '');
    assert.equal(send('SET', 'k', 'w'), '>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n', 'its own write: the reply dropped, the invalidation kept');
  });
});
