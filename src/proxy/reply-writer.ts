/*
 * Hand-written and on the proxy's hit path: every reply a client gets passes here.
 */
import type { ClientSink } from './client-socket.js';

/** First buffer of a client; it grows (by doubling, up to MAX_CAPACITY) only for a client that needs it. */
const INITIAL_CAPACITY = 4 * 1024;
const MAX_CAPACITY = 64 * 1024;
/** Writes up to this long reuse their view of the buffer. */
const VIEW_CACHE_MAX = 4096;
/** Replies at least this long that are Buffers already are written as they are, not copied. */
const DIRECT_BYTES = 16 * 1024;
/** Replies shorter than this are copied by a loop: below it the loop beats the call into C++. */
const SHORT_STRING = 24;

/** `latin1Write` exists on every Node Buffer (it is what `buf.write(s, o, 'latin1')` calls) but is not typed. */
interface Latin1Writable {
  latin1Write(text: string, offset: number, length: number): number;
}

/**
 * The replies owed to one client, gathered into one socket write per event-loop turn.
 *
 * Replies are copied into a buffer this writer keeps rather than collected in an array and
 * concatenated, so a turn that answers only from L1 allocates nothing but the view it writes.
 * The buffer is used again once the socket has handed every byte to the kernel (the usual case:
 * a write on a socket with nothing queued completes at once); while the socket still queues part
 * of it, the next replies go to a new buffer.
 */
export class ReplyWriter {
  private buffer: Buffer | undefined;
  /** Bytes in `buffer`. */
  private length = 0;
  /** Start of the bytes in `buffer` not yet listed in `pieces`. */
  private start = 0;
  /** What goes out before buffer[start, length), in order: parts of earlier buffers and large replies. */
  private readonly pieces: Buffer[] = [];
  private capacity = INITIAL_CAPACITY;
  /** Views of `buffer` from its start, by length (see `view`). */
  private readonly views = new Map<number, Buffer>();

  constructor(private readonly socket: ClientSink) {}

  get empty(): boolean {
    return this.length === this.start && this.pieces.length === 0;
  }

  /** Appends reply bytes: a Buffer, or a latin1 string (one character a byte) as L1 stores them. */
  push(reply: Buffer | string): void {
    const n = reply.length;
    if (n === 0) return;
    if (typeof reply !== 'string') {
      if (n < DIRECT_BYTES) this.pushBytes(reply, 0, n);
      else {
        this.cut();
        this.pieces.push(reply);
      }
      return;
    }
    const buffer = this.room(n);
    let at = this.length;
    if (n < SHORT_STRING) {
      for (let i = 0; i < n; i++) buffer[at++] = reply.charCodeAt(i);
    } else {
      at += (buffer as unknown as Latin1Writable).latin1Write(reply, at, n);
    }
    this.length = at;
  }

  /** Appends `length` reply bytes of `source` from `start` (a Buffer reply, a record of L1's arena), copied. */
  pushBytes(source: Buffer, start: number, length: number): void {
    if (length === 0) return;
    const buffer = this.room(length);
    let at = this.length;
    if (length < SHORT_STRING) {
      for (let i = start; i < start + length; i++) buffer[at++] = source[i];
    } else {
      at += source.copy(buffer, at, start, start + length);
    }
    this.length = at;
  }

  /** The buffer, with room for `n` more bytes (a new one if it has not). */
  private room(n: number): Buffer {
    const buffer = this.buffer;
    return buffer === undefined || this.length + n > buffer.length ? this.renew(n) : buffer;
  }

  /**
   * Writes everything appended so far in one socket write (several pieces: one writev). Returns
   * the bytes the socket still queues afterwards.
   */
  flush(): number {
    const socket = this.socket;
    if (this.pieces.length === 0) {
      if (this.length === this.start) return socket.writableLength;
      if (!socket.destroyed) socket.write(this.view());
    } else {
      this.cut();
      if (!socket.destroyed) {
        socket.cork();
        for (const piece of this.pieces) socket.write(piece);
        socket.uncork();
      }
      this.pieces.length = 0;
    }
    const queued = socket.writableLength;
    // Nothing queued: the kernel has copied every byte and the buffer is free again.
    if (queued !== 0) this.dropBuffer();
    this.length = 0;
    this.start = 0;
    return queued;
  }

  /**
   * buffer[start, length) as a Buffer to write. Views from the start are made once per length
   * (a client's replies repeat a few lengths) and dropped with the buffer: each one a flush
   * saves is garbage the young generation does not collect.
   */
  private view(): Buffer {
    if (this.start !== 0 || this.length > VIEW_CACHE_MAX) return this.buffer!.subarray(this.start, this.length);
    let view = this.views.get(this.length);
    if (view === undefined) this.views.set(this.length, (view = this.buffer!.subarray(0, this.length)));
    return view;
  }

  /** Moves the bytes not yet listed into `pieces` (as a view of the buffer). */
  private cut(): void {
    if (this.length > this.start) {
      this.pieces.push(this.buffer!.subarray(this.start, this.length));
      this.start = this.length;
    }
  }

  private dropBuffer(): void {
    this.buffer = undefined;
    if (this.views.size !== 0) this.views.clear();
  }

  /** A new buffer with room for `n` bytes; what the old one holds goes out first. */
  private renew(n: number): Buffer {
    if (this.buffer !== undefined) {
      this.cut();
      this.capacity = Math.min(MAX_CAPACITY, this.capacity * 2);
    }
    const buffer = Buffer.allocUnsafeSlow(Math.max(this.capacity, n));
    this.dropBuffer();
    this.buffer = buffer;
    this.length = 0;
    this.start = 0;
    return buffer;
  }
}
