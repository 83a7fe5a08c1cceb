import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startMobileMoneySimulator, type Simulator } from '../../simulators/index.ts';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { openForm, postForm } from '../../../test/support/http.ts';
import { CHECK_MOBILE_MONEY_TASK, STATUS_CHECK_DELAYS_MINUTES } from './check-mobile-money.ts';
import { createPaymentAccounts, openTestInvoice, watchSettlements, type TestInvoice } from './payment-fixtures.ts';
import { signedHeaders } from './providers/mobile-money-protocol.ts';

/**
 * Paying by mobile money, end to end over real HTTP: Daftari asks the provider (the simulator),
 * the payer confirms on the provider's page, the provider calls back, and the invoice is paid.
 */
const secret = randomBytes(24).toString('base64url');
let simulator: Simulator;
let app: TestApp;
let amina: Session;
let settled: ReturnType<typeof watchSettlements>;

before(async () => {
  simulator = await startMobileMoneySimulator({ secret });
  app = await startTestApp({ listen: true, env: { MOBILE_MONEY_URL: simulator.url, MOBILE_MONEY_SECRET: secret } });
  await createPaymentAccounts(app);
  [amina] = await signInDemo(app, 'amina');
  settled = watchSettlements(app);
});
after(async () => {
  await app?.stop();
  await simulator?.close();
});

const CALLBACK = '/payments/callbacks/mobile-money';

interface InvoiceJson {
  state: string;
  paidAmount: string;
  payments: { method: string; amount: string; receipt: { id: string; number: string; pdf: string | null } }[];
}

async function invoiceOf(i: TestInvoice): Promise<InvoiceJson> {
  const response = await app.app.inject({ method: 'GET', url: `/api/payments/invoices/${i.id}`, headers: asSession(amina) });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<InvoiceJson>();
}

/** Ask to pay through the API; the provider's payment id is the end of the confirmation URL. */
async function requestPayment(i: TestInvoice, phone: string): Promise<{ requestId: string; confirmUrl: string; providerId: string }> {
  const response = await app.app.inject({ method: 'POST', url: `/api/payments/invoices/${i.id}/mobile-money`, headers: asSession(amina), payload: { phone } });
  assert.equal(response.statusCode, 201, response.body);
  const started = response.json<{ requestId: string; confirmUrl: string }>();
  return { ...started, providerId: started.confirmUrl.split('/').pop()! };
}

async function confirmAtProvider(providerId: string, decision: 'confirm' | 'decline' = 'confirm'): Promise<void> {
  const response = await fetch(`${simulator.url}/payments/${providerId}/confirm`, { method: 'POST', body: JSON.stringify({ decision }) });
  assert.equal(response.status, 200, await response.text());
}

async function requestState(requestId: string): Promise<string> {
  const { rows } = await sql<{ state: string }>`SELECT state FROM payments_mobile_requests WHERE id = ${requestId}`.execute(app.database.db);
  return rows[0]!.state;
}

/** The status queries waiting for their time, made due now. */
async function runStatusChecks(): Promise<void> {
  await sql`UPDATE platform_jobs SET run_at = now() WHERE task = ${CHECK_MOBILE_MONEY_TASK} AND state = 'pending'`.execute(app.database.db);
  await app.jobs.drain();
}

