/**
 * The read-in-flight race of client-side caching (see Redis's client-side caching docs): a read
 * is sent, the key is invalidated while the reply travels, then the old reply arrives. Caching it
 * would keep a stale value with no invalidation left to remove it.
 *
 * A guard hands out a ticket when a read is sent; an invalidation of the key (or a flush) makes
 * every ticket issued before it stale; the reply may be cached only if its ticket is still valid.
 * It tracks only keys with reads in flight, so its memory follows the reads in flight, not the
 * keyspace. Shared by the proxy and the tiered cache.
 */
interface KeyState {
  /** Reads of this key in flight. */
  pending: number;
  /** Bumped by each invalidation of the key. */
  generation: number;
}

export interface ReadTicket {
  readonly key: string;
  readonly generation: number;
  readonly epoch: number;
}

export class ReadGuard {
  private readonly inFlight = new Map<string, KeyState>();
  /** Bumped by every flush: tickets from an earlier epoch are all stale. */
  private epoch = 0;

  /** Call when a read of `key` is sent; pass the ticket to `settle` when its reply arrives. */
  begin(key: string): ReadTicket {
    let state = this.inFlight.get(key);
    if (state === undefined) {
      state = { pending: 0, generation: 0 };
      this.inFlight.set(key, state);
    }
    state.pending++;
    return { key, generation: state.generation, epoch: this.epoch };
  }

  /** Ends the read; true when nothing invalidated the key since `begin`, so the reply may be cached. */
  settle(ticket: ReadTicket): boolean {
    const state = this.inFlight.get(ticket.key);
    if (state === undefined) return false;
    const fresh = state.generation === ticket.generation && this.epoch === ticket.epoch;
    if (--state.pending === 0) this.inFlight.delete(ticket.key);
    return fresh;
  }

  /** Whether the ticket is still valid, without ending the read. */
  isFresh(ticket: ReadTicket): boolean {
    const state = this.inFlight.get(ticket.key);
    return state !== undefined && state.generation === ticket.generation && this.epoch === ticket.epoch;
  }

  invalidate(key: string): void {
    const state = this.inFlight.get(key);
    if (state !== undefined) state.generation++;
  }

  /** Makes every read in flight stale (a flush, or the invalidation channel was lost). */
  invalidateAll(): void {
    this.epoch++;
  }

  get readsInFlight(): number {
    return this.inFlight.size;
  }
}
