/**
 * Checks the engine's internal bookkeeping against its data: run after every step of the core
 * tests. Reaches into private fields on purpose; it is the one place that does.
 */
import assert from 'node:assert/strict';
import type { Cache } from '../../src/core/cache.js';
import { hashKey } from '../../src/core/hash.js';

const QUEUE_NAMES = ['window', 'probation', 'protected'];
const FREE = 3;
// meta: two words a slot, [prev | queue << 28, next | pending << 28].
const link = (meta: Int32Array, i: number, word: 0 | 1) => meta[i * 2 + word] & 0x0fffffff;
const queueOf = (meta: Int32Array, i: number) => meta[i * 2] >>> 28;

export function checkInvariants<K, V>(cache: Cache<K, V>): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const c = cache as any;
  const meta: Int32Array = c.meta;
  const seen = new Set<number>();
  const weights = [0, 0, 0];
  let bytes = 0;
  for (let q = 0; q < 3; q++) {
    let previous = q;
    for (let i = link(meta, q, 1), steps = 0; i !== q; i = link(meta, i, 1), steps++) {
      assert.ok(steps <= c.capacity, `${QUEUE_NAMES[q]} queue has a cycle`);
      assert.ok(i >= 3 && i < c.nextUnused, `slot ${i} in ${QUEUE_NAMES[q]} is out of range`);
      assert.equal(link(meta, i, 0), previous, `slot ${i}: prev link broken`);
      assert.equal(queueOf(meta, i), q, `slot ${i} sits in ${QUEUE_NAMES[q]} but is tagged ${queueOf(meta, i)}`);
      assert.ok(!seen.has(i), `slot ${i} is in two queues`);
      seen.add(i);
      assert.equal(c.slotFor(c.keys[i]), i, `slot ${i}: the index does not point back to it`);
      const size = c.sizes ? c.sizes[i] : 0;
      bytes += size;
      weights[q] += c.weighted ? size : 1;
      previous = i;
    }
    assert.equal(link(meta, q, 0), previous, `${QUEUE_NAMES[q]}: sentinel's prev is not the tail`);
  }
  const indexed = c.index === undefined ? c.map.size : c.index.table.size;
  assert.equal(seen.size, indexed, 'the index holds another number of keys than the queues');
  assert.equal(c.count, seen.size, 'size differs from the entries in the queues');
  assert.equal(cache.size, seen.size);
  assert.equal(c.totalBytes, bytes, 'bytes differ from the sum of entry sizes');
  assert.equal(c.windowWeight, weights[0], 'window weight is off');
  assert.equal(c.protectedWeight, weights[2], 'protected weight is off');
  assert.equal(c.totalWeight, weights[0] + weights[1] + weights[2], 'total weight is off');
  assert.ok(c.totalWeight <= c.maxWeight, `over the bound: ${c.totalWeight} > ${c.maxWeight}`);
  if (c.index !== undefined) {
    // Counting its structures: all it holds within maxBytes, and a free slot for the next newcomer.
    assert.ok(cache.bytes <= cache.maxBytes, `structures and entries over the bound: ${cache.bytes} > ${cache.maxBytes}`);
    assert.ok(c.count < c.capacity - 3, 'no free slot left for a newcomer');
  }
  assert.ok(c.count <= c.maxCount, `over maxEntries: ${c.count} > ${c.maxCount}`);
  assert.ok(c.windowMax >= 0 && c.protectedMax >= 0, 'negative segment maximum');
  assert.ok(c.windowMax + c.protectedMax <= c.maxWeight, 'segment maxima exceed the bound');
  // The one-slot hash memos name live slots and hold their keys' hashes.
  for (const [slot, hash, what] of [
    [c.hashMemoSlot, c.hashMemo, 'hash memo'],
    [c.victimMemoSlot, c.victimMemoHash, 'victim memo'],
  ] as [number, number, string][]) {
    if (slot === -1) continue;
    assert.ok(seen.has(slot), `${what} names slot ${slot}, which holds no entry`);
    assert.equal(hash, hashKey(c.keys[slot], c.seed), `${what} is stale for slot ${slot}`);
  }
  // Free slots: each free-listed slot is tagged FREE, and no live slot is free-listed.
  for (let i = c.freeHead, steps = 0; i !== -1; i = meta[i * 2 + 1], steps++) {
    assert.ok(steps <= c.capacity, 'free list has a cycle');
    assert.equal(queueOf(meta, i), FREE, `free slot ${i} is not tagged free`);
    assert.ok(!seen.has(i), `slot ${i} is both live and free`);
  }
}
