import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { agencyIndex } from './agencies.ts';
import { aboutInvoice, emitSettled } from './invoices.ts';
import { PAYMENT_RECEIVED, type InvoiceState, type PaymentMethod } from './model.ts';
import { asMoney, Decimal } from './money.ts';
import { ISSUE_RECEIPT_TASK } from './receipts.ts';
import { findInvoice, insertPayment, insertReceipt, nextReceiptSeq } from './store.ts';

export interface PaymentToRecord {
  invoiceId: string;
  method: PaymentMethod;
  amount: string;
  currency: string;
  receivedAt: Date;
  /** The bank's booking date, for transfers. */
  receivedOn?: string;
  mobileRequestId?: string;
  statementLineId?: string;
  cash?: { cashierId: string; tendered: string; change: string };
  actor: AuditActor;
  requestId: string | null;
}

export interface RecordedPayment {
  paymentId: string;
  receiptId: string;
  receiptNumber: string;
  state: InvoiceState;
}

/** `COMMERCE-2026-000042`: the agency's code, the year, and the receipt's place in that year. */
export function receiptNumber(agencyCode: string, year: number, seq: number): string {
  return `${agencyCode.toUpperCase()}-${year}-${String(seq).padStart(6, '0')}`;
}

/**
 * Money received for an invoice, however it came: the payment, the invoice's new paid amount and
 * state, a receipt number (the next of the agency's year, without gaps), the audit entry, the
 * settlement event when this payment completes the invoice, and the job that signs the receipt.
 * Money that arrives for an invoice no longer due (cancelled, already paid) is still recorded: it
 * was received, and a finance officer refunds it.
 */
export async function recordPayment(trx: Tx, jobs: JobQueue, p: PaymentToRecord): Promise<RecordedPayment> {
  const invoice = await findInvoice(trx, p.invoiceId, true);
  if (!invoice) throw Problem.notFound('There is no invoice with this id.');
  if (p.currency !== invoice.currency) throw Problem.conflict(`The invoice is in ${invoice.currency}; ${p.currency} cannot pay it.`);
  const paymentId = randomUUID();
  await insertPayment(trx, { ...p, id: paymentId, agencyId: invoice.agencyId });

  const paid = new Decimal(invoice.paidAmount).plus(p.amount);
  const payable = invoice.state === 'open' || invoice.state === 'partly-paid';
  const state: InvoiceState = !payable ? invoice.state : paid.gte(invoice.amount) ? 'paid' : 'partly-paid';
  const settles = payable && state === 'paid';
  const updated = await sql<{ settled_at: Date | null }>`
    UPDATE payments_invoices SET paid_amount = ${paid.toFixed()}, state = ${state}, updated_at = now(),
           settled_at = ${settles ? sql`now()` : sql`settled_at`}
    WHERE id = ${invoice.id} RETURNING settled_at`.execute(trx);

  const issuedAt = new Date();
  const year = issuedAt.getUTCFullYear();
  const agency = (await agencyIndex(trx)).get(invoice.agencyId);
  const seq = await nextReceiptSeq(trx, invoice.agencyId, year);
  const receipt = { id: randomUUID(), number: receiptNumber(agency?.code ?? 'receipt', year, seq) };
  await insertReceipt(trx, { id: receipt.id, paymentId, agencyId: invoice.agencyId, year, seq, number: receipt.number, issuedAt });

  await recordAudit(trx, {
    actor: p.actor,
    agencyId: invoice.agencyId,
    action: 'payments.record-payment',
    subjectType: 'invoice',
    subjectId: invoice.id,
    requestId: p.requestId,
    details: {
      payment: paymentId,
      method: p.method,
      amount: asMoney(p.amount, invoice.decimals),
      currency: p.currency,
      receipt: receipt.number,
      from: invoice.state,
      to: state,
      ...(p.cash ? { tendered: p.cash.tendered, change: p.cash.change } : {}),
    },
    change: { ...p, paymentId },
  });
  await jobs.emit(trx, PAYMENT_RECEIVED, { ...aboutInvoice(invoice), paymentId, method: p.method, amount: asMoney(p.amount, invoice.decimals), at: p.receivedAt.toISOString() }, { dedupeKey: paymentId });
  if (settles) await emitSettled(trx, jobs, { ...invoice, paidAmount: paid.toFixed(), settledAt: updated.rows[0]!.settled_at });
  await jobs.enqueue(trx, ISSUE_RECEIPT_TASK, { receiptId: receipt.id }, { dedupeKey: `payments-receipt:${receipt.id}`, maxAttempts: 20 });
  return { paymentId, receiptId: receipt.id, receiptNumber: receipt.number, state };
}
