/**
 * The embedded server's own behaviour: the INFO cachee figures `cachee status` reads, the byte
 * budget, backpressure, one write per chunk of input, graceful close, and the settings it refuses.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildReport, parseInfo } from '../../src/cli/status.js';
import { DEFAULT_PROXY_CONFIG } from '../../src/proxy/config.js';
import { MeasuredStore } from '../../src/proxy/measured-store.js';
import { startProxy } from '../../src/proxy/server.js';
import type { ClientSocket, ClientSocketEvents } from '../../src/proxy/client-socket.js';
import { StoreConnection } from '../../src/proxy/store-connection.js';
import { RawClient, infoField, startEmbeddedProxy, waitFor, type EmbeddedUnderTest } from '../support/proxy.js';

const s = (b: Buffer) => b.toString('latin1');

describe('INFO cachee in embedded mode', () => {
  let env: EmbeddedUnderTest;
  before(async () => {
    env = await startEmbeddedProxy({ l1Memory: 256 * 1024 });
  });
  after(async () => {
    await env.stop();
  });

  it("reports the store's hits, misses, entries and budget in the fields cachee status reads", async () => {
    const client = await RawClient.connect(env.port);
    await client.call('SET', 'a', '1');
    await client.call('HSET', 'h', 'f', 'v');
    for (let i = 0; i < 10; i++) await client.call('GET', 'a');
    await client.call('HGET', 'h', 'f');
    await client.call('GET', 'missing');
    const report = buildReport(parseInfo(s(await client.call('INFO', 'cachee')).replace(/^\$\d+\r\n/, '')), 'test');
    assert.equal(report.upstream, 'embedded');
    assert.equal(report.invalidation, 'none');
    assert.equal(report.l1.hits, 11);
    assert.equal(report.l1.misses, 1);
    assert.equal(report.l1.entries, 2);
    assert.ok(report.l1.bytes > 0 && report.l1.bytes <= 256 * 1024, `bytes ${report.l1.bytes}`);
    assert.equal(report.l1.maxBytes, 256 * 1024);
    assert.ok(report.l1.avgLatencyNs > 0, 'hit latency sampled from the first hit');
    assert.equal(report.l2.requests, 0);
    assert.equal(report.l2.avgLatencyUs, 0);
    client.close();
  });

  it('stays within the budget by evicting, and counts the evictions and their rate', async () => {
    const client = await RawClient.connect(env.port);
    const before = await client.call('INFO', 'cachee');
    const value = 'v'.repeat(1000);
    await client.pipeline(Array.from({ length: 1000 }, (_, i) => ['SET', `bulk:${i}`, value]));
    const info = await client.call('INFO', 'cachee');
    const evictions = Number(infoField(info, 'l1_evictions'));
    assert.ok(evictions > Number(infoField(before, 'l1_evictions')), 'a megabyte of values in a 256 KB store evicts');
    assert.ok(Number(infoField(info, 'l1_bytes')) <= 256 * 1024);
    assert.ok(Number(infoField(info, 'l1_entries')) < 1000);
    assert.ok(Number(infoField(info, 'l1_evictions_per_sec')) > 0);
    assert.equal(s(await client.call('INFO', 'stats')).match(/evicted_keys:(\d+)/)?.[1], String(evictions), 'the same count as INFO stats');
    client.close();
  });

  it('shows each client its own address in CLIENT INFO', async () => {
    const client = await RawClient.connect(env.port);
    const info = s(await client.call('CLIENT', 'INFO'));
    assert.match(info, new RegExp(`addr=127\\.0\\.0\\.1:${client.socket.localPort} laddr=127\\.0\\.0\\.1:${env.port} `));
    client.close();
  });
});

/** A StoreConnection on a real socket pair, with the server side of the socket in reach. */
async function connectionUnderTest(outputHighWater: number, streams = false) {
  const store = new MeasuredStore({ maxBytes: 64 * 1024 * 1024, port: 0, maxClients: 10 });
  // writesDuringRead: per chunk read, the socket writes made before its handler returned.
  const serverSide: { socket?: ClientSocket; writes: number; chunks: number; writesDuringRead: number[] } = { writes: 0, chunks: 0, writesDuringRead: [] };
  const server = net.createServer((socket) => {
    const setting = process.env.CACHEE_NET_STREAMS;
    if (streams) process.env.CACHEE_NET_STREAMS = '1';
    const connection = new StoreConnection(store, socket, { maxBulkLength: 1024 * 1024, maxQueryBuffer: 1024 * 1024, maxInputMemory: 1024 * 1024, outputHighWater }, () => {});
    if (setting === undefined) delete process.env.CACHEE_NET_STREAMS;
    else process.env.CACHEE_NET_STREAMS = setting;
    // The connection's reads and writes, counted where they pass (through the handle or the streams).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const client = (connection as any).client as ClientSocket;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const events = (client as any).events as ClientSocketEvents;
    const data = events.data;
    events.data = (chunk) => {
      serverSide.chunks++;
      const before = serverSide.writes;
      data(chunk);
      serverSide.writesDuringRead.push(serverSide.writes - before);
    };
    const write = client.write.bind(client);
    client.write = (chunk: Buffer) => {
      serverSide.writes++;
      write(chunk);
    };
    serverSide.socket = client;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await RawClient.connect((server.address() as net.AddressInfo).port);
  await waitFor(() => serverSide.socket !== undefined, 2000, 'the connection');
  if (process.env.CACHEE_NET_STREAMS === undefined) {
    assert.equal(serverSide.socket!.direct, !streams, streams ? 'CACHEE_NET_STREAMS=1: through the streams' : "through the socket's handle");
  }
  return {
    client,
    serverSide,
    close: async () => {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const streams of [false, true]) describe(`embedded connection, ${streams ? "through net.Socket's streams" : "through the socket's handle"}`, () => {
  it('writes the replies to one chunk of input in one socket write', async () => {
    const { client, serverSide, close } = await connectionUnderTest(64 * 1024 * 1024, streams);
    try {
      const replies = await client.pipeline(Array.from({ length: 200 }, (_, i) => (i % 2 ? ['GET', 'k'] : ['SET', 'k', String(i)])));
      assert.equal(replies.length, 200);
      assert.ok(serverSide.chunks >= 1);
      // At most one: chunks read in the same event-loop turn share the turn's write.
      assert.ok(serverSide.writes >= 1 && serverSide.writes <= serverSide.chunks, `${serverSide.writes} writes for ${serverSide.chunks} chunks`);
    } finally {
      await close();
    }
  });

  it("writes a lone command's reply within its read, and a pipeline's at the end of the turn", async () => {
    const { client, serverSide, close } = await connectionUnderTest(64 * 1024 * 1024, streams);
    try {
      assert.equal(s(await client.call('SET', 'k', 'v')), '+OK\r\n');
      assert.equal(serverSide.writesDuringRead.at(-1), 1, 'a lone command: written before its read returned');
      const replies = await client.pipeline([['GET', 'k'], ['GET', 'k'], ['GET', 'k']]);
      assert.deepEqual(replies.map(s), ['$1\r\nv\r\n', '$1\r\nv\r\n', '$1\r\nv\r\n']);
      assert.equal(serverSide.writesDuringRead.at(-1), 0, 'a pipeline: written after its read, by the turn flush');
      assert.equal(serverSide.writes, 2);
    } finally {
      await close();
    }
  });

  it('answers what a client sent before it closed its side, then closes', async () => {
    const { client, close } = await connectionUnderTest(64 * 1024 * 1024, streams);
    try {
      const closed = new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
      client.write('*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n');
      client.socket.end();
      const replies = await client.read(2, 5000);
      assert.deepEqual(replies.map(s), ['+OK\r\n', '$1\r\n1\r\n']);
      await closed;
    } finally {
      await close();
    }
  });

  it('stops reading from a client that leaves its replies unread, and catches up when it reads again', async () => {
    const { client, serverSide, close } = await connectionUnderTest(256 * 1024, streams);
    try {
      const value = 'x'.repeat(100_000);
      await client.call('SET', 'big', value);
      client.socket.pause();
      client.write(Buffer.concat(Array.from({ length: 200 }, () => Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'))));
      await waitFor(() => serverSide.socket!.paused, 5000, 'the server to stop reading');
      client.write('*3\r\n$3\r\nSET\r\n$6\r\nmarker\r\n$1\r\n1\r\n');
      client.socket.resume();
      const replies = await client.read(201, 20_000);
      assert.equal(replies.length, 201);
      assert.ok(replies.slice(0, 200).every((reply) => s(reply) === `$100000\r\n${value}\r\n`), 'every reply whole and in order');
      assert.equal(s(replies[200]), '+OK\r\n');
      await waitFor(() => !serverSide.socket!.paused, 5000, 'the server to read again');
    } finally {
      await close();
    }
  });
});

describe('embedded server: closing', () => {
  it('stops accepting, finishes writing the replies owed, then closes', async () => {
    const env = await startEmbeddedProxy();
    const client = await RawClient.connect(env.port);
    try {
      const value = 'y'.repeat(100_000);
      await client.call('SET', 'big', value);
      client.socket.pause();
      client.write(Buffer.concat(Array.from({ length: 300 }, () => Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'))));
      // Replies waiting unread in the client's socket: the server has read the GETs, and owes
      // more than the socket buffers hold.
      await waitFor(() => client.socket.readableLength > 0, 5000, 'replies to start arriving');
      const closed = env.proxy.close();
      await assert.rejects(RawClient.connect(env.port), /ECONNREFUSED/, 'no new connections');
      client.socket.resume();
      const replies = await client.read(300, 20_000);
      assert.equal(replies.length, 300);
      assert.ok(replies.every((reply) => s(reply) === `$100000\r\n${value}\r\n`));
      await waitFor(() => client.closed, 5000, 'the connection to close');
      await closed;
      assert.ok(env.log.includes('shutting down: no new connections; finishing replies in flight'));
    } finally {
      client.close();
      await env.proxy.close();
    }
  });
});

describe('embedded store: failures', () => {
  it('answers a command the store fails on with an error, and reports it', () => {
    let broken = false;
    const failures: string[] = [];
    const store = new MeasuredStore({
      maxBytes: 1024 * 1024,
      port: 0,
      maxClients: 1,
      now: () => {
        if (broken) throw new Error('clock broke');
        return Date.now();
      },
      onInternalError: (command, error) => failures.push(`${command}: ${(error as Error).message}`),
    });
    const session = store.newSession({});
    broken = true;
    assert.equal(s(store.execute(session, [Buffer.from('GET'), Buffer.from('k')])), "-ERR internal error in 'GET': clock broke\r\n");
    assert.deepEqual(failures, ['GET: clock broke']);
    broken = false;
    assert.equal(s(store.execute(session, [Buffer.from('PING')])), '+PONG\r\n', 'the next command runs');
  });

  it('refuses --workers and --l1-keys, which it cannot honour', async () => {
    const base = { ...DEFAULT_PROXY_CONFIG, port: 0, adminPort: 0 };
    await assert.rejects(startProxy({ ...base, workers: 2 }), /workers must be 1 without an upstream/);
    await assert.rejects(startProxy({ ...base, l1Keys: ['session:*'] }), /l1Keys needs an upstream/);
  });
});
