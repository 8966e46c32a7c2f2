/**
 * Where the invalidation listener connects: the same server, database and credentials as the L2
 * client, taken from the URL or from an ioredis instance's `options`.
 */
import type { Redis } from 'ioredis';
import { parseUpstreamUrl, type UpstreamTarget } from './redis-connection.js';

export function targetOf(redis: string | Redis): UpstreamTarget {
  if (typeof redis === 'string') return parseUpstreamUrl(redis);
  const o = redis.options;
  if (o.path) throw new TypeError('TieredCache: tracking over a Unix socket is not supported; connect the client over TCP');
  if (o.sentinels && o.sentinels.length > 0) {
    throw new TypeError("TieredCache: tracking through Sentinel is not supported; pass the master's address, or use invalidation: 'pubsub'");
  }
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 6379,
    tls: o.tls !== undefined && o.tls !== null && (o.tls as unknown) !== false,
    username: o.username || undefined,
    password: o.password || undefined,
    db: o.db ?? 0,
  };
}
