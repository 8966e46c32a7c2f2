/**
 * How the differential tests compare a reply from the store (or the embedded server) with the
 * real Redis's: byte for byte, or under the step's stated comparison (see corpus.ts).
 */
import assert from 'node:assert/strict';
import { decodeReply, type RespValue } from '../../../src/resp/index.js';
import type { Comparison, Step } from './corpus.js';
import type { Arg } from './args.js';

const show = (reply: Buffer) => JSON.stringify(reply.toString('latin1'));
export const describeStep = (args: Arg[]) => args.map((arg) => JSON.stringify(arg.toString('latin1'))).join(' ');

/** Elements of an array or set reply, as latin1 text, sorted. */
function sortedElements(reply: Buffer): string[] {
  const decoded = decodeReply(reply);
  const value = decoded instanceof Set ? [...decoded] : decoded;
  assert.ok(Array.isArray(value), `expected an array or a set, got ${show(reply)}`);
  return value.map((item) => (Buffer.isBuffer(item) ? item.toString('latin1') : String(item))).sort();
}

function helloWithoutIdentity(reply: Buffer): unknown {
  const value = decodeReply(reply, { strings: 'string' });
  if (!(value instanceof Map) && !Array.isArray(value)) return value;
  const entries: [RespValue, RespValue][] =
    value instanceof Map ? [...value] : Array.from({ length: value.length / 2 }, (_, i) => [value[2 * i], value[2 * i + 1]]);
  return entries.map(([key, item]) => [key, key === 'id' ? typeof item : key === 'version' ? 'version' : item]);
}

export function compare(how: Comparison, expected: Buffer, actual: Buffer, label: string): void {
  switch (how) {
    case 'exact':
      assert.equal(show(actual), show(expected), label);
      return;
    case 'type':
      assert.equal(String.fromCharCode(actual[0]), String.fromCharCode(expected[0]), `${label}: ${show(expected)} vs ${show(actual)}`);
      return;
    case 'sorted':
      assert.equal(String.fromCharCode(actual[0]), String.fromCharCode(expected[0]), `${label}: ${show(expected)} vs ${show(actual)}`);
      assert.deepEqual(sortedElements(actual), sortedElements(expected), label);
      return;
    case 'scan': {
      const [expectedCursor, expectedKeys] = decodeReply(expected) as [Buffer, Buffer[]];
      const [actualCursor, actualKeys] = decodeReply(actual) as [Buffer, Buffer[]];
      assert.equal(expectedCursor.toString(), '0', `${label}: redis did not finish the scan in one call`);
      assert.equal(actualCursor.toString(), '0', label);
      const sorted = (keys: Buffer[]) => keys.map((key) => key.toString('latin1')).sort();
      assert.deepEqual(sorted(actualKeys), sorted(expectedKeys), label);
      return;
    }
    case 'near': {
      const a = decodeReply(actual);
      const e = decodeReply(expected);
      assert.equal(typeof a, 'number', `${label}: ${show(actual)}`);
      assert.ok(Math.abs((a as number) - (e as number)) <= 100, `${label}: ${a} is not near ${e}`);
      return;
    }
    case 'map': {
      const pairs = (reply: Buffer) => {
        const value = decodeReply(reply);
        const flat = value instanceof Map ? [...value].flat() : (value as RespValue[]);
        const out: string[] = [];
        for (let i = 0; i < flat.length; i += 2) out.push(JSON.stringify([String(flat[i]), String(flat[i + 1])]));
        return [String.fromCharCode(reply[0]), ...out.sort()];
      };
      assert.deepEqual(pairs(actual), pairs(expected), label);
      return;
    }
    case 'hello':
      assert.deepEqual(helloWithoutIdentity(actual), helloWithoutIdentity(expected), label);
      return;
  }
}

/** What every scenario starts with: empty databases, and HELLO 3 for a RESP3 run. */
export function preludeFor(resp3: boolean): Step[] {
  const prelude: Step[] = [{ args: ['FLUSHALL'], compare: 'exact' }];
  if (resp3) prelude.push({ args: ['HELLO', '3'], compare: 'hello' });
  return prelude;
}

/** Compares each of `actual` with `expected` (the replies to `prelude` then `steps`, from Redis). */
export function compareReplies(prelude: Step[], steps: Step[], expected: Buffer[], actual: Buffer[], protocol: string): void {
  const all = [...prelude, ...steps];
  assert.equal(actual.length, all.length, `${protocol}: one reply per command`);
  all.forEach((s, i) => {
    compare(s.compare, expected[i], actual[i], `${protocol} step ${i - prelude.length + 1}: ${describeStep(s.args)}`);
  });
}
