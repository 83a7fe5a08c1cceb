import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config.ts';
import type { Db, Executor, Tx } from '../../platform/db/database.ts';
import type { Principal } from '../../platform/http/access.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import type { AuditActor } from '../audit/index.ts';
import type { Signer } from '../esignature/index.ts';
import type { Messenger } from '../messaging/index.ts';

/**
 * The block's events, each emitted in the transaction of the change it tells, once (a dedupe key
 * per invoice, payment or refund). Amounts are exact decimal strings in the invoice's currency;
 * `at` is when the change happened. Payloads in docs/payments.md.
 */
/** An invoice was opened: `{ invoiceId, agencyId, subjectType, subjectId, purpose, currency, amount, at }`. */
export const INVOICE_ISSUED = 'payments.invoice-issued';
/** Money was received for an invoice (any method, any state): `{ paymentId, invoiceId, subjectType, subjectId, method, currency, amount, at }`. */
export const PAYMENT_RECEIVED = 'payments.payment-received';
/** An invoice is paid in full: `{ invoiceId, subjectType, subjectId, purpose, currency, amount, at }`, `amount` all received by then. */
export const INVOICE_SETTLED = 'payments.invoice-settled';
/** An invoice is no longer due: `{ invoiceId, subjectType, subjectId, purpose, currency, amount, paid, at }`. */
export const INVOICE_CANCELLED = 'payments.invoice-cancelled';
/** Money received is given back (approved under four eyes): `{ refundId, paymentId, invoiceId, subjectType, subjectId, currency, amount, at }`. */
export const REFUND_APPROVED = 'payments.refund-approved';

export type InvoiceState = 'open' | 'partly-paid' | 'paid' | 'cancelled' | 'refunded';
export const INVOICE_STATES: readonly InvoiceState[] = ['open', 'partly-paid', 'paid', 'cancelled', 'refunded'];

export type PaymentMethod = 'mobile-money' | 'bank-transfer' | 'cash';
export const PAYMENT_METHODS: readonly PaymentMethod[] = ['mobile-money', 'bank-transfer', 'cash'];

/** The block itself, when it acts on its own (signing a receipt, giving up on a request). */
export const PAYMENTS_ACTOR: AuditActor = { type: 'system', id: null, name: 'payments' };

/** Staff roles that see an agency's payments; each use case narrows further. */
export const CASHIER = 'cashier';
export const FINANCE_OFFICER = 'finance-officer';
export const PAYMENT_STAFF = [CASHIER, FINANCE_OFFICER, 'agency-head', 'auditor'] as const;
/** Who reads statements, refunds and reports: not the cashier, whose own takings they check. */
export const FINANCE_READERS = [FINANCE_OFFICER, 'agency-head', 'auditor'] as const;

export interface InvoiceLine {
  id: string;
  label: Record<string, string>;
  amount: string;
}

export interface InvoiceRequest {
  agencyId: string;
  subjectType: string;
  subjectId: string;
  /** Why it is due, e.g. `fees`; one invoice per subject and purpose. */
  purpose: string;
  payer: { partyId: string; userId: string; name: string; locale: string };
  currency: string;
  decimals: number;
  /** Exact decimal amounts as strings, e.g. "15000" or "12.50". */
  lines: InvoiceLine[];
  dueAt: Date;
  actor: AuditActor;
  requestId: string | null;
}

export interface InvoiceView {
  id: string;
  /** The ISO 11649 creditor reference as printed, in groups of four: `RF18 5392 0183 1234`. */
  reference: string;
  state: InvoiceState;
  currency: string;
  decimals: number;
  amount: string;
  paidAmount: string;
  lines: InvoiceLine[];
  dueAt: Date;
  /** The payer's page for this invoice. */
  payPath: string;
}

export interface Payments {
  /** Open the invoice for a subject and purpose, or return the one already open (idempotent). */
  openInvoice(trx: Tx, request: InvoiceRequest): Promise<InvoiceView>;
  invoicesFor(executor: Executor, subjectType: string, subjectId: string): Promise<InvoiceView[]>;
  /** The subject no longer needs paying for (withdrawn, refused): open invoices are cancelled. */
  cancelOpenInvoices(trx: Tx, subjectType: string, subjectId: string, reason: string, actor: AuditActor): Promise<void>;
  /**
   * The payer asks to pay what is left by mobile money, as on the invoice's web page: the provider
   * asks them to confirm on their phone and calls back. Refused (404) when no provider is configured.
   */
  startMobileMoney(input: { invoiceId: string; phone: string; principal: Principal; requestId: string }): Promise<{ mobileRequestId: string; confirmUrl: string }>;
  /**
   * A cashier of the invoice's agency takes cash at the counter, as on `/payments/cash` (what is
   * due, or more: the change is given back); the demo's permits are paid this way.
   */
  recordCash(input: { invoiceId: string; tendered: string; principal: Principal; requestId: string }): Promise<{ amount: string; change: string; currency: string }>;
}

export interface PaymentsDeps {
  db: Db;
  jobs: JobQueue;
  log: Logger;
  signer: Signer;
  messenger: Messenger;
  mobileMoney: GatewayConfig | undefined;
  baseUrl: string;
  bankAccount: string;
}
