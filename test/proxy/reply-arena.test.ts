import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_ARENA_PAYLOAD, maxPayloadOf, recordCost, ReplyArena, segmentBytesFor } from '../../src/proxy/reply-arena.js';

const SEGMENT = 1 << 20;

/** The reply stored for `ref`, as a string. */
const replyAt = (arena: ReplyArena, ref: number) => arena.replyString(ref);

describe('ReplyArena', () => {
  it('finds a record by the key bytes or the key string, in its database and variant only', () => {
    const arena = new ReplyArena();
    assert.ok(arena.set('user:1', 0, 0, Buffer.from('$1\r\na\r\n'), 7));
    assert.ok(arena.set('user:1', 3, 0, Buffer.from('$1\r\nb\r\n'), 8));
    assert.ok(arena.set('user:1', 0, 1, Buffer.from('$1\r\nc\r\n'), 9));
    const frame = Buffer.from('*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n');
    const ref = arena.find(frame, 17, 6, 0, 0);
    assert.equal(ref, arena.findString('user:1', 0, 0));
    assert.equal(arena.slotOf(ref), 7);
    assert.equal(replyAt(arena, ref), '$1\r\na\r\n');
    assert.equal(arena.bytesOf(ref).toString('latin1', arena.replyStart(ref), arena.replyStart(ref) + arena.replyLength(ref)), '$1\r\na\r\n');
    assert.equal(replyAt(arena, arena.findString('user:1', 3, 0)), '$1\r\nb\r\n');
    assert.equal(replyAt(arena, arena.findString('user:1', 0, 1)), '$1\r\nc\r\n');
    assert.equal(arena.find(frame, 17, 5, 0, 0), -1, 'a prefix of the key is another key');
    assert.equal(arena.findString('user:2', 0, 0), -1);
    assert.equal(arena.findString('user:1', 1, 0), -1);
  });

  it('keeps keys and replies byte for byte, every byte value included', () => {
    const arena = new ReplyArena();
    const key = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
    const reply = Buffer.from(Array.from({ length: 300 }, (_, i) => 255 - (i % 256)));
    assert.ok(arena.set(key, 0, 0, reply, 1));
    const ref = arena.find(Buffer.from(key, 'latin1'), 0, 256, 0, 0);
    assert.ok(ref >= 0);
    assert.deepEqual(arena.bytesOf(ref).subarray(arena.replyStart(ref), arena.replyStart(ref) + arena.replyLength(ref)), reply);
  });

  it('refuses a record larger than MAX_ARENA_PAYLOAD and drops the earlier one of that key', () => {
    const arena = new ReplyArena();
    assert.ok(arena.set('k', 0, 0, Buffer.from('$1\r\na\r\n'), 1));
    assert.equal(arena.set('k', 0, 0, Buffer.alloc(MAX_ARENA_PAYLOAD), 1), false);
    assert.equal(arena.findString('k', 0, 0), -1);
    assert.equal(arena.size, 0);
    assert.ok(arena.set('k', 0, 0, Buffer.alloc(MAX_ARENA_PAYLOAD - 1), 1), 'key and reply at the limit fit');
  });

  it('gives back the segments of removed records: dead space stays within 1/8 of what it holds', () => {
    const arena = new ReplyArena();
    const reply = Buffer.alloc(1000, 0x78);
    const keys = Array.from({ length: 20_000 }, (_, i) => `key:${i}`);
    keys.forEach((key, i) => assert.ok(arena.set(key, 0, 0, reply, i)));
    const full = arena.bytesHeld;
    assert.ok(full >= 20 * SEGMENT);
    // Remove 3 of every 4, scattered over every segment: only cleaning can free them.
    keys.forEach((key, i) => {
      if (i % 4 !== 0) assert.ok(arena.delete(key, 0, 0));
      assert.ok(arena.bytesDead * 8 <= arena.bytesHeld, `dead ${arena.bytesDead} of ${arena.bytesHeld} after ${i}`);
    });
    assert.equal(arena.size, 5000);
    assert.ok(arena.bytesHeld <= full / 4 + 3 * SEGMENT, `${arena.bytesHeld} held for a quarter of ${full}`);
    keys.forEach((key, i) => {
      const ref = arena.findString(key, 0, 0);
      if (i % 4 !== 0) assert.equal(ref, -1, key);
      else {
        assert.equal(arena.slotOf(ref), i, `${key} moved with its slot`);
        assert.deepEqual(arena.bytesOf(ref).subarray(arena.replyStart(ref), arena.replyStart(ref) + arena.replyLength(ref)), reply);
      }
    });
  });

  it('behaves as a map of (db, variant, key) to (slot, reply) under any mix of sets and deletes', () => {
    type Op = { set: boolean; key: number; db: number; size: number };
    const op = fc.record({ set: fc.boolean(), key: fc.nat(60), db: fc.nat(2), size: fc.oneof(fc.nat(40), fc.integer({ min: 2_000, max: MAX_ARENA_PAYLOAD - 4 })) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops: Op[]) => {
        const arena = new ReplyArena();
        const model = new Map<string, { slot: number; reply: string }>();
        ops.forEach((o, n) => {
          const key = `k${o.key}`;
          const id = `${o.db}/${key}`;
          if (o.set) {
            const reply = String.fromCharCode(n % 256).repeat(o.size);
            assert.ok(arena.set(key, o.db, 0, Buffer.from(reply, 'latin1'), n));
            model.set(id, { slot: n, reply });
          } else {
            assert.equal(arena.delete(key, o.db, 0), model.delete(id));
          }
          assert.equal(arena.size, model.size);
          assert.ok(arena.bytesDead * 8 <= arena.bytesHeld);
        });
        for (let db = 0; db <= 2; db++) {
          for (let k = 0; k <= 60; k++) {
            const expected = model.get(`${db}/k${k}`);
            const ref = arena.find(Buffer.from(`k${k}`), 0, `k${k}`.length, db, 0);
            if (expected === undefined) assert.equal(ref, -1);
            else {
              assert.equal(arena.slotOf(ref), expected.slot);
              assert.equal(arena.replyString(ref), expected.reply);
            }
          }
        }
      }),
      { numRuns: 150, seed: 20261202 },
    );
  });

  it('sizes its segments to a 64th of the budget (16 KiB to 1 MiB) and keeps records of up to an eighth of one', () => {
    assert.equal(segmentBytesFor(1 << 20), 16 << 10);
    assert.equal(segmentBytesFor(8 << 20), 128 << 10);
    assert.equal(segmentBytesFor(64 << 20), 1 << 20);
    assert.equal(segmentBytesFor(1 << 30), 1 << 20);
    for (const bad of [8 << 10, 3 << 16, 2 << 20]) assert.throws(() => new ReplyArena(bad), RangeError);
    const arena = new ReplyArena(16 << 10);
    assert.equal(arena.maxPayload, maxPayloadOf(16 << 10));
    assert.ok(arena.set('k', 0, 0, Buffer.alloc(arena.maxPayload - 1), 1));
    assert.equal(arena.set('k', 0, 0, Buffer.alloc(arena.maxPayload), 1), false);
  });

  it('holds at most 17/14 of its live records plus fixedBytesFor, whatever the mix of sizes does', () => {
    const arena = new ReplyArena(64 << 10);
    const live = new Map<string, number>();
    let cost = 0;
    const check = (when: string) => {
      const holds = arena.bytesHeld + arena.bytesSpare;
      const bound = cost + arena.fixedBytesFor(arena.size);
      assert.ok(holds <= bound, `${when}: holds ${holds}, counted ${bound}`);
    };
    const put = (key: string, size: number, slot: number) => {
      if (live.has(key)) cost -= live.get(key)!;
      assert.ok(arena.set(key, 0, 0, Buffer.alloc(size, 0x61), slot));
      live.set(key, recordCost(key.length, size));
      cost += live.get(key)!;
    };
    const remove = (key: string) => {
      assert.ok(arena.delete(key, 0, 0));
      cost -= live.get(key)!;
      live.delete(key);
    };
    // Large records, most of them removed, then small ones in their place, then churn.
    for (let i = 0; i < 400; i++) {
      put(`big:${i}`, 5_000 + ((i * 37) % 3_000), i);
      check(`big ${i}`);
    }
    for (let i = 0; i < 400; i++) {
      if (i % 10 === 0) continue;
      remove(`big:${i}`);
      check(`removing big ${i}`);
    }
    for (let i = 0; i < 20_000; i++) {
      put(`small:${i % 5_000}`, 10 + (i % 90), i);
      check(`small ${i}`);
    }
    for (let i = 0; i < 5_000; i += 2) {
      remove(`small:${i}`);
      check(`removing small ${i}`);
    }
  });

  it('forgets everything on clear', () => {
    const arena = new ReplyArena();
    for (let i = 0; i < 100; i++) arena.set(`k${i}`, 0, 0, Buffer.from('$1\r\nx\r\n'), i);
    arena.clear();
    assert.equal(arena.size, 0);
    assert.equal(arena.bytesHeld, 0);
    assert.equal(arena.findString('k1', 0, 0), -1);
    assert.ok(arena.set('k1', 0, 0, Buffer.from('$1\r\ny\r\n'), 5));
    assert.equal(arena.replyString(arena.findString('k1', 0, 0)), '$1\r\ny\r\n');
  });
});
