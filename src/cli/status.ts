/**
 * `cachee status`: one `INFO cachee` round trip over plain TCP, and its report.
 *
 * ## The `INFO cachee` contract
 *
 * The proxy answers `INFO cachee` (RESP: `*2\r\n$4\r\nINFO\r\n$6\r\ncachee\r\n`) with one bulk
 * string in Redis's INFO layout: an optional `# Cachee` header line, then one `field:value` per
 * line, lines ending in `\r\n`. Numbers are plain decimals (no thousands separators, no units, no
 * exponent), counters since the proxy started, never negative (status reads a negative as 0).
 * Fields not listed here are allowed
 * and ignored (so the proxy may add some); every listed field is required.
 *
 * | field                  | value                                                                     |
 * | ---------------------- | ------------------------------------------------------------------------- |
 * | `l1_hits`              | integer: reads answered from L1                                           |
 * | `l1_misses`            | integer: cacheable reads L1 could not answer (so went to L2)              |
 * | `l1_entries`           | integer: entries held now                                                 |
 * | `l1_bytes`             | integer: bytes held now, as counted against the budget                    |
 * | `l1_max_bytes`         | integer: the budget (ProxyConfig.l1Memory)                                |
 * | `l1_evictions`         | integer: entries evicted for room since start                             |
 * | `l1_evictions_per_sec` | decimal: evictions per second over the last second (or a short window)    |
 * | `l1_avg_latency_ns`    | decimal: mean time to answer an L1 hit, ns                                |
 * | `l2_requests`          | integer: commands forwarded upstream (misses, writes, uncacheable)        |
 * | `l2_avg_latency_us`    | decimal: mean upstream round trip of a forwarded command, µs              |
 * | `upstream`             | `connected`, `down`, or `embedded` (no upstream: the embedded store)      |
 * | `invalidation`         | `tracking` (RESP3 client tracking), `pubsub`, `none`, or `down`           |
 *
 * The report: hit rate = hits / (hits + misses); L2 fallback rate = misses / (hits + misses);
 * effective average = (hits × L1 latency + misses × L2 latency) / (hits + misses).
 *
 * Optional fields, shown when present (a proxy of this version always sends them): latency
 * percentiles from the proxy's histogram over its sliding window of about the last minute, 0
 * while the window holds no sample.
 *
 * | field                  | value                                                                     |
 * | ---------------------- | ------------------------------------------------------------------------- |
 * | `l1_p50_latency_ns`    | decimal: median time to answer an L1 hit, ns                              |
 * | `l1_p99_latency_ns`    | decimal: 99th percentile of the same, ns                                  |
 * | `l2_p50_latency_us`    | decimal: median upstream round trip, µs                                   |
 * | `l2_p99_latency_us`    | decimal: 99th percentile of the same, µs                                  |
 *
 * With no upstream (`upstream:embedded`) the store is the whole cache: the L1 fields are the
 * store's (reads that found their key or not, as Redis counts keyspace hits and misses; its keys,
 * bytes, budget and evictions; the time to run a read that hit), the L2 fields are 0, and
 * `invalidation` is `none`. Both modes add `process_id`: with `--workers`, each worker answers
 * for itself.
 */
import net from 'node:net';
import { CliError, messageOf } from './errors.js';
import { trim } from './units.js';
import { encodeCommand } from '../resp/encode.js';
import type { ProxyConfig } from '../proxy/config.js';
import { parseUpstreamUrl } from '../tier/redis-connection.js';
import { authCommand } from '../tier/upstream-auth.js';

export const INFO_REQUEST = '*2\r\n$4\r\nINFO\r\n$6\r\ncachee\r\n';

export const UPSTREAM_STATES = ['connected', 'down', 'embedded'] as const;
export const INVALIDATION_STATES = ['tracking', 'pubsub', 'none', 'down'] as const;

/** The `INFO cachee` fields, by name; see the contract above. */
export interface CacheeInfo {
  l1_hits: number;
  l1_misses: number;
  l1_entries: number;
  l1_bytes: number;
  l1_max_bytes: number;
  l1_evictions: number;
  l1_evictions_per_sec: number;
  l1_avg_latency_ns: number;
  l2_requests: number;
  l2_avg_latency_us: number;
  upstream: (typeof UPSTREAM_STATES)[number];
  invalidation: (typeof INVALIDATION_STATES)[number];
  /** Optional: see the contract. */
  percentiles?: Partial<Record<(typeof PERCENTILE_FIELDS)[number], number>>;
}

