/**
 * Scenarios of several clients (a subscriber, a tracking client, a writer...) run on a real Redis
 * and on the server under test, compared byte for byte: after each step, every client's bytes
 * since the last step (replies, pub/sub messages, invalidations), up to a PING barrier.
 *
 * Client ids show in replies (HELLO, GETREDIR, tracking-redir-broken), so both servers are first
 * brought to the same next id, and the clients connect one by one in the same order on both.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { decodeReply, type RespValue } from '../../src/resp/index.js';
import { encodeCommand } from '../../src/resp/encode.js';
import { RawClient } from './proxy.js';

/**
 * exact: the same bytes. unordered: the same values, in any frame and order (what Redis lists in
 * hash-table order). clients: CLIENT LIST's lines, on the fields that mean the
 * same in both (flags, db, subscriptions, multi, redir, resp).
 */
export type StepComparison = 'exact' | 'unordered' | 'clients';

export interface Step {
  /** The client sending, or `wait` (milliseconds to let pass: a key's expiry). */
  client: string;
  /** Commands sent in one write; `{name}` is that client's id. */
  commands: string[][];
  compare: StepComparison;
}

export interface Scenario {
  name: string;
  steps: Step[];
}

/** "client COMMAND args; COMMAND args" (`;` pipelines commands in one write), and how to compare. */
export function step(line: string, compare: StepComparison = 'exact'): Step {
  const space = line.indexOf(' ');
  const client = line.slice(0, space);
  const commands = line
    .slice(space + 1)
    .split(';')
    .map((command) => command.trim().split(/\s+/).map((word) => (word === '""' ? '' : word)));
  return { client, commands, compare };
}

export function scenario(name: string, ...steps: (string | Step)[]): Scenario {
  return { name, steps: steps.map((s) => (typeof s === 'string' ? step(s) : s)) };
}

const BARRIER = 'barrier';

interface Side {
  port: number;
  clients: Map<string, RawClient>;
  ids: Map<string, string>;
  /** Clients in a transaction: no barrier for them (it would be queued). */
  inMulti: Set<string>;
  closed: Set<string>;
}

async function nextClientId(port: number): Promise<number> {
  const probe = await RawClient.connect(port);
  const reply = await probe.call('CLIENT', 'ID');
  probe.close();
  return Number(reply.toString('latin1').slice(1));
}

/** Opens and closes connections on the server behind until both give the next client the same id. */
async function alignClientIds(a: number, b: number): Promise<void> {
  for (;;) {
    const [idA, idB] = [await nextClientId(a), await nextClientId(b)];
    if (idA === idB) return;
    const [behind, gap] = idA < idB ? [a, idB - idA] : [b, idA - idB];
    for (let i = 0; i < gap; i++) (await RawClient.connect(behind)).close();
  }
}

/** Every frame `client` gets until the reply to its barrier PING, that reply included. */
async function framesUntilBarrier(client: RawClient): Promise<string[]> {
  client.write(encodeCommand(['PING', BARRIER]));
  const frames: string[] = [];
  for (;;) {
    const [frame] = await client.read(1);
    if (frame === undefined) return [...frames, '(closed)'];
    const text = frame.toString('latin1');
    frames.push(text);
    if (text.endsWith(`${BARRIER}\r\n`)) return frames;
  }
}

function normalized(frames: string[], how: StepComparison): string[] {
  if (how === 'exact') return frames;
  if (how === 'clients') {
    // Redis rotates its client list (clientsCron): the lines, sorted, on the comparable fields.
    const kept = /^(id|flags|db|sub|psub|ssub|multi|redir|resp)=/;
    const line = (text: string) => text.split(' ').filter((field) => kept.test(field)).join(' ');
    return frames.map((frame) => (frame.includes('id=') ? frame.split('\n').filter((text) => text.startsWith('id=')).map(line).sort().join('\n') : frame));
  }
  // Every value in the frames, in any order: what Redis lists in hash-table order may pair
  // names with counts differently (UNSUBSCRIBE with no names counts down as it goes).
  const leaves = (value: RespValue): string[] =>
    Array.isArray(value) ? value.flatMap(leaves) : [JSON.stringify(Buffer.isBuffer(value) ? value.toString('latin1') : String(value))];
  return frames.flatMap((frame) => leaves(decodeReply(Buffer.from(frame, 'latin1')))).sort();
}

