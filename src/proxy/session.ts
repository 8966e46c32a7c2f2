/**
 * One client connection of the proxy. It parses the client's commands, answers cacheable reads
 * from L1 when it can, and forwards everything else over its own upstream connection, so that
 * every piece of connection state Redis keeps (database, protocol, user, MULTI, WATCH, blocking
 * commands, client name, CLIENT TRACKING) lives where Redis expects it. Replies go back in
 * request order: a reply that is ready waits behind the forwarded commands sent before it.
 *
 * When Redis closes that upstream connection, or it is lost, the client's connection is closed, as
 * Redis closing it would; one that could not be opened fails the commands sent on it, and the
 * next command tries again with the client's database, protocol, user and name (a client whose
 * state cannot be carried over, such as a subscription, is closed instead). A client with
 * tracking on (except BCAST) is never answered from L1: Redis tracks only the reads it sees. A
 * SELECT, HELLO, AUTH or CLIENT TRACKING queued in MULTI takes effect here when EXEC's reply
 * shows it ran.
 *
 * Who the client is: what a new connection to Redis is, until Redis accepts its AUTH (passed
 * on). Under --requirepass the proxy itself refuses (NOAUTH) a client that has not authenticated,
 * maps `AUTH <its password>` to the URL's credentials, and holds what is pipelined behind an AUTH
 * until Redis answers it. L1, INFO cachee and CACHEE RECORD answer only whom Redis would.
 *
 * Hit path: parse a frame, look the key up, copy the stored reply bytes into the client's reply
 * buffer; everything answered while handling one chunk of input is written in one socket write.
 */
import type net from 'node:net';
import { ClientConnection, errorReply, NOAUTH } from './client-connection.js';
import { handleAtTurnEnd, type TurnHandled } from './turn-flush.js';
import { CACHEABLE_READS, changesAccess, isClientTracking, keyword, NO_AUTH_COMMANDS, SESSION_STATE_COMMANDS, switchesToRawMode, UNSUBSCRIBE_COMMANDS } from './commands.js';
import { ConnectionState, helloAuthIndex } from './connection-state.js';
import type { ProxyCore } from './core.js';
import { parseRecordCommand } from './recording.js';
import { getVariantNumber, getVariantOf, ReplyCache, variantPrefix } from './reply-cache.js';
import type { ReplyArena } from './reply-arena.js';
import type { RespCommand } from '../resp/request-parser.js';
import { commandName } from '../metrics/command-counter.js';
import { isInfoCachee, TIMING_SAMPLE_MASK } from './stats.js';
import { encodeBulkString, encodeCommand, Replies } from '../resp/encode.js';
import { integerReply, isQueuedReply, splitBulkArray, transactionResults } from '../resp/reply-parts.js';
import type { ReadTicket } from '../tier/read-guard.js';
import { isErrorReply, UpstreamError, type Expectation, type UpstreamConnection } from '../tier/redis-connection.js';


/** Raw mode: unwritten bytes past which the proxy stops reading from Redis (see enterRawMode). */
const RAW_BACKLOG = 1024 * 1024;

/** A forwarded command's place in the reply order when it gets no reply at all. */
const NO_REPLY = Buffer.alloc(0);

/** Reply bytes: a Buffer, or a latin1 string as L1 stores them. */
type Reply = Buffer | string;

interface Slot {
  bytes: Reply | undefined;
  /** A blocking command's reply (BLPOP's): Redis may never send it. */
  blocking: boolean;
}

function lostAfterConnect(error: Error): boolean {
  return error instanceof UpstreamError && error.lostAfterConnect;
}

/** Redis's answer to HELLO without AUTH from a client that has not authenticated. */
const NOAUTH_HELLO = errorReply(
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);

/** answerMgetFromL1: every key hit and the reply is sent. */
const ANSWERED = -1;

/** `latin1Slice` exists on every Node Buffer (`toString('latin1', ...)` calls it) but is not typed. */
interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

export class ClientSession extends ClientConnection implements TurnHandled {
  private upstream: UpstreamConnection | undefined;
  /** Replies not yet written, in order; only used while a forwarded reply is outstanding. */
  private queue: Slot[] = [];
  private queueHead = 0;
  /** Commands for the upstream gathered while handling one chunk of input, and what to do with their replies. */
  private readonly batch: Buffer[] = [];
  private readonly expectations: Expectation[] = [];
  private raw = false;
  /** Input read this turn, handled at its end (see onData). */
  private turnInput: Buffer | undefined = undefined;
  /** The client's end came behind `turnInput`. */
  private turnInputEnded = false;
  /** The client closed its side: the connection ends once the replies owed are written (see `inputEnded`). */
  private inputClosed = false;
  /** This client's upstream connection was half-closed after the client's end (`endUpstream`). */
  private upstreamEnded = false;

