/**
 * The embedded store: what `cachee start` serves when there is no upstream Redis. A pure,
 * synchronous command executor: arguments in, the exact bytes Redis would reply out, in the
 * session's protocol. No sockets, no timers of its own (one microtask: see queueBroadcast).
 *
 * All databases share one engine (src/core) bounded by `maxBytes`, with keys prefixed by their
 * database: the budget is global, as Redis's maxmemory is, and the engine's W-TinyLFU policy
 * chooses what to evict across databases (as allkeys-lfu does). Every entry's size counts its
 * key and value (see values.ts), so the budget holds by eviction, never by refusing writes.
 */
import { constants } from 'node:buffer';
import { Cache } from '../core/cache.js';
import { hottestByName, type HotKey } from '../metrics/hot-keys.js';
import type { EvictionReason } from '../core/options.js';
import { cString, isKeyword, text, upperAscii } from './arguments.js';
import type { CommandContext, CommandHandler, Server, ServerStats } from './command-context.js';
import { keyIndexes, type CommandSpec } from './command-spec.js';
import { CommandTable, type Command } from './command-table.js';
import { CommandCounters, ErrorCounters, TIMED_CALL_MASK } from './command-stats.js';
import { Database, type WriteListener } from './database.js';
import { BlockedClients } from './blocking.js';
import { KeyWatch } from './key-watch.js';
import { PubSub } from './pubsub.js';
import { Tracking, type TrackingHost } from './tracking.js';
import { encodeReply, error, Errors, OK, status, type Reply } from './reply.js';
import { RUN_IN_TRANSACTION } from './commands/transactions.js';
import { Session, type ConnectionInfo } from './session.js';
import { Scripting } from './scripting/scripting.js';
import { SCRIPT_TIME_LIMIT_MS } from './scripting/script-runner.js';
import { entryBytes, type Entry } from './values.js';

export interface StoreOptions {
  /** The byte budget of all keys and values together (`--l1-memory`). */
  maxBytes: number;
  /** Number of databases for SELECT; default 16, at most 65536. */
  databases?: number;
  /** The clock, unix ms; default Date.now. Expiry deadlines are absolute on this clock. */
  now?: () => number;
  /** The port clients connect to, for INFO's tcp_port (default 0). */
  port?: number;
  /** The front's connection limit, for INFO's maxclients (default 10000, as Redis's). */
  maxClients?: number;
  /** The `default` user's password (Redis: requirepass); none: every connection is `default` at once. */
  requirepass?: string;
  /**
   * A script that runs this long (ms) without a write is stopped with an error (default 5000,
   * Redis's lua-time-limit; 0: never): no other client is served while a script runs.
   */
  scriptTimeLimit?: number;
  /**
   * SHUTDOWN from a client (its options already checked): stop serving and end the process.
   * Called during the command; the client gets no reply. Absent: SHUTDOWN is refused.
   */
  onShutdown?: (session: Session) => void;
}

const MAX_DATABASES = 65536;
const { MAX_STRING_LENGTH } = constants;
/** Redis prints at most this much of an unknown command's name and arguments. */
const ECHO_LIMIT = 128;
const NOTHING = Buffer.alloc(0);
const STRING_TOO_LONG = error('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
const QUEUED = status('QUEUED');
/** Read-only scripts: the keys they name are not what they read (the commands they run are tracked instead), as in Redis. */
const READ_ONLY_SCRIPTS: ReadonlySet<string> = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);
/** The commands that run a script, whose declared keys stand for what the script reads. */
const SCRIPT_CALLS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'fcall', ...READ_ONLY_SCRIPTS]);
/** What a RESP2 client may run while subscribed (processCommand's pub/sub check). */
const ALLOWED_WHILE_SUBSCRIBED: ReadonlySet<string> = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

/** Whether `reply` is out-of-band data only (SUBSCRIBE and kin answer with pushes). */
function isPushOnly(reply: Reply): boolean {
  if (reply.kind === 'push') return true;
  return reply.kind === 'frames' && reply.replies.length > 0 && reply.replies.every((item) => item.kind === 'push');
}

export class Store implements Server, WriteListener, TrackingHost {
  readonly maxBytes: number;
  readonly watches = new KeyWatch();
  readonly pubsub = new PubSub((session, bytes) => this.send(session, bytes));
  readonly tracking = new Tracking(this);
  readonly scripting: Scripting;
  readonly blocked = new BlockedClients();
  readonly databaseCount: number;
  readonly startedAt: number;
  readonly port: number;
  readonly maxClients: number;
  readonly requirepass: string | undefined;
  readonly stats: ServerStats = {
    commandsProcessed: 0,
    connectionsReceived: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    evictedKeys: 0,
  };

