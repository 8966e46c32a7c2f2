/**
 * Sizes W-TinyLFU's admission window by hill climbing on the hit rate, as Caffeine does
 * (Einziger, Eytan, Friedman, Manes, "Adaptive Software Cache Management", Middleware 2018):
 * every sample of requests, compare the hit rate with the previous sample's; if it rose, keep
 * moving the window in the same direction, else turn around. The step starts at 6.25% of the
 * capacity, decays by 2% a sample so the climber settles, and restarts at full size when the hit
 * rate jumps by 5 points or more (the workload changed).
 *
 * The cache owns the queues: it asks `sampleSize`, reports each finished sample, and applies the
 * adjustment this returns (in policy weight: entries, or bytes with maxBytes).
 */
const RESTART_THRESHOLD = 0.05;
const STEP_PERCENT = 0.0625;
const STEP_DECAY_RATE = 0.98;
/** Caffeine samples 10x the capacity: long enough that noise does not steer the window. */
const SAMPLE_MULTIPLIER = 10;

export class WindowClimber {
  private stepSize: number;
  private previousHitRate = 0;
  private started = false;

  constructor(private readonly maxWeight: number) {
    // The first move shrinks the window (it starts small; a frequency-biased workload is the norm).
    this.stepSize = -STEP_PERCENT * maxWeight;
  }

  /** Requests per sample, for a cache that holds `capacity` entries when full. */
  sampleSize(capacity: number): number {
    return SAMPLE_MULTIPLIER * capacity;
  }

  /**
   * A sample ended with `hits` of `requests`; `full` tells whether the cache has filled up (it
   * adapts only then, like Caffeine). Returns the window change wanted: + grows it, - shrinks it.
   */
  onSample(hits: number, requests: number, full: boolean): number {
    if (!this.started) {
      // Samples taken while the cache fills up say nothing about the window: skip them. The first
      // sample after is compared with 0, so the first move is the initial (shrinking) step.
      if (full) this.started = true;
      return 0;
    }
    const hitRate = requests === 0 ? 0 : hits / requests;
    const change = hitRate - this.previousHitRate;
    const amount = change >= 0 ? this.stepSize : -this.stepSize;
    this.stepSize =
      Math.abs(change) >= RESTART_THRESHOLD ? STEP_PERCENT * this.maxWeight * (amount >= 0 ? 1 : -1) : STEP_DECAY_RATE * amount;
    this.previousHitRate = hitRate;
    return Math.trunc(amount);
  }
}
