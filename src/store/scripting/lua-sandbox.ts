/**
 * A Lua state set up as Redis 7.0 sets up its own (script_lua.c, eval.c): the libraries Redis loads
 * (base, table, string, math, coroutine, cjson, cmsgpack, bit; no io, os, package, print, dofile, loadfile),
 * Lua 5.1's `unpack` and `loadstring`, text chunks only, and read-only globals: reading a
 * nonexistent global and writing any global, or any field of a library, is an error worded as
 * Redis words it. Redis marks tables read-only inside its Lua VM; fengari has no such flag, so here
 * each protected table is an empty proxy whose metatable reads through to the real table and
 * refuses writes, and `setmetatable`/`rawset` refuse the proxies.
 */
import fengari, { type LuaCFunction, type LuaState } from 'fengari';
import { openBit } from './bit-library.js';
import { openCjson } from './cjson-library.js';
import { openCmsgpack } from './cmsgpack-library.js';

const { lua, lauxlib, lualib } = fengari;
const luaString = fengari.to_luastring;

/**
 * Redis 7.0's pcall error handler (eval.c): string errors become {err='ERR ...'}, with the caller's
 * position (past a library function: fengari calls those 'J', JavaScript, where C Lua says 'C').
 */
const ERROR_HANDLER = `local dbg = ...
return function(err)
  local i = dbg.getinfo(2, 'nSl')
  if i and (i.what == 'C' or i.what == 'J') then i = dbg.getinfo(3, 'nSl') end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end`;

const READONLY = 'Attempt to modify a readonly table';
const LIBRARIES = ['string', 'table', 'math', 'coroutine', 'cjson', 'bit', 'cmsgpack', 'redis'];

export interface Sandbox {
  readonly L: LuaState;
  /** Registry reference of the error handler to pass to lua_pcall. */
  readonly errorHandlerRef: number;
  /** Registry reference of the real globals table (KEYS and ARGV are set there). */
  readonly globalsRef: number;
  /** Registry reference of the real `redis` table (FUNCTION LOAD adds register_function there for its run). */
  readonly redisRef: number;
}

function raise(L: LuaState, message: string): number {
  return lauxlib.luaL_error(L, luaString(message));
}

/**
 * Builds the sandbox. `openRedis` pushes the `redis` table (the caller's API); JS errors thrown
 * inside a library function become script errors rather than escaping the VM.
 */
