/**
 * One connection to the upstream Redis: a socket (plain or TLS), a reply scanner, and a FIFO of
 * what each expected reply is for. Redis answers a connection's commands in order, so the head
 * of the FIFO always owns the next reply. Push frames (RESP3 `>`) are not replies and go to
 * `onPush`.
 *
 * A connection fails as a whole: on a socket error, a close, a connect that takes longer than
 * `connectTimeout`, or (only when the owner asked for one) a reply overdue past `timeout`: every
 * expectation in the FIFO gets the error and the connection is dead (a late reply could no longer
 * be matched to its command). Expectations marked blocking (BLPOP, WAIT, ...) are exempt from
 * `timeout`. Without `timeout`, a command may run as long as Redis takes (as on a direct
 * connection); a peer that vanished is found by TCP keepalive, which the kernel answers even while
 * Redis is busy.
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodeCommand } from '../resp/encode.js';
import { ReadCopies } from '../resp/read-copies.js';
import { ReplyScanner } from '../resp/reply-scanner.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db: number;
}

/** Parses `redis://[user:pass@]host[:port][/db]` or `rediss://...`. */
export function parseUpstreamUrl(url: string): UpstreamTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a redis:// URL: ${url}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`upstream must be redis:// or rediss://, got ${parsed.protocol}//`);
  }
  if (parsed.hostname === '') throw new TypeError(`upstream URL has no host: ${url}`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`upstream URL has a bad database: ${parsed.pathname}`);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    tls: parsed.protocol === 'rediss:',
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db,
  };
}

/** What to do with one command's reply. */
export interface Expectation {
  /**
   * `raw` is a view into the socket's buffer: copy it to keep it past this call. Returns how many
   * more replies belong to the same command (UNSUBSCRIBE a b is answered twice); they come here too.
   */
  onReply(raw: Buffer, type: number): number | void;
  onError(error: Error): void;
  /** Exempt from the reply deadline (blocking commands). */
  blocking?: boolean;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    /** The connection had been established and was then lost (closed by Redis, reset, keepalive failed), not refused or dropped by us. */
    readonly lostAfterConnect = false,
  ) {
    super(message);
  }
}

const MINUS = 0x2d;
const PUSH = 0x3e;
const SWEEP_MS = 50;
/** Where every upstream connection's reads land: each is handled (and copied) before the next. */
const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

/** Connections with replies outstanding, checked for overdue replies by one shared timer. */
const watched = new Set<UpstreamConnection>();
let sweeper: NodeJS.Timeout | undefined;

