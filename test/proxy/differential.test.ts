/**
 * The same command corpus sent to a Redis directly and to the proxy (in front of a second,
 * identical Redis): every reply must be byte-identical. Reads are sent twice so the second one
 * is answered from L1 where it can be.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CommandArg } from '../../src/resp/encode.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { RawClient, startProxyOverRedis, type ProxyUnderTest } from '../support/proxy.js';

const big = 'x'.repeat(70_000);
const binary = Buffer.from([0, 13, 10, 255, 36, 42, 13, 10]);

const CORPUS: CommandArg[][] = [
  ['PING'],
  ['PING', 'hello'],
  ['ECHO', 'echo me'],
  // strings and counters
  ['SET', 's1', 'v1'],
  ['GET', 's1'],
  ['GET', 's1'],
  ['GET', 'missing'],
  ['GET', 'missing'],
  ['SET', 'bin', binary],
  ['GET', 'bin'],
  ['GET', 'bin'],
  ['SET', 'big', big],
  ['GET', 'big'],
  ['GET', 'big'],
  ['STRLEN', 'big'],
  ['STRLEN', 'big'],
  ['GETRANGE', 's1', '0', '0'],
  ['GETRANGE', 's1', '0', '0'],
  ['APPEND', 's1', '-more'],
  ['GET', 's1'],
  ['MSET', 'm1', 'a', 'm2', 'b'],
  ['MGET', 'm1', 'm2', 'nope'],
  ['MGET', 'm1', 'm2', 'nope'],
  ['GET', 'm1'],
  ['MGET', 'm1', 'm2'],
  ['INCR', 'counter'],
  ['INCRBY', 'counter', '41'],
  ['GET', 'counter'],
  ['INCRBYFLOAT', 'counter', '0.5'],
  ['GET', 'counter'],
  ['INCR', 's1'],
  ['SETNX', 's1', 'x'],
  ['SET', 's2', 'v', 'NX'],
  ['SET', 's2', 'v', 'XX', 'GET'],
  ['EXISTS', 's1'],
  ['EXISTS', 's1'],
  ['EXISTS', 's1', 's2', 'nope'],
  ['TYPE', 's1'],
  ['TYPE', 's1'],
  // expiry
  ['SET', 'e1', 'v', 'EX', '100'],
  ['GET', 'e1'],
  ['GET', 'e1'],
  ['TTL', 'e1'],
  ['PERSIST', 'e1'],
  ['TTL', 'e1'],
  ['EXPIRE', 'e1', '-1'],
  ['GET', 'e1'],
  ['SET', 'e2', 'v', 'PX', '-5'],
  // hashes
  ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'],
  ['HGET', 'h', 'f1'],
  ['HGET', 'h', 'f1'],
  ['HGET', 'h', 'nope'],
  ['HGET', 'h', 'nope'],
  ['HMGET', 'h', 'f1', 'nope', 'f2'],
  ['HMGET', 'h', 'f1', 'nope', 'f2'],
  ['HGETALL', 'h'],
  ['HGETALL', 'h'],
  ['HEXISTS', 'h', 'f2'],
  ['HEXISTS', 'h', 'f2'],
  ['HLEN', 'h'],
  ['HLEN', 'h'],
  ['HDEL', 'h', 'f1'],
  ['HGETALL', 'h'],
  ['HINCRBY', 'h', 'n', '5'],
  ['HGET', 'h', 'n'],
  // lists
  ['RPUSH', 'l', 'a', 'b', 'c'],
  ['LRANGE', 'l', '0', '-1'],
  ['LRANGE', 'l', '0', '-1'],
  ['LRANGE', 'l', '1', '1'],
  ['LLEN', 'l'],
  ['LLEN', 'l'],
  ['LPOP', 'l'],
  ['LRANGE', 'l', '0', '-1'],
  ['LLEN', 'l'],
  // sets
  ['SADD', 'set', 'a', 'b'],
  ['SISMEMBER', 'set', 'a'],
  ['SISMEMBER', 'set', 'a'],
  ['SCARD', 'set'],
  ['SCARD', 'set'],
  ['SREM', 'set', 'a'],
  ['SISMEMBER', 'set', 'a'],
  ['SMEMBERS', 'set'],
  ['SMEMBERS', 'set'],
  // sorted sets
  ['ZADD', 'z', '1', 'one', '2.5', 'two', '3', 'three'],
  ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
  ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
  ['ZRANGE', 'z', '0', '-1'],
  ['ZSCORE', 'z', 'two'],
  ['ZSCORE', 'z', 'two'],
  ['ZCARD', 'z'],
  ['ZCARD', 'z'],
  ['ZADD', 'z', '10', 'two'],
  ['ZSCORE', 'z', 'two'],
  ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
  // wrong types and errors
  ['GET', 'h'],
  ['GET', 'h'],
  ['HGET', 's1', 'x'],
  ['LRANGE', 'h', '0', '1'],
  ['GET'],
  ['GET', 'a', 'b'],
  ['NOSUCHCOMMAND', 'arg'],
  ['SET', 's1'],
  ['ZRANGE', 'z', 'a', 'b'],
  // transactions
  ['MULTI'],
  ['SET', 'tx', '1'],
  ['GET', 'tx'],
  ['INCR', 'tx'],
  ['EXEC'],
  ['GET', 'tx'],
  ['GET', 'tx'],
  ['MULTI'],
  ['SET', 'tx', '5'],
  ['DISCARD'],
  ['GET', 'tx'],
  ['EXEC'],
  ['WATCH', 'tx'],
  ['GET', 'tx'],
  ['MULTI'],
  ['SET', 'tx', '7'],
  ['EXEC'],
  ['GET', 'tx'],
  ['UNWATCH'],
  // scripts
  ['EVAL', "return redis.call('GET', KEYS[1])", '1', 'tx'],
  ['EVAL', "redis.call('SET', KEYS[1], 'scripted') return 1", '1', 'tx'],
  ['GET', 'tx'],
  ['GET', 'tx'],
  // databases
  ['SELECT', '2'],
  ['GET', 's1'],
  ['SET', 's1', 'db2'],
  ['GET', 's1'],
  ['GET', 's1'],
  ['SELECT', '0'],
  ['GET', 's1'],
  ['SELECT', '99'],
  ['GET', 's1'],
  ['DEL', 's1', 'h', 'l'],
  ['GET', 's1'],
  ['HGETALL', 'h'],
  ['DBSIZE'],
];

async function runCorpus(port: number, resp3: boolean): Promise<string[]> {
  const client = await RawClient.connect(port);
  const out: string[] = [];
  if (resp3) {
    const hello = await client.call('HELLO', '3');
    assert.ok(hello.toString('latin1').startsWith('%'), 'HELLO 3 gives a map');
  }
  for (const command of CORPUS) out.push((await client.call(...command)).toString('latin1'));
  // The same corpus again as one pipeline, against the state the first pass left.
  out.push(...(await client.pipeline(CORPUS)).map((b) => b.toString('latin1')));
  client.close();
  return out;
}

describe('proxy vs Redis, byte for byte', () => {
  let reference: RedisServer;
  let env: ProxyUnderTest;
  before(async () => {
    reference = await startRedis();
    env = await startProxyOverRedis();
  });
  after(async () => {
    await reference.stop();
    await env.stop();
  });

  for (const resp3 of [false, true]) {
    it(`gives the same replies over ${resp3 ? 'RESP3' : 'RESP2'}`, async () => {
      const flush = async (port: number) => {
        const c = await RawClient.connect(port);
        await c.call('FLUSHALL');
        c.close();
      };
      await flush(reference.port);
      await flush(env.port);
      const expected = await runCorpus(reference.port, resp3);
      const actual = await runCorpus(env.port, resp3);
      for (let i = 0; i < expected.length; i++) {
        const command = CORPUS[i % CORPUS.length].map(String).join(' ').slice(0, 60);
        assert.equal(actual[i], expected[i], `reply ${i} (${command})`);
      }
    });
  }

  it('relays pub/sub like Redis', async () => {
    const run = async (port: number) => {
      const subscriber = await RawClient.connect(port);
      const publisher = await RawClient.connect(port);
      subscriber.write('*3\r\n$9\r\nSUBSCRIBE\r\n$2\r\nc1\r\n$2\r\nc2\r\n');
      const confirmations = await subscriber.read(2);
      await publisher.call('PUBLISH', 'c1', 'hello');
      await publisher.call('PUBLISH', 'c2', 'world');
      const messages = await subscriber.read(2);
      subscriber.write('*1\r\n$4\r\nPING\r\n');
      const pong = await subscriber.read(1);
      subscriber.close();
      publisher.close();
      return [...confirmations, ...messages, ...pong].map((b) => b.toString('latin1'));
    };
    assert.deepEqual(await run(env.port), await run(reference.port));
  });
});
