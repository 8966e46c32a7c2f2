/**
 * --max-input-memory: the unfinished commands of all clients together hold at most that much;
 * past it the client holding the most is disconnected and the others are served as before.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { InputBudget, type InputHolder } from '../../src/proxy/input-budget.js';
import { startProxyOverRedis, waitFor, type ProxyUnderTest } from '../support/proxy.js';

const MB = 1024 * 1024;

describe('InputBudget', () => {
  it('evicts the largest holders, after the turn, until the total fits; a holder gone frees its bytes', async () => {
    const evicted: string[] = [];
    const holder = (name: string): InputHolder => ({ evictForInput: () => evicted.push(name) });
    const [a, b, c] = [holder('a'), holder('b'), holder('c')];
    const budget = new InputBudget(100);
    budget.update(a, 60);
    budget.update(b, 30);
    budget.update(b, 0);
    budget.update(c, 40);
    assert.equal(budget.heldBytes, 100, 'at the limit is within it');
    budget.update(b, 30);
    assert.deepEqual(evicted, [], 'not during the turn');
    assert.equal(budget.heldBytes, 70);
    await nextTurn();
    assert.deepEqual(evicted, ['a']);
  });
});

/** A connection that sent a SET of a `bytes`-long value but its last 10 bytes; resolves once written. */
function unfinishedSet(port: number, key: string, bytes: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${bytes}\r\n`);
      socket.write(Buffer.alloc(bytes - 10, 0x61), () => resolve(socket));
    });
    socket.on('error', reject);
  });
}

function closed(socket: net.Socket): boolean {
  return socket.destroyed || socket.readableEnded;
}

describe('the proxy with --max-input-memory 8mb', () => {
  let under: ProxyUnderTest;
  before(async () => {
    under = await startProxyOverRedis({ maxInputMemory: 8 * MB });
  });
  after(async () => {
    await under?.stop();
  });

  it('disconnects the client holding the most once all unfinished commands pass it; the others finish theirs', async () => {
    const sockets: net.Socket[] = [];
    try {
      const largest = await unfinishedSet(under.port, 'a', 5 * MB);
      sockets.push(largest);
      largest.on('end', () => largest.destroy());
      const smaller = await unfinishedSet(under.port, 'b', 2 * MB);
      sockets.push(smaller);
      const third = await unfinishedSet(under.port, 'c', 3 * MB);
      sockets.push(third);
      await waitFor(() => closed(largest), 10_000, 'the client holding the most to be disconnected');

      const replies: string[] = [];
      for (const socket of [smaller, third]) socket.on('data', (chunk: Buffer) => replies.push(chunk.toString()));
      // The last 10 bytes of each value, and its CR LF.
      for (const socket of [smaller, third]) socket.write('aaaaaaaaaa\r\n');
      await waitFor(() => replies.length === 2, 10_000, 'the other two commands to be answered');
      assert.deepEqual(replies, ['+OK\r\n', '+OK\r\n']);
      assert.ok(!closed(smaller) && !closed(third));
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
