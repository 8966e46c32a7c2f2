/**
 * CLIENT REPLY ON|OFF|SKIP, after Redis's clientCommand: OFF silences the replies to this and the
 * following commands until ON; SKIP silences the next command's. Store.execute drops the reply
 * bytes (see Session.replies); messages that are no reply (pub/sub, invalidations) still go out.
 */
import { isKeyword } from '../arguments.js';
import type { CommandHandler } from '../command-context.js';
import { Errors, frames, OK } from '../reply.js';

const NO_REPLY = frames([]);

const clientReply: CommandHandler = (ctx) => {
  const session = ctx.session;
  const mode = ctx.args[2];
  if (isKeyword(mode, 'on')) {
    session.replies = 'on';
    return OK;
  }
  if (isKeyword(mode, 'off')) session.replies = 'off';
  else if (isKeyword(mode, 'skip')) {
    if (session.replies !== 'off') session.replies = 'skip next';
  } else return Errors.syntax;
  return NO_REPLY;
};

export const clientReplyCommands: Record<string, CommandHandler> = { 'client|reply': clientReply };
