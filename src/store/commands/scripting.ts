/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, after Redis 7.0's eval.c; the engine is in
 * ../scripting. A script runs to its end inside the command, so SCRIPT KILL never finds one running.
 */
import { isKeyword, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { array, bulk, error, Errors, integer, OK, type Reply } from '../reply.js';
import { helpReply } from './connection.js';

/** numkeys and the keys and arguments after it, or the error Redis gives for a bad numkeys. */
export function splitKeys(ctx: CommandContext): { keys: Buffer[]; args: Buffer[] } | Reply {
  const numkeys = parseLongLong(ctx.args[2]);
  if (numkeys === null) return Errors.notInteger;
  if (numkeys > BigInt(ctx.args.length - 3)) return error("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0n) return error("ERR Number of keys can't be negative");
  const split = 3 + Number(numkeys);
  return { keys: ctx.args.slice(3, split), args: ctx.args.slice(split) };
}

function evalGeneric(ctx: CommandContext, bySha: boolean, readOnlyCommand: boolean): Reply {
  const split = splitKeys(ctx);
  if (!('keys' in split)) return split;
  const scripts = ctx.server.scripts;
  let sha: string;
  if (bySha) {
    sha = text(ctx.args[1]);
  } else {
    const loaded = scripts.load(ctx.args[1]);
    if ('error' in loaded) return loaded.error;
    sha = loaded.sha;
  }
  const reply = scripts.evaluate({
    server: ctx.server,
    session: ctx.session,
    sha,
    keys: split.keys,
    args: split.args,
    readOnlyCommand,
    now: () => ctx.server.clock(),
  });
  // The script's own commands passed through Store.run; CLIENT LIST shows the EVAL.
  ctx.session.lastCommand = ctx.name;
  return reply;
}

const scriptLoad: CommandHandler = (ctx) => {
  const loaded = ctx.server.scripts.load(ctx.args[2]);
  return 'error' in loaded ? loaded.error : bulk(loaded.sha);
};

const scriptExists: CommandHandler = (ctx) => array(ctx.args.slice(2).map((sha) => integer(ctx.server.scripts.has(text(sha)) ? 1 : 0)));

const scriptFlush: CommandHandler = (ctx) => {
  if (ctx.args.length > 3 || (ctx.args.length === 3 && !isKeyword(ctx.args[2], 'sync') && !isKeyword(ctx.args[2], 'async'))) {
    return error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  }
  ctx.server.scripts.flush();
  return OK;
};

const NOT_BUSY = error('NOTBUSY No scripts in execution right now.');

const scriptHelp: CommandHandler = () =>
  helpReply('SCRIPT', [
    ['EXISTS <sha1> [<sha1> ...]', 'Return information about the existence of the scripts in the script cache.'],
    ['FLUSH [ASYNC|SYNC]', 'Flush the Lua scripts cache. Very dangerous on replicas.', 'Modes: ASYNC and SYNC both flush at once here.'],
    ['KILL', 'Kill the currently executing Lua script.'],
    ['LOAD <script>', 'Load a script into the scripts cache without executing it.'],
  ]);

export const scriptingCommands: Record<string, CommandHandler> = {
  eval: (ctx) => evalGeneric(ctx, false, false),
  evalsha: (ctx) => evalGeneric(ctx, true, false),
  eval_ro: (ctx) => evalGeneric(ctx, false, true),
  evalsha_ro: (ctx) => evalGeneric(ctx, true, true),
  'script|load': scriptLoad,
  'script|exists': scriptExists,
  'script|flush': scriptFlush,
  'script|kill': () => NOT_BUSY,
  'script|help': scriptHelp,
};
