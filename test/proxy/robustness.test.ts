/** Bad input, limits and a dying upstream: each hurts only whom it must, and nothing hangs. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { MALFORMED_REQUESTS, RawClient, infoField, replyThenClose, sendThenHalfClose, startEmbeddedProxy, startProxyOverRedis, waitFor, type ProxyUnderTest } from '../support/proxy.js';

const s = (b: Buffer) => b.toString('latin1');

const LIMITS = { maxBulkLength: 1024 * 1024, maxQueryBuffer: 100_000, maxClients: 20 };
const FRONTS: [string, () => Promise<{ port: number; stop(): Promise<void> }>][] = [
  ['the proxy over Redis', () => startProxyOverRedis(LIMITS)],
  ['the embedded store', () => startEmbeddedProxy(LIMITS)],
];

for (const [front, start] of FRONTS) {
  describe(`malformed input and limits: ${front}`, () => {
    let env: { port: number; stop(): Promise<void> };
    let reference: RedisServer;
    before(async () => {
      env = await start();
      reference = await startRedis(['--proto-max-bulk-len', String(LIMITS.maxBulkLength)]);
    });
    after(async () => {
      await env.stop();
      await reference.stop();
    });

    for (const [what, bytes] of MALFORMED_REQUESTS) {
      it(`answers ${what} as Redis does, then closes only that connection`, async () => {
        const bystander = await RawClient.connect(env.port);
        await bystander.call('SET', 'bystander', 'ok');
        const ours = await replyThenClose(env.port, bytes);
        const theirs = await replyThenClose(reference.port, bytes);
        assert.deepEqual(ours, theirs);
        assert.match(ours.replies[0] ?? '', /^-ERR Protocol error: /);
        assert.equal(s(await bystander.call('GET', 'bystander')), '$2\r\nok\r\n', 'other clients are unaffected');
        bystander.close();
      });
    }

    it('keeps each client\'s unfinished commands apart while others are read (one input buffer serves every read)', async () => {
      const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(env.port)));
      const value = (c: number) => `${'v'.repeat(3000)}-${c}`;
      const frames = clients.map((_, c) => Buffer.from(`*3\r\n$3\r\nSET\r\n$6\r\nsplit${c}\r\n$${value(c).length}\r\n${value(c)}\r\n*2\r\n$3\r\nGET\r\n$6\r\nsplit${c}\r\n`));
      // Each frame in three pieces, the clients' pieces interleaved, each piece its own read.
      for (let piece = 0; piece < 3; piece++) {
        for (let c = 0; c < clients.length; c++) {
          const third = Math.ceil(frames[c].length / 3);
          clients[c].write(frames[c].subarray(piece * third, (piece + 1) * third));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      for (let c = 0; c < clients.length; c++) {
        const replies = await clients[c].read(2, 5000);
        assert.deepEqual(replies.map(s), ['+OK\r\n', `$${value(c).length}\r\n${value(c)}\r\n`]);
        clients[c].close();
      }
    });

    /** Commands sent before the client closes its side, by what they need of the front. */
    const HALF_CLOSED: [string, string][] = [
      ['reads (L1 hits among them), writes and a miss', 'GET hc:k\r\nGET hc:k\r\nSET hc:k w\r\nGET hc:k\r\nINCR hc:n\r\nGET hc:none\r\n'],
      ['a MULTI left open', 'MULTI\r\nSET hc:k x\r\n'],
      ['an unfinished command after complete ones', 'PING\r\n*2\r\n$3\r\nGET\r\n$4\r\nhc'],
    ];
    if (front === 'the proxy over Redis') {
      HALF_CLOSED.push(
        ['a subscription', 'SUBSCRIBE hc:channel\r\n'],
        ['a blocking command that blocks, and one behind it', 'LPUSH hc:q x\r\nBLPOP hc:q 0\r\nBLPOP hc:q 0\r\nPING\r\n'],
      );
    }
    it('writes all of large replies to a client that closed its side (where Redis drops what it had not written when it reads the end)', async () => {
      const setup = await RawClient.connect(env.port);
      const big = 'b'.repeat(90_000);
      await setup.call('SET', 'hc:big', big);
      setup.close();
      const bulk = `$${big.length}\r\n${big}\r\n`;
      assert.equal(await sendThenHalfClose(env.port, 'GET hc:big\r\nGET hc:big\r\nPING\r\n'), `${bulk}${bulk}+PONG\r\n`);
    });

    for (const [what, commands] of HALF_CLOSED) {
      it(`answers a client that closed its side after sending ${what}, as Redis does, then closes`, async () => {
        for (const port of [env.port, reference.port]) {
          const setup = await RawClient.connect(port);
          await setup.call('DEL', 'hc:k', 'hc:n', 'hc:q');
          await setup.call('SET', 'hc:k', 'v');
          // Twice, so that the proxy's L1 holds it.
          await setup.call('GET', 'hc:k');
          await setup.call('GET', 'hc:k');
          setup.close();
        }
        const ours = await sendThenHalfClose(env.port, commands);
        assert.equal(ours, await sendThenHalfClose(reference.port, commands));
        assert.ok(ours.length > 0 && !ours.startsWith('-'), ours.slice(0, 80));
      });
    }

    it('closes a client whose unfinished command outgrows the query buffer limit', async () => {
      const client = await RawClient.connect(env.port);
      client.write(`*2\r\n$3\r\nSET\r\n$900\r\n${'a'.repeat(500)}`);
      client.write(`*1\r\n$4\r\nPING\r\n`.repeat(0));
      // 100 kB of one inline line without its end.
      client.write('x'.repeat(120_000));
      await waitFor(() => client.closed, 3000, 'the connection to close');
      const other = await RawClient.connect(env.port);
      assert.equal(s(await other.call('PING')), '+PONG\r\n');
      other.close();
    });

    it('refuses connections beyond maxClients with Redis\'s error', async () => {
      const clients: RawClient[] = [];
      for (let i = 0; i < 20; i++) clients.push(await RawClient.connect(env.port));
      await Promise.all(clients.map((c) => c.call('PING')));
      const refused = await replyThenClose(env.port, '');
      assert.deepEqual(refused.replies, ['-ERR max number of clients reached\r\n']);
      for (const c of clients) c.close();
      await waitFor(async () => {
        const c = await RawClient.connect(env.port);
        const reply = await c.call('PING').catch(() => Buffer.from(''));
        c.close();
        return s(reply) === '+PONG\r\n';
      }, 3000, 'a slot to free up');
    });
  });
}

