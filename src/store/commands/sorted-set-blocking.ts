/**
 * BZPOPMIN, BZPOPMAX and BZMPOP, after Redis 7.0's blockingGenericZpopCommand: a pop when a
 * sorted set is there, else the client blocks on the keys (the mechanism of ../blocking.ts, as
 * BLPOP does) until a write gives one of them a sorted set, or the timeout passes.
 */
import { text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { isReply, NULL_ARRAY, type Reply } from '../reply.js';
import { blockUntilFound, parseTimeout } from './lists.js';
import { firstZset, parseMultiPop, popFrom, zsetAt, type PopReply } from './sorted-sets.js';
import type { ZsetEntry } from '../zset-value.js';

function blockingPop(ctx: CommandContext, keys: string[], max: boolean, timeoutArg: Buffer, count: number, shape: PopReply): Reply {
  const deadline = parseTimeout(ctx, timeoutArg);
  if (isReply(deadline)) return deadline;
  const found = firstZset(ctx, keys);
  if (isReply(found)) return found;
  if (found !== undefined) return popFrom(ctx, found[0], found[1], max, count, shape);
  const pop = (served: CommandContext, key: string, zset: ZsetEntry) => popFrom(served, key, zset, max, count, shape);
  return blockUntilFound(ctx, keys, deadline, (served, key) => zsetAt(served, key, 'write'), pop, NULL_ARRAY);
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score]. */
function bzpop(ctx: CommandContext, max: boolean): Reply {
  const keys = ctx.args.slice(1, -1).map(text);
  return blockingPop(ctx, keys, max, ctx.args[ctx.args.length - 1], -1, { emitKey: true, nested: false, nullWhenEmpty: true });
}

const bzpopmin: CommandHandler = (ctx) => bzpop(ctx, false);
const bzpopmax: CommandHandler = (ctx) => bzpop(ctx, true);

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]. */
const bzmpop: CommandHandler = (ctx) => {
  const parsed = parseMultiPop(ctx, 2);
  if (isReply(parsed)) return parsed;
  return blockingPop(ctx, parsed.keys, parsed.max, ctx.args[1], parsed.count, { emitKey: true, nested: true, nullWhenEmpty: true });
};

export const sortedSetBlockingCommands: Record<string, CommandHandler> = { bzpopmin, bzpopmax, bzmpop };
