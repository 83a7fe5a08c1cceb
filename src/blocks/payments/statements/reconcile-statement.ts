import type { Tx } from '../../../platform/db/database.ts';
import type { Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { actorOf, recordAudit, type AuditActor } from '../../audit/index.ts';
import { agencyIndex, requireAgencyRole, subtree } from '../agencies.ts';
import { outstanding } from '../invoices.ts';
import { FINANCE_OFFICER, type PaymentsDeps } from '../model.ts';
import { Decimal } from '../money.ts';
import { recordPayment } from '../record-payment.ts';
import { parseReference } from '../reference.ts';
import { findInvoice, findInvoiceByReference, findLine, findStatement, linesOf, updateLine, type StoredLine } from '../store.ts';

const bookedAt = (line: StoredLine) => new Date(`${line.bookedOn}T00:00:00Z`);

async function recordLine(deps: PaymentsDeps, trx: Tx, line: StoredLine, invoiceId: string, actor: AuditActor, requestId: string) {
  return recordPayment(trx, deps.jobs, { invoiceId, method: 'bank-transfer', amount: line.amount, currency: line.currency, receivedAt: bookedAt(line), receivedOn: line.bookedOn, statementLineId: line.id, actor, requestId });
}

async function statementOf(deps: PaymentsDeps, principal: Principal, statementId: string) {
  const statement = await findStatement(deps.db, statementId);
  if (!statement) throw Problem.notFound('There is no bank statement with this id.');
  requireAgencyRole(principal, [FINANCE_OFFICER], statement.agencyId, 'Reconciling a bank statement');
  return statement;
}

/**
 * Accept the proposal: every line still awaiting review that pays an invoice exactly or in part
 * becomes a bank-transfer payment (receipt, settlement, audit). A line that would now pay more
 * than is owed (the invoice was paid meanwhile) is not recorded; it is shown again as an
 * over-payment for the officer to resolve.
 */
export async function acceptProposals(deps: PaymentsDeps, input: { statementId: string; principal: Principal; requestId: string }): Promise<{ recorded: number; toReview: number }> {
  const statement = await statementOf(deps, input.principal, input.statementId);
  const actor = actorOf(input.principal);
  return deps.db.transaction().execute(async (trx) => {
    let recorded = 0;
    let overtaken = 0;
    for (const line of await linesOf(trx, statement.id, { status: 'pending', proposals: ['exact', 'under'] }, true)) {
      const invoice = (await findInvoice(trx, line.invoiceId!, true))!;
      if (invoice.currency !== line.currency || new Decimal(line.amount).gt(outstanding(invoice))) {
        await updateLine(trx, line.id, { proposal: 'over' });
        overtaken += 1;
        continue;
      }
      await recordLine(deps, trx, line, invoice.id, actor, input.requestId);
      await updateLine(trx, line.id, { status: 'recorded', actor });
      recorded += 1;
    }
    const toReview = (await linesOf(trx, statement.id)).filter((l) => l.status === 'pending').length;
    await recordAudit(trx, {
      actor,
      agencyId: statement.agencyId,
      action: 'payments.accept-reconciliation',
      subjectType: 'bank-statement',
      subjectId: statement.id,
      requestId: input.requestId,
      details: { recorded, nowOverpaid: overtaken, toReview },
    });
    return { recorded, toReview };
  });
}

export type LineResolution = { action: 'assign'; reference: string; note?: string } | { action: 'refund-due' | 'not-ours'; note: string };

/**
 * Decide a line the proposal could not: pay it to the invoice a reference names (all of it, even
 * beyond what is owed: the excess is then refunded from that invoice), or set it aside as money
 * to send back ("refund due") or money that is not the agency's ("not ours"), with a note.
 */
export async function resolveStatementLine(deps: PaymentsDeps, input: { statementId: string; lineId: string; resolution: LineResolution; principal: Principal; requestId: string }): Promise<StoredLine> {
  const statement = await statementOf(deps, input.principal, input.statementId);
  const actor = actorOf(input.principal);
  const { resolution } = input;
  const note = resolution.note?.trim() || null;
  if (resolution.action !== 'assign' && !note) throw Problem.invalidField('/body/note', 'say why, for whoever checks this later', 'required');
  return deps.db.transaction().execute(async (trx) => {
    const line = await findLine(trx, statement.id, input.lineId, true);
    if (!line) throw Problem.notFound('This statement has no such line.');
    if (line.status === 'recorded' || line.status === 'duplicate') throw Problem.conflict(`This line is ${line.status === 'recorded' ? 'already recorded as a payment' : 'a duplicate of a transaction already imported'}.`);
    let invoiceReference: string | undefined;
    if (resolution.action === 'assign') {
      const reference = parseReference(resolution.reference);
      if (!reference) throw Problem.invalidField('/body/reference', 'is not a payment reference: check its digits', 'reference');
      const invoice = await findInvoiceByReference(trx, reference);
      if (!invoice || !subtree(await agencyIndex(trx), statement.agencyId).has(invoice.agencyId)) throw Problem.invalidField('/body/reference', 'no invoice of this agency has this reference', 'unknownReference');
      if (invoice.currency !== line.currency) throw Problem.invalidField('/body/reference', `this invoice is in ${invoice.currency}, the line in ${line.currency}`, 'currencyMismatch', { currency: invoice.currency });
      await recordLine(deps, trx, line, invoice.id, actor, input.requestId);
      await updateLine(trx, line.id, { status: 'recorded', invoiceId: invoice.id, reference, note, actor });
      invoiceReference = reference;
    } else {
      await updateLine(trx, line.id, { status: resolution.action, note, actor });
    }
    await recordAudit(trx, {
      actor,
      agencyId: statement.agencyId,
      action: 'payments.resolve-statement-line',
      subjectType: 'bank-statement',
      subjectId: statement.id,
      requestId: input.requestId,
      details: { line: line.lineNo, bankTransactionId: line.bankTransactionId, from: line.status, to: resolution.action === 'assign' ? 'recorded' : resolution.action, ...(invoiceReference ? { reference: invoiceReference } : {}), ...(note ? { note } : {}) },
    });
    return (await findLine(trx, statement.id, line.id))!;
  });
}
