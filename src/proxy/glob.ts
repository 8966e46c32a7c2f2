/**
 * --l1-keys: which keys L1 may hold, as Redis glob patterns matched exactly as Redis matches
 * KEYS and SCAN MATCH (the embedded store's port of stringmatchlen), over latin1 key strings.
 */
import { globMatcher } from '../store/glob.js';

/** A matcher for a list of patterns; no patterns means every key matches. */
export function keyMatcher(patterns: readonly string[] | undefined): (key: string) => boolean {
  if (patterns === undefined || patterns.length === 0) return () => true;
  const matchers = patterns.map(globMatcher);
  return (key) => {
    for (let i = 0; i < matchers.length; i++) if (matchers[i](key)) return true;
    return false;
  };
}
