import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { CITIZEN_PAGES, formatSlowLoads, measureSlowLoads, summarise } from '../../bench/slow-connection.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { launchBrowser } from '../support/browser.ts';

let app: TestApp;
let browser: Browser;
before(async () => {
  app = await startTestApp({ listen: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the slow-connection benchmark', () => {
  it('measures only pages a citizen meets', () => {
    assert.ok(CITIZEN_PAGES.length > 10);
    assert.ok(CITIZEN_PAGES.every((p) => p.who === 'anonymous' || p.who === 'amina'));
    assert.ok(CITIZEN_PAGES.some((p) => p.path === '/services/construction-permit'));
  });

  it('loads a public and a signed-in page through the throttled connection, and counts what crossed it', async () => {
    const pages = CITIZEN_PAGES.filter((p) => (p.path === '/' && p.who === 'anonymous') || (p.path === '/account' && p.who === 'amina'));
    const rows = await measureSlowLoads(browser, app.url, pages, ['en', 'ar']);
    assert.deepEqual(rows.map((r) => `${r.page} ${r.locale} ${r.status}`), ['home en 200', 'home ar 200', 'my account en 200', 'my account ar 200']);
    for (const row of rows) {
      // The page and its stylesheet, nothing else: no script, no image that carries no meaning.
      assert.equal(row.requests, 2, `${row.page} ${row.locale}: ${row.requests} requests`);
      assert.ok(row.transferredBytes > 1000 && row.transferredBytes < 40_000, `${row.page} ${row.locale}: ${row.transferredBytes} B, compressed`);
      assert.ok(row.firstByteMs <= row.domContentLoadedMs && row.domContentLoadedMs <= row.loadMs, 'the timings are in the order a load goes through');
    }
    assert.equal(formatSlowLoads(rows).split('\n').length, rows.length + 1);
    assert.equal(summarise(rows).split('\n').length, 2, 'one summary line per page');
  });
});
