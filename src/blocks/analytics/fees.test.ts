/**
 * Fees invoiced and collected, computed twice: from the analytics rollups, which know the money
 * only from the payments block's events, and directly from the payments block's own tables (which
 * only a test may read). Nine business licences are accepted, so each gets its 15,000 DJF invoice:
 * four are paid at the counter (one of them partly refunded, asked by a finance officer and
 * approved by the agency's head) and two by bank transfer, one is withdrawn (its invoice
 * cancelled), two still wait for the fee.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Decimal } from 'decimal.js';
import { asSession, signInDemo, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { payFeesAtCounter, RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { formatMoney } from '../../platform/i18n/index.ts';
import { utcDay } from '../payments/days.ts';
import { uploadStatement } from '../payments/payment-fixtures.ts';
import { feeFigures, feeMethodFigures, methodShares, publicFees, publicMethodShares, refreshRollups, type FeeFigures } from './index.ts';

let app: TestApp;
let f: RegistrationFixtures;
let commerceId: string;
const ids: string[] = [];
const SCOPE = () => ({ agencies: [commerceId], serviceId: 'business-licence' });

async function rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await app.database.pool.query(text, values)).rows as T[];
}

async function call(session: Awaited<ReturnType<typeof signInDemo>>[number], method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await app.app.inject({ method, url, headers: asSession(session), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: JSON.parse(response.body || '{}') };
}

before(async () => {
  app = await startTestApp();
  f = await RegistrationFixtures.start(app);
  commerceId = (await rows<{ id: string }>(`SELECT id FROM identity_agencies WHERE code = 'commerce'`))[0]!.id;
  for (let i = 0; i < 9; i++) {
    const { id } = await f.submittedLicence();
    assert.equal((await f.call('officer.trade', 'POST', `/api/workflow/cases/${id}/actions/accept`, {})).status, 200);
    ids.push(id);
  }
  for (const id of ids.slice(0, 4)) await payFeesAtCounter(app, id);
  const [finance, head] = await signInDemo(app, 'finance.trade', 'head.trade');
  const lines = [];
  for (const id of ids.slice(4, 6)) {
    const [invoice] = (await app.payments.invoicesFor(app.database.db, 'application', id)).filter((i) => i.state === 'open');
    lines.push(`${utcDay()},${invoice!.amount},DJF,${invoice!.reference},FEES-TEST-${id},Amina Said`);
  }
  const imported = await uploadStatement(app, asSession(finance!), `date,amount,currency,reference,transaction_id,payer_name\n${lines.join('\n')}\n`);
  assert.equal(imported.statusCode, 201, imported.body);
  assert.equal((await call(finance!, 'POST', `/api/payments/statements/${imported.json<{ id: string }>().id}/accept`)).status, 200);
  await app.jobs.drain();
  const withdrawn = await f.call('amina', 'POST', `/api/registration/applications/${ids[6]}/withdraw`, { reason: 'I found other premises' });
  assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
  const [payment] = await rows<{ id: string }>(`SELECT p.id FROM payments_payments p JOIN payments_invoices i ON i.id = p.invoice_id WHERE i.subject_id = $1`, [ids[0]]);
  const asked = await call(finance!, 'POST', '/api/payments/refunds', { paymentId: payment!.id, amount: '2500', reason: 'Fee reduced on appeal' });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  assert.equal((await call(head!, 'POST', `/api/payments/refunds/${asked.body.id}/decision`, { decision: 'approve' })).status, 200);
  await app.jobs.drain();
  await refreshRollups(app.database.db);
});
after(() => app.stop());

/** The same figures from the payments block's tables: what its invoices, payments and approved refunds say. */
async function fromPaymentTables() {
  const [r] = await rows<{ currency: string; invoices: number; invoiced: string; cancelled: number; outstanding: string; payments: number; collected: string; refunded: string }>(
    `WITH i AS (SELECT * FROM payments_invoices WHERE subject_type = 'application' AND subject_id = ANY($1::text[]))
     SELECT (SELECT string_agg(DISTINCT currency, ',') FROM i) AS currency,
            (SELECT count(*) FROM i WHERE state <> 'cancelled')::int AS invoices,
            (SELECT trim_scale(sum(amount))::text FROM i WHERE state <> 'cancelled') AS invoiced,
            (SELECT count(*) FROM i WHERE state = 'cancelled')::int AS cancelled,
            (SELECT trim_scale(sum(amount - paid_amount))::text FROM i WHERE state IN ('open', 'partly-paid')) AS outstanding,
            (SELECT count(*) FROM payments_payments WHERE invoice_id IN (SELECT id FROM i))::int AS payments,
            (SELECT trim_scale(sum(amount))::text FROM payments_payments WHERE invoice_id IN (SELECT id FROM i)) AS collected,
            (SELECT trim_scale(sum(amount))::text FROM payments_refunds WHERE state = 'approved' AND invoice_id IN (SELECT id FROM i)) AS refunded`,
    [ids],
  );
  return r!;
}