/** The optional percentile fields of the contract. */
export const PERCENTILE_FIELDS = ['l1_p50_latency_ns', 'l1_p99_latency_ns', 'l2_p50_latency_us', 'l2_p99_latency_us'] as const;

type NumericField = { [K in keyof CacheeInfo]-?: CacheeInfo[K] extends number ? K : never }[keyof CacheeInfo];

/** Every numeric field and whether it must be an integer. */
export const NUMERIC_FIELDS: Readonly<Record<NumericField, 'integer' | 'decimal'>> = {
  l1_hits: 'integer',
  l1_misses: 'integer',
  l1_entries: 'integer',
  l1_bytes: 'integer',
  l1_max_bytes: 'integer',
  l1_evictions: 'integer',
  l1_evictions_per_sec: 'decimal',
  l1_avg_latency_ns: 'decimal',
  l2_requests: 'integer',
  l2_avg_latency_us: 'decimal',
};

export const INFO_FIELDS: readonly (keyof CacheeInfo)[] = [
  ...(Object.keys(NUMERIC_FIELDS) as NumericField[]),
  'upstream',
  'invalidation',
];

/** A reply that is not what the contract says. */
export class ContractError extends Error {}

/** `field:value` lines (headers `#` and blank lines skipped) into a map. */
export function parseInfoLines(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of body.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** Checks the body against the contract; throws ContractError naming what is missing or wrong. */
export function parseInfo(body: string): CacheeInfo {
  const fields = parseInfoLines(body);
  if (fields.size === 0) throw new ContractError('INFO cachee returned no fields');
  const missing = INFO_FIELDS.filter((name) => !fields.has(name));
  if (missing.length > 0) throw new ContractError(`INFO cachee lacks ${missing.join(', ')}`);
  const info: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(NUMERIC_FIELDS)) {
    const text = fields.get(name)!;
    // Leniency: a negative value (a rate over a counter that was reset) reads as 0.
    const value = /^-?\d+(\.\d+)?$/.test(text) ? Math.max(0, Number(text)) : NaN;
    if (!Number.isFinite(value) || (kind === 'integer' && !Number.isInteger(value))) {
      throw new ContractError(`INFO cachee field ${name} is ${JSON.stringify(text)}, not a${kind === 'integer' ? 'n integer' : ' number'}`);
    }
    info[name] = value;
  }
  for (const [name, allowed] of [
    ['upstream', UPSTREAM_STATES],
    ['invalidation', INVALIDATION_STATES],
  ] as const) {
    const value = fields.get(name)!;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ContractError(`INFO cachee field ${name} is ${JSON.stringify(value)}, not one of ${allowed.join('|')}`);
    }
    info[name] = value;
  }
  const percentiles: Record<string, number> = {};
  for (const name of PERCENTILE_FIELDS) {
    const text = fields.get(name);
    // Optional, so a malformed one is left out rather than failing the whole report.
    if (text !== undefined && /^\d+(\.\d+)?$/.test(text)) percentiles[name] = Number(text);
  }
  if (Object.keys(percentiles).length > 0) info.percentiles = percentiles;
  return info as unknown as CacheeInfo;
}

/** What `cachee status --json` prints; rates are 0..1, null before the first read. */
export interface StatusReport {
  address: string;
  upstream: CacheeInfo['upstream'];
  invalidation: CacheeInfo['invalidation'];
  l1: {
    hits: number;
    misses: number;
    hitRate: number | null;
    entries: number;
    bytes: number;
    maxBytes: number;
    evictions: number;
    evictionsPerSec: number;
    avgLatencyNs: number;
    /** Present when the proxy reports it (see the contract's optional fields). */
    p50LatencyNs?: number;
    p99LatencyNs?: number;
  };
  l2: {
    requests: number;
    fallbackRate: number | null;
    avgLatencyUs: number;
    p50LatencyUs?: number;
    p99LatencyUs?: number;
  };
  /** Hit-weighted mean of the L1 and L2 latencies, ms; null before the first read. */
  effectiveAvgMs: number | null;
}

