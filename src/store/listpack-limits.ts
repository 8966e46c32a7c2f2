/**
 * zset-max-listpack-entries / -value and hash-max-listpack-entries / -value (and their old
 * ziplist names), as CONFIG sees them: the limits past which Redis 7.0 holds a sorted set as a
 * skiplist, or a hash as a hash table, rather than a listpack, which the store follows
 * (zset-value.ts, values.ts). Each server has its own.
 */
import { LLONG_MAX, parseLongLong } from './arguments.js';
import type { Server } from './command-context.js';

export interface ListpackLimits {
  readonly entries: number;
  readonly value: number;
}

/** A CONFIG parameter: its value, why a value is refused (if it is), and how it is applied. */
export interface ConfigParameter {
  get(server: Server): string;
  check(server: Server, value: string): string | undefined;
  set?(server: Server, value: string): void;
}

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

/** One type's two limits: its current values per server, and its four CONFIG names. */
interface TypeLimits {
  readonly of: (server: Server) => ListpackLimits;
  readonly parameters: readonly (readonly [string, ConfigParameter])[];
}

function typeLimits(type: 'zset' | 'hash', defaults: ListpackLimits): TypeLimits {
  const limits = new WeakMap<Server, ListpackLimits>();
  const of = (server: Server): ListpackLimits => limits.get(server) ?? defaults;

  /** A size_t setting from 0 to LONG_MAX, plain (INTEGER_CONFIG) or with a unit (MEMORY_CONFIG). */
  function limit(which: keyof ListpackLimits, memory: boolean): ConfigParameter {
    const parse = (value: string) => (memory ? parseMemory(value) : parseLongLong(value));
    return {
      get: (server) => String(of(server)[which]),
      check: (_, value) => {
        const number = parse(value);
        if (number === null) return memory ? 'argument must be a memory value' : "argument couldn't be parsed into an integer";
        return number < 0n ? `argument must be between 0 and ${LLONG_MAX} inclusive` : undefined;
      },
      set: (server, value) => limits.set(server, { ...of(server), [which]: Number(parse(value)) }),
    };
  }

  const entries = limit('entries', false);
  const value = limit('value', true);
  return {
    of,
    parameters: [
      [`${type}-max-listpack-entries`, entries],
      [`${type}-max-ziplist-entries`, entries],
      [`${type}-max-listpack-value`, value],
      [`${type}-max-ziplist-value`, value],
    ],
  };
}

/** Redis 7.0's defaults: a sorted set of up to 128 members, a hash of up to 512 fields, each of up to 64 bytes. */
const ZSET_LIMITS = typeLimits('zset', { entries: 128, value: 64 });
const HASH_LIMITS = typeLimits('hash', { entries: 512, value: 64 });

export const zsetListpackLimits = ZSET_LIMITS.of;
export const hashListpackLimits = HASH_LIMITS.of;

/** The eight names, for CONFIG's table. */
export const LISTPACK_CONFIG_PARAMETERS = [...ZSET_LIMITS.parameters, ...HASH_LIMITS.parameters];
