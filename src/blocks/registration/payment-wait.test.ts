import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { MARKET_STALL, text } from '../../../test/support/registration-fixtures.ts';
import { INVOICE_SETTLED } from '../payments/index.ts';
import { uploadStatement } from '../payments/payment-fixtures.ts';
import { publishDefinition } from './index.ts';

/**
 * A workflow that waits for the fees: entering a `payment` state opens one invoice for the
 * application's fee lines, and the case moves on by itself once the payments block says it is
 * paid, by whatever way it was paid. A stall fee by market: the harbour market costs nothing.
 */
const PAID_STALL = {
  ...MARKET_STALL,
  id: 'paid-stall',
  fees: {
    currency: 'DJF',
    decimals: 0,
    tables: { marketFee: { central: 4000, harbour: 0 } },
    items: [{ id: 'stall', label: text('Stall fee'), amount: 'lookup(marketFee, market)' }],
  },
  workflow: {
    initial: 'check',
    withdrawableFrom: ['payment'],
    states: [
      { id: 'check', label: text('Check'), actions: [{ id: 'accept', label: text('Accept'), to: 'payment' }] },
      { id: 'payment', label: text('Waiting for the fee'), pausesClock: true, payment: { whenPaid: 'decision', dueDays: 10 } },
      { id: 'decision', label: text('Decision'), assignee: { role: 'agency-head' }, actions: [{ id: 'approve', label: text('Grant'), to: 'granted' }] },
      { id: 'granted', label: text('Granted'), outcome: 'granted' },
      { id: 'withdrawn', label: text('Withdrawn'), outcome: 'withdrawn' },
    ],
  },
};

let app: TestApp;
let amina: Session;
let officer: Session;
let finance: Session;
let cashier: Session;

before(async () => {
  app = await startTestApp();
  await publishDefinition(app.database.db, app.jobs, { data: PAID_STALL }, null, 'test');
  [amina, officer, finance, cashier] = await signInDemo(app, 'amina', 'officer.trade', 'finance.trade', 'cashier.trade');
});
after(() => app.stop());

