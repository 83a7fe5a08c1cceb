import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { translator } from '../../src/platform/i18n/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndLoad, launchBrowser, pathOf, signInThroughForm, submitButton } from '../support/browser.ts';

const FIRST_PASSWORD = 'river lantern basket 7';
const NEW_PASSWORD = 'seven quiet harbour stones';

let app: TestApp;
let browser: Browser;
/** The person's laptop, and later their phone: both with JavaScript switched off. */
let laptop: Page;
let phone: Page;

before(async () => {
  app = await startTestApp({ listen: true });
  browser = await launchBrowser();
  laptop = await (await browser.newContext({ javaScriptEnabled: false, locale: 'en-GB' })).newPage();
  phone = await (await browser.newContext({ javaScriptEnabled: false, locale: 'en-GB' })).newPage();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const heading = (page: Page) => page.locator('main h1').innerText();

async function assertPlainHtml(page: Page): Promise<void> {
  assert.doesNotMatch(await page.content(), /<script/i, `${page.url()} carries no script`);
}

describe('with JavaScript switched off, a person can', () => {
  it('open an account through the registration form, and is then signed in', async () => {
    await laptop.goto(`${app.url}/register`);
    await assertPlainHtml(laptop);
    await laptop.locator('#displayName').fill('Zawadi Mwangi');
    await laptop.locator('#username').fill('zawadi');
    await laptop.locator('#email').fill('zawadi@example.org');
    await laptop.locator('#password').fill(FIRST_PASSWORD);
    await clickAndLoad(laptop, submitButton(laptop, '/register'));

    assert.equal(pathOf(laptop), '/account');
    assert.equal(await heading(laptop), translator('en')('account.title'));
    assert.match(await laptop.locator('main dl').innerText(), /Zawadi Mwangi/);
    await assertPlainHtml(laptop);
  });

  it('sign out with the button in the header', async () => {
    await clickAndLoad(laptop, submitButton(laptop, '/sign-out'));

    assert.equal(pathOf(laptop), '/');
    assert.equal(await laptop.locator('header a[href^="/sign-in"]').count(), 1, 'the header offers to sign in again');
    assert.equal((await laptop.goto(`${app.url}/account`))?.status(), 401);
  });

  it('sign in through the sign-in form', async () => {
    await signInThroughForm(laptop, app.url, 'zawadi', FIRST_PASSWORD);

    assert.equal(pathOf(laptop), '/account');
    assert.equal(await heading(laptop), translator('en')('account.title'));
  });

  it('switch language with the language links, and keep that language on the next pages', async () => {
    await clickAndLoad(laptop, laptop.locator('a[hreflang="ar"]'));
    assert.equal(await laptop.locator('html').getAttribute('lang'), 'ar');
    assert.equal(await laptop.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await heading(laptop), translator('ar')('account.title'));

    await clickAndLoad(laptop, laptop.locator('a[hreflang="fr"]'));
    assert.equal(await laptop.locator('html').getAttribute('dir'), 'ltr');
    assert.equal(await heading(laptop), translator('fr')('account.title'));

    await clickAndLoad(laptop, laptop.locator('main a[href="/account/password"]'));
    assert.equal(await laptop.locator('html').getAttribute('lang'), 'fr');
    assert.equal(await heading(laptop), translator('fr')('password.changeTitle'));
  });

  it('change their password, after which only the new one opens the account', async () => {
    await laptop.locator('#current').fill(FIRST_PASSWORD);
    await laptop.locator('#password').fill(NEW_PASSWORD);
    await clickAndLoad(laptop, submitButton(laptop, '/account/password'));
    assert.equal(await laptop.locator('main .notice').innerText(), translator('fr')('password.changed'));

    await signInThroughForm(phone, app.url, 'zawadi', FIRST_PASSWORD);
    assert.equal(pathOf(phone), '/sign-in', 'the old password is refused');
    assert.equal(await phone.locator('.error-summary').count(), 1);

    await signInThroughForm(phone, app.url, 'zawadi', NEW_PASSWORD);
    assert.equal(pathOf(phone), '/account');
  });

  it('sign out on every other device from the account page', async () => {
    await laptop.goto(`${app.url}/account`);
    await clickAndLoad(laptop, submitButton(laptop, '/account/sign-out-everywhere'));
    assert.equal(await laptop.locator('main .notice').innerText(), translator('fr')('account.signedOutElsewhere'));

    assert.equal((await phone.goto(`${app.url}/account`))?.status(), 401, 'the phone is signed out');
    assert.equal((await laptop.goto(`${app.url}/account`))?.status(), 200, 'the laptop stays signed in');
  });
});
