import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getVariantNumber, getVariantOf, ReplyCache, variantPrefix } from '../../src/proxy/reply-cache.js';
import { MAX_ARENA_PAYLOAD } from '../../src/proxy/reply-arena.js';
import fc from 'fast-check';

const reply = (text: string) => Buffer.from(text, 'latin1');

describe('ReplyCache', () => {
  it('returns the stored bytes of each variant of a key, as latin1', () => {
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
    cache.put(0, 'k', 'get', reply('$2\r\n\u00e9\u00ff\r\n'));
    cache.put(0, 'k', 'strlen', reply(':2\r\n'));
    cache.put(0, 'k', 'getrange\u00000\u00000', reply('$1\r\n\u00e9\r\n'));
    assert.equal(cache.get('k', 'get'), '$2\r\n\u00e9\u00ff\r\n');
    assert.equal(cache.get('k', 'strlen'), ':2\r\n');
    assert.equal(cache.get('k', 'getrange\u00000\u00000'), '$1\r\n\u00e9\r\n');
    assert.equal(cache.get('k', 'hget'), undefined);
    cache.put(0, 'k', 'strlen', reply(':3\r\n'));
    cache.put(0, 'k', 'get', reply('$1\r\nx\r\n'));
    assert.equal(cache.get('k', 'strlen'), ':3\r\n');
    assert.equal(cache.get('k', 'get'), '$1\r\nx\r\n');
    assert.equal(cache.entries, 1, 'one entry per key');
  });

  it('keeps databases apart and invalidates a key in every one', () => {
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
    cache.put(0, 'k', 'get', reply('$1\r\na\r\n'));
    cache.put(3, 'k', 'get', reply('$1\r\nb\r\n'));
    assert.equal(cache.get(ReplyCache.entryKey(0, 'k'), 'get'), '$1\r\na\r\n');
    assert.equal(cache.get(ReplyCache.entryKey(3, 'k'), 'get'), '$1\r\nb\r\n');
    cache.invalidateIn(3, 'k');
    assert.equal(cache.get(ReplyCache.entryKey(3, 'k'), 'get'), undefined);
    cache.put(3, 'k', 'get', reply('$1\r\nb\r\n'));
    cache.invalidate('k');
    assert.equal(cache.get(ReplyCache.entryKey(0, 'k'), 'get'), undefined);
    assert.equal(cache.get(ReplyCache.entryKey(3, 'k'), 'get'), undefined);
  });

  it('never lets a database-0 key that looks like `db NUL key` share an entry with that key in that database', () => {
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
    cache.put(5, 'foo', 'get', reply('$2\r\nd5\r\n'));
    cache.put(0, '5\u0000foo', 'get', reply('$2\r\nd0\r\n'));
    cache.put(0, '0\u0000bar', 'get', reply('$1\r\nz\r\n'));
    assert.equal(cache.get(ReplyCache.entryKey(5, 'foo'), 'get'), '$2\r\nd5\r\n');
    assert.equal(cache.get(ReplyCache.entryKey(0, '5\u0000foo'), 'get'), '$2\r\nd0\r\n');
    assert.equal(cache.get(ReplyCache.entryKey(0, 'bar'), 'get'), undefined, "'0 NUL bar' in database 0 is not 'bar'");
    assert.equal(cache.get(ReplyCache.entryKey(0, '0\u0000bar'), 'get'), '$1\r\nz\r\n');
    cache.invalidateIn(5, 'foo');
    assert.equal(cache.get(ReplyCache.entryKey(0, '5\u0000foo'), 'get'), '$2\r\nd0\r\n', 'the database-0 key stays');
    assert.deepEqual(
      cache.hottestKeys(10).map((k) => k.key).sort(),
      ['0\u0000bar', '5\u0000foo'].sort(),
      'hot keys name the Redis keys as written',
    );
  });

  it('expires every variant of a key at the earliest deadline it was stored with', () => {
    let now = 1000.5;
    const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 10_000, now: () => now });
    cache.put(0, 'k', 'get', reply('$1\r\na\r\n'));
    cache.put(0, 'k', 'strlen', reply(':1\r\n'), 500);
    now += 499;
    assert.equal(cache.get('k', 'get'), '$1\r\na\r\n');
    now += 2;
    assert.equal(cache.get('k', 'get'), undefined, 'the key expires in Redis at the shorter TTL');
    cache.put(0, 'j', 'get', reply('$1\r\nb\r\n'), 0);
    assert.equal(cache.get('j', 'get'), undefined, 'a key already expired is not stored');
  });

  it('never holds more than its budget', () => {
    const cache = new ReplyCache({ maxBytes: 64 * 1024, ttl: 0 });
    for (let i = 0; i < 5000; i++) {
      cache.put(i % 4, `key:${i}`, i % 3 === 0 ? 'get' : `hget\u0000f${i % 7}`, reply(`$${i % 500}\r\n${'v'.repeat(i % 500)}\r\n`));
      assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes after ${i + 1} puts`);
    }
    assert.ok(cache.entries > 0);
  });

  describe('GET replies, kept in the arena', () => {
    const GET = getVariantOf(variantPrefix('default', 2));
    const GET3 = getVariantOf(variantPrefix('default', 3));
    const OTHER_USER_GET = getVariantOf(variantPrefix('alice', 2));
    const GET_NUMBER = getVariantNumber(GET);

    /** What the hit path answers for (db, key): the reply, or undefined on a miss (counting the hit as it does). */
    function hitPath(cache: ReplyCache, db: number, key: string, variant = GET_NUMBER): string | undefined {
      const frame = Buffer.from(`$${key.length}\r\n${key}\r\n`, 'latin1');
      const start = frame.length - 2 - key.length;
      const ref = cache.findInArena(frame, start, key.length, db, variant);
      if (ref < 0) return undefined;
      const text = cache.arena.replyString(ref);
      cache.countArenaHit(ref);
      return text;
    }

    it('answers GET by the key bytes, per database, user and protocol, and `get` agrees', () => {
      const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
      assert.equal(getVariantNumber('get'), -1, 'a name not from getVariantOf is not a GET variant');
      assert.equal(getVariantOf(variantPrefix('default', 2)), GET, 'one shared string per variant');
      cache.put(0, 'k', GET, reply('$1\r\na\r\n'));
      cache.put(2, 'k', GET, reply('$1\r\nb\r\n'));
      cache.put(0, 'k', GET3, reply('$1\r\nc\r\n'));
      assert.equal(hitPath(cache, 0, 'k'), '$1\r\na\r\n');
      assert.equal(hitPath(cache, 2, 'k'), '$1\r\nb\r\n');
      assert.equal(hitPath(cache, 0, 'k', getVariantNumber(GET3)), undefined, "RESP3's reply is another variant, not the entry's first: not in the arena");
      assert.equal(cache.get('k', GET3), '$1\r\nc\r\n');
      assert.equal(hitPath(cache, 0, 'k', getVariantNumber(OTHER_USER_GET)), undefined, "another user's partition");
      assert.equal(hitPath(cache, 1, 'k'), undefined);
      assert.equal(cache.get('k', GET), '$1\r\na\r\n');
      assert.equal(cache.get(ReplyCache.entryKey(2, 'k'), GET), '$1\r\nb\r\n');
      assert.equal(cache.arena.size, 2);
      assert.equal(cache.stats().hits, 5, 'the arena hits count with the engine as get does');
    });

    it('drops the record with its entry: invalidation, eviction, expiry, clear', () => {
      let now = 0;
      const cache = new ReplyCache({ maxBytes: 256 * 1024, ttl: 0, now: () => now });
      cache.put(0, 'a', GET, reply('$1\r\na\r\n'));
      cache.put(4, 'a', GET, reply('$1\r\na\r\n'));
      cache.invalidate('a');
      assert.equal(hitPath(cache, 0, 'a'), undefined);
      assert.equal(hitPath(cache, 4, 'a'), undefined);
      cache.put(0, 't', GET, reply('$1\r\nt\r\n'), 100);
      now += 101;
      assert.equal(hitPath(cache, 0, 't'), undefined, 'expired');
      assert.equal(cache.get('t', GET), undefined);
      for (let i = 0; i < 5000; i++) cache.put(0, `key:${i}`, GET, reply(`$100\r\n${'v'.repeat(100)}\r\n`));
      assert.ok(cache.entries < 5000, 'some were evicted');
      assert.equal(cache.arena.size, cache.entries, 'one record per entry held, none for those evicted');
      let held = 0;
      for (let i = 0; i < 5000; i++) {
        const viaArena = hitPath(cache, 0, `key:${i}`);
        const viaGet = cache.get(`key:${i}`, GET);
        assert.equal(viaArena, viaGet, `key:${i}`);
        if (viaGet !== undefined) held++;
      }
      assert.equal(held, cache.entries);
      cache.clear();
      assert.equal(cache.arena.size, 0);
      assert.equal(hitPath(cache, 0, 'key:4999'), undefined);
    });

    it('moves a reply out of the arena when it is replaced by one too large for it, or for the budget', () => {
      const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
      cache.put(0, 'k', GET, reply('$1\r\na\r\n'));
      const large = reply(`$${MAX_ARENA_PAYLOAD}\r\n${'x'.repeat(MAX_ARENA_PAYLOAD)}\r\n`);
      cache.put(0, 'k', GET, large);
      assert.equal(hitPath(cache, 0, 'k'), undefined, 'no stale record of the old reply');
      assert.equal(cache.get('k', GET), large.toString('latin1'));
      cache.put(0, 'k', GET, reply('$1\r\nb\r\n'));
      assert.equal(hitPath(cache, 0, 'k'), '$1\r\nb\r\n', 'back in the arena');
      cache.put(0, 'k', GET, Buffer.alloc(2 << 20, 0x78));
      assert.equal(cache.get('k', GET), undefined, 'larger than the budget: the entry is gone');
      assert.equal(hitPath(cache, 0, 'k'), undefined, 'and its record with it');
      assert.equal(cache.arena.size, 0);
    });

    it('keeps a GET reply that joins a key read another way first as a string, and other variants beside an arena one', () => {
      const cache = new ReplyCache({ maxBytes: 1 << 20, ttl: 0 });
      cache.put(0, 'h', 'strlen', reply(':1\r\n'));
      cache.put(0, 'h', GET, reply('$1\r\nh\r\n'));
      assert.equal(hitPath(cache, 0, 'h'), undefined);
      assert.equal(cache.get('h', GET), '$1\r\nh\r\n');
      cache.put(0, 'g', GET, reply('$1\r\ng\r\n'));
      cache.put(0, 'g', 'strlen', reply(':1\r\n'));
      assert.equal(hitPath(cache, 0, 'g'), '$1\r\ng\r\n', 'adding a variant keeps the record');
      assert.equal(cache.get('g', 'strlen'), ':1\r\n');
      cache.invalidate('g');
      assert.equal(hitPath(cache, 0, 'g'), undefined);
      assert.equal(cache.arena.size, 0);
    });

    it('never answers from the arena what get would not, under any mix of reads, writes, invalidations and expiry', () => {
      type Op = { kind: 'get' | 'put' | 'putOther' | 'invalidate' | 'tick' | 'clear'; key: number; db: number; size: number; ttl: number };
      const op = fc.record({
        kind: fc.constantFrom('get', 'get', 'put', 'put', 'putOther', 'invalidate', 'tick', 'clear'),
        key: fc.nat(30),
        db: fc.nat(1),
        size: fc.oneof(fc.nat(200), fc.nat(200), fc.integer({ min: 3000, max: 6000 }), fc.constant(30_000)),
        ttl: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
      }) as fc.Arbitrary<Op>;
      fc.assert(
        fc.property(fc.array(op, { maxLength: 200 }), (ops: Op[]) => {
          let now = 0;
          const cache = new ReplyCache({ maxBytes: 24 * 1024, ttl: 0, now: () => now });
          ops.forEach((o, n) => {
            const key = `key:${o.key}`;
            if (o.kind === 'put') cache.put(o.db, key, GET, reply(`$${o.size}\r\n${String.fromCharCode(n % 256).repeat(o.size)}\r\n`), o.ttl || undefined);
            else if (o.kind === 'putOther') cache.put(o.db, key, 'strlen', reply(`:${n}\r\n`), o.ttl || undefined);
            else if (o.kind === 'invalidate') cache.invalidate(key);
            else if (o.kind === 'tick') now += o.ttl;
            else if (o.kind === 'clear') cache.clear();
            else hitPath(cache, o.db, key);
            for (let db = 0; db <= 1; db++) {
              for (let k = 0; k <= 30; k++) {
                const fromArena = hitPath(cache, db, `key:${k}`);
                if (fromArena !== undefined) assert.equal(fromArena, cache.get(ReplyCache.entryKey(db, `key:${k}`), GET), `db ${db} key:${k} after op ${n}`);
              }
            }
            assert.ok(cache.arena.size <= cache.entries);
          });
        }),
        { numRuns: 300, seed: 20261202 },
      );
    });

    it('keeps GET replies of up to an eighth of its segment in the arena, larger ones as strings', () => {
      const cache = new ReplyCache({ maxBytes: 64 << 20, ttl: 0 });
      const medium = `$16384\r\n${'m'.repeat(16_384)}\r\n`;
      const large = `$200000\r\n${'l'.repeat(200_000)}\r\n`;
      cache.put(0, 'medium', GET, reply(medium));
      cache.put(0, 'large', GET, reply(large));
      assert.equal(hitPath(cache, 0, 'medium'), medium);
      assert.equal(hitPath(cache, 0, 'large'), undefined, 'past the arena');
      assert.equal(cache.get('large', GET), large);
    });

    it('holds no more than its budget, structures included, as it grows and as the mix of sizes shifts', () => {
      const cache = new ReplyCache({ maxBytes: 4 << 20, ttl: 0 });
      const phases = [
        { keys: 40_000, size: 20 },
        { keys: 300, size: 150_000 },
        { keys: 2_000, size: 3_000 },
        { keys: 40_000, size: 20 },
      ];
      let slotsGrew = 0;
      for (const [p, { keys, size }] of phases.entries()) {
        const value = reply(`$${size}\r\n${'v'.repeat(size)}\r\n`);
        for (let i = 0; i < keys; i++) {
          const slots = (cache as unknown as { engine: { slotCapacity: number } }).engine.slotCapacity;
          cache.put(0, `p${p}:${i}`, GET, value);
          if ((cache as unknown as { engine: { slotCapacity: number } }).engine.slotCapacity > slots) slotsGrew++;
          assert.ok(cache.bytes <= cache.maxBytes, `phase ${p}, put ${i}: ${cache.bytes} bytes`);
          assert.ok(cache.arena.bytesHeld + cache.arena.bytesSpare <= cache.bytes, 'the arena within what L1 counts');
        }
        assert.ok(cache.entries > 0);
      }
      assert.ok(slotsGrew >= 5, `the slots grew ${slotsGrew} times`);
    });

    it('counts the arena within its budget under churn', () => {
      const cache = new ReplyCache({ maxBytes: 2 << 20, ttl: 0 });
      for (let i = 0; i < 40_000; i++) {
        const size = (i * 7919) % 3000;
        cache.put(i % 3, `key:${i % 9000}`, GET, reply(`$${size}\r\n${'v'.repeat(size)}\r\n`));
        assert.ok(cache.bytes <= cache.maxBytes);
      }
      const live = cache.arena.bytesHeld - cache.arena.bytesDead;
      assert.ok(live <= cache.bytes, `arena's live bytes ${live} within what the engine counts, ${cache.bytes}`);
      assert.ok(cache.arena.bytesHeld <= cache.maxBytes * 1.125 + (1 << 20), `arena holds ${cache.arena.bytesHeld}`);
    });
  });
});
