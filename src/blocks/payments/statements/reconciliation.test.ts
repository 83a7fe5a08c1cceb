import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../../test/support/app.ts';
import { assertProblem, openForm, postForm, postMultipart } from '../../../../test/support/http.ts';
import { createPaymentAccounts, openTestInvoice, uploadStatement, watchSettlements, type TestInvoice } from '../payment-fixtures.ts';

/**
 * Bank transfers reach us on the bank's statements. A finance officer uploads one (CSV or
 * camt.053), Daftari proposes what each credit pays, the officer accepts or resolves, and the
 * day's report sums to the statements.
 */
const fixture = (name: string, refs: Record<string, string>) =>
  fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8').replace(/\{\{(\w+)\}\}/g, (_m, key: string) => refs[key]!);

let app: TestApp;
let finance: Session;
let settled: ReturnType<typeof watchSettlements>;
const invoices: Record<'exact' | 'under' | 'over' | 'structured', TestInvoice> = {} as never;

before(async () => {
  app = await startTestApp();
  await createPaymentAccounts(app);
  [finance] = await signInDemo(app, 'finance.trade');
  settled = watchSettlements(app);
  invoices.exact = await openTestInvoice(app, { amount: '15000' });
  invoices.under = await openTestInvoice(app, { amount: '10000', payer: 'omar.architect' });
  invoices.over = await openTestInvoice(app, { amount: '10000' });
  invoices.structured = await openTestInvoice(app, { amount: '20000' });
});
after(() => app.stop());

const csv = () => fixture('statement.csv', { exact: invoices.exact.reference, under: invoices.under.electronic, over: invoices.over.reference });

async function api(method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await app.app.inject({ method, url, headers: asSession(finance), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.json<Record<string, any>>() };
}

const invoice = async (i: TestInvoice) => (await api('GET', `/api/payments/invoices/${i.id}`)).body;
const counts = async () => {
  const { rows } = await sql<{ statements: number; lines: number; payments: number; audit: number }>`
    SELECT (SELECT count(*)::int FROM payments_statements) AS statements, (SELECT count(*)::int FROM payments_statement_lines) AS lines,
           (SELECT count(*)::int FROM payments_payments) AS payments, (SELECT count(*)::int FROM audit_entries) AS audit`.execute(app.database.db);
  return rows[0]!;
};

describe('a statement with a bad line', () => {
  it('is refused line by line, and changes nothing', async () => {
    const before = await counts();
    const bad = `${csv().trimEnd()}\n2026-11-31,100,DJF,x,BCD-BAD-1,Someone\n2026-11-20,12.5,DJF,y,BCD-BAD-2,Someone\n2026-11-20,100,XX,z,,Someone\n`;
    const response = await uploadStatement(app, asSession(finance), bad);
    const problem = assertProblem(response, 400);
    assert.deepEqual(
      problem.errors!.map((e) => e.pointer),
      ['/file/lines/7/date', '/file/lines/8/amount', '/file/lines/9/currency', '/file/lines/9/transaction_id'],
    );
    assert.deepEqual(await counts(), before);
  });

  it('is refused when it is no statement at all: the wrong header, binary, or XML that is not camt.053', async () => {
    assertProblem(await uploadStatement(app, asSession(finance), 'when,how much\n2026-11-20,5\n'), 400);
    assertProblem(await uploadStatement(app, asSession(finance), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1])), 400);
    assertProblem(await uploadStatement(app, asSession(finance), '<?xml version="1.0"?><Invoice/>', 'x.xml'), 400);
    assertProblem(await uploadStatement(app, asSession(finance), '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>', 'x.xml'), 400);
  });
});

