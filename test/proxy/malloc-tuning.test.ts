import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MALLOC_ENV, mallocNote, proxyProcessEnv } from '../../src/proxy/malloc-tuning.js';

const glibc = typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime === 'string';

describe('glibc malloc tuning', () => {
  it("gives a proxy process the threshold, keeping a value the user set", () => {
    assert.equal(proxyProcessEnv({ PATH: '/bin' }).MALLOC_MMAP_THRESHOLD_, MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
    assert.equal(proxyProcessEnv({ PATH: '/bin' }).PATH, '/bin');
    assert.equal(proxyProcessEnv({ MALLOC_MMAP_THRESHOLD_: '65536' }).MALLOC_MMAP_THRESHOLD_, '65536');
  });

  it('notes at start, on glibc only, that the threshold was left to move', () => {
    assert.equal(mallocNote({ MALLOC_MMAP_THRESHOLD_: '131072' }), undefined);
    const note = mallocNote({});
    if (glibc) assert.match(note!, /MALLOC_MMAP_THRESHOLD_=131072/);
    else assert.equal(note, undefined);
  });
});
