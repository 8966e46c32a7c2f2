/**
 * Clients that do their own client-side caching through the proxy (CLIENT TRACKING, as node-redis,
 * redis-py, Lettuce and Jedis offer), and connection state a new upstream connection would not
 * have. Redis sends a tracking client an invalidation only for keys it read itself: a read L1
 * answers is one Redis never saw, so the client would keep a stale copy forever.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient, infoField, startProxyOverRedis, waitFor, type ProxyUnderTest } from '../support/proxy.js';

const s = (b: Buffer) => b.toString('latin1');
const push = (key: string) => `>2\r\n$10\r\ninvalidate\r\n*1\r\n$${key.length}\r\n${key}\r\n`;

describe('a client tracking keys through the proxy', () => {
  let env: ProxyUnderTest;
  let direct: RawClient;
  /** Other clients through the proxy, one per protocol: L1 keeps each protocol's replies apart. */
  const warm: Record<2 | 3, RawClient> = {} as Record<2 | 3, RawClient>;

  before(async () => {
    env = await startProxyOverRedis();
    direct = await RawClient.connect(env.redis.port);
    warm[2] = await RawClient.connect(env.port);
    warm[3] = await RawClient.connect(env.port);
    await warm[3].call('HELLO', '3');
  });
  after(async () => {
    direct.close();
    warm[2].close();
    warm[3].close();
    await env.stop();
  });

  const hits = async () => Number(infoField(await warm[2].call('INFO', 'cachee'), 'l1_hits'));

  /** `key` set on Redis and held by L1 for `protocol` (read twice through the proxy by another client). */
  async function cached(key: string, value: string, protocol: 2 | 3): Promise<void> {
    await direct.call('SET', key, value);
    await warm[protocol].call('GET', key);
    const before = await hits();
    await warm[protocol].call('GET', key);
    assert.equal(await hits(), before + 1, `${key} is in L1`);
  }

  it('gets the invalidation push (RESP3) for a key L1 holds, as from Redis', async () => {
    await cached('t:resp3', 'v1', 3);
    const client = await RawClient.connect(env.port);
    assert.match(s(await client.call('HELLO', '3')), /^%/);
    assert.equal(s(await client.call('CLIENT', 'TRACKING', 'on')), '+OK\r\n');
    const before = await hits();
    assert.equal(s(await client.call('GET', 't:resp3')), '$2\r\nv1\r\n');
    assert.equal(await hits(), before, 'the read went to Redis, which now tracks it for this client');

    await direct.call('SET', 't:resp3', 'v2');
    const [message] = await client.read(1, 3000);
    assert.equal(s(message), push('t:resp3'));
    assert.equal(s(await client.call('GET', 't:resp3')), '$2\r\nv2\r\n');
    client.close();
  });

  it('gets the invalidation on its REDIRECT connection (RESP2)', async () => {
    await cached('t:resp2', 'v1', 2);
    const listener = await RawClient.connect(env.port);
    const id = s(await listener.call('CLIENT', 'ID')).slice(1, -2);
    assert.match(s(await listener.call('SUBSCRIBE', '__redis__:invalidate')), /subscribe/);
    const client = await RawClient.connect(env.port);
    assert.equal(s(await client.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id)), '+OK\r\n');
    assert.equal(s(await client.call('GET', 't:resp2')), '$2\r\nv1\r\n');

    await direct.call('SET', 't:resp2', 'v2');
    const [message] = await listener.read(1, 3000);
    assert.match(s(message), /invalidate[\s\S]*t:resp2/);
    listener.close();
    client.close();
  });

  it('blocks L1 from the moment tracking is asked for, in the same pipeline', async () => {
    await cached('t:pipelined', 'v1', 3);
    const client = await RawClient.connect(env.port);
    await client.call('HELLO', '3');
    const before = await hits();
    const replies = await client.pipeline([['CLIENT', 'TRACKING', 'on'], ['GET', 't:pipelined']]);
    assert.deepEqual(replies.map(s), ['+OK\r\n', '$2\r\nv1\r\n']);
    assert.equal(await hits(), before);
    await direct.call('SET', 't:pipelined', 'v2');
    assert.equal(s((await client.read(1, 3000))[0]), push('t:pipelined'));
    client.close();
  });

  it('reads L1 again once tracking is off, and in BCAST mode (Redis then reports every write of a prefix, read or not)', async () => {
    await cached('t:off', 'v1', 3);
    await cached('t:bcast', 'v1', 3);
    const client = await RawClient.connect(env.port);
    await client.call('HELLO', '3');
    await client.call('CLIENT', 'TRACKING', 'on');
    assert.equal(s(await client.call('CLIENT', 'TRACKING', 'off')), '+OK\r\n');
    let before = await hits();
    assert.equal(s(await client.call('GET', 't:off')), '$2\r\nv1\r\n');
    assert.equal(await hits(), before + 1);

    assert.equal(s(await client.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 't:b')), '+OK\r\n');
    before = await hits();
    assert.equal(s(await client.call('GET', 't:bcast')), '$2\r\nv1\r\n');
    assert.equal(await hits(), before + 1);
    await direct.call('SET', 't:bcast', 'v2');
    assert.equal(s((await client.read(1, 3000))[0]), push('t:bcast'));
    client.close();
  });

  it('reads L1 as before when Redis refuses the tracking request', async () => {
    await cached('t:refused', 'v1', 2);
    const client = await RawClient.connect(env.port);
    // RESP2 without REDIRECT: Redis refuses it, so the client tracks nothing and may read L1.
    assert.match(s(await client.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', '999999999')), /^-ERR/);
    const before = await hits();
    assert.equal(s(await client.call('GET', 't:refused')), '$2\r\nv1\r\n');
    assert.equal(await hits(), before + 1);
    client.close();
  });
});

