/**
 * Model-based property tests: random command sequences run against the cache and against a
 * plain Map model; after every step the invariants hold and every answer agrees with the model
 * (the cache may have evicted a key the model still has, never the other way round).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Cache } from '../../src/core/cache.js';
import { checkInvariants } from './invariants.js';

type Command =
  | { op: 'get'; key: number }
  | { op: 'set'; key: number; value: number; size: number }
  | { op: 'delete'; key: number }
  | { op: 'peek'; key: number }
  | { op: 'clear' };

const key = fc.integer({ min: 0, max: 40 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 50, arbitrary: key.map((k) => ({ op: 'get' as const, key: k })) },
  {
    weight: 50,
    arbitrary: fc
      .tuple(key, fc.integer(), fc.integer({ min: 0, max: 60 }))
      .map(([k, value, size]) => ({ op: 'set' as const, key: k, value, size })),
  },
  { weight: 10, arbitrary: key.map((k) => ({ op: 'delete' as const, key: k })) },
  { weight: 10, arbitrary: key.map((k) => ({ op: 'peek' as const, key: k })) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

function replay(cache: Cache<number, { value: number; size: number }>, commands: Command[], maxEntries: number, maxBytes: number) {
  const model = new Map<number, number>();
  for (const c of commands) {
    switch (c.op) {
      case 'get': {
        const got = cache.get(c.key);
        if (got !== undefined) assert.equal(got.value, model.get(c.key), `get ${c.key}`);
        break;
      }
      case 'peek': {
        const got = cache.peek(c.key);
        if (got !== undefined) assert.equal(got.value, model.get(c.key), `peek ${c.key}`);
        break;
      }
      case 'set': {
        const stored = cache.set(c.key, { value: c.value, size: c.size });
        model.set(c.key, c.value);
        assert.equal(stored, cache.has(c.key), 'set returns whether the key is now cached');
        if (c.size > maxBytes) assert.equal(stored, false);
        break;
      }
      case 'delete': {
        const removed = cache.delete(c.key);
        if (removed) assert.ok(model.has(c.key));
        model.delete(c.key);
        assert.equal(cache.has(c.key), false);
        break;
      }
      case 'clear':
        cache.clear();
        model.clear();
        break;
    }
    checkInvariants(cache);
    assert.ok(cache.size <= maxEntries);
    assert.ok(cache.bytes <= maxBytes);
    for (let k = 0; k <= 40; k++) {
      const v = cache.peek(k);
      if (v !== undefined) assert.equal(v.value, model.get(k), `cache holds a value the model does not: ${k}`);
    }
  }
}

describe('Cache against a Map model', () => {
  it('bounded by entries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(command, { minLength: 20, maxLength: 300 }), (maxEntries, commands) => {
        const cache = new Cache<number, { value: number; size: number }>({ maxEntries });
        replay(cache, commands, maxEntries, Infinity);
      }),
      { numRuns: 300 },
    );
  });

  it('bounded by bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(command, { minLength: 20, maxLength: 300 }), (maxBytes, commands) => {
        const cache = new Cache<number, { value: number; size: number }>({ maxBytes, sizeOf: (v) => v.size });
        replay(cache, commands, Infinity, maxBytes);
      }),
      { numRuns: 300 },
    );
  });

  it('bounded by bytes, counting its structures and an owner\'s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 12_000, max: 60_000 }),
        fc.integer({ min: 0, max: 4_000 }),
        fc.array(command.map((c) => (c.op === 'set' ? { ...c, size: c.size * 50 } : c)), { minLength: 20, maxLength: 300 }),
        (maxBytes, external, commands) => {
          const cache = new Cache<number, { value: number; size: number }>({
            maxBytes,
            sizeOf: (v) => v.size,
            countStructures: true,
            externalBytes: (slots) => external + 8 * slots,
          });
          replay(cache, commands, Infinity, maxBytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bounded by both', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 150 }),
        fc.array(command, { minLength: 20, maxLength: 300 }),
        (maxEntries, maxBytes, commands) => {
          const cache = new Cache<number, { value: number; size: number }>({ maxEntries, maxBytes, sizeOf: (v) => v.size });
          replay(cache, commands, maxEntries, maxBytes);
        },
      ),
      { numRuns: 200 },
    );
  });
});
