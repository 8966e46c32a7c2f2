/**
 * The admin port answers only requests whose Host names it (DNS rebinding: a page on
 * evil.example whose name resolves to 127.0.0.1 would otherwise read the hot keys).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import { describe, it } from 'node:test';
import { startAdminServer, sendText } from '../../src/admin/server.js';
import { admin, startEmbeddedProxy } from '../support/proxy.js';

/** GET `path` from 127.0.0.1 (or `address`):`port` with the Host header `host`. */
function getWithHost(port: number, host: string, path = '/', address = '127.0.0.1'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: address, port, path, headers: { Host: host }, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
    });
    request.on('error', reject);
  });
}

const routes = { '/': (_request: http.IncomingMessage, response: http.ServerResponse) => sendText(response, 200, 'ok') };

/** The status of a GET with each Host (`PORT` in one stands for the server's port), by that Host as written. */
async function statuses(bound: string, hosts: string[], allowedHosts?: string[], address = bound): Promise<Record<string, number>> {
  const server = await startAdminServer({ host: bound, port: 0, routes, allowedHosts });
  try {
    const out: Record<string, number> = {};
    for (const host of hosts) out[host] = (await getWithHost(server.port, host.replace('PORT', String(server.port)), '/', address)).status;
    return out;
  } finally {
    await server.close();
  }
}

describe('the admin server checks Host', () => {
  it('bound to 127.0.0.1: its address and localhost, with or without a port; any other name gets 403 saying why', async () => {
    const server = await startAdminServer({ host: '127.0.0.1', port: 0, routes });
    try {
      for (const host of ['127.0.0.1', `127.0.0.1:${server.port}`, 'localhost', `LocalHost:${server.port}`, 'localhost.']) {
        assert.equal((await getWithHost(server.port, host)).status, 200, host);
      }
      for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1.evil.example', 'evil.example@127.0.0.1', '10.0.0.1', '[::1]']) {
        const { status, text } = await getWithHost(server.port, host);
        assert.equal(status, 403, host);
        assert.match(text, /is not a name of this server .*--admin-allowed-hosts adds names/, host);
      }
    } finally {
      await server.close();
    }
  });

  it('answers the names --admin-allowed-hosts adds, and any with *', async () => {
    assert.deepEqual(await statuses('127.0.0.1', ['metrics.internal:9', 'Metrics.Internal', 'other.internal'], ['metrics.internal']), {
      'metrics.internal:9': 200,
      'Metrics.Internal': 200,
      'other.internal': 403,
    });
    assert.deepEqual(await statuses('127.0.0.1', ['evil.example'], ['*']), { 'evil.example': 200 });
  });

  it('bound to ::1: the bracketed address and localhost', { skip: !os.networkInterfaces().lo?.some((i) => i.address === '::1') && 'no IPv6 loopback' }, async () => {
    assert.deepEqual(await statuses('::1', ['[::1]', '[::1]:PORT', '[0:0::1]', 'localhost', 'evil.example', '127.0.0.1']), {
      '[::1]': 200,
      '[::1]:PORT': 200,
      '[0:0::1]': 200,
      localhost: 200,
      'evil.example': 403,
      '127.0.0.1': 403,
    });
  });

  it('bound to 0.0.0.0: any IP address, localhost and the machine\'s name, not another name', async () => {
    const hostname = os.hostname();
    const result = await statuses('0.0.0.0', ['127.0.0.1:PORT', '192.0.2.7', '[2001:db8::1]', 'localhost', hostname, 'evil.example'], undefined, '127.0.0.1');
    assert.deepEqual(Object.values(result), [200, 200, 200, 200, 200, 403], JSON.stringify(result));
  });

  it("the proxy's admin port: hot keys and metrics only for an allowed Host (adminAllowedHosts)", async () => {
    const under = await startEmbeddedProxy({ adminPort: 0, adminAllowedHosts: ['cachee.internal'] });
    try {
      const { port } = admin(under);
      for (const path of ['/api/hot-keys', '/metrics', '/']) {
        assert.equal((await getWithHost(port, 'evil.example', path)).status, 403, path);
        assert.equal((await getWithHost(port, `cachee.internal:${port}`, path)).status, 200, path);
        assert.equal((await getWithHost(port, `127.0.0.1:${port}`, path)).status, 200, path);
      }
    } finally {
      await under.stop();
    }
  });
});