export function createSandbox(openRedis: (L: LuaState) => void): Sandbox {
  const L: LuaState = lauxlib.luaL_newstate();
  lua.lua_atnativeerror(L, (L: LuaState) => {
    const cause = lua.lua_touserdata(L, -1) as unknown;
    lua.lua_pushstring(L, luaString(cause instanceof Error ? cause.message : String(cause)));
    return 1;
  });
  const protectedTables = new Set<unknown>();

  for (const [name, open] of [
    ['_G', lualib.luaopen_base],
    ['table', lualib.luaopen_table],
    ['string', lualib.luaopen_string],
    ['math', lualib.luaopen_math],
    ['coroutine', lualib.luaopen_coroutine],
  ] as const) {
    lauxlib.luaL_requiref(L, luaString(name), open, 1);
    lua.lua_pop(L, 1);
  }
  lauxlib.luaL_requiref(L, luaString('debug'), lualib.luaopen_debug, 0);
  const debugIndex = lua.lua_gettop(L);

  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  const globals = lua.lua_gettop(L);
  for (const name of ['print', 'dofile', 'loadfile']) {
    lua.lua_pushnil(L);
    lua.lua_setfield(L, globals, luaString(name));
  }
  // Lua 5.1 names Redis scripts use.
  lua.lua_getfield(L, globals, luaString('table'));
  lua.lua_getfield(L, -1, luaString('unpack'));
  lua.lua_setfield(L, globals, luaString('unpack'));
  lua.lua_pop(L, 1);
  // load/loadstring take text only: Redis refuses precompiled chunks.
  lua.lua_getfield(L, globals, luaString('load'));
  lua.lua_pushcclosure(L, textOnlyLoad, 1);
  lua.lua_pushvalue(L, -1);
  lua.lua_setfield(L, globals, luaString('load'));
  lua.lua_setfield(L, globals, luaString('loadstring'));
  lua.lua_getfield(L, globals, luaString('string'));
  lua.lua_pushcfunction(L, boundedRep);
  lua.lua_setfield(L, -2, luaString('rep'));
  lua.lua_pop(L, 1);
  lua.lua_pushcfunction(L, redisPcall);
  lua.lua_setfield(L, globals, luaString('pcall'));
  for (const name of ['setmetatable', 'rawset']) {
    lua.lua_getfield(L, globals, luaString(name));
    lua.lua_pushcclosure(L, refusingProtected(protectedTables), 1);
    lua.lua_setfield(L, globals, luaString(name));
  }
  openCjson(L);
  lua.lua_setfield(L, globals, luaString('cjson'));
  openBit(L);
  lua.lua_setfield(L, globals, luaString('bit'));
  openCmsgpack(L);
  lua.lua_setfield(L, globals, luaString('cmsgpack'));
  openRedis(L);
  lua.lua_pushvalue(L, -1);
  const redisRef: number = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  lua.lua_setfield(L, globals, luaString('redis'));

  // The handler's chunk sees the real globals (loaded before they are swapped for the proxy).
  if (lauxlib.luaL_loadbufferx(L, luaString(ERROR_HANDLER), null, luaString('=error_handler'), luaString('t')) !== lua.LUA_OK) {
    throw new Error(`scripting: the error handler does not compile: ${lua.lua_tojsstring(L, -1)}`);
  }
  lua.lua_pushvalue(L, debugIndex);
  lua.lua_call(L, 1, 1);
  const errorHandlerRef: number = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);

  for (const name of LIBRARIES) {
    lua.lua_getfield(L, globals, luaString(name));
    pushReadonlyProxy(L, lua.lua_gettop(L), protectedTables, false);
    lua.lua_setfield(L, globals, luaString(name));
    lua.lua_pop(L, 1);
  }
  // Strings' metatable holds the real string library: scripts see a read-only stand-in for it.
  lua.lua_pushstring(L, luaString(''));
  lua.lua_getmetatable(L, -1);
  pushReadonlyMarker(L, protectedTables);
  lua.lua_setfield(L, -2, luaString('__metatable'));
  lua.lua_pop(L, 2);
  pushReadonlyProxy(L, globals, protectedTables, true);
  lua.lua_pushvalue(L, -1);
  lua.lua_setfield(L, globals, luaString('_G'));
  // From now on every chunk loaded gets the proxy as its globals.
  lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  const globalsRef: number = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  lua.lua_settop(L, 0);
  return { L, errorHandlerRef, globalsRef, redisRef };
}

/** The longest string string.rep builds: Redis's largest value (proto-max-bulk-len). */
const MAX_REP_BYTES = 512 * 1024 * 1024;

/**
 * string.rep(s, n) as Lua 5.1's (no separator), built by Buffer.fill rather than fengari's byte at
 * a time, and refused past MAX_REP_BYTES: one call runs without the time limit's checks, and an
 * unbounded one would take the process's memory.
 */
const boundedRep: LuaCFunction = (L) => {
  const piece = Buffer.from(lauxlib.luaL_checklstring(L, 1) as Uint8Array);
  const count = lauxlib.luaL_checkinteger(L, 2) as number;
  const total = count <= 0 ? 0 : piece.length * count;
  if (total > MAX_REP_BYTES) return raise(L, 'resulting string too large');
  lua.lua_pushstring(L, total === 0 ? Buffer.alloc(0) : Buffer.allocUnsafe(total).fill(piece));
  return 1;
};