  /** Database, protocol, user, name and tracking, as Redis took them. */
  private readonly state: ConnectionState;
  private inMulti = false;
  /**
   * WATCH sent and not yet ended by EXEC, DISCARD, UNWATCH or RESET. Set when sent, not when
   * answered: a WATCH lost with its upstream connection would let the EXEC after it run unguarded.
   */
  private watching = false;
  /**
   * Commands forwarded since MULTI that Redis queues: a command's number here is its place in
   * EXEC's reply (EXEC runs them only if every one was queued).
   */
  private multiQueued = 0;
  /**
   * State changes (SELECT, HELLO, AUTH, CLIENT TRACKING) Redis queued in the MULTI being built:
   * each takes effect at EXEC if its own reply there is not an error. They count in
   * stateChangesInFlight until the EXEC or DISCARD is answered.
   */
  private queuedStateChanges: { place: number; name: string; args: Buffer[] }[] = [];
  /** Keys written by the commands queued in MULTI; null: a queued command needs a full flush. */
  private multiWrites: string[] | null = [];
  /** SELECT/AUTH/HELLO/RESET sent but not answered: what this client may see is uncertain. */
  private stateChangesInFlight = 0;
  /**
   * Keys this client has writes in flight for (sent, not answered): a read pipelined behind a
   * write must see the write, so L1 must not answer it. `flushesInFlight` counts writes whose
   * keys are unknown (they block every L1 read).
   */
  private readonly writesInFlight = new Map<string, number>();
  private flushesInFlight = 0;
  private variantPrefix = '';
  private getVariant = '';
  /** The GET variant's number in L1's arena. */
  private getVariantNumber = -1;
  /**
   * Input waits, unread, for an answer this client's next commands depend on: the AUTH of a
   * client that must authenticate (what follows runs as the user it makes, or is refused), or
   * CACHEE RECORD's permission check.
   */
  private inputHeld = false;
  /**
   * The upstream connection was lost: until a new one accepts the client's credentials, Redis may
   * no longer know this client as its user (deleted, password changed), so L1 does not answer it
   * (it counts in stateChangesInFlight).
   */
  private identityUnconfirmed = false;

  constructor(
    private readonly core: ProxyCore,
    socket: net.Socket,
    onClosed: (session: ClientConnection) => void,
  ) {
    super(socket, core.config, onClosed);
    core.stats.connectedClients++;
    this.state = new ConnectionState(core.target?.db ?? 0, core.initialUser);
    this.updateVariantPrefix();
  }

  private updateVariantPrefix(): void {
    this.variantPrefix = variantPrefix(this.state.user, this.state.protocol);
    this.getVariant = getVariantOf(this.variantPrefix);
    this.getVariantNumber = getVariantNumber(this.getVariant);
  }

  /**
   * Takes the parser's commands one at a time. Made once: as a closure in onData, over its locals,
   * it cost a context object on every read, hits included (56 bytes a GET at pipeline 1, most of
   * what the young generation collected).
   */
  private readonly dispatchParsed = (command: RespCommand): boolean => {
    this.dispatch(command.args, command.raw, this.batch, this.expectations);
    return !(this.raw || this.closing || this.recordingActive || this.inputHeld);
  };

  /**
   * Input that L1 may answer waits for the end of the event-loop turn (./turn-flush.ts), when
   * every socket that was ready has been read, the invalidation channel's included. Why: a client
   * that sends a GET after another client's write was acknowledged must not get the old value,
   * and Redis sends the write's invalidation before its acknowledgement, so the invalidation is
   * here before that GET; but the kernel reports ready sockets in an order of its own (a socket
   * read in the previous poll comes before one that became ready since), and a GET handled as
   * soon as it is read often came before the invalidation beside it. staleness bench (200
   * connections reading a key rewritten every 5 ms, bench/staleness): handled at once, 0.5-1.2%
   * of reads stale by up to 18-40 ms; at the turn's end, none.
   */
  protected onData(chunk: Buffer): void {
    if (this.turnInput !== undefined) {
      this.turnInput = Buffer.concat([this.turnInput, chunk]);
      return;
    }
    if (!this.raw && this.core.invalidationState === 'tracking' && this.mayReadL1()) {
      this.turnInput = this.kept(chunk);
      handleAtTurnEnd(this);
      return;
    }
    this.handleInput(chunk, false);
  }

  handleTurnInput(): void {
    const chunk = this.turnInput;
    this.turnInput = undefined;
    if (chunk === undefined || this.client.destroyed) return;
    this.handleInput(chunk, true);
    if (this.turnInputEnded) {
      this.turnInputEnded = false;
      this.inputEnded();
    }
  }

  /** `owned`: the chunk is this connection's to keep (else a view valid during the call). */
  private handleInput(chunk: Buffer, owned: boolean): void {
    if (this.raw) {
      this.upstream?.writeRaw(owned ? chunk : this.kept(chunk));
      return;
    }
    if (this.inputHeld) {
      // Bytes read before the pause took effect; no more until the input is released.
      this.parser.feed(owned ? chunk : this.kept(chunk));
      this.client.pause();
      return;
    }
    const batch = this.batch;
    const expectations = this.expectations;
    const fastEnd = this.parser.bufferedBytes === 0 ? this.scanGets(chunk, batch, expectations) : 0;
    if (fastEnd < chunk.length) {
      const rest = fastEnd === 0 ? chunk : chunk.subarray(fastEnd);
      this.parser.feed(owned ? rest : this.kept(rest));
    }
    // A chunk of GETs alone, all answered above, leaves the parser nothing to read.
    this.handleParsed(fastEnd < chunk.length);
  }

  /** Runs the commands the parser holds (when `any`), sends what they forward, writes what is ready. */
  private handleParsed(any: boolean): void {
    const batch = this.batch;
    const expectations = this.expectations;
    const failure = any ? this.readCommands(this.dispatchParsed) : undefined;
    this.sendForwarded(batch, expectations);
    if (failure !== undefined) this.emit(ClientConnection.protocolErrorReply(failure));
    if (this.raw) {
      const rest = this.parser.takeBuffered();
      if (rest.length > 0) this.upstream?.writeRaw(rest);
    }
    this.finishInput();
  }

