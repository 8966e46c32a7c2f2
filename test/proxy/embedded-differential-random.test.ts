/**
 * Random command histories (fast-check) sent to a Redis and to the embedded server (startProxy
 * with no upstream), by two clients each (RESP2 and RESP3), in pipelined batches: every reply
 * must be byte-identical. The vocabulary is the store's commands whose replies depend on nothing
 * but the history: strings, counters, hashes (two fields at most, so Redis keeps them in
 * insertion order too), sets of integers (intsets: ascending order), keys, databases,
 * transactions and WATCH (one client's writes between the other's WATCH and EXEC); expiry only
 * far enough ahead never to happen.
 * CACHEE_RANDOM_RUNS=N runs N histories instead of 300.
 */
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startEmbeddedProxy, type EmbeddedUnderTest } from '../support/proxy.js';
import { connectPairs, RANDOM_RUNS, sameReplies, type ClientPair } from '../support/paired-clients.js';

type Command = string[];

const strKey = fc.constantFrom('s0', 's1');
const hashKey = fc.constantFrom('h0', 'h1');
const setKey = fc.constantFrom('e0', 'e1', 'e2');
const key = fc.constantFrom('s0', 's1', 'h0', 'h1', 'e0', 'e1', 'none');
/** Integers only: Redis keeps such a set as an intset, in ascending order, which the store must match. */
const member = fc.constantFrom('1', '2', '3', '-7', '10');
const field = fc.constantFrom('f', 'g');
const value = fc.constantFrom('1', '-7', '2.5', 'x', 'hello', '', '9223372036854775807');
const index = fc.constantFrom('0', '1', '-1', '-3', '10');

const commands: fc.Arbitrary<Command>[] = [
  strKey.map((k) => ['GET', k]),
  fc.tuple(key, key).map(([a, b]) => ['MGET', a, b]),
  fc.tuple(strKey, index, index).map(([k, s, e]) => ['GETRANGE', k, s, e]),
  strKey.map((k) => ['STRLEN', k]),
  fc.tuple(strKey, value, fc.constantFrom([], ['NX'], ['XX'], ['GET'], ['KEEPTTL'], ['EX', '1000'], ['NX', 'GET'])).map(([k, v, o]) => ['SET', k, v, ...o]),
  fc.tuple(strKey, value).map(([k, v]) => ['SETNX', k, v]),
  fc.tuple(strKey, value).map(([k, v]) => ['GETSET', k, v]),
  strKey.map((k) => ['GETDEL', k]),
  fc.tuple(strKey, fc.constantFrom(['PERSIST'], ['EX', '1000'], [])).map(([k, o]) => ['GETEX', k, ...o]),
  fc.tuple(strKey, value, strKey, value).map(([a, v, b, w]) => ['MSET', a, v, b, w]),
  fc.tuple(strKey, value, strKey, value).map(([a, v, b, w]) => ['MSETNX', a, v, b, w]),
  fc.tuple(strKey, value).map(([k, v]) => ['APPEND', k, v]),
  fc.tuple(strKey, index, value).map(([k, i, v]) => ['SETRANGE', k, i, v]),
  strKey.map((k) => ['INCR', k]),
  strKey.map((k) => ['DECR', k]),
  fc.tuple(strKey, value).map(([k, v]) => ['INCRBY', k, v]),
  fc.tuple(strKey, value).map(([k, v]) => ['DECRBY', k, v]),
  fc.tuple(strKey, value).map(([k, v]) => ['INCRBYFLOAT', k, v]),
  fc.tuple(hashKey, field, value).map(([k, f, v]) => ['HSET', k, f, v]),
  fc.tuple(hashKey, field, value).map(([k, f, v]) => ['HSETNX', k, f, v]),
  fc.tuple(hashKey, value, value).map(([k, v, w]) => ['HMSET', k, 'f', v, 'g', w]),
  fc.tuple(hashKey, field).map(([k, f]) => ['HGET', k, f]),
  fc.tuple(hashKey, field, field).map(([k, f, g]) => ['HMGET', k, f, g]),
  hashKey.map((k) => ['HGETALL', k]),
  fc.tuple(hashKey, field).map(([k, f]) => ['HDEL', k, f]),
  fc.tuple(hashKey, field).map(([k, f]) => ['HEXISTS', k, f]),
  hashKey.map((k) => ['HLEN', k]),
  hashKey.map((k) => ['HKEYS', k]),
  hashKey.map((k) => ['HVALS', k]),
  fc.tuple(hashKey, field).map(([k, f]) => ['HSTRLEN', k, f]),
  fc.tuple(hashKey, field, value).map(([k, f, v]) => ['HINCRBY', k, f, v]),
  fc.tuple(hashKey, field, value).map(([k, f, v]) => ['HINCRBYFLOAT', k, f, v]),
  fc.tuple(setKey, member, member).map(([k, m, n]) => ['SADD', k, m, n]),
  fc.tuple(setKey, member, member).map(([k, m, n]) => ['SREM', k, m, n]),
  fc.tuple(setKey, setKey, member).map(([a, b, m]) => ['SMOVE', a, b, m]),
  fc.tuple(setKey, member).map(([k, m]) => ['SISMEMBER', k, m]),
  fc.tuple(setKey, member, member).map(([k, m, n]) => ['SMISMEMBER', k, m, n]),
  setKey.map((k) => ['SCARD', k]),
  setKey.map((k) => ['SMEMBERS', k]),
  // Counts at least the set's size: the whole set, no randomness.
  fc.tuple(setKey, fc.constantFrom('0', '100')).map(([k, n]) => ['SPOP', k, n]),
  fc.tuple(setKey, fc.constantFrom('0', '100')).map(([k, n]) => ['SRANDMEMBER', k, n]),
  fc.tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), key, setKey).map(([c, a, b]) => [c, a, b]),
  fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, setKey, setKey).map(([c, d, a, b]) => [c, d, a, b]),
  fc.tuple(setKey, setKey, fc.constantFrom([], ['LIMIT', '1'])).map(([a, b, o]) => ['SINTERCARD', '2', a, b, ...o]),
  setKey.map((k) => ['SSCAN', k, '0']),
  fc.tuple(key, key).map(([a, b]) => ['DEL', a, b]),
  key.map((k) => ['UNLINK', k]),
  fc.tuple(key, key).map(([a, b]) => ['EXISTS', a, b]),
  key.map((k) => ['TYPE', k]),
  key.map((k) => ['EXPIRE', k, '1000']),
  fc.tuple(key, fc.constantFrom('NX', 'XX', 'GT', 'LT')).map(([k, o]) => ['EXPIRE', k, '2000', o]),
  key.map((k) => ['PERSIST', k]),
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['RENAMENX', a, b]),
  fc.constantFrom(['SELECT', '0'], ['SELECT', '1'], ['SWAPDB', '0', '1'], ['FLUSHDB'], ['DBSIZE'], ['PING'], ['ECHO', 'e']),
  fc.tuple(key, key).map(([a, b]) => ['WATCH', a, b]),
  fc.constant(['UNWATCH']),
];

