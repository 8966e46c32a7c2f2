/**
 * What every client connection of a front does the same way, whatever answers its commands (the
 * upstream Redis or the embedded store): parse with Redis's limits, answer a protocol error with
 * `-ERR Protocol error: ...` and close only this connection, write everything answered while
 * handling one chunk of input in one socket write, stop reading while the client leaves its
 * replies unread, and close gracefully (stop reading, finish the replies owed, then end).
 */
import type net from 'node:net';
import { RequestParser, RespProtocolError, type RespCommand } from '../resp/request-parser.js';
import { ReplyWriter } from './reply-writer.js';

/** Stop reading from a client whose replies pile up unread beyond this many bytes. */
const OUTPUT_HIGH_WATER = 64 * 1024 * 1024;

export interface ConnectionLimits {
  /** Largest bulk argument (Redis: proto-max-bulk-len). */
  maxBulkLength: number;
  /** Most bytes buffered for one unfinished command (Redis: client-query-buffer-limit). */
  maxQueryBuffer: number;
  /** Pause reading past this many unwritten reply bytes; default OUTPUT_HIGH_WATER. */
  outputHighWater?: number;
}

/** What the front needs of a connection to shut it down. */
export interface ClientHandle {
  /** Stop reading; close once the replies in flight are written. */
  shutdown(): void;
  destroy(): void;
}

export function errorReply(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}\r\n`);
}

export abstract class ClientConnection implements ClientHandle {
  protected readonly parser: RequestParser;
  /** Replies ready to write, in order; written together by `flush`. */
  protected readonly out: ReplyWriter;
  /** Reading has stopped (QUIT, a protocol error, shutdown): close once nothing is owed. */
  protected closing = false;
  private closed = false;
  private readonly outputHighWater: number;

  constructor(
    protected readonly socket: net.Socket,
    limits: ConnectionLimits,
    /** Called once, when the connection is gone. */
    private readonly onClosed: (connection: ClientConnection) => void,
  ) {
    this.out = new ReplyWriter(socket);
    this.parser = new RequestParser({ maxBulkLength: limits.maxBulkLength, maxQueryBuffer: limits.maxQueryBuffer });
    this.outputHighWater = limits.outputHighWater ?? OUTPUT_HIGH_WATER;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      if (!this.closing) socket.resume();
    });
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  protected abstract onData(chunk: Buffer): void;

  /** Replies owed besides `out` (forwarded commands not answered yet); none by default. */
  protected hasRepliesInFlight(): boolean {
    return false;
  }

  /** Releases what the connection holds besides its socket; runs once, on close. */
  protected released(): void {}

  /**
   * Runs `handle` on each complete command buffered, while it returns true. A protocol error
   * stops reading for good (`closing`) and is returned, for the caller to answer in its place.
   */
  protected readCommands(handle: (command: RespCommand) => boolean): RespProtocolError | undefined {
    try {
      for (let command = this.parser.next(); command !== undefined; command = this.parser.next()) {
        if (!handle(command)) return undefined;
      }
      return undefined;
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      this.closing = true;
      return error;
    }
  }

  /** The reply to a protocol error, as Redis words it. */
  protected static protocolErrorReply(error: RespProtocolError): Buffer {
    return errorReply(`ERR ${error.message}`);
  }

  /** After a chunk of input: write what is ready, and close if reading has stopped. */
  protected finishInput(): void {
    this.flush();
    if (this.closing) {
      this.socket.pause();
      this.closeIfIdle();
    }
  }

  /** Stops reading; the connection closes once the replies in flight are written. */
  shutdown(): void {
    this.closing = true;
    this.socket.pause();
    this.closeIfIdle();
  }

  protected flush(): void {
    if (this.out.flush() > this.outputHighWater) this.socket.pause();
  }

  protected closeIfIdle(): void {
    if (this.out.empty && !this.hasRepliesInFlight()) this.socket.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.destroy();
    this.released();
    this.onClosed(this);
  }
}