describe('connection state a new upstream connection would lose', () => {
  let env: ProxyUnderTest;
  let direct: RawClient;

  before(async () => {
    env = await startProxyOverRedis();
    direct = await RawClient.connect(env.redis.port);
  });
  after(async () => {
    direct.close();
    await env.stop();
  });

  /** Kills the client's upstream connection on Redis, as a Redis restart or a network cut would. */
  async function killUpstreamOf(client: RawClient): Promise<void> {
    const id = s(await client.call('CLIENT', 'ID')).slice(1, -2);
    assert.equal(s(await direct.call('CLIENT', 'KILL', 'ID', id)), ':1\r\n');
  }

  it('closes a client that WATCHes when its upstream connection dies, as Redis would (its EXEC must not run unwatched)', async () => {
    const client = await RawClient.connect(env.port);
    assert.equal(s(await client.call('WATCH', 'w:key')), '+OK\r\n');
    await killUpstreamOf(client);
    await direct.call('SET', 'w:key', 'changed by another client');
    client.write('*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$5\r\nw:key\r\n$4\r\nmine\r\n*1\r\n$4\r\nEXEC\r\n');
    await waitFor(() => client.closed, 3000, 'the connection to close');
    assert.equal(s(await direct.call('GET', 'w:key')), '$25\r\nchanged by another client\r\n');
  });

  it('keeps a WATCH through an EXEC without MULTI (Redis refuses it), so the client is still closed', async () => {
    const client = await RawClient.connect(env.port);
    await client.call('WATCH', 'w:key2');
    assert.match(s(await client.call('EXEC')), /^-ERR EXEC without MULTI/);
    await killUpstreamOf(client);
    client.write('*1\r\n$4\r\nPING\r\n');
    await waitFor(() => client.closed, 3000, 'the connection to close');
  });

  it('closes a tracking client when its upstream connection dies (Redis forgets what it tracked)', async () => {
    const client = await RawClient.connect(env.port);
    await client.call('HELLO', '3');
    await client.call('CLIENT', 'TRACKING', 'on');
    await killUpstreamOf(client);
    client.write('*2\r\n$3\r\nGET\r\n$5\r\nw:any\r\n');
    await waitFor(() => client.closed, 3000, 'the connection to close');
  });

  it('takes a SELECT queued in MULTI for done only once EXEC ran it without an error (L1 answers from the database Redis uses)', async () => {
    await direct.call('SET', 'm:key', 'zero');
    await direct.call('SELECT', '5');
    await direct.call('SET', 'm:key', 'five');
    await direct.call('SELECT', '0');
    const other = await RawClient.connect(env.port);
    await other.call('SELECT', '5');
    await other.call('GET', 'm:key');
    assert.equal(s(await other.call('GET', 'm:key')), '$4\r\nfive\r\n');
    other.close();

    const client = await RawClient.connect(env.port);
    const replies = await client.pipeline([['MULTI'], ['SELECT', '5'], ['DISCARD'], ['GET', 'm:key']]);
    assert.deepEqual(replies.map(s), ['+OK\r\n', '+QUEUED\r\n', '+OK\r\n', '$4\r\nzero\r\n']);
    assert.equal(s(await client.call('GET', 'm:key')), '$4\r\nzero\r\n');
    // Once EXEC ran it, the database is 5, as Redis has it, and L1 answers from database 5.
    assert.deepEqual((await client.pipeline([['MULTI'], ['SELECT', '5'], ['EXEC'], ['GET', 'm:key']])).map(s), ['+OK\r\n', '+QUEUED\r\n', '*1\r\n+OK\r\n', '$4\r\nfive\r\n']);
    const hits = async () => Number(infoField(await client.call('INFO', 'cachee'), 'l1_hits'));
    const before = await hits();
    assert.equal(s(await client.call('GET', 'm:key')), '$4\r\nfive\r\n');
    assert.equal(await hits(), before + 1);
    // Not when EXEC failed it (no such database): still database 5.
    assert.match((await client.pipeline([['MULTI'], ['SELECT', '99'], ['EXEC']])).map(s)[2], /^\*1\r\n-ERR DB index is out of range/);
    assert.equal(s(await client.call('GET', 'm:key')), '$4\r\nfive\r\n');
    assert.equal(s(await client.call('RESET')), '+RESET\r\n');
    assert.equal(s(await client.call('GET', 'm:key')), '$4\r\nzero\r\n');
    // Its place in EXEC's reply counts only what Redis queued (not a WATCH or MULTI it refused there).
    const nested = (await client.pipeline([['MULTI'], ['WATCH', 'm:key'], ['MULTI'], ['SET', 'm:other', '1'], ['SELECT', '5'], ['EXEC']])).map(s);
    assert.deepEqual(nested.slice(3), ['+QUEUED\r\n', '+QUEUED\r\n', '*2\r\n+OK\r\n+OK\r\n']);
    assert.equal(s(await client.call('GET', 'm:key')), '$4\r\nfive\r\n');
    const hitsBefore = await hits();
    assert.equal(s(await client.call('GET', 'm:key')), '$4\r\nfive\r\n');
    assert.equal(await hits(), hitsBefore + 1);
    client.close();
  });

  it('closes a client without such state too, as Redis closes a killed connection (a command in flight may have run)', async () => {
    const client = await RawClient.connect(env.port);
    await client.call('SELECT', '3');
    assert.equal(s(await client.call('CLIENT', 'SETNAME', 'carried-on')), '+OK\r\n');
    await killUpstreamOf(client);
    await waitFor(() => client.closed, 3000, 'the connection to close');
  });
});
