/**
 * Sizes and durations as people write them, in flags, environment variables and cachee.json.
 *
 * Sizes: a number with an optional unit b, kb, mb, gb (case-insensitive, powers of 1024,
 * decimals allowed: `1.5gb`); a bare number is bytes. Durations: ms, s, m, h; a bare number is
 * milliseconds. Each parser returns a whole number (bytes, ms) or throws a UnitError whose
 * message quotes the bad value; the caller prefixes the flag, variable or field it came from.
 */
import { CliError } from './errors.js';

export class UnitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitError';
  }
}

/** `parse(text)` for a command-line flag: a UnitError becomes the flag's usage error (exit 2). */
export function parseFlag<T>(flag: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof UnitError) throw new CliError(`error: ${flag}: ${err.message}`, 2);
    throw err;
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const NUMBER_WITH_UNIT = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$/i;
/** Floating-point slack when multiplying a decimal by its unit (1.1 * 1000 = 1100.0000000000002). */
const EPSILON = 1e-6;

function split(text: string): { amount: number; unit: string } | undefined {
  const match = NUMBER_WITH_UNIT.exec(text.trim());
  if (!match) return undefined;
  return { amount: Number(match[1]), unit: match[2].toLowerCase() };
}

function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Bytes from `512`, `64kb`, `1.5GB`, ...; a JSON number is bytes. */
export function parseSize(value: string | number): number {
  const notASize = () => new UnitError(`${quote(value)} is not a size (use b, kb, mb, gb)`);
  let amount: number;
  let multiplier: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw notASize();
    amount = value;
    multiplier = 1;
  } else {
    const parts = split(value);
    if (!parts || !(parts.unit in SIZE_UNITS)) throw notASize();
    amount = parts.amount;
    multiplier = SIZE_UNITS[parts.unit];
  }
  const exact = amount * multiplier;
  if (multiplier === 1 && !Number.isInteger(amount)) {
    throw new UnitError(`${quote(value)} is not a whole number of bytes`);
  }
  const bytes = Math.floor(exact + EPSILON);
  if (!Number.isSafeInteger(bytes)) throw new UnitError(`${quote(value)} is too large`);
  return bytes;
}

const COUNT_UNITS: Record<string, number> = { '': 1, k: 1000, m: 1_000_000 };

/** A number of things (cache entries) from `500`, `10k`, `1.5m`, `100_000` (k and m are powers of 1000). */
export function parseCount(value: string): number {
  const parts = split(value.replaceAll('_', ''));
  if (!parts || !(parts.unit in COUNT_UNITS)) throw new UnitError(`${quote(value)} is not a count (a number, with k or m for thousands or millions)`);
  const exact = parts.amount * COUNT_UNITS[parts.unit];
  const count = Math.round(exact);
  if (Math.abs(exact - count) > EPSILON) throw new UnitError(`${quote(value)} is not a whole number`);
  if (!Number.isSafeInteger(count)) throw new UnitError(`${quote(value)} is too large`);
  return count;
}

/** Milliseconds from `250`, `250ms`, `30s`, `1.5m`, `2h`; a JSON number is milliseconds. */
export function parseDuration(value: string | number): number {
  const notADuration = () => new UnitError(`${quote(value)} is not a duration (use ms, s, m, h)`);
  let amount: number;
  let multiplier: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw notADuration();
    amount = value;
    multiplier = 1;
  } else {
    const parts = split(value);
    if (!parts || !(parts.unit in DURATION_UNITS)) throw notADuration();
    amount = parts.amount;
    multiplier = DURATION_UNITS[parts.unit];
  }
  const exact = amount * multiplier;
  const ms = Math.round(exact);
  if (Math.abs(exact - ms) > EPSILON) {
    throw new UnitError(`${quote(value)} is not a whole number of milliseconds`);
  }
  if (!Number.isSafeInteger(ms)) throw new UnitError(`${quote(value)} is too large`);
  return ms;
}

/** The largest unit that divides it exactly, for cachee.json: 1073741824 -> "1gb", 1.5gb -> "1536mb", 100 -> "100b". */
export function formatSize(bytes: number): string {
  for (const unit of ['gb', 'mb', 'kb'] as const) {
    const size = SIZE_UNITS[unit];
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}

/** The shortest exact spelling, for cachee.json and logs: 30000 -> "30s", 90000 -> "90s", 0 -> "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const unit of ['h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit];
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** For people, rounded: 1073741824 -> "1 GB", 1610612736 -> "1.5 GB", 900 -> "900 B". */
export function humanSize(bytes: number): string {
  const units = [
    ['GB', SIZE_UNITS.gb],
    ['MB', SIZE_UNITS.mb],
    ['KB', SIZE_UNITS.kb],
  ] as const;
  for (const [name, size] of units) {
    if (bytes >= size) return `${trim(bytes / size, 1)} ${name}`;
  }
  return `${bytes} B`;
}

/** `value` with at most `decimals` decimals and no trailing zeros. */
export function trim(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}
