/**
 * OBJECT ENCODING, for the types whose Redis 7.0 encoding the store follows: sets, an intset or a
 * hash table by Redis's rules (set-value.ts). A string's or a hash's encoding depends on how it
 * was written (APPEND makes a raw string; a hash once large stays a hash table) and the store
 * keeps no such record, so it says so rather than guess.
 */
import { text } from '../arguments.js';
import type { CommandHandler } from '../command-context.js';
import { bulk, error, NULL } from '../reply.js';

const objectEncoding: CommandHandler = (ctx) => {
  const entry = ctx.db.getNoTouch(text(ctx.args[2]), ctx.now);
  if (entry === undefined) return NULL;
  if (entry.type === 'set') return bulk(entry.intset ? 'intset' : 'hashtable');
  return error(`ERR OBJECT ENCODING of a ${entry.type} is not known to the embedded store`);
};

export const objectCommands: Record<string, CommandHandler> = { 'object|encoding': objectEncoding };
