import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { l1Entry, remainingFromPttl, shouldRefreshEarly } from '../../src/tier/promotion.js';

describe('promotion into L1 (the one function every tier goes through)', () => {
  it('a value with a Redis TTL is fresh until then, and no longer than l1Ttl', () => {
    const made = l1Entry('v', { now: 1000, remaining: 500, l1Ttl: 0, staleIfError: 0 })!;
    assert.deepEqual(made.entry, { value: 'v', freshUntil: 1500, expiresAt: 1500, staleUntil: 1500 });
    assert.equal(made.engineTtl, 500);
    const capped = l1Entry('v', { now: 1000, remaining: 500, l1Ttl: 100, staleIfError: 0 })!;
    assert.equal(capped.entry.freshUntil, 1100);
    assert.equal(capped.entry.expiresAt, 1500);
    assert.equal(capped.engineTtl, 100);
  });

  it('an L1 copy never outlives its Redis entry, even with a longer l1Ttl', () => {
    const made = l1Entry('v', { now: 0, remaining: 50, l1Ttl: 10_000, staleIfError: 0 })!;
    assert.equal(made.entry.freshUntil, 50);
    assert.equal(made.engineTtl, 50);
  });

  it('staleIfError keeps the entry past expiry, without making it fresh', () => {
    const made = l1Entry('v', { now: 0, remaining: 100, l1Ttl: 20, staleIfError: 1000 })!;
    assert.equal(made.entry.freshUntil, 20);
    assert.equal(made.entry.staleUntil, 1100);
    assert.equal(made.engineTtl, 1100);
  });

  it('no Redis TTL: fresh until l1Ttl, or forever (engine TTL 0)', () => {
    assert.equal(l1Entry('v', { now: 5, remaining: Infinity, l1Ttl: 0, staleIfError: 0 })!.engineTtl, 0);
    const capped = l1Entry('v', { now: 5, remaining: Infinity, l1Ttl: 30, staleIfError: 99 })!;
    assert.equal(capped.entry.freshUntil, 35);
    assert.equal(capped.entry.staleUntil, Infinity);
    assert.equal(capped.engineTtl, 0, 'kept for staleIfError, which never starts');
    assert.equal(l1Entry('v', { now: 5, remaining: Infinity, l1Ttl: 30, staleIfError: 0 })!.engineTtl, 30);
  });

  it('nothing to store for a key already gone from Redis', () => {
    assert.equal(l1Entry('v', { now: 0, remaining: remainingFromPttl(-2), l1Ttl: 0, staleIfError: 0 }), undefined);
    assert.equal(l1Entry('v', { now: 0, remaining: 0, l1Ttl: 0, staleIfError: 500 }), undefined);
  });

  it('PTTL replies: -1 is no expiry, -2 is gone', () => {
    assert.equal(remainingFromPttl(-1), Infinity);
    assert.equal(remainingFromPttl(-2), 0);
    assert.equal(remainingFromPttl(1234), 1234);
  });

  it('null and undefined (a cached miss) are stored as values', () => {
    assert.equal(l1Entry(null, { now: 0, remaining: 10, l1Ttl: 0, staleIfError: 0 })!.entry.value, null);
    assert.equal(l1Entry(undefined, { now: 0, remaining: 10, l1Ttl: 0, staleIfError: 0 })!.entry.value, undefined);
  });

  it('early refresh: never before the window, always at its end, in between by chance', () => {
    const entry = l1Entry('v', { now: 0, remaining: 1000, l1Ttl: 0, staleIfError: 0 })!.entry;
    assert.equal(shouldRefreshEarly(entry, 800, 100, 0.999), false, 'before the last 100 ms');
    assert.equal(shouldRefreshEarly(entry, 950, 100, 0.4), false, 'half way through the window, p = 0.5');
    assert.equal(shouldRefreshEarly(entry, 950, 100, 0.6), true);
    assert.equal(shouldRefreshEarly(entry, 999.9, 100, 0.01), true, 'at expiry almost surely');
    assert.equal(shouldRefreshEarly(entry, 950, 0, 0.99), false, 'disabled');
    const forever = l1Entry('v', { now: 0, remaining: Infinity, l1Ttl: 0, staleIfError: 0 })!.entry;
    assert.equal(shouldRefreshEarly(forever, 1e9, 100, 0.99), false, 'no expiry, nothing to refresh before');
  });
});
