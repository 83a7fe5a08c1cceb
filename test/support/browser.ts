import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core. The test machine has no internet: without the
 * background-networking flags Chromium keeps trying to reach Google and its connections are refused.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Click a link or a submit button and wait until the page the server answers with has loaded. */
export async function clickAndLoad(page: Page, target: Locator): Promise<void> {
  const loaded = page.waitForEvent('load');
  await target.click();
  await loaded;
}

/** The submit button of the form posting to `action` (labels change with the language, actions do not). */
/** The path of the page the tab is on, without its query. */
export const pathOf = (page: Page): string => new URL(page.url()).pathname;

export function submitButton(page: Page, action: string): Locator {
  return page.locator(`form[action="${action}"] button[type="submit"]`);
}

/** Sign in through the HTML form, as a person would; ends on the page the form redirects to. */
export async function signInThroughForm(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await clickAndLoad(page, submitButton(page, '/sign-in'));
}
