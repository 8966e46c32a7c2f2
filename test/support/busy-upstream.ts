/**
 * A Redis busy with a script at the moment cachee's invalidation connections reconnect: they are
 * killed, and a script keeps Redis busy for `ms`. Start the server with a low
 * `--busy-reply-threshold` (BUSY_REDIS_ARGS), so the reconnecting listener is answered `-BUSY`
 * within the script instead of waiting for its end.
 */
import { RawClient } from './proxy.js';

export const BUSY_REDIS_ARGS = ['--busy-reply-threshold', '50'];

/** Lua that spins for `ms` milliseconds of Redis's clock. */
export function busyScript(ms: number): string {
  return `local s=redis.call('TIME') while true do local n=redis.call('TIME') if (n[1]-s[1])*1000000+(n[2]-s[2]) > ${ms * 1000} then break end end return 1`;
}

/** The ids of the connections named `cachee-invalidation` (the listener's). */
export async function invalidationConnectionIds(direct: RawClient): Promise<string[]> {
  const list = (await direct.call('CLIENT', 'LIST')).toString('latin1');
  return [...list.matchAll(/id=(\d+)[^\n]*name=cachee-invalidation/g)].map((m) => m[1]);
}

/** Kills the listener's connections and keeps Redis busy for `ms` while they come back; resolves when the script ends. */
export async function busyWhileTrackingReconnects(redisPort: number, ms: number): Promise<void> {
  const direct = await RawClient.connect(redisPort);
  try {
    const ids = await invalidationConnectionIds(direct);
    if (ids.length === 0) throw new Error('no cachee-invalidation connection to kill');
    // Pipelined: the script starts right after the kills, before the listener's first retry (50 ms).
    const replies = await direct.pipeline([...ids.map((id) => ['CLIENT', 'KILL', 'ID', id]), ['EVAL', busyScript(ms), '0']], ms + 10_000);
    const last = replies[replies.length - 1].toString('latin1');
    if (last !== ':1\r\n') throw new Error(`the busy script failed: ${last}`);
  } finally {
    direct.close();
  }
}