function watch(connection: UpstreamConnection): void {
  watched.add(connection);
  if (sweeper === undefined) {
    sweeper = setInterval(() => {
      const now = performance.now();
      for (const c of watched) c.checkDeadline(now);
      if (watched.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    }, SWEEP_MS);
    sweeper.unref();
  }
}

export interface UpstreamOptions {
  /**
   * ms a reply may take before the connection is declared dead; none: replies may take as long as
   * Redis takes. Only for the caller's own health checks, never for a client's commands: a
   * command that outlives a deadline may still have run.
   */
  timeout?: number;
  /** ms the TCP (and TLS) connect may take; none: the kernel's own limit. */
  connectTimeout?: number;
  /** Idle ms before TCP keepalive probes start (Node then probes every second, 10 times); none: keepalive off. */
  keepAlive?: number;
  /** Called for RESP3 push frames (invalidations, pub/sub in RESP3). */
  onPush?: (raw: Buffer) => void;
  /** Called once when the connection dies, after the FIFO was failed. */
  onClose?: (error: Error) => void;
}

export class UpstreamConnection {
  private readonly socket: net.Socket;
  private readonly scanner = new ReplyScanner();
  private readonly readCopies = new ReadCopies();
  private readonly fifo: Expectation[] = [];
  private head = 0;
  private lastProgress = performance.now();
  private dead: Error | undefined;
  private connectedOnce = false;
  private readonly ready: Promise<void>;
  /** When set, every byte from Redis goes here unparsed (a client in subscribe or monitor mode). */
  private rawSink: ((chunk: Buffer) => void) | undefined;

  constructor(
    readonly target: UpstreamTarget,
    private readonly options: UpstreamOptions,
  ) {
    // Plain TCP reads land in one buffer for every upstream connection and are copied (see
    // ReadCopies): Node's own buffer per read is a heap block each, which large replies fragment.
    // Over TLS, Node's decrypted buffers are kept as they come.
    this.socket = target.tls
      ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host })
      : net.connect({ host: target.host, port: target.port, onread: { buffer: SHARED_READ_BUFFER, callback: (length, buffer) => this.onRead(length, buffer) } });
    if (target.tls) this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.setNoDelay(true);
    if (options.keepAlive !== undefined) this.socket.setKeepAlive(true, options.keepAlive);
    const connectTimer =
      options.connectTimeout === undefined
        ? undefined
        : setTimeout(() => this.fail(new UpstreamError(`upstream unavailable: not connected within ${options.connectTimeout} ms`)), options.connectTimeout);
    connectTimer?.unref();
    this.ready = new Promise((resolve, reject) => {
      this.socket.once(target.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(connectTimer);
        this.connectedOnce = true;
        this.lastProgress = performance.now();
        resolve();
      });
      this.socket.once('error', reject);
      this.socket.once('close', () => {
        clearTimeout(connectTimer);
        reject(this.dead ?? new UpstreamError('upstream unavailable: connection closed'));
      });
    });
    this.ready.catch(() => {}); // reported through fail()
    this.socket.on('error', (error) => this.fail(new UpstreamError(`upstream unavailable: ${error.message}`, this.connectedOnce)));
    this.socket.on('close', () => this.fail(new UpstreamError('upstream unavailable: connection closed', this.connectedOnce)));
    // Commands written before the connection is up wait in the socket; their deadline runs from now.
    if (options.timeout !== undefined) watch(this);
  }

  /** Resolves once connected; rejects if the connection failed first. */
  connected(): Promise<void> {
    return this.ready;
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  get outstanding(): number {
    return this.fifo.length - this.head;
  }

  /** Sends bytes holding exactly `expectations.length` commands. */
  send(bytes: Buffer, expectations: readonly Expectation[]): void {
    if (this.dead !== undefined) {
      for (const e of expectations) e.onError(this.dead);
      return;
    }
    if (this.outstanding === 0) this.lastProgress = performance.now();
    for (const e of expectations) this.fifo.push(e);
    this.socket.write(bytes);
    if (this.outstanding > 0 && this.options.timeout !== undefined) watch(this);
  }

  /** Sends one command built from arguments, for the proxy's own use. */
  command(args: (string | Buffer | number)[], expectation: Expectation): void {
    this.send(encodeCommand(args), [expectation]);
  }

  /** Same, as a promise of the raw reply (copied); error replies resolve too (first byte '-'). */
  call(args: (string | Buffer | number)[]): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.command(args, { onReply: (raw) => resolve(Buffer.from(raw)), onError: reject });
    });
  }

  /**
   * From now on, hands every byte from Redis to `sink` without parsing, starting with whatever is
   * buffered, once the replies still expected have arrived. For clients in subscribe or monitor
   * mode, whose replies no longer pair one-to-one with commands.
   */
  switchToRaw(sink: (chunk: Buffer) => void): void {
    this.rawSink = sink;
    if (this.outstanding === 0) this.drainScannerToRaw();
  }

  /** Stops reading from Redis (raw mode, while the client leaves a backlog): Redis then buffers, up to its own limits. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Writes client bytes straight through (raw mode). */
  writeRaw(bytes: Buffer): void {
    if (this.dead === undefined) this.socket.write(bytes);
  }

  checkDeadline(now: number): void {
    if (this.dead !== undefined || this.outstanding === 0) {
      watched.delete(this);
      return;
    }
    const head = this.fifo[this.head];
    const timeout = this.options.timeout;
    if (head.blocking || this.rawSink !== undefined || timeout === undefined) return;
    if (now - this.lastProgress > timeout) {
      this.fail(new UpstreamError(`upstream unavailable: no reply within ${timeout} ms`));
    }
  }

  close(): void {
    this.socket.end();
  }

  destroy(error?: Error): void {
    this.fail(error ?? new UpstreamError('upstream connection closed by the proxy'));
  }

  private drainScannerToRaw(): void {
    const rest = this.scanner.takeBuffered();
    if (rest.length > 0) this.rawSink!(rest);
  }

  private onRead(length: number, buffer: Uint8Array): true {
    const read = Buffer.from(buffer.buffer, buffer.byteOffset, length);
    this.onData(this.readCopies.copy(read, this.scanner.bufferedBytes));
    return true;
  }

  private onData(chunk: Buffer): void {
    if (this.rawSink !== undefined && this.outstanding === 0) {
      this.rawSink(chunk);
      return;
    }
    this.lastProgress = performance.now();
    this.scanner.feed(chunk);
    for (;;) {
      let reply;
      try {
        reply = this.scanner.next();
      } catch (error) {
        this.fail(new UpstreamError(`upstream sent bad RESP: ${(error as Error).message}`));
        return;
      }
      if (reply === undefined) break;
      if (reply.type === PUSH && this.options.onPush !== undefined) {
        this.options.onPush(reply.raw);
        continue;
      }
      const expectation = this.fifo[this.head];
      if (expectation === undefined) {
        this.fail(new UpstreamError('upstream sent a reply nobody asked for'));
        return;
      }
      this.fifo[this.head++] = undefined as unknown as Expectation;
      if (this.head > 1024 && this.head * 2 > this.fifo.length) {
        this.fifo.splice(0, this.head);
        this.head = 0;
      }
      const more = expectation.onReply(reply.raw, reply.type);
      if (typeof more === 'number' && more > 0) {
        // The command's next replies are its own: it goes back to the head of the FIFO.
        if (this.dead !== undefined) {
          expectation.onError(this.dead);
          return;
        }
        if (this.head > 0) this.fifo[--this.head] = expectation;
        else this.fifo.unshift(expectation);
      }
      if (this.rawSink !== undefined && this.outstanding === 0) {
        this.drainScannerToRaw();
        return;
      }
    }
  }

  private fail(error: Error): void {
    if (this.dead !== undefined) return;
    this.dead = error;
    watched.delete(this);
    const pending = this.fifo.slice(this.head);
    this.fifo.length = 0;
    this.head = 0;
    this.socket.destroy();
    for (const e of pending) e.onError(error);
    this.options.onClose?.(error);
  }
}

export function isErrorReply(raw: Buffer): boolean {
  return raw[0] === MINUS;
}
