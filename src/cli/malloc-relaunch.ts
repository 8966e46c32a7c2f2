/**
 * `cachee start` in a process whose glibc mmap threshold was left to move (the bin run directly,
 * not by `npm start`) runs the proxy in a child process started with it fixed, and waits for it.
 * glibc reads MALLOC_MMAP_THRESHOLD_ only when a process starts and Node 20 has no execve, so a
 * child is the only way; without it, RSS at --l1-memory 256mb reached 419-446 MB against the
 * 356 MB the proxy promises (see src/proxy/malloc-tuning.ts).
 *
 * The launcher forwards SIGINT, SIGTERM and SIGHUP to the child and ends with its exit code. A
 * signal sent to the whole process group (Ctrl-C, systemd) reaches the child twice, directly and
 * forwarded; `cachee start` counts a repeat that close together as one (see start.ts).
 *
 * The child must not outlive the launcher (a `kill -9` of the launcher would leave it holding the
 * ports): it gets an IPC channel it never uses, which closes when the launcher dies however it
 * dies, and `cachee start` shuts down then as on SIGTERM (see `launcherBond`). Node cannot reach
 * prctl(PR_SET_PDEATHSIG).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { MALLOC_ENV, onGlibc } from '../proxy/malloc-tuning.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Whether `cachee <args>` should run in a child with the threshold fixed. Not under a debugger
 * (`node --inspect`): it is this process that is being debugged, and the child would ask for the
 * same inspector port.
 */
export function needsMallocRelaunch(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  glibc = onGlibc(),
  nodeFlags: readonly string[] = process.execArgv,
): boolean {
  if (args[0] !== 'start' || !glibc || nodeFlags.some((flag) => flag.startsWith('--inspect'))) return false;
  return Object.keys(MALLOC_ENV).some((name) => env[name] === undefined);
}

/** Runs this script again with MALLOC_ENV set; resolves to the exit code to end with. */
export function relaunchWithMallocEnv(args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    env: { ...MALLOC_ENV, ...process.env },
    // fd 3: the channel whose end tells the child that this process is gone.
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`cachee start: cannot start the proxy process: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      // Killed by a signal: the shell's convention, 128 + its number.
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}

/** In a process started with an IPC channel (by the launcher), the end of its parent. */
export interface LauncherBond {
  /** Calls `handler` once the launcher is gone (at once if it already is); returns an unsubscribe. */
  onExit(handler: () => void): () => void;
}

/**
 * The launcher's bond, for `cachee start` run as its child; undefined when this process has no
 * IPC channel. Called first thing, so that an end that comes while the CLI loads is not missed.
 * Any parent that starts `cachee start` with a channel (child_process.fork) gets the same: the
 * proxy ends with it.
 */
export function launcherBond(): LauncherBond | undefined {
  const channel = process.channel;
  if (channel === undefined) return undefined;
  // The channel carries nothing: it must not keep this process running by itself.
  channel.unref();
  let gone = !process.connected;
  process.once('disconnect', () => (gone = true));
  return {
    onExit(handler) {
      if (gone) {
        const immediate = setImmediate(handler);
        return () => clearImmediate(immediate);
      }
      process.once('disconnect', handler);
      return () => process.off('disconnect', handler);
    },
  };
}