describe('fees from the rollups agree with the payments block', () => {
  it('counts what was invoiced (cancelled invoices apart), collected less refunds, and still due, exactly and per currency', async () => {
    const paid = await fromPaymentTables();
    const [fees, ...others] = await feeFigures(app.database.db, SCOPE());
    assert.equal(others.length, 0, 'one currency');
    assert.deepEqual(fees, {
      serviceId: null, agencyId: null, channel: null, month: null,
      currency: paid.currency,
      invoices: paid.invoices,
      invoiced: paid.invoiced,
      cancelledInvoices: paid.cancelled,
      outstanding: paid.outstanding,
      payments: paid.payments,
      collected: new Decimal(paid.collected).minus(paid.refunded).toFixed(),
      refunded: paid.refunded,
    } satisfies FeeFigures);
    assert.deepEqual([fees!.invoices, fees!.invoiced, fees!.cancelledInvoices, fees!.outstanding, fees!.collected], [8, '120000', 1, '30000', '87500'], 'the cases as driven');
  });

  it('splits the money received by method of payment, as the payments block recorded each', async () => {
    const byMethod = await rows<{ method: string; payments: number; received: string }>(
      `SELECT p.method, count(*)::int AS payments, trim_scale(sum(p.amount))::text AS received
       FROM payments_payments p JOIN payments_invoices i ON i.id = p.invoice_id
       WHERE i.subject_type = 'application' AND i.subject_id = ANY($1::text[]) GROUP BY p.method ORDER BY sum(p.amount) DESC, p.method`, [ids]);
    const methods = await feeMethodFigures(app.database.db, SCOPE());
    assert.deepEqual(methods, byMethod.map((m) => ({ currency: 'DJF', ...m })));
    assert.deepEqual(methods.map((m) => [m.method, m.payments, m.received]), [['cash', 4, '60000'], ['bank-transfer', 2, '30000']], 'the cases as driven');
    assert.deepEqual(methodShares(methods).map((m) => m.sharePercent), [67, 33]);
    const shown = publicMethodShares(methods);
    assert.deepEqual(shown.map((m) => [m.payments, m.received, m.sharePercent]), [[null, null, null], [null, null, null]], 'fewer than five payments by each method: nothing of them is public');
    const five = publicMethodShares([{ ...methods[0]!, payments: 5 }, methods[1]!]);
    assert.deepEqual(five.map((m) => [m.payments, m.received, m.sharePercent]), [[5, '60000', null], [null, null, null]], 'nor a share that is the rest of two payments');
  });

  it('gives the same sums per service, agency and channel as in all', async () => {
    const [all] = await feeFigures(app.database.db, SCOPE());
    const cells = await feeFigures(app.database.db, SCOPE(), ['service', 'agency', 'channel', 'month']);
    assert.equal(cells.reduce((n, c) => n + c.invoices, 0), all!.invoices);
    assert.equal(cells.reduce((n, c) => n.plus(c.collected), new Decimal(0)).toFixed(), all!.collected);
    assert.ok(cells.every((c) => c.serviceId === 'business-licence' && c.agencyId === commerceId && c.currency === 'DJF'));
  });

  it('changes nothing when every event is delivered again, the last first', async () => {
    const before = await feeFigures(app.database.db, SCOPE(), ['month']);
    const delivered = await rows<{ task: string; payload: Record<string, unknown> }>(
      `SELECT task, payload FROM platform_jobs WHERE task IN ('analytics.record-invoice', 'analytics.record-fee-payment', 'analytics.record-invoice-cancellation', 'analytics.record-fee-refund') ORDER BY id DESC`);
    assert.ok(delivered.length >= 8 + 1 + 6 + 1, `every movement was delivered: ${delivered.length}`);
    for (const job of delivered) await app.jobs.enqueue(app.database.db, job.task, job.payload);
    await app.jobs.drain();
    await refreshRollups(app.database.db);
    assert.deepEqual(await feeFigures(app.database.db, SCOPE(), ['month']), before);
  });

  it("keeps an application's money until its submission is known, then counts it in its cell", async () => {
    const before = await feeFigures(app.database.db, SCOPE());
    const [submission] = await rows<{ payload: Record<string, unknown> }>(`SELECT payload FROM platform_jobs WHERE task = 'analytics.record-submission' AND payload->>'applicationId' = $1`, [ids[1]]);
    await app.database.pool.query(`DELETE FROM analytics_applications WHERE application_id = $1`, [ids[1]]);
    await refreshRollups(app.database.db);
    const [without] = await feeFigures(app.database.db, SCOPE());
    assert.deepEqual([without!.invoices, without!.payments], [before[0]!.invoices - 1, before[0]!.payments - 1]);
    await app.jobs.enqueue(app.database.db, 'analytics.record-submission', submission!.payload);
    await app.jobs.drain();
    await refreshRollups(app.database.db);
    assert.deepEqual(await feeFigures(app.database.db, SCOPE()), before);
  });
});

