/**
 * What every client session of one proxy shares: the upstream's address and command table, L1
 * and its read guard, the verdicts of the invalidation listener and of the ACL watch on whether
 * L1 can be trusted, who a new client is (and the proxy's own `default` user under
 * --requirepass), and the counters.
 */
import type { ProxyConfig } from './config.js';
import type { CommandTable } from './command-table.js';
import { keyMatcher } from './glob.js';
import { ReplyCache } from './reply-cache.js';
import { AccessRecorder, type RecordingHost } from './recording.js';
import type { FrontFigures } from '../metrics/definitions.js';
import { cacheeInfoSection, ProxyStats, type InvalidationState, type UpstreamState } from './stats.js';
import { ReadGuard } from '../tier/read-guard.js';
import { UpstreamConnection, type UpstreamTarget } from '../tier/redis-connection.js';
import { encodeCommand } from '../resp/encode.js';
import { samePassword } from '../store/password.js';

export interface UpstreamHooks {
  onClose?: (error: Error) => void;
  onPush?: (raw: Buffer) => void;
  /** The upstream refused a handshake command (the connection is then dropped). */
  onRefused?: (command: string, error: string) => void;
  /** Every handshake command was accepted: the connection is the client's again. */
  onReady?: () => void;
}

export class ProxyCore implements RecordingHost {
  readonly cache: ReplyCache | undefined;
  readonly guard = new ReadGuard();
  readonly stats: ProxyStats;
  readonly keyAllowed: (key: string) => boolean;
  /** No --l1-keys: every key may be cached (the hit path then need not make a string to check). */
  readonly allKeysAllowed: boolean;
  /**
   * Whether the upstream's `default` user needs no password: a new connection is then `default`.
   * Probed at start-up, then kept current by the ACL watch.
   */
  defaultUserOpen: boolean;
  /** The invalidation listener's verdict: writes beside the proxy are reported. */
  private invalidationTrusted = false;
  /** The ACL watch's: a change of users or permissions is seen (see ./acl-watch.ts). */
  private aclFollowed = true;
  private trusted = false;
  invalidationState: InvalidationState = 'down';
  upstreamState: UpstreamState = 'down';
  /** Set while a CACHEE RECORD runs on some connection (./recording.ts). */
  recorder: AccessRecorder | undefined = undefined;
  readonly recordSource = 'l1';
  private pairingChecks = 0;
  /** Asks the ACL watch to look now (set once it runs). */
  checkAcl: () => void = () => {};

  constructor(
    readonly config: ProxyConfig,
    readonly target: UpstreamTarget,
    readonly table: CommandTable,
    defaultUserOpen: boolean,
  ) {
    this.stats = new ProxyStats(table.names());
    this.keyAllowed = keyMatcher(config.l1Keys);
    this.allKeysAllowed = config.l1Keys === undefined || config.l1Keys.length === 0;
    this.cache = new ReplyCache({ maxBytes: config.l1Memory, ttl: config.l1Ttl });
    this.defaultUserOpen = defaultUserOpen;
  }

  /**
   * L1 may answer reads: invalidation reports writes made beside the proxy, and the ACL watch
   * sees permission changes. The invalidation listener sets it; the ACL watch sets `aclCurrent`.
   */
  get l1Trusted(): boolean {
    return this.trusted;
  }

  set l1Trusted(trusted: boolean) {
    this.invalidationTrusted = trusted;
    this.trusted = trusted && this.aclFollowed;
  }

  set aclCurrent(followed: boolean) {
    this.aclFollowed = followed;
    this.trusted = followed && this.invalidationTrusted;
  }

  /**
   * Who a new client is, or one after RESET: `default` when that needs no password (Redis's, or
   * the proxy's own when --requirepass is set); undefined: it must authenticate first.
   */
  get initialUser(): string | undefined {
    return this.config.requirepass === undefined && this.defaultUserOpen ? 'default' : undefined;
  }

  /**
   * The AUTH arguments a client's `AUTH default <password>` (or `AUTH <password>`) becomes under
   * --requirepass: the URL's credentials when the password is right (the upstream's `default`
   * user, which needs none, without them); else a user name Redis cannot have (it refuses spaces),
   * so that Redis answers WRONGPASS in its place, in order, and inside MULTI as it would.
   */
  proxyDefaultAuth(password: Buffer): [string, string] {
    const expected = this.config.requirepass!;
    if (!samePassword(password, expected)) return ['wrong password for the proxy', 'x'];
    return [this.target.username ?? 'default', this.target.password ?? expected];
  }