export function buildReport(info: CacheeInfo, address: string): StatusReport {
  const reads = info.l1_hits + info.l1_misses;
  const l2Ns = info.l2_avg_latency_us * 1000;
  const effectiveNs = reads === 0 ? null : (info.l1_hits * info.l1_avg_latency_ns + info.l1_misses * l2Ns) / reads;
  return {
    address,
    upstream: info.upstream,
    invalidation: info.invalidation,
    l1: {
      hits: info.l1_hits,
      misses: info.l1_misses,
      hitRate: reads === 0 ? null : info.l1_hits / reads,
      entries: info.l1_entries,
      bytes: info.l1_bytes,
      maxBytes: info.l1_max_bytes,
      evictions: info.l1_evictions,
      evictionsPerSec: info.l1_evictions_per_sec,
      avgLatencyNs: info.l1_avg_latency_ns,
      p50LatencyNs: info.percentiles?.l1_p50_latency_ns,
      p99LatencyNs: info.percentiles?.l1_p99_latency_ns,
    },
    l2: {
      requests: info.l2_requests,
      fallbackRate: reads === 0 ? null : info.l1_misses / reads,
      avgLatencyUs: info.l2_avg_latency_us,
      p50LatencyUs: info.percentiles?.l2_p50_latency_us,
      p99LatencyUs: info.percentiles?.l2_p99_latency_us,
    },
    effectiveAvgMs: effectiveNs === null ? null : effectiveNs / 1e6,
  };
}

const NA = 'n/a';

export function formatPercent(rate: number | null): string {
  return rate === null ? NA : `${(rate * 100).toFixed(1)}%`;
}

/** 31 -> "31ns"; 340000 -> "0.34ms"; 39467 -> "0.039ms"; 1234567 -> "1.23ms". */
export function formatLatencyNs(ns: number | null): string {
  if (ns === null) return NA;
  if (ns < 1000) return `${Math.round(ns)}ns`;
  const ms = ns / 1e6;
  return `${ms < 1 ? String(Number(ms.toPrecision(2))) : trim(ms, 2)}ms`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Both in MB (MiB), or both in KB when the budget is under 1 MB: "892 MB / 1024 MB". */
export function formatMemory(bytes: number, maxBytes: number): string {
  const [unit, size] = maxBytes >= 1024 ** 2 ? ['MB', 1024 ** 2] : ['KB', 1024];
  return `${Math.round(bytes / size)} ${unit} / ${Math.round(maxBytes / size)} ${unit}`;
}

function formatRate(perSec: number): string {
  return perSec > 0 && perSec < 10 ? trim(perSec, 1) : formatCount(perSec);
}

/** The human report, one `label: value` a line, values aligned. */
export function formatReport(report: StatusReport): string {
  const embedded = report.upstream === 'embedded';
  const { l1, l2 } = report;
  const rows: [string, string][] = [
    ['L1 hit rate', formatPercent(l1.hitRate)],
    ['L1 entries', formatCount(l1.entries)],
    ['L1 memory', formatMemory(l1.bytes, l1.maxBytes)],
    ['L1 evictions/sec', formatRate(l1.evictionsPerSec)],
    ['L1 avg latency', formatLatencyNs(l1.avgLatencyNs)],
  ];
  if (l1.p50LatencyNs !== undefined && l1.p99LatencyNs !== undefined) rows.push(['L1 p50 / p99', formatPercentiles(l1.p50LatencyNs, l1.p99LatencyNs)]);
  rows.push(
    ['L2 fallback rate', embedded ? `${NA} (no upstream)` : formatPercent(l2.fallbackRate)],
    ['L2 avg latency', embedded ? NA : formatLatencyNs(l2.avgLatencyUs * 1000)],
  );
  if (!embedded && l2.p50LatencyUs !== undefined && l2.p99LatencyUs !== undefined) {
    rows.push(['L2 p50 / p99', formatPercentiles(l2.p50LatencyUs * 1000, l2.p99LatencyUs * 1000)]);
  }
  rows.push(
    ['Effective avg', formatLatencyNs(effectiveNs(report))],
    ['Upstream', embedded ? 'none (embedded store)' : report.upstream],
    ['Invalidation', report.invalidation],
  );
  return rows.map(([label, value]) => `${`${label}:`.padEnd(18)}${value}\n`).join('');
}

/** Over the last minute; 0 there means no sample in it. */
function formatPercentiles(p50Ns: number, p99Ns: number): string {
  return p50Ns === 0 && p99Ns === 0 ? `${NA} (none in the last minute)` : `${formatLatencyNs(p50Ns)} / ${formatLatencyNs(p99Ns)} (last minute)`;
}

function effectiveNs(report: StatusReport): number | null {
  // Embedded: a miss is answered by the same store, as fast as a hit.
  if (report.upstream === 'embedded') return report.l1.hits + report.l1.misses === 0 ? null : report.l1.avgLatencyNs;
  return report.effectiveAvgMs === null ? null : report.effectiveAvgMs * 1e6;
}

/** `--watch`: columns like `redis-cli --stat`, one row a sample, the header every 20 rows. */
const COLUMNS: [string, number][] = [
  ['reads/s', 9],
  ['hit rate', 9],
  ['entries', 12],
  ['memory', 18],
  ['evict/s', 9],
  ['L1 avg', 8],
  ['L2 avg', 9],
  ['effective', 10],
  ['upstream', 10],
  ['invalidation', 0],
];

export function formatWatchHeader(): string {
  return `${COLUMNS.map(([name, width]) => name.padEnd(width)).join(' ').trimEnd()}\n`;
}

/**
 * One row. With the previous sample, reads/s and the hit rate are over the interval; without, reads/s
 * is unknown and the hit rate is since start. Latencies are the proxy's running means.
 */
export function formatWatchRow(current: StatusReport, previous?: { report: StatusReport; elapsedMs: number }): string {
  let readsPerSec = NA;
  let hitRate = current.l1.hitRate;
  if (previous && previous.elapsedMs > 0) {
    const hits = current.l1.hits - previous.report.l1.hits;
    const misses = current.l1.misses - previous.report.l1.misses;
    if (hits >= 0 && misses >= 0) {
      readsPerSec = formatCount(((hits + misses) * 1000) / previous.elapsedMs);
      hitRate = hits + misses === 0 ? null : hits / (hits + misses);
    }
  }
  const embedded = current.upstream === 'embedded';
  const cells = [
    readsPerSec,
    formatPercent(hitRate),
    formatCount(current.l1.entries),
    formatMemory(current.l1.bytes, current.l1.maxBytes),
    formatRate(current.l1.evictionsPerSec),
    formatLatencyNs(current.l1.avgLatencyNs),
    embedded ? NA : formatLatencyNs(current.l2.avgLatencyUs * 1000),
    formatLatencyNs(effectiveNs(current)),
    current.upstream,
    current.invalidation,
  ];
  return `${cells.map((cell, i) => cell.padEnd(COLUMNS[i][1])).join(' ').trimEnd()}\n`;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where to connect for a proxy configured to listen on `host`: a wildcard address means this machine. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[(.*)\]$/, '$1');
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  EPIPE: 'connection closed',
};

