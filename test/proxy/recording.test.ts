/**
 * CACHEE RECORD (src/proxy/recording.ts) on the wire, in front of a real redis-server and on the
 * embedded store: the reply, one message per read, the end of a timed recording, RESP3 pushes,
 * and what a recording connection refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient, infoField, startEmbeddedProxy, startProxyOverRedis, waitFor } from '../support/proxy.js';

const s = (b: Buffer) => b.toString('latin1');

/** A feed message's kind and text, from its raw bytes. */
function message(raw: Buffer): [type: string, kind: string, text: string] {
  const match = /^([*>])2\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n([^\r]*)\r\n$/.exec(s(raw));
  assert.ok(match, `not a feed message: ${JSON.stringify(s(raw))}`);
  return [match[1], match[2], match[3]];
}

function lineOf(raw: Buffer): string[] {
  const [, kind, text] = message(raw);
  assert.equal(kind, 'record');
  return text.split(' ');
}

/** A proxy started before the suite's tests and stopped after them. */
function suiteProxy<T extends { port: number; stop(): Promise<void> }>(start: () => Promise<T>): () => T {
  let env: T | undefined;
  before(async () => {
    env = await start();
  });
  after(async () => {
    await env?.stop();
  });
  return () => env!;
}

const MODES = [
  { name: 'in front of Redis', start: () => startProxyOverRedis(), source: 'l1', missReply: '5' },
  // The embedded store has no value for a missing key, so no length to log.
  { name: 'on the embedded store', start: () => startEmbeddedProxy(), source: 'embedded', missReply: '-' },
];

for (const mode of MODES) {
  describe(`CACHEE RECORD ${mode.name}`, () => {
    const proxy = suiteProxy(mode.start);

    it('answers with its source, then sends a message per read (hashed key, key length, reply length) until QUIT', async () => {
      const recorder = await RawClient.connect(proxy().port);
      const client = await RawClient.connect(proxy().port);
      await client.call('SET', 'user:1', 'hello');
      assert.equal(s(await recorder.call('CACHEE', 'RECORD', '1', '0')), `+OK source=${mode.source}\r\n`);
      for (let i = 0; i < 3; i++) assert.equal(s(await client.call('GET', 'user:1')), '$5\r\nhello\r\n');
      await client.call('GET', 'nothing:here');
      const messages = await recorder.read(4);
      const lines = messages.map(lineOf);
      assert.deepEqual(
        lines.map(([, key, reply]) => [key, reply]),
        [['6', '11'], ['6', '11'], ['6', '11'], ['12', mode.missReply]],
      );
      assert.match(lines[0][0], /^[0-9a-f]{16}$/);
      assert.equal(new Set(lines.slice(0, 3).map(([hash]) => hash)).size, 1, 'one key, one hash');
      assert.notEqual(lines[3][0], lines[0][0]);
      for (const raw of messages) assert.doesNotMatch(s(raw), /user:1|nothing:here|hello/);
      assert.equal(infoField(await client.call('INFO', 'cachee'), 'recordings'), '1');
      assert.equal(infoField(await client.call('INFO', 'cachee'), 'recorded_reads'), '4');

      assert.match(s(await recorder.call('GET', 'user:1')), /^-ERR only QUIT is allowed while this connection records/);
      // QUIT ends the recording with its counts: 4 sent, none dropped, 4 reads seen.
      recorder.write('*1\r\n$4\r\nQUIT\r\n');
      const [end, ok] = await recorder.read(2);
      assert.deepEqual(message(end), ['*', 'record-end', '4 0 4']);
      assert.equal(s(ok), '+OK\r\n');
      await waitFor(() => recorder.closed, 3000, 'the recording connection to close');
      await waitFor(async () => infoField(await client.call('INFO', 'cachee'), 'recordings') === '0', 3000, 'the recording to stop');
      // Nothing records now: reads go on as before.
      assert.equal(s(await client.call('GET', 'user:1')), '$5\r\nhello\r\n');
      client.close();
    });

    it('ends a timed recording with record-end and its counts, then closes', async () => {
      const recorder = await RawClient.connect(proxy().port);
      assert.equal(s(await recorder.call('CACHEE', 'RECORD', '0.5', '20')), `+OK source=${mode.source}\r\n`);
      const [end] = await recorder.read(1);
      assert.deepEqual(message(end), ['*', 'record-end', '0 0 0']);
      await waitFor(() => recorder.closed, 3000, 'the connection to close');
    });

    it('sends pushes to a RESP3 client', async () => {
      const recorder = await RawClient.connect(proxy().port);
      const client = await RawClient.connect(proxy().port);
      assert.match(s(await recorder.call('HELLO', '3')), /^%/);
      await recorder.call('CACHEE', 'RECORD', '1', '0');
      await client.call('GET', 'k');
      const [push] = await recorder.read(1);
      assert.equal(message(push)[0], '>');
      recorder.close();
      client.close();
    });

    it('refuses bad arguments with an error, the connection still usable', async () => {
      const client = await RawClient.connect(proxy().port);
      assert.match(s(await client.call('CACHEE', 'RECORD', '0', '0')), /^-ERR sample must be a number in \(0, 1\]/);
      assert.match(s(await client.call('CACHEE', 'RECORD', '1.5', '0')), /^-ERR sample/);
      assert.match(s(await client.call('CACHEE', 'RECORD', '1', '-5')), /^-ERR durationMs must be a whole number/);
      assert.match(s(await client.call('CACHEE', 'RECORD', '1')), /^-ERR wrong number of arguments/);
      assert.match(s(await client.call('CACHEE', 'PLAY')), /^-ERR unknown CACHEE subcommand 'play'/);
      assert.equal(s(await client.call('PING')), '+PONG\r\n');
      client.close();
    });
  });
}

describe('CACHEE RECORD of MGET in front of Redis', () => {
  const proxy = suiteProxy(() => startProxyOverRedis());

  it('logs each key of an MGET once, answered from L1 or forwarded', async () => {
    const recorder = await RawClient.connect(proxy().port);
    const client = await RawClient.connect(proxy().port);
    await client.call('SET', 'a', '1');
    await client.call('SET', 'b', '22');
    await recorder.call('CACHEE', 'RECORD', '1', '0');
    // The first MGET is forwarded (L1 is empty); the second one may be answered from L1.
    await client.call('MGET', 'a', 'b');
    await waitFor(async () => infoField(await client.call('INFO', 'cachee'), 'l1_entries') === '2', 3000, 'both keys in L1');
    await client.call('MGET', 'a', 'b');
    const lines = (await recorder.read(4)).map(lineOf);
    assert.deepEqual(
      lines.map(([, key, reply]) => `${key} ${reply}`),
      ['1 7', '1 8', '1 7', '1 8'],
    );
    assert.equal(infoField(await client.call('INFO', 'cachee'), 'recorded_reads'), '4');
    recorder.close();
    client.close();
  });
});
