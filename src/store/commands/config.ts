/**
 * CONFIG GET and CONFIG SET, after Redis 7.0's config.c, for the parameters that mean something
 * here: those the store honours (tracking-table-max-keys; busy-reply-threshold alias
 * lua-time-limit, when a script that has not written is stopped; the sorted-set and hash
 * listpack limits, see listpack-limits.ts); the list node settings, which shape only a Redis
 * 7.0 quicklist's insides (no command shows them), so are kept and reported; and those the store has fixed (no
 * persistence, its number of databases, the intset limit of sets): a fixed parameter takes its
 * own value again and refuses any other. A parameter the store knows nothing of is unknown, as in
 * Redis (CONFIG GET finds nothing, CONFIG SET refuses it).
 */
import { LLONG_MAX, parseLongLong, text } from '../arguments.js';
import type { CommandHandler, Server } from '../command-context.js';
import { globMatcher } from '../glob.js';
import { bulk, error, Errors, map, OK, type Reply } from '../reply.js';
import { MAX_INTSET_ENTRIES } from '../set-value.js';
import { LISTPACK_CONFIG_PARAMETERS, type ConfigParameter } from '../listpack-limits.js';
import { helpReply } from './connection.js';

/** Redis's check of an integer parameter from 0 to LONG_MAX. */
function checkCount(value: string): string | undefined {
  const number = parseLongLong(value);
  if (number === null) return "argument couldn't be parsed into an integer";
  return number < 0n ? `argument must be between 0 and ${LLONG_MAX} inclusive` : undefined;
}

/** A parameter the store has fixed: Redis's own check of the value first, then only the same value again. */
function fixed(value: (server: Server) => string, why: string, checkType: (value: string) => string | undefined = () => undefined): ConfigParameter {
  return { get: value, check: (server, given) => checkType(given) ?? (given.toLowerCase() === value(server) ? undefined : why) };
}

const NO_DISK = 'the embedded store keeps nothing on disk';

/** How long a script may run without writing before the store stops it (0: never); two names, as in Redis 7. */
const SCRIPT_TIME_LIMIT: ConfigParameter = {
  get: (server) => String(server.scripting.runner.timeLimit),
  check: (_, value) => checkCount(value),
  set: (server, value) => {
    server.scripting.runner.timeLimit = Number(value);
  },
};

/** An int setting (INTEGER_CONFIG) kept per server, which nothing else reads. */
function kept(initial: bigint, min: bigint, max: bigint): ConfigParameter {
  const values = new WeakMap<Server, string>();
  return {
    get: (server) => values.get(server) ?? String(initial),
    check: (_, value) => {
      const number = parseLongLong(value);
      if (number === null) return "argument couldn't be parsed into an integer";
      return number < min || number > max ? `argument must be between ${min} and ${max} inclusive` : undefined;
    },
    set: (server, value) => values.set(server, String(parseLongLong(value))),
  };
}

const INT_MAX = 2n ** 31n - 1n;
const LIST_NODE_SIZE = kept(-2n, -INT_MAX - 1n, INT_MAX);

const PARAMETERS: ReadonlyMap<string, ConfigParameter> = new Map<string, ConfigParameter>([
  [
    'tracking-table-max-keys',
    {
      get: (server) => String(server.tracking.maxKeys),
      check: (_, value) => checkCount(value),
      set: (server, value) => {
        server.tracking.maxKeys = Number(value);
        // Lowered: down to the limit now, as Redis's cron does when no command comes.
        server.tracking.limitKeys(undefined);
      },
    },
  ],
  ['set-max-intset-entries', fixed(() => String(MAX_INTSET_ENTRIES), `the embedded store has it fixed at ${MAX_INTSET_ENTRIES}`, checkCount)],
  ['save', fixed(() => '', NO_DISK)],
  ['appendonly', fixed(() => 'no', NO_DISK, (value) => (/^(yes|no)$/i.test(value) ? undefined : "argument must be 'yes' or 'no'"))],
  ['databases', { get: (server) => String(server.databaseCount), check: () => "can't set immutable config" }],
  ['busy-reply-threshold', SCRIPT_TIME_LIMIT],
  ['lua-time-limit', SCRIPT_TIME_LIMIT],
  ...LISTPACK_CONFIG_PARAMETERS,
  ['list-max-listpack-size', LIST_NODE_SIZE],
  ['list-max-ziplist-size', LIST_NODE_SIZE],
  ['list-compress-depth', kept(0n, 0n, INT_MAX)],
]);

/** Matches by name, any case, each parameter once (under the name first given, for a name without wildcards). */
const configGet: CommandHandler = (ctx) => {
  const found = new Map<string, [shown: string, value: Reply]>();
  for (const arg of ctx.args.slice(2)) {
    const pattern = text(arg);
    const lower = pattern.toLowerCase();
    if (!/[[*?]/.test(lower)) {
      const parameter = PARAMETERS.get(lower);
      if (parameter !== undefined && !found.has(lower)) found.set(lower, [pattern, bulk(parameter.get(ctx.server))]);
      continue;
    }
    const matches = globMatcher(lower);
    for (const [name, parameter] of PARAMETERS) {
      if (!found.has(name) && matches(name)) found.set(name, [name, bulk(parameter.get(ctx.server))]);
    }
  }
  return map(Array.from(found.values(), ([shown, value]) => [bulk(shown), value] as const));
};

/** Every pair is checked before any is applied: all or nothing, as in Redis. */
const configSet: CommandHandler = (ctx) => {
  const args = ctx.args;
  if (args.length % 2 === 1) return Errors.syntax;
  const changes: [ConfigParameter, string][] = [];
  const seen = new Set<string>();
  for (let i = 2; i < args.length; i += 2) {
    const name = text(args[i]).toLowerCase();
    const parameter = PARAMETERS.get(name);
    if (parameter === undefined) return error(`ERR Unknown option or number of arguments for CONFIG SET - '${text(args[i])}'`);
    if (seen.has(name)) return failed(name, 'duplicate parameter');
    seen.add(name);
    const value = text(args[i + 1]);
    const refused = parameter.check(ctx.server, value);
    if (refused !== undefined) return failed(name, refused);
    changes.push([parameter, value]);
  }
  for (const [parameter, value] of changes) parameter.set?.(ctx.server, value);
  return OK;
};

const failed = (name: string, why: string): Reply => error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);

const configHelp: CommandHandler = () =>
  helpReply('CONFIG', [
    ['GET <pattern>', 'Return parameters matching the glob-like <pattern> and their values.'],
    ['SET <directive> <value>', 'Set the configuration <directive> to <value>.'],
    ['RESETSTAT', 'Reset statistics reported by the INFO command.'],
  ]);

/** CONFIG RESETSTAT: INFO's command, error and connection counts start again. */
const configResetStat: CommandHandler = (ctx) => {
  ctx.server.resetStats();
  return OK;
};

export const configCommands: Record<string, CommandHandler> = {
  'config|get': configGet,
  'config|set': configSet,
  'config|help': configHelp,
  'config|resetstat': configResetStat,
};
