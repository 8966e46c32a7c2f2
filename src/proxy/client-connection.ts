/**
 * What every client connection of a front does the same way, whatever answers its commands (the
 * upstream Redis or the embedded store): parse with Redis's limits, answer a protocol error with
 * `-ERR Protocol error: ...` and close only this connection, write everything answered in one
 * event-loop turn in one socket write (./turn-flush.ts), stop reading while the client leaves its
 * replies unread, and close gracefully (stop reading, finish the replies owed, then end).
 */
import type net from 'node:net';
import { RequestParser, RespProtocolError, type RespCommand } from '../resp/request-parser.js';
import { AccessRecorder, MAX_BACKLOG, parseRecordCommand, Recording, recordEndText, recordMessage, type RecordingHost } from './recording.js';
import { ClientSocket } from './client-socket.js';
import { ReplyWriter } from './reply-writer.js';
import { flushAtTurnEnd, type TurnFlushed } from './turn-flush.js';
import { Replies } from '../resp/encode.js';
import { isKeyword } from '../store/arguments.js';

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

/** How Redis answers a command from a connection that has not authenticated. */
export const NOAUTH = errorReply('NOAUTH Authentication required.');

const RECORDING_ONLY_QUIT = errorReply('ERR only QUIT is allowed while this connection records (CACHEE RECORD)');

export abstract class ClientConnection implements ClientHandle, TurnFlushed {
  protected readonly parser: RequestParser;
  /** The socket's reads and writes (every write to the client goes through it). */
  protected readonly client: ClientSocket;
  /** Replies ready to write, in order; written together at the end of the turn (`flush`). */
  protected readonly out: ReplyWriter;
  /** Reading has stopped (QUIT, a protocol error, shutdown): close once nothing is owed. */
  protected closing = false;
  private closed = false;
  /** A flush at the end of this turn is asked for. */
  private flushQueued = false;
  /** Commands in the chunk of input being handled: `readCommands` counts its own, a front's scanner adds its own. */
  protected commandsInChunk = 0;
  private readonly outputHighWater: number;
  /** While this connection is a recording's feed (CACHEE RECORD, see ./recording.ts). */
  private recording: { host: RecordingHost; recording: Recording; timer: NodeJS.Timeout | undefined; protocol: number } | undefined;

