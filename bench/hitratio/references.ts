/**
 * The reference table of `bench/traces/README.md`, hard-coded so a run can be judged without
 * parsing prose. Figures are hit ratios in percent. `others` are the non-W-TinyLFU figures
 * published for the same point (ARC is hashicorp/golang-lru from Otter's chart unless noted there).
 */
import type { TraceName } from './traces.js';

export interface Reference {
  trace: TraceName;
  size: number;
  /** Exact simulations in the README; the harness's own LRU and OPT must reproduce them. */
  lru: number;
  opt: number;
  /** The best Caffeine-family W-TinyLFU figure for this point, and the README's cell with its sources. */
  ref: number;
  refSource: string;
  others: Record<string, number>;
}

const row = (
  trace: TraceName,
  size: number,
  lru: number,
  opt: number,
  ref: number,
  refSource: string,
  others: Record<string, number>,
): Reference => ({ trace, size, lru, opt, ref, refSource, others });

export const REFERENCES: Reference[] = [
  row('gli', 500, 0.95, 34.33, 33.2, '33.2 (C2.6); Ot2 32.8', { ARC: 9.6, Ristretto: 29.5 }),
  row('gli', 1000, 11.21, 53.15, 50.3, '50.3 (Ot2); C2.6 49.5', { ARC: 19.5, Ristretto: 47.6 }),
  row('gli', 2000, 57.41, 57.96, 57.96, '57.96 (C2.6); Th 57.9', { ARC: 57.4, Ristretto: 58.2 }),
  row('loop', 250, 0.0, 24.68, 23.3, '23.3 (C2.6, runs 22.5–24.3)', { ARC: 0 }),
  row('loop', 500, 0.0, 49.36, 48.7, '48.7 (C2.6)', { ARC: 0 }),
  row('loop', 1000, 0.0, 98.71, 97.3, '97.3 (C2.6); Theine 2023 ~98', { ARC: 0 }),
  row('oltp', 250, 16.47, 38.47, 24.88, '24.88 (BF); Th 24.1; Ot2 23.8', { ARC: 21.6 }),
  row('oltp', 1000, 32.83, 53.62, 40.01, '40.01 (BF); Ot2 ~40.1; Th 39.8', { ARC: 39.2 }),
  row('oltp', 2000, 42.47, 60.4, 46.09, '46.09 (BF); Ot2 45.7; Th 45.5', { ARC: 46.2 }),
  row('p3', 25000, 2.6, 26.04, 14.9, '14.9 (C2.6)', { ARC: 13.4 }),
  row('p3', 100000, 29.34, 62.0, 38.8, '38.8 (C2.6); Theine 2023 ~37.4', { ARC: 40.4 }),
  row('p3', 400000, 75.3, 80.51, 75.8, '75.8 (C2.6); Theine 2023 ~76.2', { ARC: 77.1 }),
  row('scarab', 10000, 48.65, 66.57, 52.3, '52.3 (Ot2, C2.6 52.2)', { ARC: 52.5 }),
  row('scarab', 50000, 69.15, 78.63, 66.1, '66.1 (C2.6); Ot2 64.4; Th 64.2', { ARC: 70.3 }),
  row('scarab', 100000, 75.91, 79.25, 73.5, '73.5 (Th); C2.6 72.3; CS16 adaptive 72.08', { ARC: 76.09, LIRS: 74.3 }),
  row('mixed', 500, 11.64, 43.76, 41.2, '41.2 (Ot2); Th 36.3', { Ristretto: 29.2 }),
  row('mixed', 1000, 11.64, 75.87, 72.9, '72.9 (Th); Ot2 72.2', { Ristretto: 65.4 }),
  row('mixed', 2000, 76.58, 76.71, 74.7, '74.7 (Th); Ot2 ~74.5', { Ristretto: 66.4 }),
];

export function referenceFor(trace: string, size: number): Reference | undefined {
  return REFERENCES.find((r) => r.trace === trace && r.size === size);
}
