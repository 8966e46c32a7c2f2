#!/usr/bin/env node
/** The `cachee` bin. */
import { readFileSync } from 'node:fs';
import type { StartProxy } from './deps.js';
import { launcherBond, needsMallocRelaunch, relaunchWithMallocEnv } from './malloc-relaunch.js';

// Loaded only by `cachee start`, so init and status start fast.
const startProxy: StartProxy = async (config, log) => {
  const proxy = await import('../proxy/index.js');
  proxy.tuneGcForProxyProcess();
  return proxy.startProxy(config, log);
};

function version(): string {
  try {
    // src/cli/main.ts and dist/cli/main.js are both two folders below package.json.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const args = process.argv.slice(2);
const relaunch = needsMallocRelaunch(args, process.env);
const launcher = relaunch ? undefined : launcherBond();
// The CLI is loaded only when this process runs it, so that a launcher holds little memory.
const code = relaunch
  ? await relaunchWithMallocEnv(args)
  : await (await import('./index.js')).runCli(args, { startProxy, version: version(), onLauncherExit: launcher?.onExit });
// The same signal may still arrive twice (sent to the process group and forwarded by a launcher,
// see malloc-relaunch.ts): the exit is decided, so it must not become a death by that signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
// Exit once the output is flushed, even if something (a lingering socket) would keep the loop alive.
process.stdout.write('', () => process.exit(code));
