/**
 * The proxy's configuration from four layers, highest first: command-line flags, CACHEE_*
 * environment variables, cachee.json, DEFAULT_PROXY_CONFIG. Each value is parsed where it comes
 * from (so an error names the flag, the variable or the file's field), the layers are merged field
 * by field, and the result is validated as a whole with zod, an error again naming the layer the
 * offending value came from.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PROXY_CONFIG, embeddedModeConflicts, type ProxyConfig } from '../proxy/config.js';
import { CliError, fileErrorReason, messageOf } from './errors.js';
import { CONFIG_ENV, DEFAULT_CONFIG_FILE, SETTINGS, type Setting, type SettingKey } from './settings.js';
import { UnitError, formatDuration, formatSize, parseDuration, parseSize } from './units.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where a value came from. */
export type Source =
  | { kind: 'flag'; flag: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; file: string; field: string }
  | { kind: 'default' };

/** How an error names a source: `--port`, `CACHEE_PORT`, `cachee.json: port`, `default port`. */
export function describeSource(source: Source, key?: SettingKey): string {
  switch (source.kind) {
    case 'flag':
      return source.flag;
    case 'env':
      return source.name;
    case 'file':
      return `${source.file}: ${source.field}`;
    case 'default':
      return key ? `default ${key}` : 'default';
  }
}

/** Raw flag values as commander hands them over, keyed by ProxyConfig field. */
export type FlagValues = Partial<Record<SettingKey, unknown>>;

/** A parsed cachee.json. */
export interface ConfigFile {
  /** Absolute. */
  path: string;
  /** As messages show it: relative to the working folder when inside it. */
  display: string;
  data: Record<string, unknown>;
}

export interface ConfigInputs {
  flags?: FlagValues;
  env?: Env;
  file?: ConfigFile;
}

export interface ResolvedConfig {
  config: ProxyConfig;
  sources: Record<SettingKey, Source>;
}

type Origin = 'flag' | 'env' | 'file';

interface Entry {
  /** Parsed; null: explicitly none (no upstream, every key). */
  value: unknown;
  raw: unknown;
  source: Source;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** One value of one setting, from one layer; throws UnitError with a message naming the value. */
function parseValue(setting: Setting, raw: unknown, origin: Origin): unknown {
  switch (setting.kind) {
    case 'string':
      if (typeof raw !== 'string') throw new UnitError('must be a string');
      return raw.trim();
    case 'url':
      if (raw === null || raw === false) return null; // file null, --no-upstream
      if (typeof raw !== 'string') throw new UnitError('must be a redis:// URL string, or null for none');
      return raw.trim() === '' ? null : raw.trim();
    case 'int':
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) return Number(raw);
      throw new UnitError(`${quote(raw)} is not a whole number`);
    case 'size':
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        throw new UnitError('must be a size like "512mb", or a number of bytes');
      }
      return parseSize(raw);
    case 'duration':
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        throw new UnitError('must be a duration like "30s", or a number of milliseconds');
      }
      return parseDuration(raw);
    case 'list': {
      let items: unknown[];
      if (typeof raw === 'string') items = [raw];
      else if (Array.isArray(raw)) items = raw;
      else throw new UnitError('must be a list of glob patterns');
      const patterns: string[] = [];
      for (const item of items) {
        if (typeof item !== 'string') throw new UnitError('must be a list of glob patterns (strings)');
        // A flag or variable is comma-separated; so is a string in the file. An array element is
        // taken whole, so a pattern holding a comma can be written there.
        const parts = origin === 'file' && Array.isArray(raw) ? [item] : item.split(',');
        for (const part of parts) if (part.trim() !== '') patterns.push(part.trim());
      }
      // None, or a bare `*` among them: every key, which the proxy does fastest with no list at all.
      return patterns.length === 0 || patterns.includes('*') ? null : patterns;
    }
    case 'port-or-off':
      if (typeof raw === 'string' && raw.trim().toLowerCase() === 'off') return null;
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) return Number(raw);
      throw new UnitError(`${quote(raw)} is not a port number or off`);
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (origin === 'env' && typeof raw === 'string') {
        const word = raw.trim().toLowerCase();
        if (TRUE.has(word)) return true;
        if (FALSE.has(word)) return false;
        throw new UnitError(`${quote(raw)} is not a boolean (use true or false)`);
      }
      throw new UnitError(`${quote(raw)} is not a boolean (use true or false)`);
  }
}

