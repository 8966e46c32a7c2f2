/** What a command implementation receives, and what it may ask of the server around it. */
import type { Database } from './database.js';
import type { Reply } from './reply.js';
import type { Session } from './session.js';
import type { CommandSpec } from './command-spec.js';
import type { KeyWatch } from './key-watch.js';
import type { PubSub } from './pubsub.js';
import type { Tracking } from './tracking.js';
import type { Scripting } from './scripting/scripting.js';
import type { BlockedClients } from './blocking.js';
import type { CommandCounters, ErrorCounters } from './command-stats.js';

/** The store as the server-level commands (INFO, SWAPDB, CLIENT LIST...) see it. */
export interface Server {
  readonly databaseCount: number;
  database(index: number): Database;
  swapDatabases(a: number, b: number): void;
  flushAll(): void;
  /** FLUSHDB: empties `db`. */
  flushDatabase(db: Database): void;
  sessions(): Iterable<Session>;
  /** A connected client by its id (CLIENT ID). */
  sessionById(id: number): Session | undefined;
  /** The byte budget and what the entries use of it. */
  readonly maxBytes: number;
  readonly usedBytes: number;
  readonly startedAt: number;
  /** For INFO's tcp_port. */
  readonly port: number;
  /** For INFO's maxclients. */
  readonly maxClients: number;
  /** The `default` user's password; undefined: none. */
  readonly requirepass: string | undefined;
  readonly stats: ServerStats;
  /** INFO errorstats. */
  readonly errorStats: ErrorCounters;
  /** INFO commandstats: each command ("get", "client|id") called or refused since start or the last reset. */
  commandStats(): Iterable<[string, CommandCounters]>;
  /** CONFIG RESETSTAT. */
  resetStats(): void;
  /** Every command, top level, in table order. */
  readonly commandSpecs: readonly CommandSpec[];
  /** A command or subcommand by full name ("get", "client|setname"), case-insensitive. */
  findSpec(fullName: string): CommandSpec | undefined;
  /** The command (or subcommand) that `args` would run, if implemented. */
  specFor(args: readonly Buffer[]): CommandSpec | undefined;
  /** Runs one command for `session` (EXEC runs its queue through it). */
  run(session: Session, args: readonly Buffer[]): Reply;
  /** Who WATCHes which keys. */
  readonly watches: KeyWatch;
  /** Who is subscribed to what. */
  readonly pubsub: PubSub;
  /** CLIENT TRACKING: who read which keys, who is told of which changes. */
  readonly tracking: Tracking;
  /** EVAL's scripts cache, the function libraries, and what runs them. */
  readonly scripting: Scripting;
  /** The clock, unix ms (never frozen). */
  clock(): number;
  /** While a script runs, every command it calls sees the instant it started (Redis 7); undefined ends that. */
  freezeClock(at: number | undefined): void;
  /** SHUTDOWN from `session`: asks the host to stop the process; false if no host can. */
  shutdown(session: Session): boolean;
  /** Who is blocked on which keys (BLPOP...). */
  readonly blocked: BlockedClients;
  /** Ends `session`'s blocked command with `reply` (CLIENT UNBLOCK); false if it was not blocked. */
  unblock(session: Session, reply: Reply): boolean;
}

export interface ServerStats {
  commandsProcessed: number;
  connectionsReceived: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  evictedKeys: number;
}

export interface CommandContext {
  readonly server: Server;
  readonly session: Session;
  /** The session's selected database. */
  readonly db: Database;
  /** The command and its arguments; args[0] is the command name. */
  readonly args: readonly Buffer[];
  /** The command's clock, unix ms, read once so that the whole command sees one instant (as Redis does). */
  readonly now: number;
  /** Full lower-case name, for error messages ("set", "client|setname"). */
  readonly name: string;
}

export type CommandHandler = (ctx: CommandContext) => Reply;
