/**
 * What each command does to which keys, learned from the upstream's own `COMMAND INFO` at
 * start-up (Redis 7 key specs), never from a hand-written list: so a command added by a newer
 * Redis or a module is handled the day it appears.
 *
 * Key extraction follows Redis's getKeysUsingKeySpecs (src/db.c): each key spec has a
 * begin-search step (a fixed index, or a keyword to look for) and a find-keys step (a range with
 * a step, or a count read from an argument).
 *
 * An upstream without key specs (Redis 6, and servers modelled on it) gets one spec made from
 * each entry's first key, last key and step, as Redis 7 itself derives its legacy range: a
 * `write` command writes those keys, any other reads them. A command flagged `movablekeys` finds
 * keys beyond that range by code of its own (EVAL's numkeys, ZUNIONSTORE's, SORT's STORE), so
 * its keys count as unknown: a write through it flushes L1.
 */

/** A decoded RESP value, as COMMAND INFO returns it in RESP2 or RESP3. */
export type InfoValue = Buffer | string | number | bigint | boolean | null | InfoValue[] | Map<InfoValue, InfoValue>;

export interface KeySpec {
  /** RO, RW, OW, RM plus access/update/insert/delete. */
  flags: Set<string>;
  begin: { index: number } | { keyword: string; startFrom: number };
  find: { lastKey: number; keyStep: number; limit: number } | { keyNumIndex: number; firstKey: number; keyStep: number };
}

export interface CommandSpec {
  /** Lower case; subcommands are `container|sub`, e.g. `client|kill`. */
  name: string;
  arity: number;
  flags: Set<string>;
  keySpecs: KeySpec[];
  subcommands: Map<string, CommandSpec>;
}

/** What a command is, for the proxy. */
export interface CommandKeys {
  spec: CommandSpec | undefined;
  /** Argument indexes (into args, where args[0] is the command name) of every key. */
  keyIndexes: number[];
  /** Indexes of the keys the command may modify. */
  writtenIndexes: number[];
  /** The key specs could not be applied (bad arguments, or a spec we do not know). */
  unknownKeys: boolean;
  /** The command may modify data: flagged `write`, or a key spec that writes (scripts are not flagged). */
  mutates: boolean;
  /** The command may wait for data (BLPOP, XREAD BLOCK, WAIT): its reply may take any time. */
  blocking: boolean;
}

const WRITE_KEY_FLAGS = ['RW', 'OW', 'RM', 'insert', 'update', 'delete'];
/** Added to a command's flags when some of its keys cannot be found from its specs. */
const UNKNOWN_KEYSPEC = 'cachee:unknown-keyspec';
/** Added to a command's flags when its keys come from first/last/step (no key specs). */
const LEGACY_RANGE = 'cachee:legacy-range';
/**
 * Commands that may block, for an upstream from before Redis 7, which has no `blocking` flag:
 * Redis 6.2's, by its documentation. Redis 7 flags its own (and a module's) in COMMAND...
 */
const LEGACY_BLOCKING = new Set(['blpop', 'brpop', 'brpoplpush', 'blmove', 'bzpopmin', 'bzpopmax', 'xread', 'xreadgroup']);
/** ...except these, which wait for replicas (up to their timeout) with no flag saying so (Redis 7.0.15, 7.2). */
const BLOCKING_UNFLAGGED = new Set(['wait', 'waitaof']);

function text(v: InfoValue): string {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return String(v);
}

function list(v: InfoValue): InfoValue[] {
  return Array.isArray(v) ? v : [];
}

/** A RESP3 map or a RESP2 flat [key, value, key, value...] array, as entries. */
function entries(v: InfoValue): [string, InfoValue][] {
  if (v instanceof Map) return [...v.entries()].map(([k, val]) => [text(k), val]);
  const out: [string, InfoValue][] = [];
  const items = list(v);
  for (let i = 0; i + 1 < items.length; i += 2) out.push([text(items[i]), items[i + 1]]);
  return out;
}

function field(v: InfoValue, name: string): InfoValue | undefined {
  return entries(v).find(([k]) => k === name)?.[1];
}

