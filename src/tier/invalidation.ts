/**
 * Listens to Redis for every write made by anyone, so an L1 in front of Redis can drop its copy
 * of a key within a network round trip of the write: Redis's server-assisted client-side caching
 * (CLIENT TRACKING) in broadcasting mode (BCAST), where Redis reports every modified key (under
 * the given prefixes), whoever wrote it, including expiries, evictions and FLUSHALL.
 *
 * Two ways to receive the reports, tried in this order:
 * - RESP3: one connection, `HELLO 3`, `CLIENT TRACKING ON BCAST`, invalidations as push frames;
 * - RESP2: a subscriber connection on `__redis__:invalidate` plus a second connection whose
 *   tracking is redirected to the first (`REDIRECT <id>`). Redis does not tell the subscriber
 *   when the other connection dies, so the death of either counts as losing the channel.
 * If the upstream refuses tracking for good (an "unknown command" or "not supported" error: some
 * Redis-compatible servers do), the listener reports 'none' once and stops: the cache then relies
 * on TTLs and its own writes. Any other error (BUSY while a script runs, LOADING, NOAUTH after a
 * restart, a timeout, a reset) may pass: the channel counts as down and is tried again.
 *
 * Trust: the channel is trusted only while it is up. When it comes (back) up, `onFlush` runs
 * first, since anything cached before may have missed an invalidation, and only then is it
 * trusted. Liveness is checked with a PING every second; a reply later than `timeout` kills the
 * connection, which counts as losing the channel. Reconnects back off from 50 ms to 2 s.
 *
 * Shared by the proxy and the tiered cache: one implementation of "a write elsewhere removes my copy".
 */
import { decodeReply, RespPush, type RespValue } from '../resp/decode.js';
import { encodeCommand } from '../resp/encode.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { UpstreamConnection, type UpstreamTarget } from './redis-connection.js';

export type InvalidationChannelState = 'tracking' | 'down' | 'none';

export interface InvalidationListenerOptions {
  target: UpstreamTarget;
  /** Key prefixes to hear about (BCAST PREFIX); empty: every key. */
  prefixes?: readonly string[];
  /** ms a reply may take before the connection counts as dead. */
  timeout: number;
  /** Which protocol to use; 'auto' tries RESP3 first. */
  protocol?: 'auto' | 2 | 3;
  /** Keys written by someone (latin1 strings, as Redis names them). */
  onInvalidate(keys: string[]): void;
  /** Everything must go: a FLUSHALL/FLUSHDB upstream, or the channel came back after a loss. */
  onFlush(): void;
  onStateChange?(state: InvalidationChannelState, detail: string): void;
}

const PING_INTERVAL_MS = 1000;
const INVALIDATE_CHANNEL = '__redis__:invalidate';

function text(v: RespValue): string {
  return Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
}

function isError(raw: Buffer): boolean {
  return raw[0] === 0x2d || raw[0] === 0x21;
}

function errorText(raw: Buffer): string {
  return raw.toString('latin1', 1).trim();
}

/**
 * Whether an error reply says the server lacks the command for good, as opposed to an error that
 * may pass (BUSY, LOADING, NOAUTH, MASTERDOWN, ... each has its own code; these come as ERR).
 */
function isRefusal(raw: Buffer): boolean {
  const message = errorText(raw);
  return message.startsWith('ERR ') && /unknown (sub)?command|not supported|unsupported/i.test(message);
}

/** A transient failure of one step of setting up the channel: the attempt fails and is retried. */
function failedStep(step: string, raw: Buffer): Error {
  return new Error(`${step} failed: ${errorText(raw)}`);
}

export class InvalidationListener {
  private connections: UpstreamConnection[] = [];
  /** Bumped by every teardown, so the closing of connections we dropped on purpose is ignored. */
  private attempt = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoff = 50;
  private closed = false;
  private state: InvalidationChannelState | undefined;
  private detail = '';
  /** The channel is up and every invalidation since the last flush has been applied. */
  trusted = false;

  constructor(private readonly options: InvalidationListenerOptions) {}

  get channelState(): InvalidationChannelState {
    return this.state ?? 'down';
  }

  start(): void {
    void this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.teardown();
  }

  private setState(state: InvalidationChannelState, detail: string): void {
    // The same state again is reported when its reason changed (a retry that fails otherwise).
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    this.options.onStateChange?.(state, detail);
  }

