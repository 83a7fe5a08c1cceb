import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';
import { assertShownAccessible } from '../support/axe.ts';
import { clickAndLoad, launchBrowser, pathOf, signInThroughForm, submitButton } from '../support/browser.ts';
import { withLocale } from '../support/pages.ts';
import { PDF, PNG } from '../support/registration-fixtures.ts';
import { startMobileMoneySimulator, type Simulator } from '../../src/simulators/index.ts';

/**
 * The construction permit walked in Chromium, without JavaScript, by every role it needs: the
 * owner applies, pays the fee by mobile money and later declares the works finished, the permit
 * desk checks the file, three
 * agencies review it, the inspector records both visits, the head of the ministry grants it, and
 * anyone reads the public register. The actions are taken in French; every main page is also
 * audited in Arabic (right to left), and screenshotted in both.
 */

/** Full-page screenshots of every main page, `NN-name.locale.png` (gitignored). */
const OUTPUT_DIR = path.resolve(import.meta.dirname, '../../test-output/construction-permit');
/** With DOCS_SCREENSHOTS=1 the pages the guide shows are written there too, as the first screen a reader sees. */
const DOCS_DIR = path.resolve(import.meta.dirname, '../../docs/images/construction-permit');
const forDocs = process.env.DOCS_SCREENSHOTS === '1';
const VIEWPORT = { width: 1024, height: 768 };

/** Amina's own parcel in the demo land register: zone R1, 549 m². */
const PARCEL = 'DJ-PAR-0000003';
const PROJECT = { use: 'housing', floors: '2', floorArea: '240.5', footprint: '130', setback: '5' };
const SITE_CHECKLIST = ['boundaries', 'access', 'no-early-works'];
const WORKS_CHECKLIST = ['as-permitted', 'fire-exits', 'connections'];

let mobileMoney: Simulator;
let app: TestApp;
let browser: Browser;
/** A tab that runs scripts, only to run axe on what the JavaScript-free tabs show. */
let auditor: Page;
let shots = 0;

before(async () => {
  await fs.rm(OUTPUT_DIR, { recursive: true, force: true });
  await fs.mkdir(OUTPUT_DIR, { recursive: true });
  if (forDocs) await fs.mkdir(DOCS_DIR, { recursive: true });
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

/** Somebody at their own browser, JavaScript off, reading French; `username` null for a passer-by. */
async function personAt(username: string | null): Promise<Page> {
  const page = await (await browser.newContext({ javaScriptEnabled: false, viewport: VIEWPORT })).newPage();
  // Every page is served locally: an element still missing after 10 s is not coming.
  page.setDefaultTimeout(10_000);
  if (username) {
    await signInThroughForm(page, app.url, username, DEMO_PASSWORD);
    assert.equal(pathOf(page), '/account', `${username} is signed in`);
  }
  await page.goto(`${app.url}/?lang=fr`);
  return page;
}

/**
 * A main page of the journey: it carries no script and axe finds nothing on it in French, then
 * on the same address in Arabic; each is screenshotted. The tab is left on the French page, so
 * the journey goes on from where it was.
 */
async function meet(page: Page, name: string, options: { docs?: true | string } = {}): Promise<void> {
  const file = `${String(++shots).padStart(2, '0')}-${name}`;
  const address = page.url();
  for (const locale of ['fr', 'ar'] as const) {
    if (locale !== 'fr') await page.goto(withLocale(address, locale));
    assert.doesNotMatch(await page.content(), /<script/i, `${page.url()} carries no script`);
    await assertShownAccessible(page, auditor, locale);
    await page.screenshot({ path: path.join(OUTPUT_DIR, `${file}.${locale}.png`), fullPage: true });
    if (locale === 'fr' && options.docs && forDocs) {
      // A selector brings what the picture is about into the first screen, as a reader scrolls to it.
      if (typeof options.docs === 'string') await page.locator(options.docs).scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(DOCS_DIR, `${name}.png`) });
    }
  }
  // Back to French at the address the journey reached (the language link set a cookie).
  await page.goto(withLocale(address, 'fr'));
}

