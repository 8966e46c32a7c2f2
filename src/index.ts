export { Cache, ENTRY_OVERHEAD_BYTES } from './core/cache.js';
export type { CacheOptions, CacheStats, EvictionReason, SetOptions } from './core/options.js';
export { estimateBytes } from './core/size-of.js';
