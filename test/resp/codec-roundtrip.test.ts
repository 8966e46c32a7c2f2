import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeReply, ReplyScanner, type RespVersion } from '../../src/resp/index.js';
import { byteByByte } from './helpers.js';
import { encodeModel, expectedValue, model, type Model } from './reply-model.js';

const b = (s: string) => Buffer.from(s);

/** One model of every type, including the edge values of each. */
const EVERY_TYPE: Model[] = [
  { kind: 'simple', value: 'OK' },
  { kind: 'simple', value: '' },
  { kind: 'error', value: 'WRONGTYPE Operation against a key holding the wrong kind of value' },
  { kind: 'integer', value: 0 },
  { kind: 'integer', value: -9007199254740991 },
  { kind: 'integer', value: 2n ** 63n - 1n },
  { kind: 'integer', value: -(2n ** 63n) },
  { kind: 'bulk', value: b('binary\r\n\0\xff') },
  { kind: 'bulk', value: Buffer.alloc(0) },
  { kind: 'bulk', value: null },
  { kind: 'null' },
  { kind: 'double', value: 3.141592653589793 },
  { kind: 'double', value: -0 },
  { kind: 'double', value: 1e300 },
  { kind: 'double', value: 5e-324 },
  { kind: 'double', value: Infinity },
  { kind: 'double', value: -Infinity },
  { kind: 'double', value: NaN },
  { kind: 'boolean', value: true },
  { kind: 'boolean', value: false },
  { kind: 'bignum', value: 3492890328409238509324850943850943825024385n },
  { kind: 'bignum', value: -1n },
  { kind: 'verbatim', format: 'txt', value: b('Some string') },
  { kind: 'verbatim', format: 'mkd', value: Buffer.alloc(0) },
  { kind: 'array', value: [] },
  { kind: 'array', value: null },
  { kind: 'array', value: [{ kind: 'integer', value: 1 }, { kind: 'array', value: [{ kind: 'bulk', value: null }] }] },
  { kind: 'map', value: [] },
  { kind: 'map', value: [[{ kind: 'bulk', value: b('server') }, { kind: 'bulk', value: b('redis') }], [{ kind: 'bulk', value: b('proto') }, { kind: 'integer', value: 3 }]] },
  { kind: 'set', value: [{ kind: 'bulk', value: b('a') }, { kind: 'bulk', value: b('b') }] },
  { kind: 'push', value: [{ kind: 'bulk', value: b('invalidate') }, { kind: 'array', value: [{ kind: 'bulk', value: b('key:1') }] }] },
];

function roundTrip(model: Model, version: RespVersion): void {
  const encoded = encodeModel(model, version);
  const scanner = new ReplyScanner();
  const raws: Buffer[] = [];
  for (const chunk of byteByByte(encoded)) {
    scanner.feed(chunk);
    for (let reply = scanner.next(); reply; reply = scanner.next()) raws.push(reply.raw);
  }
  assert.equal(raws.length, 1);
  assert.deepEqual(raws[0], encoded);
  assert.deepEqual(decodeReply(raws[0]), expectedValue(model, version));
}

describe('encode → scan → decode', () => {
  for (const version of [2, 3] as const) {
    for (const model of EVERY_TYPE) {
      it(`RESP${version} ${model.kind} ${JSON.stringify(model, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 80)}`, () => {
        roundTrip(model, version);
      });
    }
  }

  it('round-trips any nested reply, RESP2 and RESP3', () => {
    fc.assert(
      fc.property(model, fc.constantFrom(2 as const, 3 as const), (m, version) => roundTrip(m, version)),
      { numRuns: 500 },
    );
  });
});
