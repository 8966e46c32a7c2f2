/** The lookup every type's commands start with: the entry at a key if it holds their type. */
import type { CommandContext } from '../command-context.js';
import type { Lookup } from '../database.js';
import { Errors, type Reply } from '../reply.js';
import type { Entry, ValueType } from '../values.js';

/** The entry at `key` if it is of `type`, undefined if missing, the WRONGTYPE error otherwise. */
export function entryOfType<T extends ValueType>(ctx: CommandContext, key: string, type: T, lookup: Lookup): Extract<Entry, { type: T }> | undefined | Reply {
  const entry = lookup === 'read' ? ctx.db.get(key, ctx.now) : ctx.db.getForWrite(key, ctx.now);
  if (entry !== undefined && entry.type !== type) return Errors.wrongType;
  return entry as Extract<Entry, { type: T }> | undefined;
}
