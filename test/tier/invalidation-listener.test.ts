/**
 * The invalidation listener against a real Redis, in both of its ways to hear Redis: RESP3 push
 * on one connection, and RESP2 with a subscriber plus a tracking connection redirected to it.
 * Redis does not tell the subscriber when the redirecting connection dies, so in RESP2 the death
 * of either one must count as losing the channel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidationListener, type InvalidationChannelState } from '../../src/tier/invalidation.js';
import { parseUpstreamUrl } from '../../src/tier/redis-connection.js';
import { RawClient, waitFor } from '../support/proxy.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { BUSY_REDIS_ARGS, busyWhileTrackingReconnects } from '../support/busy-upstream.js';

const s = (b: Buffer) => b.toString('latin1');

interface Heard {
  keys: string[];
  flushes: number;
  states: InvalidationChannelState[];
  details: string[];
}

function listen(redis: RedisServer, protocol: 2 | 3): { listener: InvalidationListener; heard: Heard } {
  const heard: Heard = { keys: [], flushes: 0, states: [], details: [] };
  const listener = new InvalidationListener({
    target: parseUpstreamUrl(redis.url),
    timeout: 1000,
    protocol,
    onInvalidate: (keys) => heard.keys.push(...keys),
    onFlush: () => heard.flushes++,
    onStateChange: (state, detail) => {
      heard.states.push(state);
      heard.details.push(detail);
    },
  });
  listener.start();
  return { listener, heard };
}

/** CLIENT LIST lines of the listener's connections. */
async function listenerConnections(direct: RawClient): Promise<string[]> {
  return s(await direct.call('CLIENT', 'LIST'))
    .split('\n')
    .filter((line) => line.includes('name=cachee-invalidation'));
}

const idOf = (line: string) => /id=(\d+)/.exec(line)![1];

describe('InvalidationListener', () => {
  let redis: RedisServer;
  let direct: RawClient;
  before(async () => {
    redis = await startRedis();
    direct = await RawClient.connect(redis.port);
  });
  after(async () => {
    direct.close();
    await redis.stop();
  });

  for (const protocol of [3, 2] as const) {
    it(`hears writes by anyone over RESP${protocol}, and flushes before it trusts the channel`, async () => {
      const { listener, heard } = listen(redis, protocol);
      try {
        await waitFor(() => listener.trusted, 3000, 'the channel');
        assert.deepEqual(heard.states, ['tracking']);
        assert.equal(heard.details[0], protocol === 3 ? 'RESP3 push' : 'RESP2 redirect');
        assert.equal(heard.flushes, 1, 'flushed once on the way up');
        await direct.call('SET', `written-over-${protocol}`, 'x');
        await waitFor(() => heard.keys.includes(`written-over-${protocol}`), 2000, 'the invalidation');
        await direct.call('FLUSHALL');
        await waitFor(() => heard.flushes === 2, 2000, 'the FLUSHALL');
      } finally {
        listener.close();
      }
    });
  }

  for (const which of ['subscriber', 'redirecting connection'] as const) {
    it(`over RESP2, counts the death of the ${which} alone as losing the channel, then comes back`, async () => {
      const { listener, heard } = listen(redis, 2);
      try {
        await waitFor(() => listener.trusted, 3000, 'the channel');
        const connections = await listenerConnections(direct);
        assert.equal(connections.length, 2, 'a subscriber and a redirecting connection');
        // The subscriber is in pub/sub (flags P); the other one redirects its tracking to it.
        const victim = connections.find((line) => (which === 'subscriber' ? /flags=\S*P/.test(line) : /redir=\d+/.test(line) && !/redir=-1/.test(line)));
        assert.ok(victim !== undefined, `found the ${which} in CLIENT LIST`);
        const flushesBefore = heard.flushes;
        await direct.call('CLIENT', 'KILL', 'ID', idOf(victim));
        await waitFor(() => heard.states.includes('down'), 3000, 'the loss to be noticed');
        assert.equal(listener.trusted, false);
        await waitFor(() => listener.trusted, 5000, 'the channel to come back');
        assert.ok(heard.flushes > flushesBefore, 'flushed before trusting again');
        await direct.call('SET', 'after-the-loss', 'y');
        await waitFor(() => heard.keys.includes('after-the-loss'), 2000, 'invalidations again');
      } finally {
        listener.close();
      }
    });
  }
});

describe('InvalidationListener, reconnecting while Redis is busy with a script', () => {
  let redis: RedisServer;
  let direct: RawClient;
  before(async () => {
    redis = await startRedis(BUSY_REDIS_ARGS);
    direct = await RawClient.connect(redis.port);
  });
  after(async () => {
    direct.close();
    await redis.stop();
  });

  for (const protocol of [3, 2] as const) {
    it(`over RESP${protocol}, takes -BUSY as a failure that passes, not as "no tracking", and comes back`, async () => {
      const { listener, heard } = listen(redis, protocol);
      try {
        await waitFor(() => listener.trusted, 3000, 'the channel');
        await busyWhileTrackingReconnects(redis.port, 1500);
        assert.ok(heard.details.some((d) => d.includes('BUSY')), `the BUSY answer is reported: ${heard.details.join(' | ')}`);
        await waitFor(() => listener.trusted, 10_000, 'the channel to come back after the script');
        assert.ok(!heard.states.includes('none'), `never taken as "no tracking": ${heard.states.join(', ')}`);
        await direct.call('SET', `after-busy-${protocol}`, 'x');
        await waitFor(() => heard.keys.includes(`after-busy-${protocol}`), 2000, 'invalidations again');
      } finally {
        listener.close();
      }
    });
  }
});