  /**
   * The hit path, hand-written: answers the run of `GET key` multibulk frames at the start of
   * `chunk` without building argument arrays or buffer views, and returns where it stopped (at
   * the first frame that is anything else, or incomplete: the general parser takes it from there).
   * A hit in L1's arena allocates nothing: the key is looked up by its bytes in place. A GET the
   * arena cannot answer makes the key's string for the engine's Map; the frame's view is made for
   * misses alone.
   */
  private scanGets(chunk: Buffer, batch: Buffer[], expectations: Expectation[]): number {
    const length = chunk.length;
    const core = this.core;
    const stats = core.stats;
    const cache = core.cache;
    const readL1 = this.mayReadL1();
    const variant = this.getVariant;
    const db = this.state.db;
    const maxBulk = core.config.maxBulkLength;
    // Undefined unless a CACHEE RECORD is running: then each lookup is offered to it.
    const recorder = core.recorder;
    const variantNumber = this.getVariantNumber;
    const arenaOpen = recorder === undefined && core.allKeysAllowed;
    const bytes = chunk as unknown as Latin1Sliceable;
    let pos = 0;
    let gets = 0;
    while (pos + 16 <= length) {
      // "*2\r\n$3\r\nGET\r\n$"
      if (
        chunk[pos] !== 0x2a || chunk[pos + 1] !== 0x32 || chunk[pos + 2] !== 0x0d || chunk[pos + 3] !== 0x0a ||
        chunk[pos + 4] !== 0x24 || chunk[pos + 5] !== 0x33 || chunk[pos + 6] !== 0x0d || chunk[pos + 7] !== 0x0a ||
        (chunk[pos + 8] | 0x20) !== 0x67 || (chunk[pos + 9] | 0x20) !== 0x65 || (chunk[pos + 10] | 0x20) !== 0x74 ||
        chunk[pos + 11] !== 0x0d || chunk[pos + 12] !== 0x0a || chunk[pos + 13] !== 0x24
      ) {
        break;
      }
      let i = pos + 14;
      let keyLength = 0;
      while (i < length && chunk[i] >= 0x30 && chunk[i] <= 0x39 && i - pos < 24) keyLength = keyLength * 10 + (chunk[i++] - 0x30);
      // Digits as Redis's string2ll takes them ("0", or no leading zero), within proto-max-bulk-len;
      // anything else is the general parser's to judge.
      const digits = i - pos - 14;
      if (digits === 0 || (digits > 1 && chunk[pos + 14] === 0x30) || i + 1 >= length || chunk[i] !== 0x0d || chunk[i + 1] !== 0x0a || keyLength > maxBulk) break;
      const keyStart = i + 2;
      const end = keyStart + keyLength + 2;
      if (end > length || chunk[end - 2] !== 0x0d || chunk[end - 1] !== 0x0a) break;
      const frameStart = pos;
      pos = end;
      gets++;
      // The arena answers without a string of the key; what it needs a string for (a key
      // pattern, a write in flight, a recording) takes the path below.
      if (readL1 && arenaOpen && this.writesInFlight.size === 0) {
        const timed = (stats.l1Hits & TIMING_SAMPLE_MASK) === 0;
        const started = timed ? process.hrtime.bigint() : 0n;
        const ref = cache!.findInArena(chunk, keyStart, keyLength, db, variantNumber);
        if (ref >= 0) {
          if (timed) stats.recordL1Latency(Number(process.hrtime.bigint() - started));
          this.emitArenaReply(cache!.arena, ref);
          cache!.countArenaHit(ref);
          stats.l1Hits++;
          continue;
        }
      }
      // latin1Slice: toString('latin1', ...) without its argument checks, on every GET.
      const key = bytes.latin1Slice(keyStart, keyStart + keyLength);
      if (!readL1) {
        if (this.mustAuthenticate()) {
          // Refused by dispatch, which the parser feeds from this frame on.
          pos = frameStart;
          gets--;
          break;
        }
        this.forwardUncached(chunk.subarray(frameStart, end), key, variant, batch, expectations);
        continue;
      }
      if (!core.keyAllowed(key) || this.writePending(key)) {
        this.forward(chunk.subarray(frameStart, end), batch, expectations);
        continue;
      }
      const timed = (stats.l1Hits & TIMING_SAMPLE_MASK) === 0;
      const started = timed ? process.hrtime.bigint() : 0n;
      const hit = cache!.get(ReplyCache.entryKey(db, key), variant);
      if (hit !== undefined) {
        if (timed) stats.recordL1Latency(Number(process.hrtime.bigint() - started));
        stats.l1Hits++;
        if (recorder !== undefined) recorder.access(key, hit.length);
        this.emit(hit);
      } else {
        stats.l1Misses++;
        this.forwardCacheable(chunk.subarray(frameStart, end), key, variant, batch, expectations);
      }
    }
    // One add per chunk rather than per GET: commands_total{command="get"}.
    stats.commands.gets += gets;
    this.commandsInChunk += gets;
    return pos;
  }

