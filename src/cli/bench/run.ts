/**
 * `cachee bench`: for each value size, GET latency against the upstream directly, through the
 * proxy on an L1 hit, and from the in-process engine; the table on stdout, cachee-bench.json and
 * cachee-bench.svg in --out.
 *
 * Per size it writes `<prefix><size>` once (random bytes) to the upstream, reads it through the
 * proxy until the proxy's `l1_hits` moves (so the timed reads are L1 hits), puts it in an engine
 * of the proxy's L1 budget, then times the three paths in interleaved rounds (measure.ts). Its keys
 * are deleted at the end, whatever ends the run (an error, Ctrl-C).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Cache } from '../../core/cache.js';
import type { RunningProxy } from '../../proxy/config.js';
import type { CliDeps } from '../deps.js';
import { CliError, fileErrorReason, messageOf } from '../errors.js';
import { ContractError, formatAddress, parseInfo, proxyFailure, type CacheeInfo } from '../status.js';
import { humanSize } from '../units.js';
import { BenchClient, ConnectRefused } from './client.js';
import { ENGINE_BATCH, PATH_NAMES, ROUNDS, measurePaths, percentiles, timeBatch, timeRead, warmupSamples, type TimedPath } from './measure.js';
import { proxyCredentials, type BenchOptions } from './options.js';
import { startProgress, type Progress } from './progress.js';
import { benchChart, benchReport, formatTable, type BenchSetup, type SizeResult } from './report.js';

export const JSON_FILE = 'cachee-bench.json';
export const SVG_FILE = 'cachee-bench.svg';

/** Reads through the proxy before giving up on an L1 hit, and the pause between them. */
const L1_ATTEMPTS = 20;
const L1_RETRY_MS = 50;
/** How long a proxy started here may take to be serving from L1. */
const PROXY_READY_MS = 10_000;

export async function runBench(options: BenchOptions, deps: CliDeps): Promise<number> {
  const abort = new AbortController();
  const unsubscribe = deps.onSignal((signal) => {
    if (abort.signal.aborted) return deps.exit(1); // a second Ctrl-C: the clean-up hangs, stop now
    abort.abort(new CliError(`cachee bench: stopped by ${signal}`, 130));
  });
  const written: string[] = [];
  let upstream: BenchClient | undefined;
  let proxy: { client: BenchClient; inProcess?: RunningProxy } | undefined;
  let progress: Progress | undefined;
  const warnings: string[] = [];
  try {
    await prepareOutDir(options.outDir);
    upstream = await BenchClient.connect(options.upstream, 'the upstream', options.config.upstreamTimeout);
    proxy = await openProxy(options, deps);
    const info = await proxyInfo(proxy.client);
    checkProxy(info, options);

    const engine = new Cache<string, Buffer>({ maxBytes: info.l1_max_bytes });
    progress = startProgress(deps, options.sizes.map((s) => s.bytes), options.requests * PATH_NAMES.length);
    const results: SizeResult[] = [];
    for (const size of options.sizes) {
      const key = `${options.prefix}${size.label}`;
      written.push(key);
      const result = await benchSize({ ...size, key }, { upstream, proxy: proxy.client, engine, options, deps, signal: abort.signal, progress });
      if (result.proxy.notFromL1 > 0) {
        warnings.push(`cachee bench: warning: ${humanSize(size.bytes)}: ${result.proxy.notFromL1} of ${result.proxy.samples} proxy reads were not L1 hits (an L1 TTL shorter than the run, or other clients' traffic)`);
      }
      results.push(result);
      progress.sizeDone(size.bytes);
    }
    progress.stop();
    for (const warning of warnings) deps.stderr(`${warning}\n`);

    const setup: BenchSetup = {
      upstream: options.upstream.display,
      proxy: proxy.client.display,
      proxyInProcess: proxy.inProcess !== undefined,
      client: `ioredis ${ioredisVersion()}`,
      requests: options.requests,
      rounds: Math.min(ROUNDS, options.requests),
      warmup: warmupSamples(options.requests),
      engineBatch: ENGINE_BATCH,
      prefix: options.prefix,
    };
    const report = benchReport(setup, results, deps.version, deps.now());
    deps.stdout(formatTable(results));
    await writeOut(options.outDir, JSON_FILE, `${JSON.stringify(report, null, 2)}\n`);
    await writeOut(options.outDir, SVG_FILE, benchChart(report));
    deps.stderr(`cachee bench: wrote ${path.join(options.outDir, JSON_FILE)} and ${SVG_FILE}\n`);
    return 0;
  } finally {
    progress?.stop();
    await removeKeys(upstream, written, deps);
    upstream?.close();
    proxy?.client.close();
    await proxy?.inProcess?.close();
    unsubscribe();
  }
}

