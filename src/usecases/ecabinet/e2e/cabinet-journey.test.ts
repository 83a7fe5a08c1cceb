/**
 * In Chromium, without JavaScript, in French and in Arabic: a memo goes from its drafter to a
 * published decision across the roles; a minister's objection takes it off the consent agenda; a
 * minister not cleared for a confidential paper is refused it; every page met passes axe-core.
 * One minister follows the live meeting with JavaScript on, and sees the decision come in without
 * the page reloading.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { translator } from '../../../platform/i18n/index.ts';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertShownAccessible } from '../../../../test/support/axe.ts';
import { clickAndLoad, launchBrowser, pathOf, signInThroughForm, submitButton } from '../../../../test/support/browser.ts';
import { seedEcabinetDemo } from '../index.ts';

let app: TestApp;
let browser: Browser;
let auditor: Page;

before(async () => {
  app = await startTestApp({ listen: true });
  await seedEcabinetDemo(app.database.db, { signer: app.signer, messenger: app.messenger, jobs: app.jobs, baseUrl: app.config.baseUrl });
  browser = await launchBrowser();
  auditor = await (await browser.newContext({ bypassCSP: true })).newPage();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

for (const locale of ['fr', 'ar'] as const) {
  const t = translator(locale);
  const title = `Réseau d'eau de Tadjourah (${locale})`;

  describe(`a cabinet memo from draft to published decision, without JavaScript, in ${locale}`, () => {
    const people = new Map<string, Page>();
    let memoPath: string;
    let meetingPath: string;

    const meet = async (page: Page) => {
      // Item forms come back to the item (#item-…); the auditor serves a page at its address without the fragment.
      if (new URL(page.url()).hash) await page.goto(page.url().split('#')[0]!);
      // The one script is the live meeting's own file; the journey runs without JavaScript anyway.
      assert.doesNotMatch((await page.content()).replace(/<script src="\/assets\/live-meeting\.[0-9a-f]{12}\.js" defer(="")?><\/script>/, ''), /<script/i, `${page.url()} carries no other script`);
      await assertShownAccessible(page, auditor, locale);
    };
    const as = async (username: string) => {
      let page = people.get(username);
      if (!page) {
        page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
        await signInThroughForm(page, app.url, username, DEMO_PASSWORD);
        people.set(username, page);
      }
      return page;
    };
    const open = async (username: string, path: string) => {
      const page = await as(username);
      await page.goto(`${app.url}${path}${path.includes('?') ? '&' : '?'}lang=${locale}`);
      return page;
    };
    const step = async (username: string, name: string) => {
      const page = await open(username, memoPath);
      await clickAndLoad(page, submitButton(page, `${memoPath}/steps/${name}`));
      await meet(page);
    };
    const item = (page: Page): Locator => page.locator('ol.ecabinet-agenda > li', { has: page.locator(`a:text-is("${title}")`) });

    it('a drafter drafts the memo; the error summary shows what is missing', async () => {
      const page = await open('drafter.urban', '/cabinet/memos/new');
      await meet(page);
      await page.locator('#title').fill(title);
      await clickAndLoad(page, submitButton(page, '/cabinet/memos'));
      assert.equal(await page.locator('.error-summary a[href="#summary"]').count(), 1);
      await meet(page);
      await page.locator('#summary').fill('Raccordement de 3 000 foyers au réseau d’eau potable.');
      await page.locator('#proposedDecision').fill('Le Conseil approuve le projet de réseau d’eau de Tadjourah.');
      await page.locator('#cost').fill('DJF 300 000 000');
      await page.locator('#classification').selectOption('public');
      await clickAndLoad(page, submitButton(page, '/cabinet/memos'));
      assert.match(pathOf(page), /^\/cabinet\/memos\/[0-9a-f-]{36}$/);
      memoPath = pathOf(page);
      await meet(page);
    });

    it('goes through legal review and the minister to the secretariat, who marks it ready', async () => {
      await step('drafter.urban', 'send-to-legal');
      await step('legal.urban', 'clear');
      await step('minister.urban', 'submit');
      await step('cabinet.secretariat', 'mark-ready');
      assert.match(await (await as('cabinet.secretariat')).locator('main').innerText(), new RegExp(t('ecabinet.memoStates.ready')));
    });

    it('the secretariat puts it on the consent agenda of a new meeting and circulates the agenda', async () => {
      const page = await open('cabinet.secretariat', '/cabinet');
      await meet(page);
      await page.locator('#title').fill(`Conseil du 14 décembre 2099 (${locale})`);
      await page.locator('#startsAt').fill('2099-12-14T09:00');
      await page.locator('#papersDueAt').fill('2099-12-11T12:00');
      await clickAndLoad(page, submitButton(page, '/cabinet/meetings'));
      meetingPath = pathOf(page);
      await page.locator('#memo').selectOption({ label: title });
      await page.locator('#track').selectOption('consent');
      await clickAndLoad(page, submitButton(page, `${meetingPath}/items`));
      assert.match(await item(page).innerText(), new RegExp(t('ecabinet.tracks.consent')));
      await clickAndLoad(page, submitButton(page, `${meetingPath}/circulate`));
      await meet(page);
    });

    it('a minister objects, so the item leaves the consent agenda for discussion', async () => {
      const page = await open('minister.trade', meetingPath);
      await meet(page);
      const ours = item(page);
      await ours.locator('input[name="stance"][value="object"]').check();
      await ours.locator('textarea[name="reason"]').fill('Le coût doit être partagé avec le Fonds de l’eau.');
      await clickAndLoad(page, ours.locator('button[type="submit"]').last());
      assert.match(await item(page).innerText(), new RegExp(t('ecabinet.item.movedByObjection')));
      await meet(page);
    });

    it('the same minister is refused a confidential paper he is not cleared for', async () => {
      const finance = await open('minister.finance', '/cabinet?q=port');
      const secret = finance.locator('main a', { hasText: 'Land acquisition for the port access road' });
      const href = await secret.getAttribute('href');
      assert.ok(href);
      const page = await as('minister.trade');
      const response = await page.goto(`${app.url}${href}?lang=${locale}`);
      assert.equal(response?.status(), 403);
      assert.doesNotMatch(await page.locator('main').innerText(), /Land acquisition/);
      await meet(page);
    });

    it('the meeting opens with a quorum, decides the item, and the chair approves and signs the minutes', async () => {
      const page = await open('cabinet.secretariat', meetingPath);
      for (const box of await page.locator('input[name="present"]').all()) await box.check();
      await clickAndLoad(page, submitButton(page, `${meetingPath}/attendance`));
      await meet(page);
      const watching = await (await browser.newContext()).newPage();
      await signInThroughForm(watching, app.url, 'minister.finance', DEMO_PASSWORD);
      await watching.goto(`${app.url}${meetingPath}?lang=${locale}`);
      // A mark on the window: a reload would wipe it, a live update keeps it.
      await watching.evaluate(() => Object.assign(window, { stillHere: true }));
      const ours = item(page);
      await ours.locator('select[name="outcome"]').selectOption('amended');
      await ours.locator('textarea[name="text"]').fill('Le Conseil approuve le projet ; le coût est partagé avec le Fonds de l’eau.');
      await ours.locator('input[name="public"]').check();
      await clickAndLoad(page, ours.locator(`form[action$="/decision"] button[type="submit"]`));
      assert.match(await item(page).innerText(), new RegExp(t('ecabinet.outcomes.amended')));
      await item(watching).locator('.ecabinet-decision', { hasText: t('ecabinet.outcomes.amended') }).waitFor({ timeout: 15_000 });
      assert.equal(await watching.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), true, 'updated in place, not reloaded');
      await watching.context().close();
      await clickAndLoad(page, submitButton(page, `${meetingPath}/close`));
      await meet(page);
      const chair = await open('pm.chair', meetingPath);
      await clickAndLoad(chair, submitButton(chair, `${meetingPath}/approve`));
      assert.equal(await chair.locator('main a[href*="/verify/"]').count(), 1, 'the signed minutes can be checked');
      await meet(chair);
    });

    it('anyone reads the decision, numbered, on the public page', async () => {
      const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
      await page.goto(`${app.url}/cabinet/decisions?lang=${locale}`);
      const row = page.locator('tr', { hasText: title });
      assert.match(await row.innerText(), /\b2099\/\d{4}\b/);
      assert.match(await row.innerText(), /Fonds de l’eau/);
      await meet(page);
    });
  });
}
