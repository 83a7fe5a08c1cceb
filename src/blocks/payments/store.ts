import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { AuditActor } from '../audit/index.ts';
import type { InvoiceLine, InvoiceState, PaymentMethod } from './model.ts';

/** Amounts come back from `numeric` columns as exact strings ("15000.0000"). */
export interface StoredInvoice {
  id: string;
  agencyId: string;
  subjectType: string;
  subjectId: string;
  purpose: string;
  reference: string;
  payerPartyId: string;
  payerUserId: string;
  payerName: string;
  payerLocale: string;
  currency: string;
  decimals: number;
  lines: InvoiceLine[];
  amount: string;
  paidAmount: string;
  refundedAmount: string;
  state: InvoiceState;
  dueAt: Date;
  createdAt: Date;
  settledAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
}

const INVOICE = sql`id, agency_id AS "agencyId", subject_type AS "subjectType", subject_id AS "subjectId", purpose, reference,
  payer_party_id AS "payerPartyId", payer_user_id AS "payerUserId", payer_name AS "payerName", payer_locale AS "payerLocale",
  currency, decimals, lines, amount, paid_amount AS "paidAmount", refunded_amount AS "refundedAmount", state, due_at AS "dueAt",
  created_at AS "createdAt", settled_at AS "settledAt", cancelled_at AS "cancelledAt", cancel_reason AS "cancelReason"`;

const lock = (forUpdate: boolean) => (forUpdate ? sql`FOR UPDATE` : sql``);

export async function findInvoice(executor: Executor, id: string, forUpdate = false): Promise<StoredInvoice | undefined> {
  const result = await sql<StoredInvoice>`SELECT ${INVOICE} FROM payments_invoices WHERE id = ${id} ${lock(forUpdate)}`.execute(executor);
  return result.rows[0];
}

export async function findInvoiceByReference(executor: Executor, reference: string): Promise<StoredInvoice | undefined> {
  const result = await sql<StoredInvoice>`SELECT ${INVOICE} FROM payments_invoices WHERE reference = ${reference}`.execute(executor);
  return result.rows[0];
}

export async function findInvoiceFor(executor: Executor, subjectType: string, subjectId: string, purpose: string): Promise<StoredInvoice | undefined> {
  const result = await sql<StoredInvoice>`
    SELECT ${INVOICE} FROM payments_invoices WHERE subject_type = ${subjectType} AND subject_id = ${subjectId} AND purpose = ${purpose}`.execute(executor);
  return result.rows[0];
}

export async function invoicesOfSubject(executor: Executor, subjectType: string, subjectId: string, forUpdate = false): Promise<StoredInvoice[]> {
  const result = await sql<StoredInvoice>`
    SELECT ${INVOICE} FROM payments_invoices WHERE subject_type = ${subjectType} AND subject_id = ${subjectId}
    ORDER BY created_at, id ${lock(forUpdate)}`.execute(executor);
  return result.rows;
}

export interface InvoiceQuery {
  /** null: every agency (a platform-wide grant). */
  agencyIds: string[] | null;
  state?: InvoiceState;
  /** Keyset pagination: invoices created before this one. */
  before?: { createdAt: Date; id: string };
  limit: number;
}

export async function listInvoices(executor: Executor, query: InvoiceQuery): Promise<StoredInvoice[]> {
  const conditions = [sql`true`];
  if (query.agencyIds) conditions.push(sql`agency_id = ANY(${query.agencyIds}::uuid[])`);
  if (query.state) conditions.push(sql`state = ${query.state}`);
  if (query.before) conditions.push(sql`(created_at, id) < (${query.before.createdAt}, ${query.before.id})`);
  const result = await sql<StoredInvoice>`
    SELECT ${INVOICE} FROM payments_invoices WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY created_at DESC, id DESC LIMIT ${query.limit}`.execute(executor);
  return result.rows;
}

// ---------------------------------------------------------------------------------------------
// Payments and receipts

export interface StoredPayment {
  id: string;
  invoiceId: string;
  agencyId: string;
  method: PaymentMethod;
  amount: string;
  currency: string;
  receivedOn: string;
  receivedAt: Date;
  cashierId: string | null;
  tendered: string | null;
  changeGiven: string | null;
  recordedByName: string | null;
  /** Refunds of it approved or still to decide: what cannot be asked for again. */
  refundedOrAsked: string;
  receiptId: string | null;
  receiptNumber: string | null;
  receiptDocumentId: string | null;
}

