/**
 * Running one script (EVAL's or a function), and the `redis` API it calls. A script runs
 * synchronously inside the command that started it, so no other client's command runs meanwhile
 * (atomic, as in Redis); its redis.call goes through the store's own Store.run with the caller's
 * session, so writes touch WATCHed keys and tracking as the same commands outside a script do,
 * and reads are remembered for the caller's tracking.
 */
import { createHash } from 'node:crypto';
import fengari, { type LuaCFunction, type LuaState } from 'fengari';
import type { Server } from '../command-context.js';
import { countedError, error, type Reply } from '../reply.js';
import type { Session } from '../session.js';
import { IGNORE_ERROR_STATS, popReply, pushErrorTable, pushReply } from './conversions.js';
import { createSandbox, type Sandbox } from './lua-sandbox.js';
import { formatG } from '../printf-g.js';
import { pushBytes, toBuffer, toText } from './lua-values.js';

const { lua } = fengari;
const luaString = fengari.to_luastring;

/**
 * The default time limit: Redis's lua-time-limit. Redis answers other clients BUSY past it and
 * lets them SCRIPT KILL a script that has not written; the embedded store serves nobody while a
 * script runs, so it stops such a script itself at this point. A script that has written runs to
 * its end, as in Redis (where only SHUTDOWN NOSAVE stops it).
 */
export const SCRIPT_TIME_LIMIT_MS = 5000;
/** How often (in Lua instructions) the time limit is checked, as Redis's count hook. */
const HOOK_INSTRUCTIONS = 100_000;
const LOG_LEVELS = { LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3 } as const;
const REPL = { REPL_NONE: 0, REPL_AOF: 1, REPL_SLAVE: 2, REPL_REPLICA: 2, REPL_ALL: 3 } as const;
/** The flags a script (shebang) or function (register_function) may declare. */
export const SCRIPT_FLAGS: ReadonlySet<string> = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

/**
 * Refused inside scripts even after DEBUG SET-DISABLE-DENY-SCRIPTS 1: a script inside a script, a
 * transaction, a subscription or a blocked client inside a script would corrupt the caller's state
 * here (Redis's own test suite calls none of them from a script).
 */
const NEVER_IN_SCRIPTS: ReadonlySet<string> = new Set([
  'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro', 'script', 'function', 'multi', 'exec', 'discard',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'quit', 'reset', 'hello',
]);

export function sha1hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** What a command asks to run: the compiled function's registry reference in `sandbox`, and how. */
export interface RunRequest {
  readonly sandbox: Sandbox;
  readonly ref: number;
  /** EVAL's scripts take KEYS and ARGV as globals; functions as their two arguments. */
  readonly mode: 'eval' | 'function';
  /** For error replies: the script's SHA1, or the function's name. */
  readonly name: string;
  readonly server: Server;
  readonly session: Session;
  readonly keys: readonly Buffer[];
  readonly args: readonly Buffer[];
  /** Writes are refused (EVAL_RO, FCALL_RO, no-writes). */
  readonly readOnly: boolean;
}

/** One script being run. */
interface Run {
  readonly server: Server;
  readonly session: Session;
  readonly readOnly: boolean;
  readonly startedAt: number;
  /** A write command ran (Redis's SCRIPT_WRITE_DIRTY): past the time limit, the script is not killed. */
  wrote: boolean;
  /** redis.setresp: the protocol of redis.call's replies and of the script's own reply. */
  resp: 2 | 3;
}

export class ScriptRunner {
  private current: Run | undefined;

  /**
   * `timeLimit`: ms a script may run without writing before it is stopped; 0: never stopped
   * (CONFIG SET busy-reply-threshold / lua-time-limit change it).
   */
  constructor(public timeLimit: number) {}

  /** Commands flagged noscript may run inside scripts (DEBUG SET-DISABLE-DENY-SCRIPTS 1). */
  allowNoscript = false;

  /** Whether a script is running now (its commands may not block: Redis's CLIENT_DENY_BLOCKING). */
  get running(): boolean {
    return this.current !== undefined;
  }

  /** A fresh Lua state with the `redis` API, its calls served by this runner. */
  newSandbox(): Sandbox {
    return createSandbox((L) => this.openRedis(L));
  }

