export { Cache, ENTRY_OVERHEAD_BYTES } from './core/cache.js';
export type { CacheOptions, CacheStats, EvictionReason, SetOptions } from './core/options.js';
export { estimateBytes } from './core/size-of.js';
export type { MetricsOptions } from './metrics/library.js';
export { TieredCache } from './tier/tiered-cache.js';
export type { LoadOptions, TieredCacheStats, TieredSetOptions } from './tier/tiered-cache.js';
export type { DistributedLockOptions, InvalidationMode, L1Options, TieredCacheOptions } from './tier/tiered-options.js';
export { bufferSerializer, jsonSerializer, type Serializer } from './tier/serializer.js';
export { L2UnavailableError } from './tier/redis-store.js';