  /**
   * A new upstream connection for a client, its state set by `handshake`. No reply deadline: a
   * client's command runs as long as Redis takes, as on a direct connection (one that outlived a
   * deadline may still have run, so failing it would be a lie). A lost peer is found by TCP
   * keepalive, a connect that hangs by the connect timeout.
   */
  openUpstream(handshake: Buffer[][], hooks: UpstreamHooks): UpstreamConnection {
    const connection = new UpstreamConnection(this.target, {
      connectTimeout: this.config.upstreamTimeout,
      // TCP keepalive counts whole seconds.
      keepAlive: Math.max(1000, this.config.upstreamTimeout),
      onClose: hooks.onClose,
      onPush: hooks.onPush,
    });
    let answered = 0;
    let refused = false;
    for (const command of handshake) {
      connection.command(command, {
        onReply: (raw) => {
          answered++;
          // A handshake the upstream refuses leaves the connection in the wrong state: drop it,
          // so the commands queued behind fail rather than run as someone else.
          if (raw[0] === 0x2d) {
            const error = raw.toString('latin1', 1).trim();
            refused = true;
            hooks.onRefused?.(command[0].toString('latin1'), error);
            connection.destroy(new Error(`upstream refused ${command[0]}: ${error}`));
          } else if (answered === handshake.length && !refused) {
            hooks.onReady?.();
          }
        },
        onError: () => {},
      });
    }
    if (handshake.length === 0) hooks.onReady?.();
    return connection;
  }

  /**
   * Whether Redis lets a connection with this handshake run `command`, asked on a connection of
   * its own (closed after): the reply, or an error reply when the handshake was refused.
   */
  async askUpstream(handshake: Buffer[][], command: string[]): Promise<Buffer> {
    let refusal: string | undefined;
    const connection = this.openUpstream(handshake, { onRefused: (name, error) => (refusal = `-${error}\r\n`) });
    try {
      return await connection.call(command);
    } catch (error) {
      return Buffer.from(refusal ?? `-ERR ${(error as Error).message}\r\n`);
    } finally {
      connection.destroy();
    }
  }

  /**
   * An `ECHO` of a token used once, and the reply it must get: sent behind a read whose reply goes
   * into L1, it proves that the replies before it were paired with the right commands (a reply
   * shifted by any count would put some other reply in the token's place).
   */
  pairingCheck(): { command: Buffer; reply: Buffer } {
    const token = `cachee:${++this.pairingChecks}`;
    return { command: encodeCommand(['ECHO', token]), reply: Buffer.from(`$${token.length}\r\n${token}\r\n`, 'latin1') };
  }

  encodePttl(key: string): Buffer {
    return encodeCommand(['PTTL', Buffer.from(key, 'latin1')]);
  }

  /**
   * Own writes (`ownWrite`) and the invalidation channel's reports (`tracking`): the keys'
   * replies leave L1 and reads in flight go stale.
   */
  invalidateKeys(keys: readonly string[], source: 'ownWrite' | 'tracking'): void {
    this.stats.invalidations[source] += keys.length;
    for (const key of keys) {
      this.guard.invalidate(key);
      this.cache?.invalidate(key);
    }
  }

  /**
   * Users or permissions changed (ACL SETUSER, DELUSER, LOAD, CONFIG SET through the proxy, or
   * seen by the ACL watch): what L1 holds was read under the old rules.
   */
  accessChanged(): void {
    this.flushL1();
    this.checkAcl();
  }

  flushL1(): void {
    this.stats.invalidations.flush++;
    this.guard.invalidateAll();
    this.cache?.clear();
  }

  /** What INFO cachee and the metrics show. */
  figures(): FrontFigures {
    const { stats, cache } = this;
    const engine = cache?.stats();
    return {
      l1: {
        hits: stats.l1Hits,
        misses: stats.l1Misses,
        evictions: engine?.evictions ?? 0,
        rejections: engine?.rejections ?? 0,
        expirations: engine?.expirations ?? 0,
        entries: cache?.entries ?? 0,
        bytes: cache?.bytes ?? 0,
        maxBytes: cache?.maxBytes ?? 0,
      },
      l2Requests: stats.l2Requests,
      l2Errors: stats.l2Errors,
      invalidations: { ...stats.invalidations },
      connectedClients: stats.connectedClients,
      upstream: this.upstreamState,
      invalidation: this.invalidationState,
      commands: stats.commands.entries(),
    };
  }

  infoSection(): string {
    const { stats } = this;
    return cacheeInfoSection(this.figures(), { l1: stats.l1Latency, l2: stats.l2Latency }, stats.evictionRate, { l1_stale_hits: stats.l1StaleHits, ...AccessRecorder.info(this) });
  }
}
