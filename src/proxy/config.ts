/**
 * What the proxy needs to run. The CLI (src/cli) builds it from flags, the environment and
 * cachee.json; the proxy only consumes it.
 */
export interface ProxyConfig {
  /** Listen address. Default 127.0.0.1. */
  host: string;
  /** Listen port. Default 6380. */
  port: number;
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...`; absent: serve from the embedded in-process store. */
  upstream?: string;
  /** Byte budget of L1 (or of the embedded store). */
  l1Memory: number;
  /** Time to live of an L1 entry, ms: the staleness bound when every invalidation path fails. 0: no TTL. */
  l1Ttl: number;
  /** Glob patterns (Redis MATCH syntax) of the keys L1 may hold; absent or empty: every key. */
  l1Keys?: string[];
  /** Never answer from L1 while invalidation is unavailable, even when the upstream is down. */
  requireFresh: boolean;
  /**
   * The password of the proxy's own `default` user (Redis: requirepass). Set: a client must
   * `AUTH <password>` (or `AUTH default <password>`, `HELLO 3 AUTH default <password>`) before
   * anything else, and then acts upstream as the `--upstream` URL's user. Unset: a client is
   * what the same connection made straight to the upstream would be (its own AUTH is passed on).
   * Without an upstream, the embedded store's requirepass.
   */
  requirepass?: string;
  /** ms: connecting to the upstream, keepalive idle time, and the tracking connection's PING deadline; never a deadline on a client's command. */
  upstreamTimeout: number;
  /** Most client connections at once (Redis: maxclients). */
  maxClients: number;
  /** Largest bulk string a client may send, bytes (Redis: proto-max-bulk-len). */
  maxBulkLength: number;
  /** Most bytes buffered for one client's unfinished command (Redis: client-query-buffer-limit). */
  maxQueryBuffer: number;
  /**
   * Most bytes the unfinished commands of all clients hold together (per process); past it, the
   * client holding the most is disconnected (as Redis's maxmemory-clients, for input only).
   */
  maxInputMemory: number;
  /** Processes serving clients; each has its own L1, kept coherent like separate instances. Default 1. */
  workers: number;
  /**
   * Port of the admin HTTP server (/metrics, /api/hot-keys, /healthz), on `host`. Default 6381;
   * 0: any free port; absent: no admin server (`--admin-port off`).
   */
  adminPort?: number;
  /**
   * Host names the admin server answers besides its own address (and `localhost` on loopback,
   * any IP address and this machine's name when bound to every address); `*`: any. A request
   * with another `Host` gets 403, so that a page using DNS rebinding cannot read it.
   */
  adminAllowedHosts?: string[];
}

export const DEFAULT_PROXY_CONFIG: ProxyConfig = {
  host: '127.0.0.1',
  port: 6380,
  l1Memory: 256 * 1024 * 1024,
  l1Ttl: 30_000,
  requireFresh: false,
  upstreamTimeout: 2_000,
  maxClients: 10_000,
  maxBulkLength: 512 * 1024 * 1024,
  maxQueryBuffer: 1024 * 1024 * 1024,
  maxInputMemory: 1024 * 1024 * 1024,
  workers: 1,
  adminPort: 6381,
};

/** A setting that cannot be honoured without an upstream, and why. */
export interface EmbeddedModeConflict {
  key: 'workers' | 'l1Keys';
  message: string;
}

/**
 * Settings refused (rather than ignored) when there is no upstream: the embedded store lives in
 * one process and holds every key written to it.
 */
export function embeddedModeConflicts(config: Pick<ProxyConfig, 'upstream' | 'workers' | 'l1Keys'>): EmbeddedModeConflict[] {
  if (config.upstream !== undefined) return [];
  const conflicts: EmbeddedModeConflict[] = [];
  if (config.workers > 1) {
    conflicts.push({ key: 'workers', message: 'must be 1 without an upstream: workers cannot share one embedded store, so each would serve different data' });
  }
  if (config.l1Keys !== undefined && config.l1Keys.length > 0) {
    conflicts.push({ key: 'l1Keys', message: 'needs an upstream: it limits which keys L1 copies from Redis, and the embedded store holds every key written to it' });
  }
  return conflicts;
}

/** A running proxy, as `startProxy` returns it. */
export interface RunningProxy {
  readonly host: string;
  readonly port: number;
  /** Where the admin HTTP server listens; absent when it is off. */
  readonly admin?: { readonly host: string; readonly port: number };
  /** Stops accepting, finishes the replies in flight, closes every connection. */
  close(): Promise<void>;
  /**
   * Resolves when a client's SHUTDOWN asked the server to stop (embedded store only: with an
   * upstream, SHUTDOWN goes to Redis); startProxy then closes the proxy itself.
   */
  readonly shutdownRequested?: Promise<void>;
}
