/** One client connection's state, as Redis keeps it per client. */
import type { WatchedKey } from './key-watch.js';
import { Subscriptions } from './pubsub.js';
import type { TrackingState } from './tracking.js';

/** Where a client is connected from, for CLIENT INFO / CLIENT LIST (optional). */
export interface ConnectionInfo {
  /** "ip:port" of the client. */
  address?: string;
  /** "ip:port" the client connected to. */
  localAddress?: string;
}

export class Session {
  /** The selected database. */
  db = 0;
  /** Commands other than AUTH, HELLO, QUIT and RESET may run (Redis: authenticated; false only under requirepass until AUTH). */
  authenticated = true;
  /** RESP version of the replies: 2 until HELLO 3. */
  protocol: 2 | 3 = 2;
  /** CLIENT SETNAME / HELLO SETNAME (latin1), null when unnamed. */
  name: string | null = null;
  /** CLIENT SETINFO LIB-NAME / LIB-VER. */
  libName: string | null = null;
  libVersion: string | null = null;
  /** The commands queued since MULTI (copies of their arguments); undefined outside a transaction. */
  transaction: Buffer[][] | undefined = undefined;
  /** A command was refused while queueing (unknown, wrong arity): EXEC will refuse the transaction. */
  transactionRefused = false;
  /** WATCHed keys (see key-watch.ts). */
  watched: WatchedKey[] = [];
  /** A write touched a watched key since WATCH: EXEC will refuse the transaction. */
  watchTouched = false;
  /** EXEC is running the queued commands (SSUBSCRIBE refuses to run there, as in Redis). */
  inExec = false;
  /** Channels and patterns subscribed to (see pubsub.ts). */
  readonly subscriptions = new Subscriptions();
  /** CLIENT TRACKING's settings; undefined while tracking is off. */
  tracking: TrackingState | undefined = undefined;
  /**
   * Where bytes for this client that are no reply to its command go (pub/sub messages,
   * invalidations), set by whoever holds its connection; without it they are dropped.
   */
  deliver: ((bytes: Buffer) => void) | undefined = undefined;
  /** Set by QUIT: the caller writes the reply, then closes the connection. */
  closeAfterReply = false;
  /** The last command run, as CLIENT LIST shows it ("get", "client|list"). */
  lastCommand = 'NULL';
  lastInteraction: number;

  constructor(
    readonly id: number,
    readonly createdAt: number,
    readonly connection: ConnectionInfo = {},
  ) {
    this.lastInteraction = createdAt;
  }
}
