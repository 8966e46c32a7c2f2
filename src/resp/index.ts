export { RespProtocolError } from './errors.js';
export type { RespProtocolErrorCode } from './errors.js';
export { RequestParser, REQUEST_PARSER_DEFAULTS } from './request-parser.js';
export type { RequestParserOptions, RespCommand } from './request-parser.js';
export { splitInlineArgs } from './inline-args.js';
export { ReplyScanner } from './reply-scanner.js';
export type { ScannedReply } from './reply-scanner.js';
export { RespType } from './reply-types.js';
export type { RespTypeByte } from './reply-types.js';
export { decodeReply, RespError, RespPush, RespVerbatimString } from './decode.js';
export type { DecodeOptions, RespValue } from './decode.js';
export {
  encodeAggregateHeader,
  encodeArray,
  encodeBigNumber,
  encodeBoolean,
  encodeBulkString,
  encodeCommand,
  encodedCommandLength,
  encodeDouble,
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
  writeCommand,
} from './encode.js';
export type { CommandArg, RespVersion } from './encode.js';
