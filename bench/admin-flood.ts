/**
 * `node --import tsx bench/admin-flood.ts`: does a flood of admin-port scrapes slow the data
 * path? Starts redis-server and `cachee start` (dist/, with --admin-port), then times one client's
 * sequential GETs (L1 hits) alone, and again while another process floods `/metrics` (or the
 * path given) over several keep-alive connections. Prints p50/p99 of the GETs and the scrapes
 * answered per second.
 *
 * Flags: --seconds=3 (each phase)  --connections=16 (flooding)  --path=/metrics
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis } from '../test/support/redis-server.js';
import { RawClient, waitFor } from '../test/support/proxy.js';
import { formatTable, percentile } from './harness.js';
import { proxyProcessEnv } from '../src/proxy/malloc-tuning.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const SECONDS = Number(flag('seconds') ?? 3);
const CONNECTIONS = Number(flag('connections') ?? 16);
const PATH = flag('path') ?? '/metrics';

/** The flooding process: GETs `url` over `connections` keep-alive connections until killed, printing the count each second. */
async function flood(url: string, connections: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let answered = 0;
  setInterval(() => {
    process.stdout.write(`${answered}\n`);
    answered = 0;
  }, 1000);
  const loop = async () => {
    for (;;) {
      await new Promise<void>((resolve) => {
        http.get(url, { agent }, (response) => {
          response.resume();
          response.on('end', () => {
            answered++;
            resolve();
          });
        }).on('error', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
}

async function timedGets(client: RawClient, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    await client.call('GET', 'hot');
    latencies.push(performance.now() - start);
  }
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const port = await freePort();
  const adminPort = await freePort();
  const proxy: ChildProcess = spawn(
    process.execPath,
    [path.join(HERE, '..', 'dist', 'cli', 'main.js'), 'start', '--upstream', redis.url, '--port', String(port), '--admin-port', String(adminPort)],
    { env: proxyProcessEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  proxy.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let flooder: ChildProcess | undefined;
  try {
    await waitFor(() => output.includes('invalidation: tracking'), 20_000, 'the proxy to track');
    const client = await RawClient.connect(port);
    await client.call('SET', 'hot', 'value');
    await timedGets(client, 1); // warm-up: L1 filled, hit path compiled
    const rows: string[][] = [];
    const row = (what: string, latencies: number[], scrapes: string) =>
      rows.push([what, percentile(latencies, 50).toFixed(3), percentile(latencies, 99).toFixed(3), String(latencies.length), scrapes]);
    row('alone', await timedGets(client, SECONDS), '-');

    flooder = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), `--flooder=http://127.0.0.1:${adminPort}${PATH}`, `--connections=${CONNECTIONS}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const counts: number[] = [];
    flooder.stdout!.on('data', (chunk: Buffer) => counts.push(...chunk.toString().trim().split('\n').map(Number)));
    await waitFor(() => counts.some((count) => count > 0), 20_000, 'the flood to start');
    const flooded = await timedGets(client, SECONDS);
    const rates = counts.slice(-SECONDS);
    row(`${PATH} flood, ${CONNECTIONS} connections`, flooded, String(Math.round(rates.reduce((a, b) => a + b, 0) / rates.length)));
    client.close();
    console.log(formatTable(['GETs', 'p50 ms', 'p99 ms', 'GETs timed', `${PATH} answers/s`], rows));
  } finally {
    flooder?.kill('SIGKILL');
    proxy.kill('SIGTERM');
    await new Promise((resolve) => proxy.once('exit', resolve));
    await redis.stop();
  }
}

const target = flag('flooder');
if (target !== undefined) await flood(target, CONNECTIONS);
else await main();
