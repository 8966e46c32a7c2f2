/**
 * The store against a real Redis: every scenario of the corpus runs on both, in RESP2 and in
 * RESP3, and each reply must be byte-identical (or equal under the step's stated comparison).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeReply, type RespValue } from '../../src/resp/index.js';
import { Store } from '../../src/store/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { SCENARIOS, type Comparison, type Step } from './support/corpus.js';
import { RawClient, toArgs, type Arg } from './support/raw-client.js';

let redis: RedisServer;

before(async () => {
  redis = await startRedis();
});

after(async () => {
  await redis?.stop();
});

const show = (reply: Buffer) => JSON.stringify(reply.toString('latin1'));
const describeStep = (args: Arg[]) => args.map((arg) => JSON.stringify(arg.toString('latin1'))).join(' ');

/** Elements of an array reply, as latin1 text, sorted. */
function sortedElements(reply: Buffer): string[] {
  const value = decodeReply(reply);
  assert.ok(Array.isArray(value), `expected an array, got ${show(reply)}`);
  return value.map((item) => (Buffer.isBuffer(item) ? item.toString('latin1') : String(item))).sort();
}

function helloWithoutIdentity(reply: Buffer): unknown {
  const value = decodeReply(reply, { strings: 'string' });
  if (!(value instanceof Map) && !Array.isArray(value)) return value;
  const entries: [RespValue, RespValue][] =
    value instanceof Map ? [...value] : Array.from({ length: value.length / 2 }, (_, i) => [value[2 * i], value[2 * i + 1]]);
  return entries.map(([key, item]) => [key, key === 'id' ? typeof item : key === 'version' ? 'version' : item]);
}

function compare(how: Comparison, expected: Buffer, actual: Buffer, label: string): void {
  switch (how) {
    case 'exact':
      assert.equal(show(actual), show(expected), label);
      return;
    case 'type':
      assert.equal(String.fromCharCode(actual[0]), String.fromCharCode(expected[0]), `${label}: ${show(expected)} vs ${show(actual)}`);
      return;
    case 'sorted':
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

async function runScenario(steps: Step[], resp3: boolean): Promise<void> {
  const client = await RawClient.connect(redis.port);
  const store = new Store({ maxBytes: 64 * 1024 * 1024 });
  const session = store.newSession();
  try {
    const prelude: Step[] = [{ args: ['FLUSHALL'], compare: 'exact' }];
    if (resp3) prelude.push({ args: ['HELLO', '3'], compare: 'hello' });
    const all = [...prelude, ...steps];
    const expected = await client.pipeline(all.map((s) => s.args));
    all.forEach((s, i) => {
      const actual = store.execute(session, toArgs(s.args));
      compare(s.compare, expected[i], actual, `${resp3 ? 'RESP3' : 'RESP2'} step ${i - prelude.length + 1}: ${describeStep(s.args)}`);
    });
  } finally {
    client.close();
  }
}

for (const protocol of ['RESP2', 'RESP3'] as const) {
  describe(`store vs redis-server, ${protocol}`, () => {
    for (const scenario of SCENARIOS) {
      it(scenario.name, async () => {
        await runScenario(scenario.steps, protocol === 'RESP3');
      });
    }
  });
}
