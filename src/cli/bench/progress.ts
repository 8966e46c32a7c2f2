/**
 * How far a run is: a bar on stderr when stderr is a terminal (cli-progress), else one line per
 * finished size, so a pipe or a log gets a few plain lines and stdout stays the table alone.
 */
import cliProgress from 'cli-progress';
import type { CliDeps } from '../deps.js';
import { humanSize } from '../units.js';

export interface Progress {
  /** `samples` more timed samples of the size in hand. */
  advance(samples: number): void;
  sizeDone(bytes: number): void;
  stop(): void;
}

export function startProgress(deps: CliDeps, sizes: readonly number[], samplesPerSize: number): Progress {
  const terminal = deps.stderrTerminal;
  let done = 0;
  if (terminal === undefined) {
    return {
      advance: () => {},
      sizeDone: (bytes) => deps.stderr(`cachee bench: ${humanSize(bytes)} done (${++done} of ${sizes.length})\n`),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream: terminal, format: 'cachee bench [{bar}] {percentage}% | {size} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(sizes.length * samplesPerSize, 0, { size: humanSize(sizes[0]) });
  let stopped = false;
  return {
    advance: (samples) => bar.increment(samples),
    sizeDone: () => {
      done++;
      if (done < sizes.length) bar.update({ size: humanSize(sizes[done]) });
    },
    stop: () => {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}