/** Redacts the password of a redis:// URL for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

function checkUpstream(value: string, ctx: z.RefinementCtx): void {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    fail(`must be a redis:// or rediss:// URL (try redis://${value})`);
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('is not a valid URL (expected redis://[user:pass@]host[:port][/db])');
    return;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    fail(`must use redis:// or rediss://, not ${url.protocol}//`);
  } else if (url.hostname === '') {
    fail('has no host (expected redis://host[:port][/db])');
  } else if (!/^\/?(\d+)?$/.test(url.pathname)) {
    fail('database must be a number (redis://host:6379/0)');
  } else if (url.search !== '' || url.hash !== '') {
    fail('must not have a query or fragment');
  }
}

const PORT_RANGE = 'must be between 1 and 65535';
const ADMIN_PORT_RANGE = 'must be between 0 and 65535 (0: any free port), or off';
const WORKERS_RANGE = 'must be between 1 and 1024';

/** The whole ProxyConfig, validated after the merge. Messages are completed with the source. */
export const proxyConfigSchema = z
  .object({
    host: z.string().min(1, 'must not be empty').regex(/^\S+$/, 'must not contain spaces'),
    port: z.number().int('must be a whole number').min(1, PORT_RANGE).max(65535, PORT_RANGE),
    upstream: z.string().superRefine(checkUpstream).optional(),
    l1Memory: z.number().int('must be a whole number of bytes').min(1, 'must be more than 0 bytes'),
    l1Ttl: z.number().int('must be a whole number of milliseconds').min(0, 'must not be negative'),
    l1Keys: z.array(z.string().min(1, 'must not hold an empty pattern')).optional(),
    requirepass: z.string().min(1, 'must not be empty').optional(),
    requireFresh: z.boolean(),
    upstreamTimeout: z.number().int('must be a whole number of milliseconds').min(1, 'must be at least 1ms'),
    maxClients: z.number().int('must be a whole number').min(1, 'must be at least 1'),
    maxBulkLength: z.number().int('must be a whole number of bytes').min(1, 'must be more than 0 bytes'),
    maxQueryBuffer: z.number().int('must be a whole number of bytes').min(1, 'must be more than 0 bytes'),
    workers: z.number().int('must be a whole number').min(1, WORKERS_RANGE).max(1024, WORKERS_RANGE),
    adminPort: z.number().int('must be a whole number').min(0, ADMIN_PORT_RANGE).max(65535, ADMIN_PORT_RANGE).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const { key, message } of embeddedModeConflicts(config)) ctx.addIssue({ code: 'custom', path: [key], message });
    if (config.adminPort !== undefined && config.adminPort !== 0 && config.adminPort === config.port) {
      ctx.addIssue({ code: 'custom', path: ['adminPort'], message: `must differ from the proxy's port (${config.port})` });
    }
  }) satisfies z.ZodType<ProxyConfig>;

const ALL_KEYS: readonly SettingKey[] = SETTINGS.map((s) => s.key);

/**
 * Merges the layers (flag > env > file > default) for `keys` (default: every field) and validates
 * the result. Throws a CliError (exit 2) listing every bad value, one line each.
 */
export function resolveConfig(inputs: ConfigInputs, keys: readonly SettingKey[] = ALL_KEYS): ResolvedConfig {
  const errors: string[] = [];
  const fileData = inputs.file?.data ?? {};
  if (inputs.file) {
    const known = new Set<string>(ALL_KEYS);
    for (const field of Object.keys(fileData)) {
      if (!known.has(field)) errors.push(`error: ${inputs.file.display}: unknown field ${quote(field)}${suggest(field)}`);
    }
  }

  const entries = new Map<SettingKey, Entry>();
  for (const setting of SETTINGS) {
    if (!keys.includes(setting.key)) continue;
    const candidates: { raw: unknown; source: Source; origin: Origin }[] = [];
    const flagRaw = inputs.flags?.[setting.key];
    if (flagRaw !== undefined) candidates.push({ raw: flagRaw, source: { kind: 'flag', flag: flagName(setting, flagRaw) }, origin: 'flag' });
    const envRaw = inputs.env?.[setting.env];
    if (envRaw !== undefined && envRaw !== '') candidates.push({ raw: envRaw, source: { kind: 'env', name: setting.env }, origin: 'env' });
    if (inputs.file && Object.hasOwn(fileData, setting.key)) {
      candidates.push({
        raw: fileData[setting.key],
        source: { kind: 'file', file: inputs.file.display, field: setting.key },
        origin: 'file',
      });
    }
    // Every layer is parsed, not just the winner: a typo in cachee.json is reported even on a run
    // whose flags happen to override it, instead of surfacing on the next run without the flag.
    let chosen: Entry | undefined;
    for (const candidate of candidates) {
      try {
        const value = parseValue(setting, candidate.raw, candidate.origin);
        chosen ??= { value, raw: candidate.raw, source: candidate.source };
      } catch (err) {
        if (!(err instanceof UnitError)) throw err;
        errors.push(`error: ${describeSource(candidate.source, setting.key)}: ${err.message}`);
      }
    }
    entries.set(setting.key, chosen ?? { value: DEFAULT_PROXY_CONFIG[setting.key], raw: DEFAULT_PROXY_CONFIG[setting.key], source: { kind: 'default' } });
  }
  if (errors.length > 0) throw new CliError(errors, 2);

  const merged: Record<string, unknown> = {};
  const sources = {} as Record<SettingKey, Source>;
  for (const key of ALL_KEYS) {
    const entry = entries.get(key);
    sources[key] = entry?.source ?? { kind: 'default' };
    const value = entry ? entry.value : DEFAULT_PROXY_CONFIG[key];
    if (value !== null && value !== undefined) merged[key] = value;
  }

  const result = proxyConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path[0] as SettingKey | undefined;
      const entry = key === undefined ? undefined : entries.get(key);
      const where = key === undefined ? 'config' : describeSource(sources[key], key);
      let got = '';
      if (entry && entry.source.kind !== 'default') {
        const raw = typeof entry.raw === 'string' && key === 'upstream' ? redactUrl(entry.raw) : entry.raw;
        if (key !== 'requirepass') got = ` (got ${quote(raw)})`;
      }
      errors.push(`error: ${where}: ${issue.message}${got}`);
    }
    throw new CliError(errors, 2);
  }
  return { config: result.data as ProxyConfig, sources };
}

