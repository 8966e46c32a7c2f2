/**
 * The live dashboard at `/` on the admin port: a static page (assets/dashboard) that polls
 * `/metrics` and `/api/hot-keys` and draws them with uPlot. Nothing to build: the page is plain
 * ES modules and uPlot's prebuilt file is served from node_modules, so a newcomer gets it with
 * `npm install`.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from './server.js';

/** assets/ sits two levels above both src/admin/ and dist/admin/. */
const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../assets/dashboard');
const requireFromHere = createRequire(import.meta.url);

const FILES: Record<string, { file: () => string; type: string }> = {
  '/': { file: () => path.join(ASSETS, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: () => path.join(ASSETS, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/prometheus-text.js': { file: () => path.join(ASSETS, 'prometheus-text.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: () => path.join(ASSETS, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uplot.js': { file: () => requireFromHere.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uplot.css': { file: () => requireFromHere.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** The page and its assets, by path, for the admin server's route table. */
export function dashboardRoutes(): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const [route, { file, type }] of Object.entries(FILES)) {
    let body: Promise<Buffer> | undefined;
    routes[route] = async (_request, response) => {
      // Read once, on first use: the files do not change while the proxy runs.
      body ??= readFile(file());
      let content: Buffer;
      try {
        content = await body;
      } catch (error) {
        body = undefined;
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`dashboard asset ${route} is missing: ${(error as Error).message}\n`);
        return;
      }
      response.writeHead(200, { 'content-type': type, 'content-length': content.length, 'cache-control': 'no-cache' });
      response.end(content);
    };
  }
  return routes;
}
