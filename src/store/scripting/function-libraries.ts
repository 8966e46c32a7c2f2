/**
 * Redis 7 functions (functions.c, function_lua.c), as far as FUNCTION LOAD / DELETE / FLUSH and
 * FCALL / FCALL_RO go: a library's code (`#!lua name=lib` first) runs once at load in its own Lua
 * state and registers its functions with redis.register_function; FCALL runs one with
 * (KEYS, ARGV). Library and function names are case-insensitive, as in Redis. Not kept: FUNCTION
 * LIST, DUMP, RESTORE, STATS (and the functions do not survive a restart: the store persists nothing).
 */
import fengari, { type LuaCFunction, type LuaState } from 'fengari';
import { error, type Reply } from '../reply.js';
import type { Sandbox } from './lua-sandbox.js';
import { toText } from './lua-values.js';
import { raiseErrorTable, SCRIPT_FLAGS, type RunRequest, type ScriptRunner } from './script-runner.js';

const { lua, lauxlib } = fengari;
const luaString = fengari.to_luastring;

const NAME = /^[A-Za-z0-9_]+$/;

interface RegisteredFunction {
  readonly name: string;
  readonly library: string;
  /** Registry reference of the callback. */
  readonly ref: number;
  readonly noWrites: boolean;
}

export type FcallRequest = Omit<RunRequest, 'sandbox' | 'ref' | 'mode' | 'name' | 'readOnly'> & {
  readonly name: string;
  /** FCALL_RO. */
  readonly readOnlyCommand: boolean;
};

export class FunctionLibraries {
  private sandbox: Sandbox | undefined;
  /** Function names by library, keyed by lower-case library name. */
  private readonly libraries = new Map<string, string[]>();
  /** Keyed by lower-case function name. */
  private readonly functions = new Map<string, RegisteredFunction>();

  constructor(private readonly runner: ScriptRunner) {}

  /** FUNCTION LOAD: the library's name, or the error Redis replies. */
  load(code: Buffer, replace: boolean): Reply {
    const metadata = parseMetadata(code);
    if ('error' in metadata) return error(`ERR ${metadata.error}`);
    const library = metadata.name;
    if (this.libraries.has(library.toLowerCase()) && !replace) return error(`ERR Library '${library}' already exists`);
    this.sandbox ??= this.runner.newSandbox();
    const registered = this.register(this.sandbox, code.subarray(metadata.length), library);
    if ('error' in registered) return error(`ERR ${registered.error}`);
    if (registered.functions.length === 0) return error('ERR No functions registered');
    const clash = registered.functions.find((f) => {
      const existing = this.functions.get(f.name.toLowerCase());
      return existing !== undefined && existing.library.toLowerCase() !== library.toLowerCase();
    });
    if (clash !== undefined) {
      for (const f of registered.functions) lauxlib.luaL_unref(this.sandbox.L, lua.LUA_REGISTRYINDEX, f.ref);
      return error(`ERR Function ${clash.name} already exists`);
    }
    this.delete(library);
    this.libraries.set(library.toLowerCase(), registered.functions.map((f) => f.name));
    for (const f of registered.functions) this.functions.set(f.name.toLowerCase(), f);
    return { kind: 'bulk', value: library };
  }

  /** FUNCTION DELETE: false if there is no such library. */
  delete(library: string): boolean {
    const names = this.libraries.get(library.toLowerCase());
    if (names === undefined) return false;
    for (const name of names) {
      const f = this.functions.get(name.toLowerCase())!;
      lauxlib.luaL_unref(this.sandbox!.L, lua.LUA_REGISTRYINDEX, f.ref);
      this.functions.delete(name.toLowerCase());
    }
    this.libraries.delete(library.toLowerCase());
    return true;
  }

  /** FUNCTION FLUSH: every library gone, and a fresh Lua state. */
  flush(): void {
    this.libraries.clear();
    this.functions.clear();
    this.sandbox = undefined;
  }

  get functionCount(): number {
    return this.functions.size;
  }

  get libraryCount(): number {
    return this.libraries.size;
  }

  has(name: string): boolean {
    return this.functions.has(name.toLowerCase());
  }

  call(request: FcallRequest): Reply {
    const f = this.functions.get(request.name.toLowerCase());
    if (f === undefined || this.sandbox === undefined) return error('ERR Function not found');
    if (!f.noWrites && request.readOnlyCommand) return error('ERR Can not execute a script with write flag using *_ro command.');
    return this.runner.run({ ...request, sandbox: this.sandbox, ref: f.ref, mode: 'function', name: f.name, readOnly: request.readOnlyCommand || f.noWrites });
  }

