/** Server commands: INFO, COMMAND, DBSIZE, FLUSHDB, FLUSHALL, TIME, SWAPDB. */
import { randomBytes } from 'node:crypto';
import { cString, INT_MAX, INT_MIN, isKeyword, lowerText, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler, Server } from '../command-context.js';
import { commandDocsReply, commandInfoReply, keyIndexes, type CommandSpec } from '../command-spec.js';
import { globMatch } from '../glob.js';
import { array, bulk, bulks, error, Errors, integer, map, OK, set, status, verbatim, type Reply } from '../reply.js';
import { REDIS_VERSION } from '../version.js';
import { helpReply } from './connection.js';

const dbsize: CommandHandler = (ctx) => integer(ctx.db.size);

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: both are synchronous here. */
function flushOptionError(ctx: CommandContext): Reply | undefined {
  const args = ctx.args;
  if (args.length === 1) return undefined;
  if (args.length === 2 && (isKeyword(args[1], 'sync') || isKeyword(args[1], 'async'))) return undefined;
  return Errors.syntax;
}

const flushdb: CommandHandler = (ctx) => {
  const failure = flushOptionError(ctx);
  if (failure !== undefined) return failure;
  ctx.server.flushDatabase(ctx.db);
  return OK;
};

const flushall: CommandHandler = (ctx) => {
  const failure = flushOptionError(ctx);
  if (failure !== undefined) return failure;
  ctx.server.flushAll();
  return OK;
};

const time: CommandHandler = (ctx) => {
  // The clock itself: inside a script ctx.now stays at the script's start, TIME does not (as in Redis).
  const now = ctx.server.clock();
  const seconds = Math.floor(now / 1000);
  const micros = Math.floor((now - seconds * 1000) * 1000);
  return array([bulk(String(seconds)), bulk(String(micros))]);
};

const swapdb: CommandHandler = (ctx) => {
  const first = parseLongLong(ctx.args[1]);
  if (first === null || first < INT_MIN || first > INT_MAX) return error('ERR invalid first DB index');
  const second = parseLongLong(ctx.args[2]);
  if (second === null || second < INT_MIN || second > INT_MAX) return error('ERR invalid second DB index');
  const count = BigInt(ctx.server.databaseCount);
  if (first < 0n || first >= count || second < 0n || second >= count) return Errors.dbIndexOutOfRange;
  ctx.server.swapDatabases(Number(first), Number(second));
  return OK;
};

// ---------------------------------------------------------------- INFO

const RUN_ID = randomBytes(20).toString('hex');

/** Redis's bytesToHuman. */
function human(bytes: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (bytes < 1024) return `${bytes}B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)}${units[unit]}`;
}

type Section = (server: Server, now: number) => [string, string | number][];

