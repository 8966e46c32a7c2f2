/**
 * Sorted sets past what the differential corpus covers: large sets (which Redis keeps as a
 * skiplist) compared byte for byte with a real Redis through random updates and range queries,
 * and what a sorted set costs in the store's byte budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeReply, type RespValue } from '../../src/resp/index.js';
import { Store } from '../../src/store/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { RawClient } from '../support/proxy.js';
import { toArgs, type Arg } from './support/args.js';
import { describeStep } from './support/compare.js';

/** A deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Commands on a sorted set of a few thousand members: updates that move members, and every kind of range. */
function largeSetCommands(seed: number): string[][] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const member = () => `m${Math.floor(next() * 3000)}`;
  // Few distinct scores, so that many members tie and order by name.
  const score = () => pick(['1', '2', '2.5', '-7', '1e10', '0.1', 'inf', '-inf', String(Math.floor(next() * 500))]);
  const bound = () => pick(['-inf', '+inf', '(2', '2', '100', '(250', '0.1', '1e10']);
  const lex = () => pick(['-', '+', '[m1', '(m2', '[m5', '(m999']);
  const index = () => pick(['0', '1', '-1', '-100', '500', '2999', '-3000', String(Math.floor(next() * 3000))]);
  const commands: string[][] = [];
  for (let i = 0; i < 3000; i++) commands.push(['ZADD', 'big', String(Math.floor(next() * 500)), `m${i}`]);
  // Ranges by member are defined only where every score is the same.
  for (let i = 0; i < 1000; i++) commands.push(['ZADD', 'lex', '0', member()]);
  const makers: (() => string[])[] = [
    () => ['ZADD', 'big', score(), member(), score(), member()],
    () => ['ZADD', 'big', 'GT', 'CH', score(), member()],
    () => ['ZINCRBY', 'big', pick(['1', '-1', '100']), member()],
    () => ['ZREM', 'big', member(), member()],
    () => ['ZRANK', 'big', member()],
    () => ['ZREVRANK', 'big', member()],
    () => ['ZSCORE', 'big', member()],
    () => ['ZCARD', 'big'],
    () => ['ZCOUNT', 'big', bound(), bound()],
    () => ['ZLEXCOUNT', 'lex', lex(), lex()],
    () => ['ZADD', 'lex', '0', member()],
    () => ['ZREM', 'lex', member()],
    () => ['ZREMRANGEBYLEX', 'lex', pick(['[m1', '(m55', '[m7']), pick(['(m1', '[m56', '(m71'])],
    () => ['ZRANGE', 'lex', lex(), lex(), 'BYLEX', 'REV', 'LIMIT', '0', '25'],
    () => ['ZRANGE', 'big', index(), index(), 'WITHSCORES'],
    () => ['ZRANGE', 'big', index(), index(), 'REV'],
    () => ['ZRANGEBYSCORE', 'big', bound(), bound(), 'WITHSCORES', 'LIMIT', index(), pick(['1', '10', '-1'])],
    () => ['ZREVRANGEBYSCORE', 'big', bound(), bound(), 'LIMIT', pick(['0', '5']), '20'],
    () => ['ZRANGEBYLEX', 'lex', lex(), lex(), 'LIMIT', '0', '30'],
    () => ['ZREVRANGEBYLEX', 'lex', lex(), lex(), 'LIMIT', '3', '30'],
    () => ['ZREMRANGEBYRANK', 'big', index(), pick(['0', '1', '5', '-2990'])],
    () => ['ZREMRANGEBYSCORE', 'big', pick(['(250', '300', '1e10']), pick(['(260', '301', 'inf'])],
    () => ['ZRANGESTORE', 'part', 'big', bound(), bound(), 'BYSCORE', 'LIMIT', '0', '200'],
    () => ['ZUNIONSTORE', 'union', '2', 'big', 'part', 'WEIGHTS', '1', '2'],
    () => ['ZINTER', '2', 'big', 'part', 'WITHSCORES'],
    () => ['ZDIFF', '2', 'big', 'part'],
    () => ['ZPOPMIN', 'big', pick(['1', '3'])],
    () => ['ZPOPMAX', 'big'],
  ];
  for (let i = 0; i < 1500; i++) commands.push(pick(makers)());
  commands.push(['ZRANGE', 'big', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'union', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'lex', '0', '-1']);
  return commands;
}

describe('large sorted sets, against Redis', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  for (const seed of [1, 2, 3]) {
    it(`random updates and ranges, seed ${seed}`, async () => {
      const client = await RawClient.connect(redis.port);
      try {
        const store = new Store({ maxBytes: 256 * 1024 * 1024 });
        const session = store.newSession();
        const commands: Arg[][] = [['FLUSHALL'], ...largeSetCommands(seed)];
        const expected = await client.pipeline(commands.map(toArgs), 60_000);
        commands.forEach((command, i) => {
          const actual = store.execute(session, toArgs(command));
          assert.equal(actual.toString('latin1'), expected[i].toString('latin1'), `step ${i}: ${describeStep(command)}`);
        });
      } finally {
        client.close();
      }
    });
  }
});

