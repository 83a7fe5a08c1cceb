import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';
import { directionOf } from '../../src/platform/i18n/index.ts';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS: RunOptions = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] };
/** A desktop, and the 320 CSS pixels WCAG 1.4.10 (reflow) asks pages to work at: wide tables only scroll there. */
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 320, height: 640 },
];

function describeViolation(v: Result): string {
  return `${v.id} (${v.impact ?? 'unknown impact'}): ${v.help}\n${v.nodes.map((n) => `      ${n.target.join(' ')}`).join('\n')}`;
}

/**
 * axe-core's findings on the page at each viewport. The page's context must run scripts and bypass
 * the pages' own Content-Security-Policy (script-src 'self'), or axe cannot be injected.
 */
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

/** The page is in `locale`, written in its direction, and meets WCAG 2.2 AA as far as axe can tell. */
export async function assertAccessible(page: Page, locale: string): Promise<void> {
  const html = page.locator('html');
  assert.equal(await html.getAttribute('lang'), locale);
  assert.equal(await html.getAttribute('dir'), directionOf(locale));
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `axe found violations on ${page.url()}:\n${violations.join('\n')}`);
}

/**
 * Audit what a browser with JavaScript off is showing (axe itself needs scripts): the same HTML,
 * served at the same address to `auditor`, a tab of a context that runs scripts and bypasses CSP.
 * This covers pages only a POST leads to, such as a form shown again with its errors.
 */
export async function assertShownAccessible(shown: Page, auditor: Page, locale: string): Promise<void> {
  const address = shown.url();
  const html = await shown.content();
  const same = (url: URL) => url.href === address;
  await auditor.route(same, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  try {
    await auditor.goto(address);
  } finally {
    await auditor.unroute(same);
  }
  assert.equal(await auditor.locator('main').innerText(), await shown.locator('main').innerText(), 'the auditor shows the same page');
  await assertAccessible(auditor, locale);
}
