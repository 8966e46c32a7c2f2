/**
 * One client connection of the proxy. It parses the client's commands, answers cacheable reads
 * from L1 when it can, and forwards everything else over its own upstream connection, so that
 * every piece of connection state Redis keeps (database, protocol, user, MULTI, WATCH, blocking
 * commands, client name, CLIENT TRACKING) lives where Redis expects it. Replies go back in
 * request order: a reply that is ready waits behind the forwarded commands sent before it.
 *
 * When that upstream connection dies, the next command opens another with the client's database,
 * protocol, user and name; a client whose state cannot be carried over (a subscription, MULTI,
 * WATCH, tracking) is closed instead, as Redis closing its connection would. A client with
 * tracking on (except BCAST) is never answered from L1: Redis tracks only the reads it sees. A
 * SELECT, HELLO, AUTH or CLIENT TRACKING queued in MULTI takes effect here when EXEC's reply
 * shows it ran.
 *
 * Hit path: parse a frame, look the key up, copy the stored reply bytes into the client's reply
 * buffer; everything answered while handling one chunk of input is written in one socket write.
 */
import type net from 'node:net';
import { ClientConnection, errorReply } from './client-connection.js';
import { CACHEABLE_READS, isClientTracking, keyword, SESSION_STATE_COMMANDS, switchesToRawMode } from './commands.js';
import type { ProxyCore } from './core.js';
import { getVariantNumber, getVariantOf, ReplyCache, variantPrefix } from './reply-cache.js';
import type { ReplyArena } from './reply-arena.js';
import type { RespCommand } from '../resp/request-parser.js';
import { commandName } from '../metrics/command-counter.js';
import { isInfoCachee, TIMING_SAMPLE_MASK } from './stats.js';
import { encodeBulkString, Replies } from '../resp/encode.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import type { ReadTicket } from '../tier/read-guard.js';
import { isErrorReply, type Expectation, type UpstreamConnection } from '../tier/redis-connection.js';


/** A forwarded command's place in the reply order when it gets no reply at all. */
const NO_REPLY = Buffer.alloc(0);

/** Reply bytes: a Buffer, or a latin1 string as L1 stores them. */
type Reply = Buffer | string;

interface Slot {
  bytes: Reply | undefined;
}

/** answerMgetFromL1: every key hit and the reply is sent. */
const ANSWERED = -1;

/** `latin1Slice` exists on every Node Buffer (`toString('latin1', ...)` calls it) but is not typed. */
interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

/**
 * The elements of an array reply of `count` bulk strings, each as its own bulk-string reply
 * bytes; undefined for a nil element; undefined altogether for anything else (an error, say).
 * Elements are copied out, so the socket's buffer is not kept.
 */
function splitBulkArray(reply: Buffer, count: number): (Buffer | undefined)[] | undefined {
  const header = `*${count}\r\n`;
  if (reply.toString('latin1', 0, header.length) !== header) return undefined;
  const out: (Buffer | undefined)[] = [];
  let pos = header.length;
  for (let n = 0; n < count; n++) {
    const type = reply[pos];
    if (type === 0x5f) {
      // RESP3 null: `_\r\n`
      out.push(undefined);
      pos += 3;
      continue;
    }
    if (type !== 0x24) return undefined;
    const lineEnd = reply.indexOf(0x0d, pos);
    if (lineEnd < 0) return undefined;
    const length = Number(reply.toString('latin1', pos + 1, lineEnd));
    if (length < 0) {
      out.push(undefined);
      pos = lineEnd + 2;
      continue;
    }
    const end = lineEnd + 2 + length + 2;
    if (!Number.isInteger(length) || end > reply.length) return undefined;
    out.push(Buffer.from(reply.subarray(pos, end)));
    pos = end;
  }
  return pos === reply.length ? out : undefined;
}

/** Redis's answer to a command queued in MULTI. */
function isQueuedReply(raw: Buffer): boolean {
  return raw.length === 9 && raw.toString('latin1') === '+QUEUED\r\n';
}

