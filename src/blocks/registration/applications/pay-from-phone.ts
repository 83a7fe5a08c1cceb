import { Decimal } from 'decimal.js';
import type { Db } from '../../../platform/db/database.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { formatMoney, translator } from '../../../platform/i18n/index.ts';
import { principalForUser } from '../../identity/index.ts';
import type { InboundSmsHandler } from '../../messaging/index.ts';
import type { InvoiceView, Payments } from '../../payments/index.ts';
import { answerNotFound, caseForPhone, type CaseForPhone } from './answer-status-sms.ts';

const PAY_COMMAND = /^\s*PAY\s+(\S{3,40})\s*$/i;

/** How asking to pay from a phone ended: the provider now asks the payer to confirm, or why not. */
export type PhonePayment = 'started' | 'nothing-due' | 'not-offered' | 'unavailable' | 'refused';

export interface Owed {
  invoiceId: string;
  /** What is left to pay, exact, with the currency's decimals. */
  amount: string;
  currency: string;
  decimals: number;
}

/** What is left to pay on an application's invoice that still awaits money, if any. */
export async function owedOn(db: Db, payments: Payments, applicationId: string): Promise<Owed | null> {
  const open = (await payments.invoicesFor(db, 'application', applicationId)).filter((i: InvoiceView) => i.state === 'open' || i.state === 'partly-paid');
  for (const invoice of open) {
    const due = new Decimal(invoice.amount).minus(invoice.paidAmount);
    if (due.greaterThan(0)) return { invoiceId: invoice.id, amount: due.toFixed(invoice.decimals), currency: invoice.currency, decimals: invoice.decimals };
  }
  return null;
}

/** How the payments block's refusals read on a phone. */
function outcomeOf(err: unknown): PhonePayment {
  if (!(err instanceof Problem)) throw err;
  if (err.status === 404) return 'not-offered';
  if (err.status === 409) return 'nothing-due';
  if (err.status === 422) return 'refused';
  if (err.status === 503) return 'unavailable';
  throw err;
}

/**
 * The applicant's linked phone asks to pay what its application owes by mobile money, from that
 * phone: the very request the invoice's web page makes, so the provider's callback settles it the
 * same way, once. Null for any other phone or an unknown number.
 */
export async function payFromPhone(db: Db, payments: Payments, input: { trackingNumber: string; phone: string; requestId: string }): Promise<{ outcome: PhonePayment; owed: Owed | null; case: CaseForPhone } | null> {
  const found = await caseForPhone(db, input.trackingNumber, input.phone);
  if (!found) return null;
  const owed = await owedOn(db, payments, found.applicationId);
  const principal = owed ? await principalForUser(db, found.userId, null) : null;
  if (!owed || !principal) return { outcome: 'nothing-due', owed, case: found };
  const outcome = await payments.startMobileMoney({ invoiceId: owed.invoiceId, phone: input.phone, principal, requestId: input.requestId }).then(() => 'started' as const, outcomeOf);
  return { outcome, owed, case: found };
}

/** "PAY <tracking number>": the applicant's linked phone is asked to confirm the payment; anyone else learns nothing. */
export function answerPaySms(payments: Payments): InboundSmsHandler {
  return async (db, sms) => {
    const command = PAY_COMMAND.exec(sms.text);
    if (!command) return null;
    const paid = await payFromPhone(db, payments, { trackingNumber: command[1]!, phone: sms.from, requestId: sms.requestId });
    if (!paid) return answerNotFound(db, sms.from);
    const { locale, userId } = paid.case;
    const amount = paid.owed ? formatMoney(locale, paid.owed.amount, paid.owed.currency, paid.owed.decimals) : '';
    return { body: translator(locale)(`phone.pay.${paid.outcome}`, { amount }), locale, userId };
  };
}
