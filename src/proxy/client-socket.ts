/*
 * A client's socket as the proxy reads and writes it: straight through the socket's libuv handle
 * where this Node allows it, else through net.Socket's streams.
 *
 * Hand-written, and on the hit path: net.Socket's stream machinery (a Readable push and 'data'
 * event per read; a Writable write, a write request and a nextTick per write) costs more than
 * the proxy's own work per GET. Measured with redis-benchmark against a bare server answering
 * GETs (50 clients, 2026-12-02): through the streams 0.67-0.85 µs of CPU per GET at pipeline 16
 * and a p99 of 0.81-1.07 ms at pipeline 1; through the handle, reading into one shared buffer,
 * 0.51-0.54 µs and 0.40-0.44 ms; redis-server 0.58-0.70 µs and 0.38-0.49 ms.
 *
 * The handle's API is Node's own (`process.binding('stream_wrap')`, what lib/net.js uses): it is
 * detected once, and any piece missing means streams. The net.Socket stays the owner of the
 * handle: it still closes it, reports errors and emits 'close', and `end()` still goes through it
 * (its shutdown request waits in libuv behind the writes made here). Every write of a client must
 * go through this class, so that none overtakes another. CACHEE_NET_STREAMS=1 forces streams.
 */
import type net from 'node:net';

/** What the proxy needs of a client socket (ReplyWriter writes to it). */
export interface ClientSink {
  write(bytes: Buffer): void;
  /** Bytes handed to write that the kernel has not taken yet. */
  readonly writableLength: number;
  readonly destroyed: boolean;
  cork(): void;
  uncork(): void;
}

export interface ClientSocketEvents {
  /** Bytes read. With `transientReads`, a view valid only during the call: copy what is kept. */
  data(chunk: Buffer): void;
  /** Everything written has reached the kernel after some of it had to wait. */
  drain(): void;
  /** The client closed its side (it may still read): reading has stopped, writing has not. */
  end(): void;
}

interface StreamBinding {
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
  WriteWrap: new () => WriteRequest;
}

interface WriteRequest {
  handle: unknown;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: Buffer | null;
  owner: ClientSocket | null;
}

interface StreamHandle {
  onread: (arrayBuffer: ArrayBuffer | undefined) => void;
  useUserBuffer?(buffer: Buffer): void;
  readStart(): number;
  readStop(): number;
  writeBuffer(request: WriteRequest, bytes: Buffer): number;
}

/** libuv's end-of-stream code, the same on every platform. */
const UV_EOF = -4095;

/**
 * Where every client's reads land, in handle mode: one buffer for all (as net.connect's
 * `onread` option allows for one socket). A read is handled to the end before the next is made,
 * so no two reads share it; what a connection keeps past the read it copies. Without it, Node
 * allocates a fresh buffer of up to 64 KiB per read, and at pipeline 1 those allocations were the
 * difference between a p99 of 0.62-0.66 ms and 0.40-0.44 ms for a bare server (Redis: 0.38-0.49).
 */
const SHARED_INPUT = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * Views of SHARED_INPUT's first n bytes, made once per length up to VIEW_CACHE_MAX: a client
 * sends the same few lengths over and over (one GET frame, sixteen of them), and a view a read
 * saves is garbage the young generation does not collect. As safe as the shared buffer itself:
 * nothing keeps a chunk past its call without copying it.
 */
const VIEW_CACHE_MAX = 4096;
const inputViews: (Buffer | undefined)[] = new Array(VIEW_CACHE_MAX + 1).fill(undefined);

function inputView(length: number): Buffer {
  if (length > VIEW_CACHE_MAX) return SHARED_INPUT.subarray(0, length);
  return (inputViews[length] ??= SHARED_INPUT.subarray(0, length));
}

const binding: StreamBinding | undefined = (() => {
  try {
    // `process.binding` is deprecated for modules that need not reach Node's internals; the
    // socket handle is what this class is for. Typed loosely: it is not in @types/node.
    const b = (process as unknown as { binding(name: string): Partial<StreamBinding> }).binding('stream_wrap');
    const complete =
      b.streamBaseState instanceof Int32Array &&
      typeof b.WriteWrap === 'function' &&
      [b.kReadBytesOrError, b.kArrayBufferOffset, b.kLastWriteWasAsync].every((k) => typeof k === 'number');
    return complete ? (b as StreamBinding) : undefined;
  } catch {
    return undefined;
  }
})();

function handleOf(socket: net.Socket): StreamHandle | undefined {
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (handle == null || !('onread' in handle)) return undefined;
  return typeof handle.readStart === 'function' && typeof handle.readStop === 'function' && typeof handle.writeBuffer === 'function'
    ? (handle as StreamHandle)
    : undefined;
}

