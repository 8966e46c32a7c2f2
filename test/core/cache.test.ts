import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '../../src/core/cache.js';
import type { EvictionReason } from '../../src/core/options.js';
import { checkInvariants } from './invariants.js';

function seeded(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
    return (seed >>> 0) / 2 ** 32;
  };
}

describe('Cache basics', () => {
  it('returns what was set, by reference, and counts hits and misses', () => {
    const cache = new Cache<string, object>({ maxEntries: 10 });
    const value = { a: 1 };
    assert.equal(cache.set('k', value), true);
    assert.equal(cache.get('k'), value);
    assert.equal(cache.get('missing'), undefined);
    const stats = cache.stats();
    assert.equal(stats.hits, 1);
    assert.equal(stats.misses, 1);
    assert.equal(stats.hitRate, 0.5);
    assert.equal(stats.entries, 1);
    checkInvariants(cache);
  });

  it('serves an index kept beside it: slotOf, slotLive and touchSlot act as get does', () => {
    let now = 0;
    const removed: string[] = [];
    const cache = new Cache<string, number>({ maxEntries: 10, now: () => now, onEvict: (key, _v, reason) => removed.push(`${key}:${reason}`) });
    cache.set('a', 1, { ttl: 100 });
    const slot = cache.slotOf('a');
    assert.ok(slot >= 0);
    assert.equal(cache.slotOf('b'), -1);
    assert.equal(cache.stats().hits, 0, 'slotOf does not count');
    assert.equal(cache.slotLive(slot), true);
    cache.touchSlot(slot);
    assert.equal(cache.stats().hits, 1);
    cache.set('a', 2, { ttl: 100 });
    assert.equal(cache.slotOf('a'), slot, 'a replacement keeps the handle');
    now = 100;
    assert.equal(cache.slotLive(slot), false, 'expired');
    assert.deepEqual(removed, ['a:replaced'], 'slotLive removes nothing');
    assert.equal(cache.get('a'), undefined);
    assert.deepEqual(removed, ['a:replaced', 'a:expired']);
    checkInvariants(cache);
  });

  it('peek and has do not touch stats', () => {
    const cache = new Cache<string, number>({ maxEntries: 10 });
    cache.set('a', 1);
    assert.equal(cache.peek('a'), 1);
    assert.equal(cache.has('a'), true);
    assert.equal(cache.has('b'), false);
    assert.equal(cache.peek('b'), undefined);
    assert.equal(cache.stats().hits, 0);
    assert.equal(cache.stats().misses, 0);
  });

  it('replaces a value and reports the old one as replaced', () => {
    const events: [string, number, EvictionReason][] = [];
    const cache = new Cache<string, number>({ maxEntries: 10, onEvict: (k, v, r) => events.push([k, v, r]) });
    cache.set('a', 1);
    cache.set('a', 2);
    assert.equal(cache.get('a'), 2);
    assert.equal(cache.size, 1);
    assert.deepEqual(events, [['a', 1, 'replaced']]);
    checkInvariants(cache);
  });

  it('deletes, clears and reports why', () => {
    const events: [string, number, EvictionReason][] = [];
    const cache = new Cache<string, number>({ maxEntries: 10, onEvict: (k, v, r) => events.push([k, v, r]) });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    checkInvariants(cache);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.get('b'), undefined);
    checkInvariants(cache);
    assert.deepEqual(events.map((e) => e[2]).sort(), ['cleared', 'cleared', 'deleted']);
    cache.set('d', 4);
    assert.equal(cache.get('d'), 4);
    checkInvariants(cache);
  });

  it('setting undefined deletes the key', () => {
    const cache = new Cache<string, number | undefined>({ maxEntries: 10 });
    cache.set('a', 1);
    assert.equal(cache.set('a', undefined), false);
    assert.equal(cache.has('a'), false);
  });

  it('accepts keys of any type with Map semantics', () => {
    const cache = new Cache<unknown, string>({ maxEntries: 100 });
    const obj = {};
    const keys: unknown[] = ['s', 1, 1.5, -0, NaN, 10n, true, null, undefined, obj, Symbol('x')];
    keys.forEach((k, i) => cache.set(k, `v${i}`));
    keys.forEach((k, i) => assert.equal(cache.get(k), k === 0 ? cache.get(0) : `v${i}`));
    assert.equal(cache.get(0), cache.get(-0));
    assert.equal(cache.get({}), undefined);
    checkInvariants(cache);
  });

  it('onEvict may call back into the cache', () => {
    const cache: Cache<number, number> = new Cache<number, number>({
      maxEntries: 5,
      onEvict: (k, _v, reason) => {
        if (reason === 'deleted' && k < 100) cache.set(k + 100, k);
      },
    });
    for (let i = 0; i < 5; i++) cache.set(i, i);
    cache.delete(1);
    assert.equal(cache.get(101), 1);
    checkInvariants(cache);
  });

  it('re-throws an onEvict error after the cache is consistent', () => {
    const cache = new Cache<number, number>({
      maxEntries: 3,
      onEvict: () => {
        throw new Error('listener failed');
      },
    });
    cache.set(1, 1);
    assert.throws(() => cache.delete(1), /listener failed/);
    assert.equal(cache.has(1), false);
    checkInvariants(cache);
  });
});

