/**
 * Side-by-side timing in one process: every subject runs once per round, rounds alternate the
 * subjects, and the median of the rounds is reported, with ratios to a baseline. Each subject gets
 * its own compiled loop (`new Function`), so V8 does not share type feedback between them and one
 * subject's shapes cannot slow another down.
 */

export interface Subject {
  name: string;
  /** Returns the object the loop body calls, built fresh or reused as the subject wants. */
  setup: () => unknown;
  /** This subject's own loop body, when its method differs from the others' (same shape otherwise). */
  body?: string;
}

export interface Timing {
  name: string;
  /** Median nanoseconds per operation over the rounds. */
  nsPerOp: number;
  all: number[];
}

export function compileLoop(body: string): (target: unknown, input: unknown[]) => number {
  // `t` is the subject, `input` the pre-generated arguments; the sum defeats dead-code elimination.
  return new Function('t', 'input', `let sum = 0; for (let i = 0; i < input.length; i++) { ${body} } return sum;`) as (
    target: unknown,
    input: unknown[],
  ) => number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A deterministic PRNG (a 32-bit LCG), so every run and round asks for the same keys. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) | 0) >>> 0) / 2 ** 32;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Times `body` (a statement using `t` and `input[i]`) against each subject. When `fresh` is true
 * the subject is rebuilt before every round (for benchmarks that change state, like sets).
 */
export function compare(subjects: Subject[], body: string, input: unknown[], rounds: number, fresh = false): Timing[] {
  const loops = subjects.map((s) => compileLoop(s.body ?? body));
  const targets = subjects.map((s) => (fresh ? undefined : s.setup()));
  const samples: number[][] = subjects.map(() => []);
  for (let round = 0; round < rounds + 1; round++) {
    subjects.forEach((subject, s) => {
      const target = fresh ? subject.setup() : targets[s];
      const start = process.hrtime.bigint();
      loops[s](target, input);
      const elapsed = Number(process.hrtime.bigint() - start) / input.length;
      if (round > 0) samples[s].push(elapsed); // round 0 warms up the JIT
    });
  }
  return subjects.map((subject, s) => ({ name: subject.name, nsPerOp: median(samples[s]), all: samples[s] }));
}

export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (t: unknown, input: unknown[]) => Promise<number>;

/** `compare` for loop bodies that await (`body` may use `await`): one compiled async loop per subject. */
export async function compareAsync(subjects: Subject[], body: string, input: unknown[], rounds: number): Promise<Timing[]> {
  const loops = subjects.map((s) => new AsyncFunction('t', 'input', `let sum = 0; for (let i = 0; i < input.length; i++) { ${s.body ?? body} } return sum;`));
  const targets = await Promise.all(subjects.map((s) => s.setup()));
  const samples: number[][] = subjects.map(() => []);
  for (let round = 0; round < rounds + 1; round++) {
    for (let s = 0; s < subjects.length; s++) {
      const start = process.hrtime.bigint();
      await loops[s](targets[s], input);
      const elapsed = Number(process.hrtime.bigint() - start) / input.length;
      if (round > 0) samples[s].push(elapsed); // round 0 warms up the JIT
    }
  }
  return subjects.map((subject, s) => ({ name: subject.name, nsPerOp: median(samples[s]), all: samples[s] }));
}
