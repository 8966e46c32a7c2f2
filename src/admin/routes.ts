/**
 * The admin routes the proxy serves (see ./server.ts for the table they go in):
 *
 * - `GET /metrics`: every metric in the Prometheus text format (version 0.0.4).
 * - `GET /api/hot-keys?limit=N`: `{ "keys": [{ "key": string, "frequency": number }] }`, the N
 *   (default 20, at most 1000) hottest keys by the engine's frequency sketch, highest first; a key
 *   is the Redis key name decoded as UTF-8 (bytes that are not UTF-8 show as U+FFFD).
 * - `GET /healthz`: 200 `ok` while the proxy serves, 503 when it cannot (no worker alive).
 *
 * The metrics and hot keys are paced (./paced.ts): a flood of scrapes shares renders instead of
 * stalling the proxy's clients.
 */
import type { HotKey } from '../metrics/hot-keys.js';
import { Paced } from './paced.js';
import { sendJson, sendText, type Route } from './server.js';

export const DEFAULT_HOT_KEYS = 20;
export const MAX_HOT_KEYS = 1000;

/** What the routes read; the proxy's single front or, with --workers, the primary over IPC. */
export interface AdminSource {
  metrics(): Promise<{ contentType: string; text: string }>;
  hotKeys(limit: number): Promise<HotKey[]>;
  healthy(): boolean;
}

/** The `limit` parameter, or the message of a 400. */
function parseLimit(url: URL): number | { error: string } {
  const values = url.searchParams.getAll('limit');
  if (values.length === 0) return DEFAULT_HOT_KEYS;
  const text = values[0];
  const limit = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (values.length > 1 || !(limit >= 1 && limit <= MAX_HOT_KEYS)) {
    return { error: `limit must be one whole number from 1 to ${MAX_HOT_KEYS}, got ${values.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return limit;
}

/** Keys are latin1 strings of the key's bytes; JSON shows them as the text those bytes are. */
function displayKey(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}

export function adminRoutes(source: AdminSource): Record<string, Route> {
  const metrics = new Paced(() => source.metrics());
  const hotKeys = new Map<number, Paced<HotKey[]>>();
  return {
    '/metrics': async (_request, response) => {
      const { contentType, text } = await metrics.get();
      sendText(response, 200, text, contentType);
    },
    '/api/hot-keys': async (_request, response, url) => {
      const limit = parseLimit(url);
      if (typeof limit !== 'number') {
        sendJson(response, 400, limit);
        return;
      }
      let paced = hotKeys.get(limit);
      if (paced === undefined) hotKeys.set(limit, (paced = new Paced(() => source.hotKeys(limit))));
      const keys = await paced.get();
      sendJson(response, 200, { keys: keys.map(({ key, frequency }) => ({ key: displayKey(key), frequency })) });
    },
    '/healthz': (_request, response) => {
      if (source.healthy()) sendText(response, 200, 'ok\n');
      else sendText(response, 503, 'unavailable\n');
    },
  };
}