  constructor(
    protected readonly socket: net.Socket,
    limits: ConnectionLimits,
    /** Called once, when the connection is gone. */
    private readonly onClosed: (connection: ClientConnection) => void,
  ) {
    this.parser = new RequestParser({ maxBulkLength: limits.maxBulkLength, maxQueryBuffer: limits.maxQueryBuffer });
    this.outputHighWater = limits.outputHighWater ?? OUTPUT_HIGH_WATER;
    this.client = new ClientSocket(socket, {
      data: (chunk) => (this.recording === undefined ? this.onData(chunk) : this.onRecordingInput(chunk)),
      drain: () => {
        if (!this.closing) this.client.resume();
        this.drained();
      },
      end: () => this.inputEnded(),
    });
    this.out = new ReplyWriter(this.client);
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  /** Input read; `chunk` may be valid only during the call (keep a copy: see `kept`). */
  protected abstract onData(chunk: Buffer): void;

  /** `bytes` of a chunk of input, safe to keep past the call that got the chunk. */
  protected kept(bytes: Buffer): Buffer {
    return this.client.transientReads ? Buffer.from(bytes) : bytes;
  }

  /** Replies owed besides `out` (forwarded commands not answered yet); none by default. */
  protected hasRepliesInFlight(): boolean {
    return false;
  }

  /** Releases what the connection holds besides its socket; runs once, on close. */
  protected released(): void {}

  /** Every reply written has reached the kernel after some had to wait. */
  protected drained(): void {}

  /**
   * Unwritten bytes past which this client is disconnected rather than buffered for (Redis's
   * client-output-buffer-limit); none by default, since pausing its reads bounds what a client's
   * own commands pile up. See StoreConnection for a client others' commands write to.
   */
  protected outputHardLimit(): number {
    return Infinity;
  }

  /**
   * The client closed its side: as Redis does, answer every command read before that, then close.
   * A front whose replies come from elsewhere may pass the end on to it (see ClientSession).
   */
  protected inputEnded(): void {
    this.shutdown();
  }

  /**
   * Runs `handle` on each complete command buffered, while it returns true. A protocol error
   * stops reading for good (`closing`) and is returned, for the caller to answer in its place.
   */
  protected readCommands(handle: (command: RespCommand) => boolean): RespProtocolError | undefined {
    try {
      for (let command = this.parser.next(); command !== undefined; command = this.parser.next()) {
        this.commandsInChunk++;
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

  /**
   * After a chunk of input: write what is ready, and close if reading has stopped. The replies to
   * one command go out at once: its client waits for nothing else, and waiting for the turn's end
   * costs a setImmediate per turn (an object, and a call into JS). Those to pipelined commands go
   * out with the turn's others (./turn-flush.ts). redis-benchmark, 50 clients, in turn with
   * redis-server: with every reply written at the turn's end, p99 at pipeline 1 0.44-0.57 ms
   * against 0.34-0.49 with every reply written at once (Redis: 0.32-0.43); at pipeline 16,
   * 0.64-0.70 against 0.75-0.82 (Redis: 0.61-0.67). As here: 0.34-0.41 and 0.57-0.62 (Redis
   * 0.33-0.39 and 0.60-0.81).
   */
  protected finishInput(): void {
    if (this.commandsInChunk > 1) this.flush();
    else this.flushNow();
    this.commandsInChunk = 0;
    if (this.closing) {
      this.client.pause();
      this.closeIfIdle();
    }
  }

  /** The connection is gone (`destroy` ran). */
  protected get isClosed(): boolean {
    return this.closed;
  }

  /** Whether CACHEE RECORD made this connection a feed: the caller stops handling its input. */
  protected get recordingActive(): boolean {
    return this.recording !== undefined;
  }

  /**
   * Answers `CACHEE ...`: starts a recording of `host`'s reads on this connection (or says why
   * not) and returns the reply. Only on a connection that owes no other replies, so the feed
   * cannot overtake them.
   */
  protected answerCachee(host: RecordingHost, args: Buffer[], protocol: number): Buffer {
    const request = parseRecordCommand(args);
    if (typeof request === 'string') return errorReply(request);
    if (this.recording !== undefined) return errorReply('ERR this connection is already recording');
    if (this.hasRepliesInFlight()) return errorReply('ERR CACHEE RECORD must not be pipelined behind commands still waiting for their replies');
    const recording = new Recording(request.sample, (line) => this.deliverRecorded(recordMessage('record', line, protocol)));
    const timer = request.durationMs > 0 ? setTimeout(() => this.endRecording(), request.durationMs) : undefined;
    this.recording = { host, recording, timer, protocol };
    AccessRecorder.add(host, recording);
    return Buffer.from(`+OK source=${host.recordSource}\r\n`);
  }

  /** Queues one message of the feed; a burst of reads in one turn costs one socket write. */
  private deliverRecorded(message: string): boolean {
    if (this.closing || this.client.writableLength > MAX_BACKLOG) return false;
    this.out.push(message);
    this.flush();
    return true;
  }

  /** Stops the recording: its reads are no longer logged. */
  private stopRecording(): Recording | undefined {
    const active = this.recording;
    if (active === undefined) return undefined;
    this.recording = undefined;
    clearTimeout(active.timer);
    AccessRecorder.remove(active.host, active.recording);
    return active.recording;
  }

  /** Duration over, QUIT or shutdown: the last message (then `reply`, if any), then close. */
  private endRecording(reply?: Buffer): void {
    const protocol = this.recording?.protocol ?? 2;
    const recording = this.stopRecording();
    if (recording === undefined) return;
    this.out.push(recordMessage('record-end', recordEndText(recording), protocol));
    if (reply !== undefined) this.out.push(reply);
    this.closing = true;
    this.flush();
    this.closeIfIdle();
  }

  /** Input while recording: QUIT ends the connection, anything else is refused. */
  private onRecordingInput(chunk: Buffer): void {
    this.parser.feed(this.kept(chunk));
    const failure = this.readCommands((command) => {
      const quit = command.args[0].length === 4 && isKeyword(command.args[0], 'quit');
      if (!quit) {
        this.out.push(RECORDING_ONLY_QUIT);
        return true;
      }
      this.endRecording(Replies.OK);
      return false;
    });
    if (failure !== undefined) this.out.push(ClientConnection.protocolErrorReply(failure));
    this.finishInput();
  }

  /** Stops reading; the connection closes once the replies in flight are written. */
  shutdown(): void {
    this.endRecording();
    this.closing = true;
    this.client.pause();
    this.closeIfIdle();
  }

  /** Writes what `out` holds at the end of this event-loop turn, with every other client's. */
  protected flush(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    flushAtTurnEnd(this);
  }

  flushTurn(): void {
    this.flushQueued = false;
    this.flushNow();
    if (this.closing) this.closeIfIdle();
  }

  /** Writes what `out` holds now: before bytes that go to the socket past `out`. */
  protected flushNow(): void {
    const queued = this.out.flush();
    // Zero on the hit path: the kernel took it all.
    if (queued === 0) return;
    if (queued > this.outputHardLimit()) this.destroy();
    else if (queued > this.outputHighWater) this.client.pause();
  }

  /** Ends the connection once nothing is owed; else the flush that writes the last replies does. */
  protected closeIfIdle(): void {
    if (this.out.empty && !this.hasRepliesInFlight()) this.client.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopRecording();
    this.client.destroy();
    this.released();
    this.onClosed(this);
  }
}