describe('Cache bound by entries', () => {
  it('never holds more than maxEntries, whatever the access pattern', () => {
    const random = seeded(7);
    for (const max of [1, 2, 3, 10, 100]) {
      const cache = new Cache<number, number>({ maxEntries: max });
      for (let n = 0; n < 5000; n++) {
        const key = Math.floor(random() * random() * max * 5);
        if (cache.get(key) === undefined) cache.set(key, n);
        assert.ok(cache.size <= max);
        if (n % 37 === 0) cache.delete(Math.floor(random() * max * 5));
        checkInvariants(cache);
      }
    }
  });

  it('keeps frequently used keys over a scan of one-hit wonders', () => {
    const cache = new Cache<string, number>({ maxEntries: 100 });
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 50; k++) if (cache.get(`hot${k}`) === undefined) cache.set(`hot${k}`, k);
    }
    for (let k = 0; k < 10_000; k++) cache.set(`scan${k}`, k);
    let kept = 0;
    for (let k = 0; k < 50; k++) if (cache.peek(`hot${k}`) !== undefined) kept++;
    assert.ok(kept >= 45, `only ${kept} of 50 hot keys survived the scan`);
    const stats = cache.stats();
    assert.ok(stats.rejections > 9000, `expected the scan to be rejected, got ${stats.rejections}`);
    checkInvariants(cache);
  });

  it('adapts to a recency workload that a fixed 1% window would lose', () => {
    // Each request for a new key is followed by one for a key seen 1 to 40 requests ago: only a
    // large window (LRU-like) catches those, and each step of growth catches more, so a hill
    // climber finds the way. Measured: a fixed 1% window 3.5%, LRU 50%, adaptive 46.6-47.5%
    // (200 runs). A single re-read distance would give it a plateau with nothing to climb.
    const cache = new Cache<number, number>({ maxEntries: 100 });
    let hits = 0;
    const requests = 200_000;
    for (let n = 0; n < requests / 2; n++) {
      for (const key of [n, n - 1 - ((n * 7) % 40)]) {
        if (cache.get(key) !== undefined) hits++;
        else cache.set(key, key);
      }
    }
    assert.ok(hits / requests > 0.3, `hit ratio ${hits / requests}`);
    checkInvariants(cache);
  });

  it('halves a main entry\'s own count and its sketch count as one total', () => {
    // A key seen once before (its count now in the sketch) comes back and moves to the main
    // space with one access of its own: 2 in all, 1 after a halving. Halving the two parts
    // apart would round both halves down to 0, and residents would lose ties they must win.
    const cache = new Cache<number, number>({ maxEntries: 10, sketchBytes: 1 << 16 });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const internals = cache as any;
    const frequencyOf = (key: number): number => internals.frequency(internals.map.get(key));
    cache.set(0, 0);
    cache.delete(0);
    cache.set(0, 0);
    cache.set(1, 1);
    assert.equal(frequencyOf(0), 2);
    for (let key = 2; key < 10; key++) cache.set(key, key);
    let halved = false;
    for (let n = 0; n < 2000 && !halved; n++) {
      const before = internals.sketch.additions;
      cache.get(2 + (n % 8));
      halved = internals.sketch.additions < before;
    }
    assert.ok(halved, 'the sketch never halved');
    assert.ok(cache.has(0));
    assert.equal(frequencyOf(0), 1);
    checkInvariants(cache);
  });

  it('tells the window climber of each hit on a window entry when the hit is replayed, not when the entry leaves', () => {
    // Just after the window grows few entries leave it; counting hits at exit read it as idle.
    const cache = new Cache<number, number>({ maxEntries: 1000 });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const climber = (cache as any).climber;
    let windowHits = 0;
    const recordWindowHit = climber.recordWindowHit.bind(climber);
    climber.recordWindowHit = () => {
      windowHits++;
      recordWindowHit();
    };
    cache.set(1, 1);
    for (let n = 0; n < 3; n++) cache.get(1);
    cache.set(2, 2); // a write replays the buffered hits first
    assert.equal(windowHits, 3);
    assert.ok(cache.has(1));
    checkInvariants(cache);
  });

  it('reports a declined newcomer with false', () => {
    // Entries larger than the admission window go straight to the main space's admission test.
    const cache = new Cache<string, string>({ maxBytes: 1000, sizeOf: (v) => v.length });
    for (let i = 0; i < 10; i++) cache.set(`hot${i}`, 'x'.repeat(100));
    for (let round = 0; round < 5; round++) for (let i = 0; i < 10; i++) cache.get(`hot${i}`);
    assert.equal(cache.set('newcomer', 'y'.repeat(100)), false);
    assert.equal(cache.has('newcomer'), false);
    assert.equal(cache.size, 10);
    assert.equal(cache.stats().rejections, 1);
    checkInvariants(cache);
  });
});

