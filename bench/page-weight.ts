/**
 * What does a first visit to each page cost on a slow, metered connection? Every page of the
 * portal, in every language, fetched over real HTTP as a browser asks for it
 * (accept-encoding: br, gzip): the compressed HTML, plus the compressed stylesheets it links
 * (a first visit has none cached), against a budget of 30 KB. Pages must carry no script at all.
 *
 *   node --import tsx bench/page-weight.ts
 *
 * Starts its own Daftari with the demo data on a scratch database (see bench/support). Exits
 * non-zero when a page is over budget or carries a script.
 */
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { DEMO_PASSWORD } from '../src/demo/seed-demo.ts';
import { SHIPPED_LOCALES } from '../src/platform/i18n/index.ts';
import { CookieJar, csrfFrom } from '../test/support/app.ts';
import { PAGES, withLocale, type PageVisit, type Visitor } from '../test/support/pages.ts';
import { startDaftariUnderLoad } from './support/daftari-under-load.ts';

export const BUDGET_BYTES = 30 * 1024;
const BROWSER_HEADERS = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'accept-encoding': 'br, gzip' };

export interface PageWeight {
  page: string;
  who: Visitor;
  locale: string;
  status: number;
  /** Content-Encoding of the HTML as sent. */
  encoding: string;
  htmlBytes: number;
  cssBytes: number;
  totalBytes: number;
  hasScript: boolean;
  withinBudget: boolean;
}

interface Fetched {
  status: number;
  encoding: string;
  /** The body exactly as it crossed the wire. */
  wire: Buffer;
}

/** node:http rather than fetch: fetch decompresses, and we want the bytes on the wire. */
function get(url: string, cookie: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { ...BROWSER_HEADERS, ...(cookie ? { cookie } : {}) } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, encoding: String(response.headers['content-encoding'] ?? 'identity'), wire: Buffer.concat(chunks) }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

function decoded({ encoding, wire }: Fetched): string {
  const inflate = { br: zlib.brotliDecompressSync, gzip: zlib.gunzipSync, deflate: zlib.inflateSync }[encoding];
  return (inflate ? inflate(wire) : wire).toString('utf8');
}

/** Sign in through the HTML form and keep the session cookie. */
async function signIn(baseUrl: string, username: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const form = await fetch(`${baseUrl}/sign-in`);
  jar.store(form);
  const response = await fetch(`${baseUrl}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfFrom(await form.text()), username, password: DEMO_PASSWORD, next: '/account' }),
  });
  if (response.status !== 303) throw new Error(`signing in as ${username} failed: ${response.status}`);
  jar.store(response);
  return jar;
}

/** Weigh each page in each locale, as the demo user who sees it; a page answering the wrong status is an error, not a figure. */
export async function measurePageWeights(baseUrl: string, pages: PageVisit[] = PAGES, locales: readonly string[] = SHIPPED_LOCALES): Promise<PageWeight[]> {
  const jars = new Map<Visitor, CookieJar>([['anonymous', new CookieJar()]]);
  for (const who of new Set(pages.map((p) => p.who))) {
    if (!jars.has(who)) jars.set(who, await signIn(baseUrl, who));
  }
  const rows: PageWeight[] = [];
  for (const page of pages) {
    for (const locale of locales) {
      const cookie = jars.get(page.who)!.header();
      const response = await get(`${baseUrl}${withLocale(page.path, locale)}`, cookie);
      if (response.status !== page.status) throw new Error(`${page.name} (${page.who}, ${locale}) answered ${response.status}, expected ${page.status}`);
      const html = decoded(response);
      const stylesheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
      let cssBytes = 0;
      for (const href of stylesheets) cssBytes += (await get(new URL(href, baseUrl).toString(), cookie)).wire.length;
      const totalBytes = response.wire.length + cssBytes;
      rows.push({
        page: page.name,
        who: page.who,
        locale,
        status: response.status,
        encoding: response.encoding,
        htmlBytes: response.wire.length,
        cssBytes,
        totalBytes,
        hasScript: /<script\b/i.test(html),
        withinBudget: totalBytes <= BUDGET_BYTES,
      });
    }
  }
  return rows;
}

export function formatTable(rows: PageWeight[]): string {
  const header = ['page', 'as', 'locale', 'status', 'encoding', 'HTML B', 'CSS B', 'total B', 'script', `budget ${BUDGET_BYTES / 1024} KB`];
  const lines = rows.map((r) => [r.page, r.who, r.locale, String(r.status), r.encoding, String(r.htmlBytes), String(r.cssBytes), String(r.totalBytes), r.hasScript ? 'yes' : 'no', r.withinBudget ? 'ok' : 'OVER']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set([3, 5, 6, 7]);
  const format = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [format(header), ...lines.map(format)].join('\n');
}

async function main(): Promise<void> {
  const running = await startDaftariUnderLoad();
  try {
    const rows = await measurePageWeights(running.url);
    console.log(formatTable(rows));
    const heaviest = rows.reduce((a, b) => (b.totalBytes > a.totalBytes ? b : a));
    console.log(`\nheaviest: ${heaviest.page} (${heaviest.locale}), ${heaviest.totalBytes} B of ${BUDGET_BYTES} B`);
    if (rows.some((r) => !r.withinBudget || r.hasScript)) {
      console.error('Some pages are over budget or carry a script.');
      process.exitCode = 1;
    }
  } finally {
    await running.close();
  }
}

if (path.resolve(process.argv[1] ?? '') === import.meta.filename) await main();
