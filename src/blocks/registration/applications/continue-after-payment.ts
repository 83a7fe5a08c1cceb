import type { AuditActor } from '../../audit/index.ts';
import { INVOICE_SETTLED } from '../../payments/index.ts';
import { continueAfterPayment } from '../../workflow/index.ts';
import { applyEffects } from './apply-effects.ts';
import { agencyIdsOf, definitionOf, type RegistrationDeps } from './context.ts';
import { findApplication } from './store.ts';

export const CONTINUE_AFTER_PAYMENT_TASK = 'registration.continue-after-payment';

const PAYMENTS_ACTOR: AuditActor = { type: 'system', id: null, name: 'payments' };

interface Settled {
  invoiceId: string | null;
  subjectType: string;
  subjectId: string;
  purpose: string;
}

/**
 * A case waiting for its fees moves on when the payments block says they are paid. The event may
 * come twice or after the case has moved (an officer waived the fee): then nothing happens.
 */
export function continueCasesWhenPaid(deps: RegistrationDeps): void {
  deps.jobs.subscribe<Settled>(INVOICE_SETTLED, CONTINUE_AFTER_PAYMENT_TASK, async (settled) => {
    if (settled.subjectType !== 'application' || settled.purpose !== 'fees') return;
    await deps.db.transaction().execute(async (trx) => {
      const application = await findApplication(trx, settled.subjectId);
      if (!application || application.status !== 'submitted') return;
      const definition = await definitionOf(trx, application.service_id, application.service_version);
      const ctx = { trx, jobs: deps.jobs, definition, agencyIds: agencyIdsOf(trx), requestId: null, data: application.data };
      const transition = await continueAfterPayment(ctx, { caseId: application.id, actor: PAYMENTS_ACTOR, inputs: settled.invoiceId ? { invoice: settled.invoiceId } : { fees: 'none' } });
      if (transition) await applyEffects(deps, trx, definition, application, transition);
    });
  });
}