  /** INFO errorstats: error replies by code. */
  readonly errorStats = new ErrorCounters();
  /** errorStats.total when the last command (or refusal) ended: one that replied errors since failed. */
  private errorsAtLastCall = 0;

  readonly clock: () => number;
  /** Set while a script runs: the instant its commands see. */
  private frozenAt: number | undefined;
  /** The EVAL or FCALL whose script runs now (its spec and arguments), for tracking. */
  private scriptCall: { spec: CommandSpec; args: readonly Buffer[] } | undefined;
  private readonly onShutdown: ((session: Session) => void) | undefined;
  private readonly engine: Cache<string, Entry>;
  private readonly table = new CommandTable();
  /** By database number; SWAPDB swaps two of these. */
  private readonly databases: Database[];
  /** By the number in their key prefix, which never changes. */
  private readonly owners: Database[];
  private readonly prefixWidth: number;
  private readonly liveSessions = new Map<number, Session>();
  private nextSessionId = 1;
  /** While a command's own invalidations are sent (after its reply): the session, and the bytes for it. */
  private trailer: { session: Session; bytes: Buffer[] } | undefined;
  /** A broadcast is queued for the keys that changed by no client's input (see onEvict). */
  private broadcastQueued = false;

  constructor(options: StoreOptions) {
    const { maxBytes, databases = 16, now = Date.now, port = 0, maxClients = 10000, scriptTimeLimit = SCRIPT_TIME_LIMIT_MS, onShutdown } = options;
    if (typeof maxBytes !== 'number' || !Number.isFinite(maxBytes) || maxBytes <= 0) {
      throw new RangeError(`maxBytes must be a finite number > 0, got ${String(maxBytes)}`);
    }
    if (!Number.isInteger(databases) || databases < 1 || databases > MAX_DATABASES) {
      throw new RangeError(`databases must be an integer from 1 to ${MAX_DATABASES}, got ${String(databases)}`);
    }
    if (typeof scriptTimeLimit !== 'number' || !(scriptTimeLimit >= 0)) {
      throw new RangeError(`scriptTimeLimit must be a number of ms >= 0, got ${String(scriptTimeLimit)}`);
    }
    this.scripting = new Scripting(scriptTimeLimit);
    this.maxBytes = maxBytes;
    this.databaseCount = databases;
    this.port = port;
    this.maxClients = maxClients;
    this.requirepass = options.requirepass;
    this.clock = now;
    this.onShutdown = onShutdown;
    this.startedAt = now();
    this.engine = new Cache<string, Entry>({
      maxBytes,
      sizeOf: (entry, key) => entryBytes(key, entry),
      // --l1-memory bounds all the store holds: the engine's structures and the databases' indexes too.
      countStructures: true,
      externalBytes: () => this.owners.reduce((sum, database) => sum + database.indexBytes, 0),
      onEvict: (key, entry, reason) => this.onEvict(key, entry, reason),
      // While a script runs, expiry sees the instant it started, as every command in it does.
      now: () => this.frozenAt ?? now(),
    });
    // One latin1 char of prefix while it can number every database, so keys stay one byte per char.
    this.prefixWidth = databases <= 256 ? 1 : 2;
    this.owners = Array.from({ length: databases }, (_, i) => new Database(this.engine, this.prefixFor(i), this.stats));
    this.databases = [...this.owners];
    this.databases.forEach((db, index) => {
      db.index = index;
      db.writes = this;
    });
  }

  // ---------------------------------------------------------------- sessions

  /** A new client connection: database 0, RESP2, no name, a fresh id. */
  newSession(connection?: ConnectionInfo): Session {
    const session = new Session(this.nextSessionId++, this.clock(), connection);
    session.authenticated = this.requirepass === undefined;
    this.liveSessions.set(session.id, session);
    this.stats.connectionsReceived++;
    return session;
  }

  /** The connection closed (for INFO's connected_clients and CLIENT LIST). */
  endSession(session: Session): void {
    this.liveSessions.delete(session.id);
    this.blocked.unblock(session);
    this.watches.unwatchAll(session);
    this.pubsub.unsubscribeAll(session);
    this.tracking.disable(session);
  }

