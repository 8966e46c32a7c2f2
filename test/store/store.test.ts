/**
 * The store on its own: the byte budget under floods, expiry on a fake clock, binary values,
 * the SCAN guarantee under concurrent writes, and the session-level commands.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeReply, RespError, RespVerbatimString, type RespValue } from '../../src/resp/index.js';
import { Store, type Session } from '../../src/store/index.js';
import { toArgs, type Arg } from './support/args.js';
import { entryBytes as storeEntryBytes, StringEntry } from '../../src/store/values.js';

function harness(options: { maxBytes?: number; now?: () => number; databases?: number } = {}) {
  const store = new Store({ maxBytes: options.maxBytes ?? 1024 * 1024, now: options.now, databases: options.databases });
  const session = store.newSession();
  const raw = (...args: Arg[]): Buffer => store.execute(session, toArgs(args));
  const run = (...args: Arg[]): RespValue => decodeReply(raw(...args));
  const text = (...args: Arg[]): string => raw(...args).toString('latin1');
  return { store, session, raw, run, text };
}

function fakeClock(start = 1_700_000_000_000) {
  const clock = { now: start, advance: (ms: number) => (clock.now += ms) };
  return clock;
}

const keysOf = (value: RespValue): string[] => (value as Buffer[]).map((key) => key.toString('latin1')).sort();

describe('the byte budget', () => {
  it('holds under a flood of large values, by evicting', () => {
    const maxBytes = 256 * 1024;
    const { store, run } = harness({ maxBytes });
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 5000; i++) {
      assert.equal(run('SET', `key:${i}`, value), 'OK');
      assert.ok(store.bytes <= maxBytes, `after ${i + 1} writes: ${store.bytes} > ${maxBytes}`);
    }
    const keys = keysOf(run('KEYS', '*'));
    assert.ok(keys.length > 100 && keys.length < 260, `${keys.length} keys of ~1.2 KB in 256 KiB`);
    assert.equal(run('DBSIZE'), keys.length);
    for (const key of keys) assert.equal((run('GET', key) as Buffer).length, 1000, key);
    const info = (run('INFO', 'stats') as Buffer).toString();
    assert.match(info, /evicted_keys:(\d+)/);
    assert.ok(Number(/evicted_keys:(\d+)/.exec(info)![1]) >= 5000 - keys.length - 1);
  });

  it('counts keys and values honestly: 9/8 of their length (for the heap between collections) plus a fixed overhead', () => {
    const { store, run } = harness({ maxBytes: 64 * 1024 * 1024 });
    const empty = store.bytes;
    assert.ok(empty > 0, 'the structures count too');
    run('SET', 'k'.repeat(100), 'v'.repeat(10_000));
    const stringBytes = store.bytes - empty;
    assert.ok(stringBytes >= 10_100 * 1.125 && stringBytes < 10_100 * 1.125 + 400, `${stringBytes}`);
    const before = store.bytes;
    run('HSET', 'h', 'f'.repeat(50), 'v'.repeat(5000), 'g'.repeat(50), 'w'.repeat(5000));
    const hashBytes = store.bytes - before;
    assert.ok(hashBytes >= 10_100 * 1.125 && hashBytes < 10_100 * 1.125 + 500, `${hashBytes}`);
    run('HDEL', 'h', 'f'.repeat(50));
    assert.ok(store.bytes - before < 5_050 * 1.125 + 500, 'deleting a field gives its bytes back');
    run('FLUSHALL');
    assert.equal(store.bytes, empty);
  });

  it('drops a value larger than the whole budget, and still answers like Redis', () => {
    const maxBytes = 64 * 1024;
    const { store, run } = harness({ maxBytes });
    run('SET', 'small', 'v');
    assert.equal(run('SET', 'big', 'x'.repeat(100 * 1024)), 'OK');
    assert.equal(run('GET', 'big'), null);
    assert.equal(run('EXISTS', 'big'), 0);
    assert.ok(store.bytes <= maxBytes);
    assert.equal(run('SETRANGE', 'huge', String(10 * 1024 * 1024), 'x'), 10 * 1024 * 1024 + 1);
    assert.equal(run('EXISTS', 'huge'), 0);
    assert.equal(String(run('GET', 'small')), 'v');
  });

  it('holds while hashes and appends grow in place', () => {
    const maxBytes = 128 * 1024;
    const { store, run } = harness({ maxBytes });
    for (let i = 0; i < 3000; i++) {
      run('HSET', `h${i % 7}`, `field:${i}`, 'v'.repeat(100));
      run('APPEND', `s${i % 5}`, 'a'.repeat(97));
      assert.ok(store.bytes <= maxBytes, `${store.bytes} > ${maxBytes}`);
    }
    const keys = keysOf(run('KEYS', '*'));
    assert.equal(run('DBSIZE'), keys.length);
    for (const key of keys) assert.notEqual(run('TYPE', key), 'none');
  });

  it('is one budget across all databases', () => {
    const maxBytes = 128 * 1024;
    const { store, run } = harness({ maxBytes });
    for (let db = 0; db < 16; db++) {
      run('SELECT', String(db));
      for (let i = 0; i < 200; i++) run('SET', `k${i}`, 'x'.repeat(500));
      assert.ok(store.bytes <= maxBytes);
    }
    let total = 0;
    for (let db = 0; db < 16; db++) {
      run('SELECT', String(db));
      total += run('DBSIZE') as number;
    }
    assert.ok(total > 50 && total < 260, `${total} keys`);
  });
});

describe('expiry, on a fake clock', () => {
  it('a key lives through its last millisecond and is gone the next', () => {
    const clock = fakeClock();
    const { run } = harness({ now: () => clock.now });
    run('SET', 'k', 'v', 'PX', '100');
    clock.advance(100);
    assert.equal(run('PTTL', 'k'), 0);
    assert.equal(run('GET', 'k')!.toString(), 'v');
    clock.advance(1);
    assert.equal(run('GET', 'k'), null);
    assert.equal(run('TTL', 'k'), -2);
    assert.equal(run('EXISTS', 'k'), 0);
    assert.equal(run('DBSIZE'), 0);
  });

  it('TTL rounds to the nearest second; EXPIRETIME is absolute', () => {
    const clock = fakeClock(1_700_000_000_000);
    const { run } = harness({ now: () => clock.now });
    run('SET', 'k', 'v', 'EX', '10');
    clock.advance(500);
    assert.equal(run('TTL', 'k'), 10); // 9.5 s rounds up, as in Redis
    clock.advance(1);
    assert.equal(run('TTL', 'k'), 9);
    assert.equal(run('PTTL', 'k'), 9499);
    assert.equal(run('EXPIRETIME', 'k'), 1_700_000_010);
    assert.equal(run('PEXPIRETIME', 'k'), 1_700_000_010_000);
  });

  it('expired keys are never returned by any command', () => {
    const clock = fakeClock();
    const { run } = harness({ now: () => clock.now });
    run('SET', 's', 'v', 'EX', '1');
    run('HSET', 'h', 'f', 'v');
    run('PEXPIRE', 'h', '1000');
    run('SET', 'forever', 'v');
    clock.advance(1001);
    assert.equal(run('GET', 's'), null);
    assert.equal(run('HGET', 'h', 'f'), null);
    assert.deepEqual(keysOf(run('KEYS', '*')), ['forever']);
    assert.deepEqual(keysOf((run('SCAN', '0', 'COUNT', '100') as RespValue[])[1]), ['forever']);
    assert.equal(run('RANDOMKEY')!.toString(), 'forever');
    assert.deepEqual(run('MGET', 's', 'forever'), [null, Buffer.from('v')]);
    assert.equal(run('TYPE', 'h'), 'none');
    assert.equal(run('INCR', 's'), 1, 'an expired key counts as missing');
    assert.equal(run('TTL', 's'), -1);
    assert.equal(run('RENAME', 'h', 'x') instanceof RespError, true);
  });

  it('memory of expired keys nobody reads is reclaimed', () => {
    const clock = fakeClock();
    const { store, run } = harness({ now: () => clock.now });
    run('SET', 'k0', 'x'.repeat(1000), 'PX', '500');
    // What stays: the structures, the expiry wheel the first TTL made among them (and their
    // growth as the keys came, a tenth of what the keys held).
    const structures = store.bytes - storeEntryBytes('k0', new StringEntry('x'.repeat(1000)));
    for (let i = 1; i < 500; i++) run('SET', `k${i}`, 'x'.repeat(1000), 'PX', '500');
    const full = store.bytes - structures;
    clock.advance(5000);
    run('SET', 'other', 'v'); // writes advance the engine's timer wheel
    assert.ok(store.bytes - structures < full / 10, `${store.bytes - structures} of ${full} still held`);
    assert.equal(run('DBSIZE'), 1);
  });

  it('PERSIST, KEEPTTL, and writes that keep or clear a TTL', () => {
    const clock = fakeClock();
    const { run } = harness({ now: () => clock.now });
    run('SET', 'k', '1', 'EX', '100');
    run('INCR', 'k');
    run('APPEND', 'k', '0');
    assert.equal(run('TTL', 'k'), 100);
    run('SET', 'k', 'v', 'KEEPTTL');
    assert.equal(run('TTL', 'k'), 100);
    run('SET', 'k', 'v');
    assert.equal(run('TTL', 'k'), -1);
    run('EXPIRE', 'k', '10');
    assert.equal(run('PERSIST', 'k'), 1);
    assert.equal(run('TTL', 'k'), -1);
    run('EXPIRE', 'k', '10');
    clock.advance(10_001);
    assert.equal(run('PERSIST', 'k'), 0);
    assert.equal(run('EXISTS', 'k'), 0);
  });

  it('INFO keyspace counts keys with a TTL', () => {
    const clock = fakeClock();
    const { run } = harness({ now: () => clock.now });
    run('SET', 'a', 'v', 'EX', '100');
    run('SET', 'b', 'v');
    run('HSET', 'h', 'f', 'v');
    run('EXPIRE', 'h', '50');
    run('PERSIST', 'a');
    run('SET', 'c', 'v', 'PX', '10');
    const info = () => (run('INFO', 'keyspace') as Buffer).toString();
    assert.match(info(), /db0:keys=4,expires=2,avg_ttl=0/);
    clock.advance(11);
    run('GET', 'c');
    assert.match(info(), /db0:keys=3,expires=1,avg_ttl=0/);
  });
});

describe('binary safety', () => {
  it('keeps every byte of keys, values, fields and patterns', () => {
    const { raw, run } = harness();
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const tricky = Buffer.from('a\r\nb\0c$3\r\n*1\r\n\xff', 'latin1');
    assert.equal(run('SET', every, tricky), 'OK');
    assert.deepEqual(run('GET', every), tricky);
    assert.equal(raw('GET', every).toString('latin1'), `$${tricky.length}\r\n${tricky.toString('latin1')}\r\n`);
    run('HSET', tricky, every, every);
    assert.deepEqual(run('HGET', tricky, every), every);
    assert.deepEqual(run('HGETALL', tricky), [every, every]);
    run('APPEND', every, Buffer.from([0, 0xff]));
    assert.deepEqual(run('GET', every), Buffer.concat([tricky, Buffer.from([0, 0xff])]));
    assert.deepEqual(keysOf(run('KEYS', Buffer.from('a\r\n*', 'latin1'))), [tricky.toString('latin1')]);
    assert.deepEqual(run('GETRANGE', every, '1', '3'), Buffer.from('\r\nb', 'latin1'));
  });

  it('does not keep the caller’s buffers', () => {
    const { run } = harness();
    const value = Buffer.from('original');
    run('SET', 'k', value);
    value.fill(0x21);
    assert.equal(run('GET', 'k')!.toString(), 'original');
  });
});

describe('SCAN', () => {
  it('returns every key present for the whole scan, despite writes between calls', () => {
    const { run } = harness({ maxBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 2000; i++) run('SET', `stable:${i}`, 'v');
    for (let i = 0; i < 1000; i++) run('SET', `churn:${i}`, 'v');
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    let added = 0;
    do {
      const [next, keys] = run('SCAN', cursor, 'COUNT', '25') as [Buffer, Buffer[]];
      for (const key of keys) seen.add(key.toString());
      cursor = next.toString();
      run('DEL', `churn:${calls * 3}`, `churn:${calls * 3 + 1}`);
      run('SET', `added:${added++}`, 'v');
      calls++;
    } while (cursor !== '0' && calls < 10_000);
    assert.equal(cursor, '0');
    for (let i = 0; i < 2000; i++) assert.ok(seen.has(`stable:${i}`), `stable:${i} missed`);
    assert.ok(calls > 50, 'COUNT bounds the work of a call');
  });

  it('HSCAN returns the whole hash at once', () => {
    const { run } = harness();
    for (let i = 0; i < 500; i++) run('HSET', 'h', `f${i}`, `v${i}`);
    const [cursor, items] = run('HSCAN', 'h', '0', 'COUNT', '10') as [Buffer, Buffer[]];
    assert.equal(cursor.toString(), '0');
    assert.equal(items.length, 1000);
  });
});

describe('sessions and connection commands', () => {
  it('an empty command gets no reply; QUIT asks the caller to close', () => {
    const { store, session, raw } = harness();
    assert.equal(store.execute(session, []).length, 0);
    assert.equal(session.closeAfterReply, false);
    assert.equal(raw('QUIT').toString(), '+OK\r\n');
    assert.equal(session.closeAfterReply, true);
  });

  it('each session has its own database, protocol and name', () => {
    const { store, session: a } = harness();
    const b = store.newSession();
    const exec = (session: Session, ...args: Arg[]) => store.execute(session, toArgs(args)).toString('latin1');
    exec(a, 'SELECT', '3');
    exec(a, 'SET', 'k', 'in3');
    assert.equal(exec(b, 'GET', 'k'), '$-1\r\n');
    exec(b, 'HELLO', '3', 'SETNAME', 'bee');
    assert.equal(exec(b, 'GET', 'k'), '_\r\n');
    assert.equal(exec(a, 'GET', 'k'), '$3\r\nin3\r\n');
    assert.equal(exec(a, 'CLIENT', 'GETNAME'), '$-1\r\n');
    assert.equal(exec(b, 'CLIENT', 'GETNAME'), '$3\r\nbee\r\n');
    assert.notEqual(a.id, b.id);
    assert.equal(exec(b, 'CLIENT', 'ID'), `:${b.id}\r\n`);
    exec(b, 'SWAPDB', '0', '3');
    assert.equal(exec(b, 'GET', 'k'), '$3\r\nin3\r\n');
    exec(b, 'RESET');
    assert.equal(b.protocol, 2);
    assert.equal(b.db, 0);
    assert.equal(b.name, null);
  });

  it('CLIENT SETINFO (Redis 7.2) and CLIENT LIST / INFO', () => {
    const { store, session, run } = harness();
    assert.equal(run('CLIENT', 'SETINFO', 'LIB-NAME', 'node-redis'), 'OK');
    assert.equal(run('CLIENT', 'SETINFO', 'lib-ver', '4.7.0'), 'OK');
    assert.equal((run('CLIENT', 'SETINFO', 'lib-name', 'a b') as RespError).message, 'ERR lib-name cannot contain spaces, newlines or special characters.');
    assert.equal((run('CLIENT', 'SETINFO', 'color', 'red') as RespError).message, "ERR Unrecognized option 'color'");
    assert.equal((run('CLIENT', 'SETINFO', 'lib-name') as RespError).message, "ERR wrong number of arguments for 'client|setinfo' command");
    const other = store.newSession({ address: '10.0.0.1:5000', localAddress: '127.0.0.1:6379' });
    const line = (run('CLIENT', 'INFO') as Buffer).toString();
    assert.match(line, new RegExp(`^id=${session.id} addr= .* cmd=client\\|info user=default redir=-1 resp=2 lib-name=node-redis lib-ver=4.7.0\\n$`));
    const list = (run('CLIENT', 'LIST') as Buffer).toString().trimEnd().split('\n');
    assert.equal(list.length, 2);
    assert.match(list[1], /^id=\d+ addr=10\.0\.0\.1:5000 laddr=127\.0\.0\.1:6379 /);
    store.endSession(other);
    assert.equal((run('CLIENT', 'LIST') as Buffer).toString().trimEnd().split('\n').length, 1);
    assert.match((run('INFO', 'clients') as Buffer).toString(), /connected_clients:1\r\n/);
    run('HELLO', '3');
    assert.ok(run('CLIENT', 'INFO') instanceof RespVerbatimString);
  });

  it('INFO is Redis-formatted, with the fields clients look for', () => {
    const { run } = harness({ maxBytes: 1000000 });
    run('SET', 'k', 'v');
    const info = (run('INFO') as Buffer).toString();
    for (const line of info.split('\r\n')) assert.match(line, /^(# [A-Z][a-zA-Z]+|[a-z_0-9]+:.*|)$/, line);
    for (const field of ['redis_version:7.0.15', 'redis_mode:standalone', 'tcp_port:', 'connected_clients:1', 'used_memory:', 'maxmemory:1000000', 'loading:0', 'role:master']) {
      assert.ok(info.includes(`\r\n${field}`), field);
    }
    assert.match(info, /\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n$/);
  });

  it('rejects bad options', () => {
    assert.throws(() => new Store({ maxBytes: 0 }), RangeError);
    assert.throws(() => new Store({ maxBytes: 1, databases: 0 }), RangeError);
    assert.throws(() => new Store({ maxBytes: 1, databases: 1.5 }), RangeError);
  });

  it('supports more databases than one prefix byte can number', () => {
    const { run } = harness({ databases: 1000 });
    run('SELECT', '999');
    run('SET', 'k', 'v');
    assert.equal(run('DBSIZE'), 1);
    run('SELECT', '0');
    assert.equal(run('DBSIZE'), 0);
    assert.equal((run('SELECT', '1000') as RespError).message, 'ERR DB index is out of range');
  });
});

describe('messages for other clients, through Session.deliver', () => {
  /** A second session whose out-of-band bytes are collected. */
  function listener(store: Store): { session: Session; got: string[]; send: (...args: Arg[]) => string } {
    const session = store.newSession();
    const got: string[] = [];
    session.deliver = (bytes) => got.push(bytes.toString('latin1'));
    return { session, got, send: (...args) => store.execute(session, toArgs(args)).toString('latin1') };
  }

  it('delivers a published message to the subscriber, and none once its session ended', () => {
    const { store, run } = harness();
    const subscriber = listener(store);
    assert.equal(subscriber.send('SUBSCRIBE', 'news'), '*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n');
    assert.equal(run('PUBLISH', 'news', 'hi'), 1);
    assert.deepEqual(subscriber.got, ['*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n']);
    store.endSession(subscriber.session);
    assert.equal(run('PUBLISH', 'news', 'again'), 0);
    assert.equal(subscriber.got.length, 1);
  });

  it("appends a tracking client's own invalidation to its write's reply; another's goes to its sink", () => {
    const { store, text } = harness();
    const tracker = listener(store);
    tracker.send('HELLO', '3');
    tracker.send('CLIENT', 'TRACKING', 'on');
    tracker.send('GET', 'k');
    assert.equal(tracker.send('SET', 'k', '1'), '+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n');
    assert.deepEqual(tracker.got, []);
    tracker.send('GET', 'k');
    assert.equal(text('SET', 'k', '2'), '+OK\r\n');
    assert.deepEqual(tracker.got, ['>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n']);
  });

  it("tracks a script's declared keys once it runs a read command, not the keys it read (Redis 7.0)", () => {
    const { store, text } = harness();
    const tracker = listener(store);
    tracker.send('HELLO', '3');
    tracker.send('CLIENT', 'TRACKING', 'on');
    tracker.send('EVAL', "redis.call('set', 'k3', 'v')", '2', 'k1', 'k2');
    text('MSET', 'k1', 'a', 'k2', 'b', 'k3', 'c');
    assert.deepEqual(tracker.got, [], 'a script that reads nothing tracks nothing');
    tracker.send('EVAL', "return redis.call('get', 'k3')", '2', 'k1', 'k2');
    text('MSET', 'k1', 'a', 'k2', 'b', 'k3', 'c');
    assert.deepEqual(tracker.got, ['>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk1\r\n', '>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk2\r\n']);
  });

  it('tells a tracking client of every key the budget evicted, whichever keys the policy chose', () => {
    const { store, run } = harness({ maxBytes: 64 * 1024 });
    const tracker = listener(store);
    tracker.send('HELLO', '3');
    tracker.send('CLIENT', 'TRACKING', 'on');
    // The tracker reads every key as it is written, so whichever keys W-TinyLFU (random seed,
    // random admission) evicts, each was tracked. 2000 keys of ~150 bytes cannot fit in 64 KiB.
    const tracked: string[] = [];
    const received = [...tracker.got];
    for (let i = 0; i < 2000; i++) {
      run('SET', `hot:${i}`, 'y'.repeat(100));
      const reply = tracker.send('GET', `hot:${i}`);
      received.push(reply);
      // A write the budget declined at once was never held, so it was never evicted while tracked.
      if (reply.startsWith('$100\r\n')) tracked.push(`hot:${i}`);
    }
    received.push(...tracker.got);
    const gone = tracked.filter((key) => run('EXISTS', key) === 0);
    assert.ok(gone.length > 0, 'the budget evicted some tracked keys');
    const evictedKeys = Number(/evicted_keys:(\d+)/.exec(String(run('INFO', 'stats')))![1]);
    assert.ok(evictedKeys >= gone.length, `evicted_keys ${evictedKeys} counts the ${gone.length} tracked keys gone`);
    const invalidated = [...received.join('').matchAll(/>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$\d+\r\n([^\r]*)\r\n/g)].map(
      (match) => match[1],
    );
    assert.deepEqual(invalidated.sort(), gone.sort(), 'one invalidation for each evicted key, none for a key still held');
  });

  it('holds BCAST invalidations until the end of the batch of input, one message per prefix', () => {
    const { store, run } = harness();
    const tracker = listener(store);
    tracker.send('HELLO', '3');
    tracker.send('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a:', 'PREFIX', 'b:');
    run('SET', 'b:2', '1');
    run('SET', 'a:1', '1');
    run('SET', 'b:1', '1');
    run('SET', 'c:1', '1');
    assert.deepEqual(tracker.got, []);
    store.broadcastInvalidations();
    assert.deepEqual(tracker.got, [
      '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\na:1\r\n',
      '>2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\nb:1\r\n$3\r\nb:2\r\n',
    ]);
    store.broadcastInvalidations();
    assert.equal(tracker.got.length, 2, 'each change told once');
  });

  it('sends BCAST invalidations of keys the expiry sweep removed without waiting for any input', async () => {
    const { store, run } = harness();
    const tracker = listener(store);
    tracker.send('HELLO', '3');
    tracker.send('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'k');
    run('SET', 'kept', 'v');
    run('SET', 'k1', 'v', 'PX', '1');
    run('SET', 'other', 'v', 'PX', '1');
    store.broadcastInvalidations();
    tracker.got.length = 0;
    // No command runs from here: only the engine's sweep (every second) can find k1 expired.
    for (let waited = 0; tracker.got.length === 0 && waited < 30_000; waited += 50) await sleep(50);
    assert.deepEqual(tracker.got, ['>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk1\r\n']);
  });
});