function flagName(setting: Setting, raw: unknown): string {
  return raw === false && setting.kind !== 'bool' ? `--no-${setting.flag.slice(2)}` : setting.flag;
}

function suggest(field: string): string {
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const match = ALL_KEYS.find((key) => squash(key) === squash(field));
  if (match) return ` (did you mean ${quote(match)}?)`;
  const byFlag = SETTINGS.find((s) => squash(s.flag) === squash(field) || squash(s.env.replace(/^CACHEE_/, '')) === squash(field));
  return byFlag ? ` (did you mean ${quote(byFlag.key)}?)` : '';
}

/** Where cachee.json is: `--config`, else CACHEE_CONFIG, else the working folder. */
export interface ConfigLocation {
  path: string;
  display: string;
  /** Named by --config or CACHEE_CONFIG (then its absence is an error for `start`). */
  explicit: boolean;
  /** `--config` or `CACHEE_CONFIG`, when explicit. */
  namedBy?: string;
}

export async function locateConfig(flagPath: string | undefined, env: Env, cwd: string): Promise<ConfigLocation> {
  const envPath = env[CONFIG_ENV] === '' ? undefined : env[CONFIG_ENV];
  const given = flagPath ?? envPath;
  let file = path.resolve(cwd, given ?? DEFAULT_CONFIG_FILE);
  if (given !== undefined && (/[/\\]$/.test(given) || (await isDirectory(file)))) {
    file = path.join(file, DEFAULT_CONFIG_FILE);
  }
  return {
    path: file,
    display: displayPath(file, cwd),
    explicit: given !== undefined,
    namedBy: flagPath !== undefined ? '--config' : given !== undefined ? CONFIG_ENV : undefined,
  };
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false;
  }
}

export function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Reads and parses the file; undefined when it is absent and was not named explicitly. */
export async function readConfigFile(location: ConfigLocation): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(location.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !location.explicit) return undefined;
    const what = fileErrorReason(err) ?? messageOf(err);
    const prefix = location.namedBy ? `${location.namedBy}: ` : '';
    throw new CliError(`error: ${prefix}${location.display}: ${what}`, 2);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`error: ${location.display}: not valid JSON (${messageOf(err)})`, 2);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CliError(`error: ${location.display}: must hold a JSON object of settings`, 2);
  }
  return { path: location.path, display: location.display, data: data as Record<string, unknown> };
}

/** cachee.json's content: every setting, sizes and durations in words, `null` upstream for none. */
export function serializeConfig(config: ProxyConfig): string {
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const value = config[setting.key];
    switch (setting.kind) {
      case 'url':
        out[setting.key] = value ?? null;
        break;
      case 'list':
        out[setting.key] = value ?? ['*'];
        break;
      case 'size':
        out[setting.key] = formatSize(value as number);
        break;
      case 'duration':
        out[setting.key] = formatDuration(value as number);
        break;
      case 'port-or-off':
        out[setting.key] = value ?? 'off';
        break;
      default:
        out[setting.key] = value;
    }
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Writes cachee.json; refuses to replace an existing file unless `force`. */
export async function writeConfigFile(location: ConfigLocation, config: ProxyConfig, force: boolean): Promise<void> {
  const secret = config.requirepass !== undefined || (config.upstream !== undefined && redactUrl(config.upstream) !== config.upstream);
  try {
    await mkdir(path.dirname(location.path), { recursive: true });
    await writeFile(location.path, serializeConfig(config), { flag: force ? 'w' : 'wx', mode: secret ? 0o600 : 0o644 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new CliError(`cachee init: ${location.display} already exists (use --force to overwrite it)`, 1);
    }
    const what = fileErrorReason(err) ?? messageOf(err);
    throw new CliError(`cachee init: cannot write ${location.display}: ${what}`, 1);
  }
}
