/**
 * Sizes W-TinyLFU's admission window. The window (LRU, admits everything) serves recency, the
 * main space (TinyLFU-filtered SLRU) serves frequency; the best split depends on the workload and
 * changes with it. Caffeine climbs it on the hit rate alone (Einziger, Eytan, Friedman, Manes,
 * "Adaptive Software Cache Management", Middleware 2018): compare a sample's hit rate with the
 * previous one's and keep or reverse the direction. That signal mixes the window's effect with the
 * workload's own swings, so it needs long samples (10x the capacity: a large cache never moves on
 * a short trace) and still random-walks on phase-y traces. This climber decides from signals
 * measured *within* one sample, which a workload change moves for both sides alike, and keeps
 * the hit rate only as a judge of its moves:
 *
 * 1. Ghosts (after ARC's, Megiddo & Modha, FAST 2003, but bounded to the marginal region, as in
 *    utility-based partitioning, Qureshi & Patt, MICRO 2006): remember the hashes of recently
 *    rejected candidates (the window's losses) and of evicted main victims (the main's losses).
 *    A miss on a rejected candidate within `reach` insertions of its rejection is a hit a window
 *    larger by `reach` would have had; a miss on a victim within `reach` main evictions is one a
 *    main larger by `reach` would have had. Those are the gains of growing either side; moving
 *    capacity also costs the other side what its last `reach` of capacity holds, which the
 *    ghosts do not see. Caches' hit curves are concave near their size (a hit is likelier the
 *    more recently the key was used), so that loss is at least the gain of the same step the
 *    other way, and more where the curve bends: each table counts its hits in two half bands
 *    (within reach/2, and beyond), and a straight line through the two extrapolates the hits of
 *    the capacity inside the edge (3 near - far; the same line's integral, as in UCP's utility
 *    curves). A side grows only when its gain beats the other side's extrapolated loss by a
 *    Poisson significance test; the evidence must repeat over two samples (or be overwhelming).
 *    Compared with gain against gain, this keeps a frequency-filtered main, whose marginal
 *    entries are worth more than its victims, from being starved by a window that looks
 *    marginally useful at any size (scarab at 10k drifted to 80%).
 * 2. The veto. Ghosts are first-order: on a loop slightly larger than the cache every miss is a
 *    recently rejected candidate, yet growing the window only lets more of the loop through (LRU
 *    on a loop gets nothing). So a move is judged by the next sample's hit rate: a drop the move
 *    could plausibly cause (at most twice its share of the capacity) that is below both what the
 *    ghosts predicted and the noise (median recent sample-to-sample change) reverts it and blocks
 *    that direction, for 4, 8, ... 64 samples. A drop too large for the move is a workload change
 *    and unblocks both directions; so does a level shift that lasts two samples. Shrinks are
 *    not vetoed while the ghosts still ask for them: the blindness the veto guards against (a
 *    loop) only ever asks for growth, and on phase-y traces (p3) the hit rate swings more from
 *    one sample to the next than any move can, so a veto there mostly undoes good shrinks.
 * 3. Density (Caffeine's newer climber, "The Adaptive Window, From the Ground Up"): when the ghosts
 *    are blocked, or are silent while the regions' hits per unit of capacity differ a lot, move
 *    towards the denser region, by a step proportional to the log of their ratio. Window hits are
 *    counted as the cache replays its buffered reads (no work on a get itself).
 *    This is what walks a window out of a loop after a recency phase left it large.
 * Steps start at 6.25% of the capacity, grow 1.5x while the direction holds and halve when it
 * turns (a bold driver), within [1/64, 1/4] of the capacity; the window stays within
 * [1 entry, 80%]. Samples are short (2x the capacity, at least 5,000 requests and half the capacity,
 * at most 50,000 unless that is below half the capacity, and never above Caffeine's 10x) because
 * the within-sample signals need no long averaging. Nothing moves until the cache has been at
 * least half full for two samples.
 *
 * Memory: the two ghost tables take at most a quarter of the sketch's bytes and at most 64 KiB
 * together, whatever the number of keys; above that, only a hash-sampled subset of keys is
 * remembered (spatial sampling, as in SHARDS, Waldspurger et al., FAST 2015), which scales both
 * counts alike. Work per insertion or eviction is O(1): one table probe.
 *
 * The cache owns the queues: it reports insertions, evictions and window hits, asks
 * `sampleSize`, reports each finished sample and applies the adjustment returned (in policy
 * weight: entries, or bytes with maxBytes).
 */
import { GhostTable } from './ghost.js';

