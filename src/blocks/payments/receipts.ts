import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import { DEFAULT_LOCALE, formatDate, formatMoney, isLocale, translator, type Locale } from '../../platform/i18n/index.ts';
import type { JobHandler, JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit } from '../audit/index.ts';
import type { Signer } from '../esignature/index.ts';
import { findUserById } from '../identity/index.ts';
import type { Messenger } from '../messaging/index.ts';
import { PAYMENTS_ACTOR } from './model.ts';
import { formatReference } from './reference.ts';
import { findInvoice, findPayment, findReceipt, type StoredInvoice, type StoredPayment } from './store.ts';

/** Sign a numbered receipt through the e-signature block; retried until the signer takes it. */
export const ISSUE_RECEIPT_TASK = 'payments.issue-receipt';
/** E-mail the payer that the receipt is ready; on its own, so a mail problem never holds a receipt back. */
export const SEND_RECEIPT_TASK = 'payments.send-receipt';

export const receiptPdfPath = (receiptId: string) => `/payments/receipts/${receiptId}.pdf`;

function payerLocale(invoice: StoredInvoice): Locale {
  return isLocale(invoice.payerLocale) ? invoice.payerLocale : DEFAULT_LOCALE;
}

/** What the invoice is for, in the payer's language: its lines' labels. */
export function invoicePurpose(invoice: StoredInvoice, locale: string): string {
  return invoice.lines.map((line) => line.label[locale] ?? line.label.en ?? line.id).join(', ');
}

function receiptText(invoice: StoredInvoice, payment: StoredPayment, number: string) {
  const locale = payerLocale(invoice);
  const t = translator(locale);
  const amount = formatMoney(locale, payment.amount, payment.currency, invoice.decimals);
  const reference = formatReference(invoice.reference);
  const method = t(`payments.methods.${payment.method}`);
  return {
    locale,
    title: t('payments.receipt.title', { number }),
    body: t('payments.receipt.body', { payer: invoice.payerName, amount, purpose: invoicePurpose(invoice, locale), reference, method }),
    facts: [
      { label: t('payments.receipt.number'), value: number },
      { label: t('payments.invoice.reference'), value: reference },
      { label: t('payments.receipt.amount'), value: amount },
      { label: t('payments.receipt.method'), value: method },
      { label: t('payments.receipt.date'), value: formatDate(locale, payment.receivedAt) },
      { label: t('payments.receipt.payer'), value: invoice.payerName },
    ],
  };
}

/** A receipt with its payment and invoice; with `forUpdate`, the receipt stays locked for the transaction. */
async function receiptContext(executor: Executor, receiptId: string, forUpdate = false) {
  const receipt = await findReceipt(executor, receiptId, forUpdate);
  const payment = receipt && (await findPayment(executor, receipt.paymentId));
  const invoice = payment && (await findInvoice(executor, payment.invoiceId));
  return receipt && payment && invoice ? { receipt, payment, invoice } : null;
}

export function receiptIssuer(deps: { db: Db; jobs: JobQueue; signer: Signer }): JobHandler<{ receiptId: string }> {
  return async ({ receiptId }) => {
    await deps.db.transaction().execute(async (trx) => {
      const found = await receiptContext(trx, receiptId, true);
      if (!found || found.receipt.documentId) return;
      const { receipt, payment, invoice } = found;
      const text = receiptText(invoice, payment, receipt.number);
      const issued = await deps.signer.issue(trx, {
        agencyId: receipt.agencyId,
        kind: 'receipt',
        subjectType: 'invoice',
        subjectId: invoice.id,
        locale: text.locale,
        title: text.title,
        body: text.body,
        facts: text.facts,
        holderName: invoice.payerName,
        issuedAt: receipt.issuedAt,
        validUntil: null,
        issuedBy: PAYMENTS_ACTOR,
        requestId: null,
      });
      await sql`UPDATE payments_receipts SET document_id = ${issued.id}, document_sha256 = ${issued.sha256}, verify_url = ${issued.verifyUrl} WHERE id = ${receipt.id}`.execute(trx);
      await recordAudit(trx, {
        actor: PAYMENTS_ACTOR,
        agencyId: receipt.agencyId,
        action: 'payments.issue-receipt',
        subjectType: 'invoice',
        subjectId: invoice.id,
        details: { receipt: receipt.number, document: issued.id, sha256: issued.sha256 },
      });
      await deps.jobs.enqueue(trx, SEND_RECEIPT_TASK, { receiptId: receipt.id }, { dedupeKey: `payments-receipt-mail:${receipt.id}` });
    });
  };
}

export function receiptSender(deps: { db: Db; messenger: Messenger; baseUrl: string }): JobHandler<{ receiptId: string }> {
  return async ({ receiptId }) => {
    const found = await receiptContext(deps.db, receiptId);
    if (!found) return;
    const { receipt, payment, invoice } = found;
    const payer = await findUserById(deps.db, invoice.payerUserId);
    if (!payer?.email) return;
    const text = receiptText(invoice, payment, receipt.number);
    const t = translator(text.locale);
    await deps.messenger.queue(deps.db, {
      channel: 'email',
      to: payer.email,
      locale: text.locale,
      subject: text.title,
      body: t('payments.receipt.mail', { body: text.body, link: `${deps.baseUrl}${receiptPdfPath(receipt.id)}` }),
      about: { type: 'invoice', id: invoice.id },
      agencyId: invoice.agencyId,
      template: 'payments.receipt',
      dedupeKey: `payments-receipt:${receipt.id}`,
    });
  };
}
