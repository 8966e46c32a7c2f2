/**
 * WATCH's bookkeeping: which sessions watch which keys, by database number (as Redis binds a
 * watched key to its database, which SWAPDB swaps the contents of), and which of them a write
 * has touched since. A session whose watched key was touched, or that vanished (expired,
 * evicted) since it was watched, has its EXEC refused (a null reply).
 */
import type { Session } from './session.js';

export interface WatchedKey {
  readonly index: number;
  readonly key: string;
  /** The key existed when watched: its disappearance since counts as a change. */
  readonly liveAtWatch: boolean;
}

export class KeyWatch {
  /** Database number -> key -> the sessions watching it. */
  private readonly watchers = new Map<number, Map<string, Set<Session>>>();

  /** Whether any session watches anything (the write paths' fast exit). */
  get idle(): boolean {
    return this.watchers.size === 0;
  }

  watch(session: Session, index: number, key: string, liveAtWatch: boolean): void {
    if (session.watched.some((w) => w.index === index && w.key === key)) return;
    session.watched.push({ index, key, liveAtWatch });
    let keys = this.watchers.get(index);
    if (keys === undefined) this.watchers.set(index, (keys = new Map()));
    let sessions = keys.get(key);
    if (sessions === undefined) keys.set(key, (sessions = new Set()));
    sessions.add(session);
  }

  unwatchAll(session: Session): void {
    for (const { index, key } of session.watched) {
      const keys = this.watchers.get(index);
      const sessions = keys?.get(key);
      if (keys === undefined || sessions === undefined) continue;
      sessions.delete(session);
      if (sessions.size === 0) keys.delete(key);
      if (keys.size === 0) this.watchers.delete(index);
    }
    session.watched = [];
    session.watchTouched = false;
  }

  /** A write changed `key` of database `index`. */
  touched(index: number, key: string): void {
    if (this.watchers.size === 0) return;
    const sessions = this.watchers.get(index)?.get(key);
    if (sessions !== undefined) for (const session of sessions) session.watchTouched = true;
  }

  /** Database `index` is emptied or swapped: each watched key of it for which `exists` holds is touched. */
  touchedAll(index: number, exists: (key: string) => boolean): void {
    const keys = this.watchers.get(index);
    if (keys === undefined) return;
    for (const [key, sessions] of keys) {
      if (exists(key)) for (const session of sessions) session.watchTouched = true;
    }
  }
}
