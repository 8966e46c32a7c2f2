/**
 * The L2: every command TieredCache sends to Redis, over one ioredis client, each bounded by
 * `l2Timeout`. A client that was connected and lost its connection fails calls at once until it
 * is back (ioredis reconnects by itself), rather than queueing them: a read must fall through to
 * the loader quickly, and a write queued during an outage could land after newer ones.
 *
 * Mutations carry their invalidation announcement in the same atomic step (MULTI or a script):
 * with invalidation 'pubsub' a PUBLISH on the namespace's channel; with 'tracking' Redis itself
 * reports the written keys, and clear() writes the namespace's clear marker.
 */
import { createHash } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import { LatencyRecorder } from '../metrics/latency.js';
import type { Keyspace } from './keyspace.js';

export class L2UnavailableError extends Error {
  override name = 'L2UnavailableError';
}

/** What a mutation tells the other instances, for 'pubsub' (undefined: nothing to publish). */
export type Announce = ((change: { keys: string[] } | { clear: true }) => string) | undefined;

export interface L2Read {
  bytes: Buffer | null;
  pttl: number;
}

const SET_WITH_TAGS = `
local ttl = tonumber(ARGV[2])
if ttl == 0 then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) end
for i = 2, #KEYS do
  local existed = redis.call('EXISTS', KEYS[i])
  redis.call('SADD', KEYS[i], ARGV[3])
  if ttl == 0 then
    redis.call('PERSIST', KEYS[i])
  elseif existed == 0 then
    redis.call('PEXPIRE', KEYS[i], ttl)
  else
    local left = redis.call('PTTL', KEYS[i])
    if left >= 0 and left < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1`;

const INVALIDATE_TAGS = `
local keys = {}
for i = 1, #KEYS do
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    keys[#keys + 1] = member
    redis.call('DEL', ARGV[1] .. member)
  end
  redis.call('DEL', KEYS[i])
end
if ARGV[2] ~= '' and #keys > 0 then redis.call('PUBLISH', ARGV[2], cjson.encode({ from = ARGV[3], keys = keys })) end
return keys`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const SCAN_BATCH = 1000;

