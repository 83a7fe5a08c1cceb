import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, openForm, postForm } from '../../../test/support/http.ts';
import { utcDay } from './days.ts';
import { createPaymentAccounts, openTestInvoice, uploadStatement, watchSettlements, type TestInvoice } from './payment-fixtures.ts';

/** Cash at the counter with its daily close-out; refunds under four eyes; and the day's report over both. */
let app: TestApp;
let cashier: Session;
let finance: Session;
let finance2: Session;
let head: Session;
let cashierUrban: Session;
let financeUrban: Session;
let settled: ReturnType<typeof watchSettlements>;

before(async () => {
  app = await startTestApp();
  await createPaymentAccounts(app);
  [cashier, finance, finance2, head, cashierUrban, financeUrban] = await signInDemo(app, 'cashier.trade', 'finance.trade', 'finance2.trade', 'head.trade', 'cashier.urban', 'finance.urban');
  settled = watchSettlements(app);
});
after(() => app.stop());

async function call(who: Session, method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await app.app.inject({ method, url, headers: asSession(who), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.json<Record<string, any>>(), response };
}

const invoiceOf = async (i: TestInvoice) => (await call(finance, 'GET', `/api/payments/invoices/${i.id}`)).body;
const seqOf = (receiptNumber: string) => Number(receiptNumber.split('-').pop());

describe('cash at the counter', () => {
  let first: TestInvoice;
  let firstReceipt: string;

  it('finds the invoice by the reference the payer shows, typed any way, and takes more than is due with change given', async () => {
    first = await openTestInvoice(app);
    const { jar, csrf, body } = await openForm(app, `/payments/cash?reference=${encodeURIComponent(first.reference.toLowerCase().replace(/ /g, ''))}`, cashier.jar);
    assert.match(body, /name="tendered"/);
    const recorded = await postForm(app, jar, '/payments/cash', { _csrf: csrf, invoiceId: first.id, tendered: '20000' });
    assert.equal(recorded.statusCode, 303, recorded.body);
    const page = await app.app.inject({ method: 'GET', url: recorded.headers.location!, headers: { cookie: jar.header() } });
    const receipt = /Receipt (COMMERCE-\d{4}-\d{6})/.exec(page.body);
    assert.ok(receipt, 'the desk shows the receipt number');
    firstReceipt = receipt[1]!;
    assert.match(page.body, /Change to give: DJF\s5,000/);
    const paid = await invoiceOf(first);
    assert.deepEqual([paid.state, paid.paidAmount, paid.payments[0].method], ['paid', '15000', 'cash']);
    await app.jobs.drain();
    assert.deepEqual(settled.map((s) => s.invoiceId), [first.id]);
  });

  it('numbers receipts one after the other, without gaps, per agency and year', async () => {
    const second = await openTestInvoice(app, { amount: '15000' });
    const { status, body } = await call(cashier, 'POST', '/api/payments/cash', { invoiceId: second.id, tendered: '15000' });
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual([body.amount, body.change], ['15000', '0']);
    assert.equal(seqOf(body.receiptNumber), seqOf(firstReceipt) + 1);
  });

  it('refuses less than is due, an invoice with nothing left to pay, and another agency’s cashier', async () => {
    const third = await openTestInvoice(app, { amount: '8000' });
    const short = await call(cashier, 'POST', '/api/payments/cash', { invoiceId: third.id, tendered: '7999' });
    assert.equal(short.status, 400);
    assert.equal(short.body.errors[0].code, 'cashShort');
    assert.equal((await call(cashier, 'POST', '/api/payments/cash', { invoiceId: first.id, tendered: '15000' })).status, 409);
    assert.equal((await call(cashierUrban, 'POST', '/api/payments/cash', { invoiceId: third.id, tendered: '8000' })).status, 403);
    const notFound = await app.app.inject({ method: 'GET', url: `/payments/cash?reference=${encodeURIComponent(third.reference)}`, headers: asSession(cashierUrban) });
    assert.equal(notFound.statusCode, 404, 'another agency’s invoice is not found at this desk');
  });

  it('closes the day with what was counted against what was recorded, for good: no more cash that day', async () => {
    const { status, body } = await call(cashier, 'POST', '/api/payments/cash/close-outs', { counted: [{ currency: 'DJF', amount: '29500' }], note: 'Short by 500' });
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual(body.totals, [{ currency: 'DJF', expected: '30000', counted: '29500', difference: '-500' }]);
    assert.equal(body.day, utcDay());
    const late = await openTestInvoice(app, { amount: '1000' });
    assertProblem((await call(cashier, 'POST', '/api/payments/cash', { invoiceId: late.id, tendered: '1000' })).response, 409);
    assertProblem((await call(cashier, 'POST', '/api/payments/cash/close-outs', { counted: [{ currency: 'DJF', amount: '30000' }] })).response, 409);
    await assert.rejects(sql`UPDATE payments_cash_closeouts SET note = 'changed'`.execute(app.database.db), /close-out is final/);
    const audit = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_entries WHERE action = 'payments.close-cash-day'`.execute(app.database.db);
    assert.equal(audit.rows[0]!.n, 1);
  });
});

describe('refunds', () => {
  let invoice: TestInvoice;
  let paymentId: string;

  before(async () => {
    invoice = await openTestInvoice(app, { amount: '12000', agency: 'commerce' });
    // Paid over the bank: the cashier's day is closed.
    const csv = `date,amount,currency,reference,transaction_id,payer_name\n${utcDay()},12000,DJF,${invoice.reference},REFUND-TEST-1,Amina Said\n`;
    const imported = await uploadStatement(app, asSession(finance), csv);
    assert.equal(imported.statusCode, 201, imported.body);
    assert.equal((await call(finance, 'POST', `/api/payments/statements/${imported.json<{ id: string }>().id}/accept`)).status, 200);
    await app.jobs.drain();
    paymentId = (await invoiceOf(invoice)).payments[0].id;
  });

  it('are asked for by a finance officer, who cannot approve their own: another one, or the head, decides', async () => {
    const asked = await call(finance, 'POST', '/api/payments/refunds', { paymentId, amount: '2000', reason: 'Fee reduced on appeal' });
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
    assert.equal(asked.body.state, 'requested');
    const own = await call(finance, 'POST', `/api/payments/refunds/${asked.body.id}/decision`, { decision: 'approve' });
    assert.equal(own.status, 403);
    assert.match(own.body.detail, /four eyes/);
    assert.equal((await call(financeUrban, 'POST', `/api/payments/refunds/${asked.body.id}/decision`, { decision: 'approve' })).status, 403, 'not another agency’s finance officer');
    assert.equal((await call(cashier, 'POST', `/api/payments/refunds/${asked.body.id}/decision`, { decision: 'approve' })).status, 403, 'not a cashier');
    const approved = await call(finance2, 'POST', `/api/payments/refunds/${asked.body.id}/decision`, { decision: 'approve' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.state, 'approved');
    assert.equal((await call(finance2, 'POST', `/api/payments/refunds/${asked.body.id}/decision`, { decision: 'refuse', note: 'too late' })).status, 409, 'decided once');
    const partly = await invoiceOf(invoice);
    assert.deepEqual([partly.state, partly.refundedAmount], ['paid', '2000'], 'a partial refund is recorded; the invoice stays paid');
  });

  it('cannot give back more than is left of the payment, counting refunds still to decide', async () => {
    const pending = await call(finance2, 'POST', '/api/payments/refunds', { paymentId, amount: '6000', reason: 'Duplicate payment' });
    assert.equal(pending.status, 201);
    const tooMuch = await call(finance, 'POST', '/api/payments/refunds', { paymentId, amount: '4001', reason: 'More' });
    assert.equal(tooMuch.status, 400);
    assert.equal(tooMuch.body.errors[0].code, 'refundTooMuch');
    const refused = await call(head, 'POST', `/api/payments/refunds/${pending.body.id}/decision`, { decision: 'refuse' });
    assert.equal(refused.status, 400, 'a refusal says why');
    assert.equal((await call(head, 'POST', `/api/payments/refunds/${pending.body.id}/decision`, { decision: 'refuse', note: 'Not a duplicate' })).body.state, 'refused');
  });

  it('once everything paid is given back, leave the invoice refunded', async () => {
    const rest = await call(finance2, 'POST', '/api/payments/refunds', { paymentId, amount: '10000', reason: 'Application withdrawn before review' });
    assert.equal(rest.status, 201);
    assert.equal((await call(head, 'POST', `/api/payments/refunds/${rest.body.id}/decision`, { decision: 'approve' })).status, 200);
    const refunded = await invoiceOf(invoice);
    assert.deepEqual([refunded.state, refunded.refundedAmount], ['refunded', '12000']);
    const actions = await sql<{ action: string }>`
      SELECT action FROM audit_entries WHERE subject_id = ${invoice.id} ORDER BY id`.execute(app.database.db);
    assert.deepEqual(actions.rows.map((r) => r.action), [
      'payments.open-invoice',
      'payments.record-payment',
      'payments.issue-receipt',
      'payments.request-refund',
      'payments.approve-refund',
      'payments.request-refund',
      'payments.refuse-refund',
      'payments.request-refund',
      'payments.approve-refund',
    ]);
  });
});

describe('the day’s report', () => {
  it('adds up the cash, the transfers and the refunds of the day', async () => {
    const { status, body } = await call(head, 'GET', `/api/payments/reports/daily?agency=commerce&day=${utcDay()}`);
    assert.equal(status, 200, JSON.stringify(body));
    const [djf] = body.currencies;
    assert.deepEqual(djf.received, { 'mobile-money': { count: 0, total: '0' }, 'bank-transfer': { count: 1, total: '12000' }, cash: { count: 2, total: '30000' } });
    assert.deepEqual(djf.receivedTotal, { count: 3, total: '42000' });
    assert.deepEqual(djf.refunds, { count: 2, total: '12000' });
    assert.equal(djf.net, '30000');
    assert.deepEqual([djf.bank.statements, djf.bank.recorded, djf.bank.unexplained], [{ count: 1, total: '12000' }, { count: 1, total: '12000' }, '0']);
    const page = await app.app.inject({ method: 'GET', url: `/payments/reports?day=${utcDay()}`, headers: asSession(head) });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /DJF\s42,000/);
  });
});
