import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { startMobileMoneySimulator, type Simulator } from '../../simulators/index.ts';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { documentedRoutes, PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { multipartBody } from '../../../test/support/registration-fixtures.ts';
import { utcDay } from './days.ts';
import { createPaymentAccounts, openTestInvoice, type TestInvoice } from './payment-fixtures.ts';

/**
 * Who may call each payment route. The record in question is Amina's invoice of the Ministry of
 * Trade (or a payment, statement or refund of that ministry), so the columns are:
 */
const CALLERS = {
  anonymous: null,
  payer: 'amina',
  'other citizen': 'zara',
  /** an officer of Trade without a payments role */
  officer: 'officer.trade',
  cashier: 'cashier.trade',
  finance: 'finance.trade',
  head: 'head.trade',
  'other cashier': 'cashier.urban',
  'other finance': 'finance.urban',
  auditor: 'auditor',
  admin: 'admin',
} as const;
type Caller = keyof typeof CALLERS;
const COLUMNS = Object.keys(CALLERS) as Caller[];
type Statuses = { [K in keyof typeof CALLERS]: number };

interface Call {
  method: 'GET' | 'POST';
  url: string;
  json?: object;
  multipart?: { name: string; fileName?: string; content: string }[];
}

interface Row {
  route: string;
  access: string;
  what?: string;
  expect: Statuses;
  /** Made afresh for each caller, so a call that changes something leaves the next one unaffected. */
  call: () => Promise<Call> | Call;
}

/** Statuses in the order of CALLERS. */
function statuses(...list: number[]): Statuses {
  assert.equal(list.length, COLUMNS.length);
  return Object.fromEntries(COLUMNS.map((c, i) => [c, list[i]])) as Statuses;
}

const STAFF = 'roles: cashier, finance-officer, agency-head, auditor';
const PAYER_OR_STAFF = 'roles: citizen, cashier, finance-officer, agency-head, auditor';
const FINANCE_READERS = 'roles: finance-officer, agency-head, auditor';
const FINANCE = 'roles: finance-officer';
const DECIDERS = 'roles: finance-officer, agency-head';
const CASHIERS = 'roles: cashier';
const CITIZENS = 'roles: citizen';

let simulator: Simulator;
let app: TestApp;
const sessions = new Map<string, Session>();
let invoice: TestInvoice;
let receiptPdf: string;

async function as(who: string, method: 'GET' | 'POST', url: string, json?: object): Promise<Record<string, any>> {
  const response = await app.app.inject({ method, url, headers: asSession(sessions.get(who)!), ...(json ? { payload: json } : {}) });
  assert.ok(response.statusCode < 300, `${method} ${url} as ${who}: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** A statement of Trade with one line to review (an unknown reference). */
async function statementToReview(): Promise<{ id: string; lineId: string }> {
  const csv = `date,amount,currency,reference,transaction_id,payer_name\n${utcDay()},500,DJF,no reference,SCOPE-${randomUUID()},Someone\n`;
  const { contentType, payload } = multipartBody([{ name: 'file', fileName: 's.csv', content: csv }]);
  const response = await app.app.inject({ method: 'POST', url: '/api/payments/statements', headers: { ...asSession(sessions.get('finance.trade')!), 'content-type': contentType }, payload });
  const id = response.json<{ id: string }>().id;
  const statement = await as('finance.trade', 'GET', `/api/payments/statements/${id}`);
  return { id, lineId: statement.entries[0].id };
}

/** A payment of Trade, taken in cash by its cashier. */
async function payment(): Promise<string> {
  const paid = await openTestInvoice(app, { amount: '1000' });
  return (await as('cashier.trade', 'POST', '/api/payments/cash', { invoiceId: paid.id, tendered: '1000' })).paymentId;
}

/** A refund of a Trade payment, asked for by finance.trade. */
async function refund(): Promise<string> {
  return (await as('finance.trade', 'POST', '/api/payments/refunds', { paymentId: await payment(), amount: '100', reason: 'Overcharged' })).id;
}

const csvFile = () => [{ name: 'agency', content: 'commerce' }, { name: 'file', fileName: 's.csv', content: `date,amount,currency,reference,transaction_id,payer_name\n${utcDay()},100,DJF,x,SCOPE-${randomUUID()},Someone\n` }];

const ROWS: Row[] = [
  { route: 'POST /payments/callbacks/mobile-money', access: 'public', what: 'without the provider’s signature', expect: statuses(401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401), call: () => ({ method: 'POST', url: '/payments/callbacks/mobile-money', json: { id: 'mm_1', status: 'completed', reference: invoice.electronic, amount: '15000', currency: 'DJF' } }) },
  { route: 'GET /api/payments/invoices', access: STAFF, what: 'of Trade', expect: statuses(401, 403, 403, 403, 200, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: '/api/payments/invoices?agency=commerce' }) },
  { route: 'GET /api/payments/invoices/:id', access: PAYER_OR_STAFF, expect: statuses(401, 200, 404, 403, 200, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: `/api/payments/invoices/${invoice.id}` }) },
  { route: 'GET /api/payments/invoices/by-reference/:reference', access: PAYER_OR_STAFF, expect: statuses(401, 200, 404, 403, 200, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: `/api/payments/invoices/by-reference/${encodeURIComponent(invoice.reference)}` }) },
  { route: 'POST /api/payments/invoices/:id/mobile-money', access: CITIZENS, expect: statuses(401, 201, 404, 403, 403, 403, 403, 403, 403, 403, 403), call: () => ({ method: 'POST', url: `/api/payments/invoices/${invoice.id}/mobile-money`, json: { phone: '+25377120000' } }) },
  { route: 'POST /api/payments/statements', access: FINANCE, what: 'for Trade', expect: statuses(401, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403), call: () => ({ method: 'POST', url: '/api/payments/statements', multipart: csvFile() }) },
  { route: 'GET /api/payments/statements', access: FINANCE_READERS, expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 200, 200, 403), call: () => ({ method: 'GET', url: '/api/payments/statements' }) },
  { route: 'GET /api/payments/statements/:id', access: FINANCE_READERS, expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 403, 200, 403), call: async () => ({ method: 'GET', url: `/api/payments/statements/${(await statementToReview()).id}` }) },
  { route: 'POST /api/payments/statements/:id/accept', access: FINANCE, expect: statuses(401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: `/api/payments/statements/${(await statementToReview()).id}/accept` }) },
  {
    route: 'POST /api/payments/statements/:id/lines/:lineId/resolution',
    access: FINANCE,
    expect: statuses(401, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403),
    call: async () => {
      const { id, lineId } = await statementToReview();
      return { method: 'POST', url: `/api/payments/statements/${id}/lines/${lineId}/resolution`, json: { action: 'refund-due', note: 'No invoice' } };
    },
  },
  { route: 'POST /api/payments/cash', access: CASHIERS, expect: statuses(401, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: '/api/payments/cash', json: { invoiceId: (await openTestInvoice(app, { amount: '500' })).id, tendered: '500' } }) },
  { route: 'POST /api/payments/cash/close-outs', access: CASHIERS, what: 'with a count that cannot be right, so the day stays open', expect: statuses(401, 403, 403, 403, 400, 403, 403, 403, 403, 403, 403), call: () => ({ method: 'POST', url: '/api/payments/cash/close-outs', json: { agency: 'commerce', counted: [{ currency: 'DJF', amount: '12.345' }] } }) },
  { route: 'GET /api/payments/refunds', access: FINANCE_READERS, expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 200, 200, 403), call: () => ({ method: 'GET', url: '/api/payments/refunds' }) },
  { route: 'POST /api/payments/refunds', access: FINANCE, expect: statuses(401, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: '/api/payments/refunds', json: { paymentId: await payment(), amount: '100', reason: 'Overcharged' } }) },
  { route: 'POST /api/payments/refunds/:id/decision', access: DECIDERS, what: 'asked for by finance.trade', expect: statuses(401, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: `/api/payments/refunds/${await refund()}/decision`, json: { decision: 'approve' } }) },
  { route: 'GET /api/payments/reports/daily', access: FINANCE_READERS, what: 'of Trade', expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: '/api/payments/reports/daily?agency=commerce' }) },
  { route: 'GET /api/payments/reports/daily.csv', access: FINANCE_READERS, what: 'of Trade', expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: '/api/payments/reports/daily.csv?agency=commerce' }) },
  { route: 'GET /payments/receipts/:id.pdf', access: PAYER_OR_STAFF, expect: statuses(401, 200, 404, 403, 200, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: receiptPdf }) },
  { route: 'GET /pay/:id', access: PAYER_OR_STAFF, expect: statuses(401, 200, 404, 403, 200, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: `/pay/${invoice.id}` }) },
  { route: 'POST /pay/:id/mobile-money', access: CITIZENS, expect: statuses(401, 303, 404, 403, 403, 403, 403, 403, 403, 403, 403), call: () => ({ method: 'POST', url: `/pay/${invoice.id}/mobile-money`, json: { phone: '+25377120000' } }) },
  { route: 'GET /payments', access: STAFF, what: 'of Trade', expect: statuses(401, 403, 403, 403, 200, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: '/payments?agency=commerce' }) },
  { route: 'GET /payments/invoices/:id', access: STAFF, expect: statuses(401, 403, 403, 403, 200, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: `/payments/invoices/${invoice.id}` }) },
  { route: 'POST /payments/refunds', access: FINANCE, expect: statuses(401, 403, 403, 403, 403, 303, 403, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: '/payments/refunds', json: { paymentId: await payment(), amount: '100', reason: 'Overcharged' } }) },
  { route: 'GET /payments/refunds', access: FINANCE_READERS, expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 200, 200, 403), call: () => ({ method: 'GET', url: '/payments/refunds' }) },
  { route: 'POST /payments/refunds/:id/decision', access: DECIDERS, what: 'asked for by finance.trade', expect: statuses(401, 403, 403, 403, 403, 403, 303, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: `/payments/refunds/${await refund()}/decision`, json: { decision: 'approve' } }) },
  { route: 'GET /payments/cash', access: CASHIERS, expect: statuses(401, 403, 403, 403, 200, 403, 403, 200, 403, 403, 403), call: () => ({ method: 'GET', url: '/payments/cash' }) },
  { route: 'POST /payments/cash', access: CASHIERS, expect: statuses(401, 403, 403, 403, 303, 403, 403, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: '/payments/cash', json: { invoiceId: (await openTestInvoice(app, { amount: '500' })).id, tendered: '500' } }) },
  { route: 'POST /payments/cash/close', access: CASHIERS, what: 'with a count that cannot be right, so the day stays open', expect: statuses(401, 403, 403, 403, 400, 403, 403, 403, 403, 403, 403), call: () => ({ method: 'POST', url: '/payments/cash/close', json: { agency: 'commerce', currency: 'DJF', counted: '12.345' } }) },
  { route: 'GET /payments/reports', access: FINANCE_READERS, what: 'of Trade', expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 403, 200, 403), call: () => ({ method: 'GET', url: '/payments/reports?agency=commerce' }) },
  { route: 'GET /payments/statements', access: FINANCE_READERS, expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 200, 200, 403), call: () => ({ method: 'GET', url: '/payments/statements' }) },
  { route: 'POST /payments/statements', access: FINANCE, what: 'for Trade', expect: statuses(401, 403, 403, 403, 403, 303, 403, 403, 403, 403, 403), call: () => ({ method: 'POST', url: '/payments/statements', multipart: csvFile() }) },
  { route: 'GET /payments/statements/:id', access: FINANCE_READERS, expect: statuses(401, 403, 403, 403, 403, 200, 200, 403, 403, 200, 403), call: async () => ({ method: 'GET', url: `/payments/statements/${(await statementToReview()).id}` }) },
  { route: 'POST /payments/statements/:id/accept', access: FINANCE, expect: statuses(401, 403, 403, 403, 403, 303, 403, 403, 403, 403, 403), call: async () => ({ method: 'POST', url: `/payments/statements/${(await statementToReview()).id}/accept`, json: {} }) },
  {
    route: 'POST /payments/statements/:id/lines/:lineId',
    access: FINANCE,
    expect: statuses(401, 403, 403, 403, 403, 303, 403, 403, 403, 403, 403),
    call: async () => {
      const { id, lineId } = await statementToReview();
      return { method: 'POST', url: `/payments/statements/${id}/lines/${lineId}`, json: { action: 'not-ours', note: 'Port authority' } };
    },
  },
];

before(async () => {
  const secret = randomBytes(24).toString('base64url');
  simulator = await startMobileMoneySimulator({ secret });
  app = await startTestApp({ env: { MOBILE_MONEY_URL: simulator.url, MOBILE_MONEY_SECRET: secret } });
  await createPaymentAccounts(app);
  const people = Object.values(CALLERS).filter((who): who is Exclude<typeof who, null> => who !== null);
  (await signInDemo(app, ...people)).forEach((session, i) => sessions.set(people[i]!, session));
  invoice = await openTestInvoice(app);
  const paid = await openTestInvoice(app, { amount: '2000' });
  await as('cashier.trade', 'POST', '/api/payments/cash', { invoiceId: paid.id, tendered: '2000' });
  await app.jobs.drain();
  receiptPdf = (await as('amina', 'GET', `/api/payments/invoices/${paid.id}`)).payments[0].receipt.pdf;
});
after(async () => {
  await app?.stop();
  await simulator?.close();
});

async function send(who: string | null, call: Call): Promise<LightMyRequestResponse> {
  const headers = who ? asSession(sessions.get(who)!) : {};
  if (call.multipart) {
    const { contentType, payload } = multipartBody(call.multipart);
    return app.app.inject({ method: call.method, url: call.url, headers: { ...headers, 'content-type': contentType }, payload });
  }
  return app.app.inject({ method: call.method, url: call.url, headers, ...(call.json ? { payload: call.json } : {}) });
}

it('has a row for every payment route, with the access rule the route declares', () => {
  assert.deepEqual(new Map(ROWS.map((r) => [r.route, r.access])), documentedRoutes(app.app.swagger(), PERMISSION_TABLES['src/blocks/payments/routes.scopes.test.ts']));
});

for (const row of ROWS) {
  describe(`${row.route}${row.what ? ` (${row.what})` : ''}`, () => {
    for (const caller of COLUMNS) {
      const status = row.expect[caller];
      it(`${caller} → ${status}`, async () => {
        const response = await send(CALLERS[caller], await row.call());
        // A page answers a refused form with the form again (HTML); every other refusal is problem+json.
        if (status >= 400 && !String(response.headers['content-type']).startsWith('text/html')) assertProblem(response, status);
        else assert.equal(response.statusCode, status, response.body.slice(0, 500));
      });
    }
  });
}