  sessions(): Iterable<Session> {
    return this.liveSessions.values();
  }

  sessionById(id: number): Session | undefined {
    return this.liveSessions.get(id);
  }

  /**
   * Bytes for `session` that are no reply to its command (pub/sub messages, invalidations): to its
   * `deliver`, at once (before the reply of a command running now, as Redis writes them), or
   * after its reply if they are what its own command owes it (see execute).
   */
  send(session: Session, bytes: Buffer): void {
    if (this.trailer?.session === session) this.trailer.bytes.push(bytes);
    else session.deliver?.(bytes);
  }

  /**
   * The end of a batch of input (Redis: beforeSleep): BCAST clients are told of the keys changed
   * under their prefixes meanwhile, one message per prefix.
   */
  broadcastInvalidations(): void {
    this.tracking.broadcast();
  }

  /** Connections open now. */
  get sessionCount(): number {
    return this.liveSessions.size;
  }

  // ---------------------------------------------------------------- commands

  /**
   * Runs one command and returns Redis's reply bytes in the session's protocol; empty for an
   * empty command (which Redis ignores). After QUIT, `session.closeAfterReply` is set.
   */
  execute(session: Session, args: readonly Buffer[]): Buffer {
    if (args.length === 0) return NOTHING;
    const tracking = this.tracking;
    // Before the command, as Redis's processCommand: its messages precede the command's reply.
    if (tracking.keyCount > tracking.maxKeys) tracking.limitKeys(session);
    // Only a tracking client's command is told apart from others' (see Tracking.running).
    if (session.tracking !== undefined) tracking.running = session;
    let result: Reply;
    let reply: Buffer;
    try {
      result = this.run(session, args);
      reply = encodeReply(result, session.protocol);
    } catch (error) {
      tracking.running = undefined;
      throw error;
    }
    if (session.replies !== 'on') reply = this.afterReplyMode(session, reply, isPushOnly(result));
    if (tracking.running !== undefined) reply = this.afterTrackedCommand(session, args, reply);
    return this.blocked.hasReady ? this.serveBlocked(session, reply) : reply;
  }

  /**
   * After `session`'s command, whose reply is `reply`: the clients blocked on the keys it made
   * ready are served, first come first, each key while it holds something (Redis's
   * handleClientsBlockedOnKeys); a served command may make more keys ready (BLMOVE). What those
   * commands owe `session` (invalidations) goes after its reply.
   */
  private serveBlocked(session: Session, reply: Buffer): Buffer {
    const trailer = (this.trailer = { session, bytes: [reply] });
    try {
      for (let ready = this.blocked.nextReady(); ready !== undefined; ready = this.blocked.nextReady()) {
        for (const waiter of this.blocked.waiters(ready.db, ready.key)) {
          const command = waiter.blocked;
          if (command === undefined) continue;
          const db = this.databases[command.db];
          const now = this.clock();
          if (db.getForWrite(ready.key, now) === undefined) break;
          // A tracking waiter's own invalidations follow its reply, as they would its own command's.
          if (waiter.tracking !== undefined) this.tracking.running = waiter;
          try {
            const served = command.serve({ server: this, session: waiter, db, args: [], now, name: waiter.lastCommand }, ready.key);
            if (served !== undefined) this.unblock(waiter, served);
            if (this.tracking.running === waiter && this.tracking.hasPending) this.tracking.sendPending(waiter);
          } finally {
            this.tracking.running = undefined;
          }
        }
      }
    } finally {
      this.trailer = undefined;
    }
    return trailer.bytes.length === 1 ? reply : Buffer.concat(trailer.bytes);
  }

  unblock(session: Session, reply: Reply): boolean {
    if (this.blocked.unblock(session) === undefined) return false;
    // CLIENT UNBLOCK ... ERROR: the blocked command (a call when it blocked, as in Redis 7.0) failed.
    if (reply.kind === 'error') {
      const stats = this.table.find(session.lastCommand)?.stats;
      if (stats !== undefined) stats.failedCalls++;
      this.errorStats.count(reply.message);
    }
    // CLIENT REPLY OFF or SKIP holds for the blocked command's late reply too, as in Redis.
    const mode = session.replies;
    if (mode === 'skip') session.replies = 'on';
    if (mode === 'on') this.send(session, encodeReply(reply, session.protocol));
    session.resume?.();
    return true;
  }

