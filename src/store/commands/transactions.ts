/**
 * MULTI, EXEC and DISCARD. Queueing happens in Store.run (as in Redis's processCommand): inside a
 * transaction every command but these and RESET is checked (name, arity), then queued and
 * answered +QUEUED; one that fails the check makes EXEC refuse the whole transaction. EXEC runs
 * the queue in one synchronous call, so no other client's command comes between. WATCH is not
 * implemented (an unknown command, as any other the store lacks).
 */
import type { CommandHandler } from '../command-context.js';
import { array, error, OK } from '../reply.js';

const multi: CommandHandler = (ctx) => {
  const session = ctx.session;
  if (session.transaction !== undefined) return error('ERR MULTI calls can not be nested');
  session.transaction = [];
  session.transactionRefused = false;
  return OK;
};

const exec: CommandHandler = (ctx) => {
  const session = ctx.session;
  const queued = session.transaction;
  if (queued === undefined) return error('ERR EXEC without MULTI');
  const refused = session.transactionRefused;
  session.transaction = undefined;
  session.transactionRefused = false;
  if (refused) return error('EXECABORT Transaction discarded because of previous errors.');
  return array(queued.map((args) => ctx.server.run(session, args)));
};

const discard: CommandHandler = (ctx) => {
  const session = ctx.session;
  if (session.transaction === undefined) return error('ERR DISCARD without MULTI');
  session.transaction = undefined;
  session.transactionRefused = false;
  return OK;
};

export const transactionCommands: Record<string, CommandHandler> = { multi, exec, discard };

/** The commands a transaction runs at once rather than queueing (QUIT never reaches the queue). */
export const RUN_IN_TRANSACTION: ReadonlySet<string> = new Set(['multi', 'exec', 'discard', 'reset']);
