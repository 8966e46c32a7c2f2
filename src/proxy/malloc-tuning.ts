/**
 * glibc's malloc, for a process whose memory must stay near `--l1-memory` + 100 MB.
 *
 * glibc serves an allocation of 128 KiB or more with its own mmap, given back on free; but each
 * time such a block is freed it raises that threshold to the block's size (up to 32 MiB). The
 * proxy frees blocks of several MB as L1's arrays grow, so soon after start every allocation
 * below that size (L1's segments, the upstream's read buffers, replies in transit) comes from
 * the one brk heap, which returns to the system only from its top: under eviction churn, freed
 * holes between live blocks kept the RSS far above what the process used. bench:proxy's memory
 * section at --l1-memory 256mb (limit 356 MB): the brk heap at 239 MB and peak RSS 419-446 MB
 * with the threshold left to move, 45 MB and 338-340 MB with it fixed
 * (MALLOC_MMAP_THRESHOLD_=131072, which also stops the adjustment).
 *
 * The variable is read once, when the process starts: `cachee start` runs the proxy in a child
 * that has it (src/cli/malloc-relaunch.ts), and --workers' workers get it; a proxy started
 * otherwise (startProxy from the library) says at start how to set it.
 */

/** What a proxy process's environment should hold (the threshold, at glibc's default). */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };

/** Whether this process runs on glibc (whose report header names its version). */
export function onGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof report?.header?.glibcVersionRuntime === 'string';
}

/** The environment for a proxy process started from this one: this one's, with MALLOC_ENV's defaults. */
export function proxyProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...MALLOC_ENV, ...env };
}

/** A line to log at start when glibc's threshold was left to move, else undefined. */
export function mallocNote(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined || !onGlibc()) return undefined;
  return (
    'note: MALLOC_MMAP_THRESHOLD_ is not set, so glibc may keep freed memory and the RSS grow well past ' +
    '--l1-memory + 100 MB under eviction churn; start with MALLOC_MMAP_THRESHOLD_=131072 (cachee start does)'
  );
}
