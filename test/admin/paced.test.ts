/**
 * Scrapes of the admin port are paced: requests that come together share one render of the
 * metrics (so a flood cannot take the event loop from the proxy's clients), and none is answered
 * from a render that started before it arrived.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Paced } from '../../src/admin/paced.js';
import { adminRoutes } from '../../src/admin/routes.js';
import { startAdminServer } from '../../src/admin/server.js';
import { adminGet } from '../support/prometheus.js';

/** A render that takes `ms` and answers how many renders had started when it did. */
function slowRender(ms: number): { render: () => Promise<number>; count: () => number } {
  let renders = 0;
  return {
    render: async () => {
      const number = ++renders;
      await delay(ms);
      return number;
    },
    count: () => renders,
  };
}

describe('Paced', () => {
  it('gives requests made together one render', async () => {
    const { render, count } = slowRender(10);
    const paced = new Paced(render);
    const answers = await Promise.all(Array.from({ length: 10 }, () => paced.get()));
    assert.deepEqual(answers, Array(10).fill(1));
    assert.equal(count(), 1);
  });

  it('answers a request made during a render from a later render, shared by all made meanwhile', async () => {
    const { render, count } = slowRender(30);
    const paced = new Paced(render, 1);
    const first = paced.get();
    await delay(10); // the first render runs
    const during = [paced.get(), paced.get(), paced.get()];
    assert.equal(await first, 1);
    assert.deepEqual(await Promise.all(during), [2, 2, 2]);
    assert.equal(count(), 2);
  });

  it('passes a failed render on to its requests, and renders again for the next', async () => {
    let fail = true;
    const paced = new Paced(async () => {
      if (fail) throw new Error('no metrics');
      return 'ok';
    });
    await assert.rejects(paced.get(), /no metrics/);
    fail = false;
    assert.equal(await paced.get(), 'ok');
  });
});

describe('the admin routes, flooded', () => {
  it('/metrics: 16 requests at once cost far fewer renders than 16, each answer a whole render', async () => {
    const { render, count } = slowRender(200);
    const source = {
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: `render ${await render()}\n` }),
      hotKeys: async () => [],
      healthy: () => true,
    };
    const server = await startAdminServer({ host: '127.0.0.1', port: 0, routes: adminRoutes(source) });
    try {
      const answers = await Promise.all(Array.from({ length: 16 }, () => adminGet(server, '/metrics')));
      for (const answer of answers) assert.match(answer.text, /^render \d+\n$/);
      // Arrivals spread over more than a render share the next one: 2 renders here, unless the
      // host delays some requests by seconds.
      assert.ok(count() <= 8, `${count()} renders for 16 requests`);
    } finally {
      await server.close();
    }
  });
});
