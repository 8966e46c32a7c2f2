/**
 * Pub/sub commands, after Redis 7.0's pubsub.c. Each (un)subscription is answered on its own
 * (SUBSCRIBE a b: two replies), as a push in RESP3; the count in each is the client's channels
 * and patterns (its shard channels, for SSUBSCRIBE and SUNSUBSCRIBE). The bookkeeping is in
 * ../pubsub.ts; what a subscribed RESP2 client may run is checked in Store.run.
 */
import { cString, text, upperAscii } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import type { ChannelKind } from '../pubsub.js';
import { array, bulk, bulks, error, frames, integer, NULL, push, type Reply } from '../reply.js';
import { helpReply } from './connection.js';

const notice = (verb: string, name: string | undefined, count: number): Reply => push([bulk(verb), name === undefined ? NULL : bulk(name), integer(count)]);

function subscribe(kind: ChannelKind, verb: string): CommandHandler {
  return (ctx) => {
    const session = ctx.session;
    // Redis refuses SSUBSCRIBE to a client that must get one reply per command (inside EXEC).
    if (kind === 'shard' && session.inExec) return error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    const replies: Reply[] = [];
    for (let i = 1; i < ctx.args.length; i++) {
      const channel = text(ctx.args[i]);
      ctx.server.pubsub.subscribe(session, channel, kind);
      replies.push(notice(verb, channel, session.subscriptions.countFor(kind)));
    }
    session.subscriptions.active = true;
    return frames(replies);
  };
}

function unsubscribe(kind: ChannelKind, verb: string): CommandHandler {
  return (ctx) => {
    const own = ctx.session.subscriptions;
    const names = ctx.args.length === 1 ? [...own.of(kind)] : ctx.args.slice(1).map(text);
    const replies = names.map((channel) => {
      ctx.server.pubsub.unsubscribe(ctx.session, channel, kind);
      return notice(verb, channel, own.countFor(kind));
    });
    return endUnsubscribe(ctx, verb, replies, own.countFor(kind));
  };
}

const psubscribe: CommandHandler = (ctx) => {
  const session = ctx.session;
  const replies: Reply[] = [];
  for (let i = 1; i < ctx.args.length; i++) {
    const pattern = text(ctx.args[i]);
    ctx.server.pubsub.psubscribe(session, pattern);
    replies.push(notice('psubscribe', pattern, session.subscriptions.countFor('channel')));
  }
  session.subscriptions.active = true;
  return frames(replies);
};

const punsubscribe: CommandHandler = (ctx) => {
  const own = ctx.session.subscriptions;
  const names = ctx.args.length === 1 ? [...own.patterns] : ctx.args.slice(1).map(text);
  const replies = names.map((pattern) => {
    ctx.server.pubsub.punsubscribe(ctx.session, pattern);
    return notice('punsubscribe', pattern, own.countFor('channel'));
  });
  return endUnsubscribe(ctx, 'punsubscribe', replies, own.countFor('channel'));
};

/** An unsubscribe from everything when there was nothing still answers (with a null name); none left ends the pub/sub context. */
function endUnsubscribe(ctx: CommandContext, verb: string, replies: Reply[], count: number): Reply {
  if (replies.length === 0) replies.push(notice(verb, undefined, count));
  if (ctx.session.subscriptions.total === 0) ctx.session.subscriptions.active = false;
  return frames(replies);
}

const publish = (kind: ChannelKind): CommandHandler => (ctx) => integer(ctx.server.pubsub.publish(text(ctx.args[1]), text(ctx.args[2]), kind));

/** PUBSUB's subcommands check their own argument count beyond the table's arity. */
function subcommandSyntaxError(ctx: CommandContext): Reply {
  return error(`ERR unknown subcommand or wrong number of arguments for '${cString(ctx.args[1], 128)}'. Try ${upperAscii(text(ctx.args[0]))} HELP.`);
}

const channels = (kind: ChannelKind): CommandHandler => (ctx) => {
  if (ctx.args.length > 3) return subcommandSyntaxError(ctx);
  return bulks(ctx.server.pubsub.activeChannels(kind, ctx.args.length === 3 ? text(ctx.args[2]) : undefined));
};

const numsub = (kind: ChannelKind): CommandHandler => (ctx) =>
  array(
    ctx.args.slice(2).flatMap((arg) => {
      const channel = text(arg);
      return [bulk(channel), integer(ctx.server.pubsub.subscriberCount(channel, kind))];
    }),
  );

const numpat: CommandHandler = (ctx) => integer(ctx.server.pubsub.patternCount);

const pubsubHelp: CommandHandler = () =>
  helpReply('PUBSUB', [
    ['CHANNELS [<pattern>]', "Return the currently active channels matching a <pattern> (default: '*')."],
    ['NUMPAT', 'Return number of subscriptions to patterns.'],
    ['NUMSUB [<channel> ...]', 'Return the number of subscribers for the specified channels, excluding', 'pattern subscriptions(default: no channels).'],
    ['SHARDCHANNELS [<pattern>]', "Return the currently active shard level channels matching a <pattern> (default: '*')."],
    ['SHARDNUMSUB [<shardchannel> ...]', 'Return the number of subscribers for the specified shard level channel(s)'],
  ]);

export const pubsubCommands: Record<string, CommandHandler> = {
  subscribe: subscribe('channel', 'subscribe'),
  unsubscribe: unsubscribe('channel', 'unsubscribe'),
  ssubscribe: subscribe('shard', 'ssubscribe'),
  sunsubscribe: unsubscribe('shard', 'sunsubscribe'),
  psubscribe,
  punsubscribe,
  publish: publish('channel'),
  spublish: publish('shard'),
  'pubsub|channels': channels('channel'),
  'pubsub|shardchannels': channels('shard'),
  'pubsub|numsub': numsub('channel'),
  'pubsub|shardnumsub': numsub('shard'),
  'pubsub|numpat': numpat,
  'pubsub|help': pubsubHelp,
};