/** A confirmed hit-rate jump this large (two samples) means the workload changed. */
const RESTART_THRESHOLD = 0.05;
const INITIAL_STEP = 0.0625;
const MIN_STEP = 1 / 64;
const MAX_STEP = 0.25;
const STEP_GROWTH = 1.5;
const MAX_WINDOW = 0.8;
/** The marginal region the ghosts cover, as a fraction of the capacity in entries. */
const GHOST_REACH = 1 / 16;
/** ... but at least this many entries, or a small cache's ghosts see too little to count. */
const MIN_GHOST_REACH = 32;
const GHOST_MAX_SLOTS = 4096;
/** Standard deviations a difference of counts must exceed to count as evidence. */
const SIGNIFICANCE = 2;
/** Ghost evidence worth this share of the requests moves the window without waiting for a repeat. */
const OVERWHELMING = 0.05;
/** Density moves the window by this fraction of the capacity per unit of log density ratio. */
const DENSITY_GAIN = 0.05;
/** Without ghost evidence, density alone moves the window only past this log ratio. */
const DENSITY_ALONE = 2;
const MIN_SAMPLE = 5000;
const MAX_SAMPLE = 50_000;
/** Caffeine's sample: the longest we take. */
const MAX_SAMPLE_MULTIPLIER = 10;
/** A move changes the hit rate by at most this many times its share of the capacity. */
const MAX_EFFECT = 2;
/** Drops smaller than this never veto. */
const MIN_VETO_DROP = 0.0025;
const NOISE_MULTIPLIER = 2.5;
/** The noise estimate is capped, so a volatile workload cannot disable vetoes altogether. */
const MAX_NOISE = 0.01;
const INITIAL_BLOCK = 4;
const MAX_BLOCK = 64;
const GROW = 1;
const SHRINK = 0;

export class WindowClimber {
  private readonly rejectedGhost: GhostTable;
  private readonly victimGhost: GhostTable;
  /** Only hashes whose low bits under this mask are zero are remembered (1 in mask+1). */
  private sampleMask = 0;
  private reach: number;
  private insertions = 0;
  private victims = 0;

  // The sample in progress.
  private windowHits = 0;
  private rejectedGhostHits = 0;
  private victimGhostHits = 0;
  /** The ghost hits within half the reach, of the sample in progress. */
  private rejectedGhostHitsNear = 0;
  private victimGhostHitsNear = 0;

  private fullSamples = 0;
  private previousHitRate = 0;
  private hitRateTwoSamplesAgo = 0;
  private jumpedLastSample = false;
  private readonly recentChanges = new Float64Array(5);
  private recentChangeIndex = 0;
  private noise = 0;
  private previousGhostDirection = 0;

  private step: number;
  private lastDirection = 0;
  /** The move made at the end of the last sample (0: none), to be judged by this one. */
  private lastMove = 0;
  private movedLastSample = false;
  private hitRateBeforeMove = 0;
  private predictedGain = 0;
  /** Samples each direction stays blocked after a veto, and the next block's length. */
  private readonly blockedFor = [0, 0];
  private readonly blockLength = [INITIAL_BLOCK, INITIAL_BLOCK];

  constructor(
    private readonly maxWeight: number,
    sketchBytes: number,
  ) {
    this.step = INITIAL_STEP * maxWeight;
    this.reach = 1;
    const slots = Math.max(16, Math.min(GHOST_MAX_SLOTS, Math.floor(sketchBytes / 64)));
    this.rejectedGhost = new GhostTable(slots);
    this.victimGhost = new GhostTable(slots);
  }

  /** Bytes of the ghost tables. */
  get byteLength(): number {
    return this.rejectedGhost.byteLength + this.victimGhost.byteLength;
  }

  /** Requests per sample, for a cache that holds `capacity` entries when full. */
  sampleSize(capacity: number): number {
    return Math.min(MAX_SAMPLE_MULTIPLIER * capacity, Math.max(MIN_SAMPLE, capacity / 2, Math.min(MAX_SAMPLE, 2 * capacity)));
  }

  /** A key was inserted (it missed); `hash` is its policy hash, non-negative. */
  recordInsertion(hash: number): void {
    this.insertions++;
    if ((hash & this.sampleMask) !== 0) return;
    const rejectedAt = this.rejectedGhost.take(hash);
    if (rejectedAt >= 0 && this.insertions - rejectedAt <= this.reach) {
      this.rejectedGhostHits++;
      if (2 * (this.insertions - rejectedAt) <= this.reach) this.rejectedGhostHitsNear++;
    }
    const evictedAt = this.victimGhost.take(hash);
    if (evictedAt >= 0 && this.victims - evictedAt <= this.reach) {
      this.victimGhostHits++;
      if (2 * (this.victims - evictedAt) <= this.reach) this.victimGhostHitsNear++;
    }
  }

