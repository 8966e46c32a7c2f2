/**
 * EVAL's engine: the scripts cache (by SHA1), the Lua state (fengari, see lua-sandbox.ts), the
 * `redis` API a script calls, and one script's run. A script runs synchronously inside the
 * command that started it, so no other client's command runs meanwhile (atomic, as in Redis); its
 * redis.call goes through the store's own Store.run with the caller's session, so writes touch
 * WATCHed keys and tracking as the same commands outside a script do, and reads are remembered
 * for the caller's tracking.
 */
import { createHash } from 'node:crypto';
import fengari, { type LuaCFunction, type LuaState } from 'fengari';
import type { Server } from '../command-context.js';
import { error, type Reply } from '../reply.js';
import type { Session } from '../session.js';
import { popReply, pushErrorTable, pushReply } from './conversions.js';
import { createSandbox, type Sandbox } from './lua-sandbox.js';
import { formatG, pushBytes, toBuffer, toText } from './lua-values.js';

const { lua, lauxlib } = fengari;
const luaString = fengari.to_luastring;

/**
 * Redis's lua-time-limit. Redis answers other clients BUSY past it and lets them SCRIPT KILL a
 * script that has not written; the embedded store serves nobody while a script runs, so it kills
 * such a script itself at this point. A script that has written runs to its end, as in Redis
 * (where only SHUTDOWN NOSAVE stops it).
 */
export const SCRIPT_TIME_LIMIT_MS = 5000;
/** How often (in Lua instructions) the time limit is checked, as Redis's count hook. */
const HOOK_INSTRUCTIONS = 100_000;
const FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);
const LOG_LEVELS = { LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3 } as const;
const REPL = { REPL_NONE: 0, REPL_AOF: 1, REPL_SLAVE: 2, REPL_REPLICA: 2, REPL_ALL: 3 } as const;

interface CachedScript {
  /** Registry reference of the compiled function. */
  readonly ref: number;
  /** Had a `#!lua` line: its flags apply (else Redis's compatibility mode). */
  readonly shebang: boolean;
  readonly noWrites: boolean;
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

export interface EvalRequest {
  readonly server: Server;
  readonly session: Session;
  readonly sha: string;
  readonly keys: readonly Buffer[];
  readonly args: readonly Buffer[];
  /** EVAL_RO / EVALSHA_RO. */
  readonly readOnlyCommand: boolean;
  /** The clock, for the time limit. */
  readonly now: () => number;
}

export function sha1hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

export class ScriptEngine {
  private sandbox: Sandbox | undefined;
  private readonly scripts = new Map<string, CachedScript>();
  private current: (Run & { now: () => number }) | undefined;

  get cachedScripts(): number {
    return this.scripts.size;
  }

  /** Bytes the Lua heap holds, as fengari counts them (INFO's used_memory_lua). */
  get memory(): number {
    return this.sandbox === undefined ? 0 : lua.lua_gc(this.sandbox.L, lua.LUA_GCCOUNT, 0) * 1024 + lua.lua_gc(this.sandbox.L, lua.LUA_GCCOUNTB, 0);
  }

  has(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  /** SCRIPT FLUSH: every script forgotten, and a fresh Lua state. */
  flush(): void {
    this.scripts.clear();
    this.sandbox = undefined;
  }

  /** Compiles and caches `body` (EVAL, SCRIPT LOAD); its SHA1, or the error Redis replies. */
  load(body: Buffer): { sha: string } | { error: Reply } {
    const sha = sha1hex(body);
    if (this.scripts.has(sha)) return { sha };
    const shebang = parseShebang(body);
    if ('error' in shebang) return { error: error(`ERR ${shebang.error}`) };
    const L = this.state().L;
    // The shebang line is skipped but its line feed kept, so line numbers stay the user's.
    const code = body.subarray(shebang.length);
    if (lauxlib.luaL_loadbufferx(L, code, code.length, luaString('@user_script'), luaString('t')) !== lua.LUA_OK) {
      const message = toText(L, -1) ?? '';
      lua.lua_pop(L, 1);
      return { error: error(`ERR Error compiling script (new function): ${message}`) };
    }
    const ref: number = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.scripts.set(sha, { ref, shebang: shebang.flags !== undefined, noWrites: shebang.flags?.has('no-writes') ?? false });
    return { sha };
  }

  /** Runs a cached script; NOSCRIPT if there is none by that SHA1. */
  evaluate(request: EvalRequest): Reply {
    const script = this.scripts.get(request.sha.toLowerCase());
    if (script === undefined) return error('NOSCRIPT No matching script. Please use EVAL.');
    if (script.shebang && !script.noWrites && request.readOnlyCommand) return error('ERR Can not run script with write flag on readonly command');
    const { L, errorHandlerRef, globalsRef } = this.state();
    const { session } = request;
    const db = session.db;
    this.current = {
      server: request.server,
      session,
      readOnly: request.readOnlyCommand || script.noWrites,
      startedAt: request.now(),
      wrote: false,
      resp: 2,
      now: request.now,
    };
    request.server.freezeClock(this.current.startedAt);
    try {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, errorHandlerRef);
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, globalsRef);
      pushArray(L, request.keys);
      lua.lua_setfield(L, -2, luaString('KEYS'));
      pushArray(L, request.args);
      lua.lua_setfield(L, -2, luaString('ARGV'));
      lua.lua_pop(L, 1);
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, script.ref);
      lua.lua_sethook(L, this.timeLimitHook, lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
      const status = lua.lua_pcall(L, 0, 1, -2);
      lua.lua_sethook(L, null, 0, 0);
      return status === lua.LUA_OK ? popReply(L, this.current.resp) : this.failure(L, request.sha.toLowerCase());
    } finally {
      lua.lua_settop(L, 0);
      request.server.freezeClock(undefined);
      this.current = undefined;
      // SELECT inside a script changes the script's database only (Redis 7).
      session.db = db;
    }
  }

