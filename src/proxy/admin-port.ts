/**
 * The admin HTTP server in front of a running proxy (--admin-port): started once the proxy
 * listens, closed with it. A single front answers from its own registry; with --workers the
 * primary builds an AdminSource over IPC (./workers.ts).
 */
import { startAdminServer } from '../admin/server.js';
import { dashboardRoutes } from '../admin/dashboard.js';
import { adminRoutes, type AdminSource } from '../admin/routes.js';
import type { ProxyConfig, RunningProxy } from './config.js';
import { runningProxy } from './front.js';
import type { FrontTelemetry } from './telemetry.js';

/** A single front's answers; its registry is made now, so the process metrics count from the start. */
export function telemetrySource(telemetry: FrontTelemetry): AdminSource {
  const registry = telemetry.registry;
  return {
    metrics: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
    hotKeys: async (limit) => telemetry.hottestKeys(limit),
    healthy: () => true,
  };
}

/**
 * `running` with the admin server beside it, on the proxy's host; `running` itself when
 * `adminPort` is off. If the port cannot be listened on, the proxy is closed and the
 * AdminListenError thrown.
 */
export async function withAdminServer(config: ProxyConfig, running: RunningProxy, source: AdminSource): Promise<RunningProxy> {
  if (config.adminPort === undefined) return running;
  let admin;
  try {
    admin = await startAdminServer({
      host: config.host,
      port: config.adminPort,
      routes: { ...adminRoutes(source), ...dashboardRoutes() },
      allowedHosts: config.adminAllowedHosts,
    });
  } catch (error) {
    await running.close();
    throw error;
  }
  return {
    // Both at once: the proxy stops accepting as soon as close is called.
    ...runningProxy(running, () => Promise.all([running.close(), admin.close()]).then(() => undefined)),
    admin: { host: admin.host, port: admin.port },
    shutdownRequested: running.shutdownRequested,
  };
}
