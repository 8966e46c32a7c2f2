/**
 * Follows the upstream's users and permissions, so that L1 never answers a client with what
 * Redis would now refuse it. Redis reports no ACL change (CLIENT TRACKING covers keys, not
 * users), so the watch reads, every ACL_POLL_MS on a connection of its own (with the URL's
 * credentials), `ACL LIST` and how many times the commands that change it have run (`INFO
 * commandstats`: ACL SETUSER, DELUSER, LOAD, CONFIG SET), and reports any difference: the proxy
 * then flushes L1, which refills only with replies Redis gave under the new rules. The counts
 * catch a change undone between two reads, which leaves the list as it was (a grant, a read
 * under it, its revocation). While the watch cannot read the list (connection down, NOPERM), it
 * reports the ACL as not followed and L1 answers no one.
 *
 * Cost: one `ACL LIST` and one `INFO commandstats` per ACL_POLL_MS. ACL LIST: with 2 users, 60
 * bytes, 100 users, 11 KB; INFO commandstats: about 90 bytes per command the server has run;
 * Redis 7.0 answers either in about the time of a PING (redis-benchmark -c 1 on the dev VM). An
 * upstream without ACLs (before Redis 6: `ACL` is an unknown command) has nothing to follow.
 */
import { decodeReply } from '../resp/decode.js';
import { UpstreamConnection, type UpstreamTarget } from '../tier/redis-connection.js';
import { authenticate } from '../tier/upstream-auth.js';

/** How often the list is read: the bound on how long a change made beside the proxy goes unseen. */
export const ACL_POLL_MS = 100;

/**
 * `ACL LIST`'s reply and the counts of the commands that change it (empty when INFO is
 * refused); 'none' for an upstream without ACLs.
 */
export type AclSnapshot = { list: Buffer; changes: string } | 'none';

/** INFO commandstats lines of the commands that change users or the default user's password. */
const ACL_CHANGES = /^cmdstat_(?:acl\|setuser|acl\|deluser|acl\|load|config\|set):calls=\d+/gm;

/** The upstream user may not read the ACL (NOPERM): changes cannot be followed. */
export class AclUnreadable extends Error {}

/** Reads the ACL on an authenticated connection. */
export async function readAcl(connection: UpstreamConnection): Promise<AclSnapshot> {
  const [reply, stats] = await Promise.all([connection.call(['ACL', 'LIST']), connection.call(['INFO', 'commandstats'])]);
  if (reply[0] === 0x2d) {
    const error = reply.toString('latin1', 1).trim();
    if (/^ERR unknown command/i.test(error)) return 'none';
    throw new AclUnreadable(`the upstream user may not run ACL LIST (${error})`);
  }
  const changes = stats[0] === 0x2d ? '' : (stats.toString('latin1').match(ACL_CHANGES) ?? []).join(',');
  return { list: Buffer.from(reply), changes };
}

function sameAcl(a: AclSnapshot | undefined, b: AclSnapshot): boolean {
  if (a === undefined || a === 'none' || b === 'none') return a === b;
  return a.changes === b.changes && a.list.equals(b.list);
}

/** Whether the `default` user is on and needs no password, by the ACL (undefined: no ACL to tell). */
export function defaultUserOpenIn(acl: AclSnapshot): boolean | undefined {
  if (acl === 'none') return undefined;
  const lines = decodeReply(acl.list);
  if (!Array.isArray(lines)) return undefined;
  for (const line of lines) {
    const words = String(line).split(' ');
    if (words[0] === 'user' && words[1] === 'default') return words.includes('on') && words.includes('nopass');
  }
  return false;
}

export interface AclWatchOptions {
  target: UpstreamTarget;
  timeout: number;
  /** What the proxy read at start-up; undefined: it could not (NOPERM). */
  initial: AclSnapshot | undefined;
  /** The ACL changed: L1 holds what was read under the old rules. */
  onChange(acl: AclSnapshot): void;
  /** Whether the ACL is followed now; `detail` says why not. */
  onStateChange(followed: boolean, detail: string): void;
  interval?: number;
}

export class AclWatch {
  private last: AclSnapshot | undefined;
  private followed: boolean;
  private connection: UpstreamConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** A look was asked for while one ran: another follows it. */
  private again = false;
  private closed = false;

  constructor(private readonly options: AclWatchOptions) {
    this.last = options.initial;
    this.followed = options.initial !== undefined;
  }

  /** Whether changes are seen now. */
  get following(): boolean {
    return this.followed;
  }

  /** Starts polling (nothing to poll on an upstream without ACLs). */
  start(): void {
    if (this.last !== 'none') this.schedule();
  }

  /** Looks now (an ACL command went through the proxy), rather than at the next tick. */
  checkNow(): void {
    if (this.closed || this.last === 'none') return;
    if (this.polling) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    void this.poll();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.connection?.close();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.poll(), this.options.interval ?? ACL_POLL_MS);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    this.polling = true;
    try {
      const acl = await readAcl(await this.open());
      if (this.closed) return;
      if (!sameAcl(this.last, acl)) {
        this.last = acl;
        this.options.onChange(acl);
      }
      this.setFollowed(true, 'ACL LIST read');
    } catch (error) {
      if (this.closed) return;
      if (!(error instanceof AclUnreadable)) {
        this.connection?.destroy();
        this.connection = undefined;
      }
      this.setFollowed(false, (error as Error).message);
    } finally {
      this.polling = false;
      if (this.again) {
        this.again = false;
        void this.poll();
      } else {
        this.schedule();
      }
    }
  }

  private async open(): Promise<UpstreamConnection> {
    if (this.connection?.alive) return this.connection;
    const connection = new UpstreamConnection(this.options.target, { timeout: this.options.timeout });
    this.connection = connection;
    await connection.connected();
    await authenticate(connection, this.options.target);
    await connection.call(['CLIENT', 'SETNAME', 'cachee-acl-watch']);
    return connection;
  }

  private setFollowed(followed: boolean, detail: string): void {
    if (followed === this.followed) return;
    this.followed = followed;
    this.options.onStateChange(followed, detail);
  }
}
