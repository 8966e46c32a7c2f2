/**
 * Hot keys, as `/api/hot-keys` reports them: key names with the engine's frequency estimate
 * (Cache.hottest). Entries are merged by key name where one name has several entries (the proxy's
 * databases, the embedded store's databases, the workers): their estimates are summed.
 */
import { HOTTEST_SAMPLE } from '../core/cache.js';

export interface HotKey {
  key: string;
  /** The engine's estimate of recent accesses (0 to 15 per entry), summed over the merged entries. */
  frequency: number;
}

/** Sums lists of hot keys by key name and keeps the `limit` highest, highest first. */
export function mergeHotKeys(lists: Iterable<readonly HotKey[]>, limit: number): HotKey[] {
  const merged = new Map<string, number>();
  for (const list of lists) for (const { key, frequency } of list) merged.set(key, (merged.get(key) ?? 0) + frequency);
  return [...merged]
    .map(([key, frequency]) => ({ key, frequency }))
    .sort((a, b) => b.frequency - a.frequency)
    .slice(0, limit);
}

/** An engine's `limit` hottest entries by name (`nameOf` its entry key): its whole sample, merged by name. */
export function hottestByName<K>(engine: { hottest(limit: number): { key: K; frequency: number }[] }, nameOf: (key: K) => string, limit: number): HotKey[] {
  return mergeHotKeys([engine.hottest(HOTTEST_SAMPLE).map(({ key, frequency }) => ({ key: nameOf(key), frequency }))], limit);
}
