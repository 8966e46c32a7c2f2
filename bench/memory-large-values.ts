/**
 * `node --import tsx bench/memory-large-values.ts`: the proxy's RSS against --l1-memory when the
 * values are large (1 MiB by default). Starts redis-server with --keys values of --value-kb KiB,
 * and `cachee start` (dist/, glibc's threshold fixed) in front of it; reads every key through the
 * proxy twice in order (--write: after writing them through the proxy), then --skewed reads skewed to the first keys, --pipeline at a time;
 * prints L1 bytes, VmRSS (highest sample) and VmHWM.
 *
 * Flags: --proxy=PATH (default dist/cli/main.js)  --l1-memory=64mb  --keys=400  --value-kb=1024  --pipeline=10  --skewed=2000  --write  --maps (largest mappings)  --log (the proxy's output)  --node-flags='--trace-gc' (for the proxy's node)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startRedis } from '../test/support/redis-server.js';
import { waitFor } from '../test/support/proxy.js';
import { parseInfoLines } from '../src/cli/status.js';
import { proxyProcessEnv } from '../src/proxy/malloc-tuning.js';
import { lcg } from './harness.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/** The cachee bin to run (--proxy=PATH, to measure another build). */
const PROXY_MAIN = path.resolve(flag('proxy') ?? path.join(HERE, '..', 'dist', 'cli', 'main.js'));
const L1_MEMORY = flag('l1-memory') ?? '64mb';
const KEYS = Number(flag('keys') ?? 400);
const VALUE_BYTES = Number(flag('value-kb') ?? 1024) * 1024;
const PIPELINE = Number(flag('pipeline') ?? 10);
const SKEWED = Number(flag('skewed') ?? 2000);

const status = (pid: number, name: string) => Math.round(Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024);

const redis = await startRedis();
const port = await freePort();
const proxy = spawn(process.execPath, [...(flag('node-flags')?.split(' ') ?? []), PROXY_MAIN, 'start', '--upstream', redis.url, '--port', String(port), '--admin-port', 'off', '--l1-memory', L1_MEMORY], {
  env: proxyProcessEnv(),
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
proxy.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
const setup = new Redis(redis.port, { lazyConnect: true });
const client = new Redis(port, { lazyConnect: true });
try {
  await waitFor(() => output.includes('invalidation: tracking'), 20_000, 'the proxy to track');
  await setup.connect();
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  await client.connect();
  const pid = proxy.pid!;
  const idle = status(pid, 'VmRSS');
  // --write: the values are written through the proxy (client input), else straight to Redis.
  const writer = argv.includes('--write') ? client : setup;
  for (let i = 0; i < KEYS; i += PIPELINE) {
    const pipeline = writer.pipeline();
    for (let k = i; k < Math.min(KEYS, i + PIPELINE); k++) pipeline.set(`big:${k}`, value);
    await pipeline.exec();
  }
  let maxRss = 0;
  let maxL1 = 0;
  const sample = async () => {
    maxRss = Math.max(maxRss, status(pid, 'VmRSS'));
    const info = parseInfoLines((await client.call('INFO', 'cachee')) as string);
    maxL1 = Math.max(maxL1, Number(info.get('l1_bytes')));
  };
  const random = lcg(7);
  const order = [...Array(KEYS).keys(), ...Array(KEYS).keys(), ...Array.from({ length: SKEWED }, () => Math.floor(KEYS * random() ** 3))];
  for (let i = 0; i < order.length; i += PIPELINE) {
    const pipeline = client.pipeline();
    for (const k of order.slice(i, i + PIPELINE)) pipeline.getBuffer(`big:${k}`);
    await pipeline.exec();
    if ((i / PIPELINE) % 5 === 0) await sample();
  }
  await sample();
  console.log(
    `--l1-memory ${L1_MEMORY}, ${KEYS} values of ${VALUE_BYTES / 1024} KiB, pipeline ${PIPELINE}: ` +
      `L1 bytes highest ${Math.round(maxL1 / 1024 / 1024)} MB; RSS idle ${idle} MB, highest sample ${maxRss} MB, end ${status(pid, 'VmRSS')} MB, VmHWM ${status(pid, 'VmHWM')} MB`,
  );
  if (argv.includes('--log')) console.log(output);
  if (argv.includes('--maps')) {
    const mappings: { name: string; rss: number }[] = [];
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mappings.push({ name: line.split(/\s+/).slice(5).join(' ') || '[anon]', rss: 0 });
      else if (line.startsWith('Rss:')) mappings[mappings.length - 1].rss = Number(/(\d+)/.exec(line)?.[1]);
    }
    const anon = mappings.filter((m) => m.name === '[anon]').reduce((sum, m) => sum + m.rss, 0);
    const heap = mappings.filter((m) => m.name === '[heap]').reduce((sum, m) => sum + m.rss, 0);
    console.log(`  [heap] ${Math.round(heap / 1024)} MB, anonymous mappings ${Math.round(anon / 1024)} MB`);
  }
} finally {
  client.disconnect();
  setup.disconnect();
  proxy.kill('SIGTERM');
  await new Promise((resolve) => proxy.once('exit', resolve));
  await redis.stop();
}
