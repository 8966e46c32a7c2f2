/**
 * Connection commands, after Redis's server.c / networking.c / acl.c. The only user is `default`:
 * without requirepass it has `nopass`, so any password authenticates it; with it, that password.
 */
import { cString, INT_MAX, INT_MIN, isKeyword, parseLongLong, text } from '../arguments.js';
import type { CommandContext, CommandHandler } from '../command-context.js';
import { samePassword } from '../password.js';
import {
  array,
  bulk,
  bulkOrNull,
  EMPTY_ARRAY,
  error,
  Errors,
  integer,
  map,
  OK,
  status,
  verbatim,
  type Reply,
} from '../reply.js';
import type { Session } from '../session.js';
import { REDIS_VERSION } from '../version.js';

const ping: CommandHandler = (ctx) => {
  if (ctx.args.length > 2) return Errors.arity(ctx.name);
  const echoed = ctx.args.length === 1 ? undefined : bulk(text(ctx.args[1]));
  // A subscribed RESP2 client can read only arrays: Redis answers it with one.
  if (ctx.session.subscriptions.active && ctx.session.protocol === 2) return array([bulk('pong'), echoed ?? bulk('')]);
  return echoed ?? status('PONG');
};

const echo: CommandHandler = (ctx) => bulk(text(ctx.args[1]));

const select: CommandHandler = (ctx) => {
  const index = parseLongLong(ctx.args[1]);
  if (index === null) return Errors.notInteger;
  if (index < INT_MIN || index > INT_MAX) return Errors.outOfRange(INT_MIN, INT_MAX);
  if (index < 0n || index >= BigInt(ctx.server.databaseCount)) return Errors.dbIndexOutOfRange;
  ctx.session.db = Number(index);
  return OK;
};

const WRONGPASS = error('WRONGPASS invalid username-password pair or user is disabled.');

/** ACLAuthenticateUser with only the `default` user: on success the session is authenticated. */
function authenticate(ctx: CommandContext, username: Buffer, password: Buffer): boolean {
  const required = ctx.server.requirepass;
  if (text(username) !== 'default' || (required !== undefined && !samePassword(password, required))) return false;
  ctx.session.authenticated = true;
  return true;
}

const NOAUTH_HELLO = error(
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);

/** Client names and library attributes go into CLIENT LIST, which is split on spaces. */
function printable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

const BAD_CLIENT_NAME = error('ERR Client names cannot contain spaces, newlines or special characters.');

const hello: CommandHandler = (ctx) => {
  const args = ctx.args;
  let version = 0n;
  if (args.length >= 2) {
    const parsed = parseLongLong(args[1]);
    if (parsed === null) return error('ERR Protocol version is not an integer or out of range');
    if (parsed < 2n || parsed > 3n) return error('NOPROTO unsupported protocol version');
    version = parsed;
  }
  let username: Buffer | undefined;
  let password: Buffer | undefined;
  let name: string | undefined;
  for (let j = 2; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (isKeyword(args[j], 'auth') && more >= 2) {
      username = args[j + 1];
      password = args[j + 2];
      j += 2;
    } else if (isKeyword(args[j], 'setname') && more >= 1) {
      name = text(args[j + 1]);
      if (!printable(name) && name !== '') return BAD_CLIENT_NAME;
      j++;
    } else {
      return error(`ERR Syntax error in HELLO option '${cString(args[j])}'`);
    }
  }
  if (username !== undefined && !authenticate(ctx, username, password!)) return WRONGPASS;
  if (!ctx.session.authenticated) return NOAUTH_HELLO;
  if (name !== undefined) ctx.session.name = name === '' ? null : name;
  if (version !== 0n) ctx.session.protocol = version === 3n ? 3 : 2;
  return map([
    [bulk('server'), bulk('redis')],
    [bulk('version'), bulk(REDIS_VERSION)],
    [bulk('proto'), integer(ctx.session.protocol)],
    [bulk('id'), integer(ctx.session.id)],
    [bulk('mode'), bulk('standalone')],
    [bulk('role'), bulk('master')],
    [bulk('modules'), EMPTY_ARRAY],
  ]);
};

