/** Real client libraries, pointed at the proxy instead of Redis, must not notice the difference. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startProxyOverRedis, type ProxyUnderTest } from '../support/proxy.js';

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
});
