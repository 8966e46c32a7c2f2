/*
 * Hand-written and on the proxy's hot path (every byte a client or Redis sends passes here): a
 * library would cost us speed and copies.
 */
import { EMPTY_BUFFER } from './bytes.js';

/**
 * A byte stream as the chunks it arrived in, read by one parser with one frame (a command or a
 * reply) in progress at a time.
 *
 * A frame that lies in one chunk is handed out as a view of that chunk (no copy); a frame spread
 * over several chunks is copied exactly once, when it completes. Bytes are never scanned twice:
 * chunks the frame started in are only kept, not read again, and the parser keeps its own state.
 *
 * Positions inside a frame are "frame offsets" (0 = the frame's first byte), so a parser can note
 * where an argument lies before it knows whether the frame will end up in one chunk or several.
 */
export class ChunkQueue {
  /** The chunk being read. */
  chunk: Buffer = EMPTY_BUFFER;
  /** The read position in `chunk`. */
  pos = 0;
  /** The frame offset of `chunk[0]`: `chunk[i]` is at frame offset `i + base`. */
  base = 0;
  private inFrame = false;
  private readonly queued: Buffer[] = [];
  private queuedBytes = 0;
  /** The frame's bytes from chunks already read, kept until the frame completes. */
  private readonly earlier: Buffer[] = [];
  private earlierBytes = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
  }

  /** Bytes received and not yet handed out in a frame. */
  get bufferedBytes(): number {
    return this.frameBytes + (this.chunk.length - this.pos) + this.queuedBytes;
  }

  /** Bytes of the frame in progress read so far (0 between frames). */
  get frameBytes(): number {
    return this.inFrame ? this.base + this.pos : 0;
  }

  /** Moves on to the next chunk once `chunk` is read to its end; false when none is queued. */
  advance(): boolean {
    const next = this.queued.shift();
    if (next === undefined) return false;
    this.queuedBytes -= next.length;
    if (this.inFrame) {
      const part = this.base < 0 ? this.chunk.subarray(-this.base) : this.chunk;
      this.earlier.push(part);
      this.earlierBytes += part.length;
      this.base = this.earlierBytes;
    }
    this.chunk = next;
    this.pos = 0;
    return true;
  }

  /** A frame starts at `chunk[pos]`. */
  beginFrame(): void {
    this.inFrame = true;
    this.base = -this.pos;
  }

  /** Ends the frame at `chunk[end]` (exclusive) and returns its bytes. */
  takeFrame(end: number): Buffer {
    this.inFrame = false;
    if (this.earlierBytes === 0) return this.chunk.subarray(-this.base, end);
    this.earlier.push(this.chunk.subarray(0, end));
    const frame = Buffer.concat(this.earlier, this.earlierBytes + end);
    this.earlier.length = 0;
    this.earlierBytes = 0;
    return frame;
  }

  /** Ends the frame without keeping its bytes (frames Redis ignores, such as `*0`). */
  dropFrame(): void {
    this.inFrame = false;
    this.earlier.length = 0;
    this.earlierBytes = 0;
  }

  /**
   * Hands over every byte not yet returned in a frame (the frame in progress, then the rest) and
   * empties the queue: a view when they lie in one chunk, else one copy.
   */
  takeBuffered(): Buffer {
    const parts = this.earlier;
    const from = !this.inFrame ? this.pos : this.earlierBytes === 0 ? -this.base : 0;
    if (from < this.chunk.length) parts.push(this.chunk.subarray(from));
    for (const chunk of this.queued) parts.push(chunk);
    const taken = parts.length === 0 ? EMPTY_BUFFER : parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.clear();
    return taken;
  }

  /** Forgets everything buffered. */
  clear(): void {
    this.dropFrame();
    this.queued.length = 0;
    this.queuedBytes = 0;
    this.chunk = EMPTY_BUFFER;
    this.pos = 0;
  }
}
