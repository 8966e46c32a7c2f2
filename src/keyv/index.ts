/** `cachee/keyv`: a cachee Cache or TieredCache as a Keyv store (and so a cache-manager store). */
export { CacheeKeyvStore, type KeyvBackend } from './store.js';
