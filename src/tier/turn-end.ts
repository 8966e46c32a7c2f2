/**
 * `turnEnd()`: a promise that resolves at the end of the current event-loop turn, once the poll
 * phase has run the callbacks of every socket that was ready (one setImmediate, shared by every
 * caller of the turn). TieredCache's `readAtTurnEnd` waits for it before an L1 lookup, so that
 * an invalidation read in the same turn as the request that asks (and after it) is applied first.
 */
let waiting: (() => void)[] = [];

function release(): void {
  const list = waiting;
  waiting = [];
  for (const resolve of list) resolve();
}

export function turnEnd(): Promise<void> {
  return new Promise((resolve) => {
    if (waiting.length === 0) setImmediate(release);
    waiting.push(resolve);
  });
}