describe('upstream killed and restarted', () => {
  let env: ProxyUnderTest;
  before(async () => {
    env = await startProxyOverRedis({ upstreamTimeout: 500 });
  });
  after(async () => {
    await env.stop();
  });

  it('closes the clients whose upstream connection Redis dropped, as Redis would; others get cached reads, errors for the rest, and no stale L1 once Redis is back', async () => {
    const connected = await RawClient.connect(env.port);
    await connected.call('SET', 'kept', 'cached-value');
    await connected.call('GET', 'kept');
    assert.equal(s(await connected.call('GET', 'kept')), '$12\r\ncached-value\r\n');

    await env.redis.kill();
    // Its connection to Redis is gone: a command in flight there may or may not have run.
    await waitFor(() => connected.closed, 3000, 'the client to be closed');
    const client = await RawClient.connect(env.port);
    await waitFor(async () => infoField(await client.call('INFO', 'cachee'), 'invalidation') === 'down', 3000, 'the loss to be noticed');
    assert.equal(s(await client.call('GET', 'kept')), '$12\r\ncached-value\r\n', 'an L1 copy beats an error');
    // No connection to Redis could be made: nothing ran, and the client is told so.
    assert.match(s(await client.call('GET', 'never-cached')), /^-ERR upstream unavailable/);
    assert.match(s(await client.call('SET', 'kept', 'new')), /^-ERR upstream unavailable/);

    await env.redis.restart(); // empty: 'kept' is gone
    await waitFor(async () => infoField(await client.call('INFO', 'cachee'), 'invalidation') === 'tracking', 5000, 'tracking to come back');
    assert.equal(s(await client.call('GET', 'kept')), '$-1\r\n', 'no stale value after the reconnect');
    assert.equal(s(await client.call('SET', 'kept', 'again')), '+OK\r\n');
    assert.equal(s(await client.call('GET', 'kept')), '$5\r\nagain\r\n');
    client.close();
  });

  it('keeps every client in step while Redis dies and comes back under load', async () => {
    // Each client pipelines SET/GET pairs on keys of its own, nonstop, while Redis is killed and
    // restarted. Every reply must be the right one for its command, in order, or the upstream
    // error; a client whose connection to Redis was lost is closed (the replies before are still
    // checked) and connects again.
    const clients = await Promise.all(Array.from({ length: 4 }, () => RawClient.connect(env.port)));
    let running = true;
    const problems: string[] = [];
    let batches = 0;
    let failedSets = 0;
    let closedClients = 0;
    const load = clients.map(async (first, c) => {
      let client = first;
      for (let round = 0; running; round++) {
        const value = `c${c}-r${round}`;
        const replies = (await client.pipeline([['SET', `load:${c}`, value], ['GET', `load:${c}`], ['GET', `load:${c}`], ['PING']])).map(s);
        batches++;
        const [set, get1, get2, ping] = replies;
        const down = (r: string | undefined) => r !== undefined && r.startsWith('-ERR upstream unavailable');
        if (down(set)) failedSets++;
        if (replies.length !== 4 && !client.closed) problems.push(`client ${c}: ${replies.length} replies for 4 commands`);
        if (set !== undefined && set !== '+OK\r\n' && !down(set)) problems.push(`client ${c}: SET got ${set}`);
        for (const get of [get1, get2]) {
          if (get === undefined) continue;
          // After an acknowledged SET, the GET sees that value; after a failed one, whatever Redis
          // or L1 still holds of this client's earlier rounds (or nothing: Redis restarts empty).
          const ok =
            set === '+OK\r\n'
              ? get === `$${value.length}\r\n${value}\r\n`
              : down(get) || get === '$-1\r\n' || new RegExp(`^\\$\\d+\r\nc${c}-r\\d+\r\n$`).test(get);
          if (!ok) problems.push(`client ${c} round ${round}: SET ${set?.trim()} then GET ${get.trim()}`);
        }
        if (ping !== undefined && ping !== '+PONG\r\n' && !down(ping)) problems.push(`client ${c}: PING got ${ping}`);
        if (client.closed) {
          closedClients++;
          client = await RawClient.connect(env.port);
          clients[c] = client;
        }
      }
    });
    const until = async (n: number) => waitFor(() => batches >= n, 10_000, `${n} batches`);
    await until(50);
    await env.redis.kill();
    await until(batches + 50);
    await env.redis.restart();
    const info = await RawClient.connect(env.port);
    await waitFor(async () => infoField(await info.call('INFO', 'cachee'), 'invalidation') === 'tracking', 5000, 'tracking to come back');
    await until(batches + 100);
    running = false;
    await Promise.all(load);
    assert.deepEqual(problems.slice(0, 5), [], `${problems.length} replies out of step`);
    assert.ok(closedClients > 0, 'the clients connected to Redis when it died were closed');
    assert.ok(failedSets > 0, 'some writes met the outage');
    for (const [c, client] of clients.entries()) {
      assert.equal(s(await client.call('SET', `load:${c}`, 'final')), '+OK\r\n');
      assert.equal(s(await client.call('GET', `load:${c}`)), '$5\r\nfinal\r\n');
      client.close();
    }
    info.close();
  });
});

