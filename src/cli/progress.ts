/** A progress line on stderr that rewrites itself in place; only on a terminal, at most every 200 ms. */
import type { CliDeps } from './deps.js';

const EVERY_MS = 200;
const CLEAR_LINE = '\r\u001b[K';

export class ProgressLine {
  private shownAt = -Infinity;
  private shown = false;

  constructor(private readonly deps: Pick<CliDeps, 'stderr' | 'stderrTerminal' | 'now'>) {}

  /** `text` replaces the line; `force` skips the pacing (a new phase). */
  update(text: string, force = false): void {
    if (this.deps.stderrTerminal === undefined) return;
    const now = this.deps.now();
    if (!force && now - this.shownAt < EVERY_MS) return;
    this.shownAt = now;
    this.shown = true;
    this.deps.stderr(`${CLEAR_LINE}${text}`);
  }

  /** Removes the line, before the real output. */
  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.deps.stderr(CLEAR_LINE);
  }
}
