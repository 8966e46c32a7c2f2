/**
 * How the proxy treats each command, beyond what COMMAND INFO says about keys.
 *
 * Cacheable reads are an explicit list on purpose: a reply may be stored only if it is a pure
 * function of the key's value (no randomness like SRANDMEMBER, no clock like TTL), which no
 * command flag tells.
 */

/** Read commands whose reply is stored in L1, keyed by the key at argument 1. */
export const CACHEABLE_READS: ReadonlySet<string> = new Set([
  'get',
  'getrange',
  'strlen',
  'exists',
  'type',
  'hget',
  'hmget',
  'hgetall',
  'hexists',
  'hlen',
  'hkeys',
  'hvals',
  'hstrlen',
  'lrange',
  'llen',
  'lindex',
  'smembers',
  'sismember',
  'smismember',
  'scard',
  'zrange',
  'zrangebyscore',
  'zrevrange',
  'zrevrangebyscore',
  'zrangebylex',
  'zscore',
  'zmscore',
  'zcard',
  'zcount',
  'zrank',
  'zrevrank',
]);

/**
 * Commands after which replies no longer pair one-to-one with commands (subscriptions push
 * messages, MONITOR streams, SYNC and PSYNC stream the replication feed, REPLCONF ACK and GETACK
 * get no reply, CLIENT REPLY OFF/SKIP silences replies): the connection becomes a transparent
 * pipe to its upstream connection. (REPLCONF is a replica's conversation: all of it goes raw.)
 */
export function switchesToRawMode(name: string, args: Buffer[]): boolean {
  switch (name) {
    case 'subscribe':
    case 'psubscribe':
    case 'ssubscribe':
    case 'monitor':
    case 'sync':
    case 'psync':
    case 'replconf':
      return true;
    case 'client':
      return args.length >= 3 && keyword(args, 1) === 'reply' && keyword(args, 2) !== 'on';
    default:
      return false;
  }
}

/** Answered once per channel named (or once for none): see ClientSession.forwardUnsubscribe. */
export const UNSUBSCRIBE_COMMANDS: ReadonlySet<string> = new Set(['unsubscribe', 'punsubscribe', 'sunsubscribe']);

/** Argument `i` in lower case (undefined past the end): for subcommands and options, not keys. */
export function keyword(args: readonly Buffer[], i: number): string | undefined {
  return args[i]?.toString('latin1').toLowerCase();
}

/** CLIENT TRACKING ON|OFF ...: it changes whether Redis must see this client's reads (see ClientSession). */
export function isClientTracking(args: readonly Buffer[]): boolean {
  return args.length >= 3 && args[1].length === 8 && keyword(args, 1) === 'tracking';
}

/** Commands that change who the connection is or what it sees (database, protocol, user). */
export const SESSION_STATE_COMMANDS: ReadonlySet<string> = new Set(['auth', 'hello', 'select', 'reset']);

/**
 * Commands that change who may read what (users, permissions, the default user's password): L1,
 * filled under the old rules, is flushed when Redis answers them.
 */
export function changesAccess(name: string, args: readonly Buffer[]): boolean {
  if (name === 'acl') {
    const sub = keyword(args, 1);
    return sub === 'setuser' || sub === 'deluser' || sub === 'load';
  }
  if (name !== 'config' || keyword(args, 1) !== 'set') return false;
  for (let i = 2; i < args.length; i += 2) if (keyword(args, i) === 'requirepass') return true;
  return false;
}

/** What Redis lets a client that has not authenticated run. */
export const NO_AUTH_COMMANDS: ReadonlySet<string> = new Set(['auth', 'hello', 'quit', 'reset']);
