/**
 * Keyv's published compliance suite (@keyv/test-suite: its API, value and namespace tests) run
 * against cachee/keyv over both backends. Its iterator tests are not run: the store has no iterator.
 */
import { before, describe } from 'node:test';
import keyvTestSuite from '@keyv/test-suite';
import { Keyv } from 'keyv';
import { Cache, type TieredCache } from '../../src/index.js';
import { CacheeKeyvStore } from '../../src/keyv/index.js';
import { connectedCache, redisForTests } from '../support/tiered.js';
import { vitestShape } from '../support/vitest-shape.js';

const env = redisForTests();
// The suite is typed against vitest's module; it calls only what vitestShape has.
const suiteTest = vitestShape as unknown as Parameters<typeof keyvTestSuite>[0];

describe('@keyv/test-suite over Cache (in-process)', () => {
  const backend = new Cache<string, unknown>({ maxEntries: 1000 });
  keyvTestSuite(suiteTest, Keyv, () => new CacheeKeyvStore(backend));
});

describe('@keyv/test-suite over TieredCache (L1 + Redis)', () => {
  let backend: TieredCache<unknown>;
  before(async () => {
    backend = await connectedCache<unknown>({ redis: env.redis.url, namespace: 'compliance' });
    env.open.push(backend);
  });
  keyvTestSuite(suiteTest, Keyv, () => new CacheeKeyvStore(backend));
});
