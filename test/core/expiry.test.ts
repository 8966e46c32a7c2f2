import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '../../src/core/cache.js';
import type { EvictionReason } from '../../src/core/options.js';
import { TimerWheel } from '../../src/core/timer-wheel.js';
import { checkInvariants } from './invariants.js';

function fakeClock(start = 1_000_000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('TTL', () => {
  it('never returns an entry at or after its deadline', () => {
    const clock = fakeClock();
    const cache = new Cache<string, number>({ maxEntries: 10, ttl: 100, now: clock.read });
    cache.set('a', 1);
    clock.now += 99;
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.has('a'), true);
    clock.now += 1;
    assert.equal(cache.peek('a'), undefined);
    assert.equal(cache.has('a'), false);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.stats().expirations, 1);
    assert.equal(cache.stats().misses, 1);
    checkInvariants(cache);
  });

  it('checks deadlines exactly whatever the wheel has swept (reads skip the check only before every deadline)', () => {
    const clock = fakeClock(0);
    const cache = new Cache<string, number>({ maxEntries: 100, now: clock.read });
    cache.set('late', 1, { ttl: 60_000 });
    clock.now = 1_500; // the wheel's first tick passes: no deadline is due in it
    cache.set('filler', 0, { ttl: 60_000 });
    cache.set('soon', 2, { ttl: 10 }); // due within the current tick
    clock.now = 1_509;
    assert.equal(cache.get('soon'), 2);
    clock.now = 1_510;
    assert.equal(cache.get('soon'), undefined, 'due in the tick the wheel has already swept');
    cache.set('again', 3, { ttl: 5 });
    for (let i = 0; i < 200; i++) cache.get('late'); // drains the read buffer: maintenance and wheel advance
    clock.now = 1_515;
    assert.equal(cache.get('again'), undefined);
    assert.equal(cache.get('late'), 1);
    clock.now = 60_000;
    assert.equal(cache.get('late'), undefined);
    // Due early in the next tick: the sweep that enters that tick keeps it, and must say so.
    clock.now = 61_400;
    cache.set('next-tick', 4, { ttl: 100 });
    clock.now = 61_450;
    cache.set('filler', 0);
    clock.now = 61_500;
    assert.equal(cache.get('next-tick'), undefined);
    checkInvariants(cache);
  });

  it('lets a per-entry ttl override the default, and 0 mean forever', () => {
    const clock = fakeClock();
    const cache = new Cache<string, number>({ maxEntries: 10, ttl: 100, now: clock.read });
    cache.set('short', 1, { ttl: 10 });
    cache.set('forever', 2, { ttl: 0 });
    cache.set('default', 3);
    clock.now += 50;
    assert.equal(cache.get('short'), undefined);
    assert.equal(cache.get('default'), 3);
    clock.now += 10_000_000;
    assert.equal(cache.get('default'), undefined);
    assert.equal(cache.get('forever'), 2);
  });

  it('restarts the clock of an entry that is set again', () => {
    const clock = fakeClock();
    const cache = new Cache<string, number>({ maxEntries: 10, ttl: 100, now: clock.read });
    cache.set('a', 1);
    clock.now += 80;
    cache.set('a', 2);
    clock.now += 80;
    assert.equal(cache.get('a'), 2);
    cache.set('a', 3, { ttl: 0 });
    clock.now += 1000;
    assert.equal(cache.get('a'), 3);
  });

  it('reclaims expired entries nobody reads', () => {
    const clock = fakeClock();
    const reasons: EvictionReason[] = [];
    const cache = new Cache<number, number>({ maxEntries: 1000, now: clock.read, onEvict: (_k, _v, r) => reasons.push(r) });
    for (let i = 0; i < 500; i++) cache.set(i, i, { ttl: 1000 + i * 100 });
    for (let i = 500; i < 600; i++) cache.set(i, i);
    clock.now += 1000 + 250 * 100 + 2048; // past the first 250 deadlines, plus the wheel's precision
    cache.purgeExpired();
    assert.ok(cache.size <= 350 && cache.size >= 300, `size ${cache.size}`);
    for (let i = 500; i < 600; i++) assert.equal(cache.peek(i), i);
    assert.ok(reasons.every((r) => r === 'expired'));
    clock.now += 10_000_000;
    cache.purgeExpired();
    assert.equal(cache.size, 100);
    assert.equal(cache.stats().expirations, 500);
    checkInvariants(cache);
  });

  it('delivers onEvict for entries that reads expire, without waiting for a write', () => {
    const clock = fakeClock();
    const expired: number[] = [];
    const cache = new Cache<number, number>({ maxEntries: 100, now: clock.read, onEvict: (k, _v, r) => r === 'expired' && expired.push(k) });
    for (let i = 0; i < 50; i++) cache.set(i, i, { ttl: 100 });
    cache.set(999, 999);
    clock.now += 5_000; // every TTL'd entry is due; only reads happen from here
    for (let n = 0; n < 256; n++) assert.equal(cache.get(999), 999); // read-buffer drains advance the wheel
    assert.equal(expired.length, 50, 'their callbacks ran');
    assert.equal(cache.size, 1);
    checkInvariants(cache);
  });

  it('spreads deadlines with ttlJitter', () => {
    const clock = fakeClock();
    const cache = new Cache<number, number>({ maxEntries: 1000, ttl: 1000, ttlJitter: 0.2, now: clock.read });
    for (let i = 0; i < 1000; i++) cache.set(i, i);
    clock.now += 799;
    assert.equal(cache.size, 1000);
    for (let i = 0; i < 1000; i++) assert.equal(cache.peek(i), i, 'nothing expires before ttl * (1 - jitter)');
    clock.now += 200; // 999: about half expired
    let alive = 0;
    for (let i = 0; i < 1000; i++) if (cache.peek(i) !== undefined) alive++;
    assert.ok(alive > 350 && alive < 650, `alive ${alive}`);
    clock.now += 201; // 1200: all expired
    for (let i = 0; i < 1000; i++) assert.equal(cache.peek(i), undefined);
  });

  it('delete of an expired key reports it as expired and returns false', () => {
    const clock = fakeClock();
    const reasons: EvictionReason[] = [];
    const cache = new Cache<string, number>({ maxEntries: 10, ttl: 10, now: clock.read, onEvict: (_k, _v, r) => reasons.push(r) });
    cache.set('a', 1);
    clock.now += 10;
    assert.equal(cache.delete('a'), false);
    assert.deepEqual(reasons, ['expired']);
  });

  it('keeps the bookkeeping right while expiring and evicting together', () => {
    const clock = fakeClock();
    const cache = new Cache<number, number>({ maxEntries: 50, now: clock.read });
    let seed = 11;
    const random = () => ((seed = (Math.imul(seed, 48271) + 1) | 0) >>> 0) / 2 ** 32;
    for (let n = 0; n < 20_000; n++) {
      const key = Math.floor(random() * 200);
      clock.now += Math.floor(random() * 50);
      if (cache.get(key) === undefined) cache.set(key, n, { ttl: Math.floor(random() * 3000) });
      if (n % 100 === 0) cache.purgeExpired();
      checkInvariants(cache);
    }
  });
  it('delete of a key the wheel expires on the way reports it before returning', () => {
    const clock = fakeClock();
    const evicted: [string, EvictionReason][] = [];
    const cache = new Cache<string, number>({ maxEntries: 10, now: clock.read, onEvict: (key, _value, reason) => evicted.push([key, reason]) });
    cache.set('short', 1, { ttl: 10 });
    cache.set('other', 2);
    cache.get('other'); // a buffered hit: delete replays it first, and that maintenance advances the wheel
    clock.now += 5000;
    assert.equal(cache.delete('short'), false, 'it had expired');
    assert.deepEqual(evicted, [['short', 'expired']], 'onEvict ran before delete returned');
    checkInvariants(cache);
  });
});

