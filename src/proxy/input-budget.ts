/**
 * One budget for the unfinished commands of all a front's clients (--max-input-memory). Each
 * client may hold up to --max-query-buffer of an unfinished command, as in Redis; without a total,
 * a few clients that each send most of a large command and stop could hold any amount of memory.
 * Past the total, the client holding the most is disconnected, as Redis's client eviction
 * (maxmemory-clients) does: the others go on.
 */

/** A connection that holds unfinished input. */
export interface InputHolder {
  /** Disconnect: the budget is spent and this one holds the most. */
  evictForInput(): void;
}

export class InputBudget {
  private total = 0;
  private readonly held = new Map<InputHolder, number>();

  constructor(readonly limit: number) {}

  /** Bytes held by every holder together. */
  get heldBytes(): number {
    return this.total;
  }

  /** `holder` now holds `bytes` (0 when it is gone); past the limit, the largest are evicted. */
  update(holder: InputHolder, bytes: number): void {
    const before = this.held.get(holder) ?? 0;
    if (bytes === before) return;
    this.total += bytes - before;
    if (bytes === 0) this.held.delete(holder);
    else this.held.set(holder, bytes);
    while (this.total > this.limit) {
      let largest: InputHolder | undefined;
      let most = -1;
      for (const [candidate, size] of this.held) {
        if (size > most) {
          most = size;
          largest = candidate;
        }
      }
      this.held.delete(largest!);
      this.total -= most;
      // After the turn that read the input: the connection may be in the middle of handling it.
      setImmediate(() => largest!.evictForInput());
    }
  }
}

/** The budget of the front whose connections share `limits` (one config object per front). */
const budgets = new WeakMap<object, InputBudget>();

export function inputBudgetFor(limits: { maxInputMemory: number }): InputBudget {
  let budget = budgets.get(limits);
  if (budget === undefined || budget.limit !== limits.maxInputMemory) budgets.set(limits, (budget = new InputBudget(limits.maxInputMemory)));
  return budget;
}
