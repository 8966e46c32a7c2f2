/**
 * What the embedded store's scripts do that a differential test against Redis cannot show: the
 * time limit that stands in for SCRIPT KILL, and the clock seen inside a script.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';

const TIME_LIMIT_MS = 100;

function storeWithSession(scriptTimeLimit = TIME_LIMIT_MS) {
  const store = new Store({ maxBytes: 16 * 1024 * 1024, scriptTimeLimit });
  const session = store.newSession();
  const run = (...args: string[]) => store.execute(session, args.map((arg) => Buffer.from(arg))).toString('latin1');
  return { store, run };
}

/** Loops on the real clock (TIME is not frozen inside a script) for `ms`, then returns 1. */
const busyFor = (ms: number) =>
  `local t = redis.call('TIME') local start = t[1] * 1000000 + t[2]
   while true do
     t = redis.call('TIME')
     if t[1] * 1000000 + t[2] - start > ${ms * 1000} then break end
   end
   return 1`;

describe('embedded store scripts: the time limit and the clock', () => {
  it('stops a script that runs past the limit without writing, even one that catches errors; the store then serves again', () => {
    const { run } = storeWithSession();
    assert.match(run('EVAL', 'while true do end', '0'), /^-ERR Script killed after 100 ms without a write/);
    assert.match(run('EVAL', 'while true do pcall(function() while true do end end) end', '0'), /^-ERR Script killed after 100 ms without a write/);
    assert.equal(run('PING'), '+PONG\r\n');
    assert.equal(run('EVAL', 'return 1', '0'), ':1\r\n', 'the next script runs');
  });

  it('is CONFIG busy-reply-threshold, alias lua-time-limit, as in Redis 7', () => {
    const { run } = storeWithSession();
    assert.equal(run('CONFIG', 'GET', 'lua-time-limit'), '*2\r\n$14\r\nlua-time-limit\r\n$3\r\n100\r\n');
    assert.equal(run('CONFIG', 'SET', 'busy-reply-threshold', '200'), '+OK\r\n');
    assert.equal(run('CONFIG', 'GET', 'lua-time-limit'), '*2\r\n$14\r\nlua-time-limit\r\n$3\r\n200\r\n');
    assert.match(run('EVAL', 'while true do end', '0'), /^-ERR Script killed after 200 ms without a write/);
    assert.match(run('CONFIG', 'SET', 'lua-time-limit', '-1'), /^-ERR CONFIG SET failed/);
  });

  it('lets a script that has written run to its end, as Redis does (its writes are not undone)', () => {
    const { run } = storeWithSession();
    assert.equal(run('EVAL', `redis.call('set', 'written', '1') ${busyFor(3 * TIME_LIMIT_MS)}`, '0'), ':1\r\n');
    assert.equal(run('GET', 'written'), '$1\r\n1\r\n');
  });

  it('gives TIME the real clock inside a script, and every other command the instant the script started', () => {
    const { run } = storeWithSession(60_000);
    run('EVAL', 'return 1', '0'); // the Lua state is built on first use: not within the key's 200 ms
    run('SET', 'short', 'v', 'PX', '200');
    // The key expires while the script waits, but the script's own reads still see it (Redis 7).
    const reply = run('EVAL', `local before = redis.call('EXISTS', 'short') ${busyFor(300).replace('return 1', '')} return {before, redis.call('EXISTS', 'short')}`, '0');
    assert.equal(reply, '*2\r\n:1\r\n:1\r\n');
    assert.equal(run('EXISTS', 'short'), ':0\r\n', 'expired once the script is over');
  });
});

describe('embedded store scripts: DEBUG SET-DISABLE-DENY-SCRIPTS', () => {
  it('lets scripts run noscript commands, but never a script, a transaction or a subscription inside a script', () => {
    const { run } = storeWithSession();
    assert.match(run('EVAL', "return redis.call('client', 'id')", '0'), /^-ERR This Redis command is not allowed from script/);
    assert.equal(run('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '1'), '+OK\r\n');
    assert.equal(run('EVAL', "return redis.call('client', 'id')", '0'), ':1\r\n');
    for (const inner of ["'eval', 'return 1', '0'", "'multi'", "'subscribe', 'ch'", "'script', 'flush'"]) {
      assert.equal(run('EVAL', `return redis.pcall(${inner})`, '0'), '-ERR This Redis command is not allowed from script\r\n', inner);
    }
    assert.equal(run('SET', 'k', 'v'), '+OK\r\n', 'the session is still outside any transaction');
    assert.equal(run('DEBUG', 'SET-DISABLE-DENY-SCRIPTS', '0'), '+OK\r\n');
    assert.match(run('DEBUG', 'SLEEP', '0'), /^-ERR unknown subcommand or wrong number of arguments for 'SLEEP'/);
  });
});

describe('embedded store scripts: string.rep', () => {
  it('refuses a string past 512 MB (one call escapes the time limit) and builds smaller ones as Lua 5.1 does', () => {
    const { run } = storeWithSession();
    assert.match(run('EVAL', "return string.rep('x', 2^30)", '0'), /^-ERR user_script:1: resulting string too large/);
    assert.equal(run('EVAL', "return string.rep('ab', 3)", '0'), '$6\r\nababab\r\n');
    assert.equal(run('EVAL', "return #string.rep('xyz', 1000000)", '0'), ':3000000\r\n');
  });
});

describe('embedded store scripts: read-only libraries', () => {
  it('keeps the string library out of reach through the strings\' metatable', () => {
    const { run } = storeWithSession();
    assert.match(run('EVAL', "getmetatable('').__index.upper = nil", '0'), /^-ERR user_script:1: (Attempt to modify a readonly table|attempt to index a nil value)/);
    assert.equal(run('EVAL', "return ('abc'):upper()", '0'), '$3\r\nABC\r\n', 'the next script still has string.upper');
  });
});
