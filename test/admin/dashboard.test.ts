/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`, which .ci/run
 * installs) driven by playwright-core, against a real proxy over a real redis-server. The page's
 * figures must be the ones /metrics serves, and a screenshot goes to test-output/dashboard.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { admin, startProxyOverRedis, RawClient, waitFor, type ProxyUnderTest } from '../support/proxy.js';
import { scrape } from '../support/prometheus.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = path.resolve('test-output');
/** The flags this machine needs: no sandbox as root, and no background calls to a closed network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

let under: ProxyUnderTest;
let browser: Browser;
let page: Page;
let adminUrl: string;

before(async () => {
  if (skip) return;
  under = await startProxyOverRedis({ adminPort: 0 });
  adminUrl = `http://${admin(under).host}:${admin(under).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
});

after(async () => {
  await browser?.close();
  await under?.stop();
});

/** Waits until `expression` (JavaScript run in the page: it has a DOM, this file's types do not) is true. */
async function inPage(expression: string, timeoutMs = 5000): Promise<void> {
  await page.waitForFunction(expression, undefined, { timeout: timeoutMs });
}

/** The text of the tile showing `metric`, as the page formats it (en-US thousands separators). */
function tileText(metric: string): Promise<string> {
  return page.locator(`[data-metric="${metric}"]`).innerText();
}

test('the page shows the figures /metrics serves, the hottest key, and the upstream state', { skip }, async () => {
  const client = await RawClient.connect(under.port);
  const direct = await RawClient.connect(under.redis.port);
  try {
    await client.pipeline([['SET', 'user:hot', 'v'], ['SET', 'user:warm', 'v'], ['SET', 'user:cold', 'v']]);
    // Traffic with a clear favourite, so the hot-keys table has something to rank.
    const reads: string[][] = [];
    for (let i = 0; i < 200; i++) reads.push(['GET', 'user:hot']);
    for (let i = 0; i < 40; i++) reads.push(['GET', 'user:warm']);
    reads.push(['GET', 'user:cold'], ['GET', 'user:missing']);
    // The first round fills L1 (reads in flight together all go to Redis); the rest hit.
    for (let round = 0; round < 3; round++) await client.pipeline(reads);
    // A write by someone else: an invalidation by tracking.
    await direct.call('SET', 'user:cold', 'changed');
    await waitFor(async () => (await scrape(admin(under))).value('cachee_invalidations_total', { source: 'tracking' }) >= 1, 5000);
  } finally {
    client.close();
    direct.close();
  }

  await page.goto(`${adminUrl}/`);
  const metrics = await scrape(admin(under));
  const format = (n: number) => new Intl.NumberFormat('en-US').format(n);
  for (const metric of ['cachee_l1_hits_total', 'cachee_l1_misses_total', 'cachee_l1_entries', 'cachee_l2_requests_total']) {
    const expected = format(metrics.value(metric));
    // The page polls once a second; traffic has stopped, so it settles on the scraped figure.
    await inPage(`document.querySelector(${JSON.stringify(`[data-metric="${metric}"]`)})?.textContent === ${JSON.stringify(expected)}`).catch(async () => assert.fail(`${metric}: page shows ${await tileText(metric)}, /metrics says ${expected}`));
  }
  const hits = metrics.value('cachee_l1_hits_total');
  assert.ok(hits >= 400, `hits ${hits}`);

  assert.equal(await page.locator('#health').getAttribute('data-state'), 'connected');
  assert.equal(await page.locator('#invalidation').getAttribute('data-state'), 'tracking');
  await inPage(`(document.querySelector('#hot-keys tbody tr td')?.textContent ?? '') !== ''`);
  // The table is /api/hot-keys as served; the sketch's 4-bit counters saturate at 15, so the
  // favourite is among the top, tied with the warm key, not necessarily first.
  const { keys } = (await (await fetch(`${adminUrl}/api/hot-keys?limit=10`)).json()) as { keys: { key: string; frequency: number }[] };
  const rows = await page.locator('#hot-keys tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(rows, keys.map(({ key, frequency }) => [key, String(frequency)]));
  const hot = keys.find((k) => k.key === 'user:hot');
  assert.ok(hot !== undefined && hot.frequency === Math.max(...keys.map((k) => k.frequency)), JSON.stringify(keys));

  // L1 latency quantiles: the table shows what the summary says, in ns.
  const p50 = metrics.value('cachee_l1_latency_seconds', { quantile: '0.5' });
  assert.ok(Number.isFinite(p50) && p50 > 0, `L1 p50 ${p50}`);

  // Two polls after the first make a point on every chart; then the screenshot.
  await inPage('Number(document.body.dataset.polls) >= 3', 10_000);
  assert.equal(await page.locator('canvas').count(), 4, 'four charts drawn');
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, 'dashboard.png'), fullPage: true });
});

test('when the proxy goes away the page says so instead of freezing on old figures', { skip }, async () => {
  await page.goto(`${adminUrl}/`);
  await inPage('Number(document.body.dataset.polls) >= 1');
  await under.proxy.close();
  await inPage(`document.querySelector('#health')?.getAttribute('data-state') === 'unreachable'`);
  assert.match(await page.locator('#error').innerText(), /cannot reach the proxy/);
});
