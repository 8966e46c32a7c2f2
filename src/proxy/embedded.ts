/**
 * `startProxy` with no upstream: a RESP server over the embedded store (src/store), bounded by
 * `l1Memory` and evicted by the engine's policy. The store is the data, not a copy of Redis's, so
 * the settings about keeping a copy fresh (l1Ttl, requireFresh, upstreamTimeout) do not apply:
 * keys expire only as clients ask (EXPIRE, SET EX, ...).
 */
import { embeddedModeConflicts, type ProxyConfig } from './config.js';
import { ClientFront, frontProxy, type Log } from './front.js';
import { MeasuredStore } from './measured-store.js';
import { StoreConnection } from './store-connection.js';
import { FrontTelemetry, type ServingFront } from './telemetry.js';

export async function startEmbedded(config: ProxyConfig, log: Log): Promise<ServingFront> {
  const conflicts = embeddedModeConflicts(config);
  if (conflicts.length > 0) throw new RangeError(conflicts.map(({ key, message }) => `${key} ${message}`).join('; '));
  // Created once the port is known (for INFO's tcp_port); connections come only after that.
  let store: MeasuredStore;
  const front = await ClientFront.listen({
    host: config.host,
    port: config.port,
    maxClients: config.maxClients,
    accept: (socket, closed) => new StoreConnection(store, socket, config, closed),
  });
  store = new MeasuredStore({
    maxBytes: config.l1Memory,
    port: front.port,
    maxClients: config.maxClients,
    requirepass: config.requirepass,
    onInternalError: (command, error) => log(`error: the embedded store failed on ${command}: ${error instanceof Error ? error.message : String(error)}`),
  });
  const telemetry = new FrontTelemetry(store);
  return { running: frontProxy(front, log), telemetry };
}
