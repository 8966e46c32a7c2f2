/**
 * The Redis version the store reports (HELLO, INFO). Its commands behave as this version's do:
 * the differential tests run them against it.
 */
export const REDIS_VERSION = '7.0.15';