/** `text` as a SCAN MATCH pattern that matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export class RedisStore {
  /** Until the client's first connection succeeds or fails, calls wait for it (within the timeout). */
  private firstConnectPending: boolean;
  private readyWaiters: ((connected: boolean) => void)[] = [];
  private readonly scripts = new Map<string, string>();
  /** Calls made (each one command, pipeline, transaction or script). */
  requests = 0;
  /** Time from a call to Redis's reply (an error reply included), ns. */
  readonly latency = new LatencyRecorder();

  constructor(
    readonly client: Redis,
    private readonly keys: Keyspace,
    private readonly timeout: number,
    /** The sender id put in pub/sub messages, so an instance can skip its own. */
    private readonly senderId: string,
    private readonly announce: Announce,
  ) {
    this.firstConnectPending = client.status !== 'ready';
    client.on('ready', this.onReady);
    client.on('close', this.onClose);
  }

  private readonly onClose = (): void => this.settleFirstConnect(false);
  private readonly onReady = (): void => this.settleFirstConnect(true);

  private settleFirstConnect(connected: boolean): void {
    this.firstConnectPending = false;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const wake of waiters) wake(connected);
  }

  get available(): boolean {
    return this.client.status === 'ready';
  }

  /** Runs `command` once the client is ready, failing if that and its reply take longer than the timeout. */
  private async call<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    this.requests++;
    const started = performance.now();
    if (this.client.status !== 'ready') await this.untilReady();
    const left = this.timeout - (performance.now() - started);
    const recordLatency = () => {
      const now = performance.now();
      this.latency.record((now - started) * 1e6, now);
    };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new L2UnavailableError(`Redis did not answer within ${this.timeout} ms`)), left);
      command(this.client).then(
        (value) => {
          clearTimeout(timer);
          recordLatency();
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (error instanceof ReplyError) recordLatency();
          // Redis's own error replies stay as they are; anything else is the connection failing.
          reject(error instanceof ReplyError ? error : new L2UnavailableError(`Redis is unavailable: ${(error as Error).message}`));
        },
      );
    });
  }

  private untilReady(): Promise<void> {
    const status = this.client.status;
    if (status === 'end' || !this.firstConnectPending) {
      return Promise.reject(new L2UnavailableError(`Redis is unavailable (connection ${status})`));
    }
    // Still making its first connection: worth waiting for, within the timeout.
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== wake);
        reject(new L2UnavailableError(`Redis not connected within ${this.timeout} ms`));
      }, this.timeout);
      const wake = (connected: boolean) => {
        clearTimeout(timer);
        if (connected) resolve();
        else reject(new L2UnavailableError('Redis is unavailable (connection refused or closed)'));
      };
      this.readyWaiters.push(wake);
    });
  }

  private script(client: Redis, body: string, keys: string[], args: (string | Buffer | number)[]): Promise<unknown> {
    let digest = this.scripts.get(body);
    if (digest === undefined) this.scripts.set(body, (digest = sha1(body)));
    return client.evalsha(digest, keys.length, ...keys, ...args).catch((error: Error) => {
      if (!String(error.message).startsWith('NOSCRIPT')) throw error;
      return client.eval(body, keys.length, ...keys, ...args);
    });
  }

  read(key: string): Promise<L2Read> {
    const redisKey = this.keys.data(key);
    return this.call(async (client) => {
      const results = await client.pipeline().getBuffer(redisKey).pttl(redisKey).exec();
      if (results === null) throw new L2UnavailableError('Redis dropped the read');
      const [[getError, bytes], [pttlError, pttl]] = results as [[Error | null, Buffer | null], [Error | null, number]];
      if (getError ?? pttlError) throw getError ?? pttlError;
      return { bytes, pttl };
    });
  }

  /** SET (with PX when ttl > 0), adding the key to its tags' sets, announcing it. */
  write(key: string, bytes: Buffer | string, ttl: number, tags: readonly string[] | undefined): Promise<void> {
    const redisKey = this.keys.data(key);
    const message = this.announce?.({ keys: [key] });
    return this.call(async (client) => {
      if (tags !== undefined && tags.length > 0) {
        const tagKeys = tags.map((t) => this.keys.tag(t));
        await this.script(client, SET_WITH_TAGS, [redisKey, ...tagKeys], [bytes, ttl, key, message === undefined ? '' : this.keys.channel, message ?? '']);
        return;
      }
      if (message === undefined) {
        await (ttl > 0 ? client.set(redisKey, bytes, 'PX', ttl) : client.set(redisKey, bytes));
        return;
      }
      const multi = client.multi();
      if (ttl > 0) multi.set(redisKey, bytes, 'PX', ttl);
      else multi.set(redisKey, bytes);
      await this.exec(multi.publish(this.keys.channel, message));
    });
  }

  /** DEL, announced; true when Redis held the key. */
  delete(key: string): Promise<boolean> {
    const redisKey = this.keys.data(key);
    const message = this.announce?.({ keys: [key] });
    return this.call(async (client) => {
      if (message === undefined) return (await client.del(redisKey)) > 0;
      const [deleted] = await this.exec(client.multi().del(redisKey).publish(this.keys.channel, message));
      return (deleted as number) > 0;
    });
  }

  /**
   * Deletes every key of the namespace that starts with `prefix` (SCAN, then UNLINK with its
   * announcement, a batch at a time, each batch one call); returns the keys deleted.
   */
  async deleteByPrefix(prefix: string): Promise<string[]> {
    const pattern = this.keys.dataPrefix + escapeGlob(prefix) + '*';
    const start = this.keys.dataPrefix.length;
    const deleted: string[] = [];
    let cursor = '0';
    do {
      cursor = await this.call(async (client) => {
        const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH);
        if (found.length === 0) return next;
        const keys = found.map((redisKey) => redisKey.slice(start));
        const message = this.announce?.({ keys });
        if (message === undefined) await client.unlink(...found);
        else await this.exec(client.multi().unlink(...found).publish(this.keys.channel, message));
        deleted.push(...keys);
        return next;
      });
    } while (cursor !== '0');
    return deleted;
  }

  /** Deletes every key written with one of the tags, and the tags' sets; returns the keys. */
  invalidateTags(tags: readonly string[]): Promise<string[]> {
    const channel = this.announce === undefined ? '' : this.keys.channel;
    return this.call(async (client) => {
      const keys = await this.script(client, INVALIDATE_TAGS, tags.map((t) => this.keys.tag(t)), [this.keys.dataPrefix, channel, this.senderId]);
      return (keys as string[]).map(String);
    });
  }

  /** Deletes every value and tag set of the namespace, then tells every instance to flush its L1. */
  clear(): Promise<void> {
    return this.call(async (client) => {
      for (const pattern of [this.keys.dataPattern, this.keys.tagPattern]) {
        let cursor = '0';
        do {
          const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH);
          if (found.length > 0) await client.unlink(...found);
          cursor = next;
        } while (cursor !== '0');
      }
      const message = this.announce?.({ clear: true });
      if (message === undefined) await client.set(this.keys.clearMarker, String(Date.now()));
      else await client.publish(this.keys.channel, message);
    });
  }

  /** SET NX PX: true when this token now holds the lock. */
  acquireLock(key: string, token: string, ttl: number): Promise<boolean> {
    return this.call(async (client) => (await client.set(this.keys.lock(key), token, 'PX', ttl, 'NX')) === 'OK');
  }

  releaseLock(key: string, token: string): Promise<void> {
    return this.call(async (client) => {
      await this.script(client, RELEASE_LOCK, [this.keys.lock(key)], [token]);
    });
  }

  /** Runs a transaction; its replies, in order. */
  private async exec(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
    const results = await multi.exec();
    if (results === null) throw new L2UnavailableError('Redis aborted the transaction');
    for (const [error] of results) if (error) throw error;
    return results.map(([, reply]) => reply);
  }

  close(): void {
    this.client.off('ready', this.onReady);
    this.client.off('close', this.onClose);
  }
}
