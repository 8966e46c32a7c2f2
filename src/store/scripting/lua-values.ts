/**
 * Moving bytes and numbers between JavaScript and fengari's Lua stack. Lua strings are byte arrays
 * (Uint8Array in fengari); the store's values are latin1 strings (one char per byte), so both
 * directions go through latin1 and stay binary-safe.
 */
import fengari, { type LuaState } from 'fengari';

const { lua } = fengari;

/** fengari's integers are 32-bit: a larger integral value is pushed as a float to keep its value. */
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function pushText(L: LuaState, text: string): void {
  lua.lua_pushstring(L, Buffer.from(text, 'latin1'));
}

export function pushBytes(L: LuaState, bytes: Uint8Array): void {
  lua.lua_pushstring(L, bytes);
}

/** A number as Lua 5.1 would hold it: integral values print without ".0" where they fit. */
export function pushNumber(L: LuaState, value: number): void {
  if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) lua.lua_pushinteger(L, value);
  else lua.lua_pushnumber(L, value);
}

/** A copy of the string (or number, as Lua converts it) at `index`; null for other types. */
export function toBuffer(L: LuaState, index: number): Buffer | null {
  const bytes: Uint8Array | null = lua.lua_tolstring(L, index);
  return bytes === null ? null : Buffer.from(bytes);
}

export function toText(L: LuaState, index: number): string | null {
  return toBuffer(L, index)?.toString('latin1') ?? null;
}