describe('commands slower than --upstream-timeout', () => {
  let env: ProxyUnderTest;
  before(async () => {
    // A deadline shorter than the commands below, which must not apply to them.
    env = await startProxyOverRedis({ upstreamTimeout: 300 }, ['--enable-debug-command', 'yes']);
  });
  after(async () => {
    await env.stop();
  });

  it('waits as long as the command says, as Redis does, for nothing or for a write', async () => {
    const client = await RawClient.connect(env.port);
    const other = await RawClient.connect(env.port);
    assert.equal(s(await client.call('BLPOP', 'block:none', '0.8')), '*-1\r\n');
    assert.equal(s(await client.call('XREAD', 'BLOCK', '800', 'STREAMS', 'block:stream', '$')), '*-1\r\n');
    const pushed = client.call('BRPOP', 'block:list', '0');
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(s(await other.call('LPUSH', 'block:list', 'late')), ':1\r\n');
    assert.equal(s(await pushed), '*2\r\n$10\r\nblock:list\r\n$4\r\nlate\r\n');
    // The connection is still the same one (a timeout would have replaced it).
    assert.equal(s(await client.call('PING')), '+PONG\r\n');
    assert.ok(!env.log.some((line) => /no reply within/.test(line)), env.log.join('\n'));
    client.close();
    other.close();
  });

  it('waits for a command that is not blocking as long as Redis takes, as a direct connection does', async () => {
    const client = await RawClient.connect(env.port);
    const stall = await RawClient.connect(env.redis.port);
    await stall.call('SET', 'block:any', 'set-before');
    // Redis answers nobody while this runs.
    const script = stall.call('EVAL', 'local t = redis.call("TIME"); while true do local n = redis.call("TIME"); if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 1500000 then break end end', '0');
    // Time for Redis to start the script; the GET below then waits behind it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(s(await client.call('GET', 'block:any')), '$10\r\nset-before\r\n');
    await script;
    stall.close();
    client.close();
  });

  it('reports a write slower than the deadline as Redis does: done (DEBUG SLEEP, then a SET behind it)', async () => {
    const client = await RawClient.connect(env.port);
    const replies = await client.pipeline([['DEBUG', 'SLEEP', '0.8'], ['SET', 'slow:after', '1']]);
    assert.deepEqual(replies.map(s), ['+OK\r\n', '+OK\r\n']);
    assert.equal(s(await client.call('GET', 'slow:after')), '$1\r\n1\r\n');
    client.close();
  });
});