async function call(session: Session, method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await app.app.inject({ method, url, headers: asSession(session), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: JSON.parse(response.body || '{}') };
}

/** Amina applies and the officer accepts, so the case enters the payment state. */
async function caseWaitingForFees(market: 'central' | 'harbour' = 'central') {
  const applied = await call(amina, 'POST', '/api/registration/applications', { serviceId: 'paid-stall', data: { stallName: 'Chez Amina', market, cooking: false }, idempotencyKey: randomUUID() });
  assert.equal(applied.status, 201, JSON.stringify(applied.body));
  const accepted = await call(officer, 'POST', `/api/workflow/cases/${applied.body.id}/actions/accept`, { expectedState: 'check' });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  await app.jobs.drain();
  return (await call(amina, 'GET', `/api/registration/applications/${applied.body.id}`)).body;
}

describe('a case that waits for its fees', () => {
  it('opens one invoice for the fee lines, with a checkable reference, and waits with the clock paused', async () => {
    const waiting = await caseWaitingForFees();
    assert.equal(waiting.state.id, 'payment');
    assert.equal(waiting.clockPaused, true);
    assert.equal(waiting.invoices.length, 1);
    const [invoice] = waiting.invoices;
    assert.equal(invoice.state, 'open');
    assert.equal(invoice.amount, '4000');
    assert.equal(invoice.currency, 'DJF');
    assert.match(invoice.reference, /^RF\d\d( [0-9A-Z]{1,4})+$/);
    assert.equal(invoice.payPath, `/pay/${invoice.id}`);
    const officerSees = await call(officer, 'GET', `/api/registration/applications/${waiting.id}`);
    assert.equal(officerSees.body.invoices[0].id, invoice.id, 'the officers working the case see the invoice too');
  });

  it('moves on to the decision once paid by bank transfer, recorded as paid in its history', async () => {
    const waiting = await caseWaitingForFees();
    const [invoice] = waiting.invoices;
    const statement = `date,amount,currency,reference,transaction_id,payer_name\n2026-11-23,4000,DJF,${invoice.reference},BANK-${randomUUID()},Amina Said\n`;
    const uploaded = await uploadStatement(app, asSession(finance), statement);
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    const accepted = await call(finance, 'POST', `/api/payments/statements/${JSON.parse(uploaded.body).id}/accept`);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    await app.jobs.drain();
    const paid = (await call(amina, 'GET', `/api/registration/applications/${waiting.id}`)).body;
    assert.equal(paid.state.id, 'decision');
    assert.equal(paid.invoices[0].state, 'paid');
    assert.equal(paid.clockPaused, false, 'the clock runs again');
    assert.deepEqual(paid.history.at(-1), { ...paid.history.at(-1), kind: 'payment-received', from: 'payment', to: 'decision', inputs: { invoice: invoice.id } });
  });

  it('moves on once, however often the payments block says so', async () => {
    const waiting = await caseWaitingForFees();
    const paid = await call(cashier, 'POST', '/api/payments/cash', { invoiceId: waiting.invoices[0].id, tendered: '5000' });
    assert.equal(paid.status, 201, JSON.stringify(paid.body));
    assert.equal(paid.body.change, '1000');
    await app.jobs.drain();
    // The same settlement told again (a redelivered event) finds the case no longer waiting.
    await app.database.db.transaction().execute((trx) => app.jobs.emit(trx, INVOICE_SETTLED, { invoiceId: waiting.invoices[0].id, subjectType: 'application', subjectId: waiting.id, purpose: 'fees' }, { dedupeKey: `again-${randomUUID()}` }));
    await app.jobs.drain();
    const after = (await call(amina, 'GET', `/api/registration/applications/${waiting.id}`)).body;
    assert.equal(after.state.id, 'decision');
    assert.equal(after.history.filter((e: { kind: string }) => e.kind === 'payment-received').length, 1);
    assert.equal((await app.jobs.stats()).dead, 0);
  });

  it('does not wait when the answers make the fees nothing', async () => {
    const free = await caseWaitingForFees('harbour');
    await app.jobs.drain();
    const moved = (await call(amina, 'GET', `/api/registration/applications/${free.id}`)).body;
    assert.equal(moved.state.id, 'decision');
    assert.deepEqual(moved.invoices, []);
  });

  it('cancels the open invoice when the applicant withdraws', async () => {
    const waiting = await caseWaitingForFees();
    const withdrawn = await call(amina, 'POST', `/api/registration/applications/${waiting.id}/withdraw`, { reason: 'I found another stall' });
    assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
    const after = (await call(amina, 'GET', `/api/registration/applications/${waiting.id}`)).body;
    assert.equal(after.invoices[0].state, 'cancelled');
    const cash = await call(cashier, 'POST', '/api/payments/cash', { invoiceId: waiting.invoices[0].id, tendered: '4000' });
    assert.equal(cash.status, 409, 'a cancelled invoice takes no more money');
  });

  it('refuses a definition that waits for payment without fees, or moves on to itself', async () => {
    const [admin] = await signInDemo(app, 'admin');
    const { fees: _fees, ...noFees } = PAID_STALL;
    const unpaid = await call(admin, 'POST', '/api/registration/definitions', { ...noFees, id: 'unpaid-stall' });
    assert.equal(unpaid.status, 400, JSON.stringify(unpaid.body));
    assert.deepEqual(unpaid.body.errors.map((e: { pointer: string }) => e.pointer), ['/workflow/states/1/payment']);
    const states = PAID_STALL.workflow.states.map((s) => (s.id === 'payment' ? { ...s, payment: { whenPaid: 'payment' } } : s));
    const looping = await call(admin, 'POST', '/api/registration/definitions', { ...PAID_STALL, id: 'looping-stall', workflow: { ...PAID_STALL.workflow, states } });
    assert.equal(looping.status, 400, JSON.stringify(looping.body));
    assert.ok(looping.body.errors.some((e: { pointer: string }) => e.pointer === '/workflow/states/1/payment/whenPaid'), JSON.stringify(looping.body.errors));
  });
});
