/**
 * The `cjson` library Redis scripts have (lua-cjson 2.1 as Redis ships it): encode a Lua value to
 * JSON, decode JSON to Lua values, with its defaults (numbers at 14 significant digits, "/"
 * escaped, empty tables as {}, excessively sparse arrays refused, 1000 levels of nesting) and its
 * settings functions.
 */
import fengari, { type LuaCFunction, type LuaState } from 'fengari';
import { formatG } from '../printf-g.js';
import { pushNumber, pushText, toBuffer } from './lua-values.js';

const { lua, lauxlib } = fengari;

const DEFAULT_DEPTH = 1000;
/** encode_sparse_array's defaults: an array is refused if max index > 10 and > 2 × its items. */
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;

const ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x2f: '\\/', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

interface Settings {
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  encodeInvalidNumbers: boolean;
}

function fail(L: LuaState, message: string): never {
  lauxlib.luaL_error(L, fengari.to_luastring(message.replace(/%/g, '%%')));
  throw new Error('unreachable: luaL_error returns by throwing');
}

function typeName(L: LuaState, index: number): string {
  return Buffer.from(lua.lua_typename(L, lua.lua_type(L, index)) as Uint8Array).toString('latin1');
}

function escapeString(bytes: Buffer): string {
  let out = '"';
  for (const byte of bytes) {
    const escape = ESCAPES[byte];
    if (escape !== undefined) out += escape;
    else if (byte < 0x20 || byte === 0x7f) out += `\\u${byte.toString(16).padStart(4, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

class Encoder {
  constructor(
    private readonly L: LuaState,
    private readonly settings: Settings,
  ) {}

  /** The value at `index` (absolute) as JSON text, latin1 (one char per byte). */
  value(index: number, depth: number): string {
    const L = this.L;
    switch (lua.lua_type(L, index)) {
      case lua.LUA_TSTRING:
        return escapeString(toBuffer(L, index)!);
      case lua.LUA_TNUMBER:
        return this.number(lua.lua_tonumber(L, index));
      case lua.LUA_TBOOLEAN:
        return lua.lua_toboolean(L, index) ? 'true' : 'false';
      case lua.LUA_TNIL:
        return 'null';
      case lua.LUA_TLIGHTUSERDATA:
        if (lua.lua_touserdata(L, index) === null) return 'null';
        break;
      case lua.LUA_TTABLE:
        return this.table(index, depth + 1);
    }
    return fail(L, `Cannot serialise ${typeName(L, index)}: type not supported`);
  }

  private number(value: number): string {
    if (!Number.isFinite(value)) {
      if (!this.settings.encodeInvalidNumbers) return fail(this.L, 'Cannot serialise number: must not be NaN or Inf');
      return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
    }
    return formatG(value, 14);
  }

  private table(index: number, depth: number): string {
    const L = this.L;
    if (depth > this.settings.encodeMaxDepth) return fail(L, `Cannot serialise, excessive nesting (${depth})`);
    lua.lua_checkstack(L, 3);
    const length = this.arrayLength(index);
    if (length > 0) {
      const items: string[] = [];
      for (let i = 1; i <= length; i++) {
        lua.lua_rawgeti(L, index, i);
        items.push(this.value(lua.lua_gettop(L), depth));
        lua.lua_pop(L, 1);
      }
      return `[${items.join(',')}]`;
    }
    const members: string[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, index) !== 0) {
      const keyType = lua.lua_type(L, -2);
      let key: string;
      if (keyType === lua.LUA_TSTRING) key = escapeString(toBuffer(L, -2)!);
      else if (keyType === lua.LUA_TNUMBER) key = `"${this.number(lua.lua_tonumber(L, -2))}"`;
      else return fail(L, `Cannot serialise ${typeName(L, -2)}: table key must be a number or string`);
      members.push(`${key}:${this.value(lua.lua_gettop(L), depth)}`);
      lua.lua_pop(L, 1);
    }
    return `{${members.join(',')}}`;
  }

  /** The array length of a table whose keys are all positive integers, else 0 (an object). */
  private arrayLength(index: number): number {
    const L = this.L;
    let max = 0;
    let items = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, index) !== 0) {
      const key = lua.lua_type(L, -2) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : NaN;
      if (!Number.isInteger(key) || key < 1) {
        lua.lua_pop(L, 2);
        return 0;
      }
      max = Math.max(max, key);
      items++;
      lua.lua_pop(L, 1);
    }
    if (max > SPARSE_SAFE && max > items * SPARSE_RATIO) return fail(L, 'Cannot serialise table: excessively sparse array');
    return max;
  }
}

/** Pushes a parsed JSON value; `depth` counts the containers around it. */
function pushJson(L: LuaState, value: unknown, depth: number, settings: Settings): void {
  if (value === null) {
    lua.lua_pushlightuserdata(L, null);
  } else if (typeof value === 'string') {
    lua.lua_pushstring(L, Buffer.from(value, 'utf8'));
  } else if (typeof value === 'number') {
    pushNumber(L, value);
  } else if (typeof value === 'boolean') {
    lua.lua_pushboolean(L, value);
  } else {
    if (depth + 1 > settings.decodeMaxDepth) fail(L, `Found too many nested data structures (${depth + 1})`);
    lua.lua_checkstack(L, 3);
    if (Array.isArray(value)) {
      lua.lua_createtable(L, value.length, 0);
      value.forEach((item, i) => {
        pushJson(L, item, depth + 1, settings);
        lua.lua_rawseti(L, -2, i + 1);
      });
    } else {
      const entries = Object.entries(value as Record<string, unknown>);
      lua.lua_createtable(L, 0, entries.length);
      for (const [key, item] of entries) {
        lua.lua_pushstring(L, Buffer.from(key, 'utf8'));
        pushJson(L, item, depth + 1, settings);
        lua.lua_rawset(L, -3);
      }
    }
  }
}

/** A setting function: with an argument, sets it; returns the current value. */
function setting(read: (L: LuaState) => void, write: (L: LuaState) => void): LuaCFunction {
  return (L) => {
    if (!lua.lua_isnoneornil(L, 1)) write(L);
    read(L);
    return 1;
  };
}

/** Pushes the library's table; each Lua state has its own settings, as each has its own cjson. */
export function openCjson(L: LuaState): void {
  const settings: Settings = { encodeMaxDepth: DEFAULT_DEPTH, decodeMaxDepth: DEFAULT_DEPTH, encodeInvalidNumbers: false };
  const depthSetting = (name: 'encodeMaxDepth' | 'decodeMaxDepth') =>
    setting(
      (L) => lua.lua_pushinteger(L, settings[name]),
      (L) => {
        const depth = lauxlib.luaL_checkinteger(L, 1);
        lauxlib.luaL_argcheck(L, depth > 0, 1, fengari.to_luastring('expected integer between 1 and 2147483647'));
        settings[name] = depth;
      },
    );
  const functions: Record<string, LuaCFunction> = {
    encode: (L) => {
      lauxlib.luaL_argcheck(L, lua.lua_gettop(L) === 1, 1, fengari.to_luastring('expected 1 argument'));
      const json = new Encoder(L, settings).value(1, 0);
      pushText(L, json);
      return 1;
    },
    decode: (L) => {
      lauxlib.luaL_argcheck(L, lua.lua_gettop(L) === 1, 1, fengari.to_luastring('expected 1 argument'));
      const bytes = toBuffer(L, 1);
      if (bytes === null) return fail(L, 'bad argument #1 to \'decode\' (string expected)');
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        return fail(L, `Expected value but found invalid token: ${(error as Error).message}`);
      }
      pushJson(L, value, 0, settings);
      return 1;
    },
    encode_max_depth: depthSetting('encodeMaxDepth'),
    decode_max_depth: depthSetting('decodeMaxDepth'),
    encode_invalid_numbers: setting(
      (L) => lua.lua_pushboolean(L, settings.encodeInvalidNumbers),
      (L) => {
        settings.encodeInvalidNumbers = lua.lua_toboolean(L, 1);
      },
    ),
    // lua-cjson reuses one buffer between calls by default; nothing to keep here, so it answers as the default.
    encode_keep_buffer: (L) => {
      lua.lua_pushboolean(L, true);
      return 1;
    },
  };
  lua.lua_createtable(L, 0, Object.keys(functions).length + 1);
  for (const [name, fn] of Object.entries(functions)) {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, fengari.to_luastring(name));
  }
  lua.lua_pushlightuserdata(L, null);
  lua.lua_setfield(L, -2, fengari.to_luastring('null'));
}