const PAYMENT = sql`p.id, p.invoice_id AS "invoiceId", p.agency_id AS "agencyId", p.method, p.amount, p.currency,
  to_char(p.received_on, 'YYYY-MM-DD') AS "receivedOn", p.received_at AS "receivedAt", p.cashier_id AS "cashierId",
  p.tendered, p.change_given AS "changeGiven", p.recorded_by_name AS "recordedByName",
  (SELECT coalesce(sum(f.amount), 0) FROM payments_refunds f WHERE f.payment_id = p.id AND f.state <> 'refused') AS "refundedOrAsked",
  r.id AS "receiptId", r.number AS "receiptNumber", r.document_id AS "receiptDocumentId"`;

export async function paymentsOfInvoice(executor: Executor, invoiceId: string): Promise<StoredPayment[]> {
  const result = await sql<StoredPayment>`
    SELECT ${PAYMENT} FROM payments_payments p LEFT JOIN payments_receipts r ON r.payment_id = p.id
    WHERE p.invoice_id = ${invoiceId} ORDER BY p.received_at, p.id`.execute(executor);
  return result.rows;
}

export async function findPayment(executor: Executor, id: string, forUpdate = false): Promise<StoredPayment | undefined> {
  const result = await sql<StoredPayment>`
    SELECT ${PAYMENT} FROM payments_payments p LEFT JOIN payments_receipts r ON r.payment_id = p.id
    WHERE p.id = ${id} ${forUpdate ? sql`FOR UPDATE OF p` : sql``}`.execute(executor);
  return result.rows[0];
}

export interface NewPayment {
  id: string;
  invoiceId: string;
  agencyId: string;
  method: PaymentMethod;
  amount: string;
  currency: string;
  receivedAt: Date;
  mobileRequestId?: string;
  statementLineId?: string;
  /** Bank transfers count on the day the bank booked them, not the day they were reconciled. */
  receivedOn?: string;
  cash?: { cashierId: string; tendered: string; change: string };
  actor: AuditActor;
}

export async function insertPayment(executor: Executor, p: NewPayment): Promise<void> {
  await sql`
    INSERT INTO payments_payments (id, invoice_id, agency_id, method, amount, currency, received_on, received_at, mobile_request_id,
                                   statement_line_id, cashier_id, tendered, change_given, recorded_by_id, recorded_by_name)
    VALUES (${p.id}, ${p.invoiceId}, ${p.agencyId}, ${p.method}, ${p.amount}, ${p.currency},
            coalesce(${p.receivedOn ?? null}::date, (${p.receivedAt}::timestamptz AT TIME ZONE 'UTC')::date), ${p.receivedAt}, ${p.mobileRequestId ?? null}, ${p.statementLineId ?? null},
            ${p.cash?.cashierId ?? null}, ${p.cash?.tendered ?? null}, ${p.cash?.change ?? null}, ${p.actor.id}, ${p.actor.name})`.execute(executor);
}

export interface ReceiptRow {
  id: string;
  paymentId: string;
  agencyId: string;
  number: string;
  issuedAt: Date;
  documentId: string | null;
}

/** The next receipt number of the agency for the year; the counter row stays locked until the transaction ends, so numbers have no gaps. */
export async function nextReceiptSeq(executor: Executor, agencyId: string, year: number): Promise<number> {
  const result = await sql<{ last_number: number }>`
    INSERT INTO payments_receipt_counters (agency_id, year, last_number) VALUES (${agencyId}, ${year}, 1)
    ON CONFLICT (agency_id, year) DO UPDATE SET last_number = payments_receipt_counters.last_number + 1
    RETURNING last_number`.execute(executor);
  return result.rows[0]!.last_number;
}

export async function insertReceipt(executor: Executor, r: { id: string; paymentId: string; agencyId: string; year: number; seq: number; number: string; issuedAt: Date }): Promise<void> {
  await sql`
    INSERT INTO payments_receipts (id, payment_id, agency_id, year, seq, number, issued_at)
    VALUES (${r.id}, ${r.paymentId}, ${r.agencyId}, ${r.year}, ${r.seq}, ${r.number}, ${r.issuedAt})`.execute(executor);
}