/**
 * The replies in EXEC's reply to the commands it ran, each its raw bytes; undefined when it ran
 * none (a WATCHed key changed: nil; EXECABORT: an error).
 */
function transactionResults(reply: Buffer): Buffer[] | undefined {
  if (reply[0] !== 0x2a) return undefined;
  const lineEnd = reply.indexOf(0x0d);
  const count = Number(reply.toString('latin1', 1, lineEnd));
  if (!Number.isInteger(count) || count < 0) return undefined;
  const scanner = new ReplyScanner();
  scanner.feed(reply.subarray(lineEnd + 2));
  const results: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const result = scanner.next();
    if (result === undefined) return undefined;
    results.push(result.raw);
  }
  return results;
}

/** The integer in a `:n\r\n` reply. */
function integerReply(raw: Buffer): number | undefined {
  if (raw[0] !== 0x3a) return undefined;
  return Number(raw.toString('latin1', 1, raw.length - 2));
}

export class ClientSession extends ClientConnection {
  private upstream: UpstreamConnection | undefined;
  /** Replies not yet written, in order; only used while a forwarded reply is outstanding. */
  private queue: Slot[] = [];
  private queueHead = 0;
  /** Commands for the upstream gathered while handling one chunk of input, and what to do with their replies. */
  private readonly batch: Buffer[] = [];
  private readonly expectations: Expectation[] = [];
  private raw = false;
  /**
   * The client closed its side. Its upstream connection is half-closed too, so that Redis answers
   * what it was sent, drops a blocked command (as it would for this client) and closes: the
   * client's connection ends after the last reply, raw bytes included.
   */
  private inputClosed = false;

  /** Connection state, mirrored from the commands Redis accepted. */
  private db: number;
  private protocol = 2;
  /** The ACL user whose L1 partition this client may read; undefined: not known to be authenticated. */
  private user: string | undefined;
  private authArgs: Buffer[] | undefined;
  private clientName: Buffer | undefined;
  private inMulti = false;
  /**
   * WATCH sent and not yet ended by EXEC, DISCARD, UNWATCH or RESET. Set when sent, not when
   * answered: a WATCH lost with its upstream connection would let the EXEC after it run unguarded.
   */
  private watching = false;
  /**
   * CLIENT TRACKING as Redis took it. 'reads': Redis reports writes to the keys this connection
   * read, so L1 must not answer it (a read L1 answers is one Redis never tracks, and the client's
   * own cache would keep that key past its next write). 'bcast': Redis reports every write under
   * the prefixes, read or not, so L1 may answer.
   */
  private tracking: 'off' | 'reads' | 'bcast' = 'off';
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

  constructor(
    private readonly core: ProxyCore,
    socket: net.Socket,
    onClosed: (session: ClientConnection) => void,
  ) {
    super(socket, core.config, onClosed);
    core.stats.connectedClients++;
    this.db = core.target?.db ?? 0;
    this.user = core.initialUser;
    this.updateVariantPrefix();
  }

  private updateVariantPrefix(): void {
    this.variantPrefix = variantPrefix(this.user, this.protocol);
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
    return !(this.raw || this.closing || this.recordingActive);
  };

