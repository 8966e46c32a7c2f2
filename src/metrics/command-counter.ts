/**
 * Commands per type, for `cachee_commands_total{command=...}`. The label set is bounded: only the
 * names the front knows (the upstream's COMMAND table, or the embedded store's) get a label of
 * their own; anything else a client sends counts as `other`, so garbage command names cannot
 * grow the series without bound.
 */

/** A command's name in lower case, as the command tables know it; GET, the hot one, without allocating. */
export function commandName(arg: Buffer): string {
  if (arg.length === 3 && (arg[0] | 0x20) === 0x67 && (arg[1] | 0x20) === 0x65 && (arg[2] | 0x20) === 0x74) return 'get';
  return arg.toString('latin1').toLowerCase();
}

/** The label of every command name outside the known set. */
export const OTHER_COMMAND = 'other';
/** Longer names are not looked up (no string is made of them): no known command is this long. */
const MAX_NAME_LENGTH = 64;

export class CommandCounter {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly counts: number[] = [];
  private other = 0;
  /** GETs, counted apart: the proxy's hit path adds them in bulk without a lookup. */
  gets = 0;

  /** `known`: lower-case command names (`get` is always known). */
  constructor(known: Iterable<string>) {
    for (const name of known) {
      if (name === 'get' || this.index.has(name)) continue;
      this.index.set(name, this.names.length);
      this.names.push(name);
      this.counts.push(0);
    }
  }

  /** One command, by its lower-case name. */
  count(name: string): void {
    if (name === 'get') {
      this.gets++;
      return;
    }
    const i = this.index.get(name);
    if (i === undefined) this.other++;
    else this.counts[i]++;
  }

  /** One command, by its name as the client sent it (any case). */
  countName(name: Buffer): void {
    if (name.length > MAX_NAME_LENGTH) this.other++;
    else this.count(commandName(name));
  }

  /** Every label with a count above 0, and its count. */
  *entries(): IterableIterator<[command: string, count: number]> {
    if (this.gets > 0) yield ['get', this.gets];
    for (let i = 0; i < this.names.length; i++) if (this.counts[i] > 0) yield [this.names[i], this.counts[i]];
    if (this.other > 0) yield [OTHER_COMMAND, this.other];
  }
}
