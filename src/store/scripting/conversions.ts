/**
 * Redis's reply conversions for scripts, both ways (script_lua.c): a command's reply pushed as a
 * Lua value for redis.call, and the script's returned value read back as a reply.
 */
import fengari, { type LuaState } from 'fengari';
import { array, bulk, countedError, error, integer, map, NULL, set, status, type Reply } from '../reply.js';
import { formatG } from '../printf-g.js';
import { pushNumber, pushText, toText } from './lua-values.js';

const { lua } = fengari;

/** Nesting past this answers "reached lua stack limit" (Redis: where lua_checkstack fails), within what the JS stack takes. */
const MAX_DEPTH = 500;

/**
 * Pushes Redis's error table {err = "CODE message"} (luaPushErrorBuff): a message that starts with
 * "-" carries its own code; any other gets "ERR". Trailing CR/LF go.
 */
export function pushErrorTable(L: LuaState, message: string): void {
  let text: string;
  if (message.startsWith('-')) {
    const space = message.indexOf(' ');
    text = space < 0 ? `ERR ${message.slice(1)}` : `${message.slice(1, space)} ${message.slice(space + 1)}`;
  } else {
    text = `ERR ${message}`;
  }
  lua.lua_createtable(L, 0, 1);
  pushText(L, text.replace(/[\r\n]+$/, ''));
  lua.lua_setfield(L, -2, fengari.to_luastring('err'));
}

/** The field of a command's error table saying it is counted already; a script returning or raising it is not counted again. */
export const IGNORE_ERROR_STATS = 'ignore_error_stats_update';

function pushField(L: LuaState, name: string, push: () => void): void {
  lua.lua_createtable(L, 0, 1);
  push();
  lua.lua_setfield(L, -2, fengari.to_luastring(name));
}

/** A command's reply as the Lua value redis.call returns, in the script's protocol (redis.setresp). */
export function pushReply(L: LuaState, reply: Reply, resp: 2 | 3): void {
  lua.lua_checkstack(L, 4);
  switch (reply.kind) {
    case 'status':
      return pushField(L, 'ok', () => pushText(L, reply.text));
    case 'error':
      pushErrorTable(L, `-${reply.message}`);
      // Counted in errorstats once, when the command replied it (Redis's redisProtocolToLuaType_Error).
      lua.lua_pushboolean(L, true);
      lua.lua_setfield(L, -2, fengari.to_luastring(IGNORE_ERROR_STATS));
      return;
    case 'integer':
      return pushNumber(L, Number(reply.value));
    case 'bulk':
      return pushText(L, reply.value);
    case 'null':
    case 'nullArray':
      if (resp === 2) lua.lua_pushboolean(L, false);
      else lua.lua_pushnil(L);
      return;
    case 'boolean':
      if (resp === 2) lua.lua_pushinteger(L, reply.value ? 1 : 0);
      else lua.lua_pushboolean(L, reply.value);
      return;
    case 'double':
      if (resp === 2) return pushText(L, formatG(reply.value, 17));
      return pushField(L, 'double', () => lua.lua_pushnumber(L, reply.value));
    case 'bigNumber':
      if (resp === 2) return pushText(L, reply.text);
      return pushField(L, 'big_number', () => pushText(L, reply.text));
    case 'verbatim':
      if (resp === 2) return pushText(L, reply.text);
      return pushField(L, 'verbatim_string', () => {
        lua.lua_createtable(L, 0, 2);
        pushText(L, reply.text);
        lua.lua_setfield(L, -2, fengari.to_luastring('string'));
        pushText(L, 'txt');
        lua.lua_setfield(L, -2, fengari.to_luastring('format'));
      });
    case 'map':
      if (resp === 2) return pushArray(L, reply.entries.flat(), resp);
      return pushField(L, 'map', () => {
        lua.lua_createtable(L, 0, reply.entries.length);
        for (const [key, value] of reply.entries) {
          pushReply(L, key, resp);
          pushReply(L, value, resp);
          lua.lua_settable(L, -3);
        }
      });
    case 'set':
      if (resp === 2) return pushArray(L, reply.items, resp);
      return pushField(L, 'set', () => {
        lua.lua_createtable(L, 0, reply.items.length);
        for (const item of reply.items) {
          pushReply(L, item, resp);
          lua.lua_pushboolean(L, true);
          lua.lua_settable(L, -3);
        }
      });
    case 'array':
    case 'push':
      return pushArray(L, reply.items, resp);
    case 'frames':
      return pushArray(L, reply.replies, resp);
  }
}

function pushArray(L: LuaState, items: readonly Reply[], resp: 2 | 3): void {
  lua.lua_createtable(L, items.length, 0);
  items.forEach((item, i) => {
    pushReply(L, item, resp);
    lua.lua_rawseti(L, -2, i + 1);
  });
}

