/**
 * A command's description in Redis 7's terms, and its COMMAND INFO / COMMAND DOCS replies
 * (addReplyCommandInfo / addReplyCommandDocs in Redis's server.c).
 */
import { parseLongLong } from './arguments.js';
import { array, bulk, integer, map, NULL, set, status, type Reply } from './reply.js';

export interface KeySpec {
  notes?: string;
  flags: string[];
  begin: { index: number } | { keyword: string; startFrom: number } | { unknown: true };
  find: { lastKey: number; keyStep: number; limit: number } | { keyNumIndex: number; firstKey: number; keyStep: number } | { unknown: true };
}

export interface CommandDocs {
  summary?: string;
  since?: string;
  group?: string;
  complexity?: string;
  docFlags?: string[];
  deprecatedSince?: string;
  replacedBy?: string;
}

export interface CommandSpec {
  /** Lower case; a subcommand is `container|sub`. */
  name: string;
  /** N: exactly N arguments (the name included); -N: at least N. */
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  categories: string[];
  tips: string[];
  keySpecs: KeySpec[];
  docs: CommandDocs;
  subcommands: CommandSpec[];
}

/**
 * Where a command's keys are in `args` (its name first), by its key specs: each beginning at an
 * index and found by range, or by a key count (LMPOP's numkeys) read as Redis's
 * getKeysUsingKeySpecs does; a count that is no number, or leads past the arguments, finds none.
 */
export function* keyIndexes(spec: CommandSpec, args: readonly Buffer[]): Generator<[index: number, keySpec: KeySpec]> {
  const argc = args.length;
  for (const keySpec of spec.keySpecs) {
    if (!('index' in keySpec.begin)) continue;
    const find = keySpec.find;
    let first = keySpec.begin.index;
    let last: number;
    let step: number;
    if ('lastKey' in find) {
      last = Math.min(find.lastKey >= 0 ? first + find.lastKey : argc + find.lastKey, argc - 1);
      step = find.keyStep;
    } else if ('keyNumIndex' in find) {
      const at = first + find.keyNumIndex;
      const count = at < argc ? parseLongLong(args[at]) : null;
      if (count === null || count < 0n || count > BigInt(argc)) continue;
      first += find.firstKey;
      last = first + Number(count) - 1;
      if (last >= argc || last < first) continue;
      step = find.keyStep;
    } else {
      continue;
    }
    for (let i = first; i <= last; i += step) yield [i, keySpec];
  }
}

function keySpecReply(spec: KeySpec): Reply {
  const entries: [Reply, Reply][] = [];
  if (spec.notes !== undefined) entries.push([bulk('notes'), bulk(spec.notes)]);
  entries.push([bulk('flags'), set(spec.flags.map(status))]);
  const begin = spec.begin;
  let beginReply: Reply;
  if ('index' in begin) beginReply = typed('index', [['index', integer(begin.index)]]);
  else if ('keyword' in begin) beginReply = typed('keyword', [['keyword', bulk(begin.keyword)], ['startfrom', integer(begin.startFrom)]]);
  else beginReply = typed('unknown', []);
  entries.push([bulk('begin_search'), beginReply]);
  const find = spec.find;
  let findReply: Reply;
  if ('lastKey' in find) {
    findReply = typed('range', [['lastkey', integer(find.lastKey)], ['keystep', integer(find.keyStep)], ['limit', integer(find.limit)]]);
  } else if ('keyNumIndex' in find) {
    findReply = typed('keynum', [['keynumidx', integer(find.keyNumIndex)], ['firstkey', integer(find.firstKey)], ['keystep', integer(find.keyStep)]]);
  } else {
    findReply = typed('unknown', []);
  }
  entries.push([bulk('find_keys'), findReply]);
  return map(entries);
}

function typed(type: string, spec: [string, Reply][]): Reply {
  return map([
    [bulk('type'), bulk(type)],
    [bulk('spec'), map(spec.map(([name, value]) => [bulk(name), value]))],
  ]);
}

/** One command's COMMAND INFO entry, or null for an unknown name. */
export function commandInfoReply(spec: CommandSpec | undefined): Reply {
  if (spec === undefined) return NULL;
  return array([
    bulk(spec.name),
    integer(spec.arity),
    set(spec.flags.map(status)),
    integer(spec.firstKey),
    integer(spec.lastKey),
    integer(spec.step),
    set(spec.categories.map(status)),
    set(spec.tips.map(bulk)),
    set(spec.keySpecs.map(keySpecReply)),
    set(spec.subcommands.map(commandInfoReply)),
  ]);
}

/** One command's COMMAND DOCS value (the map under its name). */
export function commandDocsReply(spec: CommandSpec): Reply {
  const docs = spec.docs;
  const entries: [Reply, Reply][] = [];
  for (const [name, value] of [
    ['summary', docs.summary],
    ['since', docs.since],
    ['group', docs.group],
    ['complexity', docs.complexity],
  ] as const) {
    if (value !== undefined) entries.push([bulk(name), bulk(value)]);
  }
  if (docs.docFlags !== undefined) entries.push([bulk('doc_flags'), set(docs.docFlags.map(status))]);
  if (docs.deprecatedSince !== undefined) entries.push([bulk('deprecated_since'), bulk(docs.deprecatedSince)]);
  if (docs.replacedBy !== undefined) entries.push([bulk('replaced_by'), bulk(docs.replacedBy)]);
  if (spec.subcommands.length > 0) {
    entries.push([bulk('subcommands'), map(spec.subcommands.map((sub) => [bulk(sub.name), commandDocsReply(sub)]))]);
  }
  return map(entries);
}