describe('a CSV statement', () => {
  let statementId: string;

  it('is stored with a proposal per line: exact, under, over, and unmatched (unknown reference, or none)', async () => {
    const response = await uploadStatement(app, asSession(finance), csv());
    assert.equal(response.statusCode, 201, response.body);
    const imported = response.json<{ id: string; counts: Record<string, number> }>();
    statementId = imported.id;
    assert.deepEqual(imported.counts, { exact: 1, under: 1, over: 1, unmatched: 2, duplicate: 0 });
    const { body } = await api('GET', `/api/payments/statements/${statementId}`);
    assert.deepEqual(
      body.entries.map((e: Record<string, unknown>) => [e.line, e.proposal, e.invoiceId]),
      [
        [1, 'exact', invoices.exact.id],
        [2, 'under', invoices.under.id],
        [3, 'over', invoices.over.id],
        [4, 'unmatched', null],
        [5, 'unmatched', null],
      ],
    );
    assert.equal((await invoice(invoices.exact)).state, 'open', 'nothing is paid before a finance officer accepts');
  });

  it('imported again, is all duplicates: every bank transaction is recorded once', async () => {
    const response = await uploadStatement(app, asSession(finance), csv());
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(response.json<{ counts: unknown }>().counts, { exact: 0, under: 0, over: 0, unmatched: 0, duplicate: 5 });
  });

  it('accepted, records the exact and partial payments with receipts, and settles the invoice paid in full', async () => {
    const { status, body } = await api('POST', `/api/payments/statements/${statementId}/accept`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body, { recorded: 2, toReview: 3 });
    const exact = await invoice(invoices.exact);
    assert.equal(exact.state, 'paid');
    assert.equal(exact.payments[0].method, 'bank-transfer');
    assert.equal(exact.payments[0].receivedOn, '2026-11-20', 'a transfer counts on the day the bank booked it');
    assert.match(exact.payments[0].receipt.number, /^COMMERCE-\d{4}-\d{6}$/);
    const under = await invoice(invoices.under);
    assert.deepEqual([under.state, under.paidAmount, under.outstanding], ['partly-paid', '4000', '6000']);
    await app.jobs.drain();
    assert.deepEqual(settled.map((s) => s.invoiceId), [invoices.exact.id]);
  });

  it('leaves the over-payment for the officer, who pays it to its invoice: the excess stays to refund', async () => {
    const { body: statement } = await api('GET', `/api/payments/statements/${statementId}`);
    const over = statement.entries.find((e: { line: number }) => e.line === 3);
    assert.equal(over.status, 'pending');
    const { status, body } = await api('POST', `/api/payments/statements/${statementId}/lines/${over.id}/resolution`, { action: 'assign', reference: invoices.over.reference.toLowerCase() });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.status, 'recorded');
    const paid = await invoice(invoices.over);
    assert.deepEqual([paid.state, paid.paidAmount, paid.outstanding], ['paid', '12000', '0']);
  });

  it('sets unmatched lines aside as not ours or to refund, each with a note, and refuses a reference with a wrong digit', async () => {
    const { body: statement } = await api('GET', `/api/payments/statements/${statementId}`);
    const [unknown, noReference] = statement.entries.filter((e: { proposal: string }) => e.proposal === 'unmatched');
    const typo = `${invoices.structured.electronic.slice(0, -1)}${(Number(invoices.structured.electronic.at(-1)) + 1) % 10}`;
    const refused = await api('POST', `/api/payments/statements/${statementId}/lines/${unknown.id}/resolution`, { action: 'assign', reference: typo });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].pointer, '/body/reference');
    assert.equal((await api('POST', `/api/payments/statements/${statementId}/lines/${unknown.id}/resolution`, { action: 'not-ours' })).status, 400, 'a note is required');
    assert.equal((await api('POST', `/api/payments/statements/${statementId}/lines/${unknown.id}/resolution`, { action: 'not-ours', note: 'For the port authority' })).body.status, 'not-ours');
    assert.equal((await api('POST', `/api/payments/statements/${statementId}/lines/${noReference.id}/resolution`, { action: 'refund-due', note: 'No invoice; payer to be called' })).body.status, 'refund-due');
    const again = await api('POST', `/api/payments/statements/${statementId}/lines/${statement.entries[0].id}/resolution`, { action: 'not-ours', note: 'oops' });
    assert.equal(again.status, 409, 'a recorded line stays recorded');
  });
});

describe('a camt.053 statement, uploaded through the page', () => {
  it('skips debits, reads structured and free references and batched transactions, and knows the lines already imported', async () => {
    const xml = fixture('statement.camt053.xml', { exact: invoices.exact.reference, structured: invoices.structured.electronic, underLower: invoices.under.reference.toLowerCase() });
    const { jar, csrf } = await openForm(app, '/payments/statements', finance.jar);
    const response = await postMultipart(app, jar, '/payments/statements', [{ name: '_csrf', value: csrf }, { name: 'file', file: { name: 'releve.xml', content: xml, type: 'application/xml' } }]);
    assert.equal(response.statusCode, 303, response.body);
    const page = await app.app.inject({ method: 'GET', url: response.headers.location!, headers: { cookie: jar.header() } });
    assert.equal(page.statusCode, 200);
    const statementId = response.headers.location!.split('/').pop()!;
    const { body } = await api('GET', `/api/payments/statements/${statementId}`);
    assert.equal(body.skippedDebits, 1);
    assert.deepEqual(
      body.entries.map((e: Record<string, unknown>) => [e.bankTransactionId, e.amount, e.proposal]),
      [
        ['BCD-20261120-0001', '15000', 'duplicate'],
        ['BCD-20261121-0006', '20000', 'exact'],
        ['BCD-20261121-0008-1', '6000', 'exact'],
        ['BCD-20261121-0008-2', '5000', 'unmatched'],
      ],
    );
    const accepted = await postForm(app, jar, `/payments/statements/${statementId}/accept`, { _csrf: csrf });
    assert.equal(accepted.statusCode, 303, accepted.body);
    assert.equal((await invoice(invoices.structured)).state, 'paid');
    assert.deepEqual([(await invoice(invoices.under)).state, (await invoice(invoices.under)).paidAmount], ['paid', '10000']);
  });
});

describe('the daily report', () => {
  it('sums to the statements: transfers recorded, plus the lines set aside or still to review', async () => {
    const day20 = (await api('GET', '/api/payments/reports/daily?agency=commerce&day=2026-11-20')).body.currencies[0];
    assert.deepEqual(day20.bank, {
      statements: { count: 5, total: '34200' },
      recorded: { count: 3, total: '31000' },
      pending: { count: 0, total: '0' },
      refundDue: { count: 1, total: '700' },
      notOurs: { count: 1, total: '2500' },
      unexplained: '0',
    });
    assert.deepEqual(day20.received['bank-transfer'], { count: 3, total: '31000' });
    const day21 = (await api('GET', '/api/payments/reports/daily?agency=commerce&day=2026-11-21')).body.currencies[0];
    assert.deepEqual([day21.bank.statements, day21.received['bank-transfer'], day21.bank.pending, day21.bank.unexplained], [{ count: 3, total: '31000' }, { count: 2, total: '26000' }, { count: 1, total: '5000' }, '0']);
    const csvReport = await app.app.inject({ method: 'GET', url: '/api/payments/reports/daily.csv?agency=commerce&day=2026-11-20', headers: asSession(finance) });
    assert.equal(csvReport.statusCode, 200);
    assert.match(csvReport.headers['content-type'] as string, /^text\/csv/);
    assert.match(csvReport.body, /^day,agency,currency,item,count,amount\n/);
    assert.match(csvReport.body, /2026-11-20,commerce,DJF,statements:total,5,34200\n/);
    assert.match(csvReport.body, /2026-11-20,commerce,DJF,statements:unexplained,,0\n/);
  });
});
