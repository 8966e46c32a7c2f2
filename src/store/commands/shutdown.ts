/**
 * SHUTDOWN, after Redis 7.0's shutdownCommand, for a store that keeps nothing on disk: the
 * options are checked as Redis checks them, then the store's host is asked to stop the process
 * (StoreOptions.onShutdown). The client gets no reply: its connection closes, as Redis's does
 * when it exits.
 */
import { isKeyword } from '../arguments.js';
import type { CommandHandler } from '../command-context.js';
import { error, Errors, frames } from '../reply.js';

const NO_REPLY = frames([]);

const shutdown: CommandHandler = (ctx) => {
  const given = { nosave: false, save: false, now: false, force: false, abort: false };
  for (let i = 1; i < ctx.args.length; i++) {
    const option = (Object.keys(given) as (keyof typeof given)[]).find((name) => isKeyword(ctx.args[i], name));
    if (option === undefined) return Errors.syntax;
    given[option] = true;
  }
  const { nosave, save, now, force, abort } = given;
  if ((abort && (nosave || save || now || force)) || (nosave && save)) return Errors.syntax;
  // Nothing can be in progress: a shutdown is not delayed here (no replicas to wait for, nothing to save).
  if (abort) return error('ERR No shutdown in progress.');
  // Redis refuses a shutdown it cannot save for, unless FORCE; this store never can.
  if (save && !force) return error('ERR Errors trying to SHUTDOWN: SAVE asked, and the embedded store keeps nothing on disk (add FORCE to stop anyway)');
  if (!ctx.server.shutdown(ctx.session)) return error('ERR SHUTDOWN is not available: nothing runs this store as a server');
  ctx.session.closeAfterReply = true;
  return NO_REPLY;
};

export const shutdownCommands: Record<string, CommandHandler> = { shutdown };
