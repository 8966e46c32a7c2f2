#!/usr/bin/env node
/** The `cachee` bin. */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import type { StartProxy } from './deps.js';
import { runCli } from './index.js';

// Loaded only by `cachee start`, so init and status start fast.
const startProxy: StartProxy = async (config, log) => {
  // The proxy is a process of its own whose heap is mostly L1, so GC for a small footprint: by
  // default V8 lets the young generation grow to 3 x 16 MB and the old one to a multiple of what
  // survives before it collects, and under L1's eviction churn RSS reached 5x the L1 budget. With
  // a young generation that stays small and an old one that is collected at +10%, RSS stays
  // within the budget + 100 MB (`npm run bench:proxy`, memory section); the hit path allocates
  // too little for the extra collections to show.
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--heap-growing-percent=10');
  const proxy = await import('../proxy/index.js');
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
