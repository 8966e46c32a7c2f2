/**
 * Blocking list commands through the embedded server's sockets, against a real Redis: several
 * clients run the same script on both (a client blocks, others push, disconnect or unblock it)
 * and every client must read the same reply bytes in the same order. Each step that blocks a
 * client waits until the server reports it blocked (INFO's blocked_clients), so the order of
 * events is the script's on both servers.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { MeasuredStore } from '../../src/proxy/measured-store.js';
import { StoreConnection } from '../../src/proxy/store-connection.js';
import { encodeCommand, type CommandArg } from '../../src/resp/encode.js';
import { infoField, RawClient, redisAndEmbedded, waitFor } from '../support/proxy.js';

type Step =
  /** Client `c` sends `commands` in one write and reads `replies` of them now (the rest come later). */
  | { c: number; send: CommandArg[][]; replies?: number; blocked?: number }
  /** Client `c` reads `replies` owed to it. */
  | { c: number; read: number }
  /** Client `c` disconnects. */
  | { c: number; close: true; blocked: number }
  /** Client `c` unblocks client `target` by its id. */
  | { c: number; unblock: number; how?: 'TIMEOUT' | 'ERROR' };

const words = (line: string): string[] => line.split(' ');

async function blockedClients(port: number): Promise<number> {
  const client = await RawClient.connect(port);
  try {
    return Number(infoField(await client.call('INFO', 'clients'), 'blocked_clients'));
  } finally {
    client.close();
  }
}

/** Runs `steps` with `clients` connections (client 0 speaks RESP3 when asked) on `port`; returns what each read, in order. */
async function transcript(port: number, clients: number, steps: Step[], resp3 = false): Promise<string[][]> {
  const connections = await Promise.all(Array.from({ length: clients }, () => RawClient.connect(port)));
  const read: string[][] = connections.map(() => []);
  const take = async (c: number, count: number) => read[c].push(...(await connections[c].read(count, 10_000)).map((r) => r.toString('latin1')));
  try {
    if (resp3) await connections[0].call('HELLO', '3');
    const ids = await Promise.all(connections.map(async (c) => (await c.call('CLIENT', 'ID')).toString('latin1').slice(1, -2)));
    for (const step of steps) {
      if ('send' in step) {
        connections[step.c].write(Buffer.concat(step.send.map((command) => encodeCommand(command))));
        if (step.blocked !== undefined) await waitFor(async () => (await blockedClients(port)) === step.blocked, 10_000, `${step.blocked} blocked`);
        await take(step.c, step.replies ?? step.send.length);
      } else if ('read' in step) {
        await take(step.c, step.read);
      } else if ('close' in step) {
        connections[step.c].close();
        await waitFor(async () => (await blockedClients(port)) === step.blocked, 10_000, `${step.blocked} blocked`);
      } else {
        await take(step.c, 0);
        connections[step.c].write(encodeCommand(['CLIENT', 'UNBLOCK', ids[step.unblock], ...(step.how === undefined ? [] : [step.how])]));
        await take(step.c, 1);
      }
    }
    return read;
  } finally {
    for (const connection of connections) connection.close();
  }
}

