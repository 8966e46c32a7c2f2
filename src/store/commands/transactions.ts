/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH. Queueing happens in Store.run (as in Redis's
 * processCommand): inside a transaction every command but MULTI, EXEC, DISCARD, WATCH and RESET
 * is checked (name, arity), then queued and answered +QUEUED; one that fails the check makes EXEC
 * refuse the whole transaction. EXEC runs the queue in one synchronous call, so no other client's
 * command comes between; it runs nothing (a null reply) if a watched key was written, or vanished,
 * since WATCH (../key-watch.ts).
 */
import type { CommandContext, CommandHandler } from '../command-context.js';
import { array, error, NULL_ARRAY, OK } from '../reply.js';

const multi: CommandHandler = (ctx) => {
  const session = ctx.session;
  if (session.transaction !== undefined) return error('ERR MULTI calls can not be nested');
  session.transaction = [];
  session.transactionRefused = false;
  return OK;
};

/** Whether a key watched by the session was written, or vanished, since WATCH. */
function watchBroken(ctx: CommandContext): boolean {
  const session = ctx.session;
  if (session.watchTouched) return true;
  return session.watched.some((w) => w.liveAtWatch && ctx.server.database(w.index).peek(w.key, ctx.now) === undefined);
}

const exec: CommandHandler = (ctx) => {
  const session = ctx.session;
  const queued = session.transaction;
  if (queued === undefined) return error('ERR EXEC without MULTI');
  const refused = session.transactionRefused;
  const broken = watchBroken(ctx);
  session.transaction = undefined;
  session.transactionRefused = false;
  ctx.server.watches.unwatchAll(session);
  if (refused) return error('EXECABORT Transaction discarded because of previous errors.');
  if (broken) return NULL_ARRAY;
  session.inExec = true;
  try {
    return array(queued.map((args) => ctx.server.run(session, args)));
  } finally {
    session.inExec = false;
  }
};

const discard: CommandHandler = (ctx) => {
  const session = ctx.session;
  if (session.transaction === undefined) return error('ERR DISCARD without MULTI');
  session.transaction = undefined;
  session.transactionRefused = false;
  ctx.server.watches.unwatchAll(session);
  return OK;
};

const watch: CommandHandler = (ctx) => {
  if (ctx.session.transaction !== undefined) return error('ERR WATCH inside MULTI is not allowed');
  for (let i = 1; i < ctx.args.length; i++) {
    const key = ctx.args[i].toString('latin1');
    ctx.server.watches.watch(ctx.session, ctx.session.db, key, ctx.db.peek(key, ctx.now) !== undefined);
  }
  return OK;
};

const unwatch: CommandHandler = (ctx) => {
  ctx.server.watches.unwatchAll(ctx.session);
  return OK;
};

export const transactionCommands: Record<string, CommandHandler> = { multi, exec, discard, watch, unwatch };

/** The commands a transaction runs at once rather than queueing (QUIT never reaches the queue). */
export const RUN_IN_TRANSACTION: ReadonlySet<string> = new Set(['multi', 'exec', 'discard', 'watch', 'reset']);
