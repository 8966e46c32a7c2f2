/**
 * Latency figures from a real histogram (HdrHistogram, via hdr-histogram-js), not a running mean:
 * the mean and the total since start, plus percentiles over a sliding window of about the last
 * minute. The window is a ring of histograms, one per 10-second slot (./window.ts); recording
 * goes to the current slot, and a slot is cleared when the ring comes round to it again, so the
 * percentiles cover the last 50 to 60 seconds. Values are nanoseconds, kept to 2 significant digits (1%).
 *
 * Pure computation, no I/O: the proxy, the embedded store and TieredCache record into it, the
 * metrics and `INFO cachee` read it.
 */
// The library's plain-JS histogram, imported on its own: its main entry also loads the WebAssembly
// build and the zlib port (pako) behind the compressed encoding, ~9 MB of RSS in a process that
// never uses them (the proxy's memory bench, RSS against --l1-memory, is over its bound with them).
import Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import { SLOT_MS, WINDOW_SLOTS } from './window.js';

/** Up to 60 s in ns; a longer value is recorded as this. */
const HIGHEST_NS = 60e9;
const SIGNIFICANT_DIGITS = 2;
const Int32Histogram = Int32HistogramModule.default;
type Histogram = InstanceType<typeof Int32Histogram>;

function newHistogram(): Histogram {
  return new Int32Histogram(1, HIGHEST_NS, SIGNIFICANT_DIGITS);
}

/** What a worker sends of its recorder, for the primary to merge (see ./cluster.ts). */
export interface EncodedLatency {
  /** The window's histogram: value, count, value, count ... of its non-empty buckets (a bucket's lowest value). */
  window: number[];
  /** Since start, ns. */
  sum: number;
  count: number;
}

/** The figures a summary shows: percentiles over the window, sum and count since start. */
export interface LatencyView {
  /** ns at percentile `p` (0..100) of the window; NaN when the window is empty. */
  percentile(p: number): number;
  readonly sum: number;
  readonly count: number;
}

export class LatencyRecorder implements LatencyView {
  private readonly slots: Histogram[] = [];
  private current = 0;
  private slotEnd: number;
  /** The window's slots added up; rebuilt when read after a change. */
  private readonly merged = newHistogram();
  private mergedValid = false;
  /** ns, since start. */
  sum = 0;
  count = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    for (let i = 0; i < WINDOW_SLOTS; i++) this.slots.push(newHistogram());
    this.slotEnd = now() + SLOT_MS;
  }

  /** `now`: this recorder's clock, when the caller has just read it (timing the sample). */
  record(nanoseconds: number, now = this.now()): void {
    if (now >= this.slotEnd) this.rotate(now);
    const value = nanoseconds <= 0 ? 0 : nanoseconds >= HIGHEST_NS ? HIGHEST_NS : Math.round(nanoseconds);
    this.slots[this.current].recordValue(value);
    this.mergedValid = false;
    this.sum += nanoseconds;
    this.count++;
  }

  /** Mean since start, ns; 0 before the first value. */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  percentile(p: number): number {
    const window = this.window();
    return window.totalCount === 0 ? NaN : window.getValueAtPercentile(p);
  }

  encode(): EncodedLatency {
    const window = this.window();
    const buckets: number[] = [];
    for (let i = 0; i < window.countsArrayLength; i++) {
      const count = window.getCountAtIndex(i);
      if (count > 0) buckets.push(window.valueFromIndex(i), count);
    }
    return { window: buckets, sum: this.sum, count: this.count };
  }

  /** The window's histogram (owned by the recorder: read it, do not keep it). */
  private window(): Histogram {
    const now = this.now();
    if (now >= this.slotEnd) this.rotate(now);
    if (!this.mergedValid) {
      this.merged.reset();
      for (const slot of this.slots) if (slot.totalCount > 0) this.merged.add(slot);
      this.mergedValid = true;
    }
    return this.merged;
  }

  /** Moves to the slot `now` falls in, clearing the slots passed (all of them after a long pause). */
  private rotate(now: number): void {
    const steps = Math.floor((now - this.slotEnd) / SLOT_MS) + 1;
    for (let i = 0; i < Math.min(steps, WINDOW_SLOTS); i++) {
      this.current = (this.current + 1) % WINDOW_SLOTS;
      this.slots[this.current].reset();
    }
    this.slotEnd += steps * SLOT_MS;
    this.mergedValid = false;
  }
}

/** Several recorders' figures as one (the workers' latencies at the primary). */
export function mergeLatencies(parts: readonly EncodedLatency[]): LatencyView {
  const merged = newHistogram();
  let sum = 0;
  let count = 0;
  for (const part of parts) {
    const buckets = part.window;
    for (let i = 0; i < buckets.length; i += 2) merged.recordValueWithCount(buckets[i], buckets[i + 1]);
    sum += part.sum;
    count += part.count;
  }
  return {
    sum,
    count,
    percentile: (p) => (merged.totalCount === 0 ? NaN : merged.getValueAtPercentile(p)),
  };
}
