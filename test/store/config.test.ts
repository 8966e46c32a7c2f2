/**
 * CONFIG in the store: tracking-table-max-keys is honoured (the bound on the keys remembered for
 * tracking clients); the replies themselves are compared with Redis's in the differential corpus.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { toArgs, type Arg } from './support/args.js';

function harness() {
  const store = new Store({ maxBytes: 1024 * 1024 });
  const session = store.newSession();
  const send = (...args: Arg[]) => store.execute(session, toArgs(args)).toString('latin1');
  const tracker = store.newSession();
  const got: string[] = [];
  tracker.deliver = (bytes) => got.push(bytes.toString('latin1'));
  const track = (...args: Arg[]) => store.execute(tracker, toArgs(args)).toString('latin1');
  track('HELLO', '3');
  track('CLIENT', 'TRACKING', 'on');
  return { store, send, track, got };
}

const invalidation = (key: string) => `>2\r\n$10\r\ninvalidate\r\n*1\r\n$${key.length}\r\n${key}\r\n`;

describe('CONFIG SET tracking-table-max-keys', () => {
  it('lowered, forgets the keys past it at once, the longest remembered first, telling their readers', () => {
    const { store, send, track, got } = harness();
    track('MGET', 'a', 'b', 'c');
    assert.equal(store.tracking.keyCount, 3);
    assert.equal(send('CONFIG', 'SET', 'tracking-table-max-keys', '1'), '+OK\r\n');
    assert.deepEqual(got, [invalidation('a'), invalidation('b')]);
    assert.equal(store.tracking.keyCount, 1);
    assert.match(send('INFO', 'stats'), /tracking_total_keys:1\r\n/);
  });

  it('lowered by a NOLOOP tracker itself, still tells it: no command of its changed the keys', () => {
    const { track, got } = harness();
    track('CLIENT', 'TRACKING', 'on', 'NOLOOP');
    track('MGET', 'a', 'b');
    assert.equal(track('CONFIG', 'SET', 'tracking-table-max-keys', '1'), '+OK\r\n');
    assert.deepEqual(got, [invalidation('a')]);
  });

  it('bounds the table before each command, as Redis does', () => {
    const { store, send, track, got } = harness();
    send('CONFIG', 'SET', 'tracking-table-max-keys', '2');
    track('MGET', 'a', 'b', 'c', 'd');
    assert.equal(store.tracking.keyCount, 4, 'a command may pass the bound');
    assert.equal(send('PING'), '+PONG\r\n');
    assert.deepEqual(got, [invalidation('a'), invalidation('b')]);
    assert.equal(store.tracking.keyCount, 2);
  });

  it('0 means no bound', () => {
    const { store, send, track, got } = harness();
    send('CONFIG', 'SET', 'tracking-table-max-keys', '0');
    track('MGET', ...Array.from({ length: 50 }, (_, i) => `k${i}`));
    send('PING');
    assert.equal(store.tracking.keyCount, 50);
    assert.deepEqual(got, []);
  });
});