  /** A connection of the current attempt, authenticated as the URL says. */
  private async open(onPush?: (raw: Buffer) => void): Promise<UpstreamConnection> {
    const attempt = this.attempt;
    const connection = new UpstreamConnection(this.options.target, {
      timeout: this.options.timeout,
      onPush,
      onClose: (error) => {
        if (attempt === this.attempt) this.lost(error.message);
      },
    });
    this.connections.push(connection);
    await connection.connected();
    const { username, password } = this.options.target;
    if (password !== undefined) {
      const auth = await connection.call(username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
      if (isError(auth)) throw new Error(`AUTH refused: ${errorText(auth)}`);
    }
    // Named, so an operator (or a test) can find it in CLIENT LIST.
    await connection.call(['CLIENT', 'SETNAME', 'cachee-invalidation']);
    return connection;
  }

  private trackingArgs(redirectId?: string): string[] {
    const args = ['CLIENT', 'TRACKING', 'ON'];
    if (redirectId !== undefined) args.push('REDIRECT', redirectId);
    args.push('BCAST');
    for (const prefix of this.options.prefixes ?? []) args.push('PREFIX', prefix);
    return args;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const protocol = this.options.protocol ?? 'auto';
      const first = await this.open((raw) => this.onPush(raw));
      let outcome: 'up' | 'unsupported' | 'no-resp3' = 'no-resp3';
      if (protocol !== 2) outcome = await this.connectResp3(first);
      // Without RESP3 the same connection serves as the RESP2 subscriber.
      if (outcome === 'no-resp3' && protocol !== 3) outcome = await this.connectResp2(first);
      if (outcome !== 'up') {
        this.teardown();
        this.setState('none', 'the upstream does not support CLIENT TRACKING');
        return;
      }
      this.backoff = 50;
    } catch (error) {
      this.lost((error as Error).message);
    }
  }

  /** RESP3: one connection, invalidations as push frames. */
  private async connectResp3(connection: UpstreamConnection): Promise<'up' | 'unsupported' | 'no-resp3'> {
    const hello = await connection.call(['HELLO', '3']);
    if (isError(hello)) {
      if (errorText(hello).startsWith('NOPROTO') || isRefusal(hello)) return 'no-resp3';
      throw failedStep('HELLO 3', hello);
    }
    const tracking = await connection.call(this.trackingArgs());
    if (isError(tracking)) {
      if (isRefusal(tracking)) return 'unsupported';
      throw failedStep('CLIENT TRACKING', tracking);
    }
    this.established([connection], 'RESP3 push');
    return 'up';
  }

  /** RESP2: a subscriber, and a tracking connection redirected to it. */
  private async connectResp2(subscriber: UpstreamConnection): Promise<'up' | 'unsupported'> {
    const idReply = await subscriber.call(['CLIENT', 'ID']);
    if (isError(idReply)) {
      if (isRefusal(idReply)) return 'unsupported';
      throw failedStep('CLIENT ID', idReply);
    }
    const id = text(decodeReply(idReply));
    const scanner = new ReplyScanner();
    const subscribed = new Promise<void>((resolve, reject) => {
      subscriber.switchToRaw((chunk) => {
        scanner.feed(chunk);
        for (let reply = scanner.next(); reply !== undefined; reply = scanner.next()) {
          const message = decodeReply(reply.raw);
          if (!Array.isArray(message)) {
            reject(new Error(`unexpected reply on the invalidation subscriber: ${reply.raw.toString('latin1').trim()}`));
            continue;
          }
          const kind = text(message[0]);
          if (kind === 'subscribe') resolve();
          else if (kind === 'message' && text(message[1]) === INVALIDATE_CHANNEL) this.onInvalidation(message[2]);
          // 'pong' replies to our liveness pings need nothing more.
        }
      });
    });
    subscriber.writeRaw(encodeCommand(['SUBSCRIBE', INVALIDATE_CHANNEL]));
    await subscribed;
    const tracker = await this.open();
    const tracking = await tracker.call(this.trackingArgs(id));
    if (isError(tracking)) {
      if (isRefusal(tracking)) return 'unsupported';
      throw failedStep('CLIENT TRACKING', tracking);
    }
    this.established([tracker], 'RESP2 redirect', subscriber);
    return 'up';
  }

  private established(pinged: UpstreamConnection[], how: string, rawPinged?: UpstreamConnection): void {
    // Anything cached while the channel was down may have missed an invalidation.
    this.options.onFlush();
    this.trusted = true;
    this.setState('tracking', how);
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      for (const c of pinged) c.command(['PING'], { onReply: () => {}, onError: () => {} });
      // The subscriber's PING reply arrives on its raw stream; its silence is caught by the
      // tracker's death (both die with the upstream) and by the socket's own errors.
      rawPinged?.writeRaw(encodeCommand(['PING']));
    }, PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  private onPush(raw: Buffer): void {
    const push = decodeReply(raw);
    if (push instanceof RespPush && push.kind === 'invalidate') this.onInvalidation(push.items[1] ?? null);
  }

  private onInvalidation(keys: RespValue | undefined): void {
    if (keys === null || keys === undefined) {
      this.options.onFlush();
      return;
    }
    if (Array.isArray(keys)) this.options.onInvalidate(keys.map(text));
  }

  private teardown(): void {
    this.attempt++;
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    const connections = this.connections;
    this.connections = [];
    for (const c of connections) c.destroy();
  }

  /** The channel is gone: stop trusting, drop every connection, try again later. */
  private lost(reason: string): void {
    if (this.closed) return;
    this.trusted = false;
    this.teardown();
    this.setState('down', reason);
    if (this.retryTimer === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.connect();
      }, this.backoff);
      this.retryTimer.unref();
      this.backoff = Math.min(2000, this.backoff * 2);
    }
  }
}
