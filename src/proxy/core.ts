/**
 * What every client session of one proxy shares: the upstream's address and command table, L1
 * and its read guard, the invalidation listener's verdict on whether L1 can be trusted, and the
 * counters.
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

export interface UpstreamHooks {
  onClose?: (error: Error) => void;
  onPush?: (raw: Buffer) => void;
}

export class ProxyCore implements RecordingHost {
  readonly cache: ReplyCache | undefined;
  readonly guard = new ReadGuard();
  readonly stats: ProxyStats;
  readonly keyAllowed: (key: string) => boolean;
  /** No --l1-keys: every key may be cached (the hit path then need not make a string to check). */
  readonly allKeysAllowed: boolean;
  /** AUTH from the upstream URL, given to each upstream connection of a client that has not sent its own. */
  readonly upstreamAuth: Buffer[] | undefined;
  /** Who a new client is before it authenticates: the URL's user, or `default` when that needs no password. */
  readonly initialUser: string | undefined;
  /** Set by the invalidation listener: L1 may answer reads. */
  l1Trusted = false;
  invalidationState: InvalidationState = 'down';
  upstreamState: UpstreamState = 'down';
  /** Set while a CACHEE RECORD runs on some connection (./recording.ts). */
  recorder: AccessRecorder | undefined = undefined;
  readonly recordSource = 'l1';
  private pairingChecks = 0;

  constructor(
    readonly config: ProxyConfig,
    readonly target: UpstreamTarget,
    readonly table: CommandTable,
    /** Whether the upstream's `default` user needs no password (probed at start-up). */
    readonly defaultUserOpen: boolean,
  ) {
    this.stats = new ProxyStats(table.names());
    this.keyAllowed = keyMatcher(config.l1Keys);
    this.allKeysAllowed = config.l1Keys === undefined || config.l1Keys.length === 0;
    this.cache = new ReplyCache({ maxBytes: config.l1Memory, ttl: config.l1Ttl });
    if (target.password !== undefined) {
      this.upstreamAuth =
        target.username === undefined
          ? [Buffer.from('AUTH'), Buffer.from(target.password)]
          : [Buffer.from('AUTH'), Buffer.from(target.username), Buffer.from(target.password)];
      this.initialUser = target.username ?? 'default';
    } else {
      this.initialUser = defaultUserOpen ? 'default' : undefined;
    }
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
    for (const command of handshake) {
      connection.command(command, {
        onReply: (raw) => {
          // A handshake the upstream refuses leaves the connection in the wrong state: drop it,
          // so the commands queued behind fail rather than run as someone else.
          if (raw[0] === 0x2d) connection.destroy(new Error(`upstream refused ${command[0]}: ${raw.toString('latin1', 1).trim()}`));
        },
        onError: () => {},
      });
    }
    return connection;
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
