/**
 * The folder layout is the architecture: src/core is the ground floor (no I/O, nothing of ours
 * from outside it), and no two folders of src import each other, directly or around a loop.
 * Read from the import statements of every source file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
/** Files directly in src (index.ts, the library's Cache) form the top floor, named so. */
const TOP = '(src)';

/** Static imports and re-exports, `import './x'`, and `import('./x')`. */
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*'([^']+)'|(?:^|\n)\s*import\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function folderOf(path: string): string {
  const parts = relative(SRC, path).split(sep);
  return parts.length === 1 ? TOP : parts[0];
}

interface Edge {
  from: string;
  to: string;
  /** One file and specifier that makes the edge, for the message. */
  where: string;
}

/** Every import of a module of ours from another folder. */
export function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) edges.push({ from, to, where: `${relative(SRC, file)} imports '${specifier}'` });
    }
  }
  return edges;
}

/** A loop of folders, as [a, b, ..., a], or undefined when the graph has none. */
export function findCycle(edges: readonly Edge[]): string[] | undefined {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string): string[] | undefined => {
    if (state.get(folder) === 'open') return [...path.slice(path.indexOf(folder)), folder];
    if (state.get(folder) === 'done') return undefined;
    state.set(folder, 'open');
    path.push(folder);
    for (const to of next.get(folder) ?? []) {
      const cycle = visit(to);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(folder, 'done');
    return undefined;
  };
  for (const folder of next.keys()) {
    const cycle = visit(folder);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('layering of src', () => {
  const edges = folderEdges();

  it('finds the imports it checks', () => {
    // A pattern that stopped matching would pass every check below.
    assert.ok(edges.some((e) => e.from === 'proxy' && e.to === 'core'), 'proxy imports core');
    assert.ok(edges.some((e) => e.from === TOP && e.to === 'tier'), 'index.ts imports tier');
  });

  it('src/core imports nothing of ours from outside it', () => {
    const out = edges.filter((e) => e.from === 'core').map((e) => e.where);
    assert.deepEqual(out, []);
  });

  it('no folder imports another that imports it back, directly or through others', () => {
    const cycle = findCycle(edges);
    const where = cycle?.slice(1).map((to, i) => edges.find((e) => e.from === cycle[i] && e.to === to)!.where);
    assert.equal(cycle, undefined, `folders in a loop: ${cycle?.join(' -> ')}\n  ${where?.join('\n  ')}`);
  });

  it('finds a loop when there is one', () => {
    const loop = [
      { from: 'a', to: 'b', where: '' },
      { from: 'b', to: 'c', where: '' },
      { from: 'c', to: 'a', where: '' },
      { from: 'c', to: 'd', where: '' },
    ];
    assert.deepEqual(findCycle(loop), ['a', 'b', 'c', 'a']);
    assert.equal(findCycle(loop.slice(0, 2)), undefined);
  });
});
