/**
 * The commander wiring: flags to option values, option values to the commands. `runCli` never
 * throws and never exits by itself: it returns the exit code (0 ok, 1 failure, 2 bad usage).
 */
import { Command, CommanderError, Option } from 'commander';
import { defaultDeps, type CliDeps } from './deps.js';
import { CliError, messageOf } from './errors.js';
import { locateConfig, readConfigFile, resolveConfig, type FlagValues } from './config.js';
import { DEFAULT_REQUESTS, DEFAULT_SIZES, parseBenchOptions, type BenchFlags } from './bench/options.js';
import { BENCH_PREFIX } from './bench/keys.js';
import { runInit } from './init.js';
import { CONFIG_ENV, SETTINGS, settingFor, type Setting, type SettingKey } from './settings.js';
import { runRecord } from './record-command.js';
import { runSimulate } from './simulate-command.js';
import { runStart } from './start.js';
import { runStatus } from './status-command.js';
import { connectHost, proxyClientAuth } from './status.js';
import { formatDuration, formatSize, parseCount, parseDuration, parseFlag } from './units.js';
import { DEFAULT_PROXY_CONFIG } from '../proxy/config.js';
import { isSampleRate } from '../proxy/record-format.js';
import { isTraceFormat, TRACE_FORMATS, type TraceFormat } from '../sim/trace-file.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function defaultText(setting: Setting): string {
  const value = DEFAULT_PROXY_CONFIG[setting.key];
  if (value === undefined) return '';
  if (setting.kind === 'size') return formatSize(value as number);
  if (setting.kind === 'duration') return formatDuration(value as number);
  return String(value);
}

/** One option per setting; `withNegations` adds --no-upstream and --no-l1-require-fresh (start). */
function addSettingOptions(command: Command, withNegations: boolean): Command {
  for (const setting of SETTINGS) {
    const flags = setting.valueName ? `${setting.flag} <${setting.valueName}>` : setting.flag;
    const def = defaultText(setting);
    const option = new Option(flags, `${setting.description} [${setting.env}${def ? `, default ${def}` : ''}]`);
    if (setting.kind === 'list') option.argParser(collect);
    command.addOption(option);
    if (withNegations && (setting.kind === 'bool' || setting.kind === 'url')) {
      const what = setting.kind === 'url' ? 'serve from the embedded store even if the file names an upstream' : `turn ${setting.flag} off even if the file turns it on`;
      command.addOption(new Option(`--no-${setting.flag.slice(2)}`, what));
    }
  }
  return command.option('--config <path>', `cachee.json to use, or its folder [${CONFIG_ENV}, default ./cachee.json]`);
}

function flagValues(command: Command): FlagValues {
  const values: FlagValues = {};
  for (const setting of SETTINGS) {
    const attribute = new Option(setting.flag).attributeName();
    const value: unknown = command.getOptionValue(attribute);
    if (value !== undefined) values[setting.key] = value;
  }
  return values;
}

const UNITS_HELP = `
Sizes: a number with b, kb, mb or gb (1kb = 1024 bytes; 1.5gb works; a bare number is bytes).
Durations: a number with ms, s, m or h (a bare number is milliseconds).
Precedence: flag > environment variable > cachee.json > default.`;

