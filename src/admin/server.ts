/**
 * The proxy's admin HTTP server (node:http): a table of routes by path, nothing else. The proxy
 * passes its routes (./routes.ts: /metrics, /api/hot-keys, /healthz); more (a dashboard page,
 * static assets) are added to the table, not to this handler.
 *
 * - A key is an exact path (`/metrics`), or a prefix ending in `/*` (`/static/*`) that takes every
 *   path below it; an exact path wins, then the longest prefix.
 * - Routes answer GET only: any other method gets 405 (with `Allow: GET`), an unknown path 404.
 * - A route that throws or rejects gets a 500 with its message; the server goes on.
 * - A request whose `Host` is not a name of this server gets a 403 (see ./allowed-hosts.ts).
 */
import http from 'node:http';
import type net from 'node:net';
import { allowedHosts } from './allowed-hosts.js';

/** Answers one GET; `url` is the request's parsed URL (its searchParams hold the query). */
export type Route = (request: http.IncomingMessage, response: http.ServerResponse, url: URL) => void | Promise<void>;

export interface AdminServerOptions {
  host: string;
  /** 0: any free port (the server's `port` says which). */
  port: number;
  routes: Readonly<Record<string, Route>>;
  /** Host names answered besides the bound address's own (`*`: any); see ./allowed-hosts.ts. */
  allowedHosts?: readonly string[];
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  /** Stops accepting and closes every connection (idle ones at once, the rest after their response). */
  close(): Promise<void>;
}

/** The admin port could not be listened on; `code` is the listen error's (EADDRINUSE, ...). */
export class AdminListenError extends Error {
  override name = 'AdminListenError';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** How long close waits for responses in flight before cutting their connections. */
const CLOSE_GRACE_MS = 2000;

export function sendText(response: http.ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  response.end(text);
}

export function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  sendText(response, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8');
}

/** The route for `pathname`: exact first, then the longest `/*` prefix. */
function findRoute(routes: Readonly<Record<string, Route>>, pathname: string): Route | undefined {
  if (Object.hasOwn(routes, pathname) && !pathname.endsWith('/*')) return routes[pathname];
  let best: string | undefined;
  for (const key of Object.keys(routes)) {
    if (!key.endsWith('/*')) continue;
    const prefix = key.slice(0, -1);
    if (pathname.startsWith(prefix) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : routes[best];
}

async function handle(
  routes: Readonly<Record<string, Route>>,
  hostAllowed: (host: string | undefined) => boolean,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  if (!hostAllowed(request.headers.host)) {
    const error = `Host ${JSON.stringify(request.headers.host)} is not a name of this server (DNS rebinding?); --admin-allowed-hosts adds names`;
    sendJson(response, 403, { error });
    return;
  }
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://admin');
  } catch {
    sendJson(response, 400, { error: 'bad request URL' });
    return;
  }
  const route = findRoute(routes, url.pathname);
  if (route === undefined) {
    sendJson(response, 404, { error: `no such path: ${url.pathname}` });
    return;
  }
  if (request.method !== 'GET') {
    response.setHeader('Allow', 'GET');
    sendJson(response, 405, { error: `method ${request.method} not allowed: use GET` });
    return;
  }
  await route(request, response, url);
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  let hostAllowed: (host: string | undefined) => boolean = () => false; // set once listening
  const server = http.createServer((request, response) => {
    handle(options.routes, hostAllowed, request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) sendJson(response, 500, { error: message });
      else response.destroy();
    });
  });
  // A client that sends garbage gets 400 from node:http and is dropped; nothing reaches the handler.
  server.on('clientError', (_error, socket: net.Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new AdminListenError(options.host, options.port, error.code, error.message));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', () => {}); // after listening, errors belong to single connections
  const address = server.address() as net.AddressInfo;
  hostAllowed = allowedHosts(options.host, address.address, options.allowedHosts);
  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      })),
  };
}
