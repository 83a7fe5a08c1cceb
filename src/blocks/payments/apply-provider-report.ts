import { Problem } from '../../platform/http/problem.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import type { PaymentsDeps } from './model.ts';
import { Decimal } from './money.ts';
import type { ProviderReport } from './providers/provider.ts';
import { recordPayment } from './record-payment.ts';
import { parseReference } from './reference.ts';
import { findInvoice, findMobileRequest, updateMobileRequest, type MobileRequestState } from './store.ts';

const PROVIDER_ACTOR: AuditActor = { type: 'system', id: null, name: 'mobile-money provider' };

/**
 * States only move forward. A request we stopped waiting for (expired) may still complete: the
 * provider holds the money, and its word wins. Completed and failed are final, so a repeated or
 * late callback ("failed" after "completed") changes nothing.
 */
const NEXT: Record<MobileRequestState, MobileRequestState[]> = {
  requested: ['completed', 'failed'],
  pending: ['completed', 'failed'],
  expired: ['completed', 'failed'],
  completed: [],
  failed: [],
};

/**
 * What the provider says about one of our requests, from its callback or a status query. A report
 * that does not match the request (reference, amount, currency) is refused, whatever it says.
 */
export async function applyProviderReport(deps: PaymentsDeps, report: ProviderReport, via: 'callback' | 'status-query', requestId: string | null): Promise<'applied' | 'unchanged'> {
  return deps.db.transaction().execute(async (trx) => {
    const request = await findMobileRequest(trx, { providerPaymentId: report.providerPaymentId }, true);
    if (!request) throw Problem.notFound('No payment request of ours has this provider payment id.');
    const invoice = (await findInvoice(trx, request.invoiceId))!;
    const differ = [
      parseReference(report.reference) !== invoice.reference && 'reference',
      !new Decimal(report.amount).eq(request.amount) && 'amount',
      report.currency !== request.currency && 'currency',
    ].filter((d): d is string => d !== false);
    if (differ.length > 0) throw new Problem(422, `The report does not match the payment requested: the ${differ.join(', ')} differ.`, { title: 'Mismatching payment report' });
    const to = report.status;
    if (to === 'pending' || !NEXT[request.state].includes(to)) return 'unchanged';

    await updateMobileRequest(trx, request.id, { state: to, failure: to === 'failed' ? (report.reason ?? 'declined').slice(0, 500) : null });
    await recordAudit(trx, {
      actor: PROVIDER_ACTOR,
      agencyId: invoice.agencyId,
      action: to === 'completed' ? 'payments.complete-mobile-money' : 'payments.fail-mobile-money',
      subjectType: 'invoice',
      subjectId: invoice.id,
      requestId,
      details: { request: request.id, providerPaymentId: report.providerPaymentId, from: request.state, to, via, ...(report.reason ? { reason: report.reason.slice(0, 200) } : {}) },
    });
    if (to === 'completed') {
      await recordPayment(trx, deps.jobs, { invoiceId: invoice.id, method: 'mobile-money', amount: request.amount, currency: request.currency, receivedAt: new Date(), mobileRequestId: request.id, actor: PROVIDER_ACTOR, requestId });
    }
    return 'applied';
  });
}
