/**
 * `npm run bench`: the engine against Map and lru-cache, its memory, its hit ratio on the public
 * traces beside LRU and Bélády's optimum, TieredCache against the engine, Map and bentocache, and
 * the proxy against Redis (bench/proxy.ts, about two minutes). Prints markdown tables (the
 * README's Performance sections are pasted from here).
 * `--only=get,set,memory,bytes,hitratio,tiered,proxy,staleness` picks sections (tiered, proxy and
 * staleness start throwaway redis-servers; staleness is bench/staleness/run.ts, about a minute, and takes
 * its flags, e.g. `--seconds=20`).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchByteAccounting, benchGetHit, benchMemory, benchSetEvicting } from './engine.js';
import { hitRatioReport } from './hitratio/run.js';
import { benchTiered } from './tiered.js';

const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const wanted = (name: string) => only === undefined || only.includes(name);

if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc (npm run bench does)');
  process.exit(2);
}

console.log(`# cachee benchmarks, ${new Date().toISOString().slice(0, 10)}`);
console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}\n`);

if (wanted('get')) console.log(benchGetHit().table, '\n');
if (wanted('set')) console.log(benchSetEvicting().table, '\n');
if (wanted('memory')) console.log(benchMemory().table, '\n');
if (wanted('bytes')) console.log(benchByteAccounting().table, '\n');
if (wanted('hitratio')) console.log(`# hit ratios (percent of all requests, no warm-up)\n\n${hitRatioReport()}\n`);
if (wanted('tiered')) for (const table of await benchTiered()) console.log(table, '\n');
// A process of its own: it pins processes to cores and starts servers, and takes its own flags.
if (wanted('proxy')) execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./proxy.ts', import.meta.url))], { stdio: 'inherit' });
// Its flags (--seconds=, --connections=, ...) pass through.
if (wanted('staleness')) {
  const flags = process.argv.slice(2).filter((a) => !a.startsWith('--only='));
  execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./staleness/run.ts', import.meta.url)), ...flags], { stdio: 'inherit' });
}