export async function findReceipt(executor: Executor, id: string, forUpdate = false): Promise<ReceiptRow | undefined> {
  const result = await sql<ReceiptRow>`
    SELECT id, payment_id AS "paymentId", agency_id AS "agencyId", number, issued_at AS "issuedAt", document_id AS "documentId"
    FROM payments_receipts WHERE id = ${id} ${lock(forUpdate)}`.execute(executor);
  return result.rows[0];
}

// ---------------------------------------------------------------------------------------------
// Mobile-money requests

export type MobileRequestState = 'requested' | 'pending' | 'completed' | 'failed' | 'expired';

export interface MobileRequest {
  id: string;
  invoiceId: string;
  providerPaymentId: string | null;
  amount: string;
  currency: string;
  phoneHint: string;
  state: MobileRequestState;
  statusChecks: number;
  failure: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const MOBILE = sql`id, invoice_id AS "invoiceId", provider_payment_id AS "providerPaymentId", amount, currency, phone_hint AS "phoneHint",
  state, status_checks AS "statusChecks", failure, created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function insertMobileRequest(executor: Executor, r: { id: string; invoiceId: string; amount: string; currency: string; phoneHint: string; requestedBy: string }): Promise<void> {
  await sql`
    INSERT INTO payments_mobile_requests (id, invoice_id, amount, currency, phone_hint, state, requested_by)
    VALUES (${r.id}, ${r.invoiceId}, ${r.amount}, ${r.currency}, ${r.phoneHint}, 'requested', ${r.requestedBy})`.execute(executor);
}

export async function findMobileRequest(executor: Executor, by: { id: string } | { providerPaymentId: string }, forUpdate = false): Promise<MobileRequest | undefined> {
  const where = 'id' in by ? sql`id = ${by.id}` : sql`provider_payment_id = ${by.providerPaymentId}`;
  const result = await sql<MobileRequest>`SELECT ${MOBILE} FROM payments_mobile_requests WHERE ${where} ${lock(forUpdate)}`.execute(executor);
  return result.rows[0];
}

export async function latestMobileRequest(executor: Executor, invoiceId: string): Promise<MobileRequest | undefined> {
  const result = await sql<MobileRequest>`
    SELECT ${MOBILE} FROM payments_mobile_requests WHERE invoice_id = ${invoiceId} ORDER BY created_at DESC, id DESC LIMIT 1`.execute(executor);
  return result.rows[0];
}

export async function updateMobileRequest(executor: Executor, id: string, change: { state: MobileRequestState; providerPaymentId?: string; failure?: string | null; statusChecks?: number }): Promise<void> {
  await sql`
    UPDATE payments_mobile_requests SET state = ${change.state}, updated_at = now(),
      provider_payment_id = coalesce(${change.providerPaymentId ?? null}, provider_payment_id),
      failure = ${change.failure === undefined ? sql`failure` : change.failure},
      status_checks = ${change.statusChecks ?? sql`status_checks`}
    WHERE id = ${id}`.execute(executor);
}

// ---------------------------------------------------------------------------------------------
// Bank statements

export type LineProposal = 'exact' | 'under' | 'over' | 'unmatched' | 'duplicate';
export type LineStatus = 'pending' | 'recorded' | 'refund-due' | 'not-ours' | 'duplicate';

export interface StoredStatement {
  id: string;
  agencyId: string;
  format: 'csv' | 'camt.053';
  fileName: string;
  sha256: string;
  lineCount: number;
  skippedDebits: number;
  uploadedByName: string | null;
  createdAt: Date;
  /** Lines still to review (pending). */
  pending: number;
}

export interface StoredLine {
  id: string;
  statementId: string;
  agencyId: string;
  /** Its place among the statement's credits, from 1. */
  lineNo: number;
  bookedOn: string;
  amount: string;
  currency: string;
  remittance: string;
  bankTransactionId: string;
  payerName: string;
  reference: string | null;
  invoiceId: string | null;
  proposal: LineProposal;
  status: LineStatus;
  note: string | null;
  resolvedByName: string | null;
  resolvedAt: Date | null;
}

const STATEMENT = sql`s.id, s.agency_id AS "agencyId", s.format, s.file_name AS "fileName", s.sha256, s.line_count AS "lineCount",
  s.skipped_debits AS "skippedDebits", s.uploaded_by_name AS "uploadedByName", s.created_at AS "createdAt",
  (SELECT count(*)::int FROM payments_statement_lines l WHERE l.statement_id = s.id AND l.status = 'pending') AS pending`;

const LINE = sql`id, statement_id AS "statementId", agency_id AS "agencyId", line_no AS "lineNo", to_char(booked_on, 'YYYY-MM-DD') AS "bookedOn",
  amount, currency, remittance, bank_transaction_id AS "bankTransactionId", payer_name AS "payerName", reference, invoice_id AS "invoiceId",
  proposal, status, note, resolved_by_name AS "resolvedByName", resolved_at AS "resolvedAt"`;

export async function insertStatement(executor: Executor, s: { id: string; agencyId: string; format: string; fileName: string; sha256: string; content: string; lineCount: number; skippedDebits: number; actor: AuditActor }): Promise<void> {
  await sql`
    INSERT INTO payments_statements (id, agency_id, format, file_name, sha256, content, line_count, skipped_debits, uploaded_by_id, uploaded_by_name)
    VALUES (${s.id}, ${s.agencyId}, ${s.format}, ${s.fileName}, ${s.sha256}, ${s.content}, ${s.lineCount}, ${s.skippedDebits}, ${s.actor.id}, ${s.actor.name})`.execute(executor);
}

export type NewLine = Omit<StoredLine, 'note' | 'resolvedByName' | 'resolvedAt'>;

export async function insertLines(executor: Executor, lines: NewLine[]): Promise<void> {
  // In slices, to stay far below PostgreSQL's limit on parameters per statement.
  for (let start = 0; start < lines.length; start += 500) {
    const rows = lines.slice(start, start + 500).map(
      (l) => sql`(${l.id}, ${l.statementId}, ${l.agencyId}, ${l.lineNo}, ${l.bookedOn}, ${l.amount}, ${l.currency}, ${l.remittance},
                  ${l.bankTransactionId}, ${l.payerName}, ${l.reference}, ${l.invoiceId}, ${l.proposal}, ${l.status})`,
    );
    await sql`
      INSERT INTO payments_statement_lines (id, statement_id, agency_id, line_no, booked_on, amount, currency, remittance,
                                            bank_transaction_id, payer_name, reference, invoice_id, proposal, status)
      VALUES ${sql.join(rows)}`.execute(executor);
  }
}

/** Bank transaction ids the agency has already imported, among these. */
export async function knownBankTransactions(executor: Executor, agencyId: string, ids: string[]): Promise<Set<string>> {
  const result = await sql<{ id: string }>`
    SELECT bank_transaction_id AS id FROM payments_statement_lines
    WHERE agency_id = ${agencyId} AND status <> 'duplicate' AND bank_transaction_id = ANY(${ids}::text[])`.execute(executor);
  return new Set(result.rows.map((r) => r.id));
}

/** What lines awaiting review already propose to pay on an invoice. */
export async function proposedForInvoice(executor: Executor, invoiceId: string): Promise<string> {
  const result = await sql<{ total: string }>`
    SELECT coalesce(sum(amount), 0) AS total FROM payments_statement_lines
    WHERE invoice_id = ${invoiceId} AND status = 'pending' AND proposal IN ('exact', 'under')`.execute(executor);
  return result.rows[0]!.total;
}

export async function findStatement(executor: Executor, id: string): Promise<StoredStatement | undefined> {
  const result = await sql<StoredStatement>`SELECT ${STATEMENT} FROM payments_statements s WHERE s.id = ${id}`.execute(executor);
  return result.rows[0];
}

export async function listStatements(executor: Executor, agencyIds: string[] | null, limit: number): Promise<StoredStatement[]> {
  const result = await sql<StoredStatement>`
    SELECT ${STATEMENT} FROM payments_statements s ${agencyIds ? sql`WHERE s.agency_id = ANY(${agencyIds}::uuid[])` : sql``}
    ORDER BY s.created_at DESC, s.id DESC LIMIT ${limit}`.execute(executor);
  return result.rows;
}

export async function linesOf(executor: Executor, statementId: string, only?: { status: LineStatus; proposals: LineProposal[] }, forUpdate = false): Promise<StoredLine[]> {
  const filter = only ? sql`AND status = ${only.status} AND proposal = ANY(${only.proposals}::text[])` : sql``;
  const result = await sql<StoredLine>`
    SELECT ${LINE} FROM payments_statement_lines WHERE statement_id = ${statementId} ${filter} ORDER BY line_no ${lock(forUpdate)}`.execute(executor);
  return result.rows;
}

export async function findLine(executor: Executor, statementId: string, lineId: string, forUpdate = false): Promise<StoredLine | undefined> {
  const result = await sql<StoredLine>`SELECT ${LINE} FROM payments_statement_lines WHERE id = ${lineId} AND statement_id = ${statementId} ${lock(forUpdate)}`.execute(executor);
  return result.rows[0];
}

export async function updateLine(executor: Executor, id: string, change: { status?: LineStatus; proposal?: LineProposal; invoiceId?: string; reference?: string; note?: string | null; actor?: AuditActor }): Promise<void> {
  await sql`
    UPDATE payments_statement_lines SET
      status = coalesce(${change.status ?? null}, status),
      proposal = coalesce(${change.proposal ?? null}, proposal),
      invoice_id = coalesce(${change.invoiceId ?? null}::uuid, invoice_id),
      reference = coalesce(${change.reference ?? null}, reference),
      note = ${change.note === undefined ? sql`note` : change.note},
      resolved_by_id = ${change.actor ? change.actor.id : sql`resolved_by_id`},
      resolved_by_name = ${change.actor ? change.actor.name : sql`resolved_by_name`},
      resolved_at = ${change.actor ? sql`now()` : sql`resolved_at`}
    WHERE id = ${id}`.execute(executor);
}

// ---------------------------------------------------------------------------------------------
// Cash desk

export interface CloseoutTotal {
  currency: string;
  expected: string;
  counted: string;
  difference: string;
}

export interface StoredCloseout {
  id: string;
  agencyId: string;
  cashierId: string;
  cashierName: string;
  day: string;
  totals: CloseoutTotal[];
  note: string | null;
  closedAt: Date;
}

const CLOSEOUT = sql`id, agency_id AS "agencyId", cashier_id AS "cashierId", cashier_name AS "cashierName", to_char(day, 'YYYY-MM-DD') AS day, totals, note, closed_at AS "closedAt"`;

export async function findCloseout(executor: Executor, agencyId: string, cashierId: string, day: string): Promise<StoredCloseout | undefined> {
  const result = await sql<StoredCloseout>`SELECT ${CLOSEOUT} FROM payments_cash_closeouts WHERE agency_id = ${agencyId} AND cashier_id = ${cashierId} AND day = ${day}`.execute(executor);
  return result.rows[0];
}

export async function closeoutsOf(executor: Executor, cashierId: string, day: string): Promise<StoredCloseout[]> {
  const result = await sql<StoredCloseout>`SELECT ${CLOSEOUT} FROM payments_cash_closeouts WHERE cashier_id = ${cashierId} AND day = ${day}`.execute(executor);
  return result.rows;
}

export async function insertCloseout(executor: Executor, c: Omit<StoredCloseout, 'closedAt'>): Promise<void> {
  await sql`
    INSERT INTO payments_cash_closeouts (id, agency_id, cashier_id, cashier_name, day, totals, note)
    VALUES (${c.id}, ${c.agencyId}, ${c.cashierId}, ${c.cashierName}, ${c.day}, ${JSON.stringify(c.totals)}::jsonb, ${c.note})`.execute(executor);
}

/** Cash the cashier took for the agency on the day, by currency. */
export async function cashTaken(executor: Executor, agencyId: string, cashierId: string, day: string): Promise<{ currency: string; total: string; count: number }[]> {
  const result = await sql<{ currency: string; total: string; count: number }>`
    SELECT currency, sum(amount) AS total, count(*)::int AS count FROM payments_payments
    WHERE method = 'cash' AND cashier_id = ${cashierId} AND agency_id = ${agencyId} AND received_on = ${day}
    GROUP BY currency ORDER BY currency`.execute(executor);
  return result.rows;
}

export interface CashEntry {
  paymentId: string;
  agencyId: string;
  invoiceId: string;
  reference: string;
  payerName: string;
  amount: string;
  tendered: string;
  changeGiven: string;
  currency: string;
  decimals: number;
  receivedAt: Date;
  receiptNumber: string;
}

export async function cashEntries(executor: Executor, cashierId: string, day: string): Promise<CashEntry[]> {
  const result = await sql<CashEntry>`
    SELECT p.id AS "paymentId", p.agency_id AS "agencyId", p.invoice_id AS "invoiceId", i.reference, i.payer_name AS "payerName",
           p.amount, p.tendered, p.change_given AS "changeGiven", p.currency, i.decimals, p.received_at AS "receivedAt", r.number AS "receiptNumber"
    FROM payments_payments p JOIN payments_invoices i ON i.id = p.invoice_id JOIN payments_receipts r ON r.payment_id = p.id
    WHERE p.method = 'cash' AND p.cashier_id = ${cashierId} AND p.received_on = ${day}
    ORDER BY p.received_at, p.id`.execute(executor);
  return result.rows;
}

// ---------------------------------------------------------------------------------------------
// Refunds

export type RefundState = 'requested' | 'approved' | 'refused';

export interface StoredRefund {
  id: string;
  paymentId: string;
  invoiceId: string;
  agencyId: string;
  amount: string;
  currency: string;
  reason: string;
  state: RefundState;
  requestedById: string;
  requestedByName: string;
  requestedAt: Date;
  decidedByName: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  reference: string;
  decimals: number;
  method: PaymentMethod;
}

const REFUND = sql`f.id, f.payment_id AS "paymentId", f.invoice_id AS "invoiceId", f.agency_id AS "agencyId", f.amount, f.currency, f.reason, f.state,
  f.requested_by_id AS "requestedById", f.requested_by_name AS "requestedByName", f.requested_at AS "requestedAt",
  f.decided_by_name AS "decidedByName", f.decided_at AS "decidedAt", f.decision_note AS "decisionNote",
  i.reference, i.decimals, p.method`;
const REFUND_FROM = sql`payments_refunds f JOIN payments_invoices i ON i.id = f.invoice_id JOIN payments_payments p ON p.id = f.payment_id`;

export async function insertRefund(executor: Executor, r: { id: string; paymentId: string; invoiceId: string; agencyId: string; amount: string; currency: string; reason: string; actor: AuditActor }): Promise<void> {
  await sql`
    INSERT INTO payments_refunds (id, payment_id, invoice_id, agency_id, amount, currency, reason, state, requested_by_id, requested_by_name)
    VALUES (${r.id}, ${r.paymentId}, ${r.invoiceId}, ${r.agencyId}, ${r.amount}, ${r.currency}, ${r.reason}, 'requested', ${r.actor.id}, ${r.actor.name})`.execute(executor);
}

export async function findRefund(executor: Executor, id: string, forUpdate = false): Promise<StoredRefund | undefined> {
  const result = await sql<StoredRefund>`SELECT ${REFUND} FROM ${REFUND_FROM} WHERE f.id = ${id} ${forUpdate ? sql`FOR UPDATE OF f` : sql``}`.execute(executor);
  return result.rows[0];
}

export async function listRefunds(executor: Executor, query: { agencyIds: string[] | null; invoiceId?: string; state?: RefundState; limit: number }): Promise<StoredRefund[]> {
  const conditions = [sql`true`];
  if (query.agencyIds) conditions.push(sql`f.agency_id = ANY(${query.agencyIds}::uuid[])`);
  if (query.invoiceId) conditions.push(sql`f.invoice_id = ${query.invoiceId}`);
  if (query.state) conditions.push(sql`f.state = ${query.state}`);
  const result = await sql<StoredRefund>`
    SELECT ${REFUND} FROM ${REFUND_FROM} WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY (f.state = 'requested') DESC, f.requested_at DESC, f.id DESC LIMIT ${query.limit}`.execute(executor);
  return result.rows;
}

export async function decideRefundRow(executor: Executor, id: string, d: { state: 'approved' | 'refused'; actor: AuditActor; note: string | null }): Promise<void> {
  await sql`
    UPDATE payments_refunds SET state = ${d.state}, decided_by_id = ${d.actor.id}, decided_by_name = ${d.actor.name}, decided_at = now(), decision_note = ${d.note}
    WHERE id = ${id}`.execute(executor);
}