/** The Lua value on top of the stack as a reply (luaReplyToRedisReply), popped. `resp` is the script's protocol. */
export function popReply(L: LuaState, resp: 2 | 3, depth = 0): Reply {
  try {
    return depth > MAX_DEPTH ? error('ERR reached lua stack limit') : replyAt(L, resp, depth);
  } finally {
    lua.lua_pop(L, 1);
  }
}

function replyAt(L: LuaState, resp: 2 | 3, depth: number): Reply {
  lua.lua_checkstack(L, 4);
  switch (lua.lua_type(L, -1)) {
    case lua.LUA_TSTRING:
      return bulk(toText(L, -1)!);
    case lua.LUA_TBOOLEAN: {
      const value: boolean = lua.lua_toboolean(L, -1);
      if (resp === 3) return { kind: 'boolean', value };
      return value ? integer(1) : NULL;
    }
    case lua.LUA_TNUMBER:
      return integer(truncate(lua.lua_tonumber(L, -1)));
    case lua.LUA_TTABLE:
      return tableReply(L, resp, depth);
    default:
      return NULL;
  }
}

/** C's (long long) cast: toward zero, saturated (NaN as 0x8000000000000000, as x86 gives). */
function truncate(value: number): number | bigint {
  if (Number.isNaN(value) || value >= 2 ** 63 || value < -(2 ** 63)) return -(2n ** 63n);
  const whole = Math.trunc(value);
  return Number.isSafeInteger(whole) ? whole : BigInt(whole);
}

/** The raw field `name` of the table on top, pushed; its Lua type returned. */
function rawField(L: LuaState, name: string, tableIndex = -1): number {
  pushText(L, name);
  lua.lua_rawget(L, tableIndex - 1);
  return lua.lua_type(L, -1);
}

function tableReply(L: LuaState, resp: 2 | 3, depth: number): Reply {
  if (rawField(L, 'err') === lua.LUA_TSTRING) {
    const message = toText(L, -1)!.replace(/[\r\n]/g, ' ');
    lua.lua_pop(L, 1);
    const counted = rawField(L, IGNORE_ERROR_STATS) === lua.LUA_TBOOLEAN && lua.lua_toboolean(L, -1);
    lua.lua_pop(L, 1);
    return counted ? countedError(message) : error(message);
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'ok') === lua.LUA_TSTRING) {
    const text = toText(L, -1)!;
    lua.lua_pop(L, 1);
    return status(text.replace(/[\r\n]/g, ' '));
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'double') === lua.LUA_TNUMBER) {
    const value: number = lua.lua_tonumber(L, -1);
    lua.lua_pop(L, 1);
    return { kind: 'double', value };
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'big_number') === lua.LUA_TSTRING) {
    const text = toText(L, -1)!;
    lua.lua_pop(L, 1);
    return { kind: 'bigNumber', text: text.replace(/[\r\n]/g, ' ') };
  }
  lua.lua_pop(L, 1);
  const verbatim = verbatimReply(L);
  if (verbatim !== undefined) return verbatim;
  if (rawField(L, 'map') === lua.LUA_TTABLE) {
    const entries: [Reply, Reply][] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pushvalue(L, -2);
      const key = popReply(L, resp, depth + 1);
      entries.push([key, popReply(L, resp, depth + 1)]);
    }
    lua.lua_pop(L, 1);
    return map(entries);
  }
  lua.lua_pop(L, 1);
  if (rawField(L, 'set') === lua.LUA_TTABLE) {
    const items: Reply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pop(L, 1);
      lua.lua_pushvalue(L, -1);
      items.push(popReply(L, resp, depth + 1));
    }
    lua.lua_pop(L, 1);
    return set(items);
  }
  lua.lua_pop(L, 1);
  const items: Reply[] = [];
  for (let j = 1; ; j++) {
    lua.lua_rawgeti(L, -1, j);
    if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    items.push(popReply(L, resp, depth + 1));
  }
  return array(items);
}

/** {verbatim_string = {format = 'txt', string = '...'}}, or undefined (nothing left pushed). */
function verbatimReply(L: LuaState): Reply | undefined {
  let reply: Reply | undefined;
  if (rawField(L, 'verbatim_string') === lua.LUA_TTABLE) {
    const formatType = rawField(L, 'format');
    const stringType = rawField(L, 'string', -2);
    if (formatType === lua.LUA_TSTRING && stringType === lua.LUA_TSTRING) reply = { kind: 'verbatim', text: toText(L, -1)! };
    lua.lua_pop(L, 2);
  }
  lua.lua_pop(L, 1);
  return reply;
}