/** The engine's frequency sketch (private), for tests of how it is sized. */
function sketchOf(cache: Cache<number, number>): { byteLength: number; sampleSize: number } {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (cache as any).sketch;
}

describe('Cache bound by bytes', () => {
  it('keeps bytes within maxBytes for strings, Buffers and objects', () => {
    const random = seeded(3);
    const cache = new Cache<string, unknown>({ maxBytes: 50_000 });
    for (let n = 0; n < 3000; n++) {
      const kind = n % 3;
      const size = Math.floor(random() * 2000);
      const value =
        kind === 0 ? 'x'.repeat(size) : kind === 1 ? Buffer.alloc(size) : { id: n, tags: ['a', 'b'], body: 'y'.repeat(size) };
      cache.set(`k${Math.floor(random() * 500)}`, value);
      assert.ok(cache.bytes <= 50_000, `bytes ${cache.bytes}`);
      checkInvariants(cache);
    }
    assert.ok(cache.bytes > 25_000, 'the budget should be mostly used');
  });

  it('counts the key, the value and per-entry overhead by default', () => {
    const cache = new Cache<string, string>({ maxBytes: 1_000_000 });
    cache.set('k', 'v'.repeat(1000));
    assert.ok(cache.bytes > 1000 + 16, `bytes ${cache.bytes}`);
    assert.ok(cache.bytes < 1300, `bytes ${cache.bytes}`);
    const twoByte = new Cache<string, string>({ maxBytes: 1_000_000 });
    twoByte.set('k', '€'.repeat(1000));
    assert.ok(twoByte.bytes > 2000, 'two-byte strings count double');
  });

  it('does not store a value larger than the budget and drops the old one', () => {
    const cache = new Cache<string, string>({ maxBytes: 1000, sizeOf: (v) => v.length });
    assert.equal(cache.set('a', 'small'), true);
    assert.equal(cache.set('a', 'x'.repeat(1001)), false);
    assert.equal(cache.has('a'), false);
    assert.equal(cache.bytes, 0);
    checkInvariants(cache);
  });

  it('tracks bytes with a custom sizeOf even when bounded by count', () => {
    const cache = new Cache<string, string>({ maxEntries: 10, sizeOf: (v) => v.length });
    cache.set('a', 'abc');
    cache.set('b', 'de');
    assert.equal(cache.bytes, 5);
    cache.set('a', 'x');
    assert.equal(cache.bytes, 3);
    checkInvariants(cache);
  });

  it('honours both bounds at once', () => {
    const cache = new Cache<number, string>({ maxEntries: 5, maxBytes: 100, sizeOf: (v) => v.length });
    for (let i = 0; i < 50; i++) {
      cache.set(i, 'x'.repeat(i % 30));
      assert.ok(cache.size <= 5 && cache.bytes <= 100);
      checkInvariants(cache);
    }
  });

  it('learns its capacity in entries as it fills, so the sketch ages over 10x the entries it holds', () => {
    // 3,000 entries: the sketch's period must grow from the starting guess (10 x 1,024) to
    // 30,000 accesses. With the guess, the 18,000 accesses below would halve the hot key's count.
    const byBytes = new Cache<string, number>({ maxBytes: 1 << 30, sizeOf: () => 1 });
    const byEntries = new Cache<string, number>({ maxEntries: 3000 });
    for (const cache of [byBytes, byEntries]) {
      for (let i = 0; i < 3000; i++) cache.set(`k${i}`, i);
      for (let n = 0; n < 12; n++) cache.get('k0');
      for (let round = 0; round < 5; round++) for (let i = 1; i < 3000; i++) cache.get(`k${i}`);
      cache.set('replay', -1); // a write replays the buffered reads
      const [hottest] = cache.hottest(1);
      assert.equal(hottest.key, 'k0');
      assert.ok(hottest.frequency >= 12, `k0's estimate ${hottest.frequency} was halved`);
      checkInvariants(cache);
    }
  });

  it('once full, sizes its sketch as a cache bounded by that many entries would', () => {
    // Until it fills, its capacity in entries is unknown and the sketch has the 512 KiB default;
    // kept, that is 128 times what 500 entries get, and a loop's keys then tie in it.
    const sketchBytes = (cache: Cache<number, number>): number => sketchOf(cache).byteLength;
    const byEntries = new Cache<number, number>({ maxEntries: 500 });
    const byBytes = new Cache<number, number>({ maxBytes: 500, sizeOf: () => 1 });
    const given = new Cache<number, number>({ maxBytes: 500, sizeOf: () => 1, sketchBytes: 1 << 16 });
    assert.equal(sketchBytes(byBytes), 512 * 1024);
    for (const cache of [byEntries, byBytes, given]) {
      for (let round = 0; round < 3; round++) for (let key = 0; key < 600; key++) if (cache.get(key) === undefined) cache.set(key, key);
      checkInvariants(cache);
    }
    assert.equal(sketchBytes(byBytes), sketchBytes(byEntries));
    assert.equal(sketchBytes(byEntries), 4096);
    assert.equal(sketchBytes(given), 1 << 16, 'a sketch size given in the options is kept');
    assert.equal(byBytes.size, 500);
  });

  it('bounded by entries and bytes, learns from maxEntries down when the bytes bind first', () => {
    // maxEntries 100,000 but room for 500: a sketch sized for 100,000 (1 MiB, halving every
    // million accesses) would keep frequencies 200 times too long.
    const cache = new Cache<number, number>({ maxEntries: 100_000, maxBytes: 500, sizeOf: () => 1 });
    assert.equal(sketchOf(cache).sampleSize, 1_000_000);
    for (let key = 0; key < 600; key++) cache.set(key, key);
    checkInvariants(cache);
    assert.equal(cache.size, 500);
    assert.equal(sketchOf(cache).byteLength, 4096);
    assert.ok(sketchOf(cache).sampleSize <= 10 * 501, `sample size ${sketchOf(cache).sampleSize}`);
    // A count bound that binds first is the capacity already: nothing to learn.
    const byCount = new Cache<number, number>({ maxEntries: 500, maxBytes: 1 << 20, sizeOf: () => 1 });
    for (let key = 0; key < 600; key++) byCount.set(key, key);
    assert.equal(sketchOf(byCount).sampleSize, 5000);
    assert.equal(sketchOf(byCount).byteLength, 4096);
  });

  it('rejects a sizeOf that returns a bad size, with a clear error', () => {
    const cache = new Cache<string, string>({ maxBytes: 100, sizeOf: () => NaN });
    assert.throws(() => cache.set('a', 'b'), TypeError);
    assert.equal(cache.size, 0);
    checkInvariants(cache);
  });
});

