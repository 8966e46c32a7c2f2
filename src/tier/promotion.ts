/**
 * What the L1 holds for a key, and the one function that builds it, whether the value came from
 * the loader, from a write, or from L2 (promotion). Times are on the L1 engine's clock, in ms.
 *
 * An entry's life (the README's timeline): fresh until `expiresAt` (the Redis TTL), but the L1
 * answers only until `freshUntil` (which `l1Ttl` may make earlier): that is the engine TTL it is
 * stored with, so a hit needs no clock check. After that it may be kept until `staleUntil`, solely
 * as the answer of last resort for a loader that fails (`staleIfError`, see ./l1-store.ts).
 */
export class L1Entry<V> {
  constructor(
    /** `undefined`: a cached miss (negative caching). */
    readonly value: V | undefined,
    /** Reads may be answered from L1 until then. */
    readonly freshUntil: number,
    /** The Redis deadline of the value (Infinity: none). */
    readonly expiresAt: number,
    /** Served when the loader fails, until then (not after `freshUntil`: no last-resort copy). */
    readonly staleUntil: number,
  ) {}
}

/**
 * What the engine stores: the bare value when nothing needs its deadlines (no staleIfError
 * window, no early refresh, not a cached miss), so that a hit costs no extra memory access;
 * otherwise an L1Entry. Users never see an L1Entry, so one found is never a user's value.
 */
export type Stored<V> = V | L1Entry<V>;

export function valueOf<V>(stored: Stored<V> | undefined): V | undefined {
  return stored instanceof L1Entry ? stored.value : stored;
}

export interface EntryTimes {
  now: number;
  /** ms the value has left in Redis: its TTL on a write, PTTL on a promotion; Infinity: no expiry. */
  remaining: number;
  /** Longest L1 life, ms; 0: no bound of its own. */
  l1Ttl: number;
  /** ms after `expiresAt` to keep the value for a failing loader. */
  staleIfError: number;
  /** Keep the deadlines even with no staleIfError (early refresh reads them). */
  keepDeadlines: boolean;
}

/**
 * What to store in L1 for a value and the engine TTL to store it with (its fresh life; 0: no
 * expiry), or undefined when it must not be stored (already expired in Redis).
 */
export function l1Entry<V>(value: V | undefined, times: EntryTimes): { stored: Stored<V>; engineTtl: number } | undefined {
  const { now, remaining, l1Ttl, staleIfError, keepDeadlines } = times;
  if (!(remaining > 0)) return undefined;
  const expiresAt = now + remaining;
  const freshUntil = l1Ttl > 0 ? Math.min(expiresAt, now + l1Ttl) : expiresAt;
  const engineTtl = freshUntil === Infinity ? 0 : freshUntil - now;
  if (value !== undefined && staleIfError === 0 && !keepDeadlines) return { stored: value, engineTtl };
  const staleUntil = staleIfError > 0 ? expiresAt + staleIfError : freshUntil;
  return { stored: new L1Entry(value, freshUntil, expiresAt, staleUntil), engineTtl };
}

/** ms left in Redis from a PTTL reply: -1 (no expiry) is Infinity, -2 (gone) is 0. */
export function remainingFromPttl(pttl: number): number {
  if (pttl === -1) return Infinity;
  return pttl > 0 ? pttl : 0;
}

/**
 * Whether a getOrLoad hit should reload the entry now (probabilistic early refresh): never before
 * the last `window` ms of its life, then with a probability rising linearly to 1 at expiry.
 */
export function shouldRefreshEarly(entry: L1Entry<unknown>, now: number, window: number, random: number): boolean {
  if (window <= 0 || entry.expiresAt === Infinity) return false;
  const left = entry.expiresAt - now;
  return left < window && random >= left / window;
}
