import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { hasAnyRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { INVOICE_CANCELLED, INVOICE_ISSUED, INVOICE_SETTLED, PAYMENT_STAFF, type InvoiceRequest, type InvoiceView } from './model.ts';
import { asMoney, Decimal, isAmount, MAX_DECIMALS, sum, withinLimit } from './money.ts';
import { formatReference, newReference } from './reference.ts';
import { findInvoice, findInvoiceFor, invoicesOfSubject, type StoredInvoice } from './store.ts';

export const payPath = (invoiceId: string) => `/pay/${invoiceId}`;

function invoiceView(invoice: StoredInvoice): InvoiceView {
  return {
    id: invoice.id,
    reference: formatReference(invoice.reference),
    state: invoice.state,
    currency: invoice.currency,
    decimals: invoice.decimals,
    amount: asMoney(invoice.amount, invoice.decimals),
    paidAmount: asMoney(invoice.paidAmount, invoice.decimals),
    lines: invoice.lines,
    dueAt: invoice.dueAt,
    payPath: payPath(invoice.id),
  };
}

/** What is still to pay; nothing once the invoice is settled, cancelled or refunded. */
export function outstanding(invoice: StoredInvoice): Decimal {
  if (invoice.state !== 'open' && invoice.state !== 'partly-paid') return new Decimal(0);
  return Decimal.max(0, new Decimal(invoice.amount).minus(invoice.paidAmount));
}

/** What every event about an invoice says of it, so subscribers need not ask the block. */
export function aboutInvoice(invoice: StoredInvoice) {
  return { invoiceId: invoice.id, subjectType: invoice.subjectType, subjectId: invoice.subjectId, purpose: invoice.purpose, currency: invoice.currency };
}

/** Announce that an invoice is paid in full, with all it has received by then. */
export async function emitSettled(trx: Tx, jobs: JobQueue, invoice: StoredInvoice): Promise<void> {
  await jobs.emit(trx, INVOICE_SETTLED, { ...aboutInvoice(invoice), amount: asMoney(invoice.paidAmount, invoice.decimals), at: invoice.settledAt!.toISOString() }, { dedupeKey: invoice.id });
}

export function isPayer(principal: Principal | null, invoice: StoredInvoice): boolean {
  return principal !== null && (principal.id === invoice.payerUserId || (principal.partyId !== null && principal.partyId === invoice.payerPartyId));
}

/**
 * The invoice for its payer, or for staff with a payments role in its agency. Another citizen is
 * told there is no such invoice, so invoice ids reveal nothing; other staff are refused.
 */
export async function invoiceForViewer(executor: Executor, principal: Principal, id: string): Promise<StoredInvoice> {
  const invoice = await findInvoice(executor, id);
  if (invoice && (isPayer(principal, invoice) || hasAnyRole(principal, PAYMENT_STAFF, invoice.agencyId))) return invoice;
  if (!invoice || !hasAnyRole(principal, PAYMENT_STAFF)) throw Problem.notFound('There is no invoice with this id among yours.');
  throw Problem.forbidden('This invoice belongs to an agency you do not handle payments for.');
}

function checkRequest(request: InvoiceRequest): Decimal {
  const { currency, decimals, lines } = request;
  // These come from service definitions and code, not from a form: a mistake here is a bug to see.
  if (!/^[A-Z]{3}$/.test(currency)) throw new Error(`Invoice currency "${currency}" is not an ISO 4217 code`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) throw new Error(`Invoice decimals ${decimals} must be 0 to ${MAX_DECIMALS}`);
  if (lines.length === 0) throw new Error('An invoice needs at least one line');
  if (new Set(lines.map((l) => l.id)).size !== lines.length) throw new Error('Invoice line ids must be unique');
  for (const line of lines) {
    if (!isAmount(line.amount, decimals)) throw new Error(`Invoice line ${line.id}: "${line.amount}" is not an amount with at most ${decimals} decimals`);
  }
  const total = sum(lines.map((l) => l.amount));
  if (!withinLimit(total)) throw new Error('The invoice total is out of range');
  return total;
}

/** Open the invoice of a subject and purpose, or give back the one it already has. A zero invoice is settled at once. */
export async function openInvoice(trx: Tx, jobs: JobQueue, request: InvoiceRequest): Promise<InvoiceView> {
  const total = checkRequest(request);
  const existing = await findInvoiceFor(trx, request.subjectType, request.subjectId, request.purpose);
  if (existing) return invoiceView(existing);
  const settled = total.isZero();
  for (;;) {
    const id = randomUUID();
    const reference = newReference();
    // ON CONFLICT without a target also absorbs the (unlikely) reuse of a random reference: then try another.
    const inserted = await sql<{ id: string }>`
      INSERT INTO payments_invoices (id, agency_id, subject_type, subject_id, purpose, reference, payer_party_id, payer_user_id,
                                     payer_name, payer_locale, currency, decimals, lines, amount, state, due_at, settled_at)
      VALUES (${id}, ${request.agencyId}, ${request.subjectType}, ${request.subjectId}, ${request.purpose}, ${reference},
              ${request.payer.partyId}, ${request.payer.userId}, ${request.payer.name}, ${request.payer.locale}, ${request.currency},
              ${request.decimals}, ${JSON.stringify(request.lines)}::jsonb, ${total.toFixed()}, ${settled ? 'paid' : 'open'},
              ${request.dueAt}, ${settled ? sql`now()` : null})
      ON CONFLICT DO NOTHING RETURNING id`.execute(trx);
    if (inserted.rows.length === 0) {
      const raced = await findInvoiceFor(trx, request.subjectType, request.subjectId, request.purpose);
      if (raced) return invoiceView(raced);
      continue;
    }
    await recordAudit(trx, {
      actor: request.actor,
      agencyId: request.agencyId,
      action: 'payments.open-invoice',
      subjectType: 'invoice',
      subjectId: id,
      requestId: request.requestId,
      details: { reference, amount: total.toFixed(), currency: request.currency, for: `${request.subjectType} ${request.subjectId}`, purpose: request.purpose, state: settled ? 'paid' : 'open' },
      change: request,
    });
    const invoice = (await findInvoice(trx, id))!;
    await jobs.emit(trx, INVOICE_ISSUED, { ...aboutInvoice(invoice), agencyId: invoice.agencyId, amount: asMoney(invoice.amount, invoice.decimals), at: invoice.createdAt.toISOString() }, { dedupeKey: id });
    if (settled) await emitSettled(trx, jobs, invoice);
    return invoiceView(invoice);
  }
}

export async function invoicesFor(executor: Executor, subjectType: string, subjectId: string): Promise<InvoiceView[]> {
  return (await invoicesOfSubject(executor, subjectType, subjectId)).map(invoiceView);
}

/**
 * Nothing more is due: open and partly-paid invoices are cancelled. Money already received stays
 * recorded; the finance officers refund it (a refund request on each payment).
 */
export async function cancelOpenInvoices(trx: Tx, jobs: JobQueue, subjectType: string, subjectId: string, reason: string, actor: AuditActor): Promise<void> {
  for (const invoice of await invoicesOfSubject(trx, subjectType, subjectId, true)) {
    if (invoice.state !== 'open' && invoice.state !== 'partly-paid') continue;
    const cancelled = await sql<{ cancelled_at: Date }>`
      UPDATE payments_invoices SET state = 'cancelled', cancelled_at = now(), cancel_reason = ${reason}, updated_at = now() WHERE id = ${invoice.id}
      RETURNING cancelled_at`.execute(trx);
    // What was received stays received (and is refunded): subscribers learn how much, to tell the two apart.
    await jobs.emit(trx, INVOICE_CANCELLED, { ...aboutInvoice(invoice), amount: asMoney(invoice.amount, invoice.decimals), paid: asMoney(invoice.paidAmount, invoice.decimals), at: cancelled.rows[0]!.cancelled_at.toISOString() }, { dedupeKey: invoice.id });
    await recordAudit(trx, {
      actor,
      agencyId: invoice.agencyId,
      action: 'payments.cancel-invoice',
      subjectType: 'invoice',
      subjectId: invoice.id,
      details: { reference: invoice.reference, from: invoice.state, to: 'cancelled', reason, paid: asMoney(invoice.paidAmount, invoice.decimals) },
    });
  }
}
