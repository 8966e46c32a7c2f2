/**
 * Regenerates src/store/command-specs.ts from a real redis-server's COMMAND INFO and COMMAND DOCS,
 * so that the store describes its commands exactly as Redis does (arity, flags, key specs...).
 *
 *   node --import tsx test/store/support/generate-command-specs.ts
 *
 * CLIENT SETINFO (Redis 7.2) is not in older servers; its entry is written by hand below.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeReply, RespError, type RespValue } from '../../../src/resp/index.js';
import { startRedis } from '../../support/redis-server.js';
import { RawClient } from '../../support/proxy.js';

/** The commands the store implements; containers list the subcommands it implements. */
const COMMANDS: Record<string, string[]> = {
  // connection
  ping: [], echo: [], select: [], hello: [], auth: [], quit: [], reset: [],
  // transactions
  multi: [], exec: [], discard: [], watch: [], unwatch: [],
  client: ['setname', 'getname', 'id', 'info', 'list', 'help', 'tracking', 'caching', 'getredir', 'trackinginfo', 'reply', 'unblock'],
  // pub/sub
  subscribe: [], unsubscribe: [], psubscribe: [], punsubscribe: [], publish: [], ssubscribe: [], sunsubscribe: [],
  spublish: [], pubsub: ['channels', 'numsub', 'numpat', 'shardchannels', 'shardnumsub', 'help'],
  // server
  info: [], dbsize: [], flushdb: [], flushall: [], time: [], swapdb: [], shutdown: [], config: ['get', 'set', 'help', 'resetstat'],
  command: ['count', 'docs', 'info', 'list', 'help', 'getkeys', 'getkeysandflags'],
  // strings and counters
  get: [], set: [], setnx: [], setex: [], psetex: [], mget: [], mset: [], msetnx: [], getset: [], getdel: [],
  getex: [], append: [], strlen: [], getrange: [], setrange: [], incr: [], decr: [], incrby: [], decrby: [],
  incrbyfloat: [],
  // keys and expiry
  del: [], unlink: [], exists: [], type: [], expire: [], pexpire: [], expireat: [], pexpireat: [], ttl: [],
  pttl: [], expiretime: [], pexpiretime: [], persist: [], rename: [], renamenx: [], keys: [], scan: [],
  randomkey: [],
  // hashes
  hset: [], hsetnx: [], hmset: [], hget: [], hmget: [], hgetall: [], hdel: [], hexists: [], hlen: [], hkeys: [],
  hvals: [], hstrlen: [], hincrby: [], hincrbyfloat: [], hscan: [], hrandfield: [],
  // sets
  sadd: [], srem: [], smove: [], sismember: [], smismember: [], scard: [], spop: [], srandmember: [], smembers: [],
  sinter: [], sinterstore: [], sintercard: [], sunion: [], sunionstore: [], sdiff: [], sdiffstore: [], sscan: [],
  object: ['encoding'], memory: ['usage'],
  // scripting
  eval: [], evalsha: [], eval_ro: [], evalsha_ro: [], script: ['load', 'exists', 'flush', 'kill', 'help'],
  fcall: [], fcall_ro: [], function: ['load', 'delete', 'flush', 'kill'], debug: [],
  // sorted sets
  zadd: [], zincrby: [], zrem: [], zcard: [], zscore: [], zmscore: [], zrank: [], zrevrank: [], zcount: [],
  zlexcount: [], zrange: [], zrangestore: [], zrevrange: [], zrangebyscore: [], zrevrangebyscore: [],
  zrangebylex: [], zrevrangebylex: [], zremrangebyrank: [], zremrangebyscore: [], zremrangebylex: [],
  zpopmin: [], zpopmax: [], zmpop: [], zrandmember: [], zunion: [], zinter: [], zdiff: [], zunionstore: [],
  zinterstore: [], zdiffstore: [], zintercard: [], zscan: [], bzpopmin: [], bzpopmax: [], bzmpop: [],
  // lists
  lpush: [], rpush: [], lpushx: [], rpushx: [], linsert: [], llen: [], lindex: [], lrange: [], lpos: [], lset: [],
  lrem: [], ltrim: [], lpop: [], rpop: [], lmove: [], rpoplpush: [], lmpop: [], blpop: [], brpop: [], blmpop: [],
  blmove: [], brpoplpush: [],
};