describe('blocking list commands through the embedded server, against Redis', () => {
  const servers = redisAndEmbedded();

  async function same(clients: number, steps: Step[], resp3 = false): Promise<void> {
    for (const port of [servers.redis.port, servers.embedded.port]) {
      const flush = await RawClient.connect(port);
      await flush.call('FLUSHALL');
      flush.close();
    }
    const expected = await transcript(servers.redis.port, clients, steps, resp3);
    const actual = await transcript(servers.embedded.port, clients, steps, resp3);
    assert.deepEqual(actual, expected);
  }

  it('serves blocked clients first come, first served, and the rest on later pushes', async () => {
    await same(4, [
      { c: 1, send: [words('BLPOP k other 0')], replies: 0, blocked: 1 },
      { c: 2, send: [words('BRPOP k 0')], replies: 0, blocked: 2 },
      { c: 3, send: [words('BRPOPLPUSH k dst 0')], replies: 0, blocked: 3 },
      { c: 0, send: [words('RPUSH k a b'), words('LLEN k')], blocked: 1 },
      { c: 1, read: 1 },
      { c: 2, read: 1 },
      { c: 0, send: [words('RPUSH k c'), words('LRANGE dst 0 -1'), words('EXISTS k')], blocked: 0 },
      { c: 3, read: 1 },
    ]);
  });

  it("runs a blocked client's pipelined commands after its reply, and answers in RESP3 too", async () => {
    for (const resp3 of [false, true]) {
      await same(
        2,
        [
          { c: 0, send: [words('BLMPOP 0 2 a b RIGHT COUNT 2'), ['PING'], words('LLEN b')], replies: 0, blocked: 1 },
          { c: 1, send: [words('RPUSH b x y z')], blocked: 0 },
          { c: 0, read: 3 },
          { c: 0, send: [words('BLMOVE a b LEFT LEFT 0'), words('LRANGE b 0 -1')], replies: 0, blocked: 1 },
          { c: 1, send: [words('LPUSH a w')], blocked: 0 },
          { c: 0, read: 2 },
        ],
        resp3,
      );
    }
  });

  it('times out with a null reply (a null array even for BRPOPLPUSH), in RESP2 and RESP3', async () => {
    for (const resp3 of [false, true]) {
      await same(
        1,
        [
          { c: 0, send: [words('BLPOP k 0.05')] },
          { c: 0, send: [words('BRPOPLPUSH k d 0.001')] },
          { c: 0, send: [words('BLMPOP 0.02 1 k LEFT'), ['PING']] },
        ],
        resp3,
      );
    }
  });

  it('serves nobody from a list a transaction created and deleted, and serves after EXEC otherwise', async () => {
    await same(2, [
      { c: 0, send: [words('BLPOP k 0')], replies: 0, blocked: 1 },
      { c: 1, send: [['MULTI'], words('LPUSH k a'), words('DEL k'), ['EXEC'], words('SET k v'), words('DEL k')], blocked: 1 },
      { c: 1, send: [['MULTI'], words('LPUSH k a'), words('LPUSH k b'), ['EXEC']], blocked: 0 },
      { c: 0, read: 1 },
      { c: 1, send: [words('LRANGE k 0 -1')] },
    ]);
  });

  it('CLIENT REPLY OFF and SKIP silence a blocked command\'s reply when it is served', async () => {
    for (const mode of ['SKIP', 'OFF']) {
      await same(2, [
        { c: 0, send: [['CLIENT', 'REPLY', mode], words('BLPOP k 0')], replies: 0, blocked: 1 },
        { c: 1, send: [words('RPUSH k a b')], blocked: 0 },
        { c: 0, send: [words('CLIENT REPLY ON'), words('PING after'), words('LLEN k')] },
      ]);
    }
  });

  it("tells a tracking client served by a push of its own write after its reply", async () => {
    await same(
      2,
      [
        { c: 0, send: [words('CLIENT TRACKING on'), words('LRANGE dst 0 -1')] },
        { c: 0, send: [words('BRPOPLPUSH src dst 0')], replies: 0, blocked: 1 },
        { c: 1, send: [words('RPUSH src x')], blocked: 0 },
        { c: 0, read: 2 },
      ],
      true,
    );
  });

  it('forgets a client that disconnects while blocked', async () => {
    await same(3, [
      { c: 1, send: [words('BLPOP k 0')], replies: 0, blocked: 1 },
      { c: 2, send: [words('BLPOP k 0')], replies: 0, blocked: 2 },
      { c: 1, close: true, blocked: 1 },
      { c: 0, send: [words('RPUSH k v w')], blocked: 0 },
      { c: 2, read: 1 },
      { c: 0, send: [words('LRANGE k 0 -1')] },
    ]);
  });

  it('CLIENT UNBLOCK ends a wait as a timeout or with an error', async () => {
    await same(2, [
      { c: 1, send: [words('BLPOP k 0')], replies: 0, blocked: 1 },
      { c: 0, unblock: 1 },
      { c: 1, read: 1 },
      { c: 1, send: [words('BLMOVE k d LEFT LEFT 0')], replies: 0, blocked: 1 },
      { c: 0, unblock: 1, how: 'ERROR' },
      { c: 1, read: 1 },
      { c: 0, unblock: 1, how: 'TIMEOUT' },
      { c: 0, send: [words('CLIENT UNBLOCK 1 SOMEHOW'), words('CLIENT UNBLOCK x'), words('CLIENT UNBLOCK 1 TIMEOUT x')] },
    ]);
  });
});

describe('a blocked connection that goes away', () => {
  it('does not run the commands it sent behind its blocked one once served', async () => {
    const store = new MeasuredStore({ maxBytes: 16 * 1024 * 1024, port: 0, maxClients: 10 });
    let connection: StoreConnection | undefined;
    const server = net.createServer((socket) => {
      connection = new StoreConnection(store, socket, { maxBulkLength: 1024 * 1024, maxQueryBuffer: 1024 * 1024, maxInputMemory: 64 * 1024 * 1024 }, () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = await RawClient.connect((server.address() as net.AddressInfo).port);
    const other = store.newSession({});
    const run = (...args: string[]) => store.execute(other, args.map((arg) => Buffer.from(arg))).toString('latin1');
    try {
      client.write(Buffer.concat([encodeCommand(['BLPOP', 'k', '0']), encodeCommand(['LPOP', 'k'])]));
      await waitFor(() => /blocked_clients:1\r\n/.test(run('INFO', 'clients')), 5000, 'the client blocked');
      // Served: its LPOP would run next turn; the connection is gone before that.
      run('RPUSH', 'k', 'a', 'b');
      connection!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(run('LRANGE', 'k', '0', '-1'), '*1\r\n$1\r\nb\r\n');
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