  /**
   * Ends `session`'s blocked command with its timeout reply if its deadline has passed; returns
   * the ms left otherwise (undefined when it is not blocked, or waits without a deadline). The
   * connection holding it calls this when its timer fires.
   */
  timeOutBlocked(session: Session): number | undefined {
    const command = session.blocked;
    if (command === undefined || command.deadline === 0) return undefined;
    const left = command.deadline - this.clock();
    if (left > 0) return left;
    this.unblock(session, command.timeoutReply);
    return undefined;
  }

  /**
   * CLIENT REPLY OFF or SKIP: the reply dropped, unless it is pushes only (SUBSCRIBE's
   * confirmations go out anyway, in RESP2 too: Redis's CLIENT_PUSHING); a SKIP given now takes
   * effect for the next command.
   */
  private afterReplyMode(session: Session, reply: Buffer, pushes: boolean): Buffer {
    const mode = session.replies;
    if (mode === 'skip next') {
      session.replies = 'skip';
      return reply;
    }
    // A blocked command's SKIP lasts until its reply comes (see unblock).
    if (mode === 'skip' && session.blocked === undefined) session.replies = 'on';
    return pushes ? reply : NOTHING;
  }

  /** The reply, then the invalidations the command owes its own client; CLIENT CACHING's flag spent. */
  private afterTrackedCommand(session: Session, args: readonly Buffer[], reply: Buffer): Buffer {
    this.tracking.running = undefined;
    const state = session.tracking;
    // Redis's resetClient: the flag lasts through a transaction and CLIENT's own subcommands.
    if (state?.caching && session.transaction === undefined) {
      const found = this.table.lookup(args);
      if (!('command' in found) || found.command.spec.name.split('|')[0] !== 'client') state.caching = false;
    }
    if (!this.tracking.hasPending) return reply;
    const trailer = (this.trailer = { session, bytes: [reply] });
    try {
      this.tracking.sendPending(session);
    } finally {
      this.trailer = undefined;
    }
    return Buffer.concat(trailer.bytes);
  }

  /** Like execute, returning the reply as a value; `args` must hold at least the command name. */
  run(session: Session, args: readonly Buffer[]): Reply {
    if (args.length === 0) throw new RangeError('run: a command needs at least its name');
    const now = this.frozenAt ?? this.clock();
    session.lastInteraction = now;
    this.stats.commandsProcessed++;
    // Redis 7.0 answers QUIT before looking commands up, whatever its arguments.
    if (isKeyword(args[0], 'quit')) {
      session.closeAfterReply = true;
      session.lastCommand = 'quit';
      return OK;
    }
    // Redis takes strings up to 512 MiB; V8's strings stop 24 bytes short of that.
    if (args.some((arg) => arg.length > MAX_STRING_LENGTH)) return STRING_TOO_LONG;
    const found = this.table.lookup(args);
    if ('unknown' in found) return this.reject(session, undefined, unknownCommand(args));
    if ('unknownSubcommandOf' in found) {
      const sub = cString(args[1], ECHO_LIMIT);
      return this.reject(session, undefined, error(`ERR unknown subcommand '${sub}'. Try ${upperAscii(text(args[0]))} HELP.`));
    }
    const command = found.command;
    const { spec, run } = command;
    if ((spec.arity > 0 && args.length !== spec.arity) || args.length < -spec.arity || run === undefined) {
      if (spec.name !== 'exec') return this.reject(session, command, Errors.arity(spec.name));
      command.stats.rejectedCalls++;
      return this.countError(abortTransaction(session, Errors.arity(spec.name)));
    }
    if (!session.authenticated && !spec.flags.includes('no_auth')) return this.reject(session, command, Errors.noauth);
    if (session.subscriptions.active && session.protocol === 2 && !ALLOWED_WHILE_SUBSCRIBED.has(spec.name)) {
      return this.reject(
        session,
        command,
        error(`ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`),
      );
    }
    if (session.transaction !== undefined && spec.flags.includes('no_multi')) {
      return this.reject(session, command, error('ERR Command not allowed inside a transaction'));
    }
    if (session.transaction !== undefined && !RUN_IN_TRANSACTION.has(spec.name)) {
      // Copied: the caller's buffers may be reused before EXEC.
      session.transaction.push(args.map((arg) => Buffer.from(arg)));
      return QUEUED;
    }
    session.lastCommand = spec.name;
    const ctx: CommandContext = { server: this, session, db: this.databases[session.db], args, now, name: spec.name };
    const stats = command.stats;
    const timed = (stats.calls & TIMED_CALL_MASK) === 0;
    const started = timed ? performance.now() : 0;
    const reply = SCRIPT_CALLS.has(spec.name) && this.scriptCall === undefined ? this.runScriptCall(ctx, spec, run) : run(ctx);
    if (timed) {
      stats.timedUsec += (performance.now() - started) * 1000;
      stats.timedCalls++;
    }
    stats.calls++;
    const errors = this.errorStats;
    if (reply.kind === 'error' && reply.counted !== true) errors.count(reply.message);
    // Redis's incrCommandStatsOnError: failed if an error was replied since the last call ended
    // (CLIENT UNBLOCK ... ERROR's to the blocked client too, a command's in a script not twice).
    if (errors.total !== this.errorsAtLastCall || (reply.kind === 'error' && reply.counted === true)) stats.failedCalls++;
    this.errorsAtLastCall = errors.total;
    if (session.tracking !== undefined && !session.tracking.bcast) this.rememberReads(session, spec, args);
    return reply;
  }

