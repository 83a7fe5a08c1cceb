import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SHIPPED_LOCALES } from '../src/platform/i18n/index.ts';
import { startTestApp, type TestApp } from '../test/support/app.ts';
import { PAGES } from '../test/support/pages.ts';
import { BUDGET_BYTES, formatTable, measurePageWeights } from './page-weight.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp({ listen: true });
});
after(() => app.stop());

describe('the page-weight benchmark', () => {
  it('weighs a public and a signed-in page in every language, compressed, and finds them light and script-free', async () => {
    const pages = PAGES.filter((p) => (p.path === '/' && p.who === 'anonymous') || (p.path === '/account' && p.who === 'amina'));
    const rows = await measurePageWeights(app.url, pages);

    assert.deepEqual(rows.map((r) => `${r.page} ${r.locale}`), pages.flatMap((p) => SHIPPED_LOCALES.map((l) => `${p.name} ${l}`)));
    for (const row of rows) {
      assert.equal(row.encoding, 'br', `${row.page} ${row.locale} is sent compressed with brotli`);
      assert.ok(row.htmlBytes > 0 && row.cssBytes > 0, `${row.page} ${row.locale} has figures`);
      assert.equal(row.totalBytes, row.htmlBytes + row.cssBytes);
      assert.equal(row.hasScript, false, `${row.page} ${row.locale} carries no script`);
      assert.ok(row.withinBudget && row.totalBytes <= BUDGET_BYTES, `${row.page} ${row.locale}: ${row.totalBytes} B is within ${BUDGET_BYTES} B`);
    }
    assert.equal(formatTable(rows).split('\n').length, rows.length + 1, 'a header and one line per measurement');
  });
});
