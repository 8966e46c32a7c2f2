/** What went wrong, one code per message Redis can send (plus the reply-side ones of this codec). */
export type RespProtocolErrorCode =
  | 'invalid-multibulk-length'
  | 'invalid-bulk-length'
  | 'expected-dollar'
  | 'unbalanced-quotes'
  | 'too-big-inline-request'
  | 'too-big-mbulk-count-string'
  | 'too-big-bulk-count-string'
  | 'query-buffer-limit'
  | 'invalid-reply';

/**
 * A protocol violation. The stream it came from cannot be parsed any further: the request parser
 * or reply scanner that threw it rethrows it on every later call.
 *
 * For requests, `message` is exactly the text Redis 7 sends after `-ERR ` before closing the
 * connection (`-ERR Protocol error: invalid bulk length`), except for `query-buffer-limit`: Redis
 * closes such a client without any reply (it only logs "Closing client that reached max query
 * buffer length"), so that message is ours and meant for logs.
 */
export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';

  constructor(
    readonly code: RespProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const protocolErrors = {
  invalidMultibulkLength: () =>
    new RespProtocolError('invalid-multibulk-length', 'Protocol error: invalid multibulk length'),
  invalidBulkLength: () =>
    new RespProtocolError('invalid-bulk-length', 'Protocol error: invalid bulk length'),
  /** Redis formats the byte with %c and turns CR and LF into spaces, so the reply stays one line. */
  expectedDollar: (got: number) =>
    new RespProtocolError(
      'expected-dollar',
      `Protocol error: expected '$', got '${got === 13 || got === 10 ? ' ' : String.fromCharCode(got)}'`,
    ),
  unbalancedQuotes: () =>
    new RespProtocolError('unbalanced-quotes', 'Protocol error: unbalanced quotes in request'),
  tooBigInlineRequest: () =>
    new RespProtocolError('too-big-inline-request', 'Protocol error: too big inline request'),
  tooBigMbulkCountString: () =>
    new RespProtocolError('too-big-mbulk-count-string', 'Protocol error: too big mbulk count string'),
  tooBigBulkCountString: () =>
    new RespProtocolError('too-big-bulk-count-string', 'Protocol error: too big bulk count string'),
  queryBufferLimit: (limit: number) =>
    new RespProtocolError(
      'query-buffer-limit',
      `Protocol error: a command exceeded the query buffer limit of ${limit} bytes`,
    ),
  invalidReply: (detail: string) => new RespProtocolError('invalid-reply', `Protocol error: ${detail}`),
};
