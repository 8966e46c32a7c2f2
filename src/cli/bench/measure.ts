/**
 * The timing: samples of each read path into an HDR histogram (nanoseconds, 3 significant
 * digits), the paths interleaved. This machine (and a laptop, and a shared CI box) is noisy: a
 * burst of noise during one path's single block would land on that path alone, so the requests
 * are split into rounds and every round runs every path, in an order that rotates.
 */
import { build, type Histogram } from 'hdr-histogram-js';

export const PATH_NAMES = ['direct', 'proxy', 'engine'] as const;
export type PathName = (typeof PATH_NAMES)[number];

/** One way to read the value. */
export interface TimedPath {
  name: PathName;
  /** One sample, ns. */
  sample(): Promise<number>;
  /** Around each round (not timed): the proxy path makes sure its reads are L1 hits. */
  beforeRound?(): Promise<void>;
  afterRound?(samples: number): Promise<void>;
}

/** Rounds per size (fewer when there are fewer requests). */
export const ROUNDS = 10;

/**
 * Untimed samples per path before the timed ones, while the JIT, the sockets and the caches
 * settle. A run starts in a fresh process: with 200, the first size's p50s came out up to 3x
 * the next sizes' on this project's machine; with 1000 they match.
 */
export function warmupSamples(requests: number): number {
  return Math.min(1000, requests);
}

export interface Percentiles {
  p50Us: number;
  p99Us: number;
  samples: number;
}

export function percentiles(histogram: Histogram): Percentiles {
  return {
    p50Us: histogram.getValueAtPercentile(50) / 1000,
    p99Us: histogram.getValueAtPercentile(99) / 1000,
    samples: histogram.totalCount,
  };
}

/**
 * `requests` timed samples of each path. `signal` is checked between samples (Ctrl-C); its
 * reason is thrown. `progress` hears of each finished round's samples.
 */
export async function measurePaths(
  paths: readonly TimedPath[],
  requests: number,
  signal: AbortSignal,
  progress: (samples: number) => void,
): Promise<Map<PathName, Histogram>> {
  const histograms = new Map(paths.map((path) => [path.name, build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 })]));
  for (const path of paths) {
    await path.beforeRound?.();
    for (let i = warmupSamples(requests); i > 0; i--) {
      signal.throwIfAborted();
      await path.sample();
    }
  }
  const rounds = Math.min(ROUNDS, requests);
  for (let round = 0; round < rounds; round++) {
    // Requests split as evenly as they go: the first rounds take the remainder.
    const count = Math.floor(requests / rounds) + (round < requests % rounds ? 1 : 0);
    for (let p = 0; p < paths.length; p++) {
      const path = paths[(round + p) % paths.length];
      const histogram = histograms.get(path.name)!;
      await path.beforeRound?.();
      for (let i = 0; i < count; i++) {
        signal.throwIfAborted();
        histogram.recordValue(Math.max(1, Math.round(await path.sample())));
      }
      await path.afterRound?.(count);
      progress(count);
    }
  }
  return histograms;
}

/** Nanoseconds one awaited read takes, from the call to its value. */
export async function timeRead<T>(read: () => Promise<T>, check: (value: T) => void): Promise<number> {
  const start = process.hrtime.bigint();
  const value = await read();
  const ns = Number(process.hrtime.bigint() - start);
  check(value); // outside the timed span
  return ns;
}

/**
 * An engine `get` takes tens of nanoseconds, about what reading the clock costs: one sample is
 * the mean of a batch of this many calls, timed together. Its percentiles are of batch means,
 * so they smooth over a rare slow call (a GC pause shows as one slow batch, not one slow call).
 */
export const ENGINE_BATCH = 1000;

/** The mean ns of ENGINE_BATCH synchronous calls of `read`, which returns the value's length. */
export function timeBatch(read: () => number, expectedLength: number): number {
  let total = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ENGINE_BATCH; i++) total += read();
  const ns = Number(process.hrtime.bigint() - start) / ENGINE_BATCH;
  // Using the result keeps the loop from being optimised away, and checks every call found the value.
  if (total !== expectedLength * ENGINE_BATCH) throw new Error('the engine lost the value during the batch');
  return ns;
}
