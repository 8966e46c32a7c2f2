/** Helpers for TieredCache tests and its benchmark: instances on a test Redis, waits, the stampede. */
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { TieredCache, type TieredCacheOptions } from '../../src/index.js';
import { startEmbeddedProxy, waitFor } from './proxy.js';
import { startRedis } from './redis-server.js';

export { waitFor };

export type Mode = 'tracking' | 'pubsub';

/** What TieredCache's tests run against: a real redis-server, or cachee's own embedded store (no upstream). */
export type Backend = 'redis-server' | 'embedded';
export const BACKENDS: readonly Backend[] = ['redis-server', 'embedded'];

/** A RESP server on loopback. */
export interface TestServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Starts a fresh server of the given kind (the embedded one with 64 MB). */
export async function startBackend(backend: Backend): Promise<TestServer> {
  if (backend === 'redis-server') return startRedis();
  const embedded = await startEmbeddedProxy({ l1Memory: 64 * 1024 * 1024 });
  return { port: embedded.port, url: `redis://127.0.0.1:${embedded.port}`, stop: embedded.stop };
}

export interface RedisForTests {
  /** Set once the hooks' `before` ran. */
  redis: TestServer;
  /** A plain ioredis client of that server, as a program that does not use cachee. */
  plain: Redis;
  /** Caches to close after the tests. */
  open: { close(): Promise<void> }[];
}

/** A throwaway server for the tests around the call (a file or a suite), stopped after them. */
export function redisForTests(backend: Backend = 'redis-server'): RedisForTests {
  const fixture = { open: [] } as unknown as RedisForTests;
  before(async () => {
    fixture.redis = await startBackend(backend);
    fixture.plain = new Redis(fixture.redis.port, '127.0.0.1');
  });
  after(async () => {
    await Promise.all(fixture.open.map((c) => c.close()));
    fixture.plain.disconnect();
    await fixture.redis.stop();
  });
  return fixture;
}

/** A cache whose invalidation channel is up (so every later write reaches it). */
export async function connectedCache<V>(options: TieredCacheOptions<V>): Promise<TieredCache<V>> {
  const cache = new TieredCache<V>(options);
  if ((options.invalidation ?? 'tracking') !== 'none') await untilConnected(cache);
  return cache;
}

export function untilConnected(cache: { readonly invalidationState: string }): Promise<void> {
  return waitFor(() => cache.invalidationState === 'connected', 5000, 'the invalidation channel');
}

/** What the stampede needs of a cache (the built and the source TieredCache both fit). */
export interface Loading {
  getOrLoad(key: string, loader: () => Promise<string>): Promise<string>;
}

/**
 * `callers` concurrent getOrLoad of one cold key spread over the instances; returns how many
 * times the loader ran and the values the callers got.
 */
export async function stampede(caches: Loading[], key: string, callers: number, loadMs: number): Promise<{ loads: number; values: Set<string> }> {
  let loads = 0;
  const loader = async () => {
    loads++;
    await new Promise((resolve) => setTimeout(resolve, loadMs));
    return `value of ${key}`;
  };
  const results = await Promise.all(Array.from({ length: callers }, (_, i) => caches[i % caches.length].getOrLoad(key, loader)));
  return { loads, values: new Set(results) };
}