interface SizeContext {
  upstream: BenchClient;
  proxy: BenchClient;
  engine: Cache<string, Buffer>;
  options: BenchOptions;
  deps: CliDeps;
  signal: AbortSignal;
  progress: Progress;
}

async function benchSize(size: { bytes: number; label: string; key: string }, context: SizeContext): Promise<SizeResult> {
  const { upstream, proxy, engine, options } = context;
  const { key, bytes } = size;
  const value = randomBytes(bytes);
  await upstream.set(key, value);
  if (!engine.set(key, value)) throw new CliError(`cachee bench: the in-process engine did not keep a ${humanSize(bytes)} value (budget ${humanSize(engine.maxBytes)})`, 1);

  const wholeValue = (got: Buffer | null) => {
    if (got === null || got.length !== bytes) {
      throw new CliError(`cachee bench: GET ${key} returned ${got === null ? 'nil' : `${got.length} bytes`}, not the ${bytes} written (did something else write or delete it?)`, 1);
    }
  };
  let notFromL1 = 0;
  let hitsBefore = 0;
  const paths: TimedPath[] = [
    { name: 'direct', sample: () => timeRead(() => upstream.get(key), wholeValue) },
    {
      name: 'proxy',
      sample: () => timeRead(() => proxy.get(key), wholeValue),
      beforeRound: async () => {
        hitsBefore = await readUntilL1Hit(proxy, key, value, context);
      },
      afterRound: async (samples) => {
        const hits = (await proxyInfo(proxy)).l1_hits - hitsBefore;
        notFromL1 += Math.max(0, samples - hits);
      },
    },
    { name: 'engine', sample: async () => timeBatch(() => engine.get(key)?.length ?? 0, bytes) },
  ];
  const histograms = await measurePaths(paths, options.requests, context.signal, (samples) => context.progress.advance(samples));
  const [direct, viaProxy, inEngine] = PATH_NAMES.map((name) => percentiles(histograms.get(name)!));
  engine.delete(key);
  return {
    size: size.label,
    bytes,
    direct,
    proxy: { ...viaProxy, notFromL1 },
    engine: inEngine,
    speedup: { directOverProxy: direct.p50Us / viaProxy.p50Us, directOverEngine: direct.p50Us / inEngine.p50Us },
  };
}

/**
 * GETs `key` through the proxy until a read moves its `l1_hits`; returns the count after it. Checks
 * the bytes too: a proxy in front of another Redis would answer nil or other bytes.
 */
async function readUntilL1Hit(proxy: BenchClient, key: string, value: Buffer, context: SizeContext): Promise<number> {
  for (let attempt = 1; attempt <= L1_ATTEMPTS; attempt++) {
    const before = (await proxyInfo(proxy)).l1_hits;
    const got = await proxy.get(key);
    if (got === null || !got.equals(value)) {
      throw new CliError(
        `cachee bench: the proxy on ${proxy.display} answered GET ${key} with ${got === null ? 'nil' : 'other bytes'}: does it front another Redis than ${context.options.upstream.display}?`,
        1,
      );
    }
    const after = await proxyInfo(proxy);
    if (after.l1_hits > before) return after.l1_hits;
    context.signal.throwIfAborted();
    await context.deps.sleep(L1_RETRY_MS, context.signal);
  }
  const info = await proxyInfo(proxy);
  throw new CliError(
    `cachee bench: GET ${key} through the proxy on ${proxy.display} was no L1 hit in ${L1_ATTEMPTS} reads (invalidation: ${info.invalidation}; is the key outside its --l1-keys?)`,
    1,
  );
}

/**
 * The proxy at the configured address; when nothing listens there (and --proxy did not name it),
 * one started in this process on a free port, said in one line.
 */