  private dispatch(args: Buffer[], raw: Buffer, batch: Buffer[], expectations: Expectation[]): void {
    const name = commandName(args[0]);
    const core = this.core;
    core.stats.commands.count(name);
    if (this.state.user === undefined && this.mustAuthenticate() && !NO_AUTH_COMMANDS.has(name)) {
      this.emit(NOAUTH);
      return;
    }

    if (name === 'get' && args.length === 2 && this.mayReadL1()) {
      const key = args[1].toString('latin1');
      if (core.keyAllowed(key) && !this.writePending(key)) {
        // (The scanner answers most GETs before they get here; this covers inline and split frames.)
        const timed = (core.stats.l1Hits & TIMING_SAMPLE_MASK) === 0;
        const start = timed ? process.hrtime.bigint() : 0n;
        const hit = core.cache!.get(ReplyCache.entryKey(this.state.db, key), this.getVariant);
        if (hit !== undefined) {
          if (timed) core.stats.recordL1Latency(Number(process.hrtime.bigint() - start));
          core.stats.l1Hits++;
          core.recorder?.access(key, hit.length);
          this.emit(hit);
          return;
        }
        core.stats.l1Misses++;
        this.forwardCacheable(raw, key, this.getVariant, batch, expectations);
        return;
      }
    }

    switch (name) {
      case 'quit':
        this.emit(Replies.OK);
        this.closing = true;
        return;
      case 'info':
        if (isInfoCachee(args) && !this.inMulti) {
          // Redis says whether this client may run INFO; its section (empty) is replaced with ours.
          // While Redis is down (when the section matters most), any client it authenticated may.
          const section = () => encodeBulkString(core.infoSection());
          const user = this.state.user;
          this.forward(raw, batch, expectations, (reply) => (isErrorReply(reply) ? undefined : section()), () => (user === undefined ? undefined : section()));
          return;
        }
        break;
      case 'cachee':
        this.answerCacheeIfAllowed(args);
        return;
      case 'multi':
        // At once, not when Redis answers: the commands pipelined behind it are queued by Redis,
        // so L1 must not answer them. (MULTI fails only when already in MULTI.)
        if (this.inMulti) {
          // Refused ("MULTI calls can not be nested"), not queued.
          this.forwardUnqueued(raw, batch, expectations);
          return;
        }
        this.multiWrites = [];
        this.inMulti = true;
        this.forward(raw, batch, expectations);
        this.multiQueued = 0;
        this.queuedStateChanges = [];
        return;
      case 'watch':
        if (this.inMulti) {
          // Refused ("WATCH inside MULTI is not allowed"), not queued.
          this.forwardUnqueued(raw, batch, expectations);
          return;
        }
        this.watching = true;
        break;
      case 'unwatch':
        this.watching = false;
        break;
      case 'client':
        if (isClientTracking(args)) {
          this.forwardStateChange(name, args, raw, batch, expectations);
          return;
        }
        if (args.length === 3 && keyword(args, 1) === 'setname') {
          // Mirrored for a new upstream connection (handshake); L1 does not depend on it.
          const clientName = Buffer.from(args[2]);
          this.forward(raw, batch, expectations, (reply) => {
            if (!isErrorReply(reply) && !isQueuedReply(reply)) this.state.clientName = clientName;
          });
          return;
        }
        break;
      case 'exec':
      case 'discard': {
        const writes = name === 'exec' && this.inMulti ? this.multiWrites : [];
        // Without a MULTI, Redis refuses them and keeps the client's WATCH.
        const ended = this.inMulti;
        this.inMulti = false;
        if (ended) this.watching = false;
        this.multiWrites = [];
        this.forwardWrite(raw, writes, batch, expectations, ended ? (reply) => this.settleQueuedStateChanges(name === 'exec' ? reply : undefined) : undefined);
        return;
      }
    }

    if (SESSION_STATE_COMMANDS.has(name)) {
      if (name === 'hello' && this.state.user === undefined && this.mustAuthenticate() && helloAuthIndex(args) === undefined) {
        this.emit(NOAUTH_HELLO);
        return;
      }
      // What follows an AUTH of a client that must authenticate waits for its answer.
      const hold = this.state.user === undefined && this.mustAuthenticate();
      const own = this.proxyDefaultAuth(name, args);
      if (own === undefined) this.forwardStateChange(name, args, raw, batch, expectations, hold);
      else this.forwardStateChange(name, own, encodeCommand(own), batch, expectations, hold);
      return;
    }
    if (switchesToRawMode(name, args)) {
      this.enterRawMode(raw, batch, expectations);
      return;
    }
    if (UNSUBSCRIBE_COMMANDS.has(name)) {
      this.forwardUnsubscribe(args, raw, batch, expectations);
      return;
    }

    const keys = core.table.keys(args);
    const spec = keys.spec;
    if (
      CACHEABLE_READS.has(name) &&
      spec !== undefined &&
      spec.flags.has('readonly') &&
      keys.keyIndexes.length === 1 &&
      keys.keyIndexes[0] === 1
    ) {
      const key = args[1].toString('latin1');
      if (!this.mayReadL1()) {
        this.forwardUncached(raw, key, this.variantOf(name, args), batch, expectations);
        return;
      }
      if (core.keyAllowed(key) && !this.writePending(key)) {
        const variant = this.variantOf(name, args);
        const hit = core.cache!.get(ReplyCache.entryKey(this.state.db, key), variant);
        if (hit !== undefined) {
          core.stats.l1Hits++;
          core.recorder?.access(key, hit.length);
          this.emit(hit);
          return;
        }
        core.stats.l1Misses++;
        this.forwardCacheable(raw, key, variant, batch, expectations);
        return;
      }
    }

    if (name === 'mget' && args.length > 1 && this.mayReadL1()) {
      const mgetKeys = args.slice(1).map((a) => a.toString('latin1'));
      const checked = this.answerMgetFromL1(mgetKeys);
      if (checked === ANSWERED) return;
      if (this.mgetCacheable(mgetKeys, checked)) {
        this.forwardMgetCacheable(mgetKeys, raw, batch, expectations);
        return;
      }
    }

    if (changesAccess(name, args)) {
      if (this.inMulti) {
        this.multiWrites = null;
        this.forward(raw, batch, expectations);
      } else {
        this.forwardWrite(raw, null, batch, expectations, () => core.checkAcl());
      }
      return;
    }

    // Inside MULTI a blocking command is queued, and EXEC runs it without blocking.
    const blocking = keys.blocking && !this.inMulti;
    if (!keys.mutates) {
      this.forward(raw, batch, expectations, undefined, undefined, blocking);
      return;
    }
    const written = keys.writtenIndexes.map((i) => args[i].toString('latin1'));
    const needsFlush = written.length === 0 || keys.unknownKeys;
    if (this.inMulti) {
      // Queued: the write happens at EXEC, which applies these.
      if (needsFlush) this.multiWrites = null;
      else this.multiWrites?.push(...written);
      this.forward(raw, batch, expectations);
      return;
    }
    this.forwardWrite(raw, needsFlush ? null : written, batch, expectations, undefined, blocking);
  }

  /** --requirepass is set and this client has not authenticated as anyone yet. */
  private mustAuthenticate(): boolean {
    return this.state.user === undefined && this.core.config.requirepass !== undefined;
  }

