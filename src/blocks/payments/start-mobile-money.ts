import { randomUUID } from 'node:crypto';
import type { Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { agencyIndex, agencyName } from './agencies.ts';
import { CHECK_MOBILE_MONEY_TASK, STATUS_CHECK_DELAYS_MINUTES } from './check-mobile-money.ts';
import { isPayer, outstanding, payPath } from './invoices.ts';
import type { PaymentsDeps } from './model.ts';
import { asMoney } from './money.ts';
import { ProviderRefused, type PaymentProvider } from './providers/provider.ts';
import { invoicePurpose } from './receipts.ts';
import { findInvoice, insertMobileRequest, updateMobileRequest } from './store.ts';

export const MOBILE_MONEY_CALLBACK_PATH = '/payments/callbacks/mobile-money';

/** A mobile number as people write it (spaces, dashes, brackets), or null. */
function normalisePhone(input: string): string | null {
  const phone = input.replace(/[\s().-]/g, '');
  return /^\+?[0-9]{8,15}$/.test(phone) ? phone : null;
}

export interface StartMobileMoney {
  invoiceId: string;
  phone: string;
  principal: Principal;
  requestId: string;
}

/**
 * The payer asks to pay what is left by mobile money: the request is recorded first (so the
 * provider's answer always has a row to land on), then sent to the provider, whose confirmation
 * page the payer goes to. A status query is scheduled in case the provider's callback never comes.
 */
export async function startMobileMoneyPayment(deps: PaymentsDeps, provider: PaymentProvider, input: StartMobileMoney): Promise<{ mobileRequestId: string; confirmUrl: string }> {
  const phone = normalisePhone(input.phone);
  if (!phone) throw Problem.invalidField('/body/phone', 'enter a mobile number such as +253 77 12 34 56', 'phone');
  const actor = actorOf(input.principal);
  const id = randomUUID();
  const prepared = await deps.db.transaction().execute(async (trx) => {
    const invoice = await findInvoice(trx, input.invoiceId, true);
    if (!invoice || !isPayer(input.principal, invoice)) throw Problem.notFound('There is no invoice with this id among yours.');
    const due = outstanding(invoice);
    if (due.isZero()) throw Problem.conflict('Nothing is left to pay on this invoice.');
    const amount = asMoney(due, invoice.decimals);
    const phoneHint = `…${phone.slice(-4)}`;
    await insertMobileRequest(trx, { id, invoiceId: invoice.id, amount, currency: invoice.currency, phoneHint, requestedBy: input.principal.id });
    await recordAudit(trx, {
      actor,
      agencyId: invoice.agencyId,
      action: 'payments.request-mobile-money',
      subjectType: 'invoice',
      subjectId: invoice.id,
      requestId: input.requestId,
      details: { request: id, amount, currency: invoice.currency, phone: phoneHint, state: 'requested' },
    });
    const payee = agencyName((await agencyIndex(trx)).get(invoice.agencyId), invoice.payerLocale);
    return { invoice, amount, payee };
  });
  const { invoice, amount, payee } = prepared;

  let started: { providerPaymentId: string; confirmUrl: string };
  try {
    started = await provider.start({
      reference: invoice.reference,
      amount,
      currency: invoice.currency,
      account: phone,
      payee,
      description: invoicePurpose(invoice, invoice.payerLocale).slice(0, 500),
      callbackUrl: `${deps.baseUrl}${MOBILE_MONEY_CALLBACK_PATH}`,
      returnUrl: `${deps.baseUrl}${payPath(invoice.id)}`,
    });
  } catch (err) {
    const refused = err instanceof ProviderRefused;
    const reason = (err as Error).message;
    deps.log.warn({ mobileRequestId: id, err: reason }, 'mobile-money request not taken by the provider');
    await deps.db.transaction().execute(async (trx) => {
      await updateMobileRequest(trx, id, { state: 'failed', failure: reason });
      await recordAudit(trx, { actor, agencyId: invoice.agencyId, action: 'payments.fail-mobile-money', subjectType: 'invoice', subjectId: invoice.id, requestId: input.requestId, details: { request: id, from: 'requested', to: 'failed', reason } });
    });
    if (refused) throw new Problem(422, `The mobile-money provider did not take the payment: ${reason}`, { extensions: { code: 'provider-refused' } });
    throw new Problem(503, 'Mobile money cannot be reached just now. Try again in a few minutes, or pay by bank transfer or at the counter.', { extensions: { code: 'provider-unavailable' } });
  }

  await deps.db.transaction().execute(async (trx) => {
    await updateMobileRequest(trx, id, { state: 'pending', providerPaymentId: started.providerPaymentId });
    await recordAudit(trx, {
      actor,
      agencyId: invoice.agencyId,
      action: 'payments.await-mobile-money',
      subjectType: 'invoice',
      subjectId: invoice.id,
      requestId: input.requestId,
      details: { request: id, providerPaymentId: started.providerPaymentId, from: 'requested', to: 'pending' },
    });
    await deps.jobs.enqueue(trx, CHECK_MOBILE_MONEY_TASK, { mobileRequestId: id }, { runAt: new Date(Date.now() + STATUS_CHECK_DELAYS_MINUTES[0]! * 60_000), dedupeKey: `payments-mm-status:${id}:1` });
  });
  return { mobileRequestId: id, confirmUrl: started.confirmUrl };
}