const auth: CommandHandler = (ctx) => {
  const args = ctx.args;
  if (args.length > 3) return Errors.syntax;
  if (args.length === 2) {
    if (ctx.server.requirepass === undefined) {
      return error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    }
    return authenticate(ctx, Buffer.from('default'), args[1]) ? OK : WRONGPASS;
  }
  return authenticate(ctx, args[1], args[2]) ? OK : WRONGPASS;
};

/** QUIT is answered before command lookup (see Store), like Redis 7.0 does; this is the table's entry. */
const quit: CommandHandler = (ctx) => {
  ctx.session.closeAfterReply = true;
  return OK;
};

/** clearClientConnectionState; the library name and version stay, as in Redis. */
const reset: CommandHandler = (ctx) => {
  const session = ctx.session;
  session.db = 0;
  session.protocol = 2;
  session.name = null;
  session.authenticated = ctx.server.requirepass === undefined;
  session.transaction = undefined;
  session.transactionRefused = false;
  ctx.server.watches.unwatchAll(session);
  ctx.server.tracking.disable(session);
  ctx.server.pubsub.unsubscribeAll(session);
  return status('RESET');
};

const clientSetname: CommandHandler = (ctx) => {
  const name = text(ctx.args[2]);
  if (name !== '' && !printable(name)) return BAD_CLIENT_NAME;
  ctx.session.name = name === '' ? null : name;
  return OK;
};

const clientGetname: CommandHandler = (ctx) => bulkOrNull(ctx.session.name ?? undefined);

const clientId: CommandHandler = (ctx) => integer(ctx.session.id);

/** Redis 7.2's CLIENT SETINFO LIB-NAME|LIB-VER value. */
const clientSetinfo: CommandHandler = (ctx) => {
  const attribute = ctx.args[2];
  const value = text(ctx.args[3]);
  const isName = isKeyword(attribute, 'lib-name');
  if (!isName && !isKeyword(attribute, 'lib-ver')) return error(`ERR Unrecognized option '${cString(attribute)}'`);
  if (!printable(cString(ctx.args[3]))) return error(`ERR ${cString(attribute)} cannot contain spaces, newlines or special characters.`);
  if (isName) ctx.session.libName = value === '' ? null : value;
  else ctx.session.libVersion = value === '' ? null : value;
  return OK;
};

/** CLIENT LIST's flags, those that apply here, in Redis's order; N for none. */
function clientFlags(session: Session): string {
  const tracking = session.tracking;
  let flags = '';
  if (session.subscriptions.active) flags += 'P';
  if (session.transaction !== undefined) flags += 'x';
  if (tracking !== undefined) flags += 't';
  if (tracking?.brokenRedirect) flags += 'R';
  if (tracking?.bcast) flags += 'B';
  if (session.watchTouched) flags += 'd';
  return flags === '' ? 'N' : flags;
}

/** One line of CLIENT LIST, in Redis 7.2's field order; buffer sizes are not tracked and read 0. */
export function clientInfoLine(session: Session, now: number): string {
  const { channels, patterns, shardChannels } = session.subscriptions;
  const fields = [
    `id=${session.id}`,
    `addr=${session.connection.address ?? ''}`,
    `laddr=${session.connection.localAddress ?? ''}`,
    'fd=-1',
    `name=${session.name ?? ''}`,
    `age=${Math.max(0, Math.floor((now - session.createdAt) / 1000))}`,
    `idle=${Math.max(0, Math.floor((now - session.lastInteraction) / 1000))}`,
    `flags=${clientFlags(session)}`,
    `db=${session.db}`,
    `sub=${channels.size}`,
    `psub=${patterns.size}`,
    `ssub=${shardChannels.size}`,
    `multi=${session.transaction?.length ?? -1}`,
    'qbuf=0',
    'qbuf-free=0',
    'argv-mem=0',
    'multi-mem=0',
    'rbs=0',
    'rbp=0',
    'obl=0',
    'oll=0',
    'omem=0',
    'tot-mem=0',
    'events=r',
    `cmd=${session.lastCommand}`,
    'user=default',
    `redir=${session.tracking?.redirect ?? -1}`,
    `resp=${session.protocol}`,
    `lib-name=${session.libName ?? ''}`,
    `lib-ver=${session.libVersion ?? ''}`,
  ];
  return `${fields.join(' ')}\n`;
}