/** One pipelined batch: commands, or a transaction (run by EXEC, or dropped by DISCARD). */
const batch: fc.Arbitrary<Command[]> = fc.oneof(
  fc.array(fc.oneof(...commands), { minLength: 1, maxLength: 6 }),
  fc
    .tuple(fc.array(fc.oneof(...commands), { minLength: 0, maxLength: 4 }), fc.constantFrom('EXEC', 'EXEC', 'DISCARD'))
    .map(([inner, end]) => [['MULTI'], ...inner, [end]]),
);
const history = fc.array(fc.tuple(fc.nat(1), batch), { minLength: 1, maxLength: 25 });

describe('embedded server vs Redis, byte for byte, on random histories', () => {
  let reference: RedisServer;
  let embedded: EmbeddedUnderTest;
  /** Per client: [the embedded server, Redis]. Client 1 speaks RESP3. */
  let clients: ClientPair[] = [];

  before(async () => {
    reference = await startRedis();
    embedded = await startEmbeddedProxy({ l1Memory: 64 * 1024 * 1024 });
    clients = await connectPairs(embedded.port, reference.port);
  });
  after(async () => {
    for (const pair of clients) for (const c of pair) c.close();
    await embedded.stop();
    await reference.stop();
  });

  it('gives the same replies as Redis', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (batches) => {
        // Each history on its own: no database selected, no key watched, nothing stored.
        for (const pair of clients) for (const c of pair) await c.pipeline([['SELECT', '0'], ['UNWATCH']]);
        for (const c of clients[0]) await c.call('FLUSHALL');
        for (const [who, sent] of batches) await sameReplies(clients[who], sent, `client ${who}`);
      }),
      { numRuns: RANDOM_RUNS },
    );
  });
});
