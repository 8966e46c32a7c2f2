/**
 * Replies as values, encoded for the session's protocol at the end. Commands build one of these;
 * the differences between RESP2 and RESP3 (null, maps, sets, verbatim strings) live only in
 * `encodeReply`, which uses the codec in src/resp.
 *
 * Text in replies is latin1 (one char per byte), as keys and values are stored.
 */
import {
  encodeArray,
  encodeBoolean,
  encodeBulkString,
  encodeError,
  encodeInteger,
  encodeLatin1BulkArray,
  encodeMap,
  encodeNull,
  encodeNullArray,
  encodePush,
  encodeSet,
  encodeSimpleString,
  encodeVerbatimString,
  Replies,
  type RespVersion,
} from '../resp/index.js';
import { formatDouble } from './double.js';

export type Reply =
  | { readonly kind: 'status'; readonly text: string }
  /** `counted`: already in INFO errorstats (a script passing on the error of a command it ran). */
  | { readonly kind: 'error'; readonly message: string; readonly counted?: boolean }
  | { readonly kind: 'integer'; readonly value: number | bigint }
  | { readonly kind: 'bulk'; readonly value: string }
  /** A double as Redis's addReplyDouble writes it: a bulk string in RESP2, `,` in RESP3. */
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'null' }
  /** A null array: RESP2 `*-1`, RESP3 null (EXEC after a WATCHed key changed). */
  | { readonly kind: 'nullArray' }
  | { readonly kind: 'array'; readonly items: readonly Reply[] }
  | { readonly kind: 'set'; readonly items: readonly Reply[] }
  | { readonly kind: 'map'; readonly entries: readonly (readonly [Reply, Reply])[] }
  | { readonly kind: 'verbatim'; readonly text: string }
  /** RESP3 `#t`/`#f`, the integers 1/0 in RESP2 (a script's reply after redis.setresp(3)). */
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** RESP3 `(digits`, a bulk string in RESP2; the text as given (a script may return any). */
  | { readonly kind: 'bigNumber'; readonly text: string }
  /** Out-of-band data (pub/sub): RESP3 `>N`, a plain array in RESP2. */
  | { readonly kind: 'push'; readonly items: readonly Reply[] }
  /**
   * Several replies to one command, back to back (SUBSCRIBE a b answers once per channel). In
   * EXEC's array they count as one element, as Redis's header does.
   */
  | { readonly kind: 'frames'; readonly replies: readonly Reply[] };

export const status = (text: string): Reply => ({ kind: 'status', text });
export const error = (message: string): Reply => ({ kind: 'error', message });
export const countedError = (message: string): Reply => ({ kind: 'error', message, counted: true });
export const integer = (value: number | bigint): Reply => ({ kind: 'integer', value });
export const bulk = (value: string): Reply => ({ kind: 'bulk', value });
export const double = (value: number): Reply => ({ kind: 'double', value });
export const array = (items: readonly Reply[]): Reply => ({ kind: 'array', items });
export const set = (items: readonly Reply[]): Reply => ({ kind: 'set', items });
export const map = (entries: readonly (readonly [Reply, Reply])[]): Reply => ({ kind: 'map', entries });
/** Text for humans (INFO, CLIENT INFO): a verbatim string in RESP3, a bulk string in RESP2. */
export const verbatim = (text: string): Reply => ({ kind: 'verbatim', text });
export const push = (items: readonly Reply[]): Reply => ({ kind: 'push', items });
export const frames = (replies: readonly Reply[]): Reply => (replies.length === 1 ? replies[0] : { kind: 'frames', replies });

export const OK = status('OK');
export const NULL: Reply = { kind: 'null' };
export const NULL_ARRAY: Reply = { kind: 'nullArray' };
export const ZERO = integer(0);
export const ONE = integer(1);
export const EMPTY_BULK = bulk('');
export const EMPTY_ARRAY = array([]);

export function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

export const bulkOrNull = (value: string | undefined): Reply => (value === undefined ? NULL : bulk(value));
export const bulks = (values: Iterable<string>): Reply => array(Array.from(values, bulk));

/** Redis's shared error replies, and the formatted ones commands share. */
export const Errors = {
  syntax: error('ERR syntax error'),
  noauth: error('NOAUTH Authentication required.'),
  wrongType: error('WRONGTYPE Operation against a key holding the wrong kind of value'),
  notInteger: error('ERR value is not an integer or out of range'),
  notFloat: error('ERR value is not a valid float'),
  overflow: error('ERR increment or decrement would overflow'),
  noSuchKey: error('ERR no such key'),
  dbIndexOutOfRange: error('ERR DB index is out of range'),
  arity: (command: string) => error(`ERR wrong number of arguments for '${command}' command`),
  invalidExpireTime: (command: string) => error(`ERR invalid expire time in '${command}' command`),
  outOfRange: (min: bigint | number, max: bigint | number) => error(`ERR value is out of range, value must between ${min} and ${max}`),
} as const;

const ASCII = /^[\x00-\x7f]*$/;

function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

function allBulks(items: readonly Reply[]): boolean {
  for (const item of items) if (item.kind !== 'bulk') return false;
  return true;
}

const bulkText = (item: Reply): string => (item as { value: string }).value;

/** The exact bytes of `reply` in the given protocol. */
export function encodeReply(reply: Reply, version: RespVersion): Buffer {
  switch (reply.kind) {
    case 'status':
      return reply === OK ? Replies.OK : encodeSimpleString(reply.text);
    case 'error':
      // Errors can echo argument bytes (unknown command 'caf\xe9'); the codec writes strings as
      // UTF-8, so anything beyond ASCII is framed here byte for byte, CR/LF made spaces as Redis does.
      return ASCII.test(reply.message) ? encodeError(reply.message) : latin1(`-${reply.message.replace(/[\r\n]/g, ' ')}\r\n`);
    case 'integer':
      return encodeInteger(reply.value);
    case 'bulk':
      return encodeBulkString(latin1(reply.value), version);
    case 'double': {
      // Redis 7.0 writes doubles with %.17g (7.2 writes the shortest form, as the codec's encodeDouble does).
      const text = formatDouble(reply.value);
      return version === 3 ? latin1(`,${text}\r\n`) : encodeBulkString(latin1(text), version);
    }
    case 'null':
      return encodeNull(version);
    case 'nullArray':
      return encodeNullArray(version);
    case 'array':
      return allBulks(reply.items) ? encodeLatin1BulkArray(reply.items.map(bulkText)) : encodeArray(reply.items.map((item) => encodeReply(item, version)), version);
    case 'set':
      return encodeSet(reply.items.map((item) => encodeReply(item, version)), version);
    case 'map':
      return encodeMap(reply.entries.map(([key, value]) => [encodeReply(key, version), encodeReply(value, version)] as const), version);
    case 'verbatim':
      return encodeVerbatimString(latin1(reply.text), 'txt', version);
    case 'boolean':
      return encodeBoolean(reply.value, version);
    case 'bigNumber':
      return version === 3 ? latin1(`(${reply.text}\r\n`) : encodeBulkString(latin1(reply.text), version);
    case 'push':
      return encodePush(reply.items.map((item) => encodeReply(item, version)), version);
    case 'frames':
      return Buffer.concat(reply.replies.map((item) => encodeReply(item, version)));
  }
}
