/**
 * The embedded store as its front uses it: commands run by the Store, plus what `INFO cachee`
 * and the metrics report about it. The store is the whole cache here, so its keyspace hits and
 * misses are the L1 hits and misses, its entries and budget L1's, and its evictions L1's; there
 * is no L2 (its figures are 0) and nothing to invalidate. L1 latency is the store's time to run a
 * read that found its key, sampled like the proxy's.
 */
import { CommandCounter } from '../metrics/command-counter.js';
import type { FrontFigures } from '../metrics/definitions.js';
import type { HotKey } from '../metrics/hot-keys.js';
import { LatencyRecorder } from '../metrics/latency.js';
import { Store, type ConnectionInfo, type Session } from '../store/index.js';
import { errorReply } from './client-connection.js';
import { AccessRecorder, type RecordingHost } from './recording.js';
import { cacheeInfoSection, EvictionRate, isInfoCachee, TIMING_SAMPLE_MASK } from './stats.js';
import { encodeBulkString } from '../resp/encode.js';
import { isKeyword } from '../store/arguments.js';

export interface MeasuredStoreOptions {
  maxBytes: number;
  /** For INFO's tcp_port and maxclients. */
  port: number;
  maxClients: number;
  /** Unix ms; default Date.now. */
  now?: () => number;
  /** The store's requirepass. */
  requirepass?: string;
  /** A command the store failed on (a bug): its client gets an error reply, the process goes on. */
  onInternalError?: (command: string, error: unknown) => void;
}

export class MeasuredStore implements RecordingHost {
  /** Set while a CACHEE RECORD runs (./recording.ts): GETs are offered to it. */
  recorder: AccessRecorder | undefined = undefined;
  readonly recordSource = 'embedded';
  private readonly store: Store;
  /** ns. */
  readonly l1Latency = new LatencyRecorder();
  /** Never recorded: there is no L2. */
  readonly l2Latency = new LatencyRecorder();
  private readonly evictionRate = new EvictionRate();
  private readonly commands: CommandCounter;
  private readonly onInternalError: (command: string, error: unknown) => void;

  constructor(options: MeasuredStoreOptions) {
    this.onInternalError = options.onInternalError ?? (() => {});
    this.store = new Store({ maxBytes: options.maxBytes, port: options.port, maxClients: options.maxClients, now: options.now, requirepass: options.requirepass });
    this.commands = new CommandCounter(this.store.commandSpecs.map((spec) => spec.name));
  }

  newSession(connection: ConnectionInfo): Session {
    return this.store.newSession(connection);
  }

  endSession(session: Session): void {
    this.store.endSession(session);
  }

  /** The end of a batch of input: BCAST tracking clients hear of the keys changed in it. */
  broadcastInvalidations(): void {
    this.store.broadcastInvalidations();
  }

  /** The reply bytes of one command; `INFO cachee` is answered here, everything else by the store. */
  execute(session: Session, args: Buffer[]): Buffer {
    if (args.length > 0) this.commands.countName(args[0]);
    // For a client that has not authenticated, the store refuses INFO as any command.
    if (isInfoCachee(args) && session.authenticated) return encodeBulkString(this.infoSection());
    if (this.recorder !== undefined) return this.executeRecorded(session, args, this.recorder);
    return this.executeMeasured(session, args);
  }

  /** A GET is logged with its reply's length; a nil or an error reply (no value) as unknown. */
  private executeRecorded(session: Session, args: Buffer[], recorder: AccessRecorder): Buffer {
    const reply = this.executeMeasured(session, args);
    if (args.length === 2 && args[0].length === 3 && isKeyword(args[0], 'get')) {
      const isValue = reply[0] === 0x24 && reply[1] !== 0x2d;
      recorder.access(args[1].toString('latin1'), isValue ? reply.length : -1);
    }
    return reply;
  }

  private executeMeasured(session: Session, args: Buffer[]): Buffer {
    try {
      const counters = this.store.stats;
      const hits = counters.keyspaceHits;
      // Timed from each 64th hit until a command hits (so a mix of writes and reads still gets sampled).
      if ((hits & TIMING_SAMPLE_MASK) !== 0) return this.store.execute(session, args);
      const start = process.hrtime.bigint();
      const reply = this.store.execute(session, args);
      if (counters.keyspaceHits !== hits) this.l1Latency.record(Number(process.hrtime.bigint() - start));
      return reply;
    } catch (error) {
      const command = args[0].toString('latin1').slice(0, 64);
      this.onInternalError(command, error);
      return errorReply(`ERR internal error in '${command}': ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  figures(): FrontFigures {
    const store = this.store;
    return {
      l1: {
        hits: store.stats.keyspaceHits,
        misses: store.stats.keyspaceMisses,
        evictions: store.stats.evictedKeys,
        rejections: store.rejections,
        expirations: store.stats.expiredKeys,
        entries: store.keyCount,
        bytes: store.bytes,
        maxBytes: store.maxBytes,
      },
      l2Requests: 0,
      l2Errors: 0,
      // Nothing to invalidate: the store is the data.
      invalidations: { ownWrite: 0, tracking: 0, pubsub: 0, flush: 0 },
      connectedClients: store.sessionCount,
      upstream: 'embedded',
      invalidation: 'none',
      commands: this.commands.entries(),
    };
  }

  hottestKeys(limit: number): HotKey[] {
    return this.store.hottestKeys(limit);
  }

  infoSection(): string {
    return cacheeInfoSection(this.figures(), { l1: this.l1Latency, l2: this.l2Latency }, this.evictionRate, AccessRecorder.info(this));
  }
}
