import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../../test/support/app.ts';
import { DEMO_PASSWORD } from '../../../test/support/app.ts';
import { multipartBody } from '../../../test/support/registration-fixtures.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { createUser, findAgencyByCode, findUserByLogin } from '../identity/index.ts';
import { INVOICE_SETTLED, type InvoiceView } from './model.ts';
import { parseReference } from './reference.ts';

/** For the tests of this block: invoices opened as a workflow opens them, and the people who pay and handle them. */

export interface TestInvoice extends InvoiceView {
  /** The reference as stored and sent to providers: no spaces. */
  electronic: string;
  subjectId: string;
}

/** An invoice of `agency` (default the Ministry of Trade) for `payer` (default Amina), opened in its own transaction. */
export async function openTestInvoice(app: TestApp, opts: { amount?: string; currency?: string; decimals?: number; agency?: string; payer?: string } = {}): Promise<TestInvoice> {
  const db = app.database.db;
  const agency = (await findAgencyByCode(db, opts.agency ?? 'commerce'))!;
  const payer = (await findUserByLogin(db, opts.payer ?? 'amina'))!;
  const subjectId = randomUUID();
  const view = await db.transaction().execute((trx) =>
    app.payments.openInvoice(trx, {
      agencyId: agency.id,
      subjectType: 'test-case',
      subjectId,
      purpose: 'fees',
      payer: { partyId: payer.party_id!, userId: payer.id, name: payer.display_name, locale: payer.locale ?? 'en' },
      currency: opts.currency ?? 'DJF',
      decimals: opts.decimals ?? 0,
      lines: [{ id: 'fee', label: { en: 'Licence fee', fr: 'Droit de licence', ar: 'رسم الرخصة', sw: 'Ada ya leseni', ru: 'Сбор за лицензию', tg: 'Пардохт барои иҷозатнома' }, amount: opts.amount ?? '15000' }],
      dueAt: new Date(Date.now() + 30 * 86_400_000),
      actor: SYSTEM_ACTOR,
      requestId: null,
    }),
  );
  return { ...view, electronic: parseReference(view.reference)!, subjectId };
}

/**
 * Accounts the demo lacks and the permission tests need: a second finance officer of Trade (four
 * eyes), a finance officer of Housing and Urban Planning (another agency; its cashier,
 * `cashier.urban`, is a demo account), and Zara, a citizen who pays nothing here.
 */
export async function createPaymentAccounts(app: TestApp): Promise<void> {
  const db = app.database.db;
  const accounts = [
    { username: 'finance2.trade', displayName: 'Deka Hassan', roles: [{ role: 'finance-officer', agencyCode: 'commerce' }] },
    { username: 'finance.urban', displayName: 'Nima Abdi', roles: [{ role: 'finance-officer', agencyCode: 'urban' }] },
    { username: 'zara', displayName: 'Zara Ibrahim', party: { kind: 'person' as const } },
  ];
  for (const account of accounts) {
    if (await findUserByLogin(db, account.username)) continue;
    await createUser(db, { ...account, email: `${account.username}@example.org`, password: DEMO_PASSWORD });
  }
}

/** Every INVOICE_SETTLED event the app emits from now on, as the workflow would receive it. */
export function watchSettlements(app: TestApp): { invoiceId: string; subjectType: string; subjectId: string; purpose: string }[] {
  const seen: { invoiceId: string; subjectType: string; subjectId: string; purpose: string }[] = [];
  app.jobs.subscribe<(typeof seen)[number]>(INVOICE_SETTLED, `test.watch-settlements-${randomUUID()}`, async (event) => {
    seen.push({ invoiceId: event.invoiceId, subjectType: event.subjectType, subjectId: event.subjectId, purpose: event.purpose });
  });
  return seen;
}

/** Send a file as a multipart upload, with the session's cookie and CSRF header. */
export function uploadStatement(app: TestApp, headers: Record<string, string>, content: string | Buffer, fileName = 'statement.csv', agency?: string): Promise<LightMyRequestResponse> {
  const { contentType, payload } = multipartBody([...(agency ? [{ name: 'agency', content: agency }] : []), { name: 'file', fileName, content }]);
  return app.app.inject({ method: 'POST', url: '/api/payments/statements', headers: { ...headers, 'content-type': contentType }, payload });
}
