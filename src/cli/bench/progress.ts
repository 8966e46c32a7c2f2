/**
 * How far a run is: on a terminal, one line on stderr rewritten in place (../progress.ts), with
 * the share done, the size in hand and the time left; else one line per finished size, so a pipe
 * or a log gets a few plain lines and stdout stays the table alone.
 */
import type { CliDeps } from '../deps.js';
import { ProgressLine } from '../progress.js';
import { formatDuration, humanSize } from '../units.js';

export interface Progress {
  /** `samples` more timed samples of the size in hand. */
  advance(samples: number): void;
  sizeDone(bytes: number): void;
  stop(): void;
}

export function startProgress(deps: CliDeps, sizes: readonly number[], samplesPerSize: number): Progress {
  let done = 0;
  if (deps.stderrTerminal === undefined) {
    return {
      advance: () => {},
      sizeDone: (bytes) => deps.stderr(`cachee bench: ${humanSize(bytes)} done (${++done} of ${sizes.length})\n`),
      stop: () => {},
    };
  }
  const line = new ProgressLine(deps);
  const total = sizes.length * samplesPerSize;
  const started = deps.now();
  let samples = 0;
  const show = (force = false) => {
    const share = samples / total;
    const elapsed = deps.now() - started;
    const left = share > 0 ? formatDuration(Math.max(1, Math.ceil(((elapsed / share) * (1 - share)) / 1000)) * 1000) : '?';
    const size = humanSize(sizes[Math.min(done, sizes.length - 1)]);
    line.update(`cachee bench ${Math.floor(share * 100)}% | ${size} | about ${left} left`, force);
  };
  show(true);
  return {
    advance: (n) => {
      samples += n;
      show();
    },
    sizeDone: () => {
      done++;
      show(true);
    },
    stop: () => line.clear(),
  };
}