/** Redis 7's pcall (luaRedisPcall): an error table from redis.call is caught as its message, as before Redis 7. */
const redisPcall: LuaCFunction = (L) => {
  lauxlib.luaL_checkany(L, 1);
  const argc = lua.lua_gettop(L);
  if (lua.lua_pcall(L, argc - 1, lua.LUA_MULTRET, 0) === lua.LUA_OK) {
    lua.lua_pushboolean(L, true);
    lua.lua_insert(L, 1);
    return lua.lua_gettop(L);
  }
  if (lua.lua_istable(L, -1)) {
    lua.lua_getfield(L, -1, luaString('err'));
    if (lua.lua_isstring(L, -1)) lua.lua_replace(L, -2);
    else lua.lua_pop(L, 1);
  }
  lua.lua_pushboolean(L, false);
  lua.lua_insert(L, -2);
  return 2;
};

const textOnlyLoad: LuaCFunction = (L) => {
  // load(chunk, chunkname, mode, env) with mode forced to 't'.
  lua.lua_settop(L, Math.max(lua.lua_gettop(L), 3));
  lua.lua_pushstring(L, luaString('t'));
  lua.lua_replace(L, 3);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_insert(L, 1);
  lua.lua_call(L, lua.lua_gettop(L) - 1, lua.LUA_MULTRET);
  return lua.lua_gettop(L);
};

function refusingProtected(protectedTables: Set<unknown>): LuaCFunction {
  return (L) => {
    // Raised without a position, as Redis's VM raises it inside setmetatable/rawset.
    if (protectedTables.has(lua.lua_topointer(L, 1))) {
      lua.lua_pushstring(L, luaString(READONLY));
      return lua.lua_error(L);
    }
    lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
    lua.lua_insert(L, 1);
    lua.lua_call(L, lua.lua_gettop(L) - 1, lua.LUA_MULTRET);
    return lua.lua_gettop(L);
  };
}

const refuseWrite: LuaCFunction = (L) => raise(L, READONLY);

/** Reads of a global that does not exist are errors (luaProtectedTableError). */
const globalOrError: LuaCFunction = (L) => {
  lua.lua_pushvalue(L, 2);
  lua.lua_rawget(L, lua.lua_upvalueindex(1));
  if (!lua.lua_isnil(L, -1)) return 1;
  const name = lua.lua_type(L, 2) === lua.LUA_TSTRING || lua.lua_type(L, 2) === lua.LUA_TNUMBER ? lua.lua_tojsstring(L, 2) : '?';
  return raise(L, `Script attempted to access nonexistent global variable '${name}'`);
};

/** An empty read-only table with the one metatable every protected table shows (itself protected). */
function pushReadonlyMarker(L: LuaState, protectedTables: Set<unknown>): void {
  lua.lua_createtable(L, 0, 0);
  lua.lua_createtable(L, 0, 2);
  lua.lua_pushcfunction(L, refuseWrite);
  lua.lua_setfield(L, -2, luaString('__newindex'));
  lua.lua_pushboolean(L, false);
  lua.lua_setfield(L, -2, luaString('__metatable'));
  lua.lua_setmetatable(L, -2);
  protectedTables.add(lua.lua_topointer(L, -1));
}

/** Pushes a read-only proxy of the table at `real` (absolute index). */
function pushReadonlyProxy(L: LuaState, real: number, protectedTables: Set<unknown>, errorOnMissing: boolean): void {
  lua.lua_createtable(L, 0, 0);
  lua.lua_createtable(L, 0, 3);
  if (errorOnMissing) {
    lua.lua_pushvalue(L, real);
    lua.lua_pushcclosure(L, globalOrError, 1);
  } else {
    lua.lua_pushvalue(L, real);
  }
  lua.lua_setfield(L, -2, luaString('__index'));
  lua.lua_pushcfunction(L, refuseWrite);
  lua.lua_setfield(L, -2, luaString('__newindex'));
  pushReadonlyMarker(L, protectedTables);
  lua.lua_setfield(L, -2, luaString('__metatable'));
  lua.lua_setmetatable(L, -2);
  protectedTables.add(lua.lua_topointer(L, -1));
}
