import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { requireAgencyRole } from './agencies.ts';
import { aboutInvoice } from './invoices.ts';
import { FINANCE_OFFICER, REFUND_APPROVED, type InvoiceState, type PaymentsDeps } from './model.ts';
import { asMoney, Decimal, isAmount } from './money.ts';
import { decideRefundRow, findInvoice, findPayment, findRefund, insertRefund, type StoredRefund } from './store.ts';

/** Who may decide a refund someone else asked for. */
export const REFUND_DECIDERS = [FINANCE_OFFICER, 'agency-head'] as const;

export interface RequestRefund {
  paymentId: string;
  amount: string;
  reason: string;
  principal: Principal;
  requestId: string;
}

/** A finance officer asks to give back all or part of a payment; someone else decides. */
export async function requestRefund(deps: PaymentsDeps, input: RequestRefund): Promise<StoredRefund> {
  const reason = input.reason.trim();
  if (!reason) throw Problem.invalidField('/body/reason', 'say why the money is given back', 'required');
  const actor = actorOf(input.principal);
  return deps.db.transaction().execute(async (trx) => {
    const payment = await findPayment(trx, input.paymentId, true);
    if (!payment) throw Problem.notFound('There is no payment with this id.');
    requireAgencyRole(input.principal, [FINANCE_OFFICER], payment.agencyId, 'Asking for a refund');
    const invoice = (await findInvoice(trx, payment.invoiceId))!;
    const amount = input.amount.trim();
    const left = new Decimal(payment.amount).minus(payment.refundedOrAsked);
    if (!isAmount(amount, invoice.decimals) || new Decimal(amount).isZero()) throw Problem.invalidField('/body/amount', `enter an amount with at most ${invoice.decimals} decimals`, 'amount', { decimals: invoice.decimals });
    if (left.lt(amount)) throw Problem.invalidField('/body/amount', `at most ${asMoney(left, invoice.decimals)} ${payment.currency} of this payment is left to refund`, 'refundTooMuch', { left: asMoney(left, invoice.decimals), currency: payment.currency });
    const id = randomUUID();
    await insertRefund(trx, { id, paymentId: payment.id, invoiceId: invoice.id, agencyId: payment.agencyId, amount, currency: payment.currency, reason, actor });
    await recordAudit(trx, {
      actor,
      agencyId: payment.agencyId,
      action: 'payments.request-refund',
      subjectType: 'invoice',
      subjectId: invoice.id,
      requestId: input.requestId,
      details: { refund: id, payment: payment.id, amount: asMoney(amount, invoice.decimals), currency: payment.currency, reason },
    });
    return (await findRefund(trx, id))!;
  });
}

export interface DecideRefund {
  refundId: string;
  decision: 'approve' | 'refuse';
  note?: string;
  principal: Principal;
  requestId: string;
}

/**
 * Four eyes: another finance officer of the agency, or its head, approves or refuses; never the
 * one who asked. Approving records the money as given back: the invoice's refunded amount grows,
 * and once everything paid is given back the invoice is refunded. Paying the money out (mobile
 * money, transfer, cash) is the treasury's, outside Daftari.
 */
export async function decideRefund(deps: PaymentsDeps, input: DecideRefund): Promise<StoredRefund> {
  const actor = actorOf(input.principal);
  const note = input.note?.trim() || null;
  if (input.decision === 'refuse' && !note) throw Problem.invalidField('/body/note', 'say why the refund is refused', 'required');
  return deps.db.transaction().execute(async (trx) => {
    const refund = await findRefund(trx, input.refundId, true);
    if (!refund) throw Problem.notFound('There is no refund with this id.');
    requireAgencyRole(input.principal, REFUND_DECIDERS, refund.agencyId, 'Deciding a refund');
    if (refund.requestedById === input.principal.id) throw Problem.forbidden('You asked for this refund: another finance officer or the head of the agency decides it (four eyes).');
    if (refund.state !== 'requested') throw Problem.conflict(`This refund was already ${refund.state}.`);
    const state = input.decision === 'approve' ? 'approved' : 'refused';
    await decideRefundRow(trx, refund.id, { state, actor, note });
    let invoiceState: { from: InvoiceState; to: InvoiceState } | null = null;
    if (state === 'approved') {
      const invoice = (await findInvoice(trx, refund.invoiceId, true))!;
      const refunded = new Decimal(invoice.refundedAmount).plus(refund.amount);
      const to: InvoiceState = refunded.gte(invoice.paidAmount) ? 'refunded' : invoice.state;
      await sql`UPDATE payments_invoices SET refunded_amount = ${refunded.toFixed()}, state = ${to}, updated_at = now() WHERE id = ${invoice.id}`.execute(trx);
      invoiceState = { from: invoice.state, to };
      const decided = (await findRefund(trx, refund.id))!;
      await deps.jobs.emit(trx, REFUND_APPROVED, { ...aboutInvoice(invoice), refundId: refund.id, paymentId: refund.paymentId, amount: asMoney(refund.amount, refund.decimals), at: decided.decidedAt!.toISOString() }, { dedupeKey: refund.id });
    }
    await recordAudit(trx, {
      actor,
      agencyId: refund.agencyId,
      action: state === 'approved' ? 'payments.approve-refund' : 'payments.refuse-refund',
      subjectType: 'invoice',
      subjectId: refund.invoiceId,
      requestId: input.requestId,
      details: { refund: refund.id, payment: refund.paymentId, amount: asMoney(refund.amount, refund.decimals), currency: refund.currency, ...(invoiceState ?? {}), ...(note ? { note } : {}) },
    });
    return (await findRefund(trx, refund.id))!;
  });
}
