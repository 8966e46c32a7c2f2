/**
 * The part of vitest's API that @keyv/test-suite calls (`it`, `beforeEach`, `afterEach`, and a
 * test context's `expect` with the matchers it uses), on node:test and node:assert, so Keyv's
 * own compliance suite runs in this repository's test runner.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';

interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
}

interface Expect {
  (actual: unknown): Matchers & { not: Pick<Matchers, 'toBe' | 'toEqual'> };
  /** The test fails unless exactly `count` assertions ran in it. */
  assertions(count: number): void;
}

function makeExpect(): { expect: Expect; check(): void } {
  let made = 0;
  let expected: number | undefined;
  const expect = ((actual: unknown) => {
    made++;
    return {
      toBe: (value: unknown) => assert.ok(Object.is(actual, value), `expected ${String(actual)} to be ${String(value)}`),
      toEqual: (value: unknown) => assert.deepStrictEqual(actual, value),
      toBeTruthy: () => assert.ok(actual, `expected ${String(actual)} to be truthy`),
      toBeFalsy: () => assert.ok(!actual, `expected ${String(actual)} to be falsy`),
      toBeNull: () => assert.equal(actual, null),
      toBeUndefined: () => assert.equal(actual, undefined),
      toBeDefined: () => assert.notEqual(actual, undefined),
      not: {
        toBe: (value: unknown) => assert.ok(!Object.is(actual, value), `expected ${String(actual)} not to be ${String(value)}`),
        toEqual: (value: unknown) => assert.notDeepStrictEqual(actual, value),
      },
    };
  }) as Expect;
  expect.assertions = (count: number) => {
    expected = count;
  };
  const check = () => {
    if (expected !== undefined) assert.equal(made, expected, `expected ${expected} assertions, ${made} ran`);
  };
  return { expect, check };
}

type TestBody = (context: { expect: Expect }) => unknown;

/** Registers in the surrounding describe, as vitest's functions do. */
export const vitestShape = {
  it(name: string, body: TestBody): void {
    it(name, async () => {
      const { expect, check } = makeExpect();
      await body({ expect });
      check();
    });
  },
  beforeEach(hook: () => unknown): void {
    beforeEach(async () => {
      await hook();
    });
  },
  afterEach(hook: () => unknown): void {
    afterEach(async () => {
      await hook();
    });
  },
};