/** Judge every item of an inspection's checklist, add a photo, give the verdict and send, as the inspector's form asks. */
async function recordInspection(inspector: Page, caseId: string, actionId: string, items: string[], remarks: string): Promise<void> {
  const form = inspector.locator(`form[action="/work/cases/${caseId}/actions/${actionId}"]`);
  for (const item of items) await form.locator(`input[name="checklist.${item}"][value="pass"]`).check();
  await form.locator('input[name="photos"]').setInputFiles({ name: 'visite.png', mimeType: 'image/png', buffer: PNG });
  await form.locator('input[name="result"][value="pass"]').check();
  await form.locator('textarea[name="remarks"]').fill(remarks);
  await clickAndLoad(inspector, submitButton(inspector, `/work/cases/${caseId}/actions/${actionId}`));
  assert.equal(await inspector.locator('main .notice').count(), 1, `${actionId} recorded`);
}

describe('a construction permit from application to occupancy certificate, without JavaScript, across every role', () => {
  let amina: Page;
  let permits: Page;
  let fire: Page;
  let utilities: Page;
  let head: Page;
  let passerBy: Page;
  let id: string;
  let trackingNumber: string;

  before(async () => {
    [amina, permits, fire, utilities, head, passerBy] = await Promise.all([personAt('amina'), personAt('officer.permits'), personAt('officer.fire'), personAt('officer.utilities'), personAt('head.urban'), personAt(null)]);
  });

  it('Amina finds the service and starts an application', async () => {
    await amina.goto(`${app.url}/services/construction-permit`);
    await meet(amina, 'service');
    await clickAndLoad(amina, amina.locator('main a[href="/apply/construction-permit"]'));
    await meet(amina, 'start');
    await clickAndLoad(amina, submitButton(amina, '/apply/construction-permit'));
    assert.match(pathOf(amina), /^\/applications\/[0-9a-f-]{36}\/steps\/plot$/);
    id = pathOf(amina).split('/')[2]!;
    await meet(amina, 'plot');
  });

  it('names her parcel, and the land register fills in owner, zone and area under the consent she gave', async () => {
    await amina.locator('#parcelNumber').fill(PARCEL);
    await amina.locator('#address').fill('Quartier 7, Djibouti');
    await clickAndLoad(amina, submitButton(amina, `/applications/${id}/steps/plot`));
    assert.equal(pathOf(amina), `/applications/${id}/steps/parcel`);
    await meet(amina, 'parcel-offer');
    await clickAndLoad(amina, submitButton(amina, `/applications/${id}/steps/parcel/prefill`));
    assert.equal(await amina.locator('main .notice').count(), 1, 'told the answers were filled in');
    assert.equal(await amina.locator('#ownerName').inputValue(), 'Amina Said');
    assert.equal(await amina.locator('#zone').inputValue(), 'R1');
    await meet(amina, 'parcel-prefilled', { docs: true });
    await clickAndLoad(amina, submitButton(amina, `/applications/${id}/steps/parcel`));
    assert.equal(pathOf(amina), `/applications/${id}/steps/project`);
  });

  it('describes a project too high for zone R1, uploads the plans, and is shown the broken rule with no way to send', async () => {
    const step = `/applications/${id}/steps/project`;
    await meet(amina, 'project');
    await amina.locator('#use').selectOption(PROJECT.use);
    for (const field of ['floors', 'floorArea', 'footprint', 'setback'] as const) await amina.locator(`#${field}`).fill(PROJECT[field]);
    await amina.locator('#height').fill('14');
    await clickAndLoad(amina, submitButton(amina, step));
    assert.equal(pathOf(amina), `/applications/${id}/documents`);

    const form = `/applications/${id}/documents`;
    await meet(amina, 'documents');
    for (const document of ['title-deed', 'site-plan', 'architectural-plans']) {
      await amina.locator(`#${document}`).setInputFiles({ name: `${document}.pdf`, mimeType: 'application/pdf', buffer: PDF });
    }
    await clickAndLoad(amina, submitButton(amina, form));
    assert.equal(pathOf(amina), `/applications/${id}/check`);
    assert.match(await amina.locator('main #finding-height').innerText(), /La hauteur de 14 m dépasse les 9 m autorisés en zone R1\./);
    assert.equal(await submitButton(amina, `/applications/${id}/submit`).count(), 0, 'no send button while a rule is broken');
    await meet(amina, 'check-rule-broken', { docs: '#rules' });
  });

  it('lowers the building, and sends it once every rule is met, the fee shown', async () => {
    await clickAndLoad(amina, amina.locator(`main a[href="/applications/${id}/steps/project?next=check#height"]`));
    await amina.locator('#height').fill('7.5');
    await clickAndLoad(amina, submitButton(amina, `/applications/${id}/steps/project`));
    assert.equal(pathOf(amina), `/applications/${id}/check`);
    assert.equal(await amina.locator('main .findings').count(), 0, 'no rule broken');
    assert.match(await amina.locator('main').innerText(), /36\s075/, 'the fee: 150 DJF a square metre on 240.5 m² in zone R1');
    await meet(amina, 'check', { docs: '#rules' });
    await clickAndLoad(amina, submitButton(amina, `/applications/${id}/submit`));
    assert.equal(pathOf(amina), `/applications/${id}/confirmation`);
    trackingNumber = await amina.locator('.panel .tracking').innerText();
    assert.match(trackingNumber, /^CP-/);
    await meet(amina, 'confirmation');
  });

  it('the permit desk finds it on the worklist and finds the file complete', async () => {
    await clickAndLoad(permits, permits.locator('header a[href="/work"]'));
    await meet(permits, 'worklist');
    await clickAndLoad(permits, permits.locator(`main a[href="/work/cases/${id}"]`));
    await meet(permits, 'case-completeness');
    for (const check of ['deed-matches-parcel', 'plans-signed', 'site-plan-readable']) await permits.locator(`input[name="checks"][value="${check}"]`).check();
    await clickAndLoad(permits, submitButton(permits, `/work/cases/${id}/actions/accept`));
    assert.equal(await permits.locator('main .notice').count(), 1);
  });

  it('Amina is asked for the fee, pays it by mobile money on her phone, and the case goes on to the technical review', async () => {
    await amina.goto(`${app.url}/applications/${id}`);
    assert.match(await amina.locator('main .facts').innerText(), /En attente du paiement de la taxe/);
    await meet(amina, 'application-fee');
    await clickAndLoad(amina, amina.locator('main a[href^="/pay/"]'));
    const payPath = pathOf(amina);
    assert.match(await amina.locator('main').innerText(), /36\s075/, 'the invoice is the fee shown before sending');
    await meet(amina, 'pay');
    await amina.locator('#phone').fill('+253 77 81 23 45');
    await clickAndLoad(amina, submitButton(amina, `${payPath}/mobile-money`));
    assert.ok(amina.url().startsWith(`${mobileMoney.url}/pay/`), `on the provider's page: ${amina.url()}`);
    await clickAndLoad(amina, amina.locator('button[value="confirm"]'));
    assert.equal(pathOf(amina), payPath, 'back on the pay page');
    await meet(amina, 'paid');
    // The provider's callback settled the invoice; the settlement moves the case on in the background.
    await app.jobs.drain();
    await amina.goto(`${app.url}/applications/${id}`);
    assert.match(await amina.locator('main .facts').innerText(), /Instruction technique/);
    await meet(amina, 'application-paid');
  });

  it('urban planning, fire safety and the utilities each give their opinion, in parallel, from their own worklists', async () => {
    for (const [officer, review] of [[permits, 'urban-planning'], [fire, 'fire-safety'], [utilities, 'utilities']] as const) {
      await officer.goto(`${app.url}/work`);
      await clickAndLoad(officer, officer.locator(`main a[href="/work/cases/${id}"]`));
      assert.equal(await officer.locator('form[action*="/reviews/"]').count(), 1, `${review}: only the opinion this agency gives`);
      if (review === 'fire-safety') await meet(officer, 'case-review', { docs: '#actions-title' });
      await officer.locator(`form[action="/work/cases/${id}/reviews/${review}"] input[name="opinion"][value="agree"]`).check();
      await clickAndLoad(officer, submitButton(officer, `/work/cases/${id}/reviews/${review}`));
      assert.equal(await officer.locator('main .notice').count(), 1, `${review} given`);
    }
  });

  it('Amina sees the site visit booked with an inspector, in Djibouti time', async () => {
    await amina.goto(`${app.url}/applications/${id}`);
    assert.match(await amina.locator('main #visits-title + div').innerText(), new RegExp(`Visite du terrain, permis ${trackingNumber}.*\\(Africa/Djibouti\\)`));
    await meet(amina, 'application-visit');
  });

  it('the inspector records the visit on the case page: the checklist, a photo, the verdict', async () => {
    await permits.goto(`${app.url}/work/cases/${id}`);
    await meet(permits, 'case-inspection', { docs: '#actions-title' });
    await recordInspection(permits, id, 'record-inspection', SITE_CHECKLIST, 'Parcelle bornée conformément au plan');
    await meet(permits, 'case-inspected');
  });

  it('the head of the ministry grants the permit', async () => {
    await head.goto(`${app.url}/work`);
    await clickAndLoad(head, head.locator(`main a[href="/work/cases/${id}"]`));
    await meet(head, 'case-decision');
    await clickAndLoad(head, submitButton(head, `/work/cases/${id}/actions/grant`));
    assert.match(await head.locator('main .notice').innerText(), /Permis accordé/);
  });

  it('Amina opens her permit, downloads the signed PDF, and the page its QR code leads to says the file is genuine', async () => {
    await amina.goto(`${app.url}/applications/${id}`);
    assert.match(await amina.locator('main .facts').innerText(), /Permis accordé/);
    await meet(amina, 'application-granted');
    await clickAndLoad(amina, amina.locator(`main a[href="/applications/${id}/outputs/permit"]`));
    assert.match(await amina.locator('main .certificate').innerText(), new RegExp(`Permis ${trackingNumber} : sur la parcelle ${PARCEL}`));
    await meet(amina, 'permit', { docs: true });
    const [download] = await Promise.all([amina.waitForEvent('download'), amina.locator(`main a[href="/applications/${id}/outputs/permit/pdf"]`).click()]);
    const pdf = await download.path();
    await clickAndLoad(amina, amina.locator('main a[href^="/verify/"]'));
    const verifyPath = pathOf(amina);
    await amina.locator('input[type="file"]').setInputFiles(pdf);
    await clickAndLoad(amina, submitButton(amina, verifyPath));
    assert.equal(await amina.locator('main .verify-file-genuine').count(), 1, 'the file is the one issued');
    await meet(amina, 'verify-permit');
  });

  it('anyone reads the permit in the public register, without signing in and without the applicant’s name', async () => {
    await passerBy.goto(`${app.url}/services/construction-permit/register`);
    const register = await passerBy.locator('main').innerText();
    assert.match(register, new RegExp(`${trackingNumber}[\\s\\S]*${PARCEL}`));
    assert.doesNotMatch(register, /Amina/);
    await meet(passerBy, 'register', { docs: true });
  });

  it('Amina declares the works finished, and the final inspection is booked', async () => {
    await amina.goto(`${app.url}/applications/${id}`);
    await amina.locator('#declare-completion-finishedOn').fill(new Date().toISOString().slice(0, 10));
    await clickAndLoad(amina, submitButton(amina, `/applications/${id}/answers/declare-completion`));
    assert.equal(pathOf(amina), `/applications/${id}`);
    assert.match(await amina.locator('main').innerText(), new RegExp(`Visite de récolement, permis ${trackingNumber}`));
    await meet(amina, 'application-final-visit');
  });

  it('the inspector records the final inspection, which issues the occupancy certificate', async () => {
    await permits.goto(`${app.url}/work/cases/${id}`);
    await meet(permits, 'case-final-inspection');
    await recordInspection(permits, id, 'record-final-inspection', WORKS_CHECKLIST, 'Construit conformément au permis');
  });

  it('Amina opens her occupancy certificate, and its verification page says it is current', async () => {
    await amina.goto(`${app.url}/applications/${id}`);
    await meet(amina, 'application-completed');
    await clickAndLoad(amina, amina.locator(`main a[href="/applications/${id}/outputs/occupancy-certificate"]`));
    assert.match(await amina.locator('main .certificate').innerText(), new RegExp(`Certificat de conformité du permis ${trackingNumber}`));
    await meet(amina, 'occupancy-certificate', { docs: true });
    await clickAndLoad(amina, amina.locator('main a[href^="/verify/"]'));
    assert.match(await amina.locator('main').innerText(), /Certificat de conformité/);
    await meet(amina, 'verify-certificate');
  });
});
