/** `cachee bench`'s own flags, checked before anything connects: a bad one is one line and exit 2. */
import path from 'node:path';
import type { ProxyConfig } from '../../proxy/config.js';
import { REQUEST_PARSER_DEFAULTS } from '../../resp/request-parser.js';
import { redactUrl } from '../config.js';
import { CliError } from '../errors.js';
import { connectHost, formatAddress, proxyClientAuth } from '../status.js';
import { formatSize, parseFlag, parseSize } from '../units.js';
import type { Endpoint } from './client.js';
import { checkPrefix } from './keys.js';

export const DEFAULT_SIZES = '64b,512b,1kb,4kb,10kb,100kb,1mb';
export const DEFAULT_REQUESTS = '2000';

/** Redis's default proto-max-bulk-len: a larger value would not be stored. */
const MAX_VALUE_BYTES = REQUEST_PARSER_DEFAULTS.maxBulkLength;

export interface BenchFlags {
  proxy?: string;
  sizes: string;
  requests: string;
  prefix: string;
  out?: string;
}

export interface BenchOptions {
  /** The resolved configuration: the upstream, and the proxy to start if none answers. */
  config: ProxyConfig & { upstream: string };
  upstream: Endpoint;
  proxy: Endpoint;
  /** Named by --proxy: then nothing answering there is an error, not a reason to start one. */
  proxyExplicit: boolean;
  /** Ascending, each once: bytes and the spelling for keys and the table. */
  sizes: { bytes: number; label: string }[];
  requests: number;
  prefix: string;
  outDir: string;
}

export function parseBenchOptions(flags: BenchFlags, config: ProxyConfig, cwd: string): BenchOptions {
  const { upstream } = config;
  if (upstream === undefined) {
    throw new CliError(
      'cachee bench: no upstream to compare against: give --upstream redis://host:port (or set CACHEE_UPSTREAM, or upstream in cachee.json)',
      2,
    );
  }
  return {
    config: { ...config, upstream },
    upstream: { url: upstream, display: redactUrl(upstream) },
    proxy: flags.proxy === undefined ? configuredProxy(config) : parseProxyAddress(flags.proxy),
    proxyExplicit: flags.proxy !== undefined,
    sizes: parseSizes(flags.sizes),
    requests: parseRequests(flags.requests),
    prefix: checkPrefix(flags.prefix),
    outDir: path.resolve(cwd, flags.out ?? '.'),
  };
}

/** Where `cachee start` listens with this configuration, and what its clients AUTH with (see proxyClientAuth). */
function configuredProxy(config: ProxyConfig): Endpoint {
  const host = connectHost(config.host);
  return { host, port: config.port, display: formatAddress(host, config.port), ...proxyCredentials(config) };
}

/** proxyClientAuth's AUTH as ioredis options. */
export function proxyCredentials(config: ProxyConfig): { username?: string; password?: string } {
  const auth = proxyClientAuth(config);
  if (auth === undefined) return {};
  return auth.length === 3 ? { username: auth[1], password: auth[2] } : { password: auth[1] };
}

/** `host:port`, `[::1]:port`, or `redis://[user:pass@]host:port`. */
export function parseProxyAddress(text: string): Endpoint {
  const bad = () => new CliError(`error: --proxy: give host:port or redis://host:port (got ${JSON.stringify(text)})`, 2);
  const url = /^rediss?:\/\//i.test(text) ? text : `redis://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad();
  }
  const port = Number(parsed.port);
  if (parsed.hostname === '' || parsed.port === '' || !(port >= 1 && port <= 65535) || !/^\/?$/.test(parsed.pathname)) throw bad();
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url, display: formatAddress(host, port) };
}

export function parseSizes(text: string): { bytes: number; label: string }[] {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (items.length === 0) throw new CliError('error: --sizes: give at least one size, e.g. 64b,1kb,1mb', 2);
  const sizes = new Set<number>();
  for (const item of items) {
    const bytes = parseFlag('--sizes', item, parseSize);
    if (bytes < 1) throw new CliError(`error: --sizes: a value must have at least 1 byte (got ${JSON.stringify(item)})`, 2);
    if (bytes > MAX_VALUE_BYTES) throw new CliError(`error: --sizes: ${JSON.stringify(item)} is more than the 512mb Redis stores in one value`, 2);
    sizes.add(bytes);
  }
  return [...sizes].sort((a, b) => a - b).map((bytes) => ({ bytes, label: formatSize(bytes) }));
}

export function parseRequests(text: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1) || !Number.isSafeInteger(n)) {
    throw new CliError(`error: --requests: must be a whole number, at least 1 (got ${JSON.stringify(text)})`, 2);
  }
  return n;
}
