/**
 * EVAL's scripts cache (eval.c): scripts by SHA1, compiled into their own Lua state, with the
 * flags of a `#!lua flags=...` first line. Like Redis's, the cache keeps every script loaded until
 * SCRIPT FLUSH.
 */
import fengari from 'fengari';
import { error, type Reply } from '../reply.js';
import type { Sandbox } from './lua-sandbox.js';
import { toText } from './lua-values.js';
import { SCRIPT_FLAGS, sha1hex, type RunRequest, type ScriptRunner } from './script-runner.js';

const { lua, lauxlib } = fengari;
const luaString = fengari.to_luastring;

interface CachedScript {
  /** Registry reference of the compiled function. */
  readonly ref: number;
  /** Had a `#!lua` line: its flags apply (else Redis's compatibility mode). */
  readonly shebang: boolean;
  readonly noWrites: boolean;
}

export type EvalRequest = Omit<RunRequest, 'sandbox' | 'ref' | 'mode' | 'name' | 'readOnly'> & {
  readonly sha: string;
  /** EVAL_RO / EVALSHA_RO. */
  readonly readOnlyCommand: boolean;
};

export class EvalScripts {
  private sandbox: Sandbox | undefined;
  private readonly scripts = new Map<string, CachedScript>();

  constructor(private readonly runner: ScriptRunner) {}

  get count(): number {
    return this.scripts.size;
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
    this.sandbox ??= this.runner.newSandbox();
    const L = this.sandbox.L;
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
    const sha = request.sha.toLowerCase();
    const script = this.scripts.get(sha);
    if (script === undefined || this.sandbox === undefined) return error('NOSCRIPT No matching script. Please use EVAL.');
    if (script.shebang && !script.noWrites && request.readOnlyCommand) return error('ERR Can not execute a script with write flag using *_ro command.');
    return this.runner.run({
      ...request,
      sandbox: this.sandbox,
      ref: script.ref,
      mode: 'eval',
      name: sha,
      readOnly: request.readOnlyCommand || script.noWrites,
    });
  }
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
      if (!SCRIPT_FLAGS.has(flag)) return { error: `Unexpected flag in script shebang: ${flag}` };
      flags.add(flag);
    }
  }
  return { length: end, flags };
}
