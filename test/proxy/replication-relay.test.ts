/** SYNC and PSYNC through the proxy: the replication stream is relayed as Redis sends it, as MONITOR's is. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RawClient, startProxyOverRedis, waitFor, type ProxyUnderTest } from '../support/proxy.js';

/** A raw connection that keeps every byte it receives. */
async function streamFrom(port: number): Promise<{ socket: net.Socket; received: () => string }> {
  let received = '';
  const socket = net.connect(port, '127.0.0.1');
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => received };
}

describe('replication commands', () => {
  let env: ProxyUnderTest;
  before(async () => {
    env = await startProxyOverRedis();
  });
  after(async () => {
    await env.stop();
  });

  for (const command of ['SYNC', 'PSYNC ? -1']) {
    it(`${command}: the snapshot, then the writes made after it`, async () => {
      const replica = await streamFrom(env.port);
      replica.socket.write(`${command}\r\n`);
      // The RDB snapshot comes as `$<length>\r\nREDIS...` with no CR LF after it.
      await waitFor(() => /\$\d+\r\nREDIS/.test(replica.received()), 10_000, 'the snapshot');
      if (command.startsWith('PSYNC')) assert.match(replica.received(), /^\+FULLRESYNC [0-9a-f]{40} \d+\r\n/);
      const writer = await RawClient.connect(env.port);
      assert.equal((await writer.call('SET', 'replicated:key', 'after-snapshot')).toString(), '+OK\r\n');
      await waitFor(() => replica.received().includes('replicated:key\r\n$14\r\nafter-snapshot'), 10_000, 'the SET in the stream');
      assert.doesNotMatch(replica.received(), /upstream unavailable/);
      writer.close();
      replica.socket.destroy();
    });
  }
});
