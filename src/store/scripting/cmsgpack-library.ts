/**
 * The `cmsgpack` library Redis scripts have (lua_cmsgpack.c 0.4.0): pack Lua values as
 * MessagePack, unpack them back. Numbers with an integral value are packed as integers, others as
 * a float (4 bytes when that loses nothing) or a double; a table is an array when its keys are
 * exactly 1..n, else a map; tables nest at most 16 deep (deeper ones pack as nil).
 */
import fengari, { type LuaCFunction, type LuaState } from 'fengari';
import { pushNumber, toBuffer } from './lua-values.js';

const { lua, lauxlib } = fengari;

const MAX_NESTING = 16;

class Writer {
  private buffer = Buffer.allocUnsafe(256);
  length = 0;

  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  byte(value: number): void {
    this.room(1);
    this.buffer[this.length++] = value;
  }

  /** A type byte, then `value` big-endian in `size` bytes (1, 2, 4 or 8). */
  sized(type: number, value: number | bigint, size: 1 | 2 | 4 | 8): void {
    this.room(1 + size);
    this.buffer[this.length++] = type;
    if (size === 8) this.buffer.writeBigUInt64BE(BigInt.asUintN(64, BigInt(value)), this.length);
    // Two's complement in `size` bytes, as C's casts write a negative value.
    else this.buffer.writeUIntBE(size === 4 ? Number(value) >>> 0 : Number(value) & (size === 2 ? 0xffff : 0xff), this.length, size);
    this.length += size;
  }

  bytes(data: Buffer): void {
    this.room(data.length);
    data.copy(this.buffer, this.length);
    this.length += data.length;
  }

  float(value: number): void {
    this.room(9);
    // C's `(double)(float)d == d`: false for NaN, which goes out as a double.
    if (Math.fround(value) === value) {
      this.buffer[this.length++] = 0xca;
      this.buffer.writeFloatBE(value, this.length);
      this.length += 4;
    } else {
      this.buffer[this.length++] = 0xcb;
      this.buffer.writeDoubleBE(value, this.length);
      this.length += 8;
    }
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** A header for `count` items: fixed (`fix` | count) up to 15, else 16 or 32 bits. */
function header(out: Writer, count: number, fix: number, type16: number, type32: number): void {
  if (count <= 15) out.byte(fix | count);
  else if (count <= 0xffff) out.sized(type16, count, 2);
  else out.sized(type32, count, 4);
}

function packInteger(out: Writer, n: number): void {
  if (n >= 0) {
    if (n <= 127) out.byte(n);
    else if (n <= 0xff) out.sized(0xcc, n, 1);
    else if (n <= 0xffff) out.sized(0xcd, n, 2);
    else if (n <= 0xffffffff) out.sized(0xce, n, 4);
    else out.sized(0xcf, BigInt(n), 8);
  } else if (n >= -32) {
    out.byte(n & 0xff);
  } else if (n >= -128) {
    out.sized(0xd0, n, 1);
  } else if (n >= -32768) {
    out.sized(0xd1, n, 2);
  } else if (n >= -2147483648) {
    out.sized(0xd2, n, 4);
  } else {
    out.sized(0xd3, BigInt(n), 8);
  }
}

/** Whether the table at `index` has exactly the keys 1..n (an empty one too). */
function isArray(L: LuaState, index: number): boolean {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, index) !== 0) {
    lua.lua_pop(L, 1);
    const key = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -1) : NaN;
    if (!(key > 0) || !Number.isInteger(key)) {
      lua.lua_pop(L, 1);
      return false;
    }
    max = Math.max(max, key);
    count++;
  }
  return max === count;
}

/** Packs the value at absolute `index`. */
function pack(L: LuaState, out: Writer, index: number, level: number): void {
  lua.lua_checkstack(L, 3);
  switch (lua.lua_type(L, index)) {
    case lua.LUA_TBOOLEAN:
      return out.byte(lua.lua_toboolean(L, index) ? 0xc3 : 0xc2);
    case lua.LUA_TNUMBER: {
      const n: number = lua.lua_tonumber(L, index);
      // lua_cmsgpack's IS_INT64_EQUIVALENT: finite, and the same once cast to int64.
      if (Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63) return packInteger(out, n);
      return out.float(n);
    }
    case lua.LUA_TSTRING: {
      const bytes = toBuffer(L, index)!;
      if (bytes.length < 32) out.byte(0xa0 | bytes.length);
      else if (bytes.length <= 0xff) out.sized(0xd9, bytes.length, 1);
      else if (bytes.length <= 0xffff) out.sized(0xda, bytes.length, 2);
      else out.sized(0xdb, bytes.length, 4);
      return out.bytes(bytes);
    }
    case lua.LUA_TTABLE:
      if (level >= MAX_NESTING) return out.byte(0xc0);
      if (isArray(L, index)) {
        const length = Number(lua.lua_rawlen(L, index));
        header(out, length, 0x90, 0xdc, 0xdd);
        for (let i = 1; i <= length; i++) {
          lua.lua_rawgeti(L, index, i);
          pack(L, out, lua.lua_gettop(L), level + 1);
          lua.lua_pop(L, 1);
        }
        return;
      }
      return packMap(L, out, index, level);
    default:
      return out.byte(0xc0);
  }
}

function packMap(L: LuaState, out: Writer, index: number, level: number): void {
  let count = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, index) !== 0) {
    lua.lua_pop(L, 1);
    count++;
  }
  header(out, count, 0x80, 0xde, 0xdf);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, index) !== 0) {
    const top = lua.lua_gettop(L);
    pack(L, out, top - 1, level + 1);
    pack(L, out, top, level + 1);
    lua.lua_pop(L, 1);
  }
}

class Missing extends Error {}
class BadFormat extends Error {}

