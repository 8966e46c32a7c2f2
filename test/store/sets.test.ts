/**
 * Sets in the store on their own: what they cost against the budget, the random commands (whose
 * replies the differential corpus can only compare by type), and the bookkeeping around writes
 * (WATCH, CLIENT TRACKING) for the set commands.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeReply, type RespValue } from '../../src/resp/index.js';
import { Store, type Session } from '../../src/store/index.js';
import { toArgs, type Arg } from './support/args.js';

function harness(maxBytes = 1024 * 1024, now?: () => number) {
  const store = new Store({ maxBytes, now });
  const session = store.newSession();
  const run = (...args: Arg[]): RespValue => decodeReply(store.execute(session, toArgs(args)));
  return { store, run };
}

/** Another client whose out-of-band bytes (invalidations) are collected. */
function client(store: Store): { got: string[]; send: (...args: Arg[]) => string; session: Session } {
  const session = store.newSession();
  const got: string[] = [];
  session.deliver = (bytes) => got.push(bytes.toString('latin1'));
  return { session, got, send: (...args) => store.execute(session, toArgs(args)).toString('latin1') };
}

const strings = (value: RespValue): string[] => [...(value as Iterable<Buffer>)].map((item) => item.toString('latin1'));

describe('sets against the byte budget', () => {
  it('count their members, and give the bytes back as members leave', () => {
    const { store, run } = harness(64 * 1024 * 1024);
    const empty = store.bytes;
    const members = Array.from({ length: 100 }, (_, i) => `${'m'.repeat(95)}${String(i).padStart(5, '0')}`);
    run('SADD', 's', ...members);
    const grown = store.bytes - empty;
    // 100 members of 100 bytes: their characters at 9/8, plus a bounded overhead each.
    assert.ok(grown >= 10_000 * 1.125 && grown < 10_000 * 1.125 + 100 * 120, `${grown}`);
    run('SREM', 's', ...members.slice(0, 50));
    const half = store.bytes - empty;
    assert.ok(half < grown - 5_000 * 1.125, `${half} after removing half of ${grown}`);
    run('SPOP', 's', '50');
    assert.equal(run('EXISTS', 's'), 0);
    assert.equal(store.bytes, empty);
  });

  it('holds while sets grow in place', () => {
    const maxBytes = 128 * 1024;
    const { store, run } = harness(maxBytes);
    for (let i = 0; i < 3000; i++) {
      run('SADD', `s${i % 7}`, `member:${i}:${'v'.repeat(100)}`);
      assert.ok(store.bytes <= maxBytes, `${store.bytes} > ${maxBytes}`);
    }
    for (const key of strings(run('KEYS', '*'))) assert.equal(run('TYPE', key), 'set');
  });
});

describe('random members', () => {
  const { run } = harness();
  const all = Array.from({ length: 20 }, (_, i) => `m${i}`);
  run('SADD', 'all', ...all);

  it('SRANDMEMBER with a positive count gives distinct members, with a negative one as many as asked', () => {
    for (const count of [1, 5, 19]) {
      const picked = strings(run('SRANDMEMBER', 'all', String(count)));
      assert.equal(new Set(picked).size, count);
      for (const member of picked) assert.ok(all.includes(member), member);
    }
    const draws = strings(run('SRANDMEMBER', 'all', '-100'));
    assert.equal(draws.length, 100);
    for (const member of draws) assert.ok(all.includes(member), member);
    assert.equal(run('SCARD', 'all'), 20, 'nothing removed');
  });

  it('SPOP removes exactly the members it returns', () => {
    run('SADD', 'pop', ...all);
    // 3 and 4 of many are drawn at random places; 9 of the 12 left, by a shuffle.
    const popped = [
      ...strings(run('SPOP', 'pop', '3')),
      ...strings(run('SPOP', 'pop', '4')),
      String(run('SPOP', 'pop')),
      ...strings(run('SPOP', 'pop', '9')),
    ];
    assert.equal(new Set(popped).size, 17);
    const left = strings(run('SMEMBERS', 'pop'));
    assert.equal(left.length, 3);
    assert.deepEqual([...popped, ...left].sort(), [...all].sort());
  });

  it('RENAME moves the members to a set of their own', () => {
    run('SADD', 'from', 'a', 'b');
    run('RENAME', 'from', 'to');
    run('SADD', 'from', 'c');
    run('SREM', 'to', 'a');
    assert.deepEqual(strings(run('SMEMBERS', 'to')), ['b']);
    assert.deepEqual(strings(run('SMEMBERS', 'from')), ['c']);
  });
});

describe('sets that expired', () => {
  it('are missing to every set command, and a write makes a new set without the TTL', () => {
    let clock = 1_700_000_000_000;
    const { run } = harness(1024 * 1024, () => clock);
    run('SADD', 'e', '1', '2');
    run('SADD', 'other', '2', '3');
    run('PEXPIRE', 'e', '1000');
    clock += 1001;
    assert.deepEqual(strings(run('SMEMBERS', 'e')), []);
    assert.equal(run('SISMEMBER', 'e', '1'), 0);
    assert.deepEqual(strings(run('SUNION', 'e', 'other')), ['2', '3']);
    assert.equal(run('SMOVE', 'e', 'other', '1'), 0);
    assert.equal(run('SPOP', 'e'), null);
    assert.equal(run('TYPE', 'e'), 'none');
    assert.equal(run('SADD', 'e', '9'), 1);
    assert.deepEqual(strings(run('SMEMBERS', 'e')), ['9']);
    assert.equal(run('TTL', 'e'), -1);
  });
});

describe('CLIENT TRACKING of set reads', () => {
  it('remembers the keys SINTERCARD counted (numkeys), and tells of their next change', () => {
    const { store, run } = harness();
    run('SADD', 'a', '1', '2');
    run('SADD', 'b', '2', '3');
    const tracker = client(store);
    tracker.send('HELLO', '3');
    tracker.send('CLIENT', 'TRACKING', 'on');
    assert.equal(tracker.send('SINTERCARD', '2', 'a', 'b', 'LIMIT', '5'), ':1\r\n');
    run('SADD', 'b', '4');
    run('SREM', 'a', '1');
    assert.deepEqual(tracker.got, ['>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nb\r\n', '>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n']);
  });
});
