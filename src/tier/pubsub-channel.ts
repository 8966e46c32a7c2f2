/**
 * invalidation: 'pubsub'. Every mutation publishes `{"from": <instance id>, "keys": [...]}` or
 * `{"from": ..., "clear": true}` on `ns#invalidate` in the same MULTI or script as the write
 * (./redis-store.ts); each instance subscribes with a duplicate of the L2 client and skips its
 * own messages. Writes made without cachee are not seen: their bound is the L1 TTL.
 *
 * Trust, as with tracking: the channel is lost when the subscriber's connection closes or a PING
 * goes unanswered past the timeout; L1 is flushed then, and again once the subscription is back
 * (messages published in between are gone).
 */
import type { Redis } from 'ioredis';
import type { ChannelHandlers, ChannelState, InvalidationChannel } from './invalidation-channel.js';

const PING_INTERVAL_MS = 1000;

export function encodeChange(from: string, change: { keys: string[] } | { clear: true }): string {
  return JSON.stringify({ from, ...change });
}

export class PubSubChannel implements InvalidationChannel {
  private readonly subscriber: Redis;
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;
  state: ChannelState = 'down';

  constructor(
    client: Redis,
    private readonly channel: string,
    private readonly selfId: string,
    private readonly timeout: number,
    private readonly handlers: ChannelHandlers,
  ) {
    this.subscriber = client.duplicate({
      autoResubscribe: false, // resubscribed by onReady, which must know when it is done
      enableOfflineQueue: true,
      lazyConnect: true,
      maxRetriesPerRequest: null,
      connectionName: 'cachee-invalidation',
    });
  }

  start(): void {
    const s = this.subscriber;
    s.on('error', () => {}); // reported through 'close'
    s.on('ready', () => void this.onReady());
    s.on('close', () => this.lost('subscriber connection closed'));
    s.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
    s.connect().catch(() => {}); // retried by ioredis
  }

  private async onReady(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
    } catch {
      this.subscriber.disconnect(true);
      return;
    }
    this.handlers.flush();
    this.setState('connected', `subscribed to ${this.channel}`);
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  private ping(): void {
    const timer = setTimeout(() => this.subscriber.disconnect(true), this.timeout);
    this.subscriber.ping().then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
  }

  private onMessage(message: string): void {
    let change: { from?: unknown; keys?: unknown; clear?: unknown };
    try {
      change = JSON.parse(message);
    } catch {
      return;
    }
    if (change.from === this.selfId) return;
    if (change.clear === true) this.handlers.flush();
    else if (Array.isArray(change.keys)) this.handlers.invalidate(change.keys.map(String));
  }

  private lost(detail: string): void {
    clearInterval(this.pingTimer);
    if (this.closed || this.state === 'down') return;
    this.handlers.flush();
    this.setState('down', detail);
  }

  private setState(state: ChannelState, detail: string): void {
    this.state = state;
    this.handlers.stateChanged(state, detail);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pingTimer);
    this.subscriber.disconnect();
  }
}
