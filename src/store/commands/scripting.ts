/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis 7.0's eval.c), FCALL, FCALL_RO and FUNCTION
 * LOAD/DELETE/FLUSH/KILL (functions.c), and DEBUG SET-DISABLE-DENY-SCRIPTS; the engine is in
 * ../scripting. A script runs to its end inside the command, so SCRIPT KILL and FUNCTION KILL never
 * find one running.
 */
import { cString, isKeyword, parseLongLong, text, upperAscii } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { array, bulk, error, Errors, integer, OK, type Reply } from '../reply.js';
import { helpReply } from './connection.js';

/** numkeys and the keys and arguments after it, or the error Redis gives for a bad numkeys. */
function splitKeys(ctx: CommandContext, notInteger: Reply = Errors.notInteger): { keys: Buffer[]; args: Buffer[] } | Reply {
  const numkeys = parseLongLong(ctx.args[2]);
  if (numkeys === null) return notInteger;
  if (numkeys > BigInt(ctx.args.length - 3)) return error("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0n) return error("ERR Number of keys can't be negative");
  const split = 3 + Number(numkeys);
  return { keys: ctx.args.slice(3, split), args: ctx.args.slice(split) };
}

function evalGeneric(ctx: CommandContext, bySha: boolean, readOnlyCommand: boolean): Reply {
  const split = splitKeys(ctx);
  if (!('keys' in split)) return split;
  const scripts = ctx.server.scripting.scripts;
  let sha: string;
  if (bySha) {
    sha = text(ctx.args[1]);
  } else {
    const loaded = scripts.load(ctx.args[1]);
    if ('error' in loaded) return loaded.error;
    sha = loaded.sha;
  }
  const reply = scripts.evaluate({ server: ctx.server, session: ctx.session, sha, keys: split.keys, args: split.args, readOnlyCommand });
  // The script's own commands passed through Store.run; CLIENT LIST shows the EVAL.
  ctx.session.lastCommand = ctx.name;
  return reply;
}

const BAD_NUMKEYS = error('ERR Bad number of keys provided');

function fcall(ctx: CommandContext, readOnlyCommand: boolean): Reply {
  const functions = ctx.server.scripting.functions;
  const name = text(ctx.args[1]);
  if (!functions.has(name)) return error('ERR Function not found');
  const split = splitKeys(ctx, BAD_NUMKEYS);
  if (!('keys' in split)) return split;
  const reply = functions.call({ server: ctx.server, session: ctx.session, name, keys: split.keys, args: split.args, readOnlyCommand });
  ctx.session.lastCommand = ctx.name;
  return reply;
}

/** FUNCTION LOAD [REPLACE] code. */
const functionLoad: CommandHandler = (ctx) => {
  let replace = false;
  for (const option of ctx.args.slice(2, -1)) {
    if (!isKeyword(option, 'replace')) return error(`ERR Unknown option given: ${cString(option)}`);
    replace = true;
  }
  if (ctx.args.length < 3) return error('ERR Function code is missing');
  return ctx.server.scripting.functions.load(ctx.args[ctx.args.length - 1], replace);
};

const functionDelete: CommandHandler = (ctx) => (ctx.server.scripting.functions.delete(text(ctx.args[2])) ? OK : error('ERR Library not found'));

const functionFlush: CommandHandler = (ctx) => {
  if (!validFlushMode(ctx)) return error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  ctx.server.scripting.functions.flush();
  return OK;
};

/** DEBUG SET-DISABLE-DENY-SCRIPTS 0|1: whether scripts may run commands flagged noscript (Redis's test suite uses it). */
const debug: CommandHandler = (ctx) => {
  if (ctx.args.length === 3 && isKeyword(ctx.args[1], 'set-disable-deny-scripts')) {
    const value = parseLongLong(ctx.args[2]);
    if (value === null) return Errors.notInteger;
    ctx.server.scripting.runner.allowNoscript = value !== 0n;
    return OK;
  }
  return error(`ERR unknown subcommand or wrong number of arguments for '${cString(ctx.args[1], 128)}'. Try ${upperAscii(text(ctx.args[0]))} HELP.`);
};

/** SCRIPT FLUSH / FUNCTION FLUSH [ASYNC|SYNC]: both flush at once here. */
function validFlushMode(ctx: CommandContext): boolean {
  return ctx.args.length === 2 || (ctx.args.length === 3 && (isKeyword(ctx.args[2], 'sync') || isKeyword(ctx.args[2], 'async')));
}

const scriptLoad: CommandHandler = (ctx) => {
  const loaded = ctx.server.scripting.scripts.load(ctx.args[2]);
  return 'error' in loaded ? loaded.error : bulk(loaded.sha);
};

const scriptExists: CommandHandler = (ctx) => array(ctx.args.slice(2).map((sha) => integer(ctx.server.scripting.scripts.has(text(sha)) ? 1 : 0)));

const scriptFlush: CommandHandler = (ctx) => {
  if (!validFlushMode(ctx)) return error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  ctx.server.scripting.scripts.flush();
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
  fcall: (ctx) => fcall(ctx, false),
  fcall_ro: (ctx) => fcall(ctx, true),
  'function|load': functionLoad,
  'function|delete': functionDelete,
  'function|flush': functionFlush,
  'function|kill': () => NOT_BUSY,
  debug,
};
