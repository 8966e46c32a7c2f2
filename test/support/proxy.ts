/**
 * Throwaway proxies for tests: over a throwaway redis-server, or over the embedded store; the
 * admin server on a free port (`proxy.admin`), unless the config says otherwise.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before } from 'node:test';
import { DEFAULT_PROXY_CONFIG, type ProxyConfig, type RunningProxy } from '../../src/proxy/config.js';
import { startProxy } from '../../src/proxy/server.js';
import { encodeCommand, type CommandArg } from '../../src/resp/encode.js';
import { ReplyScanner } from '../../src/resp/reply-scanner.js';
import { startRedis, type RedisServer } from './redis-server.js';

export interface ProxyUnderTest {
  redis: RedisServer;
  proxy: RunningProxy;
  port: number;
  log: string[];
  stop(): Promise<void>;
}

export async function startProxyOverRedis(config: Partial<ProxyConfig> = {}, redisArgs: string[] = []): Promise<ProxyUnderTest> {
  const redis = await startRedis(redisArgs);
  const log: string[] = [];
  const proxy = await startProxy({ ...DEFAULT_PROXY_CONFIG, port: 0, adminPort: 0, upstream: redis.url, ...config }, (line) => log.push(line));
  await waitFor(() => log.some((l) => l.includes('invalidation:') || l.includes('warning:')), 5000);
  return {
    redis,
    proxy,
    port: proxy.port,
    log,
    stop: async () => {
      await proxy.close();
      await redis.stop();
    },
  };
}

/** A proxy with `config` in front of an upstream the caller started, once L1 serves (tracking is on). */
export async function startTrackingProxy(config: Partial<ProxyConfig>): Promise<{ proxy: RunningProxy; log: string[] }> {
  const log: string[] = [];
  const proxy = await startProxy({ ...DEFAULT_PROXY_CONFIG, port: 0, adminPort: undefined, ...config }, (line) => log.push(line));
  await waitFor(() => log.some((line) => line.startsWith('invalidation: tracking')), 5000, 'tracking');
  return { proxy, log };
}

export interface EmbeddedUnderTest {
  proxy: RunningProxy;
  port: number;
  log: string[];
  stop(): Promise<void>;
}

/** The proxy with no upstream (the embedded store), on a free port. */
export async function startEmbeddedProxy(config: Partial<ProxyConfig> = {}): Promise<EmbeddedUnderTest> {
  const log: string[] = [];
  const proxy = await startProxy({ ...DEFAULT_PROXY_CONFIG, port: 0, adminPort: 0, ...config, upstream: undefined }, (line) => log.push(line));
  return { proxy, port: proxy.port, log, stop: () => proxy.close() };
}

/**
 * For a differential suite: a throwaway redis-server and an embedded server (64 MB), started
 * before the suite's tests and stopped after them; read the fields inside the tests.
 */
export function redisAndEmbedded(): { redis: RedisServer; embedded: EmbeddedUnderTest } {
  const servers = {} as { redis: RedisServer; embedded: EmbeddedUnderTest };
  before(async () => {
    servers.redis = await startRedis();
    servers.embedded = await startEmbeddedProxy({ l1Memory: 64 * 1024 * 1024 });
  });
  after(async () => {
    await servers.embedded?.stop();
    await servers.redis?.stop();
  });
  return servers;
}

/** The admin server's address of a proxy under test, which must have one. */
export function admin(under: { proxy: { admin?: { host: string; port: number } } }): { host: string; port: number } {
  assert.ok(under.proxy.admin, 'the proxy has an admin server');
  return under.proxy.admin;
}

/** Requests Redis answers with a protocol error and then a closed connection. */
export const MALFORMED_REQUESTS: [what: string, bytes: string][] = [
  ['a bad bulk length', '*1\r\n$x\r\n'],
  ['a bad multibulk length', '*abc\r\n'],
  ['a missing $', '*1\r\n+PING\r\n'],
  ['unbalanced quotes', 'SET "a b\r\n'],
  ['a bulk over the limit', '*2\r\n$3\r\nGET\r\n$2000000\r\n'],
];

/** Sends `bytes` on a new connection; the replies (at most `count`) and whether it was closed after. */
export async function replyThenClose(port: number, bytes: string | Buffer, count = 1): Promise<{ replies: string[]; closed: boolean }> {
  const client = await RawClient.connect(port);
  client.write(bytes);
  const replies = await client.read(count, 3000).catch(() => []);
  await waitFor(() => client.closed, 3000, 'the connection to close');
  return { replies: replies.map((r) => r.toString('latin1')), closed: client.closed };
}

/**
 * Sends `bytes`, closes the sending side (as `nc -N` or a script piping commands does) and
 * returns every byte the server writes until it closes the connection (fails after 5 s).
 */
export function sendThenHalfClose(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.end(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection; it sent ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, 5000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A bare RESP connection: exact bytes out, exact reply bytes back. */
export class RawClient {
  private readonly scanner = new ReplyScanner();
  private readonly replies: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.scanner.feed(chunk);
      for (let r = this.scanner.next(); r !== undefined; r = this.scanner.next()) this.replies.push(Buffer.from(r.raw));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits for `count` more replies (or the close of the connection) and returns them. */
  async read(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < count && !this.closed) {
      if (Date.now() > deadline) throw new Error(`expected ${count} replies, got ${this.replies.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.replies.splice(0, count);
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  async call(...args: CommandArg[]): Promise<Buffer> {
    this.write(encodeCommand(args));
    const [reply] = await this.read(1);
    if (reply === undefined) throw new Error('connection closed before the reply');
    return reply;
  }

  async pipeline(commands: readonly (readonly CommandArg[])[], timeoutMs?: number): Promise<Buffer[]> {
    this.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
    return this.read(commands.length, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function infoField(info: Buffer, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(info.toString('latin1'));
  return match?.[1]?.trim();
}
