/**
 * Copies of a client's reads, for a connection receiving a large command: carved one after
 * another out of 1 MiB slabs. A copy per read (Buffer.from) is a 64 KiB block of glibc's heap;
 * while a client sends hundreds of MB, thousands of those die young and wait for a collection,
 * the heap grows by them, and glibc cannot give it back once live blocks sit between the freed
 * ones (165 MB of heap kept after 4 x 400 MB). A slab is past glibc's mmap threshold (128 KiB,
 * fixed as malloc-tuning.ts says): its own mapping, unmapped when the last copy in it dies.
 */
const SLAB_BYTES = 1024 * 1024;

export class InputSlabs {
  private slab: Buffer | undefined;
  private used = 0;

  /** A copy of `bytes` (at most SLAB_BYTES; longer ones get a slab of their own). */
  copy(bytes: Buffer): Buffer {
    if (bytes.length > SLAB_BYTES) return Buffer.from(bytes);
    if (this.slab === undefined || SLAB_BYTES - this.used < bytes.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.used = 0;
    }
    const start = this.used;
    this.used += bytes.copy(this.slab, start);
    return this.slab.subarray(start, this.used);
  }

  /** Lets go of the slab being filled (the copies made keep theirs). */
  release(): void {
    this.slab = undefined;
  }
}
