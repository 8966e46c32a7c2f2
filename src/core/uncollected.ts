/**
 * Bytes of arrays a structure has replaced (by a larger or smaller copy) that the garbage collector
 * has not freed yet. Until a full collection they are still memory the process holds, often for
 * seconds, and as large as the structure was: a cache that counts its structures against a
 * budget counts these too, or each doubling of its arrays would take it past the budget by their
 * old size. A FinalizationRegistry tells when each one is gone.
 */
export class UncollectedBytes {
  private pending = 0;
  private readonly registry = new FinalizationRegistry<number>((bytes) => {
    this.pending -= bytes;
  });

  get bytes(): number {
    return this.pending;
  }

  /** `array` (of `bytes` bytes) is no longer used; counted until it is collected. */
  dropped(array: object, bytes: number): void {
    this.pending += bytes;
    this.registry.register(array, bytes);
  }
}
