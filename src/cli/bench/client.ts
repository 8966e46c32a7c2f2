/**
 * The bench's Redis connections, the upstream's and the proxy's: the same client library
 * (ioredis, `getBuffer`) for both, so the two paths differ only in what answers. Every keyed
 * command goes through `benchKey`; nothing here can list, scan or flush.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { CliError, messageOf } from '../errors.js';
import { connectErrorReason } from '../status.js';
import { benchKey } from './keys.js';

const KEY_TTL_SECONDS = 24 * 60 * 60;

export interface Endpoint {
  /** A redis:// or rediss:// URL, or a host and port. */
  url?: string;
  host?: string;
  port?: number;
  /** How messages name it, password redacted. */
  display: string;
  /** Credentials for a host and port (a URL carries its own). */
  username?: string;
  password?: string;
}

export class BenchClient {
  private constructor(
    private readonly redis: Redis,
    readonly display: string,
  ) {}

  /**
   * Connects once, with no retries and no offline queue, so a dead endpoint fails at once. A
   * refused connection throws ConnectRefused (the caller may start a proxy instead); any other
   * failure a CliError naming `what`.
   */
  static async connect(endpoint: Endpoint, what: string, timeoutMs: number): Promise<BenchClient> {
    const options: RedisOptions = {
      lazyConnect: true,
      enableReadyCheck: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      // No commandTimeout: it arms a timer per command, which the timed GETs would include.
      connectTimeout: timeoutMs,
    };
    const redis = endpoint.url !== undefined ? new Redis(endpoint.url, options) : new Redis({ ...options, host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password });
    // ioredis rejects connect() with "Connection is closed"; the cause comes as an error event.
    let cause: NodeJS.ErrnoException | undefined;
    redis.on('error', (err: NodeJS.ErrnoException) => (cause ??= err));
    try {
      await redis.connect();
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
    } catch (err) {
      redis.disconnect();
      const reason = cause ? connectErrorReason(cause) : messageOf(err);
      const message = `cachee bench: cannot reach ${what} ${endpoint.display} (${reason})`;
      if (cause?.code === 'ECONNREFUSED') throw new ConnectRefused(message, 1);
      throw new CliError(message, 1);
    }
    return new BenchClient(redis, endpoint.display);
  }

  get(key: string): Promise<Buffer | null> {
    return this.redis.getBuffer(benchKey(key));
  }

  /** With a day's TTL, a safety net: a run killed before its clean-up leaves nothing for long. */
  async set(key: string, value: Buffer): Promise<void> {
    await this.redis.set(benchKey(key), value, 'EX', KEY_TTL_SECONDS);
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map(benchKey));
  }

  /** The text of `INFO <section>`. */
  info(section: string): Promise<string> {
    return this.redis.info(section);
  }

  close(): void {
    this.redis.disconnect();
  }
}

/** Nothing listens at the address: a CliError as it is, or a cue to start a proxy (see openProxy). */
export class ConnectRefused extends CliError {
  override name = 'ConnectRefused';
}