/** Runs `scenario` on both servers; every client's frames after every step must match. */
export async function compareScenario(scenario: Scenario, testedPort: number, referencePort: number): Promise<void> {
  await alignClientIds(testedPort, referencePort);
  const names = [...new Set(scenario.steps.map((s) => s.client).filter((name) => name !== 'wait'))];
  const sides: Side[] = [];
  for (const port of [testedPort, referencePort]) {
    const side: Side = { port, clients: new Map(), ids: new Map(), inMulti: new Set(), closed: new Set() };
    for (const name of names) {
      const client = await RawClient.connect(port);
      side.clients.set(name, client);
    }
    sides.push(side);
  }
  // The ids, read once all are connected (so that reading them assigns none).
  for (const side of sides) {
    for (const [name, client] of side.clients) side.ids.set(name, (await client.call('CLIENT', 'ID')).toString('latin1').slice(1, -2));
  }
  assert.deepEqual([...sides[0].ids], [...sides[1].ids], 'both servers gave the clients the same ids');
  try {
    for (const [n, s] of scenario.steps.entries()) {
      const label = `step ${n + 1}: ${s.client} ${s.commands.map((c) => c.join(' ')).join('; ')}`;
      if (s.client === 'wait') {
        await delay(Number(s.commands[0][0]));
        continue;
      }
      const [tested, reference] = await Promise.all(sides.map((side) => runStep(side, s)));
      for (const name of names) {
        assert.deepEqual(normalized(tested.get(name) ?? [], s.compare), normalized(reference.get(name) ?? [], s.compare), `${label}: what ${name} got`);
      }
    }
  } finally {
    for (const side of sides) for (const client of side.clients.values()) client.close();
  }
}

/**
 * Sends the step on one server; what each client got (the sender's replies first), up to its
 * barrier. A MULTI goes in a step of its own: whether it started a transaction shows in its reply.
 */
async function runStep(side: Side, s: Step): Promise<Map<string, string[]>> {
  const withIds = s.commands.map((command) => command.map((word) => word.replace(/\{(\w+)\}/g, (_, name: string) => side.ids.get(name) ?? name)));
  const sender = side.clients.get(s.client)!;
  sender.write(Buffer.concat(withIds.map((command) => encodeCommand(command))));
  const got = new Map<string, string[]>();
  const verbs = s.commands.map((command) => command[0].toLowerCase());
  const read = async (count: number) => (await sender.read(count, 5000)).map((frame) => frame.toString('latin1'));
  if (verbs.includes('exec') || verbs.includes('discard') || verbs.includes('reset')) side.inMulti.delete(s.client);
  if (verbs.includes('quit')) {
    got.set(s.client, await read(s.commands.length + 1));
    side.closed.add(s.client);
  } else if (verbs.length === 1 && verbs[0] === 'multi') {
    const [reply] = await read(1);
    if (reply === '+OK\r\n') side.inMulti.add(s.client);
    got.set(s.client, [reply, ...(side.inMulti.has(s.client) ? [] : await framesUntilBarrier(sender))]);
  } else if (side.inMulti.has(s.client)) {
    // Queued: one reply per command.
    got.set(s.client, await read(s.commands.length));
  } else {
    got.set(s.client, await framesUntilBarrier(sender));
  }
  for (const [name, client] of side.clients) {
    if (name === s.client || side.inMulti.has(name) || side.closed.has(name)) continue;
    got.set(name, await framesUntilBarrier(client));
  }
  return got;
}
