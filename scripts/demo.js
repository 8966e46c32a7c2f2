// `npm start` until the proxy lands: a short live demo of the engine on a skewed workload.
import { LRUCache } from 'lru-cache';
import { Cache } from '../dist/index.js';

const keys = 1_000_000;
const requests = 2_000_000;
const capacity = 50_000;
let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) | 0) >>> 0) / 2 ** 32;
// Zipf-like popularity (s ~ 1) over a million keys, plus a scan of one-hit wonders mid-way.
const zipf = () => Math.floor(Math.exp(random() * Math.log(keys))) - 1;

const cache = new Cache({ maxEntries: capacity, ttl: 60_000 });
const lru = new LRUCache({ max: capacity });
let lruHits = 0;
const start = performance.now();
for (let n = 0; n < requests; n++) {
  const key = n > requests / 2 && n < requests / 2 + 200_000 ? `scan:${n}` : `user:${zipf()}`;
  if (cache.get(key) === undefined) cache.set(key, { key, loadedAt: n });
  if (lru.get(key) !== undefined) lruHits++;
  else lru.set(key, n);
}
const elapsed = performance.now() - start;
const s = cache.stats();
console.log(`cachee demo: ${requests.toLocaleString()} requests over ${keys.toLocaleString()} keys, cache of ${capacity.toLocaleString()}`);
console.log(`  hit rate        ${(100 * s.hitRate).toFixed(1)}%  (lru-cache of the same size: ${((100 * lruHits) / requests).toFixed(1)}%)`);
console.log(`  entries         ${s.entries.toLocaleString()}`);
console.log(`  evictions       ${s.evictions.toLocaleString()} (newcomers declined by admission: ${s.rejections.toLocaleString()})`);
console.log(`  time            ${elapsed.toFixed(0)} ms for both caches`);
console.log('The proxy (cachee start) is not built yet; see the README.');
