/**
 * The performance dashboard, the cases behind a figure, the feedback page, the public performance
 * pages and the feedback invitation on a decided application and on its own page meet WCAG 2.2 AA
 * as far as axe can tell, in English, French and Arabic (right to left), in Chromium, with figures in them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertAccessible } from '../../../../test/support/axe.ts';
import { launchBrowser, signInThroughForm } from '../../../../test/support/browser.ts';
import { withLocale } from '../../../../test/support/pages.ts';
import { RegistrationFixtures } from '../../../../test/support/registration-fixtures.ts';
import { refreshRollups } from '../index.ts';

let app: TestApp;
let browser: Browser;
const pages = new Map<string, Page>();
let decided = '';

before(async () => {
  app = await startTestApp({ listen: true });
  const f = await RegistrationFixtures.start(app);
  for (let i = 0; i < 6; i++) {
    const id = await f.submittedStall();
    if (i % 2 === 0) {
      assert.equal((await f.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/reject`, { inputs: { reason: 'Incomplete' } })).status, 200);
      decided = id;
    }
  }
  await app.jobs.drain();
  await refreshRollups(app.database.db);
  browser = await launchBrowser();
  for (const who of ['admin', 'officer.trade', 'amina']) {
    // Injecting axe has to get past the pages' own Content-Security-Policy (script-src 'self').
    const page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await signInThroughForm(page, app.url, who, DEMO_PASSWORD);
    pages.set(who, page);
  }
  pages.set('anonymous', await (await browser.newContext({ bypassCSP: true })).newPage());
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const VISITS: { name: string; who: string; path: () => string }[] = [
  { name: 'the dashboard with targets', who: 'admin', path: () => '/agency/performance' },
  { name: "an officer's dashboard", who: 'officer.trade', path: () => '/agency/performance?service=market-stall' },
  { name: 'the cases behind a figure', who: 'officer.trade', path: () => '/agency/performance/cases?service=market-stall&figure=refused' },
  { name: 'feedback by theme', who: 'officer.trade', path: () => '/agency/feedback?theme=speed' },
  { name: 'public performance', who: 'anonymous', path: () => '/performance' },
  { name: "one service's public performance", who: 'anonymous', path: () => '/performance/services/market-stall' },
  { name: 'a decided application inviting feedback', who: 'amina', path: () => `/applications/${decided}` },
  { name: 'the feedback page the invitation links to', who: 'amina', path: () => `/applications/${decided}/feedback` },
];

for (const locale of ['en', 'fr', 'ar']) {
  describe(`performance pages in ${locale}`, () => {
    for (const visit of VISITS) {
      it(`${visit.name} (as ${visit.who})`, async () => {
        const page = pages.get(visit.who)!;
        const response = await page.goto(`${app.url}${withLocale(visit.path(), locale)}`);
        assert.equal(response?.status(), 200);
        if (visit.path().startsWith('/agency/performance/cases')) assert.ok((await page.locator('table caption').count()) > 0, 'the cases are listed');
        else if (visit.path().startsWith('/agency/performance') || visit.path().startsWith('/performance')) assert.ok((await page.locator('figure.chart svg').count()) > 0, 'a chart is drawn');
        await assertAccessible(page, locale);
      });
    }
  });
}
