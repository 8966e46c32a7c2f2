/**
 * How the typed parts of the differential corpus (corpus-zsets.ts, corpus-hashes.ts) write a
 * scenario: each line a command as words, compared exactly unless it is a Step of its own.
 */
import type { Scenario, Step } from './corpus.js';

type Line = string | string[] | Step;

/** A command written as words separated by spaces; "double quotes" hold spaces or nothing. */
export function words(line: string): string[] {
  return Array.from(line.matchAll(/"([^"]*)"|(\S+)/g), (match) => match[1] ?? match[2]);
}

export function scenario(name: string, ...lines: Line[]): Scenario {
  return {
    name,
    steps: lines.map((line) =>
      typeof line === 'string' ? { args: words(line), compare: 'exact' } : Array.isArray(line) ? { args: line, compare: 'exact' } : line,
    ),
  };
}
