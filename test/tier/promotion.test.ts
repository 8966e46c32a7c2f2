import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { L1Entry, l1Entry, remainingFromPttl, shouldRefreshEarly, valueOf, type EntryTimes } from '../../src/tier/promotion.js';

const at = (now: number, remaining: number, l1Ttl: number, staleIfError: number): EntryTimes => ({ now, remaining, l1Ttl, staleIfError, keepDeadlines: true });

describe('promotion into L1 (the one function every tier goes through)', () => {
  it('a value with a Redis TTL is fresh until then, and no longer than l1Ttl', () => {
    const made = l1Entry('v', at(1000, 500, 0, 0))!;
    assert.deepEqual({ ...(made.stored as L1Entry<string>) }, { value: 'v', freshUntil: 1500, expiresAt: 1500, staleUntil: 1500 });
    assert.equal(made.engineTtl, 500);
    const capped = l1Entry('v', at(1000, 500, 100, 0))!;
    assert.equal((capped.stored as L1Entry<string>).freshUntil, 1100);
    assert.equal((capped.stored as L1Entry<string>).expiresAt, 1500);
    assert.equal(capped.engineTtl, 100);
  });

  it('an L1 copy never outlives its Redis entry, even with a longer l1Ttl', () => {
    const made = l1Entry('v', at(0, 50, 10_000, 0))!;
    assert.equal((made.stored as L1Entry<string>).freshUntil, 50);
    assert.equal(made.engineTtl, 50);
  });

  it('staleIfError extends the last-resort life past expiry, not the fresh one', () => {
    const made = l1Entry('v', at(0, 100, 20, 1000))!;
    assert.equal((made.stored as L1Entry<string>).freshUntil, 20);
    assert.equal((made.stored as L1Entry<string>).staleUntil, 1100);
    assert.equal(made.engineTtl, 20);
  });

  it('no Redis TTL: fresh until l1Ttl, or forever (engine TTL 0)', () => {
    assert.equal(l1Entry('v', at(5, Infinity, 0, 0))!.engineTtl, 0);
    const capped = l1Entry('v', at(5, Infinity, 30, 99))!;
    assert.equal((capped.stored as L1Entry<string>).freshUntil, 35);
    assert.equal((capped.stored as L1Entry<string>).staleUntil, Infinity);
    assert.equal(capped.engineTtl, 30);
  });

  it('nothing to store for a key already gone from Redis', () => {
    assert.equal(l1Entry('v', at(0, remainingFromPttl(-2), 0, 0)), undefined);
    assert.equal(l1Entry('v', at(0, 0, 0, 500)), undefined);
  });

  it('PTTL replies: -1 is no expiry, -2 is gone', () => {
    assert.equal(remainingFromPttl(-1), Infinity);
    assert.equal(remainingFromPttl(-2), 0);
    assert.equal(remainingFromPttl(1234), 1234);
  });

  it('a bare value is stored when nothing needs its deadlines; valueOf reads either form', () => {
    const bare = l1Entry({ id: 1 }, { ...at(0, 100, 0, 0), keepDeadlines: false })!;
    assert.deepEqual(bare.stored, { id: 1 });
    assert.equal(bare.engineTtl, 100);
    assert.deepEqual(valueOf(bare.stored), { id: 1 });
    assert.ok(l1Entry('v', { ...at(0, 100, 0, 5), keepDeadlines: false })!.stored instanceof L1Entry, 'staleIfError needs them');
    assert.ok(l1Entry(undefined, { ...at(0, 100, 0, 0), keepDeadlines: false })!.stored instanceof L1Entry, 'a cached miss is wrapped');
    assert.equal(valueOf(l1Entry(undefined, at(0, 100, 0, 0))!.stored), undefined);
    assert.equal(valueOf(undefined), undefined);
  });

  it('null and undefined (a cached miss) are stored as values', () => {
    assert.equal((l1Entry(null, at(0, 10, 0, 0))!.stored as L1Entry<unknown>).value, null);
    assert.equal((l1Entry(undefined, at(0, 10, 0, 0))!.stored as L1Entry<unknown>).value, undefined);
  });

  it('early refresh: never before the window, always at its end, in between by chance', () => {
    const entry = l1Entry('v', at(0, 1000, 0, 0))!.stored as L1Entry<string>;
    assert.equal(shouldRefreshEarly(entry, 800, 100, 0.999), false, 'before the last 100 ms');
    assert.equal(shouldRefreshEarly(entry, 950, 100, 0.4), false, 'half way through the window, p = 0.5');
    assert.equal(shouldRefreshEarly(entry, 950, 100, 0.6), true);
    assert.equal(shouldRefreshEarly(entry, 999.9, 100, 0.01), true, 'at expiry almost surely');
    assert.equal(shouldRefreshEarly(entry, 950, 0, 0.99), false, 'disabled');
    const forever = l1Entry('v', at(0, Infinity, 0, 0))!.stored as L1Entry<string>;
    assert.equal(shouldRefreshEarly(forever, 1e9, 100, 0.99), false, 'no expiry, nothing to refresh before');
  });
});