describe('sorted sets in the byte budget', () => {
  function harness(maxBytes: number) {
    const store = new Store({ maxBytes });
    const session = store.newSession();
    const run = (...args: Arg[]): RespValue => decodeReply(store.execute(session, toArgs(args)));
    return { store, run };
  }

  it('counts what members cost, and gives it back as they go', () => {
    const { store, run } = harness(64 * 1024 * 1024);
    const empty = store.bytes;
    run('ZADD', 'z', '1', 'first');
    const one = store.bytes - empty;
    for (let i = 0; i < 1000; i++) run('ZADD', 'z', String(i + 0.5), `member:${i}`);
    const perMember = (store.bytes - empty - one) / 1000;
    // A node, its level arrays, a heap number and a Map entry: about 270 bytes in the heap (see zset-value.ts).
    assert.ok(perMember > 200 && perMember < 400, `${perMember} bytes a member`);
    for (let i = 0; i < 1000; i++) run('ZREM', 'z', `member:${i}`);
    assert.equal(store.bytes - empty, one, 'removing members gives their bytes back');
    run('DEL', 'z');
    assert.equal(store.bytes, empty);
  });

  it('holds while sorted sets grow in place, by evicting', () => {
    const maxBytes = 256 * 1024;
    const { store, run } = harness(maxBytes);
    for (let i = 0; i < 5000; i++) {
      run('ZADD', `z${i % 7}`, String(i), `member:${i}`);
      assert.ok(store.bytes <= maxBytes, `${store.bytes} > ${maxBytes}`);
    }
    const keys = (run('KEYS', '*') as Buffer[]).map(String);
    assert.ok(keys.length > 0);
    for (const key of keys) assert.equal(run('TYPE', key), 'zset');
  });
});

describe('blocking pops and tracking, through Session.deliver', () => {
  /** A session whose out-of-band bytes (a blocked command's reply, invalidations) are collected. */
  function client(store: Store) {
    const session = store.newSession();
    const got: string[] = [];
    session.deliver = (bytes) => got.push(bytes.toString('latin1'));
    return { session, got, send: (...args: Arg[]) => store.execute(session, toArgs(args)).toString('latin1') };
  }

  it('BZPOPMIN waits for a sorted set; the first blocked is served first, the next keeps waiting', () => {
    const store = new Store({ maxBytes: 1024 * 1024 });
    const [first, second, writer] = [client(store), client(store), client(store)];
    assert.equal(first.send('BZPOPMIN', 'none', 'z', '0'), '', 'blocked: no reply yet');
    assert.equal(second.send('BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '5'), '');
    // Another type under the key serves nobody.
    assert.equal(writer.send('SET', 'z', 'x'), '+OK\r\n');
    assert.equal(writer.send('DEL', 'z'), ':1\r\n');
    assert.deepEqual([first.got, second.got], [[], []]);
    assert.equal(writer.send('ZADD', 'z', '1', 'a'), ':1\r\n');
    assert.deepEqual(first.got, ['*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n']);
    assert.deepEqual(second.got, []);
    assert.equal(writer.send('ZADD', 'z', '2', 'b', '3', 'c'), ':2\r\n');
    assert.deepEqual(second.got, ['*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n']);
    assert.equal(writer.send('EXISTS', 'z'), ':0\r\n');
  });

  it('BZPOPMAX times out with a null array; inside MULTI it does not block', () => {
    let now = 1_700_000_000_000;
    const store = new Store({ maxBytes: 1024 * 1024, now: () => now });
    const waiter = client(store);
    assert.equal(waiter.send('BZPOPMAX', 'z', '0.5'), '');
    now += 400;
    assert.equal(store.timeOutBlocked(waiter.session), 100);
    assert.deepEqual(waiter.got, []);
    now += 101;
    assert.equal(store.timeOutBlocked(waiter.session), undefined);
    assert.deepEqual(waiter.got, ['*-1\r\n']);
    waiter.send('MULTI');
    waiter.send('BZPOPMAX', 'z', '0');
    assert.equal(waiter.send('EXEC'), '*1\r\n*-1\r\n');
  });

  it('a sorted-set write invalidates what a tracking client read', () => {
    const store = new Store({ maxBytes: 1024 * 1024 });
    const [tracker, writer] = [client(store), client(store)];
    tracker.send('HELLO', '3');
    tracker.send('CLIENT', 'TRACKING', 'on');
    tracker.send('ZRANGE', 'z', '0', '-1');
    writer.send('ZADD', 'z', 'NX', '1', 'a');
    assert.deepEqual(tracker.got, ['>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nz\r\n']);
    tracker.send('ZSCORE', 'z', 'a');
    writer.send('ZADD', 'z', 'NX', '5', 'a');
    assert.equal(tracker.got.length, 1, 'a write that changed nothing invalidates nothing');
    writer.send('ZINCRBY', 'z', '1', 'a');
    assert.equal(tracker.got.length, 2);
  });
});
