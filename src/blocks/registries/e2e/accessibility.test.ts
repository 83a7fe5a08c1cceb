/**
 * The registry admin pages and the citizen's consents and "who used my data" pages meet WCAG 2.2
 * AA as far as axe can tell, in English and in Arabic (right to left), in Chromium; the import
 * and definition forms are also audited as a person leaves them: progressing, and with errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { asSession, DEMO_PASSWORD, signInDemo, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertAccessible } from '../../../../test/support/axe.ts';
import { clickAndLoad, launchBrowser, signInThroughForm, submitButton } from '../../../../test/support/browser.ts';
import { withLocale } from '../../../../test/support/pages.ts';

let app: TestApp;
let browser: Browser;
let admin: Page;
let amina: Page;
let recordPath: string;
let importPath: string;

before(async () => {
  app = await startTestApp({ listen: true });
  browser = await launchBrowser();
  // Injecting axe has to get past the pages' own Content-Security-Policy (script-src 'self').
  admin = await (await browser.newContext({ bypassCSP: true })).newPage();
  amina = await (await browser.newContext({ bypassCSP: true })).newPage();
  await signInThroughForm(admin, app.url, 'admin', DEMO_PASSWORD);
  await signInThroughForm(amina, app.url, 'amina', DEMO_PASSWORD);
  const [session] = await signInDemo(app, 'admin');
  const found = await app.app.inject({ method: 'GET', url: '/api/registries/land-parcels/records?match=parcelNumber:DJ-PAR-0000001&reason=Accessibility+test', headers: asSession(session) });
  recordPath = `/admin/registries/land-parcels/records/${found.json<{ records: { id: string }[] }>().records[0]!.id}`;
  // An import left queued: its page shows the progress bar.
  const queued = await app.app.inject({ method: 'POST', url: '/api/registries/businesses/imports?mode=skip-and-report', headers: { ...asSession(session), 'content-type': 'text/csv' }, payload: 'registrationNumber,tradeName,ownerNationalId,category,address\nDJ-RCS-999999,Atelier,DJ-1985-000123,crafts,Rue 1\nDJ-RCS-1,Bad,nobody,none,\n' });
  importPath = `/admin/registries/businesses/imports/${queued.json<{ id: string }>().id}`;
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const PAGES: { name: string; who: 'admin' | 'amina'; path: () => string }[] = [
  { name: 'registries', who: 'admin', path: () => '/admin/registries' },
  { name: 'a new registry', who: 'admin', path: () => '/admin/registries/new' },
  { name: 'a registry with its records', who: 'admin', path: () => '/admin/registries/land-parcels' },
  { name: 'records found by a search', who: 'admin', path: () => '/admin/registries/civil-register?field=lastName&q=Sa' },
  { name: "a registry's definition", who: 'admin', path: () => '/admin/registries/land-parcels/definition' },
  { name: 'a record and its history', who: 'admin', path: () => recordPath },
  { name: 'the import form', who: 'admin', path: () => '/admin/registries/businesses/import' },
  { name: 'an import in progress', who: 'admin', path: () => importPath },
  { name: 'my consents', who: 'amina', path: () => '/account/consents' },
  { name: 'who used my data', who: 'amina', path: () => '/account/data-use' },
];

for (const locale of ['en', 'ar']) {
  describe(`registry and consent pages in ${locale}`, () => {
    for (const visit of PAGES) {
      it(`${visit.name} (as ${visit.who})`, async () => {
        // A page of its own, closed afterwards, and the import's progress page kept from reloading
        // itself (every two seconds) in the middle of the audit or of the next test in that tab.
        const page = await (visit.who === 'admin' ? admin : amina).context().newPage();
        await page.route(`${app.url}${importPath}*`, async (route) => {
          const response = await route.fetch();
          const { refresh: _reload, ...headers } = response.headers();
          await route.fulfill({ response, headers });
        });
        try {
          const response = await page.goto(`${app.url}${withLocale(visit.path(), locale)}`);
          assert.equal(response?.status(), 200);
          await assertAccessible(page, locale);
        } finally {
          await page.close();
        }
      });
    }

    it('an import with a bad line, once done (as admin)', async () => {
      await app.jobs.drain();
      await admin.goto(`${app.url}${withLocale(importPath, locale)}`);
      assert.equal(await admin.locator('table').count(), 1, 'the bad line is listed');
      await assertAccessible(admin, locale);
    });

    it('a definition refused with its problems (as admin)', async () => {
      await admin.goto(`${app.url}${withLocale('/admin/registries/new', locale)}`);
      await admin.locator('#definition').fill(JSON.stringify({ code: 'x', agency: 'nowhere', names: {}, schema: {}, searchable: [], personal: true, access: [] }));
      await clickAndLoad(admin, submitButton(admin, '/admin/registries/definitions'));
      assert.ok((await admin.locator('.error-summary li').count()) >= 2, 'the problems are listed');
      await assertAccessible(admin, locale);
    });
  });
}