  /** An entry was evicted: a candidate from the window (`candidate`) or a victim from the main space. */
  recordEviction(hash: number, candidate: boolean): void {
    if (!candidate) this.victims++;
    if ((hash & this.sampleMask) !== 0) return;
    if (candidate) this.rejectedGhost.add(hash, this.insertions);
    else this.victimGhost.add(hash, this.victims);
  }

  /** A hit on an entry in the window, as the cache replays its buffered reads. */
  recordWindowHit(): void {
    this.windowHits++;
  }

  /**
   * A sample ended with `hits` of `requests`; `full` tells whether the cache has filled up,
   * `windowMax` is the window's current maximum weight and `capacity` the entries the cache holds
   * when full. Returns the window change wanted: + grows it, - shrinks it.
   */
  onSample(hits: number, requests: number, full: boolean, windowMax: number, capacity: number): number {
    const windowHits = Math.max(0, Math.min(hits, this.windowHits));
    const evidence = this.ghostEvidence(windowMax);
    this.windowHits = 0;
    this.rejectedGhostHits = 0;
    this.victimGhostHits = 0;
    this.rejectedGhostHitsNear = 0;
    this.victimGhostHitsNear = 0;
    this.reach = Math.max(MIN_GHOST_REACH, Math.round(GHOST_REACH * capacity));
    // Each table should hold about twice the reach; remember a hash sample of the keys when it cannot.
    let rate = 1;
    while (rate < 1 << 20 && (2 * this.reach) / rate > this.rejectedGhost.slots) rate *= 2;
    this.sampleMask = rate - 1;

    const hitRate = requests === 0 ? 0 : hits / requests;
    const change = hitRate - this.previousHitRate;
    const twoSampleChange = hitRate - this.hitRateTwoSamplesAgo;
    this.hitRateTwoSamplesAgo = this.previousHitRate;
    this.previousHitRate = hitRate;
    if (full) this.fullSamples++;
    // Samples taken while the cache fills say nothing about the window.
    if (this.fullSamples < 2) return 0;

    const moved = this.movedLastSample;
    this.movedLastSample = false;
    for (let d = SHRINK; d <= GROW; d++) if (this.blockedFor[d] > 0) this.blockedFor[d]--;
    if (!moved && this.fullSamples > 2) {
      this.recentChanges[this.recentChangeIndex] = Math.abs(change);
      this.recentChangeIndex = (this.recentChangeIndex + 1) % this.recentChanges.length;
      this.noise = median(this.recentChanges);
      // A one-sample blip (a burst of churn) is noise; a level that holds is a new workload.
      if (this.jumpedLastSample && Math.abs(twoSampleChange) >= RESTART_THRESHOLD) this.unblock();
    }
    this.jumpedLastSample = Math.abs(change) >= RESTART_THRESHOLD;

    if (this.lastMove !== 0) {
      const revert = this.lastMove < 0 && evidence.direction < 0 ? (this.lastMove = 0) : this.judgeLastMove(hitRate);
      if (revert !== 0) return revert;
    }
    return this.decide(hits, requests, windowMax, windowHits, evidence);
  }

  /**
   * What this sample's ghosts say: grow (+1), shrink (-1) or nothing (0), and by how many ghost
   * hits the winning side's gain beats the other side's loss.
   */
  private ghostEvidence(windowMax: number): GhostEvidence {
    const windowGain = this.rejectedGhostHits;
    const mainGain = this.victimGhostHits;
    const windowLoss = edgeLoss(this.rejectedGhostHitsNear, windowGain);
    const mainLoss = edgeLoss(this.victimGhostHitsNear, mainGain);
    const grow = windowGain - mainLoss.hits;
    if (grow > SIGNIFICANCE * Math.sqrt(windowGain + mainLoss.variance + 1)) return { direction: 1, margin: grow };
    const shrink = mainGain - windowLoss.hits;
    if (windowMax > 1 && shrink > SIGNIFICANCE * Math.sqrt(mainGain + windowLoss.variance + 1)) {
      return { direction: -1, margin: shrink };
    }
    return { direction: 0, margin: 0 };
  }

