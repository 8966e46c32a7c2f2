/**
 * The command table built from a real Redis's COMMAND INFO: which keys a command reads and
 * writes. Also as an upstream from before Redis 7 would describe the same commands (no key specs,
 * only first/last/step and flags, which is what Redis 6 sends): made by cutting Redis 7's entries
 * to their first seven fields, then checked to miss no write the key specs see.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CommandTable, type CommandKeys, type InfoValue } from '../../src/proxy/command-table.js';
import { CACHEABLE_READS } from '../../src/proxy/commands.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

let redis: RedisServer;
let modern: CommandTable;
let legacy: CommandTable;

before(async () => {
  redis = await startRedis();
  const client = new Redis({ port: redis.port, host: '127.0.0.1' });
  try {
    const info = (await client.call('COMMAND')) as InfoValue[];
    modern = CommandTable.fromCommandInfo(info);
    // Redis 6's shape: name, arity, flags, first key, last key, step, ACL categories.
    legacy = CommandTable.fromCommandInfo(info.map((entry) => (entry as InfoValue[]).slice(0, 7)));
  } finally {
    client.disconnect();
  }
});

after(async () => {
  await redis?.stop();
});

const args = (line: string) => line.split(' ').map((word) => Buffer.from(word));

/** Commands of every family, with the argument indexes of the keys they write. */
const WRITES: [string, number[]][] = [
  ['SET k v', [1]],
  ['SET k v EX 10 GET', [1]],
  ['MSET a 1 b 2 c 3', [1, 3, 5]],
  ['MSETNX a 1 b 2', [1, 3]],
  ['APPEND k v', [1]],
  ['INCRBY k 2', [1]],
  ['GETDEL k', [1]],
  ['GETEX k PERSIST', [1]],
  ['SETRANGE k 0 v', [1]],
  ['DEL a b c', [1, 2, 3]],
  ['UNLINK a b', [1, 2]],
  ['EXPIRE k 10', [1]],
  ['PERSIST k', [1]],
  ['RENAME a b', [1, 2]],
  ['COPY a b', [2]],
  ['MOVE k 1', [1]],
  ['HSET h f v', [1]],
  ['HDEL h f', [1]],
  ['HINCRBY h f 1', [1]],
  ['LPUSH l x', [1]],
  ['LMOVE a b LEFT RIGHT', [1, 2]],
  ['RPOPLPUSH a b', [1, 2]],
  ['SADD s m', [1]],
  ['SMOVE a b m', [1, 2]],
  ['SINTERSTORE d a b', [1]],
  ['ZADD z 1 m', [1]],
  ['ZINCRBY z 1 m', [1]],
  ['ZUNIONSTORE d 2 a b', [1]],
  ['ZRANGESTORE d z 0 -1', [1]],
  ['XADD x * f v', [1]],
  ['PFADD p a', [1]],
  ['PFMERGE d a b', [1]],
  ['SETBIT b 1 1', [1]],
  ['BITOP AND d a b', [2]],
  ['GEOADD g 1 1 m', [1]],
  ['SORT l STORE d', [1, 3]],
  ['EVAL return 2 a b', [3, 4]],
  ['EVALSHA 0123456789012345678901234567890123456789 1 a', [3]],
  ['FCALL f 1 a', [3]],
];

const CACHED_READS = [
  'GET k', 'GETRANGE k 0 1', 'STRLEN k', 'EXISTS k', 'TYPE k', 'HGET h f', 'HMGET h f g', 'HGETALL h', 'HEXISTS h f', 'HLEN h',
  'LRANGE l 0 -1', 'LLEN l', 'SMEMBERS s', 'SISMEMBER s m', 'SCARD s', 'ZRANGE z 0 -1', 'ZSCORE z m', 'ZCARD z',
];

function written(keys: CommandKeys): number[] {
  return [...keys.writtenIndexes].sort((a, b) => a - b);
}

describe('the command table', () => {
  it("finds each write's keys from Redis 7's key specs", () => {
    for (const [line, indexes] of WRITES) {
      const keys = modern.keys(args(line));
      assert.ok(keys.mutates, `${line} writes`);
      // Redis 7's own spec for SORT's STORE key is of type "unknown".
      assert.equal(keys.unknownKeys, line.startsWith('SORT'), `${line}: keys known`);
      if (keys.unknownKeys) continue;
      for (const index of indexes) assert.ok(keys.writtenIndexes.includes(index), `${line}: writes argument ${index}, found ${written(keys)}`);
    }
  });

  it('says whether it was made without key specs', () => {
    assert.equal(modern.legacyRanges, false);
    assert.equal(legacy.legacyRanges, true);
  });

  it('without key specs (Redis 6), sees every write: by its first/last/step, or as a write to unknown keys (movablekeys)', () => {
    for (const [line, indexes] of WRITES) {
      const keys = legacy.keys(args(line));
      assert.ok(keys.mutates, `${line} writes`);
      if (keys.unknownKeys) continue;
      for (const index of indexes) assert.ok(keys.writtenIndexes.includes(index), `${line}: writes argument ${index}, found ${written(keys)}`);
    }
    assert.deepEqual(written(legacy.keys(args('MSET a 1 b 2 c 3'))), [1, 3, 5]);
    assert.deepEqual(written(legacy.keys(args('LMOVE a b LEFT RIGHT'))), [1, 2]);
    for (const line of ['EVAL return 2 a b', 'ZUNIONSTORE d 2 a b', 'SORT l STORE d']) {
      const keys = legacy.keys(args(line));
      assert.ok(keys.mutates && keys.unknownKeys, `${line}: a write to keys only its own code finds`);
    }
  });

  it('without key specs, still caches the cacheable reads, by the key at argument 1', () => {
    for (const line of CACHED_READS) {
      const name = line.split(' ')[0].toLowerCase();
      assert.ok(CACHEABLE_READS.has(name), name);
      for (const table of [modern, legacy]) {
        const keys = table.keys(args(line));
        assert.ok(keys.spec?.flags.has('readonly'), `${line} is read-only`);
        assert.ok(!keys.mutates, `${line} writes nothing`);
        assert.deepEqual(keys.keyIndexes, [1], line);
      }
    }
    assert.deepEqual(legacy.keys(args('MGET a b c')).keyIndexes, [1, 2, 3]);
  });

  it('knows the commands that may block, with key specs (Redis 7 flags them) and without (Redis 6 does not)', () => {
    for (const line of ['BLPOP l 0', 'BRPOP l 0', 'BLMOVE a b LEFT RIGHT 0', 'BZPOPMIN z 0', 'XREAD BLOCK 0 STREAMS s $', 'XREADGROUP GROUP g c BLOCK 0 STREAMS s >', 'WAIT 0 0']) {
      assert.ok(modern.keys(args(line)).blocking, `${line} may block`);
      assert.ok(legacy.keys(args(line)).blocking, `${line} may block (Redis 6)`);
    }
    for (const line of ['GET k', 'LPOP l', 'SET k v', 'EVAL return 0']) {
      assert.ok(!modern.keys(args(line)).blocking, `${line} never blocks`);
      assert.ok(!legacy.keys(args(line)).blocking, `${line} never blocks (Redis 6)`);
    }
  });

  it('without key specs, takes commands that write nothing for what they are', () => {
    for (const line of ['PING', 'CLIENT SETNAME x', 'INFO', 'SELECT 1', 'WATCH a b', 'SCAN 0', 'PUBLISH c m']) {
      assert.ok(!legacy.keys(args(line)).mutates, `${line} writes no key`);
    }
  });
});
