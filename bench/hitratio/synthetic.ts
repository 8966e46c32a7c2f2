/**
 * Seeded synthetic workloads, as dense-id traces, each with the cache sizes it is meant for.
 * The same seed always gives the same requests, so runs and machines can be compared.
 */
import type { Trace } from './traces.js';

export interface Workload extends Trace {
  sizes: number[];
  description: string;
}

/** mulberry32: small, fast, and good enough for choosing keys. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Draws ranks 0 .. n-1 with P(rank r) proportional to 1/(r+1)^s, by binary search on the CDF. */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cdf[r] = sum += 1 / (r + 1) ** s;
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A random permutation of 0 .. n-1, so that popularity is not correlated with the key's value. */
function shuffledIds(n: number, random: () => number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids;
}

function trace(name: string, keys: Int32Array, sizes: number[], description: string): Workload {
  let distinct = 0;
  for (let i = 0; i < keys.length; i++) if (keys[i] >= distinct) distinct = keys[i] + 1;
  return { name, keys, distinct, sizes, description };
}

const UNIVERSE = 1_000_000;

function zipf(s: number, requests: number, seed: number): Workload {
  const random = seededRandom(seed);
  const ids = shuffledIds(UNIVERSE, random);
  const draw = zipfSampler(UNIVERSE, s, random);
  const keys = new Int32Array(requests);
  for (let i = 0; i < requests; i++) keys[i] = ids[draw()];
  return trace(`zipf-${s}`, keys, [1_000, 10_000, 100_000], `Zipf s=${s} over 1M keys, ${requests / 1e6}M requests`);
}

/** Zipf traffic interrupted every `period` requests by a scan of `scan` keys never seen before or again. */
function zipfWithScans(s: number, requests: number, period: number, scan: number, seed: number): Workload {
  const random = seededRandom(seed);
  const ids = shuffledIds(UNIVERSE, random);
  const draw = zipfSampler(UNIVERSE, s, random);
  const keys = new Int32Array(requests);
  let fresh = UNIVERSE;
  for (let i = 0; i < requests; ) {
    for (let j = 0; j < period && i < requests; j++) keys[i++] = ids[draw()];
    for (let j = 0; j < scan && i < requests; j++) keys[i++] = fresh++;
  }
  return trace(
    `zipf-${s}+scans`,
    keys,
    [1_000, 10_000, 100_000],
    `Zipf s=${s}; every ${period / 1000}k requests a scan of ${scan / 1000}k one-hit wonders`,
  );
}

/**
 * 90 % of requests fall uniformly on a hot set of `hot` keys, 10 % uniformly on 1M cold keys; the
 * hot set slides by `shift` keys every `phase` requests, so yesterday's favourites must be dropped.
 */
function movingHotSet(hot: number, shift: number, phase: number, requests: number, seed: number): Workload {
  const random = seededRandom(seed);
  const keys = new Int32Array(requests);
  for (let i = 0; i < requests; i++) {
    const base = Math.floor(i / phase) * shift;
    keys[i] = random() < 0.9 ? base + Math.floor(random() * hot) : Math.floor(random() * UNIVERSE);
  }
  return trace(
    'moving-hot-set',
    keys,
    [hot / 2, hot, hot * 2],
    `90 % on a ${hot / 1000}k hot set sliding ${shift / 1000}k keys every ${phase / 1000}k requests, 10 % on 1M cold keys`,
  );
}

/** One loop of `length` keys repeated: LRU gets nothing when the cache is even slightly smaller. */
function loop(length: number, repeats: number): Workload {
  const keys = new Int32Array(length * repeats);
  for (let i = 0; i < keys.length; i++) keys[i] = i % length;
  return trace('loop-10k', keys, [9_000, 9_500, 9_900], `a ${length / 1000}k-key loop repeated ${repeats} times`);
}

const BUILDERS: Record<string, () => Workload> = {
  'zipf-0.9': () => zipf(0.9, 2_000_000, 1),
  'zipf-1': () => zipf(1, 2_000_000, 2),
  'zipf-1+scans': () => zipfWithScans(1, 2_000_000, 100_000, 20_000, 3),
  'moving-hot-set': () => movingHotSet(10_000, 2_500, 50_000, 2_000_000, 4),
  'loop-10k': () => loop(10_000, 100),
};

export const WORKLOAD_NAMES = Object.keys(BUILDERS);

const built = new Map<string, Workload>();

/** Builds a workload once per process. */
export function loadWorkload(name: string): Workload {
  let workload = built.get(name);
  if (workload === undefined) {
    const build = BUILDERS[name];
    if (build === undefined) throw new Error(`unknown workload ${name}; known: ${WORKLOAD_NAMES.join(', ')}`);
    workload = build();
    built.set(name, workload);
  }
  return workload;
}