  protected onData(chunk: Buffer): void {
    if (this.raw) {
      this.upstream?.writeRaw(this.kept(chunk));
      return;
    }
    const batch = this.batch;
    const expectations = this.expectations;
    const fastEnd = this.parser.bufferedBytes === 0 ? this.scanGets(chunk, batch, expectations) : 0;
    if (fastEnd < chunk.length) this.parser.feed(this.kept(fastEnd === 0 ? chunk : chunk.subarray(fastEnd)));
    // A chunk of GETs alone, all answered above, leaves the parser nothing to read.
    const failure = fastEnd === chunk.length ? undefined : this.readCommands(this.dispatchParsed);
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
    const db = this.db;
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
      if (i === pos + 14 || i + 1 >= length || chunk[i] !== 0x0d || chunk[i + 1] !== 0x0a || keyLength > maxBulk) break;
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

    if (name === 'get' && args.length === 2 && this.mayReadL1()) {
      const key = args[1].toString('latin1');
      if (core.keyAllowed(key) && !this.writePending(key)) {
        // (The scanner answers most GETs before they get here; this covers inline and split frames.)
        const timed = (core.stats.l1Hits & TIMING_SAMPLE_MASK) === 0;
        const start = timed ? process.hrtime.bigint() : 0n;
        const hit = core.cache!.get(ReplyCache.entryKey(this.db, key), this.getVariant);
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
        if (isInfoCachee(args)) {
          this.emit(encodeBulkString(core.infoSection()));
          return;
        }
        break;
      case 'cachee':
        this.emit(this.answerCachee(core, args, this.protocol));
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
            if (!isErrorReply(reply) && !isQueuedReply(reply)) this.clientName = clientName;
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
      this.forwardStateChange(name, args, raw, batch, expectations);
      return;
    }
    if (switchesToRawMode(name, args)) {
      this.enterRawMode(raw, batch, expectations);
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
        const hit = core.cache!.get(ReplyCache.entryKey(this.db, key), variant);
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

    if (!keys.mutates) {
      this.forward(raw, batch, expectations);
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
    this.forwardWrite(raw, needsFlush ? null : written, batch, expectations);
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
    return this.user !== undefined && !this.inMulti && this.stateChangesInFlight === 0 && this.tracking !== 'reads';
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
    const db = this.db;
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
      const hit = core.cache!.get(ReplyCache.entryKey(this.db, key), this.getVariant);
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
    const db = this.db;
    const protocol = this.protocol;
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
    keys.forEach((key, k) => {
      batch.push(core.encodePttl(key));
      expectations.push({
        onReply: (ttlRaw) => {
          ttls.push(integerReply(ttlRaw));
          if (k !== keys.length - 1) return;
          const fresh = settleAll();
          if (values === undefined || protocol !== this.protocol || !core.l1Trusted) return;
          keys.forEach((key, j) => {
            const value = values![j];
            const ms = ttls[j];
            if (fresh[j] && value !== undefined) core.cache!.put(db, key, variant, value, ms !== undefined && ms >= 0 ? ms : undefined);
          });
        },
        onError: () => {
          settleAll();
        },
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
    const db = this.db;
    const protocol = this.protocol;
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
    batch.push(core.encodePttl(key));
    expectations.push({
      onReply: (ttlRaw) => {
        const fresh = settle();
        if (!fresh || reply === undefined || isErrorReply(reply) || protocol !== this.protocol || !core.l1Trusted) return;
        const ms = integerReply(ttlRaw);
        core.cache!.put(db, key, variant, reply, ms !== undefined && ms >= 0 ? ms : undefined);
      },
      onError: settle,
    });
  }

  private forwardStateChange(name: string, args: Buffer[], raw: Buffer, batch: Buffer[], expectations: Expectation[]): void {
    this.stateChangesInFlight++;
    const place = this.multiQueued;
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
      },
      () => {
        this.stateChangesInFlight--;
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
    const word = (i: number) => keyword(args, i);
    switch (name) {
      case 'client':
        if (word(2) === 'on') this.tracking = args.some((a, i) => i >= 3 && word(i) === 'bcast') ? 'bcast' : 'reads';
        else this.tracking = 'off';
        return;
      case 'select':
        this.db = Number(args[1].toString('latin1'));
        break;
      case 'auth':
        this.user = args.length >= 3 ? args[1].toString('latin1') : 'default';
        this.authArgs = args.map((a) => Buffer.from(a));
        break;
      case 'hello': {
        if (args.length >= 2) this.protocol = Number(args[1].toString('latin1'));
        for (let i = 2; i < args.length; i++) {
          if (word(i) === 'auth' && i + 2 < args.length) {
            this.user = args[i + 1].toString('latin1');
            this.authArgs = [Buffer.from('AUTH'), Buffer.from(args[i + 1]), Buffer.from(args[i + 2])];
            i += 2;
          } else if (word(i) === 'setname' && i + 1 < args.length) {
            this.clientName = Buffer.from(args[++i]);
          }
        }
        break;
      }
      case 'reset':
        this.db = 0;
        this.protocol = 2;
        this.user = this.core.defaultUserOpen ? 'default' : undefined;
        this.authArgs = undefined;
        this.clientName = undefined;
        this.inMulti = false;
        this.multiWrites = [];
        this.watching = false;
        this.tracking = 'off';
        // RESET in a MULTI ran at once and ended it: what was queued never runs.
        this.settleQueuedStateChanges(undefined);
        break;
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
    onReply?: (reply: Buffer) => void,
    /** May return a reply to send instead of the error. */
    onFailure?: () => Reply | undefined | boolean | void,
  ): void {
    const slot: Slot = { bytes: undefined };
    this.queue.push(slot);
    if (this.inMulti) this.multiQueued++;
    const stats = this.core.stats;
    stats.l2Requests++;
    const sentAt = performance.now();
    batch.push(raw);
    expectations.push({
      onReply: (reply) => {
        const now = performance.now();
        stats.recordL2Latency((now - sentAt) * 1e6, now);
        onReply?.(reply);
        slot.bytes = reply;
        this.releaseReady();
      },
      onError: (error) => {
        stats.l2Errors++;
        const instead = onFailure?.();
        if (this.inputClosed) {
          // Redis closed the half-closed connection without answering (a blocked command and those
          // behind it): as it would this client's, with no reply.
          slot.bytes = NO_REPLY;
        } else {
          slot.bytes = typeof instead === 'string' || Buffer.isBuffer(instead) ? instead : errorReply(`ERR ${error.message}`);
        }
        this.releaseReady();
      },
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
      this.upstream = this.core.openUpstream(this.handshake(), {
        // Subscriptions, transactions, watches and tracking cannot be carried over to a new
        // connection: drop the client, as Redis dropping the connection would, and let it reconnect.
        onClose: () => {
          // The client's input ended and Redis has answered it: end once the replies are written.
          if (this.inputClosed) this.closeIfIdle();
          else if (this.raw || this.inMulti || this.watching || this.tracking !== 'off') this.destroy();
        },
        onPush: (push) => {
          this.out.push(push);
          this.releaseReady();
        },
      });
    }
    return this.upstream;
  }

  /** Commands that give a new upstream connection this client's state. */
  private handshake(): Buffer[][] {
    const commands: Buffer[][] = [];
    const auth = this.authArgs ?? this.core.upstreamAuth;
    if (auth !== undefined) commands.push(auth);
    if (this.protocol !== 2) commands.push([Buffer.from('HELLO'), Buffer.from(String(this.protocol))]);
    if (this.db !== 0) commands.push([Buffer.from('SELECT'), Buffer.from(String(this.db))]);
    if (this.clientName !== undefined) commands.push([Buffer.from('CLIENT'), Buffer.from('SETNAME'), this.clientName]);
    return commands;
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
    });
    upstream.writeRaw(raw);
  }

  /** A reply produced here (not forwarded): written now, or queued behind forwarded ones. */
  private emit(bytes: Reply): void {
    if (this.queue.length === this.queueHead) this.out.push(bytes);
    else this.queue.push({ bytes });
  }

  /** `emit` of a reply in L1's arena: copied from the record, or kept as a string while earlier replies are owed. */
  private emitArenaReply(arena: ReplyArena, ref: number): void {
    if (this.queue.length === this.queueHead) this.out.pushBytes(arena.bytesOf(ref), arena.replyStart(ref), arena.replyLength(ref));
    else this.queue.push({ bytes: arena.replyString(ref) });
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
  }

  protected override hasRepliesInFlight(): boolean {
    // Raw mode after the client's input ended: Redis's bytes flow until it closes the connection.
    return this.queue.length !== this.queueHead || (this.raw && this.inputClosed && this.upstream?.alive === true);
  }

  protected override inputEnded(): void {
    this.inputClosed = true;
    if (this.upstream?.alive === true && (this.raw || this.hasRepliesInFlight())) this.upstream.close();
    super.inputEnded();
  }

  protected override released(): void {
    this.core.stats.connectedClients--;
    this.upstream?.destroy();
  }
}