function newWriteRequest(handle: StreamHandle): WriteRequest {
  const request = new binding!.WriteWrap();
  request.handle = handle;
  request.oncomplete = onWriteComplete;
  request.async = false;
  request.bytes = 0;
  request.buffer = null;
  request.owner = null;
  return request;
}

function onWriteComplete(this: WriteRequest, status: number): void {
  const owner = this.owner!;
  owner.written(this.buffer!.length, status);
  this.owner = null;
  this.buffer = null;
}

export class ClientSocket implements ClientSink {
  /** Through the handle; undefined: through the streams. */
  private readonly handle: StreamHandle | undefined;
  /** Bytes of writes the kernel has not completed (handle mode). */
  private pending = 0;
  private ending = false;
  /** Handle mode: reads are on (readStart called and not stopped since). */
  private reading = true;
  /**
   * The request of the last write, when the kernel took all of it at once: used again for the
   * next. Node's C++ attaches nothing to a request written at once (StreamBase::Write returns
   * before it creates the WriteWrap), so the object is as new; one that had to wait is not reused.
   */
  private spareRequest: WriteRequest | undefined;

  /** Chunks given to `data` are views of a buffer used again by the next read. */
  readonly transientReads: boolean;

  constructor(
    readonly socket: net.Socket,
    private readonly events: ClientSocketEvents,
  ) {
    socket.setNoDelay(true);
    const handle = binding !== undefined && process.env.CACHEE_NET_STREAMS !== '1' ? handleOf(socket) : undefined;
    this.handle = handle;
    this.transientReads = handle !== undefined && typeof handle.useUserBuffer === 'function';
    if (handle === undefined) {
      socket.on('data', (chunk: Buffer) => events.data(chunk));
      socket.on('drain', () => events.drain());
      // The server allows half-open sockets (front.ts), so the socket stays writable after this.
      socket.on('end', () => events.end());
      return;
    }
    if (this.transientReads) handle.useUserBuffer!(SHARED_INPUT);
    handle.onread = (arrayBuffer) => this.onRead(arrayBuffer);
    handle.readStart();
  }

  /** Whether reads and writes go through the socket's handle rather than its streams. */
  get direct(): boolean {
    return this.handle !== undefined;
  }

  private onRead(arrayBuffer: ArrayBuffer | undefined): void {
    const state = binding!.streamBaseState;
    const nread = state[binding!.kReadBytesOrError];
    if (nread > 0) {
      this.events.data(this.transientReads ? inputView(nread) : Buffer.from(arrayBuffer!, state[binding!.kArrayBufferOffset], nread));
    } else if (nread === UV_EOF) {
      this.pause();
      this.events.end();
    } else if (nread < 0) {
      this.socket.destroy();
    }
  }

  write(bytes: Buffer): void {
    const handle = this.handle;
    if (handle === undefined) {
      if (!this.socket.destroyed) this.socket.write(bytes);
      return;
    }
    if (this.socket.destroyed || bytes.length === 0) return;
    const request = this.spareRequest ?? newWriteRequest(handle);
    this.spareRequest = undefined;
    const error = handle.writeBuffer(request, bytes);
    if (error !== 0) {
      this.socket.destroy();
      return;
    }
    if (binding!.streamBaseState[binding!.kLastWriteWasAsync] !== 0) {
      // The kernel took part of it: libuv keeps the rest, and the buffer must live until then.
      request.buffer = bytes;
      request.owner = this;
      this.pending += bytes.length;
    } else {
      this.spareRequest = request;
    }
  }

  /** A write that had to wait completed (called by its request). */
  written(bytes: number, status: number): void {
    this.pending -= bytes;
    if (status < 0) this.socket.destroy();
    else if (this.pending === 0) this.events.drain();
  }

  get writableLength(): number {
    return this.handle === undefined ? this.socket.writableLength : this.pending;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  cork(): void {
    if (this.handle === undefined) this.socket.cork();
  }

  uncork(): void {
    if (this.handle === undefined) this.socket.uncork();
  }

  /** Whether reading is stopped (pause, or the end of the client's input). */
  get paused(): boolean {
    return this.handle === undefined ? this.socket.isPaused() : !this.reading;
  }

  pause(): void {
    if (this.handle === undefined) this.socket.pause();
    else if (this.reading) {
      this.reading = false;
      if (!this.socket.destroyed) this.handle.readStop();
    }
  }

  resume(): void {
    if (this.handle === undefined) this.socket.resume();
    else if (!this.reading && !this.ending) {
      this.reading = true;
      if (!this.socket.destroyed) this.handle.readStart();
    }
  }

  /** Closes once every write made has reached the kernel. */
  end(): void {
    if (this.socket.destroyed || this.ending) return;
    this.ending = true;
    if (this.handle === undefined) {
      this.socket.end();
      return;
    }
    // The Readable side never ends in handle mode (its reads are not pushed), so the socket
    // would not destroy itself once the end is written.
    this.socket.once('finish', () => this.socket.destroy());
    this.socket.end();
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