const clientInfo: CommandHandler = (ctx) => verbatim(clientInfoLine(ctx.session, ctx.now));

/** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]: a session is "pubsub" while subscribed, else "normal". */
const clientList: CommandHandler = (ctx) => {
  const args = ctx.args;
  let sessions = Array.from(ctx.server.sessions());
  if (args.length === 4 && isKeyword(args[2], 'type')) {
    const kind = text(args[3]).toLowerCase();
    if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(kind)) return error(`ERR Unknown client type '${cString(args[3])}'`);
    sessions = kind === 'normal' || kind === 'pubsub' ? sessions.filter((session) => session.subscriptions.active === (kind === 'pubsub')) : [];
  } else if (args.length > 3 && isKeyword(args[2], 'id')) {
    const byId = new Map(sessions.map((session) => [BigInt(session.id), session]));
    sessions = [];
    for (let j = 3; j < args.length; j++) {
      const id = parseLongLong(args[j]);
      if (id === null) return error('ERR Invalid client ID');
      const session = byId.get(id);
      if (session !== undefined) sessions.push(session);
    }
  } else if (args.length !== 2) {
    return Errors.syntax;
  }
  return verbatim(sessions.map((session) => clientInfoLine(session, ctx.now)).join(''));
};

const clientHelp: CommandHandler = () =>
  helpReply('CLIENT', [
    ['CACHING (YES|NO)', 'Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.'],
    ['GETREDIR', 'Return the client ID we are redirecting to when tracking is enabled.'],
    ['GETNAME', 'Return the name of the current connection.'],
    ['ID', 'Return the ID of the current connection.'],
    ['INFO', 'Return information about the current client connection.'],
    ['LIST [options ...]', 'Return information about client connections. Options:', '* TYPE (NORMAL|MASTER|REPLICA|PUBSUB)', '  Return clients of specified type.'],
    ['SETINFO <option> <value>', 'Set client meta attr. Options are:', '* LIB-NAME: the client lib name.', '* LIB-VER: the client lib version.'],
    ['SETNAME <name>', 'Assign the name <name> to the current connection.'],
    // The usage runs over two lines, the second not indented as a description is.
    ['TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]'],
    ['         [OPTIN] [OPTOUT] [NOLOOP]', 'Control server assisted client side caching.'],
    ['TRACKINGINFO', 'Report tracking status for the current connection.'],
  ]);

/** addReplyHelp's layout: a title, each subcommand with its indented description, then HELP. */
export function helpReply(command: string, entries: string[][]): Reply {
  const lines = [`${command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`];
  for (const [usage, ...description] of entries) lines.push(usage, ...description.map((line) => `    ${line}`));
  lines.push('HELP', '    Prints this help.');
  return array(lines.map(status));
}

export const connectionCommands: Record<string, CommandHandler> = {
  ping,
  echo,
  select,
  hello,
  auth,
  quit,
  reset,
  'client|setname': clientSetname,
  'client|getname': clientGetname,
  'client|id': clientId,
  'client|setinfo': clientSetinfo,
  'client|info': clientInfo,
  'client|list': clientList,
  'client|help': clientHelp,
};
