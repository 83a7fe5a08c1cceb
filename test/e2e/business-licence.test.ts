import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { translator, type Locale } from '../../src/platform/i18n/index.ts';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';
import { assertShownAccessible } from '../support/axe.ts';
import { clickAndLoad, launchBrowser, pathOf, signInThroughForm, submitButton } from '../support/browser.ts';
import { PDF } from '../support/registration-fixtures.ts';
import { startMobileMoneySimulator, type Simulator } from '../../src/simulators/index.ts';

/** What the definition calls the final state, in each language the journey runs in. */
const GRANTED: Record<string, string> = { en: 'Licence granted', ar: 'مُنحت الرخصة' };

let mobileMoney: Simulator;
let app: TestApp;
let browser: Browser;
/** A tab that runs scripts, only to run axe on what the JavaScript-free tabs show. */
let auditor: Page;

before(async () => {
  const secret = randomBytes(24).toString('base64url');
  mobileMoney = await startMobileMoneySimulator({ secret });
  app = await startTestApp({ listen: true, env: { MOBILE_MONEY_URL: mobileMoney.url, MOBILE_MONEY_SECRET: secret } });
  browser = await launchBrowser();
  auditor = await (await browser.newContext({ bypassCSP: true })).newPage();
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await mobileMoney?.close();
});

/** A person at their own browser, JavaScript switched off, signed in and reading `locale`. */
async function personAt(username: string, locale: Locale): Promise<Page> {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await signInThroughForm(page, app.url, username, DEMO_PASSWORD);
  assert.equal(pathOf(page), '/account', `${username} is signed in`);
  await page.goto(`${app.url}/account?lang=${locale}`);
  return page;
}

async function assertPlainHtml(page: Page): Promise<void> {
  assert.doesNotMatch(await page.content(), /<script/i, `${page.url()} carries no script`);
}