  /** Returns the move that undoes the last one when the hit rate says it hurt, else 0. */
  private judgeLastMove(hitRate: number): number {
    const move = this.lastMove;
    const direction = move > 0 ? GROW : SHRINK;
    this.lastMove = 0;
    const observed = hitRate - this.hitRateBeforeMove;
    const tolerance = NOISE_MULTIPLIER * Math.min(MAX_NOISE, this.noise);
    if (Math.abs(observed) > (MAX_EFFECT * Math.abs(move)) / this.maxWeight) {
      // Far more than moving this much capacity can do: the workload changed.
      this.unblock();
      return 0;
    }
    if (observed < -MIN_VETO_DROP && observed < this.predictedGain - tolerance) {
      this.blockedFor[direction] = this.blockLength[direction];
      this.blockLength[direction] = Math.min(MAX_BLOCK, 2 * this.blockLength[direction]);
      this.step = Math.max(MIN_STEP * this.maxWeight, this.step / 2);
      this.movedLastSample = true;
      return -move;
    }
    if (observed > tolerance) this.blockLength[direction] = INITIAL_BLOCK;
    return 0;
  }

  private decide(hits: number, requests: number, windowMax: number, windowHits: number, evidence: GhostEvidence): number {
    const upper = Math.floor(MAX_WINDOW * this.maxWeight);
    const allowed = (direction: number): boolean =>
      direction !== 0 &&
      this.blockedFor[direction > 0 ? GROW : SHRINK] === 0 &&
      (direction > 0 ? windowMax < upper : windowMax > 1);

    let ghost = evidence.direction;
    // Per request, scaled back from the hash sample.
    const ghostGain = (evidence.margin * (this.sampleMask + 1)) / requests;
    const repeated = ghost === this.previousGhostDirection;
    this.previousGhostDirection = ghost;
    if (!repeated && ghostGain < OVERWHELMING) ghost = 0;

    const expectedWindowHits = (hits * windowMax) / this.maxWeight;
    const spread = SIGNIFICANCE * Math.sqrt(expectedWindowHits + 1);
    let density = 0;
    if (windowHits < expectedWindowHits - spread) density = -1;
    else if (windowHits > expectedWindowHits + spread) density = 1;
    const densityRatio = Math.abs(Math.log((windowHits + 1) / (expectedWindowHits + 1)));

    let direction = 0;
    let byDensity = false;
    let ghostLed = false;
    if (allowed(ghost)) {
      direction = ghost;
      ghostLed = true;
      byDensity = density === ghost;
    } else if (allowed(density) && (ghost !== 0 || densityRatio > DENSITY_ALONE)) {
      direction = density;
      byDensity = true;
    }
    if (direction === 0) return 0;

    if (direction === this.lastDirection) this.step = Math.min(MAX_STEP * this.maxWeight, this.step * STEP_GROWTH);
    else if (this.lastDirection !== 0) this.step = Math.max(MIN_STEP * this.maxWeight, this.step / 2);
    // Strong evidence takes at least a full step at once (e.g. a recency phase after a loop).
    if (ghostLed && ghostGain >= OVERWHELMING) this.step = Math.max(this.step, INITIAL_STEP * this.maxWeight);
    if (byDensity) this.step = Math.min(MAX_STEP * this.maxWeight, Math.max(this.step, densityRatio * DENSITY_GAIN * this.maxWeight));
    this.lastDirection = direction;

    let amount = direction * Math.max(1, Math.round(this.step));
    if (windowMax + amount > upper) amount = upper - windowMax;
    if (windowMax + amount < 1) amount = 1 - windowMax;
    if (amount === 0) return 0;
    this.lastMove = amount;
    this.movedLastSample = true;
    this.hitRateBeforeMove = hits / requests;
    // What the ghosts promise for a ghost-led move; density makes no promise.
    this.predictedGain = ghostLed ? ghostGain * Math.min(1, Math.abs(amount) / this.reach) : 0;
    return amount;
  }

  /** Forgets the vetoes: they were about a workload that has gone. */
  private unblock(): void {
    this.blockedFor[SHRINK] = this.blockedFor[GROW] = 0;
    this.blockLength[SHRINK] = this.blockLength[GROW] = INITIAL_BLOCK;
  }
}

interface GhostEvidence {
  direction: number;
  margin: number;
}

/**
 * The hits a region would lose by giving up `reach` of its capacity, estimated from its ghost
 * hits beyond its edge: `total` within the reach, `near` of them within half of it. A straight
 * line through the two half bands, carried inside the edge, gives 3 near - far; the loss is
 * never taken below the gain of the same step outwards (hit curves are concave). The variance
 * is that of the Poisson counts the estimate is made of.
 */
function edgeLoss(near: number, total: number): { hits: number; variance: number } {
  const far = total - near;
  const extrapolated = 3 * near - far;
  return extrapolated > total ? { hits: extrapolated, variance: 9 * near + far } : { hits: total, variance: total };
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length >> 1];
}
