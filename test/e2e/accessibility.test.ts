import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { AxeResults, Result, RunOptions } from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { directionOf, SHIPPED_LOCALES } from '../../src/platform/i18n/index.ts';
import { DEMO_PASSWORD, startTestApp, type TestApp } from '../support/app.ts';
import { clickAndLoad, launchBrowser, signInThroughForm, submitButton } from '../support/browser.ts';
import { PAGES, withLocale, type Visitor } from '../support/pages.ts';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS: RunOptions = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] };
/** A desktop, and the 320 CSS pixels WCAG 1.4.10 (reflow) asks pages to work at: wide tables only scroll there. */
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 320, height: 640 },
];

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
];

function describeViolation(v: Result): string {
  return `${v.id} (${v.impact ?? 'unknown impact'}): ${v.help}\n${v.nodes.map((n) => `      ${n.target.join(' ')}`).join('\n')}`;
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const found: string[] = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    const violations = await page.evaluate(
      async (options) => (await (globalThis as unknown as { axe: { run(o: RunOptions): Promise<AxeResults> } }).axe.run(options)).violations,
      AXE_OPTIONS,
    );
    found.push(...violations.map((v) => `  [${viewport.width} px] ${describeViolation(v)}`));
  }
  return found;
}

async function assertAccessible(page: Page, locale: string): Promise<void> {
  const html = page.locator('html');
  assert.equal(await html.getAttribute('lang'), locale);
  assert.equal(await html.getAttribute('dir'), directionOf(locale));
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `axe found violations on ${page.url()}:\n${violations.join('\n')}`);
}

let app: TestApp;
let browser: Browser;
const tabs = new Map<Visitor, Page>();

before(async () => {
  app = await startTestApp({ listen: true });
  browser = await launchBrowser();
  for (const who of ['anonymous', 'amina', 'admin'] as const) {
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