for (const locale of ['en', 'ar'] as const) {
  const t = translator(locale);

  describe(`a business licence from application to licence, without JavaScript, in ${locale}`, () => {
    let amina: Page;
    let officer: Page;
    let head: Page;
    let applicationId: string;
    let trackingNumber: string;

    /** Every page met is checked: no script, the right language and direction, no axe violation. */
    const meet = async (page: Page) => {
      await assertPlainHtml(page);
      await assertShownAccessible(page, auditor, locale);
    };

    before(async () => {
      [amina, officer, head] = await Promise.all([personAt('amina', locale), personAt('officer.trade', locale), personAt('head.trade', locale)]);
    });

    it('Amina finds the service and starts an application', async () => {
      await amina.goto(`${app.url}/services/business-licence`);
      await meet(amina);
      await clickAndLoad(amina, amina.locator('main a[href="/apply/business-licence"]'));
      await meet(amina);
      await clickAndLoad(amina, submitButton(amina, '/apply/business-licence'));
      assert.match(pathOf(amina), /^\/applications\/[0-9a-f-]{36}\/steps\/business$/);
      applicationId = pathOf(amina).split('/')[2]!;
      await meet(amina);
    });

    it('is told what is wrong with her answers, and is asked about seats once she says it is a restaurant', async () => {
      const step = `/applications/${applicationId}/steps/business`;
      await amina.locator('#category').selectOption('restaurant');
      await amina.locator('#employees').fill('4');
      await clickAndLoad(amina, submitButton(amina, step));
      assert.equal(await amina.locator('.error-summary a[href="#tradeName"]').count(), 1);
      assert.equal(await amina.locator('#seats').count(), 1, 'the question about seats appeared');
      await meet(amina);

      await amina.locator('#tradeName').fill('Café du Port');
      await amina.locator('#seats').fill('20');
      await clickAndLoad(amina, submitButton(amina, step));
      assert.equal(pathOf(amina), `/applications/${applicationId}/steps/premises`);
      await meet(amina);

      await amina.locator('#address').fill('Rue de Rome 12, Djibouti');
      await amina.locator('#areaM2').fill('250.5');
      await clickAndLoad(amina, submitButton(amina, `/applications/${applicationId}/steps/premises`));
      assert.equal(pathOf(amina), `/applications/${applicationId}/documents`);
      await meet(amina);
    });

    it('uploads her documents; a file that is not what it claims is refused', async () => {
      const form = `/applications/${applicationId}/documents`;
      await amina.locator('#lease').setInputFiles({ name: 'bail.pdf', mimeType: 'application/pdf', buffer: PDF });
      await amina.locator('#hygiene').setInputFiles({ name: 'hygiene.pdf', mimeType: 'application/pdf', buffer: Buffer.from('a text file in disguise') });
      await clickAndLoad(amina, submitButton(amina, form));
      assert.equal(await amina.locator('.error-summary a[href="#hygiene"]').count(), 1);
      await meet(amina);

      await amina.locator('#hygiene').setInputFiles({ name: 'hygiene.pdf', mimeType: 'application/pdf', buffer: PDF });
      await clickAndLoad(amina, submitButton(amina, form));
      assert.equal(pathOf(amina), `/applications/${applicationId}/check`);
      await meet(amina);
    });

    it('checks her answers and submits, and gets a tracking number', async () => {
      assert.match(await amina.locator('main').innerText(), /Café du Port/);
      await clickAndLoad(amina, submitButton(amina, `/applications/${applicationId}/submit`));
      assert.equal(pathOf(amina), `/applications/${applicationId}/confirmation`);
      trackingNumber = await amina.locator('.panel .tracking').innerText();
      assert.match(trackingNumber, /^BL-\d{4}-[A-Z0-9]{6}-[A-Z0-9]$/);
      await meet(amina);

      await clickAndLoad(amina, amina.locator('header a[href="/applications"]'));
      assert.match(await amina.locator('main').innerText(), new RegExp(trackingNumber));
      await meet(amina);
    });

    it('the trade officer finds it on the worklist and accepts it as complete', async () => {
      await clickAndLoad(officer, officer.locator('header a[href="/work"]'));
      await meet(officer);
      await clickAndLoad(officer, officer.locator(`main a[href="/work/cases/${applicationId}"]`));
      assert.match(await officer.locator('main').innerText(), /Café du Port/);
      await meet(officer);
      await clickAndLoad(officer, submitButton(officer, `/work/cases/${applicationId}/actions/accept`));
      assert.equal(await officer.locator('main .notice').count(), 1);
      await meet(officer);
    });

    it('Amina pays the fee by mobile money, confirming on her phone, and the case moves on to the decision', async () => {
      await amina.goto(`${app.url}/applications/${applicationId}`);
      await meet(amina);
      await clickAndLoad(amina, amina.locator('main a[href^="/pay/"]'));
      const payPath = pathOf(amina);
      await meet(amina);
      await amina.locator('#phone').fill('+253 77 81 23 45');
      await clickAndLoad(amina, submitButton(amina, `${payPath}/mobile-money`));
      assert.ok(amina.url().startsWith(`${mobileMoney.url}/pay/`), `on the provider's page: ${amina.url()}`);
      await clickAndLoad(amina, amina.locator('button[value="confirm"]'));
      assert.equal(pathOf(amina), payPath, 'back on the pay page');
      await meet(amina);
      // The provider's callback settled the invoice; the case moves on in the background.
      await app.jobs.drain();
      await amina.goto(`${app.url}/applications/${applicationId}`);
      assert.match(await amina.locator('main').innerText(), new RegExp(t('invoice.states.paid')));
      await meet(amina);
    });

    it('the head of the ministry grants the licence', async () => {
      await head.goto(`${app.url}/work`);
      await meet(head);
      await clickAndLoad(head, head.locator(`main a[href="/work/cases/${applicationId}"]`));
      await meet(head);
      await clickAndLoad(head, submitButton(head, `/work/cases/${applicationId}/actions/approve`));
      assert.match(await head.locator('main .notice').innerText(), new RegExp(GRANTED[locale]!));
      await meet(head);
    });

    it('Amina sees that her licence is granted, and opens it', async () => {
      await amina.goto(`${app.url}/applications/${applicationId}`);
      assert.match(await amina.locator('main .facts').innerText(), new RegExp(GRANTED[locale]!));
      assert.match(await amina.locator('main').innerText(), new RegExp(t('applications.outputs')));
      await meet(amina);
      await clickAndLoad(amina, amina.locator(`main a[href="/applications/${applicationId}/outputs/licence"]`));
      assert.match(await amina.locator('main .certificate').innerText(), new RegExp(trackingNumber));
      await meet(amina);
    });

    it('downloads the signed PDF, and the verification page its QR code leads to says it is genuine', async () => {
      const [download] = await Promise.all([amina.waitForEvent('download'), amina.locator(`main a[href="/applications/${applicationId}/outputs/licence/pdf"]`).click()]);
      const pdf = await download.path();
      assert.ok(pdf, 'the PDF was downloaded');
      await clickAndLoad(amina, amina.locator('main a[href^="/verify/"]'));
      await meet(amina);
      const verifyPath = pathOf(amina);
      await amina.locator('input[type="file"]').setInputFiles(pdf);
      await clickAndLoad(amina, submitButton(amina, verifyPath));
      assert.equal(pathOf(amina), verifyPath);
      assert.equal(await amina.locator('main .verify-file-genuine').count(), 1, 'the file is the one issued');
      assert.match(await amina.locator('main .facts').last().innerText(), new RegExp(trackingNumber));
      await meet(amina);
    });
  });
}
