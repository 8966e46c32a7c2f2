import fc from 'fast-check';
import {
  encodeArray,
  encodeBigNumber,
  encodeBoolean,
  encodeBulkString,
  encodeDouble,
  encodeError,
  encodeInteger,
  encodeMap,
  encodeNull,
  encodePush,
  encodeSet,
  encodeSimpleString,
  encodeVerbatimString,
  RespError,
  RespPush,
  RespType,
  RespVerbatimString,
  type RespValue,
  type RespVersion,
} from '../../src/resp/index.js';

/** A reply as a test describes it: what to encode, and so what decoding must give back. */
export type Model =
  | { kind: 'simple'; value: string }
  | { kind: 'error'; value: string }
  | { kind: 'integer'; value: number | bigint }
  | { kind: 'bulk'; value: Buffer | null }
  | { kind: 'null' }
  | { kind: 'double'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'bignum'; value: bigint }
  | { kind: 'verbatim'; format: string; value: Buffer }
  | { kind: 'array'; value: Model[] | null }
  | { kind: 'map'; value: [Model, Model][] }
  | { kind: 'set'; value: Model[] }
  | { kind: 'push'; value: Model[] };

export function encodeModel(model: Model, version: RespVersion): Buffer {
  switch (model.kind) {
    case 'simple':
      return encodeSimpleString(model.value);
    case 'error':
      return encodeError(model.value);
    case 'integer':
      return encodeInteger(model.value);
    case 'bulk':
      return encodeBulkString(model.value, version);
    case 'null':
      return encodeNull(version);
    case 'double':
      return encodeDouble(model.value, version);
    case 'boolean':
      return encodeBoolean(model.value, version);
    case 'bignum':
      return encodeBigNumber(model.value, version);
    case 'verbatim':
      return encodeVerbatimString(model.value, model.format, version);
    case 'array':
      return encodeArray(model.value && model.value.map((m) => encodeModel(m, version)), version);
    case 'map':
      return encodeMap(model.value.map(([k, v]) => [encodeModel(k, version), encodeModel(v, version)] as const), version);
    case 'set':
      return encodeSet(model.value.map((m) => encodeModel(m, version)), version);
    case 'push':
      return encodePush(model.value.map((m) => encodeModel(m, version)), version);
  }
}

/** What decodeReply must return for the model encoded in `version` (RESP2 degrades types as Redis does). */
export function expectedValue(model: Model, version: RespVersion): RespValue {
  const text = (s: string) => Buffer.from(s);
  switch (model.kind) {
    case 'simple':
      return model.value;
    case 'error':
      return new RespError(model.value);
    case 'integer':
      return typeof model.value === 'bigint' && Number.isSafeInteger(Number(model.value)) ? Number(model.value) : model.value;
    case 'bulk':
      return model.value;
    case 'null':
      return null;
    case 'double':
      if (version === 3) return model.value;
      return text(Number.isNaN(model.value) ? 'nan' : model.value === Infinity ? 'inf' : model.value === -Infinity ? '-inf' : Object.is(model.value, -0) ? '-0' : String(model.value));
    case 'boolean':
      return version === 3 ? model.value : model.value ? 1 : 0;
    case 'bignum':
      return version === 3 ? model.value : text(String(model.value));
    case 'verbatim':
      return version === 3 ? new RespVerbatimString(model.format, model.value) : model.value;
    case 'array':
      return model.value && model.value.map((m) => expectedValue(m, version));
    case 'map':
      return version === 3
        ? new Map(model.value.map(([k, v]) => [expectedValue(k, version), expectedValue(v, version)]))
        : model.value.flatMap(([k, v]) => [expectedValue(k, version), expectedValue(v, version)]);
    case 'set':
      return version === 3 ? new Set(model.value.map((m) => expectedValue(m, version))) : model.value.map((m) => expectedValue(m, version));
    case 'push':
      return version === 3 ? new RespPush(model.value.map((m) => expectedValue(m, version))) : model.value.map((m) => expectedValue(m, version));
  }
}

/** The type byte the model's encoding starts with. */
export function typeByte(model: Model, version: RespVersion): number {
  return encodeModel(model, version)[0];
}

const line = fc.stringMatching(/^[^\r\n]{0,12}$/);
const blob = fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b));
/** Bulk strings: the only map keys and set members, so that no two of them collapse in a Map or Set. */
const bulk: fc.Arbitrary<Model> = blob.map((value): Model => ({ kind: 'bulk', value }));

const scalar: fc.Arbitrary<Model> = fc.oneof(
  line.map((value): Model => ({ kind: 'simple', value })),
  fc.stringMatching(/^[A-Z]{1,6} [^\r\n]{0,10}$/).map((value): Model => ({ kind: 'error', value })),
  fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((value): Model => ({ kind: 'integer', value })),
  bulk,
  fc.constant<Model>({ kind: 'bulk', value: null }),
  fc.constant<Model>({ kind: 'null' }),
  fc.double().map((value): Model => ({ kind: 'double', value })),
  fc.boolean().map((value): Model => ({ kind: 'boolean', value })),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((value): Model => ({ kind: 'bignum', value })),
  fc.tuple(fc.constantFrom('txt', 'mkd'), blob).map(([format, value]): Model => ({ kind: 'verbatim', format, value })),
);

export const model: fc.Arbitrary<Model> = fc.letrec<{ model: Model }>((tie) => ({
  model: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.option(fc.array(tie('model'), { maxLength: 4 }), { nil: null }).map((value): Model => ({ kind: 'array', value })),
    fc.array(fc.tuple(bulk, tie('model')), { maxLength: 3 }).map((value): Model => ({ kind: 'map', value })),
    fc.array(bulk, { maxLength: 3 }).map((value): Model => ({ kind: 'set', value })),
    fc.array(tie('model'), { minLength: 1, maxLength: 3 }).map((value): Model => ({ kind: 'push', value })),
  ),
})).model;

export { RespType };
