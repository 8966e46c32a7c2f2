/**
 * `startProxy`: the RESP server in front of an upstream Redis. It learns the upstream's command
 * table, keeps the invalidation listener running, and gives each client connection a session.
 * With no upstream configured it serves the embedded store instead (src/proxy/embedded.ts).
 */
import net from 'node:net';
import { InvalidationListener } from '../tier/invalidation.js';
import { CommandTable } from './command-table.js';
import type { ProxyConfig, RunningProxy } from './config.js';
import { ProxyCore } from './core.js';
import { decodeReply, RespError } from '../resp/decode.js';
import { ClientSession } from './session.js';
import { parseUpstreamUrl, UpstreamConnection, type UpstreamTarget } from '../tier/redis-connection.js';

export type Log = (line: string) => void;

const MAX_CLIENTS_ERROR = Buffer.from('-ERR max number of clients reached\r\n');
const SHUTDOWN_GRACE_MS = 5000;

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
    const info = decodeReply(await withCredentials.call(['COMMAND', 'INFO']));
    if (info instanceof RespError) throw new Error(`COMMAND INFO failed: ${info.message}`);
    const table = CommandTable.fromCommandInfo(info as never);
    if (table.size === 0) throw new Error('COMMAND INFO returned no commands');
    await anonymous.connected();
    const ping = await anonymous.call(['PING']);
    return { table, defaultUserOpen: ping[0] !== 0x2d };
  } finally {
    withCredentials.close();
    anonymous.close();
  }
}

export async function startProxy(config: ProxyConfig, log: Log = () => {}): Promise<RunningProxy> {
  if (config.upstream === undefined) throw new TypeError('no upstream given (the embedded store is not built yet)');
  const target = parseUpstreamUrl(config.upstream);
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
  log(`upstream ${where}: ${probe.table.size} commands known`);

  const core = new ProxyCore(config, target, probe.table, probe.defaultUserOpen);
  const listener = new InvalidationListener({
    target,
    prefixes: trackingPrefixes(config.l1Keys),
    timeout: config.upstreamTimeout,
    onInvalidate: (keys) => core.invalidateKeys(keys),
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

  const server = net.createServer((socket) => {
    if (core.sessions.size >= config.maxClients) {
      // Read (and drop) what the client sends, so its FIN or reset is seen and the socket closes.
      socket.on('error', () => socket.destroy());
      socket.resume();
      socket.end(MAX_CLIENTS_ERROR);
      return;
    }
    core.sessions.add(new ClientSession(core, socket));
  });
  server.maxConnections = config.maxClients + 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  log(`listening on ${address.address}:${address.port}, upstream ${where}, L1 ${config.l1Memory} bytes`);

  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      (closing ??= (async () => {
        log('shutting down: no new connections; finishing replies in flight');
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const session of core.sessions) session.shutdown();
        const grace = setTimeout(() => {
          for (const session of core.sessions) session.destroy();
        }, SHUTDOWN_GRACE_MS);
        await stopped;
        clearTimeout(grace);
        listener.close();
        log('stopped');
      })()),
  };
}
