/**
 * SHUTDOWN in the store: what it asks of its host, and what it refuses. (Its syntax errors are
 * compared with Redis's in the differential corpus; the process's exit, in
 * test/cli/start-process.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Store, type Session } from '../../src/store/index.js';
import { toArgs, type Arg } from './support/args.js';

function harness(withHost: boolean) {
  const requests: Session[] = [];
  const store = new Store({ maxBytes: 1024 * 1024, onShutdown: withHost ? (session) => requests.push(session) : undefined });
  const session = store.newSession();
  const send = (...args: Arg[]) => store.execute(session, toArgs(args)).toString('latin1');
  return { session, send, requests };
}

describe('SHUTDOWN', () => {
  it('asks the host to stop, answers nothing and closes the connection', () => {
    for (const options of [[], ['NOSAVE'], ['now', 'force'], ['SAVE', 'FORCE']]) {
      const { session, send, requests } = harness(true);
      assert.equal(send('SHUTDOWN', ...options), '', `SHUTDOWN ${options.join(' ')}`);
      assert.deepEqual(requests, [session]);
      assert.equal(session.closeAfterReply, true);
    }
  });

  it('refuses SAVE without FORCE: the store keeps nothing on disk', () => {
    const { session, send, requests } = harness(true);
    assert.match(send('SHUTDOWN', 'SAVE'), /^-ERR Errors trying to SHUTDOWN: SAVE asked, and the embedded store keeps nothing on disk/);
    assert.deepEqual(requests, []);
    assert.equal(session.closeAfterReply, false);
  });

  it('is refused when nothing runs the store as a server', () => {
    const { session, send } = harness(false);
    assert.equal(send('SHUTDOWN'), '-ERR SHUTDOWN is not available: nothing runs this store as a server\r\n');
    assert.equal(session.closeAfterReply, false);
    assert.equal(send('PING'), '+PONG\r\n');
  });
});
