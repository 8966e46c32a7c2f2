/**
 * Redis glob patterns (the syntax of KEYS, SCAN MATCH and our --l1-keys): `*`, `?`, `[abc]`,
 * `[^a]`, `[a-z]`, and `\` to escape. Compiled once to a RegExp over latin1 strings, so keys are
 * matched byte for byte whatever their encoding.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      source += '[\\s\\S]*';
    } else if (c === '?') {
      source += '[\\s\\S]';
    } else if (c === '\\' && i + 1 < pattern.length) {
      source += escapeChar(pattern[++i]);
    } else if (c === '[') {
      const end = findClassEnd(pattern, i + 1);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      source += `[${negate ? '^' : ''}${classBody(body)}]`;
      i = end;
    } else {
      source += escapeChar(c);
    }
  }
  return new RegExp(`${source}$`);
}

function findClassEnd(pattern: string, from: number): number {
  for (let i = from; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']' && i > from) return i;
  }
  return -1;
}

function classBody(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) out += escapeChar(body[++i]);
    else if (c === '-' && i > 0 && i + 1 < body.length) out += '-';
    else out += escapeChar(c);
  }
  return out;
}

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|\-/]/.test(c) ? `\\${c}` : c;
}

/** A matcher for a list of patterns; no patterns means every key matches. */
export function keyMatcher(patterns: readonly string[] | undefined): (key: string) => boolean {
  if (patterns === undefined || patterns.length === 0) return () => true;
  const regexps = patterns.map(globToRegExp);
  return (key) => regexps.some((r) => r.test(key));
}
