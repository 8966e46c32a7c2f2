/**
 * INFO's commandstats and errorstats (Redis's call() and afterErrorReply): one counter object per
 * command, made with the command table, so that counting a call is a few field increments.
 */

/**
 * One call in 16 of each command is timed (its first one included): reading the clock twice costs
 * about as much as a GET itself. usec is the timed calls' mean times the calls.
 */
export const TIMED_CALL_MASK = 15;

/** One command's (or subcommand's) figures since start or CONFIG RESETSTAT. */
export class CommandCounters {
  calls = 0;
  /** Of the calls timed (see TIMED_CALL_MASK). */
  timedCalls = 0;
  timedUsec = 0;
  /** Refused before running: wrong arity, NOAUTH, not allowed while subscribed or in MULTI. */
  rejectedCalls = 0;
  /** Ran and replied an error. */
  failedCalls = 0;

  reset(): void {
    this.calls = 0;
    this.timedCalls = 0;
    this.timedUsec = 0;
    this.rejectedCalls = 0;
    this.failedCalls = 0;
  }

  /** The value of INFO's `cmdstat_<name>` line. */
  describe(): string {
    const perCall = this.timedCalls === 0 ? 0 : this.timedUsec / this.timedCalls;
    return `calls=${this.calls},usec=${Math.round(perCall * this.calls)},usec_per_call=${perCall.toFixed(2)},rejected_calls=${this.rejectedCalls},failed_calls=${this.failedCalls}`;
  }
}

/** Error replies by their code (the first word: ERR, WRONGTYPE, NOAUTH...), as Redis's errorstats. */
export class ErrorCounters {
  private readonly byCode = new Map<string, number>();
  total = 0;

  count(message: string): void {
    this.total++;
    const space = message.indexOf(' ');
    const code = space === -1 ? message : message.slice(0, space);
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }

  entries(): Iterable<[string, number]> {
    return this.byCode.entries();
  }

  reset(): void {
    this.byCode.clear();
    this.total = 0;
  }
}
