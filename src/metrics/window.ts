/**
 * The sliding window of the latency percentiles (./latency.ts): a ring of WINDOW_SLOTS
 * histograms of SLOT_MS each, so the percentiles cover the last 50 to 60 seconds. Apart from the
 * recorder so the metric definitions can describe it without loading the histogram library.
 */
export const WINDOW_SLOTS = 6;
export const SLOT_MS = 10_000;
/** How the window is described wherever its figures are shown. */
export const WINDOW_DESCRIPTION = 'over a sliding window of the last 50-60 s';
