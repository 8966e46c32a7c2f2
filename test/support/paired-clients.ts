/**
 * For the randomized differential tests: clients in pairs, one to the server under test and one
 * to a reference Redis, sent the same commands and expected to get the same reply bytes.
 */
import assert from 'node:assert/strict';
import type { CommandArg } from '../../src/resp/encode.js';
import { RawClient } from './proxy.js';

/** [to the server under test, to the reference]. */
export type ClientPair = [RawClient, RawClient];

/** Two pairs: the first speaks RESP2, the second RESP3 (HELLO 3 on both sides). */
export async function connectPairs(port: number, referencePort: number): Promise<ClientPair[]> {
  const pairs: ClientPair[] = [];
  for (const protocol of ['2', '3']) {
    const pair: ClientPair = [await RawClient.connect(port), await RawClient.connect(referencePort)];
    if (protocol === '3') for (const c of pair) await c.call('HELLO', '3');
    pairs.push(pair);
  }
  return pairs;
}

/** Pipelines `commands` on both sides of `pair`; the replies must be the same bytes. */
export async function sameReplies(pair: ClientPair, commands: readonly (readonly CommandArg[])[], who: string): Promise<void> {
  const [got, expected] = await Promise.all([pair[0].pipeline(commands), pair[1].pipeline(commands)]);
  const show = (replies: Buffer[]) => replies.map((r) => JSON.stringify(r.toString('latin1')));
  assert.deepEqual(show(got), show(expected), `${who} sent ${JSON.stringify(commands)}`);
}

/** Histories per property: CACHEE_RANDOM_RUNS, or 300. */
export const RANDOM_RUNS = Number(process.env.CACHEE_RANDOM_RUNS ?? 300);
