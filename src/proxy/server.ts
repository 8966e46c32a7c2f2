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
import { AclUnreadable, AclWatch, defaultUserOpenIn, readAcl, type AclSnapshot } from './acl-watch.js';
import { authenticate } from '../tier/upstream-auth.js';

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
  /** The upstream's ACL; undefined when the URL's user may not read it. */
  acl: AclSnapshot | undefined;
  /**
   * The upstream wants a password and the URL gives none: the proxy has no connection of its own
   * (no command table, no invalidation, no ACL), so it only relays clients, who AUTH themselves.
   */
  locked: boolean;
}

async function probeUpstream(target: UpstreamTarget, timeout: number): Promise<Probe> {
  const withCredentials = new UpstreamConnection(target, { timeout });
  const anonymous = new UpstreamConnection({ ...target, username: undefined, password: undefined }, { timeout });
  try {
    await withCredentials.connected();
    await authenticate(withCredentials, target);
    // COMMAND, not COMMAND INFO: the same entries, and before Redis 7 INFO wanted command names.
    const reply = await withCredentials.call(['COMMAND']);
    if (target.password === undefined && reply.toString('latin1', 0, 7) === '-NOAUTH') {
      return { table: new CommandTable([]), defaultUserOpen: false, acl: undefined, locked: true };
    }
    const info = decodeReply(reply);
    if (info instanceof RespError) throw new Error(`COMMAND failed: ${info.message}`);
    const table = CommandTable.fromCommandInfo(info as never);
    if (table.size === 0) throw new Error('COMMAND returned no commands');
    let acl: AclSnapshot | undefined;
    try {
      acl = await readAcl(withCredentials);
    } catch (error) {
      if (!(error instanceof AclUnreadable)) throw error;
    }
    await anonymous.connected();
    const ping = await anonymous.call(['PING']);
    return { table, defaultUserOpen: ping[0] !== 0x2d, acl, locked: false };
  } finally {
    withCredentials.close();
    anonymous.close();
  }
}

/** The proxy, and its admin server unless `adminPort` is off. */
export async function startProxy(config: ProxyConfig, log: Log = () => {}): Promise<RunningProxy> {
  if (config.upstream !== undefined && config.workers > 1) return startWorkers(config, log);
  const { running, telemetry } = await startFront(config, log);
  if (config.adminPort === undefined) return running;
  return withAdminServer(config, running, telemetrySource(telemetry));
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
  const core = new ProxyCore(config, target, probe.table, probe.defaultUserOpen);
  if (probe.locked) return relayOnly(config, core, where, log);
  const legacy = probe.table.legacyRanges
    ? ' (no key specs, as before Redis 7: keys from first/last/step; a write by a command with movable keys, such as EVAL, flushes L1)'
    : '';
  log(`upstream ${where}: ${probe.table.size} commands known${legacy}`);
  const aclWatch = watchAcl(config, core, target, probe.acl, log);
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
    front = await listenFor(core);
  } catch (error) {
    listener.close();
    aclWatch.close();
    throw error;
  }
  return {
    running: frontProxy(front, log, () => {
      listener.close();
      aclWatch.close();
    }),
    telemetry: coreTelemetry(core),
  };
}

function coreTelemetry(core: ProxyCore): FrontTelemetry {
  return new FrontTelemetry({
    figures: () => core.figures(),
    l1Latency: core.stats.l1Latency,
    l2Latency: core.stats.l2Latency,
    hottestKeys: (limit) => core.cache?.hottestKeys(limit) ?? [],
  });
}

/** The ACL watch (./acl-watch.ts), running: it keeps `core` from answering from L1 what Redis would refuse. */
function watchAcl(config: ProxyConfig, core: ProxyCore, target: UpstreamTarget, initial: AclSnapshot | undefined, log: Log): AclWatch {
  const watch = new AclWatch({
    target,
    timeout: config.upstreamTimeout,
    initial,
    onChange: (acl) => {
      core.defaultUserOpen = defaultUserOpenIn(acl) ?? core.defaultUserOpen;
      core.flushL1();
    },
    onStateChange: (followed, detail) => {
      core.aclCurrent = followed;
      if (followed) log('ACL: followed again; L1 serving');
      else log(`ACL not followed (${detail}); L1 answers no reads until it is`);
    },
  });
  core.aclCurrent = watch.following;
  core.checkAcl = () => watch.checkNow();
  if (initial === undefined) {
    log("warning: the upstream user may not run ACL LIST, so the proxy cannot see permission changes: L1 answers no reads (grant the URL's user +acl|list)");
  }
  watch.start();
  return watch;
}

/**
 * An upstream that wants a password, with none in the URL: listen anyway, relay each client's
 * commands (Redis refuses them until the client AUTHs), and keep L1 off.
 */
async function relayOnly(config: ProxyConfig, core: ProxyCore, where: string, log: Log): Promise<ServingFront> {
  if (config.requirepass !== undefined) {
    throw new Error(`--requirepass needs credentials in --upstream: ${where} wants a password, and the proxy's default user acts upstream as the URL's user`);
  }
  log(`warning: ${where} wants a password and --upstream gives none: clients must AUTH, and L1 is off (the proxy has no connection of its own to follow writes and ACLs); put credentials in --upstream to cache`);
  core.upstreamState = 'connected';
  return { running: frontProxy(await listenFor(core), log), telemetry: coreTelemetry(core) };
}

function listenFor(core: ProxyCore): Promise<ClientFront> {
  const { config } = core;
  return ClientFront.listen({
    host: config.host,
    port: config.port,
    maxClients: config.maxClients,
    accept: (socket, closed) => new ClientSession(core, socket, closed),
  });
}