const SECTIONS: Record<string, Section> = {
  server: (server, now) => {
    const uptime = Math.max(0, Math.floor((now - server.startedAt) / 1000));
    return [
      ['redis_version', REDIS_VERSION],
      ['redis_git_sha1', '00000000'],
      ['redis_git_dirty', 0],
      ['redis_mode', 'standalone'],
      ['os', `${process.platform} ${process.arch}`],
      ['arch_bits', 64],
      ['process_id', process.pid],
      ['run_id', RUN_ID],
      ['tcp_port', server.port],
      ['server_time_usec', now * 1000],
      ['uptime_in_seconds', uptime],
      ['uptime_in_days', Math.floor(uptime / 86400)],
      ['executable', process.execPath],
    ];
  },
  clients: (server) => [
    ['connected_clients', Array.from(server.sessions()).length],
    ['cluster_connections', 0],
    ['maxclients', server.maxClients],
    ['blocked_clients', server.blocked.count],
    ['tracking_clients', Array.from(server.sessions()).filter((session) => session.tracking !== undefined).length],
  ],
  memory: (server) => [
    ['used_memory', server.usedBytes],
    ['used_memory_human', human(server.usedBytes)],
    ['used_memory_dataset', server.usedBytes],
    ['maxmemory', server.maxBytes],
    ['maxmemory_human', human(server.maxBytes)],
    ['maxmemory_policy', 'allkeys-lfu'],
    ['number_of_cached_scripts', server.scripting.scripts.count],
    ['number_of_functions', server.scripting.functions.functionCount],
    ['number_of_libraries', server.scripting.functions.libraryCount],
  ],
  persistence: () => [
    ['loading', 0],
    ['async_loading', 0],
    ['rdb_bgsave_in_progress', 0],
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
  ],
  stats: (server) => [
    ['total_connections_received', server.stats.connectionsReceived],
    ['total_commands_processed', server.stats.commandsProcessed],
    ['expired_keys', server.stats.expiredKeys],
    ['evicted_keys', server.stats.evictedKeys],
    ['keyspace_hits', server.stats.keyspaceHits],
    ['keyspace_misses', server.stats.keyspaceMisses],
    ['total_error_replies', server.errorStats.total],
    ['pubsub_channels', server.pubsub.channelCount('channel')],
    ['pubsub_patterns', server.pubsub.patternCount],
    ['pubsubshard_channels', server.pubsub.channelCount('shard')],
    ['tracking_total_keys', server.tracking.keyCount],
    ['tracking_total_items', server.tracking.itemCount],
    ['tracking_total_prefixes', server.tracking.prefixCount],
  ],
  replication: () => [
    ['role', 'master'],
    ['connected_slaves', 0],
    ['master_failover_state', 'no-failover'],
    ['master_repl_offset', 0],
  ],
  cpu: () => {
    const usage = process.cpuUsage();
    return [
      ['used_cpu_sys', (usage.system / 1e6).toFixed(6)],
      ['used_cpu_user', (usage.user / 1e6).toFixed(6)],
    ];
  },
  commandstats: (server) => Array.from(server.commandStats(), ([name, counters]) => [`cmdstat_${name}`, counters.describe()]),
  errorstats: (server) => Array.from(server.errorStats.entries(), ([code, count]) => [`errorstat_${code}`, `count=${count}`]),
  cluster: () => [['cluster_enabled', 0]],
  keyspace: (server) => {
    const lines: [string, string][] = [];
    for (let i = 0; i < server.databaseCount; i++) {
      const db = server.database(i);
      if (db.size > 0) lines.push([`db${i}`, `keys=${db.size},expires=${db.expiringKeys},avg_ttl=0`]);
    }
    return lines;
  },
};

const SECTION_TITLES: Record<string, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

/** What INFO with no argument, or "default", shows: the sections but the per-command and per-error ones, as Redis. */
const DEFAULT_SECTIONS: readonly string[] = Object.keys(SECTIONS).filter((name) => name !== 'commandstats' && name !== 'errorstats');

/** INFO [section ...]: "all" and "everything" name every section we have. */
const info: CommandHandler = (ctx) => {
  const wanted = new Set<string>();
  if (ctx.args.length === 1) for (const name of DEFAULT_SECTIONS) wanted.add(name);
  for (let i = 1; i < ctx.args.length; i++) {
    const name = lowerText(ctx.args[i]);
    if (name === 'default') for (const section of DEFAULT_SECTIONS) wanted.add(section);
    else if (name === 'all' || name === 'everything') for (const section of Object.keys(SECTIONS)) wanted.add(section);
    else wanted.add(name);
  }
  const parts: string[] = [];
  for (const [name, section] of Object.entries(SECTIONS)) {
    if (!wanted.has(name)) continue;
    const lines = section(ctx.server, ctx.now).map(([field, value]) => `${field}:${value}\r\n`);
    parts.push(`# ${SECTION_TITLES[name]}\r\n${lines.join('')}`);
  }
  return verbatim(parts.join('\r\n'));
};

// ---------------------------------------------------------------- COMMAND

function allSpecs(server: Server): CommandSpec[] {
  const out: CommandSpec[] = [];
  for (const spec of server.commandSpecs) out.push(spec, ...spec.subcommands);
  return out;
}

const command: CommandHandler = (ctx) => array(ctx.server.commandSpecs.map(commandInfoReply));

const commandCount: CommandHandler = (ctx) => integer(ctx.server.commandSpecs.length);

const commandInfo: CommandHandler = (ctx) => {
  if (ctx.args.length === 2) return array(ctx.server.commandSpecs.map(commandInfoReply));
  return array(ctx.args.slice(2).map((name) => commandInfoReply(ctx.server.findSpec(text(name)))));
};