  /** A command refused before it runs (Redis's rejectCommand): a rejected call of it, if it exists; inside MULTI it dooms the transaction (EXECABORT). */
  private reject(session: Session, command: Command | undefined, reply: Reply): Reply {
    if (command !== undefined) command.stats.rejectedCalls++;
    if (session.transaction !== undefined) session.transactionRefused = true;
    return this.countError(reply);
  }

  private countError(reply: Reply): Reply {
    if (reply.kind === 'error') this.errorStats.count(reply.message);
    this.errorsAtLastCall = this.errorStats.total;
    return reply;
  }

  /** INFO commandstats: the commands called or refused since start or CONFIG RESETSTAT. */
  *commandStats(): IterableIterator<[string, CommandCounters]> {
    for (const command of this.table.all()) {
      const stats = command.stats;
      if (stats.calls > 0 || stats.rejectedCalls > 0 || stats.failedCalls > 0) yield [command.spec.name, stats];
    }
  }

  /** CONFIG RESETSTAT: the command and error figures start again (the keyspace ones do not: cachee's metrics count on them). */
  resetStats(): void {
    for (const command of this.table.all()) command.stats.reset();
    this.errorStats.reset();
    this.errorsAtLastCall = 0;
    this.stats.commandsProcessed = 0;
    this.stats.connectionsReceived = 0;
  }

  private runScriptCall(ctx: CommandContext, spec: CommandSpec, run: CommandHandler): Reply {
    this.scriptCall = { spec, args: ctx.args };
    try {
      return run(ctx);
    } finally {
      this.scriptCall = undefined;
    }
  }

  /**
   * The keys a tracking client's read-only command named (Redis's call(): whatever it replied).
   * A command a script runs stands for its script: the keys remembered are those the EVAL or
   * FCALL declared (Redis 7.0 tracks the script's caller by its own arguments).
   */
  private rememberReads(session: Session, spec: CommandSpec, args: readonly Buffer[]): void {
    if (!spec.flags.includes('readonly') || spec.flags.includes('pubsub') || READ_ONLY_SCRIPTS.has(spec.name)) return;
    const call = this.scriptCall ?? { spec, args };
    const keys = Array.from(keyIndexes(call.spec, call.args), ([index]) => call.args[index].toString('latin1'));
    if (keys.length > 0) this.tracking.remember(session, session.tracking!, keys);
  }

  // ---------------------------------------------------------------- Server

  freezeClock(at: number | undefined): void {
    this.frozenAt = at;
  }

  get usedBytes(): number {
    return this.engine.bytes;
  }

  /** Bytes the entries use, within `maxBytes`. */
  get bytes(): number {
    return this.engine.bytes;
  }

  /** Keys in all databases. */
  get keyCount(): number {
    return this.databases.reduce((sum, db) => sum + db.size, 0);
  }

  /** Newcomers the engine's admission policy declined (each also an eviction). */
  get rejections(): number {
    return this.engine.stats().rejections;
  }

  /**
   * The `limit` hottest keys by the engine's frequency estimate (Cache.hottest: a bounded sample,
   * never a full scan), a key held in several databases counted once with its estimates summed.
   */
  hottestKeys(limit: number): HotKey[] {
    return hottestByName(this.engine, (key) => key.slice(this.prefixWidth), limit);
  }