/** A socket error in a few words: `connection refused`, `host not found`, else its code or message. */
export function connectErrorReason(err: NodeJS.ErrnoException): string {
  return (err.code && CONNECT_ERRORS[err.code]) ?? err.code ?? messageOf(err);
}

/**
 * Sends INFO cachee and returns the bulk reply's text. Failures are CliErrors (exit 1) whose one
 * line says what happened: `cachee status: no proxy answering on 127.0.0.1:6380 (connection refused)`.
 */
export async function fetchInfo(host: string, port: number, timeoutMs: number, auth?: readonly string[]): Promise<string> {
  const address = formatAddress(host, port);
  const failure = proxyFailure('cachee status', address);
  const socket = await connectToProxy('cachee status', host, port, timeoutMs, auth);
  return new Promise((resolve, reject) => {
    let settled = false;
    let buffer: Buffer = Buffer.alloc(0);
    const finish = (err: CliError | undefined, body?: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(body!);
    };
    socket.setTimeout(timeoutMs);
    socket.on('timeout', () => {
      finish(failure.noAnswer(timeoutMs));
    });
    socket.write(INFO_REQUEST);
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let reply: RespReply | undefined;
      try {
        reply = parseReply(buffer);
      } catch (err) {
        finish(failure.notCachee(messageOf(err)));
        return;
      }
      if (!reply) return;
      if (reply.kind === 'error') {
        finish(new CliError(`cachee status: ${address} answered INFO cachee with an error: ${reply.text}`, 1));
      } else if (reply.kind === 'null') {
        finish(failure.notCachee('INFO cachee returned nil'));
      } else {
        finish(undefined, reply.text);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish(new CliError(`cachee status: lost the connection to ${address} (${connectErrorReason(err)})`, 1));
    });
    socket.on('close', () => {
      finish(failure.closed());
    });
  });
}

/**
 * The CliErrors (exit 1) of `command` (`cachee status`, `cachee record`, `cachee bench`) talking to
 * the proxy at `address`, worded the same by every command.
 */