const commandDocs: CommandHandler = (ctx) => {
  const specs = ctx.args.length === 2 ? ctx.server.commandSpecs : ctx.args.slice(2).map((name) => ctx.server.findSpec(text(name)));
  const entries: [Reply, Reply][] = [];
  for (const spec of specs) if (spec !== undefined) entries.push([bulk(spec.name), commandDocsReply(spec)]);
  return map(entries);
};

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
const commandList: CommandHandler = (ctx) => {
  const args = ctx.args;
  let filter: (spec: CommandSpec) => boolean = () => true;
  for (let i = 2; i < args.length; i++) {
    if (!(isKeyword(args[i], 'filterby') && args.length - 1 - i === 2)) return Errors.syntax;
    const value = cString(args[i + 2]);
    if (isKeyword(args[i + 1], 'module')) filter = () => false;
    else if (isKeyword(args[i + 1], 'aclcat')) filter = (spec) => spec.categories.includes(`@${value.toLowerCase()}`);
    else if (isKeyword(args[i + 1], 'pattern')) filter = (spec) => globMatch(value.toLowerCase(), spec.name);
    else return Errors.syntax;
    i += 2;
  }
  return bulks(allSpecs(ctx.server).filter(filter).map((spec) => spec.name));
};

/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS: the key positions from the command's key specs (all of
 * this store's commands use an index to begin, and a range or a key count to find keys).
 */
function getKeys(ctx: CommandContext, withFlags: boolean): Reply {
  const args = ctx.args.slice(2);
  const spec = ctx.server.specFor(args);
  if (spec === undefined) return error('ERR Invalid command specified');
  if (spec.keySpecs.length === 0) return error('ERR The command has no key arguments');
  if ((spec.arity > 0 && spec.arity !== args.length) || args.length < -spec.arity) {
    return error('ERR Invalid number of arguments specified for command');
  }
  const found: Reply[] = [];
  for (const [i, keySpec] of keyIndexes(spec, args)) {
    const key = bulk(text(args[i]));
    found.push(withFlags ? array([key, set(keyFlags(spec, keySpec.flags, args).map(status))]) : key);
  }
  if (found.length === 0) {
    return spec.flags.includes('no_mandatory_keys') ? array([]) : error('ERR Invalid arguments specified for command');
  }
  return array(found);
}

/** SET's flags depend on its GET option (setGetKeys): the only variable_flags spec here. */
function keyFlags(spec: CommandSpec, flags: string[], args: readonly Buffer[]): string[] {
  if (spec.name !== 'set' || !flags.includes('variable_flags')) return flags;
  return args.slice(3).some((arg) => isKeyword(arg, 'get')) ? ['RW', 'access', 'update'] : ['OW', 'update'];
}

const commandGetkeys: CommandHandler = (ctx) => getKeys(ctx, false);
const commandGetkeysandflags: CommandHandler = (ctx) => getKeys(ctx, true);

const commandHelp: CommandHandler = () =>
  helpReply('COMMAND', [
    ['(no subcommand)', 'Return details about all Redis commands.'],
    ['COUNT', 'Return the total number of commands in this Redis server.'],
    ['LIST', 'Return a list of all commands in this Redis server.'],
    ['INFO [<command-name> ...]', 'Return details about multiple Redis commands.', 'If no command names are given, documentation details for all', 'commands are returned.'],
    ['DOCS [<command-name> ...]', 'Return documentation details about multiple Redis commands.', 'If no command names are given, documentation details for all', 'commands are returned.'],
    ['GETKEYS <full-command>', 'Return the keys from a full Redis command.'],
    ['GETKEYSANDFLAGS <full-command>', 'Return the keys and the access flags from a full Redis command.'],
  ]);

export const serverCommands: Record<string, CommandHandler> = {
  info,
  dbsize,
  flushdb,
  flushall,
  time,
  swapdb,
  command,
  'command|count': commandCount,
  'command|info': commandInfo,
  'command|docs': commandDocs,
  'command|list': commandList,
  'command|help': commandHelp,
  'command|getkeys': commandGetkeys,
  'command|getkeysandflags': commandGetkeysandflags,
};
