/**
 * Lists in the store on its own: the deque against an array model, what a list costs in the
 * budget, and blocked clients (several sessions, a fake clock): who is served first, from which
 * key, when not at all, and how a wait ends otherwise. The replies themselves are compared with
 * Redis's in differential.test.ts and embedded-blocking.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeReply, RespError, type RespValue } from '../../src/resp/index.js';
import { ListEntry } from '../../src/store/list-entry.js';
import { Store } from '../../src/store/index.js';
import { toArgs, type Arg } from './support/args.js';

type Op = ['pushHead' | 'pushTail', string] | ['popHead' | 'popTail'] | ['insert', number, string] | ['removeAt', number] | ['set', number, string] | ['trim', number, number];

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(fc.constantFrom('pushHead' as const, 'pushTail' as const), fc.string({ maxLength: 20 })),
  fc.tuple(fc.constantFrom('popHead' as const, 'popTail' as const)),
  fc.tuple(fc.constant('insert' as const), fc.nat(), fc.string({ maxLength: 3 })),
  fc.tuple(fc.constant('removeAt' as const), fc.nat()),
  fc.tuple(fc.constant('set' as const), fc.nat(), fc.string({ maxLength: 30 })),
  fc.tuple(fc.constant('trim' as const), fc.nat(), fc.nat()),
);

describe('ListEntry', () => {
  it('behaves as an array under any sequence of operations, its byte count included', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const list = new ListEntry();
        const model: string[] = [];
        for (const [name, a, b] of ops) {
          if (name === 'pushHead') {
            list.pushHead(a as string);
            model.unshift(a as string);
          } else if (name === 'pushTail') {
            list.pushTail(a as string);
            model.push(a as string);
          } else if (name === 'popHead') {
            assert.equal(list.pop(true), model.shift());
          } else if (name === 'popTail') {
            assert.equal(list.pop(false), model.pop());
          } else if (name === 'insert') {
            const at = (a as number) % (model.length + 1);
            list.insert(at, b as string);
            model.splice(at, 0, b as string);
          } else if (model.length > 0) {
            const at = (a as number) % model.length;
            if (name === 'removeAt') {
              list.removeAt(at);
              model.splice(at, 1);
            } else if (name === 'set') {
              list.set(at, b as string);
              model[at] = b as string;
            } else {
              const end = Math.max(at, (b as number) % model.length);
              list.trim(at, end);
              model.splice(0, model.length, ...model.slice(at, end + 1));
            }
          }
          assert.equal(list.length, model.length);
        }
        assert.deepEqual(list.length === 0 ? [] : list.slice(0, list.length - 1), model);
        const fresh = new ListEntry();
        for (const value of model) fresh.pushTail(value);
        // The same elements cost the same, whatever the history, once the array is the same size.
        const copy = list.copy();
        assert.equal(copy.payloadBytes, fresh.copy().payloadBytes);
      }),
      { numRuns: 300 },
    );
  });
});

function harness(now = { value: 1_700_000_000_000 }) {
  const store = new Store({ maxBytes: 16 * 1024 * 1024, now: () => now.value });
  const client = () => {
    const session = store.newSession();
    const got: RespValue[] = [];
    session.deliver = (bytes) => got.push(decodeReply(bytes));
    let resumed = 0;
    session.resume = () => resumed++;
    const send = (...args: Arg[]): RespValue | undefined => {
      const reply = store.execute(session, toArgs(args));
      return reply.length === 0 ? undefined : decodeReply(reply);
    };
    return { session, got, send, resumed: () => resumed };
  };
  return { store, client, now };
}

const strings = (value: RespValue | undefined): unknown => (Array.isArray(value) ? value.map(strings) : Buffer.isBuffer(value) ? value.toString('latin1') : value);

describe('list memory', () => {
  it('counts what a list holds, and gives it back as the list drains', () => {
    const { store, client } = harness();
    const { send } = client();
    const empty = store.bytes;
    for (let i = 0; i < 1000; i++) send('RPUSH', 'l', 'v'.repeat(100));
    const full = store.bytes - empty;
    // 1000 strings of 100 bytes (116 + 8 of heap each, at 9/8) and their array slots.
    assert.ok(full >= 1000 * 124 * 1.125 && full < 1000 * 124 * 1.125 + 20_000, `${full}`);
    for (let i = 0; i < 990; i++) send('LPOP', 'l');
    const left = store.bytes - empty;
    assert.ok(left < 5_000, `10 elements left use ${left} bytes`);
    send('DEL', 'l');
    assert.equal(store.bytes, empty);
  });

  it('is evicted like any value when the budget is short', () => {
    const store = new Store({ maxBytes: 256 * 1024 });
    const session = store.newSession();
    for (let i = 0; i < 500; i++) store.execute(session, toArgs(['RPUSH', `l${i}`, 'x'.repeat(1000), 'y'.repeat(1000)]));
    assert.ok(store.bytes <= 256 * 1024);
    assert.ok(store.keyCount < 500);
  });
});

describe('blocked clients', () => {
  it('are served first come, first served, each from the key that became ready', () => {
    const { client } = harness();
    const first = client();
    const second = client();
    const pusher = client();
    assert.equal(first.send('BLPOP', 'a', 'b', '0'), undefined);
    assert.equal(second.send('BRPOP', 'b', '0'), undefined);
    assert.match(strings(pusher.send('INFO', 'clients')) as string, /blocked_clients:2\r\n/);
    assert.equal(pusher.send('RPUSH', 'b', 'x', 'y', 'z'), 3);
    assert.deepEqual(strings(first.got[0]), ['b', 'x']);
    assert.deepEqual(strings(second.got[0]), ['b', 'z']);
    assert.deepEqual(strings(pusher.send('LRANGE', 'b', '0', '-1')), ['y']);
    assert.equal(first.resumed(), 1);
    assert.equal(first.session.blocked, undefined);
  });

  it('are not served by a list created and deleted in one transaction, nor by another type', () => {
    const { client } = harness();
    const waiter = client();
    const other = client();
    waiter.send('BLPOP', 'k', '0');
    other.send('MULTI');
    other.send('LPUSH', 'k', 'x');
    other.send('DEL', 'k');
    other.send('EXEC');
    other.send('SET', 'k', 'string');
    assert.deepEqual(waiter.got, []);
    other.send('DEL', 'k');
    other.send('LPUSH', 'k', 'y');
    assert.deepEqual(strings(waiter.got), [['k', 'y']]);
  });

  it('do not block inside a transaction', () => {
    const { client } = harness();
    const { send, session } = client();
    send('MULTI');
    send('BLPOP', 'k', '0');
    send('BRPOPLPUSH', 'k', 'd', '0');
    assert.deepEqual(strings(send('EXEC')), [null, null]);
    assert.equal(session.blocked, undefined);
  });

  it('time out at their deadline with a null reply, not before', () => {
    const { store, client, now } = harness();
    const waiter = client();
    waiter.send('BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '1.5');
    now.value += 1499;
    assert.equal(store.timeOutBlocked(waiter.session), 1);
    assert.deepEqual(waiter.got, []);
    now.value += 1;
    assert.equal(store.timeOutBlocked(waiter.session), undefined);
    assert.deepEqual(waiter.got, [null]);
    assert.equal(waiter.resumed(), 1);
    // Redis rounds up to the next ms: a timeout under 1 ms is 1 ms, not "forever" (0).
    waiter.send('BLPOP', 'k', '0.0001');
    assert.equal(store.timeOutBlocked(waiter.session), 1);
  });

  it('BLMOVE whose destination holds another type gets WRONGTYPE, and the element stays', () => {
    const { client } = harness();
    const waiter = client();
    const other = client();
    other.send('SET', 'dst', 'string');
    waiter.send('BRPOPLPUSH', 'src', 'dst', '0');
    other.send('RPUSH', 'src', 'x');
    assert.ok(waiter.got[0] instanceof RespError && waiter.got[0].message.startsWith('WRONGTYPE'));
    assert.deepEqual(strings(other.send('LRANGE', 'src', '0', '-1')), ['x']);
  });

  it('a chain of BLMOVEs is served in one go, and a waiter on the destination is served too', () => {
    const { client } = harness();
    const mover = client();
    const popper = client();
    const pusher = client();
    mover.send('BLMOVE', 'a', 'b', 'RIGHT', 'LEFT', '0');
    popper.send('BLPOP', 'b', '0');
    pusher.send('RPUSH', 'a', 'x');
    assert.deepEqual(strings(mover.got), ['x']);
    assert.deepEqual(strings(popper.got), [['b', 'x']]);
    assert.equal(pusher.send('EXISTS', 'a', 'b'), 0);
  });

  it('SWAPDB serves a client blocked in either database', () => {
    const { client } = harness();
    const waiter = client();
    const other = client();
    waiter.send('BLPOP', 'k', '0');
    other.send('SELECT', '1');
    other.send('RPUSH', 'k', 'v');
    assert.deepEqual(waiter.got, []);
    other.send('SWAPDB', '0', '1');
    assert.deepEqual(strings(waiter.got), [['k', 'v']]);
  });

  it('CLIENT UNBLOCK ends a wait as a timeout or with an error; a gone client waits no more', () => {
    const { store, client } = harness();
    const waiter = client();
    const admin = client();
    waiter.send('BLMPOP', '0', '1', 'k', 'LEFT');
    const id = String(waiter.session.id);
    assert.match(strings(admin.send('CLIENT', 'LIST')) as string, new RegExp(`id=${id} .* flags=b .* cmd=blmpop `));
    assert.equal(admin.send('CLIENT', 'UNBLOCK', id), 1);
    assert.deepEqual(waiter.got, [null]);
    assert.equal(admin.send('CLIENT', 'UNBLOCK', id), 0);
    waiter.send('BLPOP', 'k', '0');
    assert.equal(admin.send('CLIENT', 'UNBLOCK', id, 'ERROR'), 1);
    const unblocked: unknown = waiter.got[1];
    assert.ok(unblocked instanceof RespError);
    assert.equal(unblocked.message, 'UNBLOCKED client unblocked via CLIENT UNBLOCK');
    waiter.send('BLPOP', 'k', '0');
    store.endSession(waiter.session);
    admin.send('RPUSH', 'k', 'v');
    assert.equal(waiter.got.length, 2);
    assert.deepEqual(strings(admin.send('LRANGE', 'k', '0', '-1')), ['v']);
    assert.match(strings(admin.send('INFO', 'clients')) as string, /blocked_clients:0/);
  });

  it('a WATCHed key changed by a served client breaks the transaction; one only waited on does not', () => {
    const { client } = harness();
    const waiter = client();
    const watcher = client();
    const pusher = client();
    waiter.send('BRPOPLPUSH', 'src', 'dst', '0');
    watcher.send('WATCH', 'dst');
    watcher.send('MULTI');
    watcher.send('PING');
    assert.deepEqual(strings(watcher.send('EXEC')), ['PONG']);
    watcher.send('WATCH', 'dst');
    pusher.send('RPUSH', 'src', 'x');
    watcher.send('MULTI');
    watcher.send('PING');
    assert.equal(watcher.send('EXEC'), null);
  });
});

describe('OBJECT ENCODING', () => {
  it('says quicklist for a list, and refuses to guess for a type whose encoding depends on its history', () => {
    const { client } = harness();
    const { send } = client();
    send('RPUSH', 'l', 'a');
    send('SET', 's', 'v');
    assert.equal(strings(send('OBJECT', 'ENCODING', 'l')), 'quicklist');
    assert.equal(send('OBJECT', 'ENCODING', 'missing'), null);
    assert.ok(send('OBJECT', 'ENCODING', 's') instanceof RespError);
  });
});

