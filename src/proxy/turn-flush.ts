/**
 * Work done at the end of the event-loop turn: input that must wait until every ready socket was
 * read (`handleAtTurnEnd`: ClientSession's L1 reads wait for the invalidations read in the same
 * turn), then the replies.
 *
 * Writes replies at the end of the event-loop turn, after every socket that was ready has been
 * read: the connections that ask for it are flushed together by one setImmediate (which runs once
 * the poll phase has delivered every read of the turn), as Redis writes the replies of every
 * client it read in a turn from its beforeSleep. ClientConnection asks for it for pipelined input
 * and for replies from the upstream; the reply to a lone command goes out at once (see its
 * finishInput).
 *
 * Why: written at the end of each read, the replies reach the load generator one socket at a time,
 * spread over the turn, and it answers in the same trickle. redis-benchmark (50 clients, pipeline
 * 16, in turn with redis-server) against bench/support/floor-server.ts: written per read, p99
 * 0.73-0.83 ms against Redis's 0.66-0.70; written per turn, 0.55-0.72 ms, for the same CPU per GET.
 */

/** A connection whose replies wait for the turn's flush. */
export interface TurnFlushed {
  /** Writes what it holds; called once per `flushAtTurnEnd`, at the end of the turn. */
  flushTurn(): void;
  /** Called instead when `flushTurn` threw: nothing else may be written to this connection. */
  destroy(): void;
}

/** A connection whose input waits for the end of the turn (see `handleAtTurnEnd`). */
export interface TurnHandled {
  /** Handles the input it kept; called once per `handleAtTurnEnd`, before the turn's flush. */
  handleTurnInput(): void;
  destroy(): void;
}

const inputs: (TurnHandled | undefined)[] = [];
let inputCount = 0;

/**
 * Handles `connection`'s input at the end of this turn, before the turn's replies are written:
 * once every socket that was ready has been read, the invalidation channel's included (the
 * caller asks once per turn). See ClientSession.onData for why.
 */
export function handleAtTurnEnd(connection: TurnHandled): void {
  inputs[inputCount++] = connection;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/**
 * The connections to flush, `count` of them. Never shortened: a JS array set to length 0 gives
 * up its backing store, and the next turn's pushes allocate it again.
 */
let pending: (TurnFlushed | undefined)[] = [];
let count = 0;
/** The list being flushed; swapped with `pending`, so that a flush asked for meanwhile waits for the next turn. */
let flushing: (TurnFlushed | undefined)[] = [];
let scheduled = false;

/** Flushes `connection` at the end of this turn; the caller asks once per turn (it keeps a flag). */
export function flushAtTurnEnd(connection: TurnFlushed): void {
  pending[count++] = connection;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/**
 * Calls `run` on each of the first `n` connections of `list`, emptying it. A connection whose
 * call throws (a bug, not a client's doing) is destroyed; the others still get theirs.
 */
function runEach<T extends { destroy(): void }>(list: (T | undefined)[], n: number, run: (connection: T) => void, what: string): void {
  for (let i = 0; i < n; i++) {
    const connection = list[i]!;
    list[i] = undefined;
    try {
      run(connection);
    } catch (error) {
      process.emitWarning(`cachee: ${what} failed: ${String(error)}`);
      connection.destroy();
    }
  }
}

const handleInput = (connection: TurnHandled) => connection.handleTurnInput();
const flushReplies = (connection: TurnFlushed) => connection.flushTurn();

function flushAll(): void {
  // Still `scheduled` meanwhile: the flushes the input asks for are this one, not another turn's.
  if (inputCount > 0) {
    runEach(inputs, inputCount, handleInput, "handling a client's input");
    inputCount = 0;
  }
  scheduled = false;
  const list = pending;
  const n = count;
  pending = flushing;
  flushing = list;
  count = 0;
  runEach(list, n, flushReplies, "writing a client's replies");
}