  /** The reply for a script that raised an error (luaCallFunction), the error popped. */
  private failure(L: LuaState, sha: string): Reply {
    if (!lua.lua_istable(L, -1)) {
      const message = lua.lua_isstring(L, -1) ? toText(L, -1)! : 'execution failure';
      return error(`ERR Error running script ${sha}, ${message.slice(0, 100)}`);
    }
    const field = (name: string): string | undefined => {
      lua.lua_getfield(L, -1, luaString(name));
      const value = lua.lua_isstring(L, -1) ? toText(L, -1)! : undefined;
      lua.lua_pop(L, 1);
      return value;
    };
    const message = field('err') ?? '';
    const source = field('source');
    const line = field('line');
    const where = source !== undefined && line !== undefined ? ` script: ${sha}, on ${source}:${line}.` : '';
    return error(`${message}${where}`.replace(/[\r\n]/g, ' '));
  }

  private state(): Sandbox {
    this.sandbox ??= createSandbox((L) => this.openRedis(L));
    return this.sandbox;
  }

  // ---------------------------------------------------------------- the time limit

  private readonly timeLimitHook = (L: LuaState): void => {
    const run = this.current;
    if (run === undefined || run.wrote || run.now() - run.startedAt < SCRIPT_TIME_LIMIT_MS) return;
    // Every line from now on, so that a pcall in the script cannot swallow the error for good.
    lua.lua_sethook(L, this.timeLimitHook, lua.LUA_MASKLINE, 0);
    pushErrorTable(L, `Script killed after ${SCRIPT_TIME_LIMIT_MS} ms without a write: the embedded store serves no other client while a script runs`);
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
        if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
          pushErrorTable(L, 'wrong number or type of arguments');
          return 1;
        }
        const message = toText(L, 1)!;
        pushErrorTable(L, message.startsWith('-') ? message : `-${message}`);
        return 1;
      },
      status_reply: (L) => {
        if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
          pushErrorTable(L, 'wrong number or type of arguments');
          return 1;
        }
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
        // The embedded store keeps no server log; the message is checked and dropped.
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
    if (argc === 0) return this.fail(L, raise, 'Please specify at least one argument for this redis lib call');
    const args: Buffer[] = [];
    for (let j = 1; j <= argc; j++) {
      // Numbers as %.17g: Lua's own conversion would lose precision (and add ".0" in Lua 5.3).
      const arg = lua.lua_type(L, j) === lua.LUA_TNUMBER ? Buffer.from(formatG(lua.lua_tonumber(L, j), 17)) : toBuffer(L, j);
      if (arg === null) return this.fail(L, raise, 'Lua redis lib command arguments must be strings or integers');
      args.push(arg);
    }
    lua.lua_settop(L, 0);
    const refusal = this.refusal(run, args);
    if (refusal !== undefined) return this.fail(L, raise, refusal);
    const reply = run.server.run(run.session, args);
    pushReply(L, reply, run.resp);
    return raise && reply.kind === 'error' ? lua.lua_error(L) : 1;
  }

  /** Why a script may not run this command (scriptCall's checks, in its order), if it may not. */
  private refusal(run: Run, args: readonly Buffer[]): string | undefined {
    const spec = run.server.specFor(args);
    if (spec === undefined) return 'Unknown Redis command called from script';
    if ((spec.arity > 0 && args.length !== spec.arity) || args.length < -spec.arity) return 'Wrong number of args calling Redis command from script';
    if (spec.flags.includes('noscript')) return 'This Redis command is not allowed from script';
    const writes = spec.flags.includes('write');
    if (run.readOnly && (writes || spec.flags.includes('may_replicate'))) return 'Write commands are not allowed from read-only scripts.';
    if (writes) run.wrote = true;
    return undefined;
  }

  private fail(L: LuaState, raise: boolean, message: string): number {
    lua.lua_settop(L, 0);
    pushErrorTable(L, message);
    return raise ? lua.lua_error(L) : 1;
  }
}

function raiseErrorTable(L: LuaState, message: string): number {
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

/**
 * A `#!lua [flags=a,b]` first line (evalExtractShebangFlags): its length (the line feed excluded)
 * and flags, or the error. No shebang: length 0, no flags (compatibility mode).
 */
function parseShebang(body: Buffer): { length: number; flags: Set<string> | undefined } | { error: string } {
  if (body[0] !== 0x23 || body[1] !== 0x21) return { length: 0, flags: undefined };
  const end = body.indexOf(0x0a);
  if (end < 0) return { error: 'Invalid script shebang' };
  const parts = body.subarray(0, end).toString('latin1').trim().split(/\s+/);
  if (parts[0] !== '#!lua') return { error: `Unexpected engine in script shebang: ${parts[0]}` };
  const flags = new Set<string>();
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return { error: `Unknown lua shebang option: ${part}` };
    for (const flag of part.slice(6).split(',')) {
      if (flag === '') continue;
      if (!FLAGS.has(flag)) return { error: `Unexpected flag in script shebang: ${flag}` };
      flags.add(flag);
    }
  }
  return { length: end, flags };
}