export async function runCli(argv: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps = defaultDeps(overrides);
  let exitCode = 0;

  const program = new Command('cachee')
    .description('A tiered cache: a RESP-compatible caching proxy in front of Redis')
    .version(deps.version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr })
    .showHelpAfterError('(add --help for usage)');

  addSettingOptions(
    program
      .command('init')
      .description('write cachee.json with every setting (flags, else defaults; environment variables are not read)')
      .option('--force', 'overwrite an existing file'),
    false,
  )
    .addHelpText('after', UNITS_HELP)
    .action(async (options: { config?: string; force?: boolean }, command: Command) => {
      const location = await locateConfig(options.config, deps.env, deps.cwd);
      exitCode = await runInit(flagValues(command), location, options.force === true, deps);
    });

  /** cachee.json as --config or the environment locates it, read, and resolved with `flags` (over `keys`, default all). */
  const loadConfig = async (configFlag: string | undefined, flags: FlagValues, keys?: readonly SettingKey[]) => {
    const location = await locateConfig(configFlag, deps.env, deps.cwd);
    const file = await readConfigFile(location);
    const { config } = resolveConfig({ flags, env: deps.env, file }, keys);
    return { location, file, config };
  };

  addSettingOptions(program.command('start').description('run the proxy until SIGTERM or SIGINT'), true)
    .addHelpText('after', UNITS_HELP)
    .action(async (options: { config?: string }, command: Command) => {
      const { config, location, file } = await loadConfig(options.config, flagValues(command));
      exitCode = await runStart({ config, location, file }, deps);
    });

  /**
   * Where a running proxy is, as `start` resolves its host and port (flag, environment,
   * cachee.json), and the AUTH its clients send (its --requirepass, or the upstream's credentials).
   */
  const proxyAddress = async (options: AddressFlags): Promise<{ host: string; port: number; auth: string[] | undefined }> => {
    const { config } = await loadConfig(options.config, { host: options.host, port: options.port }, ['host', 'port', 'requirepass', 'upstream']);
    return { host: connectHost(config.host), port: config.port, auth: proxyClientAuth(config) };
  };

  addAddressOptions(program.command('status').description("show a running proxy's cache statistics (host and port as start resolves them)"))
    .option('--json', 'print JSON (with --watch: one object a line)')
    .option('--watch', 'refresh every second until Ctrl-C, like redis-cli --stat')
    .option('--interval <duration>', 'refresh interval of --watch', '1s')
    .option('--timeout <duration>', 'give up on a proxy that does not answer within this', '2s')
    .action(async (options: AddressFlags & { json?: boolean; watch?: boolean; interval: string; timeout: string }) => {
      exitCode = await runStatus(
        {
          ...(await proxyAddress(options)),
          json: options.json === true,
          watch: options.watch === true,
          intervalMs: durationFlag('--interval', options.interval, 1),
          timeoutMs: durationFlag('--timeout', options.timeout, 1),
        },
        deps,
      );
    });

  const upstream = settingFor('upstream');
  program
    .command('bench')
    .description('time GETs of values from 64 B to 1 MB: the upstream directly, through the proxy (an L1 hit), and the in-process engine')
    .option(`${upstream.flag} <${upstream.valueName}>`, `Redis to compare against, the proxy's upstream [${upstream.env}, else cachee.json]`)
    .option('--proxy <address>', 'proxy to time, host:port or redis://host:port [default: where start listens; if nothing answers there, one is started in this process]')
    .option('--sizes <list>', 'comma-separated value sizes', DEFAULT_SIZES)
    .option('--requests <n>', 'timed GETs per path and size', DEFAULT_REQUESTS)
    .option('--prefix <prefix>', `prefix of the keys it writes and deletes, under ${BENCH_PREFIX}`, BENCH_PREFIX)
    .option('--out <dir>', 'folder for cachee-bench.json and cachee-bench.svg [default: the working folder]')
    .option('--config <path>', `cachee.json to read the upstream and the proxy's settings from [${CONFIG_ENV}]`)
    .addHelpText('after', UNITS_HELP)
    .action(async (options: BenchFlags & { config?: string; upstream?: string }) => {
      const { config } = await loadConfig(options.config, { upstream: options.upstream });
      const bench = parseBenchOptions(options, config, deps.cwd);
      // Loaded here: its clients and histograms would slow every other command's start.
      const { runBench } = await import('./bench/run.js');
      exitCode = await runBench(bench, deps);
    });

  addAddressOptions(
    program
      .command('record')
      .description("log a running proxy's reads (hashed keys and reply sizes, never values) for cachee simulate")
      .requiredOption('--out <file>', 'the log to write (replaced if it exists)'),
  )
    .option('--sample <rate>', 'fraction of the keys to log (by key hash: every read of a logged key is logged), 0 < rate <= 1', '1')
    .option('--duration <duration>', 'stop after this long (default: at Ctrl-C)')
    .option('--timeout <duration>', 'give up on a proxy that does not answer within this', '2s')
    .action(async (options: AddressFlags & { out: string; sample: string; duration?: string; timeout: string }) => {
      exitCode = await runRecord(
        {
          ...(await proxyAddress(options)),
          out: options.out,
          sample: sampleFlag(options.sample),
          durationMs: options.duration === undefined ? 0 : durationFlag('--duration', options.duration, 1),
          timeoutMs: durationFlag('--timeout', options.timeout, 1),
        },
        deps,
      );
    });

  program
    .command('simulate')
    .description('hit ratio of cachee, LRU and the optimum by cache size on a trace, and the memory each size takes')
    .argument('<file>', 'a cachee record log, a text file of keys (one a line), or a trace in another format; .gz and .xz are read too')
    .requiredOption('--sizes <list>', 'cache sizes in entries, comma-separated: 1k,10k,100k (k = 1000, m = 1000000)')
    .option('--format <format>', `the file's format, if not detected: ${TRACE_FORMATS.join(', ')}`)
    .option('--json', 'print [{ size, cachee, lru, opt, memoryBytes }, ...], ratios from 0 to 1')
    .option('--svg <file>', 'also write the curves as an SVG chart')
    .action(async (file: string, options: { sizes: string; format?: string; json?: boolean; svg?: string }) => {
      exitCode = await runSimulate(
        { file, sizes: sizesFlag(options.sizes), format: formatFlag(options.format), json: options.json === true, svg: options.svg },
        deps,
      );
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // commander printed it
    if (err instanceof CliError) {
      deps.stderr(err.lines.map((line) => `${line}\n`).join(''));
      return err.exitCode;
    }
    deps.stderr(`cachee: ${messageOf(err)}\n`);
    if (deps.env.CACHEE_DEBUG && err instanceof Error && err.stack) deps.stderr(`${err.stack}\n`);
    return 1;
  }
}