describe('TimerWheel', () => {
  it('expires each slot once, after its deadline, at most about a second late', () => {
    let now = 5_000;
    const wheel = new TimerWheel(2000, now);
    const deadlines = new Map<number, number>();
    let seed = 5;
    const random = () => ((seed = (Math.imul(seed, 48271) + 1) | 0) >>> 0) / 2 ** 32;
    for (let slot = 0; slot < 2000; slot++) {
      const deadline = now + Math.floor(random() * 10 * 24 * 3600 * 1000 * random() * random());
      deadlines.set(slot, deadline);
      wheel.schedule(slot, deadline);
    }
    const expired = new Map<number, number>();
    while (expired.size < 2000) {
      now += Math.floor(random() * 3_600_000);
      wheel.advance(now, (slot) => {
        assert.ok(!expired.has(slot), `slot ${slot} expired twice`);
        expired.set(slot, now);
      });
    }
    for (const [slot, at] of expired) assert.ok(at >= deadlines.get(slot)!, `slot ${slot} expired early`);
  });

  it('never expires a descheduled slot', () => {
    const wheel = new TimerWheel(10, 0);
    wheel.schedule(1, 100);
    wheel.schedule(2, 100);
    wheel.deschedule(1);
    const expired: number[] = [];
    wheel.advance(10_000, (slot) => expired.push(slot));
    assert.deepEqual(expired, [2]);
  });

  it('reclaims promptly when advanced in small steps', () => {
    let now = 0;
    const wheel = new TimerWheel(10, now);
    wheel.schedule(3, 1500);
    let at = -1;
    while (at < 0) {
      now += 100;
      wheel.advance(now, () => (at = now));
    }
    assert.ok(at >= 1500 && at <= 1500 + 1100, `expired at ${at}`);
  });
});
