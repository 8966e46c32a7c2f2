/**
 * Random histories (fast-check) of four clients on a Redis and on the embedded server, every
 * byte each client gets compared after each step (test/support/multi-client.ts): t tracks keys
 * in RESP3 (default mode, NOLOOP, BCAST, OPTIN or OPTOUT), r tracks in RESP2 with REDIRECT to s, s subscribes
 * (RESP2, so the subscribed context's refusals count too), w writes and publishes. Channels and
 * patterns are chosen so that no message matches two patterns (Redis tries them in hash order).
 * CACHEE_RANDOM_RUNS=N runs N/3 histories instead of 100.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { redisAndEmbedded } from '../support/proxy.js';
import { compareScenario, scenario, step, type Step } from '../support/multi-client.js';
import { RANDOM_RUNS } from '../support/paired-clients.js';

const key = fc.constantFrom('k0', 'k1', 'p:k', 'h0');
const channel = fc.constantFrom('c0', 'c1', 'd0', '__redis__:invalidate');
const pattern = fc.constantFrom('c*', 'd?');
const value = fc.constantFrom('1', 'x');

const reads = [
  key.map((k) => `GET ${k}`),
  fc.tuple(key, key).map(([a, b]) => `MGET ${a} ${b}`),
  key.map((k) => `HGET ${k} f`),
  key.map((k) => `EXISTS ${k}`),
  fc.tuple(key, value).map(([k, v]) => `SISMEMBER ${k} ${v}`),
  key.map((k) => `SCARD ${k}`),
  fc.tuple(key, key).map(([a, b]) => `SINTERCARD 2 ${a} ${b}`),
];
const writes = [
  fc.tuple(key, value).map(([k, v]) => `SET ${k} ${v}`),
  key.map((k) => `DEL ${k}`),
  fc.tuple(key, value, key, value).map(([a, v, b, u]) => `MSET ${a} ${v} ${b} ${u}`),
  key.map((k) => `INCR ${k}`),
  fc.tuple(key, value).map(([k, v]) => `HSET ${k} f ${v}`),
  fc.tuple(key, key).map(([a, b]) => `RENAME ${a} ${b}`),
  fc.tuple(key, value).map(([k, v]) => `SADD ${k} ${v}`),
  fc.tuple(key, value).map(([k, v]) => `SREM ${k} ${v}`),
  fc.tuple(key, key, value).map(([a, b, v]) => `SMOVE ${a} ${b} ${v}`),
  fc.tuple(key, key, key).map(([d, a, b]) => `SUNIONSTORE ${d} ${a} ${b}`),
  key.map((k) => `EXPIRE ${k} 1000`),
  fc.constantFrom('FLUSHDB', 'FLUSHALL', 'SELECT 1', 'SELECT 0'),
];
const publishes = [fc.tuple(channel, value).map(([c, m]) => `PUBLISH ${c} ${m}`), fc.tuple(channel, value).map(([c, m]) => `SPUBLISH ${c} ${m}`)];
const pubsubQueries = fc.constantFrom('PUBSUB NUMSUB c0 c1 d0', 'PUBSUB NUMPAT', 'PUBSUB SHARDNUMSUB c0', 'PUBSUB CHANNELS c*');

/** One client's step: a pipeline of one to three commands from its vocabulary. */
const stepOf = (client: string, vocabulary: fc.Arbitrary<string>[]) =>
  fc.array(fc.oneof(...vocabulary), { minLength: 1, maxLength: 3 }).map((commands) => step(`${client} ${commands.join('; ')}`));

const subscriberStep: fc.Arbitrary<Step> = fc.oneof(
  stepOf('s', [
    channel.map((c) => `SUBSCRIBE ${c}`),
    channel.map((c) => `UNSUBSCRIBE ${c}`),
    pattern.map((p) => `PSUBSCRIBE ${p}`),
    pattern.map((p) => `PUNSUBSCRIBE ${p}`),
    channel.map((c) => `SSUBSCRIBE ${c}`),
    fc.constant('PING'),
    ...reads,
  ]),
  // With no names, Redis unsubscribes in hash-table order.
  fc.constantFrom('s UNSUBSCRIBE', 's PUNSUBSCRIBE', 's SUNSUBSCRIBE', 's RESET').map((line) => step(line, 'unordered')),
);

const trackingModes = fc.constantFrom('on', 'on NOLOOP', 'on BCAST PREFIX p: PREFIX k', 'on BCAST NOLOOP', 'on OPTIN', 'on OPTOUT');

const trackerStep: fc.Arbitrary<Step> = fc.oneof(
  {
    // Its own write of a key it read: after the reply, or not at all with NOLOOP.
    arbitrary: stepOf('t', [...reads, ...reads, ...writes, fc.tuple(key, value).map(([k, v]) => `GET ${k}; SET ${k} ${v}`), channel.map((c) => `SUBSCRIBE ${c}`)]),
    weight: 4,
  },
  // Off first: Redis refuses to switch BCAST or OPTIN/OPTOUT while on.
  trackingModes.map((mode) => step(`t CLIENT TRACKING off; CLIENT TRACKING ${mode}`)),
  fc.constantFrom('CLIENT TRACKING off', 'CLIENT TRACKING on NOLOOP', 'CLIENT CACHING yes; GET k0', 'CLIENT CACHING no; GET k1').map((line) => step(`t ${line}`)),
);

const redirectedStep: fc.Arbitrary<Step> = fc.oneof(
  stepOf('r', reads),
  fc.constantFrom('on REDIRECT {s}', 'off').map((options) => step(`r CLIENT TRACKING ${options}`)),
);

const writerStep: fc.Arbitrary<Step> = fc.oneof(stepOf('w', [...writes, ...writes, ...publishes]), pubsubQueries.map((query) => step(`w ${query}`, 'unordered')));

const history = fc.array(fc.oneof(subscriberStep, trackerStep, redirectedStep, writerStep), { minLength: 1, maxLength: 20 });

describe('embedded server vs Redis, several clients, on random pub/sub and tracking histories', () => {
  const servers = redisAndEmbedded();

  it('gives every client the same bytes as Redis', async () => {
    await fc.assert(
      fc.asyncProperty(trackingModes, history, async (mode, steps) => {
        const setup = ['w FLUSHALL', 't HELLO 3', `t CLIENT TRACKING ${mode}`, 's SUBSCRIBE c0', 'r CLIENT TRACKING on REDIRECT {s}'];
        await compareScenario(scenario('random', ...setup, ...steps), servers.embedded.port, servers.redis.port);
      }),
      { numRuns: Math.max(1, Math.round(RANDOM_RUNS / 3)) },
    );
  });
});
