/**
 * INFO commandstats and errorstats of the store against a real redis-server: after the same
 * commands, each command's calls, rejected_calls and failed_calls and each error code's count
 * are Redis's (usec is not compared: it is a duration).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import type { Session } from '../../src/store/session.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { RawClient } from '../support/proxy.js';
import { toArgs } from './support/args.js';

const PASSWORD = 'info-stats-secret';
type Client = 'main' | 'unauthenticated' | 'subscriber';
type Step = [Client, ...string[]];

/** Commands refused before running, failing while running, unknown, and in and out of MULTI. */
const STEPS: Step[] = [
  ['main', 'AUTH', PASSWORD],
  // From here on (the harness pinged Redis before any AUTH).
  ['main', 'CONFIG', 'RESETSTAT'],
  ['unauthenticated', 'GET', 'k'],
  ['subscriber', 'AUTH', PASSWORD],
  ['main', 'SET', 'k', 'v'],
  ['main', 'GET', 'k'],
  ['main', 'GET', 'k', 'extra'],
  ['main', 'LPUSH', 'k', 'x'],
  ['main', 'INCR', 'k'],
  ['main', 'CLIENT', 'ID'],
  ['main', 'CLIENT', 'NOSUCH'],
  ['main', 'NOSUCHCOMMAND', 'a'],
  ['main', 'EVAL', 'return redis.call("incr", KEYS[1])', '1', 'k'],
  ['main', 'EVAL', 'return redis.pcall("get", KEYS[1])', '1', 'k'],
  ['main', 'EVAL', 'return redis.pcall("incr", KEYS[1])', '1', 'k'],
  ['main', 'EVAL', 'redis.pcall("incr", KEYS[1]); return 1', '1', 'k'],
  ['main', 'EVAL', 'return {err="CUSTOM failure"}', '0'],
  ['main', 'EVAL', 'error("raised")', '0'],
  ['main', 'EVAL', 'return redis.call("nosuchcommand")', '0'],
  ['main', 'MULTI'],
  ['main', 'SET', 'a', '1'],
  ['main', 'WATCH', 'a'],
  ['main', 'EXEC'],
  ['main', 'MULTI'],
  ['main', 'INCR', 'a'],
  ['main', 'GET'],
  ['main', 'EXEC'],
  ['main', 'EXEC', 'extra'],
  ['main', 'MULTI'],
  ['main', 'SET', 'b', '1'],
  ['main', 'LPUSH', 'b', 'x'],
  ['main', 'EXEC'],
  ['subscriber', 'SUBSCRIBE', 'ch'],
  ['subscriber', 'GET', 'k'],
  ['subscriber', 'UNSUBSCRIBE', 'ch'],
];

type Figures = Map<string, string>;

/** `field:value` lines of one INFO section; commandstats values without their usec parts. */
function parseSection(info: string): Figures {
  const figures: Figures = new Map();
  for (const line of info.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const value = line.slice(colon + 1).replace(/usec=\d+,usec_per_call=[\d.]+,/, '');
    figures.set(line.slice(0, colon), value);
  }
  return figures;
}

/** The text of an INFO reply, RESP2 bulk or RESP3 verbatim. */
function infoText(reply: Buffer): string {
  const body = reply.toString('latin1');
  const start = body.indexOf('\r\n') + 2;
  const text = body.slice(start, body.length - 2);
  return body.startsWith('=') ? text.slice(4) : text;
}

