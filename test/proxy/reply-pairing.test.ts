/**
 * Commands Redis answers more or less than once (UNSUBSCRIBE and kin with no subscription,
 * REPLCONF ACK) keep
 * every later reply paired with its command, through the proxy as directly: the same bytes come
 * back, and L1 never stores a reply under a key it does not belong to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { infoField, RawClient, startProxyOverRedis, type ProxyUnderTest } from '../support/proxy.js';

const s = (b: Buffer) => b.toString('latin1');

/**
 * What a client sends pipelined (`KEY` stands for a key read only there), and how many replies
 * Redis sends back; after a first step of `HELLO 3` alone, whose reply names the connection (its
 * id) and is not compared.
 */
const SCENARIOS: [what: string, commands: string, replies: number][] = [
  ['UNSUBSCRIBE of two channels', 'UNSUBSCRIBE a b\r\nGET KEY\r\nPING\r\n', 4],
  ['PUNSUBSCRIBE of no pattern', 'PUNSUBSCRIBE\r\nGET KEY\r\nPING\r\n', 3],
  ['SUNSUBSCRIBE of three channels', 'SUNSUBSCRIBE x y z\r\nGET KEY\r\nPING\r\n', 5],
  ['UNSUBSCRIBE of no channel', 'UNSUBSCRIBE\r\nGET KEY\r\nPING\r\n', 3],
  // EXEC's array holds two elements for UNSUBSCRIBE a b, one past its count: a reply of its own.
  ['UNSUBSCRIBE of two channels in MULTI', 'MULTI\r\nUNSUBSCRIBE a b\r\nEXEC\r\nGET KEY\r\nPING\r\n', 6],
  ['UNSUBSCRIBE of two channels in RESP3 (push frames)', 'HELLO 3\r\n|UNSUBSCRIBE a b\r\nGET KEY\r\nPING\r\n', 4],
  ['UNSUBSCRIBE with HELLO 3 in flight', 'HELLO 3\r\nUNSUBSCRIBE a b\r\nGET KEY\r\nPING\r\n', 5],
  // Refused with one error, however many channels it names.
  ['UNSUBSCRIBE of two channels by a user not allowed it', 'AUTH no-unsubscribe pw\r\n|UNSUBSCRIBE a b\r\nGET KEY\r\nPING\r\n', 3],
  // No reply at all (replconfCommand returns before replying to a client that is not a replica).
  ['REPLCONF ACK', 'REPLCONF ACK 0\r\nGET KEY\r\nPING\r\n', 2],
  ['REPLCONF GETACK after another option', 'REPLCONF listening-port 1 GETACK *\r\nGET KEY\r\nPING\r\n', 2],
  ['UNSUBSCRIBE, SUBSCRIBE, then UNSUBSCRIBE of the channel and another', 'UNSUBSCRIBE a b\r\nSUBSCRIBE c\r\nUNSUBSCRIBE c d\r\nPING\r\n', 6],
];

describe('replies stay paired with their commands', () => {
  let env: ProxyUnderTest;
  before(async () => {
    env = await startProxyOverRedis();
    const admin = await RawClient.connect(env.redis.port);
    assert.equal(s(await admin.call('ACL', 'SETUSER', 'no-unsubscribe', 'on', '>pw', '~*', '+@all', '-unsubscribe')), '+OK\r\n');
    assert.equal(s(await admin.call('ACL', 'SETUSER', 'no-echo', 'on', '>pw', '~*', '+@all', '-echo')), '+OK\r\n');
    admin.close();
  });
  after(async () => {
    await env.stop();
  });

  it('stores nothing for a user Redis does not let run the check (ECHO), and keeps serving it', async () => {
    const direct = await RawClient.connect(env.redis.port);
    await direct.call('SET', 'pairing:no-echo', 'v');
    const client = await RawClient.connect(env.port);
    assert.equal(s(await client.call('AUTH', 'no-echo', 'pw')), '+OK\r\n');
    const hits = async () => Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits'));
    const before = await hits();
    for (let i = 0; i < 3; i++) assert.equal(s(await client.call('GET', 'pairing:no-echo')), '$1\r\nv\r\n');
    assert.equal(await hits(), before, 'no read answered from L1');
    assert.equal(client.closed, false);
    client.close();
    direct.close();
  });

  for (const [index, [what, commands, count]] of SCENARIOS.entries()) {
    it(`${what}: the replies Redis sends, and the right value in L1 after`, async () => {
      const key = `pairing:${index}`;
      const direct = await RawClient.connect(env.redis.port);
      // Written directly: the read below is the proxy's first (a miss, whose reply L1 stores).
      await direct.call('SET', key, 'v');
      const bytes = commands.replaceAll('KEY', key);
      const replies: string[][] = [];
      for (const port of [env.port, env.redis.port]) {
        const client = await RawClient.connect(port);
        const [first, then] = bytes.includes('|') ? bytes.split('|') : ['', bytes];
        if (first !== '') {
          client.write(first);
          await client.read(1);
        }
        client.write(then);
        // HELLO's reply names the connection (its id): compared from the next reply on.
        replies.push((await client.read(count)).map(s).slice(then.startsWith('HELLO') ? 1 : 0));
        replies.push([client.closed ? 'closed' : 'open']);
        client.close();
      }
      // First what L1 holds: a reply out of place must never be stored, whatever this client got.
      const reader = await RawClient.connect(env.port);
      for (let i = 0; i < 2; i++) assert.equal(s(await reader.call('GET', key)), '$1\r\nv\r\n', 'what L1 holds for the key');
      reader.close();
      direct.close();
      assert.deepEqual(replies.slice(0, 2), replies.slice(2));
    });
  }
});
