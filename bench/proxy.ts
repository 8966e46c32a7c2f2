/**
 * `npm run bench:proxy`: the caching proxy against the Redis it fronts, side by side in one run,
 * for the goals of issue 3 ("What it must reach"). Prints markdown tables.
 *
 * It starts its own redis-server on a free port and the proxy as a child process (`cachee start`
 * from dist/, so the proxy has an event loop and, pinned, a core of its own), and measures:
 *   get          redis-benchmark GET on L1 hits, 50 clients, pipeline 1 and 16: proxy vs direct, and
 *                a bare Node server answering from the proxy's L1 (bench/support/floor-server.ts) as the
 *                floor of what Node reaches here
 *   relay        sequential ioredis GETs with the upstream 0.3 ms away (bench/support/delay-relay.ts)
 *                at a 90% hit ratio: proxy p50 vs direct p50
 *   invalidation another client's SET acknowledged by Redis, then GETs through the proxy until they
 *                see the new value
 *   memory       L1 filled past --l1-memory 64mb and 256mb: L1 bytes and RSS against the budget, for the proxy
 *                and for the embedded store (no upstream)
 * Proxy and direct runs alternate within each round; tables give medians over the rounds.
 *
 * Flags: --only=get,relay,invalidation,memory  --rounds=N (default 5)  --quick (fewer requests)
 *        --memory-budgets=64,256,1024 (MB; each reads 406,000 keys per 64 MB)
 *        --rtt-ms=0.3 (round trip the relay adds)  --value-size=3 (bytes of each GET's value)
 *        --proxy=PATH (the cachee bin to run, default dist/cli/main.js: to time another build)
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startRedis, type RedisServer } from '../test/support/redis-server.js';
import { formatTable, lcg, median, percentile } from './harness.js';
import { parseInfoLines } from '../src/cli/status.js';
import { proxyProcessEnv } from '../src/proxy/malloc-tuning.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RELAY_MAIN = path.join(HERE, 'support', 'relay-process.ts');
const FLOOR_MAIN = path.join(HERE, 'support', 'floor-server.ts');

const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const PROXY_MAIN = path.resolve(flag('proxy') ?? path.join(HERE, '..', 'dist', 'cli', 'main.js'));
const only = flag('only')?.split(',');
const wanted = (name: string) => only === undefined || only.includes(name);
const ROUNDS = Number(flag('rounds') ?? 5);
const QUICK = argv.includes('--quick');
const RTT_MS = Number(flag('rtt-ms') ?? 0.3);
const VALUE_SIZE = Number(flag('value-size') ?? 3);

const CLIENTS = 50;
const KEYSPACE = 10_000;
const GET_REQUESTS: Record<number, number> = QUICK ? { 1: 100_000, 16: 800_000 } : { 1: 250_000, 16: 2_000_000 };
const RELAY_REQUESTS = QUICK ? 1_000 : 3_000;
const HOT_KEYS = 1_000;
const INVALIDATION_SAMPLES = QUICK ? 300 : 1_000;
/**
 * Rounds of the invalidation loop run first and not counted: a fresh proxy compiles its miss and
 * invalidation paths through its first few thousand writes (p99 2-3 ms per round of 1,000 in the
 * first two, then flat), where the GET section's warm-up is one round of 250,000 reads.
 */
const INVALIDATION_WARMUP_ROUNDS = QUICK ? 1 : 3;
/** Each budget reads its multiple of the keys of a 64 MB one. */
const MEMORY_BUDGETS_MB = flag('memory-budgets')?.split(',').map(Number) ?? (QUICK ? [64] : [64, 256]);
/** Reads per pipeline while filling L1: with 16 KB values, 1.6 MB of replies in flight at a time. */
const MEMORY_PIPELINE = 100;

// ---------------------------------------------------------------------------------- processes

/**
 * Two cores at least and taskset: the servers (redis-server, the proxy) get CPU 0, the load
 * generators (redis-benchmark, this process, the relay) CPU 1, so server and client never steal
 * each other's core. Fewer cores: nothing is pinned and the output says so.
 */
