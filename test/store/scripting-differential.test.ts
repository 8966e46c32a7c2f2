/**
 * EVAL, SCRIPT, FCALL and FUNCTION of the embedded server against a real redis-server, both over
 * TCP: each scenario's replies must be byte-identical (or equal under the step's comparison), in
 * RESP2 and after HELLO 3. What differs on purpose (Lua 5.3's integer arithmetic and number
 * printing, the time limit) is left out here and listed in the README.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RawClient, redisAndEmbedded } from '../support/proxy.js';
import { compareReplies, preludeFor } from './support/compare.js';
import type { Comparison, Step } from './support/corpus.js';
import { toArgs, type Arg } from './support/args.js';

const servers = redisAndEmbedded();

const step = (args: Arg[], compare: Comparison = 'exact'): Step => ({ args, compare });
const evalStep = (script: string, ...rest: string[]): Step => step(['EVAL', script, ...(rest.length === 0 ? ['0'] : rest)]);
/** Both servers start each scenario without scripts or functions. */
const RESET: Step[] = [step(['SCRIPT', 'FLUSH']), step(['FUNCTION', 'FLUSH'])];

const SCENARIOS: { name: string; steps: Step[] }[] = [
  {
    name: 'Lua values to replies',
    steps: [
      evalStep("return 'hello'"),
      evalStep('return 100.5'),
      evalStep('return -3.7'),
      evalStep('return true'),
      evalStep('return false'),
      evalStep('return nil'),
      evalStep("return {ok='fine'}"),
      evalStep("return {err='ERR this is an error'}"),
      evalStep("return {err='My Error\\r\\nsecond line'}"),
      evalStep("return {1,2,3,'ciao',{1,2}}"),
      evalStep('return {1,nil,3}'),
      evalStep('return _G'),
      evalStep('return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}', '2', 'a', 'b', 'c', 'd'),
      evalStep('return {double=3.14}'),
      evalStep("return {big_number='123'}"),
      evalStep("return {map={a=1}}"),
      evalStep("return {set={a=true}}"),
      evalStep("return {verbatim_string={format='txt', string='hi'}}"),
      evalStep('redis.setresp(3) return true'),
      evalStep('redis.setresp(3) return false'),
      evalStep('redis.setresp(3) return {double=3.14}'),
      evalStep('return math.huge'),
      evalStep('local a = {}; setmetatable(a,{__index=function() foo() end}) return a'),
      evalStep('return redis.status_reply("fine")'),
      evalStep('return redis.error_reply("My Error")'),
      evalStep('return redis.error_reply("-CODE message")'),
      evalStep("return redis.sha1hex('Pizza & Mandolino')"),
      evalStep("return 'hello' --trailing comment"),
      evalStep("return {string.rep('ab', 3, ','), string.rep('x', 0), ('y'):rep(2)}"),
    ],
  },
  {
    name: 'replies to Lua values',
    steps: [
      step(['SET', 'x', '0']),
      step(['SET', 'str', 'myval']),
      step(['HSET', 'h', 'field', 'value']),
      step(['SADD', 'set', 'm']),
      evalStep("local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo}", '1', 'x'),
      evalStep("local foo = redis.pcall('get',KEYS[1]) return {type(foo),foo}", '1', 'str'),
      evalStep("local foo = redis.pcall('set',KEYS[1],'v') return {type(foo),foo['ok']}", '1', 'other'),
      evalStep("local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo['err']}", '1', 'str'),
      evalStep("local foo = redis.pcall('get','nokey') return {type(foo),foo == false}"),
      evalStep("return redis.call('hgetall', 'h')"),
      evalStep("redis.setresp(3) return redis.call('hgetall', 'h')"),
      evalStep("redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.field"),
      evalStep("redis.setresp(3) return redis.call('smembers', 'set')"),
      evalStep("redis.setresp(3) local r = redis.call('get', 'nokey') return type(r)"),
      evalStep("return redis.call('mget', 'str', 'nokey')"),
      evalStep('local value = 9007199254740991 redis.call("set","n",value) return redis.call("get","n")'),
      evalStep('redis.call("set","n",0.1) return redis.call("get","n")'),
      evalStep('redis.call("set","n",1e300) return redis.call("get","n")'),
      evalStep('redis.call("set", "key", "12039611435714932082") return redis.call("get", "key")'),
      evalStep("local t = {} for i=1,100 do t[i] = i end redis.call('sadd', 'many', unpack(t)) return redis.call('scard', 'many')"),
    ],
  },
  {
    name: 'errors and refusals',
    steps: [
      step(['SET', 'str', 'myval']),
      evalStep('return a'),
      evalStep('a=10'),
      evalStep("redis.call('nosuchcommand')"),
      evalStep("redis.call('get','a','b','c')"),
      evalStep("redis.call('incr','str')"),
      evalStep("return redis.call()"),
      evalStep("return redis.pcall()"),
      evalStep("return redis.call('get', {})"),
      evalStep("return redis.call('subscribe', 'ch')"),
      evalStep("return redis.pcall('multi')"),
      evalStep("return redis.call('select', 99)"),
      evalStep("return redis.pcall('select', 99)"),
      evalStep("error('boom')"),
      evalStep("error({err='XX custom'})"),
      evalStep('return redis.sha1hex()'),
      evalStep('return redis.setresp(4)'),
      evalStep("redis.log(redis.LOG_WARNING, 'logged')"),
      evalStep('redis.log(99, "x")'),
      evalStep('redis.log(redis.LOG_WARNING)'),
      evalStep('redis.set_repl(redis.REPL_ALL) return 1'),
      evalStep('redis.set_repl(99)'),
      evalStep('setmetatable(_G, {})'),
      evalStep('local g = getmetatable(_G) g.__index = {}'),
      evalStep('redis = function() return 1 end'),
      evalStep('_G = {}'),
      evalStep('redis.call = function() return 1 end'),
      evalStep('cjson.encode = function() return 1 end'),
      evalStep('bit.lshift = function() return 1 end'),
      evalStep("loadfile('some file')"),
      evalStep("dofile('some file')"),
      evalStep("print('some data')"),
      evalStep('return loadstring(string.dump(function() return 1 end))()'),
      evalStep('return {pcall(redis.call, "incr", "str")}'),
      // Lua's own messages are Lua 5.3's words (5.1 quotes '<eof>'): an error, not the same text.
      step(['EVAL', 'return x = 1', '0'], 'type'),
      evalStep('return 1', '-12'),
      evalStep('return 1', '2', 'a'),
      evalStep('return 1', 'x'),
      step(['EVALSHA', 'NotValidShaSUM', '0']),
      step(['EVALSHA', 'ffd632c7d33e571e9f24556ebed26c3479a87130', '0']),
      step(['EVAL']),
    ],
  },
  {
    name: 'shebang flags and read-only scripts',
    steps: [
      step(['SET', 'foo', 'bar']),
      evalStep('#!not-lua\nreturn 1'),
      evalStep('#!lua badger=data\nreturn 1'),
      evalStep('#!lua flags=allow-oom,what?\nreturn 1'),
      evalStep('#!lua\nreturn 1'),
      evalStep('#!lua flags=no-writes\nredis.call("set","x",1)\nreturn 1', '1', 'x'),
      evalStep('#!lua flags=no-writes\nreturn redis.call("get","foo")', '1', 'foo'),
      evalStep('#!lua\nreturn redis.call("get","foo")', '1', 'foo'),
      step(['EVAL_RO', "return redis.call('get', KEYS[1]);", '1', 'foo']),
      step(['EVAL_RO', "redis.call('del', KEYS[1]);", '1', 'foo']),
      step(['EVAL_RO', '#!lua\nreturn 1', '0']),
      step(['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0']),
      step(['GET', 'foo']),
    ],
  },
  {
    // A script's commands may not block (CLIENT_DENY_BLOCKING): each answers at once, as on timeout.
    name: 'blocking commands inside a script',
    steps: [
      evalStep("return redis.call('blpop', KEYS[1], 0)", '1', 'nolist'),
      evalStep("return redis.call('brpoplpush', KEYS[1], KEYS[2], 0)", '2', 'nolist', 'other'),
      evalStep("return redis.call('blmpop', 0, 1, KEYS[1], 'LEFT')", '1', 'nolist'),
      evalStep("return redis.call('bzpopmin', KEYS[1], 0)", '1', 'nozset'),
      evalStep("return redis.call('bzmpop', 0, 1, KEYS[1], 'MIN')", '1', 'nozset'),
      step(['RPUSH', 'list', 'a', 'b']),
      evalStep("return redis.call('blpop', KEYS[1], 0)", '1', 'list'),
      evalStep("return redis.call('blmove', KEYS[1], KEYS[2], 'LEFT', 'RIGHT', 0)", '2', 'list', 'other'),
      step(['LRANGE', 'other', '0', '-1']),
    ],
  },
  {
    name: 'the scripts cache',
    steps: [
      step(['SET', 'mykey', 'myval']),
      evalStep('return redis.call("get",KEYS[1])', '1', 'mykey'),
      step(['EVALSHA', 'fd758d1589d044dd850a6f05d52f2eefd27f033f', '1', 'mykey']),
      step(['EVALSHA', 'FD758D1589D044DD850A6F05D52F2EEFD27F033F', '1', 'mykey']),
      step(['EVALSHA_RO', 'fd758d1589d044dd850a6f05d52f2eefd27f033f', '1', 'mykey']),
      step(['SCRIPT', 'EXISTS', 'fd758d1589d044dd850a6f05d52f2eefd27f033f', 'a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bda']),
      step(['SCRIPT', 'LOAD', "return 'loaded'"]),
      step(['EVALSHA', 'b534286061d4b9e4026607613b95c06c06015ae8', '0']),
      step(['SCRIPT', 'LOAD', 'return +']),
      step(['SCRIPT', 'FLUSH', 'ASYNC']),
      step(['SCRIPT', 'FLUSH', 'BAD']),
      step(['EVALSHA', 'fd758d1589d044dd850a6f05d52f2eefd27f033f', '1', 'mykey']),
      step(['SCRIPT', 'KILL']),
      step(['SCRIPT', 'NOSUCH']),
    ],
  },
  {
    name: 'SELECT inside a script, and the caller’s database',
    steps: [
      step(['SELECT', '9']),
      step(['SET', 'mykey', 'this is DB 9']),
      step(['SELECT', '10']),
      step(['SET', 'mykey', 'this is DB 10']),
      evalStep("return redis.pcall('get',KEYS[1])", '1', 'mykey'),
      evalStep("redis.call('select','9') return redis.call('get','mykey')"),
      step(['GET', 'mykey']),
      step(['SELECT', '0']),
    ],
  },
  {
    name: 'cjson and bit',
    steps: [
      evalStep("return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')"),
      evalStep("local decoded = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}') return {decoded.keya, decoded.keyb}"),
      evalStep("return cjson.encode({a={1,2,3}, b='x/y\"z'})"),
      evalStep('return cjson.encode({})'),
      evalStep('return cjson.encode({1.5, 0.1, 100})'),
      evalStep('return cjson.encode(cjson.decode(\'{"n":null}\'))'),
      evalStep('return {pcall(cjson.encode, {[false]="x"})}', '0'),
      evalStep('return (pcall(cjson.encode, {num1=0/0}))'),
      evalStep('return (pcall(cjson.decode, "{"))'),
      evalStep('return cjson.encode({[1]=1, [20]=2})'),
      evalStep('return {bit.tobit(1), bit.band(1), bit.bxor(1,2), bit.bor(1,2,4,8,16,32,64,128)}'),
      evalStep('return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.bnot(0), bit.bswap(0x12345678)}'),
      evalStep('return {bit.tohex(255), bit.tohex(-1, -4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8)}'),
    ],
  },
  {
    name: 'cmsgpack',
    steps: [
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack(0.1))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack(-1099511627776))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack(-32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack(1.5, 1/0, -1/0, 2^53))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack(true, false, nil))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack('', string.rep('x', 31), string.rep('y', 32), string.rep('z', 256)))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack({}, {1, 2, 3}, {a = 1}, {[2] = 1}))"),
      evalStep("local function hex(s) local t = {} for i = 1, #s do t[i] = string.format('%02x', string.byte(s, i)) end return table.concat(t) end return hex(cmsgpack.pack(string.rep('w', 70000)))"),
      // A table with holes is a map whose pairs come in the table's own order (Lua's, not Redis's).
      evalStep("return #cmsgpack.pack({1, nil, 3})"),
      evalStep("local t = {} for i = 1, 20 do t[i] = i end local m = {} for i = 1, 20 do m['k' .. i] = i end return {#cmsgpack.pack(t), #cmsgpack.pack(m)}"),
      evalStep("local a = {x = nil, y = 5} local b = {x = a} a['x'] = b return #cmsgpack.pack(a)"),
      evalStep("local v = cmsgpack.unpack(cmsgpack.pack({1, 'two', {three = 3}, -4.5, true})) return {v[1], v[2], v[3].three, tostring(v[4]), tostring(v[5])}"),
      evalStep("return {cmsgpack.unpack(cmsgpack.pack(1, 'a', 2))}"),
      evalStep("local s = cmsgpack.pack('a', 'b', 'c') local o, v = cmsgpack.unpack_one(s, 0) local o2, v2 = cmsgpack.unpack_one(s, o) return {o, v, o2, v2, cmsgpack.unpack_limit(s, 2, 0)}"),
      evalStep("return {pcall(cmsgpack.unpack, string.char(0xc1))}"),
      evalStep("return {pcall(cmsgpack.unpack, string.char(0xda, 0x01))}"),
      evalStep("return {pcall(cmsgpack.pack)}"),
      evalStep("return {pcall(cmsgpack.unpack_one, 'x', 5)}"),
      evalStep('cmsgpack.pack = function() return 1 end'),
    ],
  },
  {
    name: 'functions',
    steps: [
      step(['FUNCTION', 'LOAD', "#!lua name=test\nredis.register_function('test', function(KEYS, ARGV)\n return {KEYS[1], ARGV[1]} \nend)"]),
      step(['FCALL', 'test', '1', 'k', 'a']),
      step(['FCALL', 'TEST', '0']),
      step(['FUNCTION', 'LOAD', "#!lua name=test\nredis.register_function('test', function() return 1 end)"]),
      step(['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=test\nredis.register_function('test', function() return 2 end)"]),
      step(['FCALL', 'test', '0']),
      step(['FCALL_RO', 'test', '0']),
      step(['FUNCTION', 'LOAD', "#!lua name=ro\nredis.register_function{function_name='ro', callback=function(KEYS) return redis.call('get', KEYS[1]) end, flags={'no-writes'}}"]),
      step(['SET', 'k', 'v']),
      step(['FCALL_RO', 'ro', '1', 'k']),
      step(['FUNCTION', 'LOAD', "#!lua name=other\nredis.register_function('test', function() return 1 end)"]),
      step(['FUNCTION', 'LOAD', '#!lua name=empty\nlocal x = 1']),
      step(['FUNCTION', 'LOAD', '#!bad_engine name=x\nreturn 1']),
      step(['FUNCTION', 'LOAD', 'return 1']),
      step(['FUNCTION', 'LOAD', '#!lua name=bad\nreturn +']),
      step(['FUNCTION', 'LOAD', 'foo', 'bar', '#!lua name=x\nreturn 1']),
      step(['FUNCTION', 'LOAD', "#!lua name=e\nredis.register_function('f', function() return a end)"]),
      step(['FCALL', 'f', '0']),
      step(['FUNCTION', 'LOAD', "#!lua name=r\nredis.register_function('r', function() redis.register_function('r2', function() return 2 end) end)"]),
      step(['FCALL', 'r', '0'], 'type'),
      step(['FCALL', 'nosuch', '0']),
      step(['FCALL', 'test', 'x']),
      step(['FUNCTION', 'DELETE', 'test']),
      step(['FUNCTION', 'DELETE', 'test']),
      step(['FCALL', 'test', '0']),
      step(['FUNCTION', 'KILL']),
      step(['FUNCTION', 'FLUSH']),
      step(['FCALL', 'ro', '1', 'k']),
    ],
  },
];

async function repliesFrom(port: number, steps: Step[]): Promise<Buffer[]> {
  const client = await RawClient.connect(port);
  try {
    return await client.pipeline(steps.map((s) => toArgs(s.args)), 20_000);
  } finally {
    client.close();
  }
}

for (const protocol of ['RESP2', 'RESP3'] as const) {
  describe(`scripting: embedded server vs redis-server, ${protocol}`, () => {
    for (const scenario of SCENARIOS) {
      it(scenario.name, async () => {
        const prelude = [...preludeFor(protocol === 'RESP3'), ...RESET];
        const all = [...prelude, ...scenario.steps];
        const expected = await repliesFrom(servers.redis.port, all);
        const actual = await repliesFrom(servers.embedded.port, all);
        compareReplies(prelude, scenario.steps, expected, actual, protocol);
      });
    }
  });
}

describe('scripting on the embedded server: what a script does to other clients', () => {
  it('writes inside a script invalidate tracking clients and break WATCH, as the same writes outside', async () => {
    const port = servers.embedded.port;
    const tracked = new Redis(port, '127.0.0.1');
    const watcher = new Redis(port, '127.0.0.1');
    const writer = new Redis(port, '127.0.0.1');
    const subscriber = new Redis(port, '127.0.0.1');
    try {
      const invalidated: string[] = [];
      const subscriberId = await subscriber.client('ID');
      await subscriber.subscribe('__redis__:invalidate');
      subscriber.on('message', (_channel: string, keys: string[] | string) => invalidated.push(...[keys].flat()));
      await tracked.client('TRACKING', 'ON', 'REDIRECT', String(subscriberId));
      await writer.set('tracked', 'v1');
      assert.equal(await tracked.get('tracked'), 'v1');
      await watcher.watch('watched');
      await writer.eval("redis.call('set', KEYS[1], 'v2') redis.call('set', KEYS[2], 'w')", 2, 'tracked', 'watched');
      const exec = await watcher.multi().get('watched').exec();
      assert.equal(exec, null, 'WATCH saw the write made inside the script');
      // Each message is waited for on its own: the invalidations come in order, each after a write.
      const told = async (key: string) => {
        const deadline = Date.now() + 20_000;
        while (!invalidated.includes(key) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      };
      await told('tracked');
      assert.ok(invalidated.includes('tracked'), 'the tracking client was told');
      // A key read inside a script is remembered for the caller's tracking, as in Redis 7.
      await tracked.eval("return redis.call('get', KEYS[1])", 1, 'read-in-script');
      await writer.set('read-in-script', 'x');
      await told('read-in-script');
      assert.ok(invalidated.includes('read-in-script'));
      // A script that runs a read command tracks every key it declared, EVAL_RO too (Redis 7.0's
      // call() tracks the script's caller by its own arguments); one that reads nothing, none.
      await tracked.call('EVAL_RO', "return redis.call('get', KEYS[2])", 2, 'declared', 'marker');
      await writer.set('declared', 'x');
      await told('declared');
      assert.ok(invalidated.includes('declared'));
      await tracked.eval("return redis.call('ping')", 2, 'unread', 'other');
      await tracked.get('marker2');
      await writer.set('unread', 'x');
      await writer.set('marker2', 'x');
      await told('marker2');
      assert.ok(invalidated.includes('marker2'));
      assert.ok(!invalidated.includes('unread'), 'invalidations arrive in order: unread would have come before marker2');
    } finally {
      subscriber.disconnect();
      tracked.disconnect();
      watcher.disconnect();
      writer.disconnect();
    }
  });

  it('a script is atomic: another client’s commands wait until it ends', async () => {
    const port = servers.embedded.port;
    const a = new Redis(port, '127.0.0.1');
    const b = new Redis(port, '127.0.0.1');
    try {
      await a.set('counter', '0');
      // 2,000 increments one by one inside the script; b's GET is sent while it runs.
      const script = a.eval("for i = 1, 2000 do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])", 1, 'counter');
      const seen = b.get('counter');
      const [final, read] = await Promise.all([script, seen]);
      assert.equal(final, '2000');
      assert.ok(read === '0' || read === '2000', `b saw ${String(read)}: nothing in between`);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});
