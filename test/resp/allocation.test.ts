import assert from 'node:assert/strict';
import type { HeapProfiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';
import { describe, it } from 'node:test';
import { RequestParser } from '../../src/resp/index.js';

/**
 * Bytes `run` allocates, garbage included, by V8's sampling heap profiler: the check that the hot
 * path stays allocation-light, without guessing V8's object sizes.
 */
async function allocatedBytes(run: () => void): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    // Without these two flags (V8 >= 9.x, not yet in @types/node), garbage would not be counted.
    const sampling: HeapProfiler.StartSamplingParameterType & Record<string, unknown> = {
      samplingInterval: 32,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    };
    await session.post('HeapProfiler.startSampling', sampling);
    run();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const total = (node: HeapProfiler.SamplingHeapProfileNode): number => node.children.reduce((sum, child) => sum + total(child), node.selfSize);
    return total(profile.head);
  } finally {
    session.disconnect();
  }
}

describe('RequestParser allocation', () => {
  it('parses a 16-command pipeline of GET key:123 with one array, one record and the views per command', async () => {
    const command = Buffer.from('*2\r\n$3\r\nGET\r\n$7\r\nkey:123\r\n');
    const pipeline = Buffer.concat(Array.from({ length: 16 }, () => command));
    const parser = new RequestParser();
    const kept: unknown[] = new Array(1024);
    let count = 0;
    const parse = (rounds: number) => {
      for (let r = 0; r < rounds; r++) {
        parser.feed(pipeline);
        for (let c = parser.next(); c !== undefined; c = parser.next()) kept[count++ & 1023] = c;
      }
    };
    const views = (n: number) => {
      for (let i = 0; i < n; i++) kept[i & 1023] = pipeline.subarray(i & 15, 40);
    };
    parse(20_000); // let the JIT settle first
    views(200_000);

    const viewCount = 100_000;
    const bytesPerView = (await allocatedBytes(() => views(viewCount))) / viewCount;
    const rounds = 2_000;
    const bytesPerCommand = (await allocatedBytes(() => parse(rounds))) / (rounds * 16);

    // Per command: a view for raw and one per argument (3), the args array (header + 2 slots)
    // and the { args, raw } record: about 100 bytes besides the views on 64-bit V8.
    const budget = 3 * bytesPerView + 160;
    assert.ok(
      bytesPerCommand <= budget,
      `${bytesPerCommand.toFixed(0)} bytes per command, budget ${budget.toFixed(0)} (a view is ${bytesPerView.toFixed(0)})`,
    );
  });
});
