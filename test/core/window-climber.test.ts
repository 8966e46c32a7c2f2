import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '../../src/core/cache.js';
import { GhostTable } from '../../src/core/ghost.js';
import { WindowClimber } from '../../src/core/window-climber.js';
import { checkInvariants } from './invariants.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const windowShare = (cache: Cache<number, number>): number => (cache as any).windowMax / 1000;

/** Replays `keys` with get-then-set-on-miss; calls `each` every 5,000 requests. */
function replay(cache: Cache<number, number>, keys: Iterable<number>, each?: () => void): number {
  let hits = 0;
  let n = 0;
  for (const key of keys) {
    if (cache.get(key) !== undefined) hits++;
    else cache.set(key, key);
    if (++n % 5000 === 0) each?.();
  }
  return hits / n;
}

/** Every key is read twice, `gap` requests apart: only a window of about `gap` entries catches it. */
function* recency(requests: number, gap: number): Generator<number> {
  for (let n = 0; n < requests / 2; n++) {
    yield n;
    yield n - gap;
  }
}

/** One loop of `length` keys, repeated. */
function* loop(length: number, requests: number): Generator<number> {
  for (let n = 0; n < requests; n++) yield n % length;
}

describe('Window climber', () => {
  it('grows the window on a recency workload', () => {
    const cache = new Cache<number, number>({ maxEntries: 1000 });
    const ratio = replay(cache, recency(200_000, 25));
    assert.ok(windowShare(cache) >= 0.04, `window at ${windowShare(cache)}`);
    assert.ok(ratio > 0.4, `hit ratio ${ratio}`);
    checkInvariants(cache);
  });

  it('shrinks the window on a loop, where only frequency helps', () => {
    const cache = new Cache<number, number>({ maxEntries: 1000 });
    const shares: number[] = [];
    const ratio = replay(cache, loop(1010, 300_000), () => shares.push(windowShare(cache)));
    shares.sort((a, b) => a - b);
    assert.ok(shares[shares.length >> 1] <= 0.005, `median window ${shares[shares.length >> 1]}`);
    assert.ok(ratio > 0.95, `hit ratio ${ratio}`);
    checkInvariants(cache);
  });

  it('walks the window back out of a loop after a recency phase grew it', () => {
    const cache = new Cache<number, number>({ maxEntries: 1000 });
    replay(cache, recency(100_000, 25));
    assert.ok(windowShare(cache) >= 0.04, `window at ${windowShare(cache)} after the recency phase`);
    const shares: number[] = [];
    const ratio = replay(cache, loop(1010, 300_000), () => shares.push(windowShare(cache)));
    // Probes may be out at any moment: judge the usual position over the second half.
    const late = shares.slice(shares.length / 2).sort((a, b) => a - b);
    assert.ok(late[late.length >> 1] <= 0.02, `window at ${late[late.length >> 1]} in the loop`);
    assert.ok(ratio > 0.85, `hit ratio ${ratio} on the loop`);
    checkInvariants(cache);
  });

  it('does not move the window while the cache fills', () => {
    const cache = new Cache<number, number>({ maxEntries: 10_000 });
    const initial = windowShare(cache);
    // 4,000 keys: the cache never gets half full.
    replay(cache, loop(4000, 200_000), () => assert.equal(windowShare(cache), initial));
    checkInvariants(cache);
  });

  it('settles on a steady workload', () => {
    const cache = new Cache<number, number>({ maxEntries: 1000 });
    const shares: number[] = [];
    replay(cache, recency(400_000, 25), () => shares.push(windowShare(cache)));
    const late = shares.slice(shares.length / 2);
    const spread = Math.max(...late) - Math.min(...late);
    assert.ok(spread <= 0.3, `window wandered over ${spread} of the cache in the second half`);
    checkInvariants(cache);
  });

  it('keeps its ghost memory within a quarter of the sketch and 64 KiB', () => {
    for (const sketchBytes of [64, 2048, 1 << 19, 1 << 24]) {
      const climber = new WindowClimber(1_000_000, sketchBytes);
      assert.ok(climber.byteLength <= Math.max(256, sketchBytes / 4), `${climber.byteLength} for ${sketchBytes}`);
      assert.ok(climber.byteLength <= 64 * 1024);
    }
  });
});

describe('GhostTable', () => {
  it('returns the stamp of a remembered hash once', () => {
    const ghost = new GhostTable(64);
    ghost.add(12345, 7);
    assert.equal(ghost.take(12345), 7);
    assert.equal(ghost.take(12345), -1);
    assert.equal(ghost.take(999), -1);
  });

  it('forgets the older of two hashes that share a slot, never mixing them up', () => {
    const ghost = new GhostTable(1);
    ghost.add(1, 10);
    ghost.add(2, 20);
    assert.equal(ghost.take(1), -1);
    assert.equal(ghost.take(2), 20);
  });
});