  /**
   * Under --requirepass, `AUTH [default] <password>` or `HELLO <v> AUTH default <password>` is
   * for the proxy's own `default` user: the command with the credentials it stands for upstream
   * (see ProxyCore.proxyDefaultAuth). Undefined for any other command or user.
   */
  private proxyDefaultAuth(name: string, args: Buffer[]): Buffer[] | undefined {
    if (this.core.config.requirepass === undefined) return undefined;
    let at: number;
    if (name === 'auth') {
      if (args.length === 2) at = 0;
      else if (args.length === 3 && keyword(args, 1) === 'default') at = 1;
      else return undefined;
    } else if (name === 'hello') {
      const auth = helloAuthIndex(args);
      if (auth === undefined || keyword(args, auth + 1) !== 'default') return undefined;
      at = auth + 1;
    } else {
      return undefined;
    }
    const [user, password] = this.core.proxyDefaultAuth(args[at + 1]);
    const credentials = [Buffer.from(user), Buffer.from(password)];
    return at === 0 ? [args[0], ...credentials] : [...args.slice(0, at), ...credentials, ...args.slice(at + 2)];
  }

  /**
   * CACHEE RECORD shows every client's reads, as MONITOR shows every command: it runs for a client
   * Redis lets run MONITOR, asked on a connection of its own with this client's credentials.
   * Input waits for the answer.
   */
  private answerCacheeIfAllowed(args: Buffer[]): void {
    const core = this.core;
    const protocol = this.state.protocol;
    if (typeof parseRecordCommand(args) === 'string' || this.hasRepliesInFlight()) {
      this.emit(this.answerCachee(core, args, protocol));
      return;
    }
    this.holdInput();
    void core.askUpstream(this.state.handshake(), ['MONITOR']).then((reply) => {
      if (this.isClosed) return;
      this.inputHeld = false;
      const refusal = reply.toString('latin1', 0, 8);
      if (!isErrorReply(reply)) this.emit(this.answerCachee(core, args, protocol));
      else if (refusal === '-NOAUTH ') this.emit(NOAUTH);
      else if (refusal === '-NOPERM ') this.emit(errorReply("NOPERM this user has no permissions to run the 'cachee|record' command (it needs MONITOR's)"));
      else this.emit(errorReply(`ERR CACHEE RECORD could not ask the upstream whether this user may run MONITOR: ${reply.toString('latin1', 1).trim()}`));
      this.releaseInput();
    });
  }

  /** Holds input (see `inputHeld`): no more is read from the socket until `releaseInput`. */
  private holdInput(): void {
    this.inputHeld = true;
    this.client.pause();
  }

  /** Reads the input held (see `inputHeld`), after the event that released it is handled. */
  private releaseInput(): void {
    this.inputHeld = false;
    setImmediate(() => {
      if (this.isClosed || this.inputHeld) return;
      if (!this.closing) this.client.resume();
      this.handleParsed(!this.recordingActive);
      if (this.inputClosed && !this.inputHeld) this.endInput();
    });
  }

  private writePending(key: string): boolean {
    return this.writesInFlight.size !== 0 && this.writesInFlight.has(key);
  }

  /**
   * Forwards a command that writes `keys` (null: unknown keys, flush everything). Until its reply,
   * L1 does not answer this client's reads of those keys; when the reply comes, before the client
   * sees it, no L1 copy of what it wrote survives.
   */
  private forwardWrite(
    raw: Buffer,
    keys: string[] | null,
    batch: Buffer[],
    expectations: Expectation[],
    /** Runs with the reply (undefined: the upstream failed), after the invalidation. */
    settled?: (reply: Buffer | undefined) => void,
    blocking = false,
  ): void {
    const core = this.core;
    if (keys === null) this.flushesInFlight++;
    else for (const key of keys) this.writesInFlight.set(key, (this.writesInFlight.get(key) ?? 0) + 1);
    const settle = () => {
      if (keys === null) {
        this.flushesInFlight--;
        return;
      }
      for (const key of keys) {
        const left = this.writesInFlight.get(key)! - 1;
        if (left === 0) this.writesInFlight.delete(key);
        else this.writesInFlight.set(key, left);
      }
    };
    this.forward(
      raw,
      batch,
      expectations,
      (reply) => {
        if (keys === null) core.flushL1();
        else core.invalidateKeys(keys, 'ownWrite');
        settle();
        settled?.(reply);
      },
      () => {
        // The write may or may not have happened: drop what L1 holds of it either way.
        if (keys === null) core.flushL1();
        else core.invalidateKeys(keys, 'ownWrite');
        settle();
        settled?.(undefined);
      },
      blocking,
    );
  }

  /** L1 may answer this client now: the cache is trustworthy and the client's identity is settled. */
  private mayReadL1(): boolean {
    return this.core.cache !== undefined && this.core.l1Trusted && this.flushesInFlight === 0 && this.l1Readable();
  }

  /**
   * What this client's own state allows, whether L1 is trusted or not: its L1 partition is known
   * (user, database, protocol settled), no transaction is being queued, and Redis does not need
   * to see its reads (tracking).
   */
  private l1Readable(): boolean {
    return this.state.user !== undefined && !this.inMulti && this.stateChangesInFlight === 0 && this.state.tracking !== 'reads';
  }

  /**
   * A cacheable read L1 cannot answer now. While invalidation is down L1 is not trusted, but if
   * the upstream fails too, the copy L1 still holds (at most one L1 TTL old) beats an error,
   * unless --l1-require-fresh says otherwise.
   */
  private forwardUncached(raw: Buffer, key: string, variant: string, batch: Buffer[], expectations: Expectation[]): void {
    const core = this.core;
    const fallback =
      core.cache !== undefined && !core.l1Trusted && !core.config.requireFresh && this.l1Readable();
    if (!fallback || !core.keyAllowed(key)) {
      this.forward(raw, batch, expectations);
      return;
    }
    const db = this.state.db;
    this.forward(raw, batch, expectations, undefined, () => {
      const stale = core.cache!.get(ReplyCache.entryKey(db, key), variant);
      if (stale !== undefined) core.stats.l1StaleHits++;
      return stale;
    });
  }

