import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import v8 from 'node:v8';
import fc from 'fast-check';
import { HashCells } from '../../src/core/hash-cells.js';
import { hashKey } from '../../src/core/hash.js';
import { SlotIndex } from '../../src/core/slot-index.js';
import { UncollectedBytes } from '../../src/core/uncollected.js';
import { waitFor } from '../support/proxy.js';

const SEED = 12345;

describe('SlotIndex', () => {
  it('agrees with a Map on adds, removes and lookups, keys of every type as a Map compares them', () => {
    const object = {};
    const keyPool: unknown[] = ['a', 'b', '', 'é€', 0, -0, 1, 1.5, NaN, Infinity, 10n, true, null, undefined, object, Symbol.for('s')];
    for (let i = 0; i < 60; i++) keyPool.push(`key:${i}`);
    const op = fc.record({ add: fc.boolean(), key: fc.nat(keyPool.length - 1) });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 400 }), (ops) => {
        const index = new SlotIndex<unknown>(SEED, new UncollectedBytes());
        const model = new Map<unknown, number>();
        const keys: unknown[] = [];
        const free: number[] = [];
        for (const { add, key: n } of ops) {
          const key = keyPool[n];
          const slot = model.get(key);
          if (add && slot === undefined) {
            const at = free.pop() ?? keys.length;
            keys[at] = key;
            index.add(hashKey(key, SEED), at);
            model.set(key, at);
          } else if (!add && slot !== undefined) {
            index.remove(hashKey(key, SEED), slot);
            keys[slot] = undefined;
            free.push(slot);
            model.delete(key);
          }
          for (const probe of keyPool) assert.equal(index.get(probe, keys), model.get(probe), `lookup of ${String(probe)}`);
        }
      }),
      { numRuns: 200, seed: 20261206 },
    );
  });

  it('grows only to the room reserved for it, and counts the table it replaces', () => {
    const garbage = new UncollectedBytes();
    const index = new SlotIndex<string>(SEED, garbage);
    const small = index.byteLength;
    index.reserve(10_000);
    assert.equal(index.byteLength, SlotIndex.bytesFor(10_000));
    assert.ok(SlotIndex.bytesFor(10_000) * 3 >= 10_000 * 8 * 5, 'at most 60% full');
    assert.equal(garbage.bytes, small, 'the old table is counted until collected');
    const keys: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      keys.push(`k${i}`);
      index.add(hashKey(keys[i], SEED), i);
    }
    assert.equal(index.byteLength, SlotIndex.bytesFor(10_000), 'no growth past the reservation');
    for (let i = 0; i < 10_000; i += 7) assert.equal(index.get(`k${i}`, keys), i);
  });
});

describe('HashCells', () => {
  it('refuses an add whose free cell is past the probe limit, and leaves nothing behind', () => {
    const table = new HashCells(16);
    for (let v = 1; v <= 5; v++) assert.ok(table.add(3, v, 8), 'a run of one home');
    assert.equal(table.add(3, 6, 4), false);
    assert.equal(table.size, 5);
    table.remove(3, 2);
    assert.ok(table.add(3, 6, 4), 'a removal shortens the run');
    const values = [...table.cells].filter((_, i) => i % 2 === 1 && table.cells[i] !== 0).sort();
    assert.deepEqual(values, [1, 3, 4, 5, 6]);
  });

  it('keeps every pair reachable from its home as pairs come and go across the table end', () => {
    const table = new HashCells(16);
    const live = new Map<number, number>();
    let next = 1;
    for (let round = 0; round < 2_000; round++) {
      const hash = (round * 2654435761) % 1000 | 14; // homes 14 and 15 wrap around the end
      if (live.size < 8 || round % 3 !== 0) {
        table.add(hash, next, Infinity);
        live.set(next++, hash);
      } else {
        const [value, h] = live.entries().next().value as [number, number];
        table.remove(h, value);
        live.delete(value);
      }
      for (const [value, h] of live) {
        let found = false;
        for (let i = h & table.mask; table.cells[2 * i + 1] !== 0; i = (i + 1) & table.mask) if (table.cells[2 * i + 1] === value) found = true;
        assert.ok(found, `value ${value} unreachable from its home`);
      }
    }
  });
});

describe('UncollectedBytes', () => {
  it('counts an array let go of until the collector frees it', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const garbage = new UncollectedBytes();
    (() => garbage.dropped(new Float64Array(1024), 8192))();
    assert.equal(garbage.bytes, 8192);
    await waitFor(
      () => {
        gc();
        return garbage.bytes === 0;
      },
      5_000,
      'the dropped array to be collected and uncounted',
    );
  });
});
