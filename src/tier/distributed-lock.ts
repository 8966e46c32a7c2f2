/**
 * One loader call per fleet for a cold key: the instance that wins `SET ns#lock:k <token> NX PX
 * ttl` loads; the others wait for its value to appear in L2, woken by the invalidation of `k`
 * that its write causes (polling as a fallback), and load by themselves if the lock frees with no
 * value (the holder failed) or after `wait` ms. Release deletes the lock only if the token is
 * still ours, so a holder slower than `ttl` cannot free someone else's lock.
 *
 * The lock serves availability, not mutual exclusion: L2 trouble while locking means loading
 * without it.
 */
import { randomUUID } from 'node:crypto';
import type { DistributedLockOptions } from './tiered-options.js';
import type { RedisStore } from './redis-store.js';

/** How often a waiter looks at L2 when no invalidation woke it. */
const POLL_MS = 50;

export interface Lease {
  release(): Promise<void>;
}

export type LockOutcome<T> = { kind: 'value'; value: T } | { kind: 'load'; lease: Lease | undefined };

/** What a waiter checks in L2: found, or not yet. */
export type L2Check<T> = () => Promise<{ found: true; value: T } | { found: false }>;

export class DistributedLock {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly store: RedisStore,
    private readonly options: DistributedLockOptions,
  ) {}

  /** The lock if it was free; undefined when another instance holds it. Throws when L2 fails. */
  async tryAcquire(key: string): Promise<Lease | undefined> {
    const token = randomUUID();
    if (!(await this.store.acquireLock(key, token, this.options.ttl))) return undefined;
    return { release: () => this.store.releaseLock(key, token).catch(() => {}) };
  }

  /** Takes the lock, or waits for the holder's value; `load` with no lease when waiting gave up. */
  async acquireOrWait<T>(key: string, check: L2Check<T>): Promise<LockOutcome<T>> {
    const deadline = performance.now() + this.options.wait;
    try {
      for (;;) {
        const lease = await this.tryAcquire(key);
        if (lease !== undefined) {
          // The previous holder may have stored the value between our miss and our SET NX.
          const hit = await check().catch(() => ({ found: false }) as const);
          if (!hit.found) return { kind: 'load', lease };
          await lease.release();
          return { kind: 'value', value: hit.value };
        }
        const left = deadline - performance.now();
        if (left <= 0) return { kind: 'load', lease: undefined };
        await this.wakeOrSleep(key, Math.min(POLL_MS, left));
        const hit = await check();
        if (hit.found) return { kind: 'value', value: hit.value };
      }
    } catch {
      return { kind: 'load', lease: undefined };
    }
  }

  /** The key changed somewhere: its waiters look at L2 now. */
  notify(key: string): void {
    const set = this.waiters.get(key);
    if (set === undefined) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  private wakeOrSleep(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (set === undefined) this.waiters.set(key, (set = new Set()));
      const wake = () => {
        clearTimeout(timer);
        set!.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }
}
