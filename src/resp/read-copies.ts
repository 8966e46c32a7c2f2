/**
 * Copies of a socket's reads, for a reader that keeps what it reads until a frame completes.
 *
 * A copy of each read on its own (Buffer.from, or the fresh buffer Node allocates per read) is a
 * block of up to 64 KiB from glibc's heap. While a peer sends a frame of hundreds of MB (a client's
 * command, Redis's reply of a large value), thousands of those die young and wait for a
 * collection, the heap grows by them, and glibc cannot give it back once live blocks sit between
 * the freed ones: 165 MB of heap stayed after 4 x 400 MB commands. So once the reader holds more
 * than SLAB_ABOVE, reads are carved one after another out of 1 MiB slabs: each past glibc's mmap
 * threshold (128 KiB, fixed as src/proxy/malloc-tuning.ts says), its own mapping, unmapped when
 * the last copy in it dies. Below, a copy is the read's own size and dies with its frame.
 */
const SLAB_BYTES = 1024 * 1024;
/** Bytes the reader holds past which its reads go into slabs. */
const SLAB_ABOVE = 256 * 1024;

export class ReadCopies {
  private slab: Buffer | undefined;
  private used = 0;

  /** A copy of `bytes`, for a reader that holds `held` bytes besides. */
  copy(bytes: Buffer, held: number): Buffer {
    if (held < SLAB_ABOVE || bytes.length > SLAB_BYTES) {
      this.slab = undefined; // the large frame is over: its last slab goes with it
      return Buffer.from(bytes);
    }
    if (this.slab === undefined || SLAB_BYTES - this.used < bytes.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.used = 0;
    }
    const start = this.used;
    this.used += bytes.copy(this.slab, start);
    return this.slab.subarray(start, this.used);
  }
}
