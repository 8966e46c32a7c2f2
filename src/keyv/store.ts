/**
 * A Keyv storage adapter over cachee: an in-process `Cache` or a `TieredCache` (L1 + Redis), so
 * that Keyv, and cache-manager (built on Keyv), use it as they would any other store.
 *
 * Keyv's side of the contract (keyv 5): it prefixes each key with `namespace:` itself and sets
 * the store's `namespace`, so clear() removes only the keys under that prefix; it hands the store
 * its serialized `{ value, expires }` (a string by default, the object itself with
 * `serialize: undefined`) and the TTL in ms, and checks `expires` on every read. A failed `set`,
 * `delete` or `clear` is reported by Keyv's 'error' event; a failed `get` Keyv turns into a miss
 * without a word, so this store emits 'error' for it.
 *
 * Keyv is only a type here: nothing of it is loaded at run time (it is an optional peer).
 */
import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter } from 'keyv';
import { Cache } from '../core/cache.js';
import { TieredCache } from '../tier/tiered-cache.js';

/** What the store keeps: Keyv's serialized entries, or its `{ value, expires }` objects. */
export type KeyvBackend = Cache<string, unknown> | TieredCache<unknown>;

export class CacheeKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  /** Keyv reads this (and some of its tests write to it); the store has no options of its own. */
  opts: Record<string, unknown> = {};
  /** Set by Keyv: the prefix (`namespace:`) of the keys clear() removes; undefined: every key. */
  namespace?: string;

  constructor(readonly backend: KeyvBackend) {
    super();
    if (!(backend instanceof Cache) && !(backend instanceof TieredCache)) {
      throw new TypeError('CacheeKeyvStore: the backend must be a cachee Cache or TieredCache');
    }
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    try {
      return (await this.backend.get(key)) as Value | undefined;
    } catch (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      throw error;
    }
  }

  async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    return Promise.all(keys.map((key) => this.get<Value>(key)));
  }

  async has(key: string): Promise<boolean> {
    const backend = this.backend;
    if (backend instanceof Cache) return backend.has(key);
    return (await backend.get(key)) !== undefined;
  }

  /**
   * `ttl` in ms (Keyv's); absent: the backend's own default TTL applies. False when an in-process
   * Cache declined the entry (too large for it, or not admitted by its policy).
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    if (ttl !== undefined && !(ttl > 0)) {
      // Expired as it is written (Keyv passes a negative TTL through): the key is absent.
      await this.delete(key);
      return true;
    }
    // Whole ms: Redis's PX, and the engine's wheel.
    const options = ttl === undefined ? undefined : { ttl: Math.ceil(ttl) };
    const backend = this.backend;
    if (backend instanceof Cache) return backend.set(key, value, options);
    await backend.set(key, value, options);
    return true;
  }

  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void> {
    await Promise.all(entries.map(({ key, value, ttl }) => this.set(key, value, ttl)));
  }

  /** True when the key was there. */
  async delete(key: string): Promise<boolean> {
    return this.backend.delete(key);
  }

  /** True when every key was there (as Keyv answers for a store without deleteMany). */
  async deleteMany(keys: string[]): Promise<boolean> {
    const deleted = await Promise.all(keys.map((key) => this.delete(key)));
    return deleted.every(Boolean);
  }

  /** Removes the keys of this store's namespace (all of them when it has none). */
  async clear(): Promise<void> {
    const backend = this.backend;
    const prefix = this.namespace === undefined ? undefined : `${this.namespace}:`;
    if (backend instanceof TieredCache) {
      await (prefix === undefined ? backend.clear() : backend.deleteByPrefix(prefix));
    } else if (prefix === undefined) {
      backend.clear();
    } else {
      for (const key of backend.liveKeys()) if (key.startsWith(prefix)) backend.delete(key);
    }
  }

  /** Closes a TieredCache (its Redis connections); an in-process Cache has nothing to close. */
  async disconnect(): Promise<void> {
    if (this.backend instanceof TieredCache) await this.backend.close();
  }
}
