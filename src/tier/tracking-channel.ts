/**
 * invalidation: 'tracking'. Redis's CLIENT TRACKING in BCAST mode, through the listener the proxy
 * uses (./invalidation.ts), on the prefixes `ns:` (values) and `ns#clear` (clear()), so writes by
 * any program to `ns:k` reach every instance and other namespaces stay silent. The listener
 * names keys as latin1 strings of their bytes; ioredis wrote them as UTF-8, so they are decoded
 * back before the prefix is stripped.
 */
import { InvalidationListener } from './invalidation.js';
import type { ChannelHandlers, ChannelState, InvalidationChannel } from './invalidation-channel.js';
import type { Keyspace } from './keyspace.js';
import type { UpstreamTarget } from './redis-connection.js';

const NON_ASCII = /[^\u0000-\u007f]/;

export class TrackingChannel implements InvalidationChannel {
  private readonly listener: InvalidationListener;
  state: ChannelState = 'down';

  constructor(target: UpstreamTarget, keys: Keyspace, timeout: number, handlers: ChannelHandlers) {
    const prefix = keys.dataPrefix;
    this.listener = new InvalidationListener({
      target,
      prefixes: [prefix, keys.clearMarker],
      timeout,
      onInvalidate: (redisKeys) => {
        const changed: string[] = [];
        for (const latin1 of redisKeys) {
          const redisKey = NON_ASCII.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
          if (redisKey === keys.clearMarker) {
            handlers.flush();
            return;
          }
          if (redisKey.startsWith(prefix)) changed.push(redisKey.slice(prefix.length));
        }
        if (changed.length > 0) handlers.invalidate(changed);
      },
      onFlush: () => handlers.flush(),
      onStateChange: (listenerState, detail) => {
        // 'down': L1 may now miss invalidations, so it is flushed; on the way back up the
        // listener flushes again before trusting the channel.
        this.state = listenerState === 'tracking' ? 'connected' : listenerState === 'none' ? 'off' : 'down';
        if (this.state === 'down') handlers.flush();
        handlers.stateChanged(this.state, detail);
      },
    });
  }

  start(): void {
    this.listener.start();
  }

  async close(): Promise<void> {
    this.listener.close();
  }
}
