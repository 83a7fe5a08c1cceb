import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SHIPPED_LOCALES } from '../../src/platform/i18n/index.ts';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';
import { assertAccessible } from '../support/axe.ts';
import { clickAndLoad, launchBrowser, signInThroughForm, submitButton } from '../support/browser.ts';
import { PAGES, VISITORS, withLocale, type Visitor } from '../support/pages.ts';

/** A page in the state its form leaves it in after a bad submission, reached as a person would. */
interface FormState {
  name: string;
  who: Visitor;
  /** The page with the form; the form posts back to it. */
  path: string;
  fill(page: Page): Promise<void>;
  /** Present only in that state, so we know the audit looked at the right thing. */
  shows: string;
}

const FORM_STATES: FormState[] = [
  {
    name: 'sign-in after a failed attempt',
    who: 'anonymous',
    path: '/sign-in',
    fill: async (page) => {
      await page.locator('#username').fill('nobody');
      await page.locator('#password').fill('not the password');
    },
    shows: '.error-summary',
  },
  {
    name: 'register with validation errors',
    who: 'anonymous',
    path: '/register',
    fill: async (page) => {
      await page.locator('#username').fill('x');
      await page.locator('#email').fill('not-an-address');
    },
    shows: '.error-summary a[href="#email"]',
  },
  {
    name: 'change password with a wrong current password',
    who: 'amina',
    path: '/account/password',
    fill: async (page) => {
      await page.locator('#current').fill('not the password');
      await page.locator('#password').fill('a new and long password');
    },
    shows: '.error-summary',
  },
  {
    name: 'the counter’s form sent without the person’s ID or consent',
    who: 'agent.post',
    path: '/assist/birth-certificate-copy',
    fill: async () => {},
    shows: '.error-summary a[href="#nationalId"]',
  },
];

let app: TestApp;
let browser: Browser;
const tabs = new Map<Visitor, Page>();

before(async () => {
  app = await startTestApp({ listen: true });
  browser = await launchBrowser();
  for (const who of VISITORS) {
    // Injecting axe has to get past the pages' own Content-Security-Policy (script-src 'self').
    const page = await (await browser.newContext({ bypassCSP: true })).newPage();
    if (who !== 'anonymous') {
      await signInThroughForm(page, app.url, who, DEMO_PASSWORD);
      assert.equal(new URL(page.url()).pathname, '/account', `${who} is signed in`);
    }
    tabs.set(who, page);
  }
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

it('the audit covers every page the portal serves', () => {
  const document = app.app.swagger() as { paths: Record<string, { get?: { tags?: string[] } }> };
  const served = Object.entries(document.paths)
    .filter(([path, operations]) => operations.get?.tags?.includes('web') && !path.includes('{'))
    .map(([path]) => path);
  const audited = new Set(PAGES.map((p) => new URL(p.path, app.url).pathname));
  assert.deepEqual(served.filter((path) => !audited.has(path)), [], 'pages to add to test/support/pages.ts');
});

for (const locale of SHIPPED_LOCALES) {
  describe(`every page meets WCAG 2.2 AA in ${locale}`, () => {
    for (const visit of PAGES) {
      it(`${visit.name}${visit.who === 'anonymous' ? '' : ` (as ${visit.who})`}`, async () => {
        const page = tabs.get(visit.who)!;
        const response = await page.goto(`${app.url}${withLocale(visit.path, locale)}`);
        assert.equal(response?.status(), visit.status);
        await assertAccessible(page, locale);
      });
    }

    for (const state of FORM_STATES) {
      it(`${state.name}${state.who === 'anonymous' ? '' : ` (as ${state.who})`}`, async () => {
        const page = tabs.get(state.who)!;
        await page.goto(`${app.url}${withLocale(state.path, locale)}`);
        await state.fill(page);
        await clickAndLoad(page, submitButton(page, state.path));
        assert.ok((await page.locator(state.shows).count()) > 0, `the page shows ${state.shows}`);
        await assertAccessible(page, locale);
      });
    }
  });
}
