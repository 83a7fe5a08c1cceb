/**
 * In Chromium: paying by mobile money with JavaScript switched off, from the pay page to the
 * provider's page and back; and the payment pages (the payer's, the provider's, the staff's)
 * meeting WCAG 2.2 AA as far as axe-core can tell, in English and in right-to-left Arabic.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startMobileMoneySimulator, type Simulator } from '../../../simulators/index.ts';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertAccessible } from '../../../../test/support/axe.ts';
import { clickAndLoad, launchBrowser, signInThroughForm, submitButton } from '../../../../test/support/browser.ts';
import { withLocale } from '../../../../test/support/pages.ts';
import { createPaymentAccounts, openTestInvoice, uploadStatement, type TestInvoice } from '../payment-fixtures.ts';

let simulator: Simulator;
let app: TestApp;
let browser: Browser;
/** Amina's phone browser, scripts off; and tabs that run axe (scripts on, the pages' CSP bypassed). */
let phone: Page;
const auditors = new Map<string, Page>();

before(async () => {
  const secret = randomBytes(24).toString('base64url');
  simulator = await startMobileMoneySimulator({ secret });
  app = await startTestApp({ listen: true, env: { MOBILE_MONEY_URL: simulator.url, MOBILE_MONEY_SECRET: secret } });
  await createPaymentAccounts(app);
  browser = await launchBrowser();
  phone = await (await browser.newContext({ javaScriptEnabled: false, locale: 'en-GB' })).newPage();
  await signInThroughForm(phone, app.url, 'amina', DEMO_PASSWORD);
  for (const who of ['amina', 'finance.trade', 'cashier.trade']) {
    const tab = await (await browser.newContext({ bypassCSP: true })).newPage();
    await signInThroughForm(tab, app.url, who, DEMO_PASSWORD);
    auditors.set(who, tab);
  }
});
after(async () => {
  await browser?.close();
  await app?.stop();
  await simulator?.close();
});

describe('with JavaScript switched off, a payer', () => {
  it('pays by mobile money: the pay page, the provider’s page, Confirm, and back on the pay page, paid', async () => {
    const invoice = await openTestInvoice(app);
    await phone.goto(`${app.url}${withLocale(invoice.payPath, 'en')}`);
    assert.doesNotMatch(await phone.content(), /<script/i);
    await phone.locator('#phone').fill('+253 77 12 34 56');
    await clickAndLoad(phone, submitButton(phone, `/pay/${invoice.id}/mobile-money`));

    assert.ok(phone.url().startsWith(`${simulator.url}/pay/`), `on the provider’s page: ${phone.url()}`);
    assert.match(await phone.locator('.question').innerText(), /Pay DJF\s15,000 to Ministère du Commerce, reference RF\d\d( \d{4}){3}\?/);
    await clickAndLoad(phone, phone.locator('button[value="confirm"]'));

    assert.equal(phone.url(), `${app.url}${invoice.payPath}`);
    assert.match(await phone.locator('.panel').innerText(), /Paid in full/);
    await app.jobs.drain();
    await phone.reload();
    assert.equal(await phone.locator('a[href^="/payments/receipts/"]').count(), 1, 'the receipt is linked');
  });
});

describe('the payment pages meet WCAG 2.2 AA', () => {
  let open: TestInvoice;
  let statementId: string;
  let confirmUrl: string;

  /** What the tab's browser would send with a form of `path`: its cookies and that form's CSRF token. */
  async function sessionOf(tab: Page, path: string): Promise<Record<string, string>> {
    await tab.goto(`${app.url}${path}`);
    const csrf = (await tab.locator('input[name="_csrf"]').first().getAttribute('value'))!;
    const cookie = (await tab.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    return { cookie, 'x-csrf-token': csrf };
  }

  before(async () => {
    open = await openTestInvoice(app);
    const paid = await openTestInvoice(app, { amount: '5000' });
    const csv = `date,amount,currency,reference,transaction_id,payer_name\n2026-11-20,5000,DJF,${paid.reference},A11Y-1,Amina Said\n2026-11-20,700,DJF,frais,A11Y-2,Ali Daher\n`;
    const uploaded = await uploadStatement(app, await sessionOf(auditors.get('finance.trade')!, '/payments/statements'), csv);
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    statementId = uploaded.json<{ id: string }>().id;
    // A request the payer has not confirmed yet: the pay page then shows its notice.
    const started = await app.app.inject({ method: 'POST', url: `/api/payments/invoices/${open.id}/mobile-money`, headers: await sessionOf(auditors.get('amina')!, open.payPath), payload: { phone: '+25377127777' } });
    assert.equal(started.statusCode, 201, started.body);
    confirmUrl = started.json<{ confirmUrl: string }>().confirmUrl;
  });

  it('the provider’s confirmation page (the simulator)', async () => {
    const tab = auditors.get('amina')!;
    await tab.goto(confirmUrl);
    await assertAccessible(tab, 'en');
  });

  for (const locale of ['en', 'ar']) {
    it(`the pay page, with its mobile-money notice and forms, in ${locale}`, async () => {
      const tab = auditors.get('amina')!;
      const response = await tab.goto(`${app.url}${withLocale(open.payPath, locale)}`);
      assert.equal(response?.status(), 200);
      assert.equal(await tab.locator('#phone').count(), 1);
      await assertAccessible(tab, locale);
    });

    for (const [who, path] of [
      ['finance.trade', '/payments'],
      ['finance.trade', '/payments/statements'],
      ['finance.trade', '/payments/statements/:statement'],
      ['finance.trade', '/payments/refunds'],
      ['finance.trade', '/payments/reports?day=2026-11-20'],
      ['finance.trade', '/payments/invoices/:invoice'],
      ['cashier.trade', '/payments/cash?reference=:reference'],
    ] as const) {
      it(`${path} as ${who}, in ${locale}`, async () => {
        const tab = auditors.get(who)!;
        const url = path.replace(':statement', statementId).replace(':invoice', open.id).replace(':reference', encodeURIComponent(open.reference));
        const response = await tab.goto(`${app.url}${withLocale(url, locale)}`);
        assert.equal(response?.status(), 200);
        await assertAccessible(tab, locale);
      });
    }
  }
});
