import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { translator } from '../../../platform/i18n/index.ts';
import { startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertAccessible, assertShownAccessible } from '../../../../test/support/axe.ts';
import { clickAndLoad, launchBrowser, submitButton } from '../../../../test/support/browser.ts';
import { issueLicence } from '../document-fixtures.ts';

let app: TestApp;
let browser: Browser;
/** A visitor with JavaScript switched off, as the page must work for; and a tab that runs axe. */
let visitor: Page;
let auditor: Page;
let dir: string;

before(async () => {
  app = await startTestApp({ listen: true });
  browser = await launchBrowser();
  visitor = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  // Injecting axe has to get past the pages' own Content-Security-Policy (script-src 'self').
  auditor = await (await browser.newContext({ bypassCSP: true })).newPage();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-verify-page-'));
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('/verify/{id} in a browser', () => {
  for (const locale of ['en', 'ar'] as const) {
    it(`in ${locale}: meets WCAG 2.2 AA, and says an uploaded copy of the PDF is genuine, without JavaScript`, async () => {
      const t = translator(locale);
      const doc = await issueLicence(app, locale === 'ar' ? { locale: 'ar', title: 'رخصة تجارية', facts: [{ label: 'رقم التتبع', value: 'BL-2026-000123-X' }] } : {});
      await auditor.goto(`${app.url}/verify/${doc.id}?lang=${locale}`);
      await assertAccessible(auditor, locale);

      const file = path.join(dir, `licence-${locale}.pdf`);
      await fs.writeFile(file, doc.bytes);
      await visitor.goto(`${app.url}/verify/${doc.id}?lang=${locale}`);
      assert.equal(await visitor.locator('.verify-headline').innerText(), t('esignature.verify.state.current'));
      await visitor.locator('#file').setInputFiles(file);
      await clickAndLoad(visitor, submitButton(visitor, `/verify/${doc.id}`));
      const agency = locale === 'ar' ? 'وزارة التجارة' : 'Ministry of Trade';
      assert.equal(await visitor.locator('.verify-result').innerText(), t('esignature.verify.result.genuine', { agency }));
      await assertShownAccessible(visitor, auditor, locale);
    });
  }

  it('the page to type a document number meets WCAG 2.2 AA, also when the number is mistyped', async () => {
    for (const locale of ['en', 'ar'] as const) {
      await auditor.goto(`${app.url}/verify?lang=${locale}`);
      await assertAccessible(auditor, locale);
      await auditor.goto(`${app.url}/verify?lang=${locale}&id=12345`);
      assert.equal(await auditor.locator('.error-summary').count(), 1);
      await assertAccessible(auditor, locale);
    }
  });
});