describe('INFO commandstats and errorstats, compared with redis-server', () => {
  let redis: RedisServer;
  const clients = new Map<Client, RawClient>();
  const store = new Store({ maxBytes: 1024 * 1024, requirepass: PASSWORD });
  const sessions = new Map<Client, Session>();

  before(async () => {
    redis = await startRedis(['--requirepass', PASSWORD]);
    for (const name of ['main', 'unauthenticated', 'subscriber'] as const) {
      clients.set(name, await RawClient.connect(redis.port));
      sessions.set(name, store.newSession());
    }
  });

  after(async () => {
    for (const client of clients.values()) client.close();
    await redis?.stop();
  });

  async function runBoth(steps: readonly Step[]): Promise<void> {
    for (const [client, ...command] of steps) {
      await clients.get(client)!.call(...command);
      store.execute(sessions.get(client)!, toArgs(command));
    }
  }

  async function section(name: string): Promise<{ redis: Figures; store: Figures }> {
    const fromRedis = infoText(await clients.get('main')!.call('INFO', name));
    const fromStore = infoText(store.execute(sessions.get('main')!, toArgs(['INFO', name])));
    return { redis: parseSection(fromRedis), store: parseSection(fromStore) };
  }

  it('counts calls, rejected and failed calls per command, and errors per code, as Redis', async () => {
    await runBoth(STEPS);
    const commands = await section('commandstats');
    assert.ok(commands.redis.size > 10, 'Redis reported the commands');
    assert.deepEqual(commands.store, commands.redis);
    const errors = await section('errorstats');
    assert.ok(errors.redis.size > 3);
    assert.deepEqual(errors.store, errors.redis);
  });

  it('starts again after CONFIG RESETSTAT', async () => {
    await runBoth([
      ['main', 'CONFIG', 'RESETSTAT'],
      ['main', 'GET', 'k'],
      ['main', 'INCR', 'k'],
      ['main', 'GET'],
    ]);
    const commands = await section('commandstats');
    assert.deepEqual(commands.store, commands.redis);
    assert.deepEqual((await section('errorstats')).store, (await section('errorstats')).redis);
  });

  it('counts a blocked command unblocked with an error as a failed call', async () => {
    const blocker = await RawClient.connect(redis.port);
    try {
      const blockerSession = store.newSession();
      await blocker.call('AUTH', PASSWORD);
      store.execute(blockerSession, toArgs(['AUTH', PASSWORD]));
      const redisId = (await blocker.call('CLIENT', 'ID')).toString('latin1').slice(1, -2);
      blocker.write('BLPOP nosuchlist 0\r\n');
      assert.equal(store.execute(blockerSession, toArgs(['BLPOP', 'nosuchlist', '0'])).length, 0);
      const main = clients.get('main')!;
      while (!(await main.call('INFO', 'clients')).toString('latin1').includes('blocked_clients:1\r\n')) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await runBoth([['main', 'CONFIG', 'RESETSTAT']]);
      assert.equal((await main.call('CLIENT', 'UNBLOCK', redisId, 'ERROR')).toString('latin1'), ':1\r\n');
      store.execute(sessions.get('main')!, toArgs(['CLIENT', 'UNBLOCK', String(blockerSession.id), 'ERROR']));
      assert.match((await blocker.read(1))[0].toString('latin1'), /^-UNBLOCKED/);
      const commands = await section('commandstats');
      // Redis 7.0 counted the call when it blocked, before the reset.
      assert.equal(commands.redis.get('cmdstat_blpop'), 'calls=0,rejected_calls=0,failed_calls=1');
      assert.deepEqual(commands.store, commands.redis);
      const errors = await section('errorstats');
      assert.deepEqual(errors.store, errors.redis);
    } finally {
      blocker.close();
    }
  });

  it('leaves both sections out of INFO and INFO default, shows them in INFO all and everything', async () => {
    for (const args of [['INFO'], ['INFO', 'default'], ['INFO', 'all'], ['INFO', 'everything']]) {
      const text = infoText(store.execute(sessions.get('main')!, toArgs(args)));
      const wanted = args.length === 2 && args[1] !== 'default';
      assert.equal(text.includes('# Commandstats\r\ncmdstat_'), wanted, args.join(' '));
      assert.equal(text.includes('# Errorstats\r\nerrorstat_'), wanted, args.join(' '));
    }
  });

  it('writes each line in the format of Redis', () => {
    const text = infoText(store.execute(sessions.get('main')!, toArgs(['INFO', 'commandstats'])));
    assert.match(text, /\r\ncmdstat_info:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,failed_calls=\d+\r\n/);
    assert.match(text, /\r\ncmdstat_config\|resetstat:calls=1,/);
  });
});
