/**
 * Every ProxyConfig field, once: its flag, its environment variable, its cachee.json field (the
 * ProxyConfig name itself) and how its value is written. The commander wiring, the config
 * resolution and `cachee init` all read this table, so a field added to ProxyConfig is a
 * compile error here until it has a flag and a variable.
 */
import type { ProxyConfig } from '../proxy/config.js';

export type SettingKey = keyof ProxyConfig;

/**
 * - string: text (trimmed). url: text, or null in the file / `--no-upstream` for "none".
 * - int: a whole number. size: bytes (see units.ts). duration: ms (see units.ts).
 * - list: comma-separated in a flag or variable (the flag may be repeated), a JSON array or a
 *   comma-separated string in the file. bool: a bare flag (and its --no- form), true/false in the
 *   file, true/false/1/0/yes/no/on/off in a variable.
 * - port-or-off: a port number (0: any free one), or `off` for none.
 * - names: comma-separated as a list, but taken as written (`*` stays `*`); none: absent.
 */
export type SettingKind = 'string' | 'url' | 'int' | 'size' | 'duration' | 'list' | 'names' | 'bool' | 'port-or-off';

export interface Setting {
  key: SettingKey;
  /** Long flag without its value, e.g. `--l1-memory`. */
  flag: string;
  /** Placeholder shown in --help; absent for a boolean flag. */
  valueName?: string;
  env: string;
  kind: SettingKind;
  description: string;
}

const table = {
  upstream: {
    flag: '--upstream',
    valueName: 'url',
    env: 'CACHEE_UPSTREAM',
    kind: 'url',
    description: 'Redis to cache in front of, redis://[user:pass@]host:port[/db] or rediss://... (none: serve from the embedded store)',
  },
  requirepass: {
    flag: '--requirepass',
    valueName: 'password',
    env: 'CACHEE_REQUIREPASS',
    kind: 'string',
    description: "password clients must AUTH with; they then act upstream as --upstream's user (default: none, clients are what a connection straight to the upstream is, their AUTH passed on)",
  },
  host: { flag: '--host', valueName: 'host', env: 'CACHEE_HOST', kind: 'string', description: 'address to listen on' },
  port: { flag: '--port', valueName: 'port', env: 'CACHEE_PORT', kind: 'int', description: 'port to listen on, 1..65535' },
  l1Memory: {
    flag: '--l1-memory',
    valueName: 'size',
    env: 'CACHEE_L1_MEMORY',
    kind: 'size',
    description: 'byte budget of L1 (or of the embedded store), e.g. 512mb, 1.5gb',
  },
  l1Ttl: {
    flag: '--l1-ttl',
    valueName: 'duration',
    env: 'CACHEE_L1_TTL',
    kind: 'duration',
    description: 'time to live of an L1 copy of an upstream value, e.g. 30s, 5m (0: none); the embedded store keeps keys until they expire or are evicted',
  },
  l1Keys: {
    flag: '--l1-keys',
    valueName: 'globs',
    env: 'CACHEE_L1_KEYS',
    kind: 'list',
    description: "comma-separated Redis glob patterns of the keys L1 may hold, e.g. 'session:*,auth:*' (default: every key; needs --upstream)",
  },
  requireFresh: {
    flag: '--l1-require-fresh',
    env: 'CACHEE_L1_REQUIRE_FRESH',
    kind: 'bool',
    description: 'never answer from L1 while invalidation is unavailable',
  },
  upstreamTimeout: {
    flag: '--upstream-timeout',
    valueName: 'duration',
    env: 'CACHEE_UPSTREAM_TIMEOUT',
    kind: 'duration',
    description: "how long connecting to the upstream may take, and the idle time before TCP keepalive probes, e.g. 2s (clients' commands get no deadline: they take as long as Redis takes)",
  },
  maxClients: {
    flag: '--max-clients',
    valueName: 'n',
    env: 'CACHEE_MAX_CLIENTS',
    kind: 'int',
    description: 'most client connections at once',
  },
  maxBulkLength: {
    flag: '--max-bulk-length',
    valueName: 'size',
    env: 'CACHEE_MAX_BULK_LENGTH',
    kind: 'size',
    description: 'largest bulk string a client may send',
  },
  maxQueryBuffer: {
    flag: '--max-query-buffer',
    valueName: 'size',
    env: 'CACHEE_MAX_QUERY_BUFFER',
    kind: 'size',
    description: "most bytes buffered for one client's unfinished command",
  },
  maxInputMemory: {
    flag: '--max-input-memory',
    valueName: 'size',
    env: 'CACHEE_MAX_INPUT_MEMORY',
    kind: 'size',
    description: "most bytes all clients' unfinished commands hold together (per process); past it the client holding the most is disconnected",
  },
  workers: {
    flag: '--workers',
    valueName: 'n',
    env: 'CACHEE_WORKERS',
    kind: 'int',
    description: 'processes serving clients, each with its own L1 and tracking connection (more than 1 needs --upstream)',
  },
  adminPort: {
    flag: '--admin-port',
    valueName: 'port',
    env: 'CACHEE_ADMIN_PORT',
    kind: 'port-or-off',
    description: 'port of the admin HTTP server on --host (/metrics, /api/hot-keys, /healthz); 0: any free port; off: none',
  },
  adminAllowedHosts: {
    flag: '--admin-allowed-hosts',
    valueName: 'names',
    env: 'CACHEE_ADMIN_ALLOWED_HOSTS',
    kind: 'names',
    description:
      "comma-separated Host names the admin port answers besides its address (e.g. 'metrics.internal'; *: any); other Hosts get 403, against DNS rebinding",
  },
} satisfies Record<SettingKey, Omit<Setting, 'key'>>;

export const SETTINGS: readonly Setting[] = (Object.keys(table) as SettingKey[]).map((key) => ({
  key,
  ...(table[key] as Omit<Setting, 'key'>),
}));

export function settingFor(key: SettingKey): Setting {
  return SETTINGS.find((s) => s.key === key)!;
}

/** The environment variable naming the config file (the `--config` flag's). */
export const CONFIG_ENV = 'CACHEE_CONFIG';
export const DEFAULT_CONFIG_FILE = 'cachee.json';