  run(request: RunRequest): Reply {
    const { sandbox, server, session } = request;
    const { L, errorHandlerRef, globalsRef } = sandbox;
    const db = session.db;
    const run: Run = { server, session, readOnly: request.readOnly, startedAt: server.clock(), wrote: false, resp: 2 };
    this.current = run;
    server.freezeClock(run.startedAt);
    try {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, errorHandlerRef);
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, request.ref);
      let argc = 0;
      if (request.mode === 'eval') {
        lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, globalsRef);
        pushArray(L, request.keys);
        lua.lua_setfield(L, -2, luaString('KEYS'));
        pushArray(L, request.args);
        lua.lua_setfield(L, -2, luaString('ARGV'));
        lua.lua_pop(L, 1);
      } else {
        pushArray(L, request.keys);
        pushArray(L, request.args);
        argc = 2;
      }
      if (this.timeLimit > 0) lua.lua_sethook(L, this.timeLimitHook, lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
      const status = lua.lua_pcall(L, argc, 1, -(argc + 2));
      lua.lua_sethook(L, null, 0, 0);
      return status === lua.LUA_OK ? popReply(L, run.resp) : failure(L, request.name);
    } finally {
      lua.lua_settop(L, 0);
      server.freezeClock(undefined);
      this.current = undefined;
      // SELECT inside a script changes the script's database only (Redis 7).
      session.db = db;
    }
  }

  // ---------------------------------------------------------------- the time limit

  private readonly timeLimitHook = (L: LuaState): void => {
    const run = this.current;
    if (run === undefined || run.wrote || run.server.clock() - run.startedAt < this.timeLimit) return;
    // Every line from now on, so that a pcall in the script cannot swallow the error for good.
    lua.lua_sethook(L, this.timeLimitHook, lua.LUA_MASKLINE, 0);
    pushErrorTable(L, `Script killed after ${this.timeLimit} ms without a write: the embedded store serves no other client while a script runs`);
    lua.lua_error(L);
  };

  // ---------------------------------------------------------------- the redis table

  private openRedis(L: LuaState): void {
    const functions: Record<string, LuaCFunction> = {
      call: (L) => this.command(L, true),
      pcall: (L) => this.command(L, false),
      sha1hex: (L) => {
        if (lua.lua_gettop(L) !== 1) return raiseErrorTable(L, 'wrong number of arguments');
        pushBytes(L, luaString(sha1hex(toBuffer(L, 1) ?? Buffer.alloc(0))));
        return 1;
      },
      error_reply: (L) => {
        if (!oneString(L)) return 1;
        const message = toText(L, 1)!;
        pushErrorTable(L, message.startsWith('-') ? message : `-${message}`);
        return 1;
      },
      status_reply: (L) => {
        if (!oneString(L)) return 1;
        lua.lua_createtable(L, 0, 1);
        lua.lua_pushvalue(L, 1);
        lua.lua_setfield(L, -2, luaString('ok'));
        return 1;
      },
      log: (L) => {
        const argc = lua.lua_gettop(L);
        if (argc < 2) return raiseErrorTable(L, 'redis.log() requires two arguments or more.');
        if (!lua.lua_isnumber(L, 1)) return raiseErrorTable(L, 'First argument must be a number (log level).');
        const level = lua.lua_tonumber(L, 1);
        if (level < LOG_LEVELS.LOG_DEBUG || level > LOG_LEVELS.LOG_WARNING) return raiseErrorTable(L, 'Invalid debug level.');
        // The embedded store keeps no server log; the call is checked as Redis checks it.
        return 0;
      },
      setresp: (L) => {
        const run = this.current;
        if (run === undefined) return raiseErrorTable(L, 'redis.setresp can only be called inside a script invocation');
        if (lua.lua_gettop(L) !== 1) return raiseErrorTable(L, 'redis.setresp() requires one argument.');
        const resp = Math.trunc(lua.lua_tonumber(L, 1));
        if (resp !== 2 && resp !== 3) return raiseErrorTable(L, 'RESP version must be 2 or 3.');
        run.resp = resp;
        return 0;
      },
      set_repl: (L) => {
        if (this.current === undefined) return raiseErrorTable(L, 'redis.set_repl can only be called inside a script invocation');
        if (lua.lua_gettop(L) !== 1) return raiseErrorTable(L, 'redis.set_repl() requires two arguments.');
        const flags = Math.trunc(lua.lua_tonumber(L, -1));
        if ((flags & ~REPL.REPL_ALL) !== 0) return raiseErrorTable(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
        // Nothing is replicated from the embedded store: the flags are checked, and have nothing to steer.
        return 0;
      },
      replicate_commands: (L) => {
        lua.lua_pushboolean(L, true);
        return 1;
      },
      // The script debugger (SCRIPT DEBUG) is not there: breakpoint() says so, debug() prints nowhere.
      breakpoint: (L) => {
        lua.lua_pushboolean(L, false);
        return 1;
      },
      debug: () => 0,
    };
    lua.lua_createtable(L, 0, 32);
    for (const [name, fn] of Object.entries(functions)) {
      lua.lua_pushcfunction(L, fn);
      lua.lua_setfield(L, -2, luaString(name));
    }
    for (const [name, value] of [...Object.entries(LOG_LEVELS), ...Object.entries(REPL)]) {
      lua.lua_pushinteger(L, value);
      lua.lua_setfield(L, -2, luaString(name));
    }
    lua.lua_pushinteger(L, 0x07000f);
    lua.lua_setfield(L, -2, luaString('REDIS_VERSION_NUM'));
    lua.lua_pushstring(L, luaString('7.0.15'));
    lua.lua_setfield(L, -2, luaString('REDIS_VERSION'));
  }

  /** redis.call (raise) and redis.pcall (luaRedisGenericCommand + scriptCall). */
  private command(L: LuaState, raise: boolean): number {
    const run = this.current;
    if (run === undefined) return raiseErrorTable(L, 'redis.call/pcall can only be called inside a script invocation');
    const argc = lua.lua_gettop(L);
    if (argc === 0) return fail(L, raise, 'Please specify at least one argument for this redis lib call');
    const args: Buffer[] = [];
    for (let j = 1; j <= argc; j++) {
      // Numbers as %.17g: Lua's own conversion would lose precision (and add ".0" in Lua 5.3).
      const arg = lua.lua_type(L, j) === lua.LUA_TNUMBER ? Buffer.from(formatG(lua.lua_tonumber(L, j), 17)) : toBuffer(L, j);
      if (arg === null) return fail(L, raise, 'Lua redis lib command arguments must be strings or integers');
      args.push(arg);
    }
    lua.lua_settop(L, 0);
    const refusal = this.refusal(run, args);
    if (refusal !== undefined) return fail(L, raise, refusal);
    const reply = run.server.run(run.session, args);
    pushReply(L, reply, run.resp);
    return raise && reply.kind === 'error' ? lua.lua_error(L) : 1;
  }

  /** Why a script may not run this command (scriptCall's checks, in its order), if it may not. */
  private refusal(run: Run, args: readonly Buffer[]): string | undefined {
    const spec = run.server.specFor(args);
    if (spec === undefined) return 'Unknown Redis command called from script';
    if ((spec.arity > 0 && args.length !== spec.arity) || args.length < -spec.arity) return 'Wrong number of args calling Redis command from script';
    const noscript = spec.flags.includes('noscript');
    if (noscript && (!this.allowNoscript || NEVER_IN_SCRIPTS.has(spec.name.split('|')[0]) || spec.flags.includes('blocking'))) {
      return 'This Redis command is not allowed from script';
    }
    const writes = spec.flags.includes('write');
    if (run.readOnly && (writes || spec.flags.includes('may_replicate'))) return 'Write commands are not allowed from read-only scripts.';
    if (writes) run.wrote = true;
    return undefined;
  }
}

