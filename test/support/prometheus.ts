/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests that
 * scrape /metrics: it rejects what a Prometheus server would (a malformed line, a sample without
 * a TYPE, a family split in two, a TYPE given twice or after its samples), and finds samples by
 * name and exact label set.
 */

export type MetricKind = 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: MetricKind;
  help: string | undefined;
  samples: PromSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const KINDS = new Set<MetricKind>(['counter', 'gauge', 'summary', 'histogram', 'untyped']);

function parseValue(text: string, line: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return Number(text);
}

/** `{a="1",b="x\"y"}` from `pos` (at the `{`); returns the labels and the position after `}`. */
function parseLabels(line: string, pos: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  pos++;
  while (line[pos] !== '}') {
    const name = LABEL_NAME.exec(line.slice(pos))?.[0];
    if (name === undefined || line[pos + name.length] !== '=' || line[pos + name.length + 1] !== '"') throw new Error(`bad label in ${JSON.stringify(line)}`);
    pos += name.length + 2;
    let value = '';
    for (;;) {
      const c = line[pos++];
      if (c === undefined) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[pos++];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${next} in ${JSON.stringify(line)}`);
      } else value += c;
    }
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice in ${JSON.stringify(line)}`);
    labels[name] = value;
    if (line[pos] === ',') pos++;
    else if (line[pos] !== '}') throw new Error(`expected , or } in ${JSON.stringify(line)}`);
  }
  return { labels, end: pos + 1 };
}

/** The family a sample name belongs to: itself, or a summary's/histogram's with its suffix removed. */
function familyOf(name: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const own = families.get(name);
  if (own !== undefined) return own;
  const suffix = /_(sum|count|bucket)$/.exec(name);
  if (suffix === null) return undefined;
  const family = families.get(name.slice(0, -suffix[0].length));
  if (family === undefined) return undefined;
  if (family.type === 'summary' && suffix[1] !== 'bucket') return family;
  if (family.type === 'histogram') return family;
  return undefined;
}

export class PromText {
  readonly families = new Map<string, PromFamily>();

  constructor(text: string) {
    let current: PromFamily | undefined;
    const finished = new Set<string>();
    const helps = new Map<string, string>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const meta = new RegExp(`^# (HELP|TYPE) (${NAME})(?: (.*))?$`).exec(line);
      if (meta !== null) {
        const [, keyword, name, rest = ''] = meta;
        if (keyword === 'HELP') {
          if (helps.has(name)) throw new Error(`HELP for ${name} twice`);
          helps.set(name, rest);
          continue;
        }
        if (!KINDS.has(rest as MetricKind)) throw new Error(`bad TYPE ${JSON.stringify(rest)} for ${name}`);
        if (this.families.has(name)) throw new Error(`TYPE for ${name} twice, or after its samples`);
        if (current !== undefined) finished.add(current.name);
        current = { name, type: rest as MetricKind, help: undefined, samples: [] };
        this.families.set(name, current);
        continue;
      }
      if (line.startsWith('#')) continue;
      const name = new RegExp(`^${NAME}`).exec(line)?.[0];
      if (name === undefined) throw new Error(`bad line ${JSON.stringify(line)}`);
      let pos = name.length;
      let labels: Record<string, string> = {};
      if (line[pos] === '{') ({ labels, end: pos } = parseLabels(line, pos));
      if (line[pos] !== ' ') throw new Error(`expected a space before the value in ${JSON.stringify(line)}`);
      const [valueText, timestamp, extra] = line.slice(pos + 1).split(' ');
      if (extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`bad line ${JSON.stringify(line)}`);
      const family = familyOf(name, this.families);
      if (family === undefined) throw new Error(`sample ${name} has no TYPE`);
      if (family !== current || finished.has(family.name)) throw new Error(`samples of ${family.name} are not together`);
      family.samples.push({ name, labels, value: parseValue(valueText, line) });
    }
    for (const [name, help] of helps) {
      const family = this.families.get(name);
      if (family === undefined) throw new Error(`HELP for ${name}, which has no TYPE`);
      family.help = help;
    }
  }

  family(name: string): PromFamily {
    const family = this.families.get(name);
    if (family === undefined) throw new Error(`no metric family ${name}`);
    return family;
  }

  /** The one sample named `name` with exactly these labels. */
  value(name: string, labels: Record<string, string> = {}): number {
    const matches: PromSample[] = [];
    for (const family of this.families.values()) {
      for (const sample of family.samples) if (sample.name === name && sameLabels(sample.labels, labels)) matches.push(sample);
    }
    if (matches.length !== 1) throw new Error(`${matches.length} samples ${name}${JSON.stringify(labels)}`);
    return matches[0].value;
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** GETs `path` from an admin server; the response's status, content type and text. */
export async function adminGet(admin: { host: string; port: number }, path: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`http://${admin.host}:${admin.port}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** Scrapes /metrics and parses it. */
export async function scrape(admin: { host: string; port: number }): Promise<PromText> {
  const { status, type, text } = await adminGet(admin, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}: ${text}`);
  if (type !== 'text/plain; version=0.0.4; charset=utf-8') throw new Error(`/metrics content type ${type}`);
  return new PromText(text);
}