  private variantOf(name: string, args: Buffer[]): string {
    let variant = this.variantPrefix + name;
    for (let i = 2; i < args.length; i++) variant += `\u0000${args[i].toString('latin1')}`;
    return variant;
  }

  /** MGET of keys that are all in L1 (as GET replies): assemble the array reply. */
  /**
   * Answers an MGET from L1 if every key hits: ANSWERED; else the index of the first key that
   * missed or may not be read from L1 (the keys before it may).
   */
  private answerMgetFromL1(keys: readonly string[]): number {
    const core = this.core;
    let reply = `*${keys.length}\r\n`;
    // Logged once the whole MGET is answered here; else forwardMgetCacheable logs every key.
    const recorder = core.recorder;
    const lengths: number[] | undefined = recorder === undefined ? undefined : [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (!core.keyAllowed(key) || this.writePending(key)) return i;
      const hit = core.cache!.get(ReplyCache.entryKey(this.state.db, key), this.getVariant);
      if (hit === undefined) return i;
      lengths?.push(hit.length);
      reply += hit;
    }
    core.stats.l1Hits += keys.length;
    if (recorder !== undefined) lengths!.forEach((length, i) => recorder.access(keys[i], length));
    this.emit(reply);
    return ANSWERED;
  }

  /** Whether every key of an MGET from `from` on may be read into L1 now (the earlier ones were checked). */
  private mgetCacheable(keys: readonly string[], from: number): boolean {
    for (let i = from; i < keys.length; i++) {
      if (!this.core.keyAllowed(keys[i]) || this.writePending(keys[i])) return false;
    }
    return true;
  }

  /**
   * An MGET L1 cannot answer whole: forwarded as is, and each key's value in the reply is stored
   * as that key's GET reply, under the same rules as a GET (a read ticket per key, the key's PTTL
   * asked right behind). Nil elements are not stored: MGET says nil for a key of another type,
   * where GET answers WRONGTYPE.
   */
  private forwardMgetCacheable(keys: readonly string[], raw: Buffer, batch: Buffer[], expectations: Expectation[]): void {
    const core = this.core;
    const tickets = keys.map((key) => core.guard.begin(key));
    let settled = false;
    const settleAll = (): boolean[] => {
      if (settled) return [];
      settled = true;
      return tickets.map((ticket) => core.guard.settle(ticket));
    };
    const db = this.state.db;
    const protocol = this.state.protocol;
    const variant = this.getVariant;
    let values: (Buffer | undefined)[] | undefined;
    this.forward(raw, batch, expectations, (reply) => {
      values = splitBulkArray(reply, keys.length);
      const recorder = core.recorder;
      if (recorder !== undefined) keys.forEach((key, j) => recorder.access(key, values?.[j]?.length ?? -1));
    }, () => {
      settleAll();
    });
    const ttls: (number | undefined)[] = [];
    for (const key of keys) {
      batch.push(core.encodePttl(key));
      expectations.push({
        onReply: (ttlRaw) => {
          ttls.push(integerReply(ttlRaw));
        },
        onError: () => {
          settleAll();
        },
      });
    }
    this.checkPairing(batch, expectations, (paired) => {
      const fresh = settleAll();
      if (!paired || values === undefined || protocol !== this.state.protocol || !core.l1Trusted) return;
      keys.forEach((key, j) => {
        const value = values![j];
        const ms = ttls[j];
        if (fresh[j] && value !== undefined) core.cache!.put(db, key, variant, value, ms !== undefined && ms >= 0 ? ms : undefined);
      });
    });
  }