function parseKeySpec(v: InfoValue): KeySpec | undefined {
  const flags = new Set(list(field(v, 'flags') ?? []).map(text));
  const bs = field(v, 'begin_search');
  const fk = field(v, 'find_keys');
  if (bs === undefined || fk === undefined) return undefined;
  const bsType = text(field(bs, 'type') ?? '');
  const bsSpec = field(bs, 'spec') ?? [];
  let begin: KeySpec['begin'];
  if (bsType === 'index') begin = { index: Number(field(bsSpec, 'index')) };
  else if (bsType === 'keyword') {
    begin = { keyword: text(field(bsSpec, 'keyword') ?? '').toLowerCase(), startFrom: Number(field(bsSpec, 'startfrom')) };
  } else return undefined;
  const fkType = text(field(fk, 'type') ?? '');
  const fkSpec = field(fk, 'spec') ?? [];
  let find: KeySpec['find'];
  if (fkType === 'range') {
    find = {
      lastKey: Number(field(fkSpec, 'lastkey')),
      keyStep: Number(field(fkSpec, 'keystep')),
      limit: Number(field(fkSpec, 'limit')),
    };
  } else if (fkType === 'keynum') {
    find = {
      keyNumIndex: Number(field(fkSpec, 'keynumidx')),
      firstKey: Number(field(fkSpec, 'firstkey')),
      keyStep: Number(field(fkSpec, 'keystep')),
    };
  } else return undefined;
  return { flags, begin, find };
}

/** Parses one entry of a COMMAND INFO reply: [name, arity, flags, first, last, step, acl, tips, keyspecs, subcommands]. */
export function parseCommandSpec(v: InfoValue): CommandSpec | undefined {
  const items = list(v);
  if (items.length < 6) return undefined;
  const spec: CommandSpec = {
    name: text(items[0]).toLowerCase(),
    arity: Number(items[1]),
    flags: new Set(list(items[2]).map((f) => text(f).toLowerCase())),
    keySpecs: [],
    subcommands: new Map(),
  };
  for (const ks of list(items[8] ?? [])) {
    const parsed = parseKeySpec(ks);
    if (parsed === undefined) spec.flags.add(UNKNOWN_KEYSPEC);
    else spec.keySpecs.push(parsed);
  }
  if (BLOCKING_UNFLAGGED.has(spec.name)) spec.flags.add('blocking');
  if (items.length < 9) {
    // No key specs element: an upstream from before Redis 7 (see the top of this file).
    spec.flags.add(LEGACY_RANGE);
    if (LEGACY_BLOCKING.has(spec.name)) spec.flags.add('blocking');
    const legacy = legacyKeySpec(Number(items[3]), Number(items[4]), Number(items[5]), spec.flags.has('write'));
    if (legacy !== undefined) spec.keySpecs.push(legacy);
    if (spec.flags.has('movablekeys')) spec.flags.add(UNKNOWN_KEYSPEC);
  }
  for (const sub of list(items[9] ?? [])) {
    const parsed = parseCommandSpec(sub);
    if (parsed !== undefined) spec.subcommands.set(parsed.name.slice(parsed.name.indexOf('|') + 1), parsed);
  }
  return spec;
}

/** COMMAND INFO's first key, last key (negative: from the end) and step as a key spec; undefined when it names no key. */
function legacyKeySpec(first: number, last: number, step: number, writes: boolean): KeySpec | undefined {
  if (!Number.isInteger(first) || first < 1 || !Number.isInteger(last) || last === 0 || !Number.isInteger(step) || step < 1) return undefined;
  return {
    flags: new Set([writes ? 'RW' : 'RO']),
    begin: { index: first },
    find: { lastKey: last < 0 ? last : last - first, keyStep: step, limit: 0 },
  };
}

function argEquals(arg: Buffer, lowerCase: string): boolean {
  return arg.length === lowerCase.length && arg.toString('latin1').toLowerCase() === lowerCase;
}

