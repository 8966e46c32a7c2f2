/** Values through Redis and back: the default JSON layout, Buffers as-is, a custom serializer, a user's client. */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { bufferSerializer, jsonSerializer, TieredCache, type Serializer } from '../../src/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { connectedCache, waitFor } from '../support/tiered.js';

let redis: RedisServer;
let plain: Redis;
before(async () => {
  redis = await startRedis();
  plain = new Redis(redis.port, '127.0.0.1');
});
after(async () => {
  plain.disconnect();
  await redis.stop();
});

/** Writes with one instance and reads with another, which has to go to Redis. */
async function roundTrip<V>(namespace: string, value: V, serializer?: Serializer<V>): Promise<V | undefined> {
  const options = { redis: redis.url, namespace, invalidation: 'none' as const, l1: { maxEntries: 10 }, serializer };
  const writer = new TieredCache<V>(options);
  const reader = new TieredCache<V>(options);
  try {
    await writer.set('k', value);
    return await reader.get('k');
  } finally {
    await writer.close();
    await reader.close();
  }
}

describe('serializers', () => {
  it('default: JSON text in Redis, parsed back', async () => {
    const value = { id: 7, name: 'Zoë', tags: ['a', 'b'], nested: { ok: true, none: null } };
    assert.deepEqual(await roundTrip('json', value), value);
    assert.equal(await plain.get('json:k'), JSON.stringify(value));
    for (const scalar of [0, -1.5, 'text', '', true, null, [1, [2]]]) assert.deepEqual(await roundTrip('json', scalar), scalar);
  });

  it('default: a Buffer is stored as its raw bytes and read back as a Buffer', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x01]);
    const back = await roundTrip<unknown>('raw', bytes);
    assert.ok(Buffer.isBuffer(back));
    assert.deepEqual(back, bytes);
    assert.deepEqual(await plain.getBuffer('raw:k'), bytes);
  });

  it('bufferSerializer keeps Buffers whose bytes look like JSON', async () => {
    assert.equal(jsonSerializer.deserialize(Buffer.from('42')), 42, 'the documented ambiguity of the default');
    const back = await roundTrip('buffers', Buffer.from('42'), bufferSerializer);
    assert.deepEqual(back, Buffer.from('42'));
  });

  it('a custom serializer (v8) carries what JSON cannot', async () => {
    const v8Serializer: Serializer<unknown> = { serialize: (v) => v8.serialize(v), deserialize: (b) => v8.deserialize(b) };
    const value = { when: new Date(1_700_000_000_000), map: new Map([['a', 1n]]), set: new Set([1, 2]) };
    assert.deepEqual(await roundTrip('v8', value, v8Serializer), value);
  });

  it('the L1 holds the live value: a hit returns the same reference, with no serialization', async () => {
    let serialized = 0;
    let deserialized = 0;
    const counting: Serializer<{ n: number }> = {
      serialize: (v) => (serialized++, JSON.stringify(v)),
      deserialize: (b) => (deserialized++, JSON.parse(b.toString())),
    };
    const cache = new TieredCache<{ n: number }>({ redis: redis.url, namespace: 'live', invalidation: 'none', l1: { maxEntries: 10 }, serializer: counting });
    try {
      const value = { n: 1 };
      await cache.set('k', value);
      assert.equal(cache.getLocal('k'), value);
      assert.equal(await cache.get('k'), value);
      assert.equal(serialized, 1);
      assert.equal(deserialized, 0);
    } finally {
      await cache.close();
    }
  });

  it('JSON cannot store every value: the write fails before Redis', async () => {
    const cache = new TieredCache<unknown>({ redis: redis.url, namespace: 'bad', invalidation: 'none', l1: { maxEntries: 10 } });
    try {
      await assert.rejects(cache.set('k', () => 1), /cannot store a function/);
    } finally {
      await cache.close();
    }
  });
});

describe('a client the user already has', () => {
  it('is used for L2, and its options give the tracking connection its target (database, password)', async () => {
    const secured = await startRedis(['--requirepass', 's3cret']);
    const client = new Redis({ port: secured.port, host: '127.0.0.1', password: 's3cret', db: 2 });
    const other = new Redis({ port: secured.port, host: '127.0.0.1', password: 's3cret', db: 2 });
    try {
      const cache = await connectedCache<string>({ redis: client, namespace: 'mine', l1: { maxEntries: 10 } });
      await cache.set('k', 'v1');
      assert.equal(await other.get('mine:k'), '"v1"', 'written in database 2');
      await other.set('mine:k', '"v2"');
      await waitFor(async () => (await cache.get('k')) === 'v2', 5000, 'the write by the other client to be seen');
      await cache.close();
      assert.equal(client.status, 'ready', 'closing the cache leaves the user’s client open');
    } finally {
      client.disconnect();
      other.disconnect();
      await secured.stop();
    }
  });
});
