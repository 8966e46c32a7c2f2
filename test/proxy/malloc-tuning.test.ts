import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MALLOC_ENV, mallocNote, proxyProcessEnv } from '../../src/proxy/malloc-tuning.js';
import { needsMallocRelaunch } from '../../src/cli/malloc-relaunch.js';

const glibc = typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime === 'string';

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

  it('relaunches `cachee start` alone, on glibc, when the threshold is not set, and not under a debugger', () => {
    assert.equal(needsMallocRelaunch(['start', '--port', '1'], {}, true, []), true);
    assert.equal(needsMallocRelaunch(['start'], { MALLOC_MMAP_THRESHOLD_: '65536' }, true, []), false);
    assert.equal(needsMallocRelaunch(['status'], {}, true, []), false);
    assert.equal(needsMallocRelaunch(['start'], {}, false, []), false);
    assert.equal(needsMallocRelaunch(['start'], {}, true, ['--inspect=9229']), false);
  });
});
