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
  readonly stats = new ProxyStats();
  readonly keyAllowed: (key: string) => boolean;
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

  constructor(
    readonly config: ProxyConfig,
    readonly target: UpstreamTarget,
    readonly table: CommandTable,
    /** Whether the upstream's `default` user needs no password (probed at start-up). */
    readonly defaultUserOpen: boolean,
  ) {
    this.keyAllowed = keyMatcher(config.l1Keys);
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

  /** A new upstream connection for a client, its state re-established by `handshake`. */
  openUpstream(handshake: Buffer[][], hooks: UpstreamHooks): UpstreamConnection {
    const connection = new UpstreamConnection(this.target, {
      timeout: this.config.upstreamTimeout,
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

  encodePttl(key: string): Buffer {
    return encodeCommand(['PTTL', Buffer.from(key, 'latin1')]);
  }

  /** Own writes and invalidation messages: the keys' replies leave L1 and reads in flight go stale. */
  invalidateKeys(keys: readonly string[]): void {
    for (const key of keys) {
      this.guard.invalidate(key);
      this.cache?.invalidate(key);
    }
  }

  flushL1(): void {
    this.guard.invalidateAll();
    this.cache?.clear();
  }

  infoSection(): string {
    const { stats, cache } = this;
    const evictions = cache?.stats().evictions ?? 0;
    return cacheeInfoSection({
      l1Hits: stats.l1Hits,
      l1Misses: stats.l1Misses,
      l1Entries: cache?.entries ?? 0,
      l1Bytes: cache?.bytes ?? 0,
      l1MaxBytes: cache?.maxBytes ?? 0,
      l1Evictions: evictions,
      l1EvictionsPerSec: stats.evictionRate.perSecond(evictions),
      l1AvgLatencyNs: stats.l1Latency.mean,
      l2Requests: stats.l2Requests,
      l2AvgLatencyUs: stats.l2Latency.mean,
      upstream: this.upstreamState,
      invalidation: this.invalidationState,
      extra: { l1_stale_hits: stats.l1StaleHits, ...AccessRecorder.info(this) },
    });
  }
}
