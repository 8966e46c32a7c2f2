/**
 * The staleness checker: one writer sets a key to 1, 2, 3, ... one write at a time, noting when
 * each was acknowledged; readers note when each read started and the value it returned. A read is
 * stale when it started after the acknowledgement of a write newer than what it returned: the
 * value it should have seen was already in Redis, and its writer told so. Its lag is how long
 * after the acknowledgement of the first newer write (the returned value + 1) the read started.
 * Reads started before an acknowledgement may return either value: they are never stale.
 * All times are one process's `performance.now()`.
 */
import { percentile } from '../harness.js';

export interface StalenessReport {
  reads: number;
  stale: number;
  /** ms, over the stale reads (0 when none). */
  maxLag: number;
  p99Lag: number;
  /** Reads that returned a value never written: a bug, not staleness. */
  impossible: number;
}

export class StalenessChecker {
  /** acks[v]: when the write of v was acknowledged; acks[0] = -Infinity (the key's initial value 0). */
  private readonly acks: number[] = [-Infinity];
  private readonly lags: number[] = [];
  private reads = 0;
  private impossible = 0;

  /** The next value to write. */
  get nextValue(): number {
    return this.acks.length;
  }

  acknowledged(value: number, at: number): void {
    if (value !== this.acks.length) throw new Error(`write ${value} acknowledged out of order (expected ${this.acks.length})`);
    this.acks.push(at);
  }

  read(startedAt: number, value: number): void {
    this.reads++;
    if (!Number.isInteger(value) || value < 0 || value > this.acks.length) {
      // The write of acks.length may be in flight: its value may show before its ack.
      this.impossible++;
      return;
    }
    const newer = this.acks[value + 1];
    if (newer !== undefined && newer < startedAt) this.lags.push(startedAt - newer);
  }

  report(): StalenessReport {
    const lags = [...this.lags].sort((a, b) => a - b);
    return {
      reads: this.reads,
      stale: lags.length,
      maxLag: lags.length === 0 ? 0 : lags[lags.length - 1],
      p99Lag: lags.length === 0 ? 0 : percentile(lags, 99),
      impossible: this.impossible,
    };
  }
}