describe('a client whose upstream connection Redis closes', () => {
  let env: ProxyUnderTest;
  before(async () => {
    env = await startProxyOverRedis();
  });
  after(async () => {
    await env.stop();
  });

  it('is closed, as CLIENT KILL closes a direct client, and the others go on', async () => {
    const admin = await RawClient.connect(env.redis.port);
    for (const port of [env.redis.port, env.port]) {
      const client = await RawClient.connect(port);
      // Through the proxy, the id is that of the client's own connection to Redis.
      const id = /^:(\d+)\r\n$/.exec(s(await client.call('CLIENT', 'ID')))![1];
      assert.equal(s(await admin.call('CLIENT', 'KILL', 'ID', id)), ':1\r\n');
      await waitFor(() => client.closed, 5000, `the client on port ${port === env.port ? 'of the proxy' : 'of Redis'} to be closed`);
    }
    const other = await RawClient.connect(env.port);
    assert.equal(s(await other.call('PING')), '+PONG\r\n');
    other.close();
    admin.close();
  });
});

describe('a subscriber that stops reading', () => {
  /** Subscribes on `subscriberPort`, stops reading, publishes 60 MB on `publisherPort`; resolves with NUMSUB after. */
  async function floodStalledSubscriber(subscriberPort: number, publisherPort: number, channel: string): Promise<RawClient> {
    const subscriber = await RawClient.connect(subscriberPort);
    assert.match(s(await subscriber.call('SUBSCRIBE', channel)), /^\*3\r\n\$9\r\nsubscribe\r\n/);
    subscriber.socket.pause();
    const publisher = await RawClient.connect(publisherPort);
    const message = 'm'.repeat(100_000);
    for (let i = 0; i < 600 && s(await publisher.call('PUBLISH', channel, message)) !== ':0\r\n'; i++);
    await waitFor(async () => s(await publisher.call('PUBSUB', 'NUMSUB', channel)) === `*2\r\n$${channel.length}\r\n${channel}\r\n:0\r\n`, 10_000, 'the subscriber to be disconnected');
    publisher.close();
    return subscriber;
  }

  it('is disconnected by the embedded store past 32 MB unwritten, as Redis does, and the others go on', async () => {
    const embedded = await startEmbeddedProxy({ l1Memory: 64 * 1024 * 1024 });
    const reference = await startRedis();
    try {
      for (const port of [reference.port, embedded.port]) (await floodStalledSubscriber(port, port, 'flood')).close();
      const other = await RawClient.connect(embedded.port);
      assert.equal(s(await other.call('PING')), '+PONG\r\n');
      other.close();
    } finally {
      await embedded.stop();
      await reference.stop();
    }
  });

  it('through the proxy, leaves the backlog to Redis, whose own limit then disconnects it', async () => {
    const env = await startProxyOverRedis();
    try {
      (await floodStalledSubscriber(env.port, env.redis.port, 'flood')).close();
      const other = await RawClient.connect(env.port);
      assert.equal(s(await other.call('PING')), '+PONG\r\n');
      other.close();
    } finally {
      await env.stop();
    }
  });
});
