/** The admin server's route table: exact paths, `/*` prefixes, failing routes, listen errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminListenError, sendText, startAdminServer, type Route } from '../../src/admin/server.js';
import { adminGet } from '../support/prometheus.js';

const answer = (text: string): Route => (_request, response, url) => sendText(response, 200, `${text} ${url.pathname}`);

describe('startAdminServer', () => {
  it('routes exact paths first, then the longest /* prefix; a failing route gets a 500 and the server goes on', async () => {
    const server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      routes: {
        '/': answer('page'),
        '/static/*': answer('static'),
        '/static/img/*': answer('images'),
        '/static/index.js': answer('exact'),
        '/boom': () => {
          throw new Error('it broke');
        },
        '/later': async () => Promise.reject(new Error('it broke later')),
      },
    });
    try {
      assert.equal((await adminGet(server, '/')).text, 'page /');
      assert.equal((await adminGet(server, '/static/app.css')).text, 'static /static/app.css');
      assert.equal((await adminGet(server, '/static/img/a.png')).text, 'images /static/img/a.png');
      assert.equal((await adminGet(server, '/static/index.js')).text, 'exact /static/index.js');
      assert.equal((await adminGet(server, '/static')).status, 404, 'the prefix is /static/');
      assert.deepEqual(await adminGet(server, '/boom'), { status: 500, type: 'application/json; charset=utf-8', text: '{"error":"it broke"}\n' });
      assert.equal((await adminGet(server, '/later')).status, 500);
      assert.equal((await adminGet(server, '/')).status, 200, 'still serving');
    } finally {
      await server.close();
    }
  });

  it('fails to start on a port in use with an AdminListenError that has the code', async () => {
    const first = await startAdminServer({ host: '127.0.0.1', port: 0, routes: {} });
    try {
      await assert.rejects(startAdminServer({ host: '127.0.0.1', port: first.port, routes: {} }), (error: unknown) => {
        assert.ok(error instanceof AdminListenError);
        assert.equal(error.code, 'EADDRINUSE');
        assert.equal(error.port, first.port);
        return true;
      });
    } finally {
      await first.close();
    }
  });
});