interface AddressFlags {
  host?: string;
  port?: string;
  config?: string;
}

/** --host, --port and --config, for the commands that talk to a running proxy. */
function addAddressOptions(command: Command): Command {
  return command
    .option('--host <host>', 'proxy address [CACHEE_HOST, else cachee.json, default 127.0.0.1]')
    .option('--port <port>', 'proxy port [CACHEE_PORT, else cachee.json, default 6380]')
    .option('--config <path>', `cachee.json to read host and port from [${CONFIG_ENV}]`);
}

function sampleFlag(value: string): number {
  const rate = Number(value);
  if (value.trim() === '' || !isSampleRate(rate)) throw new CliError(`error: --sample: must be a fraction in (0, 1], like 0.1 (got ${JSON.stringify(value)})`, 2);
  return rate;
}

function sizesFlag(value: string): number[] {
  const sizes = value.split(',').map((part) => {
    const size = parseFlag('--sizes', part.trim(), parseCount);
    if (size < 1) throw new CliError(`error: --sizes: a cache of ${size} entries holds nothing; sizes start at 1`, 2);
    return size;
  });
  return sizes;
}

function formatFlag(value: string | undefined): TraceFormat | undefined {
  if (value === undefined) return undefined;
  if (!isTraceFormat(value)) throw new CliError(`error: --format: ${JSON.stringify(value)} is not one of ${TRACE_FORMATS.join(', ')}`, 2);
  return value;
}

function durationFlag(flag: string, value: string, min: number): number {
  const ms = parseFlag(flag, value, parseDuration);
  if (ms < min) throw new CliError(`error: ${flag}: must be at least ${min}ms (got ${JSON.stringify(value)})`, 2);
  return ms;
}
