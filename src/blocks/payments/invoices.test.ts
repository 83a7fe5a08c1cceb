import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { findAgencyByCode, findUserByLogin } from '../identity/index.ts';
import { INVOICE_CANCELLED, INVOICE_ISSUED, INVOICE_SETTLED, PAYMENT_RECEIVED, type InvoiceRequest } from './model.ts';
import { watchSettlements } from './payment-fixtures.ts';
import { parseReference } from './reference.ts';

/** What a workflow sees of the payments block: invoices opened once per subject, read back, cancelled. */
let app: TestApp;
let cashier: Session;
let settled: ReturnType<typeof watchSettlements>;
let request: (subjectId: string, amounts?: string[]) => InvoiceRequest;

before(async () => {
  app = await startTestApp();
  [cashier] = await signInDemo(app, 'cashier.trade');
  settled = watchSettlements(app);
  const agency = (await findAgencyByCode(app.database.db, 'commerce'))!;
  const amina = (await findUserByLogin(app.database.db, 'amina'))!;
  request = (subjectId, amounts = ['10000', '2500']) => ({
    agencyId: agency.id,
    subjectType: 'application',
    subjectId,
    purpose: 'fees',
    payer: { partyId: amina.party_id!, userId: amina.id, name: amina.display_name, locale: 'fr' },
    currency: 'DJF',
    decimals: 0,
    lines: amounts.map((amount, i) => ({ id: `line-${i}`, label: { en: `Fee ${i}` }, amount })),
    dueAt: new Date('2027-01-31T00:00:00Z'),
    actor: SYSTEM_ACTOR,
    requestId: null,
  });
});
after(() => app.stop());

const open = (r: InvoiceRequest) => app.database.db.transaction().execute((trx) => app.payments.openInvoice(trx, r));

describe('opening an invoice', () => {
  it('totals its lines exactly and gives it a payment reference and the payer’s page', async () => {
    const invoice = await open(request('11111111-1111-4111-8111-111111111111'));
    assert.deepEqual([invoice.state, invoice.amount, invoice.paidAmount, invoice.currency], ['open', '12500', '0', 'DJF']);
    assert.match(invoice.reference, /^RF\d\d \d{4} \d{4} \d{4}$/);
    assert.ok(parseReference(invoice.reference));
    assert.equal(invoice.payPath, `/pay/${invoice.id}`);
  });

  it('is idempotent: the same subject and purpose give the same invoice, however often asked', async () => {
    const first = await open(request('22222222-2222-4222-8222-222222222222'));
    const again = await open(request('22222222-2222-4222-8222-222222222222', ['1']));
    assert.equal(again.id, first.id);
    assert.equal(again.amount, '12500');
    const listed = await app.payments.invoicesFor(app.database.db, 'application', '22222222-2222-4222-8222-222222222222');
    assert.deepEqual(listed.map((i) => i.id), [first.id]);
  });

  it('keeps amounts exact in currencies with decimals', async () => {
    const invoice = await open({ ...request('33333333-3333-4333-8333-333333333333', ['0.10', '0.20']), currency: 'EUR', decimals: 2 });
    assert.equal(invoice.amount, '0.30');
  });

  it('refuses amounts with more decimals than the invoice has, and nonsense currencies', async () => {
    await assert.rejects(open(request('44444444-4444-4444-8444-444444444444', ['12.5'])), /at most 0 decimals/);
    await assert.rejects(open({ ...request('44444444-4444-4444-8444-444444444444'), currency: 'dj' }), /ISO 4217/);
  });

  it('settles a zero invoice at once: there is nothing to wait for', async () => {
    const invoice = await open(request('55555555-5555-4555-8555-555555555555', ['0']));
    assert.equal(invoice.state, 'paid');
    await app.jobs.drain();
    assert.deepEqual(settled.filter((s) => s.invoiceId === invoice.id), [{ invoiceId: invoice.id, subjectType: 'application', subjectId: '55555555-5555-4555-8555-555555555555', purpose: 'fees' }]);
  });
});

describe('cancelling the invoices of a subject', () => {
  it('cancels what is open, audited, and the cancelled invoice takes no more money', async () => {
    const invoice = await open(request('66666666-6666-4666-8666-666666666666'));
    await app.database.db.transaction().execute((trx) => app.payments.cancelOpenInvoices(trx, 'application', '66666666-6666-4666-8666-666666666666', 'application withdrawn', SYSTEM_ACTOR));
    const [cancelled] = await app.payments.invoicesFor(app.database.db, 'application', '66666666-6666-4666-8666-666666666666');
    assert.equal(cancelled!.state, 'cancelled');
    const audit = await sql<{ action: string }>`SELECT action FROM audit_entries WHERE subject_id = ${invoice.id} ORDER BY id`.execute(app.database.db);
    assert.deepEqual(audit.rows.map((r) => r.action), ['payments.open-invoice', 'payments.cancel-invoice']);
    const cash = await app.app.inject({ method: 'POST', url: '/api/payments/cash', headers: asSession(cashier), payload: { invoiceId: invoice.id, tendered: '12500' } });
    assert.equal(cash.statusCode, 409);
  });
});

describe('what the block tells other blocks', () => {
  it('announces each invoice issued, payment received, settlement and cancellation once, with its amount, currency and time', async () => {
    const seen: Record<string, unknown>[] = [];
    for (const event of [INVOICE_ISSUED, PAYMENT_RECEIVED, INVOICE_SETTLED, INVOICE_CANCELLED]) {
      app.jobs.subscribe<Record<string, unknown>>(event, `test.watch-${randomUUID()}`, async (e) => void seen.push(e));
    }
    const paidFor = '77777777-7777-4777-8777-777777777777';
    const paid = await open(request(paidFor));
    const cash = await app.app.inject({ method: 'POST', url: '/api/payments/cash', headers: asSession(cashier), payload: { invoiceId: paid.id, tendered: '13000' } });
    assert.equal(cash.statusCode, 201, cash.body);
    const cancelledFor = '88888888-8888-4888-8888-888888888888';
    const cancelled = await open(request(cancelledFor));
    await app.database.db.transaction().execute((trx) => app.payments.cancelOpenInvoices(trx, 'application', cancelledFor, 'application refused', SYSTEM_ACTOR));
    await open(request(paidFor));
    await app.jobs.drain();
    const about = (invoiceId: string, subjectId: string) => ({ invoiceId, subjectType: 'application', subjectId, purpose: 'fees', currency: 'DJF' });
    // The queue runs jobs concurrently, so they arrive in any order: compared as sets.
    const sorted = (events: Record<string, unknown>[]) => events.map((e) => JSON.stringify(e, Object.keys(e).sort())).sort();
    const shape = seen.map(({ at, paymentId, agencyId, ...rest }) => {
      assert.ok(!Number.isNaN(Date.parse(at as string)), `a time: ${String(at)}`);
      return rest;
    });
    assert.deepEqual(sorted(shape), sorted([
      { event: INVOICE_ISSUED, ...about(paid.id, paidFor), amount: '12500' },
      { event: PAYMENT_RECEIVED, ...about(paid.id, paidFor), method: 'cash', amount: '12500' },
      { event: INVOICE_SETTLED, ...about(paid.id, paidFor), amount: '12500' },
      { event: INVOICE_ISSUED, ...about(cancelled.id, cancelledFor), amount: '12500' },
      { event: INVOICE_CANCELLED, ...about(cancelled.id, cancelledFor), amount: '12500', paid: '0' },
    ]), 'opening the same invoice again announces nothing');
  });
});
