/**
 * The names a namespace uses in Redis (the README's "Redis layout"):
 * - `ns:k`         the value of key `k` (a string; its Redis TTL is the entry's ttl);
 * - `ns#tag:t`     a set of the keys written with tag `t` (expires with its longest-lived member);
 * - `ns#lock:k`    the distributed lock of a load of `k` (SET NX PX, a random token);
 * - `ns#clear`     written by clear() so that tracking reports it to every instance;
 * - `ns#invalidate` the pub/sub channel of invalidation: 'pubsub'.
 * Internal names use `#`, which a namespace may not contain, so they never collide with `ns:k`.
 */
export class Keyspace {
  readonly dataPrefix: string;
  readonly clearMarker: string;
  readonly channel: string;
  readonly tagPattern: string;
  readonly dataPattern: string;

  constructor(readonly namespace: string) {
    this.dataPrefix = `${namespace}:`;
    this.clearMarker = `${namespace}#clear`;
    this.channel = `${namespace}#invalidate`;
    this.dataPattern = `${namespace}:*`;
    this.tagPattern = `${namespace}#tag:*`;
  }

  data(key: string): string {
    return this.dataPrefix + key;
  }

  tag(tag: string): string {
    return `${this.namespace}#tag:${tag}`;
  }

  lock(key: string): string {
    return `${this.namespace}#lock:${key}`;
  }
}
