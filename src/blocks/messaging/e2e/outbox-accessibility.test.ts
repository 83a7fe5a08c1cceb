/**
 * The outbox and the failed-messages list, in Chromium, meet WCAG 2.2 AA (as far as axe-core can
 * tell) in English and in right-to-left Arabic, holding the kinds of messages they show: e-mail
 * and text, in several languages, sent and failed, with their delivery logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertAccessible } from '../../../../test/support/axe.ts';
import { launchBrowser, signInThroughForm } from '../../../../test/support/browser.ts';
import { findUserByLogin } from '../../identity/index.ts';

let app: TestApp;
let browser: Browser;
const tabs = new Map<'amina' | 'admin', Page>();

before(async () => {
  app = await startTestApp({ listen: true });
  const db = app.database.db;
  const amina = (await findUserByLogin(db, 'amina'))!;
  await app.messenger.queue(db, { channel: 'email', to: amina.email!, locale: 'fr', subject: 'Votre demande est reçue', body: 'Bonjour Amina,\nvotre demande BL-2026-0042 est reçue.', template: 'business-licence.received', about: { type: 'application', id: 'a11y' } });
  await app.messenger.queue(db, { channel: 'email', to: amina.email!, locale: 'ar', subject: 'تم منح الرخصة', body: 'رخصتك التجارية جاهزة.', template: 'business-licence.granted' });
  // No gateway in this app: the text fails, and shows why.
  await app.messenger.queue(db, { channel: 'sms', to: '+25377123456', userId: amina.id, locale: 'fr', body: 'Votre licence est accordée.', template: 'business-licence.granted' });
  await app.jobs.drain();
  browser = await launchBrowser();
  for (const who of ['amina', 'admin'] as const) {
    const page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await signInThroughForm(page, app.url, who, DEMO_PASSWORD);
    tabs.set(who, page);
  }
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

for (const locale of ['en', 'ar']) {
  describe(`messaging pages meet WCAG 2.2 AA in ${locale}`, () => {
    for (const [who, path] of [['amina', '/outbox'], ['admin', '/outbox'], ['admin', '/admin/messages']] as const) {
      it(`${path} as ${who}`, async () => {
        const page = tabs.get(who)!;
        const response = await page.goto(`${app.url}${path}?lang=${locale}`);
        assert.equal(response?.status(), 200);
        assert.ok((await page.locator(path === '/outbox' ? 'article.message' : 'form[action$="/retry"]').count()) > 0, 'the page shows messages');
        await assertAccessible(page, locale);
      });
    }
  });
}
