import type { JobHandler } from '../../platform/jobs/queue.ts';
import { recordAudit } from '../audit/index.ts';
import { applyProviderReport } from './apply-provider-report.ts';
import { PAYMENTS_ACTOR, type PaymentsDeps } from './model.ts';
import type { PaymentProvider } from './providers/provider.ts';
import { findInvoice, findMobileRequest, updateMobileRequest } from './store.ts';

export const CHECK_MOBILE_MONEY_TASK = 'payments.check-mobile-money';

/**
 * Minutes before each status query, counted from the one before: a callback that never comes is
 * made up for within minutes, and after about two and a half hours the request is given up.
 */
export const STATUS_CHECK_DELAYS_MINUTES = [3, 5, 10, 20, 40, 80];

/** Ask the provider about a request still waiting for its callback; again later while it is pending; expired at the end. */
export function mobileMoneyChecker(deps: PaymentsDeps, provider: PaymentProvider | null): JobHandler<{ mobileRequestId: string }> {
  return async ({ mobileRequestId }, ctx) => {
    const request = await findMobileRequest(deps.db, { id: mobileRequestId });
    if (!request || request.state !== 'pending' || !request.providerPaymentId) return;
    if (!provider) throw new Error('mobile money is no longer configured (MOBILE_MONEY_URL): this request cannot be checked');
    try {
      const report = await provider.queryStatus(request.providerPaymentId);
      if (report.status !== 'pending') {
        await applyProviderReport(deps, report, 'status-query', null);
        return;
      }
    } catch (err) {
      // Unreachable, or an answer we refuse: as good as no answer; the next check may do better.
      ctx.log.warn({ mobileRequestId, err: (err as Error).message }, 'mobile-money status query gave no usable answer');
    }
    const checks = request.statusChecks + 1;
    await deps.db.transaction().execute(async (trx) => {
      const current = await findMobileRequest(trx, { id: mobileRequestId }, true);
      if (current?.state !== 'pending') return;
      const delay = STATUS_CHECK_DELAYS_MINUTES[checks];
      if (delay === undefined) {
        await updateMobileRequest(trx, current.id, { state: 'expired', statusChecks: checks, failure: 'the provider never confirmed the payment' });
        const invoice = (await findInvoice(trx, current.invoiceId))!;
        await recordAudit(trx, {
          actor: PAYMENTS_ACTOR,
          agencyId: invoice.agencyId,
          action: 'payments.expire-mobile-money',
          subjectType: 'invoice',
          subjectId: invoice.id,
          details: { request: current.id, providerPaymentId: current.providerPaymentId, from: 'pending', to: 'expired', checks },
        });
        return;
      }
      await updateMobileRequest(trx, current.id, { state: 'pending', statusChecks: checks });
      await deps.jobs.enqueue(trx, CHECK_MOBILE_MONEY_TASK, { mobileRequestId }, { runAt: new Date(Date.now() + delay * 60_000), dedupeKey: `payments-mm-status:${mobileRequestId}:${checks + 1}` });
    });
  };
}
