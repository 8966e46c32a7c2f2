/**
 * MEMORY USAGE, with Redis 7.0's arguments and errors (object.c). The number is the store's own
 * measure of what the key holds in the heap (values.ts's entryBytes, what maxBytes bounds), not
 * Redis's allocator sizes: SAMPLES is accepted and has nothing to sample, as every entry's cost is
 * kept current.
 */
import { isKeyword, parseLongLong, text } from '../arguments.js';
import type { CommandHandler } from '../command-context.js';
import { Errors, integer, NULL } from '../reply.js';
import { entryBytes } from '../values.js';

const memoryUsage: CommandHandler = (ctx) => {
  const args = ctx.args;
  for (let i = 3; i < args.length; i += 2) {
    if (!isKeyword(args[i], 'samples') || i + 1 >= args.length) return Errors.syntax;
    const samples = parseLongLong(args[i + 1]);
    if (samples === null) return Errors.notInteger;
    if (samples < 0n) return Errors.syntax;
  }
  const key = text(args[2]);
  // Redis finds the key without counting a hit or miss.
  const entry = ctx.db.peek(key, ctx.now);
  return entry === undefined ? NULL : integer(entryBytes(key, entry));
};

export const memoryCommands: Record<string, CommandHandler> = { 'memory|usage': memoryUsage };