/** Reads MessagePack from `data` at `offset`, pushing what it decodes. */
class Reader {
  constructor(
    private readonly L: LuaState,
    private readonly data: Buffer,
    public offset: number,
  ) {}

  get left(): number {
    return this.data.length - this.offset;
  }

  private take(bytes: number): number {
    if (this.left < bytes) throw new Missing();
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  private uint(bytes: 1 | 2 | 4): number {
    return this.data.readUIntBE(this.take(bytes), bytes);
  }

  private string(length: number): void {
    const at = this.take(length);
    lua.lua_pushstring(this.L, this.data.subarray(at, at + length));
  }

  private array(count: number): void {
    const L = this.L;
    lua.lua_checkstack(L, 2);
    lua.lua_createtable(L, count, 0);
    for (let i = 1; i <= count; i++) {
      this.value();
      lua.lua_rawseti(L, -2, i);
    }
  }

  private map(count: number): void {
    const L = this.L;
    lua.lua_checkstack(L, 3);
    lua.lua_createtable(L, 0, count);
    for (let i = 0; i < count; i++) {
      this.value();
      this.value();
      lua.lua_settable(L, -3);
    }
  }

  value(): void {
    const L = this.L;
    const data = this.data;
    const type = data[this.take(1)];
    if (type <= 0x7f) return pushNumber(L, type);
    if (type >= 0xe0) return pushNumber(L, type - 0x100);
    if (type >= 0xa0 && type <= 0xbf) return this.string(type & 0x1f);
    if (type >= 0x90 && type <= 0x9f) return this.array(type & 0x0f);
    if (type >= 0x80 && type <= 0x8f) return this.map(type & 0x0f);
    switch (type) {
      case 0xc0:
        return lua.lua_pushnil(L);
      case 0xc2:
      case 0xc3:
        return lua.lua_pushboolean(L, type === 0xc3);
      case 0xca:
        return lua.lua_pushnumber(L, data.readFloatBE(this.take(4)));
      case 0xcb:
        return lua.lua_pushnumber(L, data.readDoubleBE(this.take(8)));
      case 0xcc:
        return pushNumber(L, this.uint(1));
      case 0xcd:
        return pushNumber(L, this.uint(2));
      case 0xce:
        return pushNumber(L, this.uint(4));
      case 0xcf:
        return pushNumber(L, Number(data.readBigUInt64BE(this.take(8))));
      case 0xd0:
        return pushNumber(L, data.readInt8(this.take(1)));
      case 0xd1:
        return pushNumber(L, data.readInt16BE(this.take(2)));
      case 0xd2:
        return pushNumber(L, data.readInt32BE(this.take(4)));
      case 0xd3:
        return pushNumber(L, Number(data.readBigInt64BE(this.take(8))));
      case 0xc4:
      case 0xd9:
        return this.string(this.uint(1));
      case 0xc5:
      case 0xda:
        return this.string(this.uint(2));
      case 0xc6:
      case 0xdb:
        return this.string(this.uint(4));
      case 0xdc:
        return this.array(this.uint(2));
      case 0xdd:
        return this.array(this.uint(4));
      case 0xde:
        return this.map(this.uint(2));
      case 0xdf:
        return this.map(this.uint(4));
      default:
        throw new BadFormat();
    }
  }
}

/** mp_unpack_full: up to `limit` values (0 with offset 0: all, and no offset returned). */
function unpack(L: LuaState, limit: number, offset: number): number {
  const data = Buffer.from(lauxlib.luaL_checklstring(L, 1) as Uint8Array);
  if (offset < 0 || limit < 0) return lauxlib.luaL_error(L, fengari.to_luastring(`Invalid request to unpack with offset of ${offset} and limit of ${data.length}.`));
  if (offset > data.length) return lauxlib.luaL_error(L, fengari.to_luastring(`Start offset ${offset} greater than input length ${data.length}.`));
  const all = limit === 0 && offset === 0;
  const reader = new Reader(L, data, offset);
  let count = 0;
  try {
    for (; reader.left > 0 && (all || count < limit); count++) reader.value();
  } catch (error) {
    if (error instanceof Missing) return lauxlib.luaL_error(L, fengari.to_luastring('Missing bytes in input.'));
    if (error instanceof BadFormat) return lauxlib.luaL_error(L, fengari.to_luastring('Bad data format in input.'));
    throw error;
  }
  if (all) return count;
  lua.lua_pushinteger(L, reader.left === 0 ? -1 : reader.offset);
  lua.lua_insert(L, 2);
  return count + 1;
}

const functions: Record<string, LuaCFunction> = {
  pack: (L) => {
    const argc = lua.lua_gettop(L);
    if (argc === 0) return lauxlib.luaL_argerror(L, 0, fengari.to_luastring('MessagePack pack needs input.'));
    const out = new Writer();
    for (let i = 1; i <= argc; i++) pack(L, out, i, 0);
    lua.lua_pushstring(L, out.result());
    return 1;
  },
  unpack: (L) => unpack(L, 0, 0),
  unpack_one: (L) => {
    const offset = Number(lauxlib.luaL_optinteger(L, 2, 0));
    lua.lua_settop(L, 1);
    return unpack(L, 1, offset);
  },
  unpack_limit: (L) => {
    const limit = Number(lauxlib.luaL_checkinteger(L, 2));
    const offset = Number(lauxlib.luaL_optinteger(L, 3, 0));
    lua.lua_settop(L, 1);
    return unpack(L, limit, offset);
  },
};

/** Pushes the library's table. */
export function openCmsgpack(L: LuaState): void {
  lua.lua_createtable(L, 0, Object.keys(functions).length);
  for (const [name, fn] of Object.entries(functions)) {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, fengari.to_luastring(name));
  }
}