/** The key positions a spec selects in args, or undefined when the arguments do not fit it. */
function applyKeySpec(ks: KeySpec, args: Buffer[]): number[] | undefined {
  const argc = args.length;
  let first = 0;
  if ('index' in ks.begin) {
    first = ks.begin.index;
  } else {
    const { keyword, startFrom } = ks.begin;
    if (startFrom > 0) {
      for (let i = startFrom; i < argc; i++) {
        if (argEquals(args[i], keyword)) {
          first = i + 1;
          break;
        }
      }
    } else {
      for (let i = argc + startFrom; i >= 1; i--) {
        if (argEquals(args[i], keyword)) {
          first = i + 1;
          break;
        }
      }
    }
    if (first === 0) return []; // keyword absent: this spec selects no key
  }
  let last: number;
  let step: number;
  if ('lastKey' in ks.find) {
    step = ks.find.keyStep;
    if (ks.find.lastKey >= 0) last = first + ks.find.lastKey;
    else if (ks.find.limit === 0) last = argc + ks.find.lastKey;
    else last = first + (Math.floor((argc - first) / ks.find.limit) + ks.find.lastKey);
  } else {
    step = ks.find.keyStep;
    const numIndex = first + ks.find.keyNumIndex;
    if (numIndex >= argc) return undefined;
    const numKeys = Number(args[numIndex].toString('latin1'));
    if (!Number.isInteger(numKeys) || numKeys < 0) return undefined;
    first += ks.find.firstKey;
    last = first + numKeys - 1;
    if (numKeys === 0) return [];
  }
  if (last >= argc || last < first || first >= argc || step < 1) return undefined;
  const keys: number[] = [];
  for (let i = first; i <= last; i += step) keys.push(i);
  return keys;
}

export class CommandTable {
  private readonly commands = new Map<string, CommandSpec>();

  constructor(specs: Iterable<CommandSpec>) {
    for (const spec of specs) this.commands.set(spec.name, spec);
  }

  static fromCommandInfo(reply: InfoValue): CommandTable {
    const specs: CommandSpec[] = [];
    for (const entry of list(reply)) {
      const spec = parseCommandSpec(entry);
      if (spec !== undefined) specs.push(spec);
    }
    return new CommandTable(specs);
  }

  /** Whether the upstream gave no key specs, so keys come from first/last/step. */
  get legacyRanges(): boolean {
    for (const spec of this.commands.values()) if (spec.flags.has(LEGACY_RANGE)) return true;
    return false;
  }

  get size(): number {
    return this.commands.size;
  }

  /** The lower-case names of the top-level commands. */
  names(): IterableIterator<string> {
    return this.commands.keys();
  }

  /** The spec for args (resolving a subcommand such as CLIENT KILL), or undefined if unknown. */
  lookup(args: Buffer[]): CommandSpec | undefined {
    const spec = this.commands.get(args[0].toString('latin1').toLowerCase());
    if (spec === undefined || spec.subcommands.size === 0 || args.length < 2) return spec;
    return spec.subcommands.get(args[1].toString('latin1').toLowerCase()) ?? spec;
  }

  keys(args: Buffer[]): CommandKeys {
    const spec = this.lookup(args);
    const result: CommandKeys = { spec, keyIndexes: [], writtenIndexes: [], unknownKeys: false, mutates: false, blocking: false };
    if (spec === undefined) {
      result.unknownKeys = true;
      // No table (an upstream that refused COMMAND before a client authenticated): the commands
      // known to block must still wait as long as they say.
      const name = args[0].toString('latin1').toLowerCase();
      result.blocking = this.commands.size === 0 && (LEGACY_BLOCKING.has(name) || BLOCKING_UNFLAGGED.has(name));
      return result;
    }
    result.blocking = spec.flags.has('blocking');
    const keysUnknown = spec.flags.has(UNKNOWN_KEYSPEC);
    if (keysUnknown) result.unknownKeys = true;
    const commandWrites = spec.flags.has('write');
    // A command not flagged readonly may write keys it does not declare (scripts are not flagged write).
    result.mutates =
      commandWrites ||
      (!spec.flags.has('readonly') && (keysUnknown || spec.keySpecs.some((ks) => WRITE_KEY_FLAGS.some((f) => ks.flags.has(f)))));
    for (const ks of spec.keySpecs) {
      const found = applyKeySpec(ks, args);
      if (found === undefined) {
        result.unknownKeys = true;
        continue;
      }
      const writes = commandWrites || WRITE_KEY_FLAGS.some((f) => ks.flags.has(f));
      for (const index of found) {
        if (!result.keyIndexes.includes(index)) result.keyIndexes.push(index);
        if (writes && !result.writtenIndexes.includes(index)) result.writtenIndexes.push(index);
      }
    }
    return result;
  }
}
