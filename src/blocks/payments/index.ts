import { defineRole } from '../identity/index.ts';
import { mobileMoneyChecker, CHECK_MOBILE_MONEY_TASK } from './check-mobile-money.ts';
import { recordCash } from './counter-cash.ts';
import { cancelOpenInvoices, invoicesFor, openInvoice } from './invoices.ts';
import type { Payments, PaymentsDeps } from './model.ts';
import { configuredProvider } from './providers/configured-provider.ts';
import { ISSUE_RECEIPT_TASK, receiptIssuer, receiptSender, SEND_RECEIPT_TASK } from './receipts.ts';
import { Problem } from '../../platform/http/problem.ts';
import { startMobileMoneyPayment } from './start-mobile-money.ts';

defineRole('cashier', 'Takes cash at an agency counter and closes the day');
defineRole('finance-officer', "Reconciles an agency's bank statements, approves refunds, reads its payment reports");

export {
  INVOICE_CANCELLED,
  INVOICE_ISSUED,
  INVOICE_SETTLED,
  INVOICE_STATES,
  PAYMENT_METHODS,
  PAYMENT_RECEIVED,
  REFUND_APPROVED,
  type InvoiceLine,
  type InvoiceRequest,
  type InvoiceState,
  type InvoiceView,
  type PaymentMethod,
  type Payments,
  type PaymentsDeps,
} from './model.ts';
export { paymentsMigrations } from './migrations/index.ts';
export { formatReference, parseReference } from './reference.ts';
export { paymentsRoutes } from './routes.ts';
export type { PaymentProvider } from './providers/provider.ts';

export function createPayments(deps: PaymentsDeps): Payments {
  const provider = configuredProvider(deps.mobileMoney);
  deps.jobs.register(CHECK_MOBILE_MONEY_TASK, mobileMoneyChecker(deps, provider));
  deps.jobs.register(ISSUE_RECEIPT_TASK, receiptIssuer(deps));
  deps.jobs.register(SEND_RECEIPT_TASK, receiptSender(deps));
  return {
    openInvoice: (trx, request) => openInvoice(trx, deps.jobs, request),
    invoicesFor,
    cancelOpenInvoices: (trx, subjectType, subjectId, reason, actor) => cancelOpenInvoices(trx, deps.jobs, subjectType, subjectId, reason, actor),
    startMobileMoney: async (input) => {
      if (!provider) throw Problem.notFound('Mobile money is not offered here.');
      return startMobileMoneyPayment(deps, provider, input);
    },
    recordCash: (input) => recordCash(deps, input),
  };
}
