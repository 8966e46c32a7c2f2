/**
 * Pacing for an expensive answer (rendering every metric): so that a flood of requests cannot
 * take the event loop from the clients the proxy serves. One render runs at a time, and every
 * request that arrives meanwhile shares the next one; that next one starts no sooner than
 * `pause` x the last render's duration after it ended, so renders take at most 1 / (1 + pause)
 * of the time whatever the request rate. A request is never answered from a render that started
 * before it arrived: what it reads is as fresh as an unpaced answer. A lone request waits for
 * nothing.
 *
 * Measured with bench/admin-flood.ts (one client's sequential GETs while 16 connections loop on
 * /metrics): see the commit that added this file.
 */
import { setTimeout as delay } from 'node:timers/promises';

export class Paced<T> {
  /** The render running now, if one is. */
  private running: Promise<T> | undefined;
  /** The render requests arriving now will get: it starts after `running` and the pause. */
  private next: Promise<T> | undefined;
  private lastEnd = -Infinity;
  private lastDuration = 0;

  constructor(
    private readonly render: () => Promise<T>,
    /** Pause after a render, in multiples of its duration. */
    private readonly pause = 9,
  ) {}

  get(): Promise<T> {
    this.next ??= this.startNext();
    return this.next;
  }

  private async startNext(): Promise<T> {
    await this.running?.catch(() => undefined);
    const wait = this.lastEnd + this.lastDuration * this.pause - performance.now();
    if (wait > 0) await delay(wait);
    this.next = undefined; // from here on, a request arrived after this render started
    const start = performance.now();
    this.running = this.render();
    try {
      return await this.running;
    } finally {
      this.lastEnd = performance.now();
      this.lastDuration = this.lastEnd - start;
      this.running = undefined;
    }
  }
}