describe('where the fees are shown', () => {
  it("shows the agency's officers invoiced, collected and still due, in the reader's locale", async () => {
    const [fees] = await feeFigures(app.database.db, SCOPE());
    for (const locale of ['en', 'fr'] as const) {
      const page = await app.app.inject({ method: 'GET', url: `/agency/performance?lang=${locale}`, headers: f.headersOf('officer.trade') });
      assert.equal(page.statusCode, 200);
      for (const amount of [fees!.invoiced, fees!.collected, fees!.outstanding]) assert.ok(page.body.includes(formatMoney(locale, amount, 'DJF')), `${formatMoney(locale, amount, 'DJF')} in ${locale}`);
    }
    const fire = await app.app.inject({ method: 'GET', url: '/agency/performance', headers: f.headersOf('officer.fire') });
    assert.ok(!fire.body.includes(formatMoney('en', fees!.invoiced, 'DJF')), "not to another agency's officers");
  });

  it('shows the officers how the fees were paid, and the public only what five payments or more make', async () => {
    const officer = await app.app.inject({ method: 'GET', url: '/agency/performance?lang=en&service=business-licence', headers: f.headersOf('officer.trade') });
    const section = officer.body.slice(officer.body.indexOf('id="fee-methods"'));
    assert.match(section, /<th scope="row">Cash at the counter<\/th><td>4<\/td><td class="amount">[^<]*60,000[^<]*<\/td><td>67%<\/td>/);
    assert.match(section, /<th scope="row">Bank transfer<\/th><td>2<\/td><td class="amount">[^<]*30,000[^<]*<\/td><td>33%<\/td>/);
    const open = await app.app.inject({ method: 'GET', url: '/performance/services/business-licence?lang=en' });
    const withheld = open.body.slice(open.body.indexOf('id="fee-methods"'));
    assert.match(withheld, /<th scope="row">Bank transfer<\/th><td>fewer than 5<\/td><td class="amount">fewer than 5<\/td><td>—<\/td>/);
    assert.doesNotMatch(withheld, /30,000/);
  });

  it('shows the public the totals per service, and no amount that fewer than five invoices or payments make', async () => {
    const [fees] = await feeFigures(app.database.db, SCOPE());
    for (const url of ['/performance', '/performance/services/business-licence']) {
      const page = await app.app.inject({ method: 'GET', url: `${url}?lang=en` });
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(formatMoney('en', fees!.collected, 'DJF')), url);
    }
    const few = publicFees({ ...fees!, invoices: 4 });
    assert.deepEqual([few.invoices, few.invoiced, few.collected, few.outstanding], [null, null, null, null]);
    assert.equal(publicFees({ ...fees!, payments: 3 }).collected, null, 'nor what three payments add up to');
  });

  it('publishes the fees in the open data as decimal strings with their currency, summing to the totals', async () => {
    const [fees] = await feeFigures(app.database.db, SCOPE());
    const json = await f.call(null, 'GET', '/performance/open-data.json');
    assert.equal(json.status, 200);
    const licence = (json.body.rows as Record<string, string | number | null>[]).filter((r) => r.serviceId === 'business-licence' && r.currency !== null);
    assert.ok(licence.length > 0 && licence.every((r) => r.currency === 'DJF' && typeof r.feesInvoiced === 'string'), JSON.stringify(licence));
    assert.equal(licence.reduce((n, r) => n.plus(r.feesInvoiced as string), new Decimal(0)).toFixed(), fees!.invoiced);
    const csv = await app.app.inject({ method: 'GET', url: '/performance/open-data.csv' });
    assert.match(csv.body, /,DJF,8,120000,87500,30000\r\n/);
  });
});
