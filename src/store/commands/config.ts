/**
 * CONFIG GET / CONFIG SET, for the encoding thresholds only (zset-max-listpack-entries...):
 * clients and Redis's own test suite read and set them around their work. The store keeps one
 * representation per type, so a value set here is remembered and reported but changes nothing.
 * Other parameters are unknown, as Redis answers for a name it does not have.
 */
import { LLONG_MAX, parseLongLong, text } from '../arguments.js';
import type { CommandHandler, Server } from '../command-context.js';
import { globMatch } from '../glob.js';
import { bulk, error, Errors, map, OK, type Reply } from '../reply.js';

interface Parameter {
  readonly name: string;
  readonly alias?: string;
  readonly min: bigint;
  readonly max: bigint;
  readonly initial: bigint;
  /** Takes a byte count with a unit (1kb, 2m): Redis's MEMORY_CONFIG. */
  readonly memory?: boolean;
}

const INT_MAX = 2n ** 31n - 1n;

/** Redis 7.0's defaults and bounds (config.c). */
const PARAMETERS: readonly Parameter[] = [
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', min: 0n, max: LLONG_MAX, initial: 512n },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', min: 0n, max: LLONG_MAX, initial: 64n, memory: true },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', min: 0n, max: LLONG_MAX, initial: 128n },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', min: 0n, max: LLONG_MAX, initial: 64n, memory: true },
  { name: 'set-max-intset-entries', min: 0n, max: LLONG_MAX, initial: 512n },
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', min: -INT_MAX - 1n, max: INT_MAX, initial: -2n },
  { name: 'list-compress-depth', min: 0n, max: INT_MAX, initial: 0n },
];

const MEMORY_UNITS: Record<string, bigint> = { '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n };
const ULLONG_MAX = 2n ** 64n - 1n;

/** memtoull: digits (none is 0) and an optional unit; null when invalid. Wraps past 2^64 as C does. */
function parseMemory(value: string): bigint | null {
  const match = /^(\d*)(.*)$/s.exec(value)!;
  const unit = MEMORY_UNITS[match[2].toLowerCase()];
  if (unit === undefined || match[1].length >= 128) return null;
  const digits = match[1] === '' ? 0n : BigInt(match[1]);
  if (digits > ULLONG_MAX) return null;
  // The product is an unsigned long long, then read as the signed setting.
  const product = (digits * unit) & ULLONG_MAX;
  return product > LLONG_MAX ? product - ULLONG_MAX - 1n : product;
}

/** Every name, aliases included, lower case, to its parameter. */
const BY_NAME = new Map<string, Parameter>();
for (const parameter of PARAMETERS) {
  BY_NAME.set(parameter.name, parameter);
  if (parameter.alias !== undefined) BY_NAME.set(parameter.alias, parameter);
}

/** Each server's values, set apart from the defaults only once CONFIG SET runs. */
const VALUES = new WeakMap<Server, Map<Parameter, bigint>>();

function valueOf(server: Server, parameter: Parameter): bigint {
  return VALUES.get(server)?.get(parameter) ?? parameter.initial;
}

/** CONFIG GET parameter [parameter ...]: exact names or glob patterns, both in any case. */
const configGet: CommandHandler = (ctx) => {
  const found = new Map<string, Parameter>();
  for (let i = 2; i < ctx.args.length; i++) {
    const pattern = text(ctx.args[i]);
    if (!/[[*?]/.test(pattern)) {
      const parameter = BY_NAME.get(pattern.toLowerCase());
      if (parameter !== undefined && !found.has(pattern)) found.set(pattern, parameter);
      continue;
    }
    for (const [name, parameter] of BY_NAME) if (!found.has(name) && globMatch(pattern.toLowerCase(), name)) found.set(name, parameter);
  }
  return map(Array.from(found, ([name, parameter]) => [bulk(name), bulk(String(valueOf(ctx.server, parameter)))] as const));
};

/** CONFIG SET parameter value [parameter value ...]: all or nothing. */
const configSet: CommandHandler = (ctx) => {
  const args = ctx.args;
  if (args.length % 2 === 1) return Errors.arity(ctx.name);
  const changes: [Parameter, bigint][] = [];
  for (let i = 2; i < args.length; i += 2) {
    const name = text(args[i]);
    const parameter = BY_NAME.get(name.toLowerCase());
    if (parameter === undefined) return error(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (changes.some(([p]) => p === parameter)) return error(`ERR Duplicate parameter - ${name}`);
    const value = parameter.memory ? parseMemory(text(args[i + 1])) : parseLongLong(args[i + 1]);
    const failed = (why: string): Reply => error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
    if (value === null) return failed(parameter.memory ? 'argument must be a memory value' : "argument couldn't be parsed into an integer");
    if (value < parameter.min || value > parameter.max) return failed(`argument must be between ${parameter.min} and ${parameter.max} inclusive`);
    changes.push([parameter, value]);
  }
  let values = VALUES.get(ctx.server);
  if (values === undefined) VALUES.set(ctx.server, (values = new Map()));
  for (const [parameter, value] of changes) values.set(parameter, value);
  return OK;
};

export const configCommands: Record<string, CommandHandler> = {
  'config|get': configGet,
  'config|set': configSet,
};
