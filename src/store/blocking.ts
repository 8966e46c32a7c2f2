/**
 * Clients blocked on keys (BLPOP and the like), after Redis's blocked.c: who waits on which key
 * of which database (first come, first served), and which of those keys a write touched since
 * they were last looked at. The store serves the ready keys after each command (Redis's
 * handleClientsBlockedOnKeys); the connection holding a blocked client stops running its input
 * until the client is served, times out or is unblocked (CLIENT UNBLOCK, or it disconnects).
 *
 * Redis marks a key ready when a list is created under it; here any write to a key someone waits
 * on marks it, and serving looks at what the key holds then, which comes to the same: a waiter
 * is served only from a key that holds a value of the kind it waits for.
 */
import type { CommandContext } from './command-context.js';
import type { Reply } from './reply.js';
import type { Session } from './session.js';

/** What a blocked command needs to finish later. */
export interface BlockedCommand {
  /** The database number it blocked in (Redis keeps the client's db, which SWAPDB swaps the contents of). */
  readonly db: number;
  readonly keys: readonly string[];
  /** Unix ms at which it times out; 0: never. */
  readonly deadline: number;
  /** Its reply on timeout (and CLIENT UNBLOCK [TIMEOUT]). */
  readonly timeoutReply: Reply;
  /**
   * Serves it from `key`, which a write made ready: its reply, or undefined when the key holds
   * nothing it can take (it goes on waiting).
   */
  serve(ctx: CommandContext, key: string): Reply | undefined;
}

/** What a blocking command returns once it blocked: no reply yet (an empty frame list encodes to nothing). */
export const BLOCKED: Reply = { kind: 'frames', replies: [] };

export interface ReadyKey {
  readonly db: number;
  readonly key: string;
}

export class BlockedClients {
  /** Database number -> key -> the sessions waiting on it, in the order they blocked. */
  private readonly waiting = new Map<number, Map<string, Set<Session>>>();
  private readyQueue: ReadyKey[] = [];
  /** The ready keys queued, as `db:key`, not to queue one twice. */
  private readonly queued = new Set<string>();
  private blockedCount = 0;

  /** Clients blocked now (INFO's blocked_clients). */
  get count(): number {
    return this.blockedCount;
  }

  /** Whether any key waits to be served (the write paths' fast exit is `waiting.size`). */
  get hasReady(): boolean {
    return this.readyQueue.length > 0;
  }

  block(session: Session, command: BlockedCommand): void {
    session.blocked = command;
    this.blockedCount++;
    let keys = this.waiting.get(command.db);
    if (keys === undefined) this.waiting.set(command.db, (keys = new Map()));
    for (const key of command.keys) {
      let sessions = keys.get(key);
      if (sessions === undefined) keys.set(key, (sessions = new Set()));
      sessions.add(session);
    }
  }

  /** Forgets the session's wait (served, timed out, unblocked or gone); returns its command. */
  unblock(session: Session): BlockedCommand | undefined {
    const command = session.blocked;
    if (command === undefined) return undefined;
    session.blocked = undefined;
    this.blockedCount--;
    const keys = this.waiting.get(command.db);
    if (keys === undefined) return command;
    for (const key of command.keys) {
      const sessions = keys.get(key);
      if (sessions === undefined) continue;
      sessions.delete(session);
      if (sessions.size === 0) keys.delete(key);
    }
    if (keys.size === 0) this.waiting.delete(command.db);
    return command;
  }

  /** A write touched `key` of database `db`: if someone waits on it, it is served after the command. */
  touched(db: number, key: string): void {
    if (this.waiting.size === 0) return;
    if (this.waiting.get(db)?.has(key) !== true) return;
    const id = `${db}:${key}`;
    if (this.queued.has(id)) return;
    this.queued.add(id);
    this.readyQueue.push({ db, key });
  }

  /** Every key waited on in database `db` is ready (SWAPDB gave it other contents). */
  touchedAll(db: number): void {
    for (const key of this.waiting.get(db)?.keys() ?? []) this.touched(db, key);
  }

  /** The next ready key, in the order they became ready; undefined when none is left. */
  nextReady(): ReadyKey | undefined {
    const ready = this.readyQueue.shift();
    if (ready !== undefined) this.queued.delete(`${ready.db}:${ready.key}`);
    return ready;
  }

  /** The sessions waiting on `key` of `db` now, first come first. */
  waiters(db: number, key: string): Session[] {
    return Array.from(this.waiting.get(db)?.get(key) ?? []);
  }
}