  /** Runs the library's code with redis.register_function available; the functions it registered. */
  private register(sandbox: Sandbox, code: Buffer, library: string): { functions: RegisteredFunction[] } | { error: string } {
    const { L, redisRef } = sandbox;
    if (lauxlib.luaL_loadbufferx(L, code, code.length, luaString('@user_function'), luaString('t')) !== lua.LUA_OK) {
      const message = toText(L, -1) ?? '';
      lua.lua_settop(L, 0);
      return { error: `Error compiling function: ${message}` };
    }
    const functions: RegisteredFunction[] = [];
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, redisRef);
    lua.lua_pushcfunction(L, registerFunction(library, functions));
    lua.lua_setfield(L, -2, luaString('register_function'));
    lua.lua_pop(L, 1);
    const status = lua.lua_pcall(L, 0, 0, 0);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, redisRef);
    lua.lua_pushnil(L);
    lua.lua_setfield(L, -2, luaString('register_function'));
    lua.lua_pop(L, 1);
    if (status === lua.LUA_OK) {
      lua.lua_settop(L, 0);
      return { functions };
    }
    let message = 'unknown error';
    if (lua.lua_istable(L, -1)) {
      lua.lua_getfield(L, -1, luaString('err'));
      message = toText(L, -1) ?? message;
    } else {
      message = toText(L, -1) ?? message;
    }
    lua.lua_settop(L, 0);
    for (const f of functions) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, f.ref);
    return { error: `Error registering functions: ${message}` };
  }
}

/** redis.register_function(name, callback) or redis.register_function{function_name=, callback=, flags=, description=}. */
function registerFunction(library: string, functions: RegisteredFunction[]): LuaCFunction {
  return (L) => {
    const argc = lua.lua_gettop(L);
    let name: string | undefined;
    let flags: string[] = [];
    if (argc === 1) {
      if (!lua.lua_istable(L, 1)) return raiseErrorTable(L, 'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      const named = readNamedArguments(L);
      if (typeof named === 'string') return raiseErrorTable(L, named);
      ({ name, flags } = named);
    } else if (argc === 2) {
      if (lua.lua_type(L, 1) !== lua.LUA_TSTRING) return raiseErrorTable(L, 'first argument to redis.register_function must be a string');
      if (!lua.lua_isfunction(L, 2)) return raiseErrorTable(L, 'second argument to redis.register_function must be a function');
      name = toText(L, 1)!;
    } else {
      return raiseErrorTable(L, 'wrong number of arguments to redis.register_function');
    }
    // The callback is on top of the stack now.
    if (!NAME.test(name)) return raiseErrorTable(L, 'Function names can only contain letters, numbers, or underscores(_) and must be at least one character long');
    if (functions.some((f) => f.name.toLowerCase() === name!.toLowerCase())) return raiseErrorTable(L, 'Function already exists in the library');
    const ref: number = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    functions.push({ name, library, ref, noWrites: flags.includes('no-writes') });
    return 0;
  };
}

/** The named form's fields; the callback left on top of the stack. A string is the error. */
function readNamedArguments(L: LuaState): { name: string; flags: string[] } | string {
  let name: string | undefined;
  let hasCallback = false;
  const flags: string[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1) !== 0) {
    const key = lua.lua_type(L, -2) === lua.LUA_TSTRING ? toText(L, -2) : null;
    if (key === 'function_name') {
      if (lua.lua_type(L, -1) !== lua.LUA_TSTRING) return 'function_name argument given to redis.register_function must be a string';
      name = toText(L, -1)!;
    } else if (key === 'callback') {
      if (!lua.lua_isfunction(L, -1)) return 'callback argument given to redis.register_function must be a function';
      hasCallback = true;
    } else if (key === 'description') {
      if (lua.lua_type(L, -1) !== lua.LUA_TSTRING) return 'description argument given to redis.register_function must be a string';
    } else if (key === 'flags') {
      if (!lua.lua_istable(L, -1)) return 'flags argument to redis.register_function must be a table representing function flags';
      for (let i = 1; ; i++) {
        lua.lua_rawgeti(L, -1, i);
        if (lua.lua_isnil(L, -1)) {
          lua.lua_pop(L, 1);
          break;
        }
        const flag = lua.lua_type(L, -1) === lua.LUA_TSTRING ? toText(L, -1)! : '';
        lua.lua_pop(L, 1);
        if (!SCRIPT_FLAGS.has(flag)) return 'unknown flag given';
        flags.push(flag);
      }
    } else {
      return 'unknown argument given to redis.register_function';
    }
    lua.lua_pop(L, 1);
  }
  if (name === undefined) return 'redis.register_function must get a function name argument';
  if (!hasCallback) return 'redis.register_function must get a callback argument';
  lua.lua_getfield(L, 1, luaString('callback'));
  return { name, flags };
}

/** `#!<engine> name=<library>` (functionExtractLibMetaData): the library's name and the line's length. */
function parseMetadata(code: Buffer): { name: string; length: number } | { error: string } {
  if (code[0] !== 0x23 || code[1] !== 0x21) return { error: 'Missing library metadata' };
  let end = code.indexOf(0x0a);
  if (end < 0) end = code.length;
  const parts = code.subarray(2, end).toString('latin1').trim().split(/\s+/);
  const engine = parts[0];
  let name: string | undefined;
  for (const part of parts.slice(1)) {
    if (part.startsWith('name=')) name = part.slice(5);
    else return { error: `Invalid metadata value given: ${part}` };
  }
  if (name === undefined) return { error: 'Library name was not given' };
  if (engine.toLowerCase() !== 'lua') return { error: `Engine '${engine}' not found` };
  if (!NAME.test(name)) return { error: 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long' };
  return { name, length: end };
}
