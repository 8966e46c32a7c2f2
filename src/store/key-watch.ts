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
  /** `index + "\n" + key` -> the sessions watching it. */
  private readonly watchers = new Map<string, Set<Session>>();

  /** Whether any session watches anything (the write paths' fast exit). */
  get idle(): boolean {
    return this.watchers.size === 0;
  }

  watch(session: Session, index: number, key: string, liveAtWatch: boolean): void {
    if (session.watched.some((w) => w.index === index && w.key === key)) return;
    session.watched.push({ index, key, liveAtWatch });
    const id = `${index}\n${key}`;
    let sessions = this.watchers.get(id);
    if (sessions === undefined) this.watchers.set(id, (sessions = new Set()));
    sessions.add(session);
  }

  unwatchAll(session: Session): void {
    for (const { index, key } of session.watched) {
      const id = `${index}\n${key}`;
      const sessions = this.watchers.get(id);
      sessions?.delete(session);
      if (sessions?.size === 0) this.watchers.delete(id);
    }
    session.watched = [];
    session.watchTouched = false;
  }

  /** A write changed `key` of database `index`. */
  touched(index: number, key: string): void {
    if (this.watchers.size === 0) return;
    const sessions = this.watchers.get(`${index}\n${key}`);
    if (sessions !== undefined) for (const session of sessions) session.watchTouched = true;
  }

  /** Database `index` is emptied or swapped: each watched key of it for which `exists` holds is touched. */
  touchedAll(index: number, exists: (key: string) => boolean): void {
    for (const [id, sessions] of this.watchers) {
      const cut = id.indexOf('\n');
      if (Number(id.slice(0, cut)) !== index || !exists(id.slice(cut + 1))) continue;
      for (const session of sessions) session.watchTouched = true;
    }
  }
}