function callback(body: object, opts: { secret?: string; at?: Date; headers?: Record<string, string> } = {}): Promise<Response> {
  const text = JSON.stringify(body);
  const headers = opts.headers ?? signedHeaders(opts.secret ?? secret, text, opts.at);
  return fetch(`${app.url}${CALLBACK}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
}

const settlementsOf = (i: TestInvoice) => settled.filter((s) => s.invoiceId === i.id).length;

describe('paying an invoice by mobile money', () => {
  it('goes from the pay page to the provider’s page and back: the invoice is paid, settled once, with a signed receipt', async () => {
    const invoice = await openTestInvoice(app);
    const { jar, csrf, body } = await openForm(app, invoice.payPath, amina.jar);
    assert.match(body, /action="\/pay\/[^"]+\/mobile-money"/);
    const page = await app.app.inject({ method: 'GET', url: invoice.payPath, headers: { cookie: jar.header() } });
    assert.match(String(page.headers['content-security-policy']), new RegExp(`form-action 'self' ${new URL(simulator.url).origin}`), 'the form may lead to the provider');

    const sent = await postForm(app, jar, `/pay/${invoice.id}/mobile-money`, { _csrf: csrf, phone: '+253 77 12 34 56' });
    assert.equal(sent.statusCode, 303, sent.body);
    const confirmUrl = sent.headers.location!;
    assert.ok(confirmUrl.startsWith(`${simulator.url}/pay/`));

    const phone = await fetch(confirmUrl);
    const phoneHtml = await phone.text();
    assert.match(phoneHtml, /Pay DJF\s15,000 to Ministère du Commerce, reference <span class="ref">RF\d\d( \d{4}){3}<\/span>\?/);
    const confirmed = await fetch(confirmUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=confirm', redirect: 'manual' });
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.headers.get('location'), `${app.url}${invoice.payPath}`);

    const paid = await invoiceOf(invoice);
    assert.equal(paid.state, 'paid');
    assert.deepEqual(paid.payments.map((p) => [p.method, p.amount]), [['mobile-money', '15000']]);
    await app.jobs.drain();
    assert.equal(settlementsOf(invoice), 1);
    const [payment] = (await invoiceOf(invoice)).payments;
    assert.ok(payment!.receipt.pdf, 'the receipt is signed');
    const pdf = await app.app.inject({ method: 'GET', url: payment!.receipt.pdf!, headers: asSession(amina) });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const back = await app.app.inject({ method: 'GET', url: invoice.payPath, headers: asSession(amina) });
    assert.match(back.body, new RegExp(payment!.receipt.number));
  });

  it('when the payer declines, or the provider fails it, leaves the invoice open and says so on the pay page', async () => {
    const invoice = await openTestInvoice(app);
    const declined = await requestPayment(invoice, '+25377120000');
    await confirmAtProvider(declined.providerId, 'decline');
    assert.equal(await requestState(declined.requestId), 'failed');
    const broke = await requestPayment(invoice, '+25377120001');
    await confirmAtProvider(broke.providerId);
    assert.equal(await requestState(broke.requestId), 'failed');
    assert.equal((await invoiceOf(invoice)).state, 'open');
    const page = await app.app.inject({ method: 'GET', url: invoice.payPath, headers: asSession(amina) });
    assert.match(page.body, /class="notice" role="status">[^<]*0001/);
  });

  it('when the provider refuses the request, shows the payer why and offers the other ways', async () => {
    const invoice = await openTestInvoice(app);
    const { jar, csrf } = await openForm(app, invoice.payPath, amina.jar);
    const refused = await postForm(app, jar, `/pay/${invoice.id}/mobile-money`, { _csrf: csrf, phone: '+25377120009' });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /class="error-summary"/);
    const mistyped = await postForm(app, jar, `/pay/${invoice.id}/mobile-money`, { _csrf: csrf, phone: 'my phone' });
    assert.equal(mistyped.statusCode, 400);
    assert.match(mistyped.body, /href="#phone"/);
  });

  it('when the callback is lost, is settled by the status query the request scheduled', async () => {
    const invoice = await openTestInvoice(app);
    const { requestId, providerId } = await requestPayment(invoice, '+25377120002');
    await confirmAtProvider(providerId);
    assert.equal((await invoiceOf(invoice)).state, 'open', 'no callback came');
    await runStatusChecks();
    assert.equal(await requestState(requestId), 'completed');
    assert.equal((await invoiceOf(invoice)).state, 'paid');
    await app.jobs.drain();
    assert.equal(settlementsOf(invoice), 1);
  });

  it('when the same callback comes twice, records one payment', async () => {
    const invoice = await openTestInvoice(app);
    const { providerId } = await requestPayment(invoice, '+25377120003');
    await confirmAtProvider(providerId);
    const paid = await invoiceOf(invoice);
    assert.deepEqual([paid.state, paid.payments.length, paid.paidAmount], ['paid', 1, '15000']);
    await runStatusChecks();
    assert.equal(settlementsOf(invoice), 1);
  });

  it('when "failed" comes after "completed", keeps it completed: states only move forward', async () => {
    const invoice = await openTestInvoice(app);
    const { requestId, providerId } = await requestPayment(invoice, '+25377120004');
    await confirmAtProvider(providerId);
    assert.equal(await requestState(requestId), 'completed');
    assert.equal((await invoiceOf(invoice)).state, 'paid');
  });

  it('when the provider never answers, gives up after the last status query, and still takes a late confirmation', async () => {
    const invoice = await openTestInvoice(app);
    const { requestId, providerId } = await requestPayment(invoice, '+25377125555');
    for (let i = 0; i < STATUS_CHECK_DELAYS_MINUTES.length; i++) {
      assert.equal(await requestState(requestId), 'pending');
      await runStatusChecks();
    }
    assert.equal(await requestState(requestId), 'expired');
    const page = await app.app.inject({ method: 'GET', url: invoice.payPath, headers: asSession(amina) });
    assert.match(page.body, /never confirmed|jamais confirmé/);
    await confirmAtProvider(providerId);
    assert.equal(await requestState(requestId), 'completed');
    assert.equal((await invoiceOf(invoice)).state, 'paid');
  });
});

describe('a callback that is not the provider’s', () => {
  let invoice: TestInvoice;
  let pending: { requestId: string; providerId: string };
  const honest = () => ({ id: pending.providerId, status: 'completed', reference: invoice.electronic, amount: '15000', currency: 'DJF' });

  before(async () => {
    invoice = await openTestInvoice(app);
    pending = await requestPayment(invoice, '+25377126666');
  });

  const state = async () => {
    const { rows } = await sql<{ payments: number; audit: number }>`
      SELECT (SELECT count(*)::int FROM payments_payments) AS payments, (SELECT count(*)::int FROM audit_entries) AS audit`.execute(app.database.db);
    return { ...rows[0]!, request: await requestState(pending.requestId), invoice: (await invoiceOf(invoice)).state };
  };

  for (const [what, send, status] of [
    ['unsigned', () => callback(honest(), { headers: {} }), 401],
    ['signed with another secret', () => callback(honest(), { secret: 'not-the-shared-secret-at-all' }), 401],
    ['signed ten minutes ago', () => callback(honest(), { at: new Date(Date.now() - 600_000) }), 401],
    ['for another amount', () => callback({ ...honest(), amount: '1500' }), 422],
    ['for another reference', () => callback({ ...honest(), reference: 'RF18539007547034' }), 422],
    ['for a payment we never asked for', () => callback({ ...honest(), id: 'mm_unknown' }), 404],
    ['not a payment report', () => callback({ hello: 'world' }), 400],
  ] as const) {
    it(`is refused when ${what}, and changes nothing`, async () => {
      const before = await state();
      const response = await send();
      assert.equal(response.status, status, await response.clone().text());
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(await state(), before);
    });
  }

  it('is taken when it is the provider’s', async () => {
    const response = await callback(honest());
    assert.equal(response.status, 200, await response.text());
    assert.equal((await invoiceOf(invoice)).state, 'paid');
  });
});

describe('the simulator', () => {
  it('refuses unsigned requests and bad input, and keeps running', async () => {
    assert.equal((await fetch(`${simulator.url}/payments`, { method: 'POST', body: '{}' })).status, 401);
    const garbage = 'not json';
    assert.equal((await fetch(`${simulator.url}/payments`, { method: 'POST', headers: signedHeaders(secret, garbage), body: garbage })).status, 400);
    const wrong = JSON.stringify({ reference: 'x' });
    assert.equal((await fetch(`${simulator.url}/payments`, { method: 'POST', headers: signedHeaders(secret, wrong), body: wrong })).status, 400);
    assert.equal((await fetch(`${simulator.url}/pay/nope`)).status, 404);
    assert.equal((await fetch(`${simulator.url}/payments/nope/confirm`, { method: 'POST', body: '{' })).status, 404);
    assert.equal((await fetch(`${simulator.url}/payments/nope`, { headers: signedHeaders(secret, '') })).status, 404);
  });
});