const CLIENT_SETINFO = {
  name: 'client|setinfo',
  arity: 4,
  flags: ['noscript', 'loading', 'stale'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  categories: ['@slow', '@connection'],
  tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
  keySpecs: [],
  docs: { summary: 'Sets information specific to the client or connection.', since: '7.2.0', group: 'connection', complexity: 'O(1)' },
  subcommands: [],
};

function field(map: RespValue, name: string): RespValue | undefined {
  if (!(map instanceof Map)) throw new Error(`expected a map, got ${String(map)}`);
  for (const [key, value] of map) if (String(key) === name) return value;
  return undefined;
}

const strings = (value: RespValue | undefined): string[] => [...((value as Set<RespValue> | undefined) ?? [])].map(String);

function keySpec(spec: RespValue): object {
  const begin = field(spec, 'begin_search')!;
  const find = field(spec, 'find_keys')!;
  const beginSpec = field(begin, 'spec')!;
  const findSpec = field(find, 'spec')!;
  const number = (map: RespValue, name: string) => Number(field(map, name));
  const beginType = String(field(begin, 'type'));
  const findType = String(field(find, 'type'));
  const notes = field(spec, 'notes');
  return {
    ...(notes === undefined ? {} : { notes: String(notes) }),
    flags: strings(field(spec, 'flags')),
    begin:
      beginType === 'index'
        ? { index: number(beginSpec, 'index') }
        : beginType === 'keyword'
          ? { keyword: String(field(beginSpec, 'keyword')), startFrom: number(beginSpec, 'startfrom') }
          : { unknown: true },
    find:
      findType === 'range'
        ? { lastKey: number(findSpec, 'lastkey'), keyStep: number(findSpec, 'keystep'), limit: number(findSpec, 'limit') }
        : findType === 'keynum'
          ? { keyNumIndex: number(findSpec, 'keynumidx'), firstKey: number(findSpec, 'firstkey'), keyStep: number(findSpec, 'keystep') }
          : { unknown: true },
  };
}

function docsOf(docs: RespValue): object {
  const out: Record<string, unknown> = {};
  for (const name of ['summary', 'since', 'group', 'complexity', 'deprecated_since', 'replaced_by']) {
    const value = field(docs, name);
    if (value !== undefined) out[name === 'deprecated_since' ? 'deprecatedSince' : name === 'replaced_by' ? 'replacedBy' : name] = String(value);
  }
  const flags = field(docs, 'doc_flags');
  if (flags !== undefined) out.docFlags = strings(flags);
  return out;
}

function spec(info: RespValue, docs: RespValue, subcommands: string[], subDocs: Map<string, RespValue>): object {
  const items = info as RespValue[];
  const subs = [...((items[9] as Set<RespValue>) ?? [])].filter((sub) => subcommands.includes(String((sub as RespValue[])[0]).split('|')[1]));
  const name = String(items[0]);
  return {
    name,
    arity: Number(items[1]),
    flags: strings(items[2]),
    firstKey: Number(items[3]),
    lastKey: Number(items[4]),
    step: Number(items[5]),
    categories: strings(items[6]),
    tips: strings(items[7]),
    keySpecs: [...(items[8] as Set<RespValue>)].map(keySpec),
    docs: docsOf(docs),
    subcommands: [
      ...subs.map((sub) => spec(sub, subDocs.get(String((sub as RespValue[])[0]))!, [], new Map())),
      ...(name === 'client' ? [CLIENT_SETINFO] : []),
    ],
  };
}

interface Spec {
  [field: string]: unknown;
  subcommands: Spec[];
}

const inline = (value: unknown): string => JSON.stringify(value).replace(/"(\w+)":/g, '$1: ').replace(/,(?=["{[\w-])/g, ', ');

/** One spec in a few lines: the scalar fields together, each structured field on its own line. */
function format(spec: Spec, indent: string): string {
  const { name, arity, flags, firstKey, lastKey, step, categories, tips, keySpecs, docs, subcommands } = spec;
  const inner = `${indent}  `;
  const lines = [
    `${indent}{`,
    `${inner}name: ${inline(name)}, arity: ${arity}, flags: ${inline(flags)}, firstKey: ${firstKey}, lastKey: ${lastKey}, step: ${step},`,
    `${inner}categories: ${inline(categories)}, tips: ${inline(tips)},`,
    `${inner}keySpecs: ${inline(keySpecs)},`,
    `${inner}docs: ${inline(docs)},`,
    subcommands.length === 0 ? `${inner}subcommands: [],` : `${inner}subcommands: [\n${subcommands.map((sub) => format(sub, `${inner}  `)).join('\n')}\n${inner}],`,
    `${indent}},`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const client = await RawClient.connect(redis.port);
  try {
    await client.call('HELLO', '3');
    const version = String(field(decodeReply(await client.call('HELLO', '3'), { strings: 'string' }), 'version'));
    const specs: object[] = [];
    for (const [name, subcommands] of Object.entries(COMMANDS)) {
      const info = decodeReply(await client.call('COMMAND', 'INFO', name), { strings: 'string' }) as RespValue[];
      const docs = decodeReply(await client.call('COMMAND', 'DOCS', name), { strings: 'string' });
      if (info[0] === null || info[0] instanceof RespError) throw new Error(`redis has no command ${name}`);
      const ownDocs = field(docs, name)!;
      const subDocs = new Map<string, RespValue>();
      const subDocsMap = field(ownDocs, 'subcommands');
      if (subDocsMap instanceof Map) for (const [key, value] of subDocsMap) subDocs.set(String(key), value);
      specs.push(spec(info[0], ownDocs, subcommands, subDocs));
    }
    const target = fileURLToPath(new URL('../../../src/store/command-specs.ts', import.meta.url));
    writeFileSync(
      target,
      `/**
 * What COMMAND INFO and COMMAND DOCS say about each command the store implements, as Redis
 * ${version} says it (generated from its replies by test/store/support/generate-command-specs.ts;
 * docs without arguments and history). Arity also drives the store's own argument-count checks.
 */
import type { CommandSpec } from './command-spec.js';

export const COMMAND_SPECS: readonly CommandSpec[] = [
${specs.map((s) => format(s as Spec, '  ')).join('\n')}
];
`,
    );
    console.log(`wrote ${specs.length} command specs to ${target}`);
  } finally {
    client.close();
    await redis.stop();
  }
}

await main();
