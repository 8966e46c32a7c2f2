/**
 * The `bit` library Redis scripts have (LuaBitOp 1.0.2): 32-bit operations on numbers, results as
 * signed 32-bit integers.
 */
import fengari, { type LuaCFunction, type LuaState } from 'fengari';

const { lua, lauxlib } = fengari;

/** LuaBitOp's tobit: the number rounded to an integer, taken modulo 2^32, as a signed 32-bit value. */
function tobit(L: LuaState, index: number): number {
  const value: number = lauxlib.luaL_checknumber(L, index);
  return Number(BigInt.asIntN(32, BigInt(Number.isFinite(value) ? Math.round(value) : 0)));
}

function pushInt(L: LuaState, value: number): number {
  lua.lua_pushinteger(L, value | 0);
  return 1;
}

/** band/bor/bxor: every argument folded into the first. */
function fold(operation: (a: number, b: number) => number): LuaCFunction {
  return (L) => {
    let result = tobit(L, 1);
    for (let i = lua.lua_gettop(L); i > 1; i--) result = operation(result, tobit(L, i));
    return pushInt(L, result);
  };
}

function shift(operation: (value: number, count: number) => number): LuaCFunction {
  return (L) => pushInt(L, operation(tobit(L, 1), tobit(L, 2) & 31));
}

const HEX = '0123456789abcdef';

const functions: Record<string, LuaCFunction> = {
  tobit: (L) => pushInt(L, tobit(L, 1)),
  bnot: (L) => pushInt(L, ~tobit(L, 1)),
  band: fold((a, b) => a & b),
  bor: fold((a, b) => a | b),
  bxor: fold((a, b) => a ^ b),
  lshift: shift((v, n) => v << n),
  rshift: shift((v, n) => v >>> n),
  arshift: shift((v, n) => v >> n),
  rol: shift((v, n) => (v << n) | (v >>> (32 - n))),
  ror: shift((v, n) => (v >>> n) | (v << (32 - n))),
  bswap: (L) => {
    const v = tobit(L, 1);
    return pushInt(L, ((v >>> 24) & 0xff) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24));
  },
  tohex: (L) => {
    let value = tobit(L, 1) >>> 0;
    let digits = lua.lua_isnoneornil(L, 2) ? 8 : tobit(L, 2);
    const upper = digits < 0;
    if (upper) digits = -digits;
    digits = Math.min(digits, 8);
    let text = '';
    for (let i = 0; i < digits; i++, value >>>= 4) text = HEX[value & 15] + text;
    lua.lua_pushstring(L, fengari.to_luastring(upper ? text.toUpperCase() : text));
    return 1;
  },
};

/** Pushes the library's table. */
export function openBit(L: LuaState): void {
  lua.lua_createtable(L, 0, Object.keys(functions).length);
  for (const [name, fn] of Object.entries(functions)) {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, fengari.to_luastring(name));
  }
}
