/**
 * OBJECT ENCODING, for the types whose Redis 7.0 encoding the store follows: a list is always a
 * quicklist there; sets (an intset or a hash table), sorted sets (a listpack or a skiplist) and
 * hashes (a listpack or a hash table) by Redis's rules (set-value.ts, zset-value.ts, values.ts).
 * A string's encoding depends on how it was written (APPEND makes a raw string) and the store
 * keeps no such record, so it says so rather than guess.
 */
import { text } from '../arguments.js';
import type { CommandHandler } from '../command-context.js';
import { bulk, error, NULL } from '../reply.js';

const objectEncoding: CommandHandler = (ctx) => {
  const entry = ctx.db.getNoTouch(text(ctx.args[2]), ctx.now);
  if (entry === undefined) return NULL;
  if (entry.type === 'set') return bulk(entry.intset ? 'intset' : 'hashtable');
  if (entry.type === 'list') return bulk('quicklist');
  if (entry.type === 'zset') return bulk(entry.listpack ? 'listpack' : 'skiplist');
  if (entry.type === 'hash') return bulk(entry.listpack ? 'listpack' : 'hashtable');
  return error(`ERR OBJECT ENCODING of a ${entry.type} is not known to the embedded store`);
};

export const objectCommands: Record<string, CommandHandler> = { 'object|encoding': objectEncoding };
