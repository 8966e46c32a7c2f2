/**
 * The commands the store implements: each spec (from command-specs.ts) paired with its
 * implementation, and Redis's lookup (a container such as CLIENT dispatches on its subcommand).
 */
import { lowerText } from './arguments.js';
import type { CommandHandler } from './command-context.js';
import type { CommandSpec } from './command-spec.js';
import { CommandCounters } from './command-stats.js';
import { COMMAND_SPECS } from './command-specs.js';
import { clientReplyCommands } from './commands/client-reply.js';
import { clientTrackingCommands } from './commands/client-tracking.js';
import { configCommands } from './commands/config.js';
import { connectionCommands } from './commands/connection.js';
import { hashCommands } from './commands/hashes.js';
import { keyCommands } from './commands/keys.js';
import { listCommands } from './commands/lists.js';
import { memoryCommands } from './commands/memory.js';
import { objectCommands } from './commands/object.js';
import { pubsubCommands } from './commands/pubsub.js';
import { serverCommands } from './commands/server.js';
import { setCommands } from './commands/sets.js';
import { shutdownCommands } from './commands/shutdown.js';
import { sortedSetAlgebraCommands } from './commands/sorted-set-algebra.js';
import { sortedSetBlockingCommands } from './commands/sorted-set-blocking.js';
import { sortedSetRangeCommands } from './commands/sorted-set-ranges.js';
import { sortedSetCommands } from './commands/sorted-sets.js';
import { stringCommands } from './commands/strings.js';
import { transactionCommands } from './commands/transactions.js';
import { scriptingCommands } from './commands/scripting.js';

export interface Command {
  readonly spec: CommandSpec;
  /** Absent for a container that does nothing by itself (CLIENT without a subcommand). */
  readonly run: CommandHandler | undefined;
  readonly subcommands: ReadonlyMap<string, Command> | undefined;
  /** For INFO commandstats; this table's own (each store counts its calls). */
  readonly stats: CommandCounters;
}

const HANDLERS: Record<string, CommandHandler> = {
  ...connectionCommands,
  ...clientTrackingCommands,
  ...clientReplyCommands,
  ...pubsubCommands,
  ...serverCommands,
  ...configCommands,
  ...stringCommands,
  ...keyCommands,
  ...hashCommands,
  ...setCommands,
  ...shutdownCommands,
  ...sortedSetCommands,
  ...sortedSetRangeCommands,
  ...sortedSetAlgebraCommands,
  ...sortedSetBlockingCommands,
  ...listCommands,
  ...objectCommands,
  ...memoryCommands,
  ...transactionCommands,
  ...scriptingCommands,
};

function build(spec: CommandSpec): Command {
  const subcommands =
    spec.subcommands.length === 0 ? undefined : new Map(spec.subcommands.map((sub) => [sub.name.split('|')[1], build(sub)] as const));
  return { spec, run: HANDLERS[spec.name], subcommands, stats: new CommandCounters() };
}

export class CommandTable {
  private readonly commands = new Map<string, Command>();

  constructor(readonly specs: readonly CommandSpec[] = COMMAND_SPECS) {
    for (const spec of specs) this.commands.set(spec.name, build(spec));
    for (const command of this.commands.values()) {
      const missing = [command, ...(command.subcommands?.values() ?? [])].filter((c) => c.run === undefined && c.subcommands === undefined);
      if (missing.length > 0) throw new Error(`no implementation for ${missing.map((c) => c.spec.name).join(', ')}`);
    }
  }

  /** A top-level command by its lower-case name. */
  get(name: string): Command | undefined {
    return this.commands.get(name);
  }

  /** Every command and subcommand, containers before their subcommands. */
  *all(): IterableIterator<Command> {
    for (const command of this.commands.values()) {
      yield command;
      if (command.subcommands !== undefined) yield* command.subcommands.values();
    }
  }

  /** A command or subcommand by full name, any case ("GET", "client|setname"). */
  findSpec(fullName: string): CommandSpec | undefined {
    return this.find(fullName)?.spec;
  }

  find(fullName: string): Command | undefined {
    const [name, sub, ...rest] = fullName.toLowerCase().split('|');
    if (rest.length > 0) return undefined;
    const command = this.commands.get(name);
    return sub === undefined ? command : command?.subcommands?.get(sub);
  }

  /** What `args` names: the command (or subcommand), or how it is unknown. */
  lookup(args: readonly Buffer[]): { command: Command } | { unknownSubcommandOf: Command } | { unknown: true } {
    const base = this.commands.get(lowerText(args[0]));
    if (base === undefined) return { unknown: true };
    if (base.subcommands === undefined || args.length === 1) return { command: base };
    const sub = base.subcommands.get(lowerText(args[1]));
    return sub === undefined ? { unknownSubcommandOf: base } : { command: sub };
  }
}
