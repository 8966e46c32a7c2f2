/** The parts of fengari (Lua 5.3 in JavaScript, no types of its own) the scripting engine uses. */
declare module 'fengari' {
  /** A Lua state (lua_State*); opaque. */
  export type LuaState = { readonly __luaState: unique symbol };
  /** A C function: reads its arguments from the stack, pushes its results, returns how many. */
  export type LuaCFunction = (L: LuaState) => number;
  // The C API as fengari spells it: functions of a lua_State and stack indexes, constants.
  type Api = Record<string, any>;
  const fengari: {
    lua: Api;
    lauxlib: Api;
    lualib: Api;
    to_luastring(text: string): Uint8Array;
  };
  export default fengari;
}
