/**
 * `startProxy`: the RESP server in front of an upstream Redis. It learns the upstream's command
 * table, keeps the invalidation listener running, and gives each client connection a session.
 * With no upstream configured it serves the embedded store instead (src/proxy/embedded.ts); with
 * more than one worker, it runs one such proxy per worker process (src/proxy/workers.ts).
 *
 * `log` gets one line per event of the proxy's own (upstream found, invalidation state, shutting
 * down); the caller knows when it is listening and when it has stopped, and says so itself.
 */
import { InvalidationListener } from '../tier/invalidation.js';
import { CommandTable } from './command-table.js';
import { telemetrySource, withAdminServer } from './admin-port.js';
import type { ProxyConfig, RunningProxy } from './config.js';
import { ProxyCore } from './core.js';
import { decodeReply, RespError } from '../resp/decode.js';
import { startEmbedded } from './embedded.js';
import { ClientFront, frontProxy, type Log } from './front.js';
import { ClientSession } from './session.js';
import { FrontTelemetry, type ServingFront } from './telemetry.js';
import { startWorkers } from './workers.js';
import { parseUpstreamUrl, UpstreamConnection, type UpstreamTarget } from '../tier/redis-connection.js';
import { mallocNote } from './malloc-tuning.js';

export type { Log } from './front.js';

/** Literal prefixes for CLIENT TRACKING BCAST from --l1-keys globs; empty: every key. */
export function trackingPrefixes(patterns: readonly string[] | undefined): string[] {
  if (patterns === undefined || patterns.length === 0) return [];
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    const wildcard = pattern.search(/[*?[\\]/);
    const prefix = wildcard < 0 ? pattern : pattern.slice(0, wildcard);
    if (prefix === '') return [];
    prefixes.push(prefix);
  }
  // Redis refuses overlapping prefixes: keep the shortest of each overlapping group.
  prefixes.sort((a, b) => a.length - b.length);
  return prefixes.filter((p, i) => !prefixes.slice(0, i).some((q) => p.startsWith(q)));
}

interface Probe {
  table: CommandTable;
  defaultUserOpen: boolean;
}

async function probeUpstream(target: UpstreamTarget, timeout: number): Promise<Probe> {
  const withCredentials = new UpstreamConnection(target, { timeout });
  const anonymous = new UpstreamConnection({ ...target, username: undefined, password: undefined }, { timeout });
  try {
    await withCredentials.connected();
    if (target.password !== undefined) {
      const auth = await withCredentials.call(target.username === undefined ? ['AUTH', target.password] : ['AUTH', target.username, target.password]);
      if (auth[0] === 0x2d) throw new Error(`upstream refused the URL's credentials: ${auth.toString('latin1', 1).trim()}`);
    }
    // COMMAND, not COMMAND INFO: the same entries, and before Redis 7 INFO wanted command names.
    const info = decodeReply(await withCredentials.call(['COMMAND']));
    if (info instanceof RespError) throw new Error(`COMMAND failed: ${info.message}`);
    const table = CommandTable.fromCommandInfo(info as never);
    if (table.size === 0) throw new Error('COMMAND returned no commands');
    await anonymous.connected();
    const ping = await anonymous.call(['PING']);
    return { table, defaultUserOpen: ping[0] !== 0x2d };
  } finally {
    withCredentials.close();
    anonymous.close();
  }
}

/** The proxy, and its admin server unless `adminPort` is off. */
export async function startProxy(config: ProxyConfig, log: Log = () => {}): Promise<RunningProxy> {
  if (config.upstream !== undefined && config.workers > 1) return startWorkers(config, log);
  const { running, telemetry } = await startFront(config, log);
  const proxy = config.adminPort === undefined ? running : await withAdminServer(config, running, telemetrySource(telemetry));
  // A client's SHUTDOWN stops the whole proxy, admin server included, as Redis stops.
  void proxy.shutdownRequested?.then(() => proxy.close());
  return proxy;
}

/** One process's front, without the admin server (a --workers worker's: the primary runs it). */
export function startFront(config: ProxyConfig, log: Log): Promise<ServingFront> {
  const note = mallocNote();
  if (note !== undefined) log(note);
  return config.upstream === undefined ? startEmbedded(config, log) : startUpstreamProxy(config, config.upstream, log);
}

async function startUpstreamProxy(config: ProxyConfig, upstream: string, log: Log): Promise<ServingFront> {
  const target = parseUpstreamUrl(upstream);
  const where = `${target.tls ? 'rediss' : 'redis'}://${target.host}:${target.port}`;

  let probe: Probe | undefined;
  for (let delay = 100; probe === undefined; delay = Math.min(2000, delay * 2)) {
    try {
      probe = await probeUpstream(target, config.upstreamTimeout);
    } catch (error) {
      log(`upstream ${where} not ready (${(error as Error).message}); retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  const legacy = probe.table.legacyRanges
    ? ' (no key specs, as before Redis 7: keys from first/last/step; a write by a command with movable keys, such as EVAL, flushes L1)'
    : '';
  log(`upstream ${where}: ${probe.table.size} commands known${legacy}`);

  const core = new ProxyCore(config, target, probe.table, probe.defaultUserOpen);
  const listener = new InvalidationListener({
    target,
    prefixes: trackingPrefixes(config.l1Keys),
    timeout: config.upstreamTimeout,
    onInvalidate: (keys) => core.invalidateKeys(keys, 'tracking'),
    onFlush: () => core.flushL1(),
    onStateChange: (state, detail) => {
      if (state === 'tracking') {
        core.l1Trusted = true;
        core.invalidationState = 'tracking';
        core.upstreamState = 'connected';
        log(`invalidation: tracking via ${detail}; L1 serving`);
      } else if (state === 'none') {
        // No tracking upstream: L1 stays on, bounded by its TTL and by writes through this proxy.
        core.l1Trusted = true;
        core.invalidationState = 'none';
        core.upstreamState = 'connected';
        log(`warning: ${detail}; L1 entries live at most ${config.l1Ttl} ms and only writes through this proxy invalidate them`);
      } else {
        core.l1Trusted = false;
        core.invalidationState = 'down';
        core.upstreamState = 'down';
        log(`invalidation lost (${detail}); L1 paused until it is back`);
      }
    },
  });
  listener.start();

  let front: ClientFront;
  try {
    front = await ClientFront.listen({
      host: config.host,
      port: config.port,
      maxClients: config.maxClients,
      accept: (socket, closed) => new ClientSession(core, socket, closed),
    });
  } catch (error) {
    listener.close();
    throw error;
  }
  const telemetry = new FrontTelemetry({
    figures: () => core.figures(),
    l1Latency: core.stats.l1Latency,
    l2Latency: core.stats.l2Latency,
    hottestKeys: (limit) => core.cache?.hottestKeys(limit) ?? [],
  });
  return { running: frontProxy(front, log, () => listener.close()), telemetry };
}
