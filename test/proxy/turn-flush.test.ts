import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { flushAtTurnEnd, handleAtTurnEnd, type TurnFlushed } from '../../src/proxy/turn-flush.js';

/** A connection that logs its flushes (and destroys) into `log`. */
function connection(name: string, log: string[], flush: () => void = () => {}): TurnFlushed {
  return {
    flushTurn: () => {
      log.push(`flush ${name}`);
      flush();
    },
    destroy: () => log.push(`destroy ${name}`),
  };
}

describe('flushAtTurnEnd', () => {
  it('flushes nothing before the turn ends, then every connection asked for, in order, once', async () => {
    const log: string[] = [];
    flushAtTurnEnd(connection('a', log));
    flushAtTurnEnd(connection('b', log));
    assert.deepEqual(log, []);
    await nextTurn();
    assert.deepEqual(log, ['flush a', 'flush b']);
    await nextTurn();
    assert.deepEqual(log, ['flush a', 'flush b']);
  });

  it('flushes a connection asked for during the flush in the next turn', async () => {
    const log: string[] = [];
    const again = connection('again', log);
    flushAtTurnEnd(connection('first', log, () => flushAtTurnEnd(again)));
    await nextTurn();
    assert.deepEqual(log, ['flush first']);
    await nextTurn();
    assert.deepEqual(log, ['flush first', 'flush again']);
  });

  it('destroys a connection whose flush throws, and still flushes the others', async (t) => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const log: string[] = [];
    flushAtTurnEnd(connection('broken', log, () => {
      throw new Error('boom');
    }));
    flushAtTurnEnd(connection('fine', log));
    await nextTurn();
    assert.deepEqual(log, ['flush broken', 'destroy broken', 'flush fine']);
    // The warning is emitted on the next tick.
    await nextTurn();
    assert.ok(warnings.some((w) => w.includes('boom')), warnings.join('; '));
    // The turn after works as before.
    flushAtTurnEnd(connection('later', log));
    await nextTurn();
    assert.equal(log.at(-1), 'flush later');
  });
});

describe('handleAtTurnEnd', () => {
  it('handles input at the turn end, before the flush, which takes the flushes that input asks for', async () => {
    const log: string[] = [];
    flushAtTurnEnd(connection('earlier', log));
    const replying = connection('replying', log);
    handleAtTurnEnd({ handleTurnInput: () => (log.push('input'), flushAtTurnEnd(replying)), destroy: () => log.push('destroy input') });
    assert.deepEqual(log, []);
    await nextTurn();
    assert.deepEqual(log, ['input', 'flush earlier', 'flush replying']);
    await nextTurn();
    assert.deepEqual(log, ['input', 'flush earlier', 'flush replying']);
  });
});