describe('Cache counting its structures (countStructures)', () => {
  const counting = (maxBytes: number, externalBytes?: (slots: number) => number) =>
    new Cache<number, number>({ maxBytes, sizeOf: (v) => v, countStructures: true, externalBytes });

  it('counts its structures and the owner\'s bytes in `bytes`, and keeps them within maxBytes', () => {
    let external = 1_000;
    const cache = counting(256 * 1024, (slots) => external + 4 * slots);
    const empty = cache.bytes;
    assert.ok(cache.structureBytes > 0);
    assert.equal(empty, cache.structureBytes + external + 4 * cache.slotCapacity, 'an empty cache holds its structures');
    cache.set(1, 500);
    assert.equal(cache.bytes, empty + 500);
    for (let k = 2; k < 8_000; k++) {
      cache.set(k, 40);
      assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes after ${k} sets`);
    }
    const held = cache.size;
    external = 30_000;
    cache.trim();
    assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes once the owner holds more`);
    assert.ok(cache.size > 0 && cache.size < held, 'it made room by evicting');
    checkInvariants(cache);
  });

  it('grows its slots while the budget pays for them and for the arrays they replace', () => {
    const cache = counting(4 * 1024 * 1024);
    const slotsAtStart = cache.slotCapacity;
    for (let k = 0; k < 30_000; k++) {
      cache.set(k, 16);
      if (k % 1000 === 0) checkInvariants(cache);
    }
    assert.ok(cache.slotCapacity > 10 * slotsAtStart, `grew to ${cache.slotCapacity} slots`);
    assert.equal(cache.size, 30_000, 'small entries all fit');
    // The arrays replaced on the way are counted until collected (no collection ran in this loop).
    assert.ok((cache as unknown as { garbage: { bytes: number } }).garbage.bytes > 0);
    checkInvariants(cache);
  });

  it('keeps its slots when entries are large enough that more slots would hold fewer of them', () => {
    const cache = counting(256 * 1024, (slots) => 200 * slots);
    for (let k = 0; k < 2_000; k++) cache.set(k, 8);
    const slots = cache.slotCapacity;
    assert.ok(cache.size < slots, 'one slot is kept free for the next newcomer');
    assert.ok(cache.bytes < cache.maxBytes * 0.9, `slots bind before bytes (${cache.bytes} of ${cache.maxBytes})`);
    for (let k = 2_000; k < 4_000; k++) cache.set(k, 8);
    assert.equal(cache.slotCapacity, slots, 'no growth that would cost more than it holds');
    checkInvariants(cache);
  });
});

