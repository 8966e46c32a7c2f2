/**
 * `cachee start`: runs the proxy until SIGTERM or SIGINT (or, with no upstream, a client's
 * SHUTDOWN), logging one timestamped line per lifecycle event. The first signal closes the proxy
 * (finishing the replies in flight) and ends with 0; a second one ends at once with 1, unless it came within SIGNAL_REPEAT_MS of the first:
 * that is one signal delivered twice (to the process group and forwarded by the launcher, see
 * malloc-relaunch.ts), not an impatient user. The end of the launcher that started this process
 * counts as a first signal: the proxy must not outlive it.
 */
import { AdminListenError } from '../admin/server.js';
import type { ProxyConfig, RunningProxy } from '../proxy/config.js';
import type { CliDeps, ShutdownSignal } from './deps.js';
import { CliError, messageOf } from './errors.js';
import { redactUrl, type ConfigFile, type ConfigLocation } from './config.js';
import { formatAddress } from './status.js';
import { formatDuration, humanSize } from './units.js';

/** Signals this close to the first are the same signal, delivered twice. */
export const SIGNAL_REPEAT_MS = 250;

export interface StartInput {
  config: ProxyConfig;
  location: ConfigLocation;
  /** Undefined: no file, defaults. */
  file: ConfigFile | undefined;
}

/** What the proxy will do, for the `listening` line. */
export function describeConfig(config: ProxyConfig): string {
  if (config.upstream === undefined) {
    // --l1-ttl bounds how stale an L1 copy of Redis may get; the store is the data, so it does not apply.
    return `no upstream: serving from the embedded store (${humanSize(config.l1Memory)}; keys expire only by EXPIRE, SET EX and the like)`;
  }
  const ttl = `TTL ${config.l1Ttl === 0 ? 'none' : formatDuration(config.l1Ttl)}`;
  const keys = config.l1Keys?.length ? `, keys ${config.l1Keys.join(',')}` : '';
  const fresh = config.requireFresh ? ', require-fresh' : '';
  const workers = config.workers > 1 ? `, ${config.workers} workers` : '';
  return `upstream ${redactUrl(config.upstream)} (L1 ${humanSize(config.l1Memory)}, ${ttl}${keys}${fresh}${workers})`;
}

export async function runStart(input: StartInput, deps: CliDeps): Promise<number> {
  const { config } = input;
  const log = (line: string) => deps.stdout(`${new Date(deps.now()).toISOString()} ${line.replace(/\r?\n$/, '')}\n`);
  const startProxy = deps.startProxy;
  if (!startProxy) throw new CliError('cachee start: no proxy in this build', 1);

  let running: RunningProxy | undefined;
  let stopping = false;
  let firstSignalAt = 0;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const stop = async (proxy: RunningProxy) => {
    try {
      await proxy.close();
      log('stopped');
      finish(0);
    } catch (err) {
      log(`stopped with an error: ${messageOf(err)}`);
      finish(1);
    }
  };
  const onSignal = (signal: ShutdownSignal | 'launcher exited') => {
    if (stopping) {
      if (deps.now() - firstSignalAt < SIGNAL_REPEAT_MS) return;
      log(`${signal} again: exiting now`);
      finish(1);
      deps.exit(1);
      return;
    }
    stopping = true;
    firstSignalAt = deps.now();
    if (running) {
      log(`${signal}: shutting down`);
      void stop(running);
    } else {
      // Still starting (e.g. waiting for the upstream): nothing is served yet, so nothing to finish.
      log(`${signal}: shutting down before the proxy started; stopped`);
      finish(0);
      deps.exit(0);
    }
  };
  const unsubscribeSignals = deps.onSignal(onSignal);
  const unsubscribeLauncher = deps.onLauncherExit?.(() => onSignal('launcher exited'));
  const unsubscribe = () => {
    unsubscribeSignals();
    unsubscribeLauncher?.();
  };

  try {
    log(`cachee ${deps.version} starting, ${input.file ? `config ${input.file.display}` : `no ${input.location.display}: defaults`}`);
    const started = startProxy(config, log).then(
      (proxy) => {
        if (stopping) {
          void proxy.close(); // the signal won the race: do not leave it listening
          return undefined;
        }
        running = proxy;
        // The proxy logged the SHUTDOWN and is closing itself: wait for it like for a signal.
        void proxy.shutdownRequested?.then(() => {
          if (stopping) return;
          stopping = true;
          firstSignalAt = deps.now();
          void stop(proxy);
        });
        const admin = proxy.admin === undefined ? '' : `, dashboard on http://${formatAddress(proxy.admin.host, proxy.admin.port)}/ (metrics at /metrics)`;
        log(`listening on ${formatAddress(proxy.host, proxy.port)}${admin}, ${describeConfig(config)}`);
        return proxy;
      },
      (err: unknown) => {
        if (stopping) return undefined;
        if (err instanceof AdminListenError) {
          const where = formatAddress(err.host, err.port);
          throw new CliError(`cachee start: cannot start the admin server on ${where}: ${startError(err)} (--admin-port: another port, or off)`, 1);
        }
        throw new CliError(`cachee start: cannot start the proxy on ${formatAddress(config.host, config.port)}: ${startError(err)}`, 1);
      },
    );
    await Promise.race([started, finished]);
    return await finished;
  } finally {
    unsubscribe();
  }
}

function startError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EADDRNOTAVAIL') return 'address not available on this machine';
  return messageOf(err);
}