const PIN = os.cpus().length >= 2 && commandExists('taskset');
const SERVER_CPU = '0';
const CLIENT_CPU = '1';

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function pinProcess(pid: number | undefined, cpu: string): void {
  if (PIN && pid !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

const children = new Set<ChildProcess>();

/** Spawns `command` on `cpu` (taskset execs it, so the pid is the command's own). */
function spawnOn(cpu: string, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = PIN ? spawn('taskset', ['-c', cpu, command, ...args], options) : spawn(command, args, options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}
process.once('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** Resolves with everything the child printed once a stdout line matches, or rejects when it exits first. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${what}: nothing matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        cleanup();
        resolve(output);
      }
    };
    const onExit = (code: number | null) => fail(new Error(`${what} exited (${code}) before it was ready`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (error: Error) => {
      cleanup();
      reject(new Error(`${error.message}\n${output}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onExit);
  });
}

function runToEnd(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} exited ${code}: ${err || out}`))));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

interface ProxyProcess {
  pid: number;
  port: number;
  /** A connection for INFO cachee. */
  admin: Redis;
  info(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * `cachee start` in a fresh folder (no cachee.json) and without CACHEE_* variables: only these
 * flags count. No upstream port: the embedded store.
 */
async function startProxyProcess(upstreamPort: number | undefined, flags: string[] = []): Promise<ProxyProcess> {
  const port = await freePort();
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'cachee-bench-'));
  // The admin server on any free port (6381 may be taken): a default start runs one, and the memory
  // section counts what it costs. A variable, which a build from before --admin-port (--proxy=PATH)
  // ignores, where it would refuse the flag.
  const env = { ...proxyProcessEnv(Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CACHEE_')))), CACHEE_ADMIN_PORT: '0' };
  const upstream = upstreamPort === undefined ? [] : ['--upstream', `redis://127.0.0.1:${upstreamPort}`];
  const args = [PROXY_MAIN, 'start', ...upstream, '--port', String(port), ...flags];
  const child = spawnOn(SERVER_CPU, process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForOutput(child, upstreamPort === undefined ? /listening on/ : /invalidation: tracking|warning:/, 20_000, 'cachee start');
  // Keep draining its output: a full pipe would block the proxy's next log line.
  child.stdout?.resume();
  child.stderr?.resume();
  const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await admin.connect();
  return {
    pid: child.pid!,
    port,
    admin,
    info: async () => parseInfo(await admin.info('cachee')),
    stop: async () => {
      admin.disconnect();
      await stopChild(child);
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** bench/support/floor-server.ts on the servers' core, holding the GET section's keys. */
async function startFloorServer(): Promise<{ pid: number; port: number; stop(): Promise<void> }> {
  const child = spawnOn(SERVER_CPU, process.execPath, ['--import', 'tsx', FLOOR_MAIN, String(KEYSPACE), String(VALUE_SIZE)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = await waitForOutput(child, /floor listening on \d+/, 20_000, 'floor server');
  child.stdout?.resume();
  child.stderr?.resume();
  return { pid: child.pid!, port: Number(/floor listening on (\d+)/.exec(output)![1]), stop: () => stopChild(child) };
}

function parseInfo(text: string): Record<string, string> {
  return Object.fromEntries(parseInfoLines(text));
}

async function startRelay(targetPort: number, oneWayMs: number): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawnOn(CLIENT_CPU, process.execPath, ['--import', 'tsx', RELAY_MAIN, String(targetPort), String(oneWayMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = await waitForOutput(child, /relay listening on \d+/, 20_000, 'delay relay');
  return { port: Number(/relay listening on (\d+)/.exec(output)![1]), stop: () => stopChild(child) };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time a process has used (user + system), seconds. */
function cpuSeconds(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** VmRSS and VmHWM (peak RSS) of a process, bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

// ---------------------------------------------------------------------------------- helpers

const connect = async (port: number): Promise<Redis> => {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  return client;
};

/** Runs `command(client, key)` for every key in pipelined batches. */
type Pipeline = ReturnType<Redis['pipeline']>;

async function pipelined(client: Redis, keys: string[], command: (p: Pipeline, key: string) => void, batch = 1000): Promise<void> {
  for (let i = 0; i < keys.length; i += batch) {
    const p = client.pipeline();
    for (const key of keys.slice(i, i + batch)) command(p, key);
    const results = await p.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
  }
}

const ms = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const spread = (values: number[], format: (n: number) => string) =>
  `${format(Math.min(...values))} – ${format(Math.max(...values))}`;

const hitRatio = (before: Record<string, string>, after: Record<string, string>) => {
  const hits = Number(after.l1_hits) - Number(before.l1_hits);
  const misses = Number(after.l1_misses) - Number(before.l1_misses);
  return hits / (hits + misses);
};
const pct = (n: number) => (Number.isFinite(n) ? `${(100 * n).toFixed(1)}%` : 'n/a');

// ---------------------------------------------------------------------------------- 1. GET

interface BenchmarkRun {
  rps: number;
  p50: number;
  p99: number;
  /** CPU the server process spent per request, µs (user + system). */
  cpuUs: number;
}

/** One redis-benchmark run; its --csv line gives requests per second and latency percentiles (ms). */
/**
 * One redis-benchmark run against `port`, served by process `serverPid`; its --csv line gives
 * requests per second and latency percentiles (ms).
 */
async function redisBenchmark(port: number, serverPid: number, pipeline: number, requests: number): Promise<BenchmarkRun> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-t', 'get', '-c', String(CLIENTS), '-P', String(pipeline)];
  args.push('-n', String(requests), '-r', String(KEYSPACE), '--csv');
  const cpuBefore = cpuSeconds(serverPid);
  const out = await runToEnd(spawnOn(CLIENT_CPU, 'redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] }), 'redis-benchmark');
  const cpuUs = ((cpuSeconds(serverPid) - cpuBefore) * 1e6) / requests;
  const lines = out.trim().split('\n').map((l) => l.split(',').map((f) => f.replace(/"/g, '')));
  const header = lines.find((l) => l[0] === 'test')!;
  const row = lines.find((l) => l[0] === 'GET')!;
  const field = (name: string) => Number(row[header.indexOf(name)] ?? NaN);
  return { rps: field('rps'), p50: field('p50_latency_ms'), p99: field('p99_latency_ms'), cpuUs };
}

/** redis-benchmark's key names for -r: `key:` and the number in 12 digits. */
const benchmarkKey = (n: number) => `key:${String(n).padStart(12, '0')}`;

async function benchGet(redis: RedisServer): Promise<string> {
  const keys = Array.from({ length: KEYSPACE }, (_, i) => benchmarkKey(i));
  const value = 'x'.repeat(VALUE_SIZE);
  const direct = await connect(redis.port);
  await pipelined(direct, keys, (p, key) => p.set(key, value));
  // An L1 TTL longer than the section, so that no entry expires mid-run (hits do not renew an entry).
  const proxy = await startProxyProcess(redis.port, ['--l1-ttl', '1h']);
  const viaProxy = await connect(proxy.port);
  const floor = await startFloorServer();
  const rows: (string | number)[][] = [];
  const goals: string[] = [];
  try {
    for (const pipeline of [1, 16]) {
      const requests = GET_REQUESTS[pipeline];
      const runs = { proxy: [] as BenchmarkRun[], direct: [] as BenchmarkRun[], floor: [] as BenchmarkRun[], hits: [] as number[] };
      const sides = ['proxy', 'direct', 'floor'] as const;
      // Round 0 warms all three (JIT, connections) and is not counted: a full round, since a fresh
      // proxy compiles through its first few hundred thousand GETs. Each round starts one side later.
      for (let round = 0; round <= ROUNDS; round++) {
        const order = sides.map((_, i) => sides[(i + round) % sides.length]);
        for (const side of order) {
          if (side === 'proxy') {
            // Every key into L1 just before the run, so that every GET of the run is a hit.
            await pipelined(viaProxy, keys, (p, key) => p.get(key));
            const before = await proxy.info();
            const run = await redisBenchmark(proxy.port, proxy.pid, pipeline, requests);
            if (round > 0) {
              runs.proxy.push(run);
              runs.hits.push(hitRatio(before, await proxy.info()));
            }
          } else {
            const [port, pid] = side === 'direct' ? [redis.port, redis.pid!] : [floor.port, floor.pid];
            const run = await redisBenchmark(port, pid, pipeline, requests);
            if (round > 0) runs[side].push(run);
          }
        }
      }
      const m = (list: BenchmarkRun[], f: keyof BenchmarkRun) => median(list.map((r) => r[f]));
      const perRound = runs.proxy.map((r, i) => r.rps / runs.direct[i].rps);
      const [dRps, pRps, dP99, pP99] = [m(runs.direct, 'rps'), m(runs.proxy, 'rps'), m(runs.direct, 'p99'), m(runs.proxy, 'p99')];
      rows.push([
        `GET -c ${CLIENTS} -P ${pipeline}`,
        int(dRps),
        int(pRps),
        ratio(pRps, dRps),
        spread(perRound, (n) => n.toFixed(2)),
        ms(m(runs.direct, 'p50')),
        ms(m(runs.proxy, 'p50')),
        ms(dP99),
        ms(pP99),
        spread(runs.proxy.map((r, i) => r.p99 / runs.direct[i].p99), (n) => n.toFixed(2)),
        ms(m(runs.direct, 'cpuUs'), 2),
        ms(m(runs.proxy, 'cpuUs'), 2),
        pct(Math.min(...runs.hits)),
        int(m(runs.floor, 'rps')),
        ms(m(runs.floor, 'p99')),
        ms(m(runs.floor, 'cpuUs'), 2),
      ]);
      const cpuRatio = m(runs.proxy, 'cpuUs') / m(runs.direct, 'cpuUs');
      goals.push(
        `-P ${pipeline}: throughput ${verdict(pRps >= dRps)}, p99 ${verdict(pP99 <= dP99)}; ` +
          `the proxy spends ${cpuRatio.toFixed(2)}x Redis's CPU per GET (so where the server's core is what limits, one proxy process reaches ~${(1 / cpuRatio).toFixed(2)}x Redis's throughput); ` +
          `the floor server ${(m(runs.floor, 'cpuUs') / m(runs.direct, 'cpuUs')).toFixed(2)}x`,
      );
    }
  } finally {
    viaProxy.disconnect();
    direct.disconnect();
    await proxy.stop();
    await floor.stop();
  }
  return [
    `## GET on an L1 hit: proxy vs Redis directly (redis-benchmark, ${int(KEYSPACE)} keys, ${VALUE_SIZE}-byte values)`,
    '',
    `${ROUNDS} rounds of ${Object.entries(GET_REQUESTS).map(([p, n]) => `${int(n)} requests at -P ${p}`).join(', ')}, each side in turn; medians.`,
    "CPU µs/GET: the serving process's user + system time over a run (redis-server's, or the proxy's) per request; it drifts less than throughput on a shared machine.",
    "Floor: a bare Node server on the proxy's core answering the same GETs from the proxy's L1 (its arena) through the proxy's socket layer, reply writer and turn flush, with no session, upstream or stats (bench/support/floor-server.ts): what Node itself reaches here. The proxy's CPU above the floor's is the proxy's own work.",
    'Goal: proxy throughput >= direct, proxy p99 <= direct p99.',
    '',
    formatTable(
      [
        'benchmark',
        'direct req/s',
        'proxy req/s',
        'proxy/direct',
        'per round',
        'direct p50 ms',
        'proxy p50 ms',
        'direct p99 ms',
        'proxy p99 ms',
        'p99 proxy/direct per round',
        'Redis CPU µs/GET',
        'proxy CPU µs/GET',
        'L1 hit ratio (lowest round)',
        'floor req/s',
        'floor p99 ms',
        'floor CPU µs/GET',
      ],
      rows,
    ),
    '',
    ...goals.map((g) => `- ${g}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------- 2. relay

interface LatencyRun {
  sorted: number[];
  hitRatio?: number;
}

/** Sequential GETs (each awaited before the next), timed one by one, ms. */
async function sequentialGets(client: Redis, keys: string[]): Promise<number[]> {
  const times = new Array<number>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const start = performance.now();
    await client.get(keys[i]);
    times[i] = performance.now() - start;
  }
  return times.sort((a, b) => a - b);
}

async function benchRelay(redis: RedisServer): Promise<string> {
  const relay = await startRelay(redis.port, RTT_MS / 2);
  const hot = Array.from({ length: HOT_KEYS }, (_, i) => `hot:${i}`);
  // One in ten reads asks for a key never read before (a cold key, so an L1 miss), in each round and on each side.
  const coldPerRound = Math.ceil(RELAY_REQUESTS / 10);
  const cold = Array.from({ length: 2 * (ROUNDS + 1) * coldPerRound }, (_, i) => `cold:${i}`);
  const setup = await connect(redis.port);
  await pipelined(setup, [...hot, ...cold], (p, key) => p.set(key, `value of ${key}`));
  setup.disconnect();

  const proxy = await startProxyProcess(relay.port);
  const viaProxy = await connect(proxy.port);
  const direct = await connect(relay.port);
  await pipelined(viaProxy, hot, (p, key) => p.get(key));
  let nextCold = 0;
  const workload = () => {
    const random = lcg(7);
    return Array.from({ length: RELAY_REQUESTS }, (_, i) => (i % 10 === 9 ? cold[nextCold++] : hot[Math.floor(random() * HOT_KEYS)]));
  };
  const runs = { proxy: [] as LatencyRun[], direct: [] as LatencyRun[] };
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const order = round % 2 === 0 ? (['proxy', 'direct'] as const) : (['direct', 'proxy'] as const);
      for (const side of order) {
        if (side === 'proxy') {
          const before = await proxy.info();
          const sorted = await sequentialGets(viaProxy, workload());
          if (round > 0) runs.proxy.push({ sorted, hitRatio: hitRatio(before, await proxy.info()) });
        } else {
          const sorted = await sequentialGets(direct, workload());
          if (round > 0) runs.direct.push({ sorted });
        }
      }
    }
  } finally {
    viaProxy.disconnect();
    direct.disconnect();
    await proxy.stop();
    await relay.stop();
  }
  const m = (list: LatencyRun[], p: number) => median(list.map((r) => percentile(r.sorted, p)));
  const [dP50, pP50] = [m(runs.direct, 50), m(runs.proxy, 50)];
  const row = (name: string, list: LatencyRun[], hits: string) => [name, ms(m(list, 50)), ms(m(list, 90)), ms(m(list, 99)), hits];
  return [
    `## Upstream ${RTT_MS} ms away (round trip added by the delay relay): sequential GETs at a 90% hit ratio`,
    '',
    `${ROUNDS} rounds of ${int(RELAY_REQUESTS)} sequential ioredis GETs per side (${int(HOT_KEYS)} hot keys, every tenth read a cold key); medians of the rounds' percentiles.`,
    'Goal: proxy p50 <= 0.25x direct p50.',
    '',
    formatTable(
      ['path', 'p50 ms', 'p90 ms', 'p99 ms', 'L1 hit ratio'],
      [
        row('direct, through the relay', runs.direct, '-'),
        row('proxy, upstream through the relay', runs.proxy, pct(median(runs.proxy.map((r) => r.hitRatio!)))),
      ],
    ),
    '',
    `- proxy p50 / direct p50 = ${ratio(pP50, dP50)} (per round ${spread(
      runs.proxy.map((r, i) => percentile(r.sorted, 50) / percentile(runs.direct[i].sorted, 50)),
      (n) => n.toFixed(2),
    )}): ${verdict(pP50 <= 0.25 * dP50)}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------- 3. invalidation

async function benchInvalidation(redis: RedisServer): Promise<string> {
  // Each side its own keys, so the direct rounds' writes do not empty the proxy's L1.
  const keysOf = { proxy: Array.from({ length: 100 }, (_, i) => `inv:${i}`), direct: Array.from({ length: 100 }, (_, i) => `inv-direct:${i}`) };
  const writer = await connect(redis.port);
  await pipelined(writer, [...keysOf.proxy, ...keysOf.direct], (p, key) => p.set(key, 'initial'));
  const proxy = await startProxyProcess(redis.port);
  const viaProxy = await connect(proxy.port);
  const direct = await connect(redis.port);
  await pipelined(viaProxy, keysOf.proxy, (p, key) => p.get(key));
  const perRound = { proxy: [] as number[][], direct: [] as number[][] };
  const warmupP99: number[] = [];
  let staleReads = 0;
  let staleSamples = 0;
  let version = 0;
  /**
   * One round: for each sample, write a key and time from the acknowledgement to the first GET
   * (through `reader`) that returns the new value. Through the proxy the key is in L1 before the
   * write (the read just before it is a hit); directly, the same loop times a plain round trip.
   */
  const round = async (reader: Redis, keys: string[], counted: boolean): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < INVALIDATION_SAMPLES; i++) {
      const key = keys[i % keys.length];
      await reader.get(key);
      const value = `v${++version}`;
      await writer.set(key, value);
      const acknowledged = performance.now();
      let polls = 0;
      while ((await reader.get(key)) !== value) polls++;
      times.push(performance.now() - acknowledged);
      if (counted && reader === viaProxy) {
        staleReads += polls;
        if (polls > 0) staleSamples++;
      }
    }
    return times.sort((a, b) => a - b);
  };
  let before: Record<string, string> | undefined;
  let after: Record<string, string>;
  try {
    // Rounds up to 0 warm up; from 1 on they count.
    for (let r = 1 - INVALIDATION_WARMUP_ROUNDS; r <= ROUNDS; r++) {
      if (r === 1) before = await proxy.info();
      // Warm-up rounds start with the direct side, so that the bench's own client is compiled
      // before the proxy's first round is timed; counted rounds alternate.
      const order = r > 0 && r % 2 === 0 ? (['proxy', 'direct'] as const) : (['direct', 'proxy'] as const);
      for (const side of order) {
        const times = await round(side === 'proxy' ? viaProxy : direct, keysOf[side], r > 0);
        if (r > 0) perRound[side].push(times);
        else if (side === 'proxy') warmupP99.push(percentile(times, 99));
      }
    }
    after = await proxy.info();
  } finally {
    viaProxy.disconnect();
    direct.disconnect();
    writer.disconnect();
    await proxy.stop();
  }
  const p = (side: 'proxy' | 'direct', q: number) => median(perRound[side].map((t) => percentile(t, q)));
  const all = perRound.proxy.flat().sort((a, b) => a - b);
  const p99 = p('proxy', 99);
  const l1Hits = Number(after.l1_hits) - Number(before!.l1_hits);
  return [
    '## Invalidation: another client SETs a key on Redis; after its acknowledgement, GETs poll for the new value',
    '',
    `${ROUNDS} rounds of ${int(INVALIDATION_SAMPLES)} writes over ${keysOf.proxy.length} keys per side, after ${INVALIDATION_WARMUP_ROUNDS} not counted (a fresh proxy compiles its miss and invalidation paths meanwhile: p99 through it ${warmupP99.map((n) => ms(n)).join(', ')} ms in those); through the proxy each key is read (an L1 hit) just before its write. Time from the write's acknowledgement to the first GET reply with the new value; directly against Redis that is one plain round trip, for reference. Medians of the rounds' percentiles.`,
    'Goal: through the proxy, p99 <= 1 ms (loopback).',
    '',
    formatTable(
      ['GETs', 'p50 ms', 'p99 ms', 'max ms', 'samples that read the old value after the ack', 'L1 hits in the rounds'],
      [
        ['directly from Redis', ms(p('direct', 50)), ms(p('direct', 99)), ms(Math.max(...perRound.direct.flat())), '-', '-'],
        ['through the proxy', ms(p('proxy', 50)), ms(p99), ms(all[all.length - 1]), `${staleSamples} of ${int(all.length)} (${staleReads} stale reads)`, int(l1Hits)],
      ],
    ),
    '',
    `- proxy p99 ${ms(p99)} ms (over all ${int(all.length)} samples pooled: ${ms(percentile(all, 99))} ms): ${verdict(p99 <= 1)}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------- 4. memory

/**
 * One budget of the memory section: a fresh proxy reads `keys` twice in order and once skewed
 * (through L1, from Redis); without `redis`, a fresh embedded store is written them so.
 */
async function measureMemory(redis: RedisServer | undefined, budgetMb: number, keys: string[]): Promise<{ row: (string | number)[]; verdict: string }> {
  const budget = budgetMb * 1024 * 1024;
  const proxy = await startProxyProcess(redis?.port, ['--l1-memory', `${budgetMb}mb`]);
  const values = new Map<number, Buffer>();
  const valueOf = (key: string) => {
    const size = Number(key.split(':')[1]);
    if (!values.has(size)) values.set(size, Buffer.alloc(size, 'v'));
    return values.get(size)!;
  };
  const reader = await connect(proxy.port);
  const baseline = memoryOf(proxy.pid);
  let maxBytes = 0;
  let maxRss = 0;
  const sample = async () => {
    const info = await proxy.info();
    maxBytes = Math.max(maxBytes, Number(info.l1_bytes));
    maxRss = Math.max(maxRss, memoryOf(proxy.pid).rss);
    return info;
  };
  // Two passes in order over every key, then random reads skewed to the first keys of each class.
  const random = lcg(11);
  const skewed = Array.from({ length: keys.length }, () => keys[Math.floor(keys.length * random() ** 3)]);
  const command = redis === undefined ? (p: Pipeline, key: string) => p.set(key, valueOf(key)) : (p: Pipeline, key: string) => p.get(key);
  for (const order of [keys, keys, skewed]) {
    for (let i = 0; i < order.length; i += 10_000) {
      await pipelined(reader, order.slice(i, i + 10_000), command, MEMORY_PIPELINE);
      await sample();
    }
  }
  const info = await sample();
  const end = memoryOf(proxy.pid);
  reader.disconnect();
  await proxy.stop();
  const limit = budget + 100 * 1024 * 1024;
  const row = [redis === undefined ? 'embedded store' : 'proxy', mb(budget), mb(Number(info.l1_bytes)), mb(maxBytes), int(Number(info.l1_entries)), int(Number(info.l1_evictions)), mb(baseline.rss), mb(end.rss), mb(maxRss), mb(end.peak), mb(limit)];
  return { row, verdict: `L1 bytes <= budget: ${verdict(maxBytes <= budget)}; peak RSS ${mb(end.peak)} <= ${mb(limit)}: ${verdict(end.peak <= limit)}` };
}

async function benchMemory(redis: RedisServer): Promise<string> {
  // Three value sizes, about three times each budget in all, so L1 fills and then evicts; the
  // budgets' key sets overlap (each reads the first `count x scale` keys of a class).
  const classes = QUICK
    ? [
        { size: 64, count: 100_000 },
        { size: 1024, count: 40_000 },
        { size: 16_384, count: 4_000 },
      ]
    : [
        { size: 64, count: 300_000 },
        { size: 1024, count: 100_000 },
        { size: 16_384, count: 6_000 },
      ];
  const scales = MEMORY_BUDGETS_MB.map((budget) => budget / 64);
  const setup = await connect(redis.port);
  for (const { size, count } of classes) {
    const value = Buffer.alloc(size, 'v');
    const group = Array.from({ length: count * Math.max(...scales) }, (_, i) => `mem:${size}:${i}`);
    await pipelined(setup, group, (p, key) => p.set(key, value));
  }
  setup.disconnect();

  const rows: (string | number)[][] = [];
  const verdicts: string[] = [];
  const workloads: string[] = [];
  for (const [n, budgetMb] of MEMORY_BUDGETS_MB.entries()) {
    const scaled = classes.map((c) => ({ size: c.size, count: c.count * scales[n] }));
    const keys = scaled.flatMap(({ size, count }) => Array.from({ length: count }, (_, i) => `mem:${size}:${i}`));
    const dataBytes = scaled.reduce((sum, c) => sum + c.size * c.count, 0);
    workloads.push(`${budgetMb} MB: ${int(keys.length)} keys (${scaled.map((c) => `${int(c.count)} of ${c.size} B`).join(', ')}; ${mb(dataBytes)} of values)`);
    for (const upstream of [redis, undefined]) {
      const { row, verdict: line } = await measureMemory(upstream, budgetMb, keys);
      rows.push(row);
      verdicts.push(`- ${row[0]}, ${budgetMb} MB: ${line}`);
    }
  }
  return [
    `## Memory: L1 filled past --l1-memory ${MEMORY_BUDGETS_MB.map((b) => `${b}mb`).join(' and ')}`,
    '',
    `Per budget, a fresh proxy reads its keys (${workloads.join('; ')}) through the proxy (pipelines of ${MEMORY_PIPELINE}) twice in order and once skewed; then a fresh embedded store (\`cachee start\` without an upstream) is written them (SET) in the same order. L1 bytes (the store's, for it) and RSS sampled every 10,000 commands.`,
    'Goal: L1 bytes never above the budget; proxy RSS <= budget + 100 MB.',
    '',
    formatTable(
      ['front', 'L1 budget', 'L1 bytes at the end', 'L1 bytes, highest sample', 'L1 entries', 'evictions', 'RSS idle at start', 'RSS at the end', 'RSS, highest sample', 'peak RSS (VmHWM)', 'budget + 100 MB'],
      rows,
    ),
    '',
    ...verdicts,
  ].join('\n');
}

// ---------------------------------------------------------------------------------- main

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return `${command}: not found`;
  }
}

async function main(): Promise<void> {
  try {
    readFileSync(PROXY_MAIN);
  } catch {
    console.error(`${PROXY_MAIN} is missing: run npm run build first (npm run bench:proxy does)`);
    process.exit(2);
  }
  if (!commandExists('redis-benchmark') && wanted('get')) {
    console.error('redis-benchmark is not on the PATH (Debian: apt-get install redis-tools)');
    process.exit(2);
  }
  pinProcess(process.pid, CLIENT_CPU);
  const redis = await startRedis();
  pinProcess(redis.pid, SERVER_CPU);
  const cpus = os.cpus();
  console.log(`# cachee proxy benchmarks, ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`);
  console.log('');
  console.log(`${os.hostname()}: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${mb(os.totalmem())} RAM, Linux ${os.release()}`);
  console.log(`Node ${process.version}, ${version('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}, ${version('redis-benchmark', ['--version'])}`);
  console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine is shared: figures drift between runs, compare within a run)`);
  console.log(
    PIN
      ? `Cores: redis-server and the proxy pinned to CPU ${SERVER_CPU} (one core for whichever serves), redis-benchmark, the Node driver and the delay relay to CPU ${CLIENT_CPU} (taskset).`
      : 'Cores: not pinned (no taskset, or fewer than 2 cores): servers and load generators share every core.',
  );
  console.log(`Command: npm run bench:proxy${argv.length ? ` -- ${argv.join(' ')}` : ''}; proxy: ${path.relative(process.cwd(), PROXY_MAIN)}`);
  try {
    const sections: [string, (r: RedisServer) => Promise<string>][] = [
      ['get', benchGet],
      ['relay', benchRelay],
      ['invalidation', benchInvalidation],
      ['memory', benchMemory],
    ];
    for (const [name, run] of sections) {
      if (!wanted(name)) continue;
      const started = performance.now();
      const table = await run(redis);
      console.log(`\n${table}\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
      const flush = await connect(redis.port);
      await flush.flushall();
      flush.disconnect();
    }
  } finally {
    await redis.stop();
  }
}

await main();