  get commandSpecs(): readonly CommandSpec[] {
    return this.table.specs;
  }

  findSpec(fullName: string): CommandSpec | undefined {
    return this.table.findSpec(fullName);
  }

  specFor(args: readonly Buffer[]): CommandSpec | undefined {
    const found = this.table.lookup(args);
    return 'command' in found ? found.command.spec : undefined;
  }

  database(index: number): Database {
    return this.databases[index];
  }

  swapDatabases(a: number, b: number): void {
    const [first, second] = [this.databases[a], this.databases[b]];
    if (!this.watches.idle) {
      // As Redis: a key watched in either is touched if it exists in either.
      const now = this.clock();
      const inEither = (key: string) => first.peek(key, now) !== undefined || second.peek(key, now) !== undefined;
      this.watches.touchedAll(a, inEither);
      this.watches.touchedAll(b, inEither);
    }
    [this.databases[a], this.databases[b]] = [second, first];
    first.index = b;
    second.index = a;
    // Clients blocked in either database may find their keys there now.
    this.blocked.touchedAll(a);
    this.blocked.touchedAll(b);
  }

  flushAll(): void {
    for (const db of this.databases) this.flushing(db);
    this.engine.clear();
    for (const db of this.databases) db.reset();
    this.tracking.flushed();
  }

  shutdown(session: Session): boolean {
    if (this.onShutdown === undefined) return false;
    this.onShutdown(session);
    return true;
  }

  flushDatabase(db: Database): void {
    db.flush();
    this.tracking.flushed();
  }

  // ---------------------------------------------------------------- WriteListener (WATCH)

  touched(db: Database, key: string): void {
    this.watches.touched(db.index, key);
    this.blocked.touched(db.index, key);
    if (!this.tracking.idle) this.tracking.keyChanged(key, true);
  }

  /** `db` is about to be emptied: the watched keys it holds are touched. */
  flushing(db: Database): void {
    if (this.watches.idle) return;
    const now = this.clock();
    this.watches.touchedAll(db.index, (key) => db.peek(key, now) !== undefined);
  }

  // ---------------------------------------------------------------- engine

  private prefixFor(index: number): string {
    return this.prefixWidth === 1 ? String.fromCharCode(index) : String.fromCharCode(index >> 8, index & 0xff);
  }

  private onEvict(key: string, entry: Entry, reason: EvictionReason): void {
    const owner = this.prefixWidth === 1 ? key.charCodeAt(0) : (key.charCodeAt(0) << 8) | key.charCodeAt(1);
    this.owners[owner]?.forget(key, entry);
    if (reason === 'size') this.stats.evictedKeys++;
    else if (reason === 'expired') this.stats.expiredKeys++;
    // Gone by the store's doing rather than a command's: tracking clients are told all the same.
    if ((reason === 'size' || reason === 'expired') && !this.tracking.idle) {
      this.tracking.keyChanged(key.slice(this.prefixWidth), false);
      if (this.tracking.owesBroadcast) this.queueBroadcast();
    }
  }

  /**
   * BCAST clients hear of a change no client's input caused (the engine's expiry sweep) once the
   * sweep is done, as Redis's beforeSleep follows its expiry cycle, rather than whenever some
   * client next sends something. The store's one asynchronous step: a microtask, which the end of
   * a batch of input (broadcastInvalidations) usually makes find nothing left to send.
   */
  private queueBroadcast(): void {
    if (this.broadcastQueued) return;
    this.broadcastQueued = true;
    queueMicrotask(() => {
      this.broadcastQueued = false;
      this.tracking.broadcast();
    });
  }
}

/** EXEC refused (its arguments): Redis drops the transaction, if any, and says why. */
function abortTransaction(session: Session, reply: Reply): Reply {
  session.transaction = undefined;
  session.transactionRefused = false;
  const message = reply.kind === 'error' ? reply.message.replace(/^ERR /, '') : '';
  return error(`EXECABORT Transaction discarded because of: ${message}`);
}

/** Redis's reply to an unknown command: its name and the start of its arguments, quoted. */
function unknownCommand(args: readonly Buffer[]): Reply {
  let echoed = '';
  for (let i = 1; i < args.length && echoed.length < ECHO_LIMIT; i++) {
    echoed += `'${cString(args[i], ECHO_LIMIT - echoed.length)}' `;
  }
  return error(`ERR unknown command '${cString(args[0], ECHO_LIMIT)}', with args beginning with: ${echoed}`);
}