describe('Cache options', () => {
  const bad: [string, object, RegExp][] = [
    ['no bound', {}, /maxEntries, maxBytes/],
    ['negative maxEntries', { maxEntries: -1 }, /maxEntries/],
    ['zero maxEntries', { maxEntries: 0 }, /maxEntries/],
    ['fractional maxEntries', { maxEntries: 1.5 }, /integer/],
    ['maxEntries past what 28-bit slot numbers hold', { maxEntries: 2 ** 29 }, /at most 268435444/],
    ['NaN maxBytes', { maxBytes: NaN }, /maxBytes/],
    ['infinite maxBytes', { maxBytes: Infinity }, /maxBytes/],
    ['string maxEntries', { maxEntries: '10' }, /number/],
    ['negative ttl', { maxEntries: 1, ttl: -5 }, /ttl/],
    ['ttlJitter of 1', { maxEntries: 1, ttlJitter: 1 }, /ttlJitter/],
    ['tiny sketch', { maxEntries: 1, sketchBytes: 8 }, /sketchBytes/],
    ['sizeOf not a function', { maxBytes: 10, sizeOf: 3 }, /sizeOf/],
    ['onEvict not a function', { maxEntries: 1, onEvict: 'x' }, /onEvict/],
    ['countStructures not a boolean', { maxBytes: 10, countStructures: 1 }, /countStructures must be a boolean/],
    ['countStructures without maxBytes', { maxEntries: 10, countStructures: true }, /countStructures needs maxBytes/],
    ['externalBytes without countStructures', { maxBytes: 10, externalBytes: () => 0 }, /externalBytes needs countStructures/],
    ['externalBytes not a function', { maxBytes: 10, countStructures: true, externalBytes: 5 }, /externalBytes/],
  ];
  for (const [name, options, message] of bad) {
    it(`throws at construction on ${name}`, () => {
      assert.throws(
        () => new Cache(options as never),
        (error: unknown) => (error instanceof TypeError || error instanceof RangeError) && message.test((error as Error).message),
      );
    });
  }

  it('rejects a bad per-entry ttl', () => {
    const cache = new Cache<string, number>({ maxEntries: 2 });
    assert.throws(() => cache.set('a', 1, { ttl: -1 }), RangeError);
    assert.throws(() => cache.set('a', 1, { ttl: NaN }), RangeError);
  });
});
