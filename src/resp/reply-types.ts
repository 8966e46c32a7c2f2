/** The first byte of each RESP2 / RESP3 value. */
export const RespType = Object.freeze({
  SimpleString: 0x2b, // +
  Error: 0x2d, // -
  Integer: 0x3a, // :
  BulkString: 0x24, // $
  Array: 0x2a, // *
  Null: 0x5f, // _
  Double: 0x2c, // ,
  Boolean: 0x23, // #
  BulkError: 0x21, // !
  VerbatimString: 0x3d, // =
  BigNumber: 0x28, // (
  Map: 0x25, // %
  Set: 0x7e, // ~
  Attribute: 0x7c, // |
  Push: 0x3e, // >
});

export type RespTypeByte = (typeof RespType)[keyof typeof RespType];

/** How a value of each type is framed. */
export const LINE = 1; // the value is the rest of the line: + - : _ , # (
export const BULK = 2; // a length line, that many bytes, CR LF: $ ! =
export const AGGREGATE = 3; // a count line, then that many values: * % ~ > |

export const FRAMING = new Uint8Array(256);
for (const type of [RespType.SimpleString, RespType.Error, RespType.Integer, RespType.Null, RespType.Double, RespType.Boolean, RespType.BigNumber]) {
  FRAMING[type] = LINE;
}
for (const type of [RespType.BulkString, RespType.BulkError, RespType.VerbatimString]) FRAMING[type] = BULK;
for (const type of [RespType.Array, RespType.Map, RespType.Set, RespType.Attribute, RespType.Push]) FRAMING[type] = AGGREGATE;

export function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `0x${byte.toString(16).padStart(2, '0')}`;
}
