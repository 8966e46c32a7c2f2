#!/usr/bin/env node
/** The `cachee` bin. */
import { readFileSync } from 'node:fs';
import type { StartProxy } from './deps.js';
import { runCli } from './index.js';

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

const code = await runCli(process.argv.slice(2), { startProxy, version: version() });
// Exit once the output is flushed, even if something (a lingering socket) would keep the loop alive.
process.stdout.write('', () => process.exit(code));
