/**
 * The store against a real Redis: every scenario of the corpus runs on both, in RESP2 and in
 * RESP3, and each reply must be byte-identical (or equal under the step's stated comparison).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { compareReplies, describeStep, preludeFor } from './support/compare.js';
import { SCENARIOS, type Step } from './support/corpus.js';
import { RawClient } from '../support/proxy.js';
import { toArgs } from './support/args.js';

let redis: RedisServer;

before(async () => {
  redis = await startRedis();
});

after(async () => {
  await redis?.stop();
});

async function runScenario(steps: Step[], resp3: boolean): Promise<void> {
  const client = await RawClient.connect(redis.port);
  const store = new Store({ maxBytes: 64 * 1024 * 1024 });
  const session = store.newSession();
  try {
    const prelude = preludeFor(resp3);
    const all = [...prelude, ...steps];
    const expected = await client.pipeline(all.map((s) => toArgs(s.args)), 30_000);
    const actual = all.map((s) => store.execute(session, toArgs(s.args)));
    compareReplies(prelude, steps, expected, actual, resp3 ? 'RESP3' : 'RESP2');
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

/** keyspace_hits and keyspace_misses from an INFO reply. */
function keyspaceCounters(info: Buffer): [hits: number, misses: number] {
  const text = info.toString('latin1');
  return [Number(/keyspace_hits:(\d+)/.exec(text)?.[1]), Number(/keyspace_misses:(\d+)/.exec(text)?.[1])];
}

/** Replies to FLUSHALL, INFO, then each step followed by INFO: what each step added to the counters. */
function counted(replies: Buffer[], steps: number): string[] {
  return Array.from({ length: steps }, (_, i) => {
    const [hitsBefore, missesBefore] = keyspaceCounters(replies[1 + 2 * i]);
    const [hits, misses] = keyspaceCounters(replies[3 + 2 * i]);
    return `hits +${hits - hitsBefore}, misses +${misses - missesBefore}`;
  });
}

/**
 * The embedded store's hit rate in `INFO cachee` is its keyspace hits and misses: each command
 * must count what Redis counts for it (reads count; the lookups of writes do not).
 */
describe('store vs redis-server: keyspace hits and misses, command by command', () => {
  const INFO = ['INFO', 'stats'];
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const client = await RawClient.connect(redis.port);
      const store = new Store({ maxBytes: 64 * 1024 * 1024 });
      const session = store.newSession();
      try {
        // QUIT would end the pipeline: its counting is nothing to compare.
        const steps = scenario.steps.filter((step) => !/^quit$/i.test(step.args[0].toString('latin1')));
        const commands = [['FLUSHALL'], INFO, ...steps.flatMap((step) => [step.args, INFO])];
        const expected = counted(await client.pipeline(commands.map(toArgs), 30_000), steps.length);
        const actual = counted(commands.map((command) => store.execute(session, toArgs(command))), steps.length);
        steps.forEach((step, i) => assert.equal(actual[i], expected[i], `step ${i + 1}: ${describeStep(step.args)}`));
      } finally {
        client.close();
      }
    });
  }
});