export function proxyFailure(command: string, address: string) {
  return {
    /** `cachee status: no proxy answering on 127.0.0.1:6380 (connection refused)` */
    notAnswering: (reason: string) => new CliError(`${command}: no proxy answering on ${address} (${reason})`, 1),
    /** It answered, but not as the contract says. */
    notCachee: (reason: string) => new CliError(`${command}: ${address} is not a cachee proxy, or not this version: ${reason}`, 1),
    noAnswer: (timeoutMs: number) => new CliError(`${command}: ${address} accepted the connection but did not answer within ${trim(timeoutMs / 1000, 3)}s`, 1),
    closed: () => new CliError(`${command}: ${address} closed the connection without answering`, 1),
  };
}

/**
 * The AUTH a client of the proxy configured so sends: the proxy's --requirepass, else the
 * upstream URL's credentials (which the proxy passes on to Redis); undefined when neither is set.
 */
export function proxyClientAuth(config: Pick<ProxyConfig, 'requirepass' | 'upstream'>): string[] | undefined {
  if (config.requirepass !== undefined) return ['AUTH', config.requirepass];
  return config.upstream === undefined ? undefined : authCommand(parseUpstreamUrl(config.upstream));
}

/**
 * A connection to the proxy for `command` (`cachee status`, `cachee record`), authenticated with
 * `auth` if given; failing to connect is a CliError (exit 1): `cachee status: no proxy answering
 * on 127.0.0.1:6380 (connection refused)`.
 */
export async function connectToProxy(command: string, host: string, port: number, timeoutMs: number, auth?: readonly string[]): Promise<net.Socket> {
  const socket = await connectSocket(command, host, port, timeoutMs);
  if (auth === undefined) return socket;
  const address = formatAddress(host, port);
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const fail = (error: CliError) => {
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      let reply: RespReply | undefined;
      try {
        reply = parseReply(buffer);
      } catch (err) {
        fail(proxyFailure(command, address).notCachee(messageOf(err)));
        return;
      }
      if (reply === undefined) return;
      cleanup();
      if (reply.kind === 'error') fail(new CliError(`${command}: ${address} refused the password (${reply.text})`, 1));
      else resolve(socket);
    };
    const onClose = () => {
      cleanup();
      fail(proxyFailure(command, address).closed());
    };
    const timer = setTimeout(() => {
      cleanup();
      fail(proxyFailure(command, address).noAnswer(timeoutMs));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(encodeCommand([...auth]));
  });
}

function connectSocket(command: string, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const { notAnswering } = proxyFailure(command, formatAddress(host, port));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(notAnswering(`timed out after ${trim(timeoutMs / 1000, 3)}s`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(notAnswering(connectErrorReason(err)));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(notAnswering('connection closed'));
    });
  });
}

export type RespReply = { kind: 'text'; text: string } | { kind: 'error'; text: string } | { kind: 'null' };

const MAX_REPLY = 16 * 1024 * 1024;

/** One RESP2/RESP3 reply of the kinds INFO can produce; undefined while incomplete; throws on anything else. */
export function parseReply(buffer: Buffer): RespReply | undefined {
  if (buffer.length === 0) return undefined;
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) {
    if (buffer.length > 64 * 1024) throw new Error('reply line too long');
    return undefined;
  }
  const type = String.fromCharCode(buffer[0]);
  const header = buffer.subarray(1, lineEnd).toString('utf8');
  switch (type) {
    case '+':
      return { kind: 'text', text: header };
    case '-':
      return { kind: 'error', text: header };
    case '_':
      return { kind: 'null' };
    case '$':
    case '=': {
      const length = Number(header);
      if (!Number.isInteger(length) || length < -1 || length > MAX_REPLY) throw new Error(`bad bulk length ${JSON.stringify(header)}`);
      if (length === -1) return { kind: 'null' };
      const start = lineEnd + 2;
      if (buffer.length < start + length + 2) return undefined;
      let text = buffer.subarray(start, start + length).toString('utf8');
      if (type === '=') text = text.slice(4); // RESP3 verbatim string: "txt:" then the text
      return { kind: 'text', text };
    }
    default:
      throw new Error(`unexpected reply ${JSON.stringify(buffer.subarray(0, Math.min(lineEnd, 40)).toString('latin1'))}`);
  }
}

/** One sample: the reply parsed and checked against the contract (a ContractError becomes a CliError). */
export async function fetchReport(host: string, port: number, timeoutMs: number, auth?: readonly string[]): Promise<StatusReport> {
  const address = formatAddress(host, port);
  const body = await fetchInfo(host, port, timeoutMs, auth);
  try {
    return buildReport(parseInfo(body), address);
  } catch (err) {
    if (err instanceof ContractError) {
      throw proxyFailure('cachee status', address).notCachee(err.message);
    }
    throw err;
  }
}
