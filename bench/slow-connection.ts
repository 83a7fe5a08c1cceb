/**
 * How long does each citizen page take to load on a 2G-class connection? Chromium, throttled by
 * its own network emulation to 256 kbit/s each way with 300 ms of latency on every request, loads
 * every page a citizen meets (anonymous, or Amina signed in) in every language, as a first visit:
 * a fresh browser context each time, so no connection is reused and nothing is cached. For each
 * load: the bytes that crossed the wire (HTML and stylesheets), and the time from navigation to
 * the first byte, to DOMContentLoaded and to the load event.
 *
 *   node --import tsx bench/slow-connection.ts             every citizen page, every language
 *   node --import tsx bench/slow-connection.ts en ar       only these languages
 *
 * Starts its own Daftari with the demo data on a scratch database (see bench/support). Needs
 * Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { DEMO_PASSWORD } from '../src/demo/seed-demo.ts';
import { isLocale, SHIPPED_LOCALES } from '../src/platform/i18n/index.ts';
import { launchBrowser, signInThroughForm } from '../test/support/browser.ts';
import { PAGES, withLocale, type PageVisit, type Visitor } from '../test/support/pages.ts';
import { machine, startDaftariUnderLoad } from './support/daftari-under-load.ts';

/** The connection the issue names: 256 kbit/s, 300 ms round trip added to every request. */
export const SLOW_CONNECTION = { latencyMs: 300, kbitPerSecond: 256 } as const;

/** The pages a citizen meets: anonymous, or signed in as Amina. */
export const CITIZEN_PAGES = PAGES.filter((p) => p.who === 'anonymous' || p.who === 'amina');

export interface SlowLoad {
  page: string;
  who: Visitor;
  locale: string;
  status: number;
  /** Bytes of the responses as they crossed the wire (compressed), HTML and everything it loaded. */
  transferredBytes: number;
  requests: number;
  firstByteMs: number;
  domContentLoadedMs: number;
  loadMs: number;
}

type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

async function sessionOf(browser: Browser, baseUrl: string, who: Visitor): Promise<StorageState | undefined> {
  if (who === 'anonymous') return undefined;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signInThroughForm(page, baseUrl, who, DEMO_PASSWORD);
    return await context.storageState();
  } finally {
    await context.close();
  }
}

/** Load one page once through the throttled connection, in a context of its own. */
async function loadSlowly(browser: Browser, url: string, storageState: StorageState | undefined): Promise<Omit<SlowLoad, 'page' | 'who' | 'locale'>> {
  const context = await browser.newContext(storageState ? { storageState } : {});
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const bytesPerSecond = (SLOW_CONNECTION.kbitPerSecond * 1000) / 8;
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: SLOW_CONNECTION.latencyMs, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
    // Counted by Chromium's network layer, so the figure is the compressed bytes, headers included.
    let transferredBytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (event: { encodedDataLength: number }) => {
      transferredBytes += event.encodedDataLength;
      requests++;
    });
    const response = await page.goto(url, { waitUntil: 'load' });
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { firstByteMs: nav.responseStart - nav.startTime, domContentLoadedMs: nav.domContentLoadedEventEnd - nav.startTime, loadMs: nav.loadEventEnd - nav.startTime };
    });
    return { status: response?.status() ?? 0, transferredBytes, requests, ...timing };
  } finally {
    await context.close();
  }
}

/** Each page in each locale, as the visitor who sees it; a page answering the wrong status is an error, not a figure. */
export async function measureSlowLoads(browser: Browser, baseUrl: string, pages: PageVisit[] = CITIZEN_PAGES, locales: readonly string[] = SHIPPED_LOCALES): Promise<SlowLoad[]> {
  const sessions = new Map<Visitor, StorageState | undefined>();
  for (const who of new Set(pages.map((p) => p.who))) sessions.set(who, await sessionOf(browser, baseUrl, who));
  const rows: SlowLoad[] = [];
  for (const page of pages) {
    for (const locale of locales) {
      const load = await loadSlowly(browser, `${baseUrl}${withLocale(page.path, locale)}`, sessions.get(page.who));
      if (load.status !== page.status) throw new Error(`${page.name} (${page.who}, ${locale}) answered ${load.status}, expected ${page.status}`);
      rows.push({ page: page.name, who: page.who, locale, ...load });
    }
  }
  return rows;
}

export function formatSlowLoads(rows: SlowLoad[]): string {
  const header = ['page', 'as', 'locale', 'status', 'bytes', 'requests', 'first byte ms', 'DOMContentLoaded ms', 'load ms'];
  const ms = (n: number) => String(Math.round(n));
  const lines = rows.map((r) => [r.page, r.who, r.locale, String(r.status), String(r.transferredBytes), String(r.requests), ms(r.firstByteMs), ms(r.domContentLoadedMs), ms(r.loadMs)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [format(header), ...lines.map(format)].join('\n');
}

/** Median and slowest load per page across the languages measured. */
export function summarise(rows: SlowLoad[]): string {
  const byPage = new Map<string, SlowLoad[]>();
  for (const row of rows) byPage.set(`${row.page} (${row.who})`, [...(byPage.get(`${row.page} (${row.who})`) ?? []), row]);
  const lines = [...byPage].map(([name, loads]) => {
    const sorted = loads.map((l) => l.loadMs).sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const bytes = Math.max(...loads.map((l) => l.transferredBytes));
    return `${name}: median load ${Math.round(median)} ms, slowest ${Math.round(sorted.at(-1)!)} ms, at most ${bytes} B`;
  });
  return lines.join('\n');
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((l) => !isLocale(l));
  if (unknown.length > 0) throw new Error(`not shipped locales: ${unknown.join(', ')}`);
  const locales = asked.length > 0 ? asked : SHIPPED_LOCALES;
  const running = await startDaftariUnderLoad();
  const browser = await launchBrowser();
  try {
    const rows = await measureSlowLoads(browser, running.url, CITIZEN_PAGES, locales);
    console.log(`Citizen pages at ${SLOW_CONNECTION.kbitPerSecond} kbit/s and ${SLOW_CONNECTION.latencyMs} ms latency (Chromium network emulation, first visit, no cache), Chromium ${browser.version()}; ${machine()}\n`);
    console.log(formatSlowLoads(rows));
    console.log(`\n${summarise(rows)}`);
  } finally {
    await browser.close();
    await running.close();
  }
}

if (path.resolve(process.argv[1] ?? '') === import.meta.filename) await main();
