/** Real client libraries, pointed at the proxy (over Redis, or over the embedded store) instead of Redis, must not notice the difference. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BasicClientSideCache, createClient } from 'redis';
import { startEmbeddedProxy, startProxyOverRedis, waitFor, type EmbeddedUnderTest, type ProxyUnderTest } from '../support/proxy.js';

describe('client libraries through the proxy', () => {
  let env: ProxyUnderTest;
  before(async () => {
    env = await startProxyOverRedis();
  });
  after(async () => {
    await env.stop();
  });

  it('ioredis: commands, pipelines, transactions, pub/sub, blocking pops', async () => {
    const client = new Redis({ port: env.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    const subscriber = new Redis({ port: env.port, lazyConnect: true });
    const blocker = new Redis({ port: env.port, lazyConnect: true, db: 1 });
    try {
      await client.connect();
      assert.equal(await client.set('io:a', '1'), 'OK');
      assert.equal(await client.get('io:a'), '1');
      assert.equal(await client.get('io:a'), '1');
      const piped = await client.pipeline().set('io:b', '2').get('io:b').incr('io:b').get('io:b').exec();
      assert.deepEqual(piped, [
        [null, 'OK'],
        [null, '2'],
        [null, 3],
        [null, '3'],
      ]);
      const tx = await client.multi().set('io:c', 'x').get('io:c').exec();
      assert.deepEqual(tx, [
        [null, 'OK'],
        [null, 'x'],
      ]);
      await client.hset('io:h', { f: 'v', g: 'w' });
      assert.deepEqual(await client.hgetall('io:h'), { f: 'v', g: 'w' });
      assert.deepEqual(await client.hgetall('io:h'), { f: 'v', g: 'w' });

      await subscriber.connect();
      const received = new Promise<string>((resolve) => subscriber.on('message', (_channel, message) => resolve(message)));
      await subscriber.subscribe('io:news');
      await client.publish('io:news', 'hi');
      assert.equal(await received, 'hi');

      await blocker.connect();
      const popped = blocker.blpop('io:queue', 5);
      await new Promise((r) => setTimeout(r, 50));
      const pusher = new Redis({ port: env.port, db: 1 });
      await pusher.rpush('io:queue', 'job');
      assert.deepEqual(await popped, ['io:queue', 'job']);
      pusher.disconnect();
    } finally {
      client.disconnect();
      subscriber.disconnect();
      blocker.disconnect();
    }
  });

  for (const RESP of [2, 3] as const) {
    it(`node-redis over RESP${RESP}: commands, MULTI, hashes`, async () => {
      const client = createClient({ url: `redis://127.0.0.1:${env.port}`, RESP });
      await client.connect();
      try {
        assert.equal(await client.set(`nr${RESP}:a`, 'v'), 'OK');
        assert.equal(await client.get(`nr${RESP}:a`), 'v');
        assert.equal(await client.get(`nr${RESP}:a`), 'v');
        await client.hSet(`nr${RESP}:h`, { x: '1' });
        const all = await client.hGetAll(`nr${RESP}:h`);
        assert.equal(all.x ?? (all as unknown as Map<string, string>).get?.('x'), '1');
        const results = await client.multi().set(`nr${RESP}:b`, '1').incr(`nr${RESP}:b`).exec();
        assert.deepEqual(results, ['OK', 2]);
        assert.equal(await client.get(`nr${RESP}:b`), '2');
      } finally {
        await client.quit();
      }
    });
  }

  it("node-redis's client-side cache (RESP3, CLIENT TRACKING) sees another client's write to a key L1 holds", async () => {
    const warm = createClient({ url: `redis://127.0.0.1:${env.port}`, RESP: 3 });
    const direct = createClient({ url: env.redis.url });
    const client = createClient({ url: `redis://127.0.0.1:${env.port}`, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
    await Promise.all([warm.connect(), direct.connect(), client.connect()]);
    try {
      await direct.set('csc:key', 'old');
      // Into L1 for RESP3 replies, by a client that does not track.
      await warm.get('csc:key');
      await warm.get('csc:key');
      assert.equal(await client.get('csc:key'), 'old');
      assert.equal(await client.get('csc:key'), 'old', 'from its own cache now');
      await direct.set('csc:key', 'new');
      await waitFor(async () => (await client.get('csc:key')) === 'new', 3000, "the client's cache to drop the key");
    } finally {
      await Promise.all([warm.quit(), direct.quit(), client.quit()]);
    }
  });
});

describe('client libraries against the embedded store', () => {
  let env: EmbeddedUnderTest;
  before(async () => {
    env = await startEmbeddedProxy();
  });
  after(async () => {
    await env.stop();
  });

  it('ioredis: ready check, commands, pipelines, transactions, hashes, expiry, databases, INFO cachee, unknown commands', async () => {
    const options = { port: env.port, lazyConnect: true, commandTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null };
    const client = new Redis({ ...options, connectionName: 'io-embedded' });
    const db3 = new Redis({ ...options, db: 3 });
    try {
      await client.connect(); // ioredis sends CLIENT SETNAME and INFO (its ready check) first
      assert.equal(await client.client('GETNAME'), 'io-embedded');
      assert.equal(await client.set('io:a', '1'), 'OK');
      assert.equal(await client.get('io:a'), '1');
      assert.equal(await client.get('io:missing'), null);
      const piped = await client.pipeline().set('io:b', '2').get('io:b').incr('io:b').incrbyfloat('io:b', 0.5).get('io:b').exec();
      assert.deepEqual(piped, [
        [null, 'OK'],
        [null, '2'],
        [null, 3],
        [null, '3.5'],
        [null, '3.5'],
      ]);
      assert.deepEqual(await client.mget('io:a', 'io:b', 'io:none'), ['1', '3.5', null]);
      await client.hset('io:h', { f: 'v', g: 'w' });
      assert.deepEqual(await client.hgetall('io:h'), { f: 'v', g: 'w' });
      assert.equal(await client.hincrby('io:h', 'n', 5), 5);
      assert.equal(await client.set('io:e', 'x', 'EX', 100), 'OK');
      const ttl = await client.ttl('io:e');
      assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
      assert.equal(await client.pexpire('io:e', 1), 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await client.get('io:e'), null, 'expired');

      await db3.connect();
      assert.equal(await db3.get('io:a'), null, 'databases are separate');
      await db3.set('io:a', 'three');
      assert.equal(await client.get('io:a'), '1');

      const info = await client.info('cachee');
      assert.match(info, /^upstream:embedded$/m);
      assert.match(info, /^l1_hits:[1-9]\d*$/m);
      assert.deepEqual(await client.multi().set('io:tx', '1').incr('io:tx').get('io:tx').exec(), [
        [null, 'OK'],
        [null, 2],
        [null, '2'],
      ]);
      await assert.rejects(client.call('LPUSH', 'io:list', 'x'), /ERR unknown command 'LPUSH'/);
      assert.equal(await client.ping(), 'PONG', 'the connection survives an unknown command');
    } finally {
      client.disconnect();
      db3.disconnect();
    }
  });

  for (const RESP of [2, 3] as const) {
    it(`node-redis over RESP${RESP}: HELLO, CLIENT SETINFO, commands, hashes, sets, counters, MULTI`, async () => {
      const client = createClient({
        url: `redis://127.0.0.1:${env.port}`,
        RESP,
        socket: { connectTimeout: 5000, reconnectStrategy: false },
        commandOptions: { timeout: 5000 },
      });
      client.on('error', () => {}); // failures surface through the awaited calls
      await client.connect(); // sends HELLO (RESP3) and CLIENT SETINFO LIB-NAME / LIB-VER
      try {
        assert.match(await client.clientInfo().then((info) => info.libName ?? ''), /node-redis/);
        assert.equal(await client.set(`nr${RESP}:a`, 'v'), 'OK');
        assert.equal(await client.get(`nr${RESP}:a`), 'v');
        assert.equal(await client.incrBy(`nr${RESP}:n`, 41), 41);
        assert.equal(await client.incr(`nr${RESP}:n`), 42);
        await client.hSet(`nr${RESP}:h`, { x: '1', y: '2' });
        assert.deepEqual({ ...(await client.hGetAll(`nr${RESP}:h`)) }, { x: '1', y: '2' });
        assert.deepEqual(await client.mGet([`nr${RESP}:a`, `nr${RESP}:none`]), ['v', null]);
        assert.equal(await client.exists([`nr${RESP}:a`, `nr${RESP}:h`]), 2);
        assert.equal(await client.del(`nr${RESP}:a`), 1);
        assert.equal(await client.get(`nr${RESP}:a`), null);
        assert.deepEqual(await client.multi().set(`nr${RESP}:t`, '5').incrBy(`nr${RESP}:t`, 2).exec(), ['OK', 7]);
        assert.equal(await client.sAdd(`nr${RESP}:s`, ['3', '1', '2', '1']), 3);
        assert.deepEqual([...(await client.sMembers(`nr${RESP}:s`))], ['1', '2', '3']);
        assert.equal(await client.sIsMember(`nr${RESP}:s`, '2'), 1);
        await assert.rejects(client.sendCommand(['XADD', 's', '*', 'f', 'v']), /unknown command 'XADD'/);
      } finally {
        await client.quit();
      }
    });
  }

  it("node-redis's client-side cache (RESP3, CLIENT TRACKING): served from its cache until another client's write or a flush", async () => {
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
    const client = createClient({ url: `redis://127.0.0.1:${env.port}`, RESP: 3, clientSideCache: cache });
    const writer = createClient({ url: `redis://127.0.0.1:${env.port}` });
    await Promise.all([client.connect(), writer.connect()]);
    try {
      await writer.set('csc:key', 'old');
      assert.equal(await client.get('csc:key'), 'old');
      assert.equal(await client.get('csc:key'), 'old');
      assert.equal(cache.stats().hitCount, 1, 'the second GET came from its cache');
      await writer.set('csc:key', 'new');
      await waitFor(async () => (await client.get('csc:key')) === 'new', 3000, 'the invalidation to reach its cache');
      assert.equal(await client.get('csc:key'), 'new');
      await writer.flushAll();
      await waitFor(async () => (await client.get('csc:key')) === null, 3000, 'the flush to empty its cache');
    } finally {
      await Promise.all([client.quit(), writer.quit()]);
    }
  });

  it('ioredis (RESP2) and node-redis (RESP3): SUBSCRIBE, PSUBSCRIBE, PUBLISH, UNSUBSCRIBE', async () => {
    const options = { port: env.port, lazyConnect: true, commandTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null };
    const subscriber = new Redis(options);
    const publisher = new Redis(options);
    const resp3 = createClient({ url: `redis://127.0.0.1:${env.port}`, RESP: 3 });
    try {
      await Promise.all([subscriber.connect(), publisher.connect(), resp3.connect()]);
      const messages: string[] = [];
      subscriber.on('message', (channel, message) => messages.push(`${channel}:${message}`));
      subscriber.on('pmessage', (pattern, channel, message) => messages.push(`${pattern}:${channel}:${message}`));
      const pushed: string[] = [];
      await resp3.subscribe('news', (message, channel) => pushed.push(`${channel}:${message}`));
      assert.equal(await subscriber.subscribe('news', 'sport'), 2);
      assert.equal(await subscriber.psubscribe('sp*'), 3);
      assert.equal(await publisher.publish('news', 'hello'), 2);
      assert.equal(await publisher.publish('sport', 'goal'), 2);
      await waitFor(() => messages.length === 3 && pushed.length === 1, 3000, 'the messages');
      assert.deepEqual(messages, ['news:hello', 'sport:goal', 'sp*:sport:goal']);
      assert.deepEqual(pushed, ['news:hello']);
      // RESP3: the subscribed connection still runs any command.
      assert.equal(await resp3.get('k'), null);
      await subscriber.unsubscribe('news', 'sport');
      await subscriber.punsubscribe('sp*');
      assert.equal(await subscriber.get('k'), null, 'out of the subscribed context');
      await resp3.unsubscribe('news');
      assert.equal(await publisher.publish('news', 'nobody'), 0);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
      await resp3.quit();
    }
  });
});