  private forwardCacheable(raw: Buffer, key: string, variant: string, batch: Buffer[], expectations: Expectation[]): void {
    const core = this.core;
    const ticket: ReadTicket = core.guard.begin(key);
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      return core.guard.settle(ticket);
    };
    const db = this.state.db;
    const protocol = this.state.protocol;
    let reply: Buffer | undefined;
    this.forward(
      raw,
      batch,
      expectations,
      (r) => {
        reply = r;
        core.recorder?.access(key, isErrorReply(r) ? -1 : r.length);
      },
      settle,
    );
    // The key's remaining TTL in Redis, asked right behind the read, bounds the L1 copy's life.
    let ms: number | undefined;
    batch.push(core.encodePttl(key));
    expectations.push({
      onReply: (ttlRaw) => {
        ms = integerReply(ttlRaw);
      },
      onError: settle,
    });
    this.checkPairing(batch, expectations, (paired) => {
      const fresh = settle();
      if (!paired || !fresh || reply === undefined || isErrorReply(reply) || protocol !== this.state.protocol || !core.l1Trusted) return;
      core.cache!.put(db, key, variant, reply, ms !== undefined && ms >= 0 ? ms : undefined);
    });
  }

  /**
   * Queues the pairing check (ProxyCore.pairingCheck) behind a read whose reply is to go into L1;
   * `settled` gets whether the replies were shown paired with their commands (false also when the
   * upstream failed first). An error in the token's place proves nothing (a user Redis does not
   * let run ECHO, a BUSY script): nothing is stored. Any other reply there means this connection's
   * replies no longer match its commands: nothing is stored, and the client is closed rather than
   * answered wrongly.
   */
  private checkPairing(batch: Buffer[], expectations: Expectation[], settled: (paired: boolean) => void): void {
    const check = this.core.pairingCheck();
    batch.push(check.command);
    expectations.push({
      onReply: (echoed) => {
        const paired = echoed.equals(check.reply);
        settled(paired);
        if (!paired && !isErrorReply(echoed)) this.destroy();
      },
      onError: () => settled(false),
    });
  }

  /** `hold`: the commands after this one wait, unread, for its answer (see `inputHeld`). */
  private forwardStateChange(name: string, args: Buffer[], raw: Buffer, batch: Buffer[], expectations: Expectation[], hold = false): void {
    this.stateChangesInFlight++;
    const place = this.multiQueued;
    if (hold) this.holdInput();
    this.forward(
      raw,
      batch,
      expectations,
      (reply) => {
        if (isQueuedReply(reply)) {
          // In flight until the transaction is answered.
          this.queuedStateChanges.push({ place, name, args });
          return;
        }
        this.stateChangesInFlight--;
        if (!isErrorReply(reply)) this.applyStateChange(name, args);
        if (hold) this.releaseInput();
      },
      () => {
        this.stateChangesInFlight--;
        if (hold) this.releaseInput();
      },
    );
  }

  /**
   * The transaction is answered (`execReply`: EXEC's reply; undefined: DISCARD, or no reply):
   * the state changes queued in it take effect where EXEC ran them without an error.
   */
  private settleQueuedStateChanges(execReply: Buffer | undefined): void {
    const changes = this.queuedStateChanges;
    if (changes.length === 0) return;
    this.queuedStateChanges = [];
    this.stateChangesInFlight -= changes.length;
    const results = execReply === undefined ? undefined : transactionResults(execReply);
    if (results === undefined) return;
    for (const { place, name, args } of changes) {
      const result = results[place];
      if (result !== undefined && !isErrorReply(result)) this.applyStateChange(name, args);
    }
  }

  private applyStateChange(name: string, args: Buffer[]): void {
    this.state.apply(name, args, this.core.initialUser);
    if (name === 'reset') {
      this.inMulti = false;
      this.multiWrites = [];
      this.watching = false;
      // RESET in a MULTI ran at once and ended it: what was queued never runs.
      this.settleQueuedStateChanges(undefined);
    }
    this.updateVariantPrefix();
  }

  /**
   * Queues a command for the upstream; `onReply` runs before the reply is released to the client
   * (so invalidations happen first), `onFailure` when the upstream failed instead.
   */
  private forward(
    raw: Buffer,
    batch: Buffer[],
    expectations: Expectation[],
    /** May return a reply to send instead of Redis's. */
    onReply?: (reply: Buffer) => Reply | undefined | void,
    /** May return a reply to send instead of the error. */
    onFailure?: () => Reply | undefined | boolean | void,
    /** The command may wait for data (see `inputEnded`). */
    blocking = false,
  ): void {
    const slot: Slot = { bytes: undefined, blocking };
    this.queue.push(slot);
    if (this.inMulti) this.multiQueued++;
    const stats = this.core.stats;
    stats.l2Requests++;
    const sentAt = performance.now();
    batch.push(raw);
    expectations.push({
      blocking,
      onReply: (reply) => {
        const now = performance.now();
        stats.recordL2Latency((now - sentAt) * 1e6, now);
        slot.bytes = onReply?.(reply) ?? reply;
        this.releaseReady();
      },
      onError: (error) => {
        stats.l2Errors++;
        const instead = onFailure?.();
        if (this.upstreamEnded || lostAfterConnect(error)) {
          // Redis closed the connection without answering (a half-closed one at a blocked command
          // and those behind it, a killed one): as it would close this client's, with no reply.
          slot.bytes = NO_REPLY;
        } else {
          slot.bytes = typeof instead === 'string' || Buffer.isBuffer(instead) ? instead : errorReply(`ERR ${error.message}`);
        }
        this.releaseReady();
      },
    });
  }

  /**
   * UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE on a connection with no subscription (a subscribed
   * one is in raw mode): Redis answers once per channel named, once when none is, or refuses it
   * with one error (NOPERM, BUSY...). Those replies are gathered into the command's one place in
   * the reply order. Where their count is not that (RESP3 makes them push frames; in MULTI they
   * land inside EXEC's reply, past its count) or not known (a HELLO in flight), the connection
   * goes raw, as a subscriber's does.
   */
  private forwardUnsubscribe(args: Buffer[], raw: Buffer, batch: Buffer[], expectations: Expectation[]): void {
    if (this.inMulti || this.stateChangesInFlight > 0 || this.state.protocol !== 2) {
      this.enterRawMode(raw, batch, expectations);
      return;
    }
    this.forward(raw, batch, expectations);
    const answer = expectations.pop()!;
    const parts: Buffer[] = [];
    let left = 0;
    expectations.push({
      onReply: (reply, type) => {
        if (parts.length === 0) left = isErrorReply(reply) ? 1 : Math.max(1, args.length - 1);
        parts.push(Buffer.from(reply));
        if (--left > 0) return left;
        answer.onReply(parts.length === 1 ? parts[0] : Buffer.concat(parts), type);
        return 0;
      },
      onError: (error) => answer.onError(error),
    });
  }

  /** `forward` of a command Redis runs at once inside MULTI (refusing it), so not one of EXEC's. */
  private forwardUnqueued(raw: Buffer, batch: Buffer[], expectations: Expectation[]): void {
    this.forward(raw, batch, expectations);
    this.multiQueued--;
  }

  private sendForwarded(batch: Buffer[], expectations: Expectation[]): void {
    if (batch.length === 0) return;
    // The frames may be views of the chunk just read (the scanner's misses): copied here, once,
    // since the upstream may still hold them when the next read reuses that buffer.
    const bytes = batch.length === 1 ? this.kept(batch[0]) : Buffer.concat(batch);
    const exps = expectations.slice();
    batch.length = 0;
    expectations.length = 0;
    this.upstreamConnection().send(bytes, exps);
  }

  private upstreamConnection(): UpstreamConnection {
    if (this.upstream === undefined || !this.upstream.alive) {
      this.upstream = this.core.openUpstream(this.state.handshake(), {
        onClose: (error) => {
          this.upstreamLost();
          // The client's input ended and Redis has answered it: end once the replies are written.
          if (this.inputClosed) this.closeIfIdle();
          // Redis closed this client's connection (CLIENT KILL, its idle timeout, a restart), or
          // it was lost: the client's ends too, as it would on a direct connection, since a
          // command in flight may or may not have run. (The two look alike from here.)
          else if (lostAfterConnect(error)) this.destroy();
          // Never connected, or dropped by the proxy: the next command opens another connection,
          // but a subscription, transaction, watch or tracking could not be carried over to it.
          else if (this.raw || this.inMulti || this.watching || this.state.tracking !== 'off') this.destroy();
        },
        onPush: (push) => {
          this.out.push(push);
          this.releaseReady();
        },
        onReady: () => {
          if (!this.identityUnconfirmed) return;
          this.identityUnconfirmed = false;
          this.stateChangesInFlight--;
        },
        // Redis no longer takes this client's credentials (user deleted, password changed): it
        // closed the connection, and would not have this client back as that user.
        onRefused: () => this.destroy(),
      });
    }
    return this.upstream;
  }

  /** The upstream connection closed: the next one must show who this client is now. */
  private upstreamLost(): void {
    if (this.state.authArgs === undefined) {
      // Never authenticated: the next connection is whoever a new connection is now.
      this.state.user = this.core.initialUser;
      this.updateVariantPrefix();
    } else if (!this.identityUnconfirmed) {
      this.identityUnconfirmed = true;
      this.stateChangesInFlight++;
    }
  }

  /**
   * Subscribe, monitor and CLIENT REPLY OFF/SKIP: from this command on, bytes flow unparsed both
   * ways. Replies already owed are written first (the upstream connection hands over its raw
   * stream only after they arrived).
   */
  private enterRawMode(raw: Buffer, batch: Buffer[], expectations: Expectation[]): void {
    this.raw = true;
    this.sendForwarded(batch, expectations);
    const upstream = this.upstreamConnection();
    upstream.switchToRaw((chunk) => {
      this.releaseReady();
      this.flushNow();
      this.client.write(chunk);
      // A subscriber that stops reading: Redis holds what follows, and applies its own output
      // limit (it closes the connection, and so the proxy this client's), as it would directly.
      if (this.client.writableLength > RAW_BACKLOG) upstream.pauseReading();
    });
    upstream.writeRaw(raw);
  }

  /** A reply produced here (not forwarded): written now, or queued behind forwarded ones. */
  private emit(bytes: Reply): void {
    if (this.queue.length === this.queueHead) this.out.push(bytes);
    else this.queue.push({ bytes, blocking: false });
  }

  /** `emit` of a reply in L1's arena: copied from the record, or kept as a string while earlier replies are owed. */
  private emitArenaReply(arena: ReplyArena, ref: number): void {
    if (this.queue.length === this.queueHead) this.out.pushBytes(arena.bytesOf(ref), arena.replyStart(ref), arena.replyLength(ref));
    else this.queue.push({ bytes: arena.replyString(ref), blocking: false });
  }

  private releaseReady(): void {
    const queue = this.queue;
    while (this.queueHead < queue.length && queue[this.queueHead].bytes !== undefined) {
      this.out.push(queue[this.queueHead].bytes!);
      queue[this.queueHead++] = undefined as unknown as Slot;
    }
    if (this.queueHead === queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    if (!this.out.empty) this.flush();
    if (this.inputClosed) this.passOnEndAtBlockedCommand();
  }

  protected override hasRepliesInFlight(): boolean {
    // Raw mode after the client's input ended: Redis's bytes flow until it closes the connection.
    return (
      this.inputHeld ||
      this.turnInput !== undefined ||
      this.queue.length !== this.queueHead ||
      (this.raw && this.upstreamEnded && this.upstream?.alive === true)
    );
  }

  /**
   * The client closed its side: as from Redis, it gets the replies to everything it sent, then
   * the connection ends. Forwarded replies are awaited on the open upstream connection: ended at
   * once, Redis would drop the replies it had not yet written when it read the end (it does with
   * a few hundred KB of them), which the client would then miss. Two cases pass the end on to
   * Redis instead: raw mode, whose bytes do not pair with commands (Redis answers, then closes),
   * and a blocking command next in line (`passOnEndAtBlockedCommand`).
   */
  protected override inputEnded(): void {
    if (this.turnInput !== undefined) {
      this.turnInputEnded = true;
      return;
    }
    this.inputClosed = true;
    // The input held is read first (releaseInput ends it then).
    if (!this.inputHeld) this.endInput();
  }

  private endInput(): void {
    if (this.raw) this.endUpstream();
    else this.passOnEndAtBlockedCommand();
    super.inputEnded();
  }

  /**
   * After the client's end, when the next reply owed is a blocking command's: every reply before
   * it has arrived, and only Redis knows whether that command blocks. Ending the upstream
   * connection there makes Redis answer it if it can, else drop it and the commands behind it (as
   * it drops a blocked client that closed its side), then close.
   */
  private passOnEndAtBlockedCommand(): void {
    if (this.upstreamEnded || this.queueHead === this.queue.length) return;
    const next = this.queue[this.queueHead];
    if (next.blocking && next.bytes === undefined) this.endUpstream();
  }

  private endUpstream(): void {
    if (this.upstream?.alive !== true) return;
    this.upstreamEnded = true;
    this.upstream.close();
  }

  protected override drained(): void {
    if (this.raw) this.upstream?.resumeReading();
  }

  protected override released(): void {
    this.core.stats.connectedClients--;
    this.upstream?.destroy();
  }
}