async function openProxy(options: BenchOptions, deps: CliDeps): Promise<{ client: BenchClient; inProcess?: RunningProxy }> {
  const timeout = options.config.upstreamTimeout;
  try {
    return { client: await BenchClient.connect(options.proxy, 'the proxy', timeout) };
  } catch (err) {
    if (!(err instanceof ConnectRefused)) throw err;
    if (options.proxyExplicit) throw proxyFailure('cachee bench', options.proxy.display).notAnswering('connection refused');
  }
  const inProcess = await startProxyHere(options);
  try {
    const client = await BenchClient.connect(
      { host: inProcess.host, port: inProcess.port, display: formatAddress(inProcess.host, inProcess.port), ...proxyCredentials(options.config) },
      'the proxy',
      timeout,
    );
    deps.stderr(
      `cachee bench: no proxy answering on ${options.proxy.display}; started one in this process on ${client.display} (it shares the bench's event loop: for a proxy of its own, run cachee start)\n`,
    );
    return { client, inProcess };
  } catch (err) {
    await inProcess.close();
    throw err;
  }
}

/**
 * The user's configuration on a free loopback port, one process, every key cacheable (it serves the
 * bench alone). Imported here, not injected like `cachee start`'s, which also tunes the GC for a
 * process that is only a proxy: this one times its own reads too.
 */
async function startProxyHere(options: BenchOptions): Promise<RunningProxy> {
  const { startProxy } = await import('../../proxy/server.js');
  const lines: string[] = [];
  let ready!: () => void;
  const serving = new Promise<void>((resolve) => (ready = resolve));
  const log = (line: string) => {
    lines.push(line);
    if (/^(invalidation: |warning: )/.test(line)) ready(); // L1 serves from here on
  };
  // No admin port: nothing watches this proxy, and the user's (or the default 6381) may be taken.
  const config = { ...options.config, host: '127.0.0.1', port: 0, adminPort: undefined, workers: 1, l1Keys: undefined };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`cachee bench: the proxy started here was not serving within ${PROXY_READY_MS / 1000}s: ${lines.at(-1) ?? 'no word from it'}`, 1)), PROXY_READY_MS);
  });
  try {
    const proxy = await Promise.race([startProxy(config, log), timedOut]);
    await Promise.race([serving, timedOut]).catch(async (err: unknown) => {
      await proxy.close();
      throw err;
    });
    return proxy;
  } finally {
    clearTimeout(timer);
  }
}

async function proxyInfo(proxy: BenchClient): Promise<CacheeInfo> {
  try {
    return parseInfo(await proxy.info('cachee'));
  } catch (err) {
    if (err instanceof ContractError) throw proxyFailure('cachee bench', proxy.display).notCachee(err.message);
    throw new CliError(`cachee bench: INFO cachee on ${proxy.display} failed: ${messageOf(err)}`, 1);
  }
}

/** What would make every figure wrong or the run fail late, said before anything is timed. */
function checkProxy(info: CacheeInfo, options: BenchOptions): void {
  if (info.upstream === 'embedded') {
    throw new CliError(`cachee bench: the proxy on ${options.proxy.display} serves its embedded store, not an upstream: start it with --upstream ${options.upstream.display}`, 1);
  }
  const largest = options.sizes.at(-1)!.bytes;
  if (largest >= info.l1_max_bytes) {
    throw new CliError(
      `cachee bench: the proxy's L1 holds ${humanSize(info.l1_max_bytes)} in all, too little for a ${humanSize(largest)} value: leave that size out (--sizes) or give the proxy more --l1-memory`,
      1,
    );
  }
}

async function prepareOutDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new CliError(`cachee bench: --out: cannot use ${dir}: ${fileError(err)}`, 1);
  }
}

async function writeOut(dir: string, name: string, content: string): Promise<void> {
  try {
    await writeFile(path.join(dir, name), content);
  } catch (err) {
    throw new CliError(`cachee bench: cannot write ${path.join(dir, name)}: ${fileError(err)}`, 1);
  }
}

function fileError(err: unknown): string {
  // mkdir on a path that is (or runs through) a file.
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'not a folder';
  return fileErrorReason(err) ?? messageOf(err);
}

/** Deletes the bench's keys; a failure is a warning line, not a second error over the first. */
async function removeKeys(upstream: BenchClient | undefined, keys: readonly string[], deps: CliDeps): Promise<void> {
  if (upstream === undefined || keys.length === 0) return;
  try {
    await upstream.del(keys);
  } catch (err) {
    deps.stderr(`cachee bench: warning: could not delete ${keys.join(' ')} from the upstream: ${messageOf(err)}\n`);
  }
}

function ioredisVersion(): string {
  try {
    return (createRequire(import.meta.url)('ioredis/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
