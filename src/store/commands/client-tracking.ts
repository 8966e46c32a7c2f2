/**
 * CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO, after Redis 7.0's networking.c: options
 * parsed and checked in Redis's order, so that a bad combination gets the error Redis gives
 * first. What tracking does is in ../tracking.ts.
 */
import { cString, isKeyword, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { bulk, bulks, error, Errors, integer, map, OK, set, type Reply } from '../reply.js';
import { Tracking, type TrackingOptions } from '../tracking.js';

/** The options after ON|OFF, or Redis's complaint about them. */
function parseOptions(ctx: CommandContext): TrackingOptions | Reply {
  const args = ctx.args;
  const options: TrackingOptions = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < args.length; j++) {
    const more = args.length - 1 - j;
    const arg = args[j];
    if (isKeyword(arg, 'redirect') && more > 0) {
      j++;
      if (options.redirect !== 0) return error('ERR A client can only redirect to a single other client');
      const id = parseLongLong(args[j]);
      if (id === null) return Errors.notInteger;
      // Checked now, though the client may go away later (Redis's sanity check).
      if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER) || ctx.server.sessionById(Number(id)) === undefined) {
        return error('ERR The client ID you want redirect to does not exist');
      }
      options.redirect = Number(id);
    } else if (isKeyword(arg, 'bcast')) {
      options.bcast = true;
    } else if (isKeyword(arg, 'optin')) {
      options.optin = true;
    } else if (isKeyword(arg, 'optout')) {
      options.optout = true;
    } else if (isKeyword(arg, 'noloop')) {
      options.noloop = true;
    } else if (isKeyword(arg, 'prefix') && more > 0) {
      options.prefixes.push(text(args[++j]));
    } else {
      return Errors.syntax;
    }
  }
  return options;
}

const SWITCH_BCAST = error(
  "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
);
const SWITCH_OPTIN = error(
  "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
);

/** Why CLIENT TRACKING on with `options` is refused, if it is. */
function refusal(ctx: CommandContext, options: TrackingOptions): Reply | undefined {
  const current = ctx.session.tracking;
  if (!options.bcast && options.prefixes.length > 0) return error('ERR PREFIX option requires BCAST mode to be enabled');
  if (current !== undefined && current.bcast !== options.bcast) return SWITCH_BCAST;
  if (options.bcast && (options.optin || options.optout)) return error('ERR OPTIN and OPTOUT are not compatible with BCAST');
  if (options.optin && options.optout) return error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  if ((options.optin && current?.optout) || (options.optout && current?.optin)) return SWITCH_OPTIN;
  if (!options.bcast) return undefined;
  const collision = ctx.server.tracking.prefixCollision(ctx.session, options.prefixes);
  if (collision === undefined) return undefined;
  const [prefix, clash] = [collision.prefix, collision.clash].map((s) => cString(Buffer.from(s, 'latin1')));
  const which = collision.existing ? 'an existing prefix' : 'another provided prefix';
  return error(`ERR Prefix '${prefix}' overlaps with ${which} '${clash}'. Prefixes for a single client must not overlap.`);
}

const clientTracking: CommandHandler = (ctx) => {
  const options = parseOptions(ctx);
  if ('kind' in options) return options;
  const mode = ctx.args[2];
  if (isKeyword(mode, 'on')) {
    const refused = refusal(ctx, options);
    if (refused !== undefined) return refused;
    ctx.server.tracking.enable(ctx.session, options);
  } else if (isKeyword(mode, 'off')) {
    ctx.server.tracking.disable(ctx.session);
  } else {
    return Errors.syntax;
  }
  return OK;
};

const clientCaching: CommandHandler = (ctx) => {
  const state = ctx.session.tracking;
  if (state === undefined) {
    return error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  }
  const answer = ctx.args[2];
  if (isKeyword(answer, 'yes')) {
    if (!state.optin) return error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (isKeyword(answer, 'no')) {
    if (!state.optout) return error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    return Errors.syntax;
  }
  state.caching = true;
  return OK;
};

const clientGetredir: CommandHandler = (ctx) => integer(ctx.session.tracking?.redirect ?? -1);

const clientTrackinginfo: CommandHandler = (ctx) => {
  const state = ctx.session.tracking;
  const flags = [state === undefined ? 'off' : 'on'];
  if (state !== undefined) {
    if (state.bcast) flags.push('bcast');
    if (state.optin) flags.push('optin', ...(state.caching ? ['caching-yes'] : []));
    if (state.optout) flags.push('optout', ...(state.caching ? ['caching-no'] : []));
    if (state.noloop) flags.push('noloop');
    if (state.brokenRedirect) flags.push('broken_redirect');
  }
  return map([
    [bulk('flags'), set(flags.map(bulk))],
    [bulk('redirect'), integer(state?.redirect ?? -1)],
    [bulk('prefixes'), bulks(Tracking.sortedPrefixes(state))],
  ]);
};

export const clientTrackingCommands: Record<string, CommandHandler> = {
  'client|tracking': clientTracking,
  'client|caching': clientCaching,
  'client|getredir': clientGetredir,
  'client|trackinginfo': clientTrackinginfo,
};