/** The reply for a script that raised an error (luaCallFunction), the error on top of the stack. */
function failure(L: LuaState, name: string): Reply {
  if (!lua.lua_istable(L, -1)) {
    const message = lua.lua_isstring(L, -1) ? toText(L, -1)! : 'execution failure';
    return error(`ERR Error running script ${name}, ${message.slice(0, 100)}`);
  }
  const field = (key: string): string | undefined => {
    lua.lua_getfield(L, -1, luaString(key));
    const value = lua.lua_isstring(L, -1) ? toText(L, -1)! : undefined;
    lua.lua_pop(L, 1);
    return value;
  };
  const message = field('err') ?? '';
  const source = field('source');
  const line = field('line');
  lua.lua_getfield(L, -1, luaString(IGNORE_ERROR_STATS));
  const counted = lua.lua_toboolean(L, -1);
  lua.lua_pop(L, 1);
  const where = source !== undefined && line !== undefined ? ` script: ${name}, on ${source}:${line}.` : '';
  const text = `${message}${where}`.replace(/[\r\n]/g, ' ');
  return counted ? countedError(text) : error(text);
}

/** error_reply/status_reply take one string; else they return (not raise) an error table, as Redis's do. */
function oneString(L: LuaState): boolean {
  if (lua.lua_gettop(L) === 1 && lua.lua_type(L, 1) === lua.LUA_TSTRING) return true;
  pushErrorTable(L, 'wrong number or type of arguments');
  return false;
}

function fail(L: LuaState, raise: boolean, message: string): number {
  lua.lua_settop(L, 0);
  pushErrorTable(L, message);
  return raise ? lua.lua_error(L) : 1;
}

export function raiseErrorTable(L: LuaState, message: string): number {
  pushErrorTable(L, message);
  return lua.lua_error(L);
}

function pushArray(L: LuaState, items: readonly Buffer[]): void {
  lua.lua_createtable(L, items.length, 0);
  items.forEach((item, i) => {
    pushBytes(L, item);
    lua.lua_rawseti(L, -2, i + 1);
  });
}
