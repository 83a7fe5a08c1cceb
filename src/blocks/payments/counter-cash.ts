import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import type { Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { requireAgencyRole } from './agencies.ts';
import { utcDay } from './days.ts';
import { outstanding } from './invoices.ts';
import { CASHIER, type PaymentsDeps } from './model.ts';
import { asMoney, currencyDecimals, Decimal, isAmount } from './money.ts';
import { recordPayment, type RecordedPayment } from './record-payment.ts';
import { cashTaken, findCloseout, findInvoice, insertCloseout, type CloseoutTotal, type StoredCloseout } from './store.ts';

/** Cash entries and the close-out of one cashier's day take turns, so nothing slips in as the day closes. */
async function lockDay(trx: Tx, agencyId: string, cashierId: string, day: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`payments-cash:${agencyId}:${cashierId}:${day}`}))`.execute(trx);
}

export interface RecordCash {
  invoiceId: string;
  /** What the payer handed over: what is due, or more (the cashier gives change). */
  tendered: string;
  principal: Principal;
  requestId: string;
}

export async function recordCash(deps: PaymentsDeps, input: RecordCash): Promise<RecordedPayment & { amount: string; change: string; currency: string; decimals: number }> {
  const { principal } = input;
  const day = utcDay();
  return deps.db.transaction().execute(async (trx) => {
    const invoice = await findInvoice(trx, input.invoiceId, true);
    if (!invoice) throw Problem.notFound('There is no invoice with this id.');
    requireAgencyRole(principal, [CASHIER], invoice.agencyId, 'Taking cash');
    const due = outstanding(invoice);
    if (due.isZero()) throw Problem.conflict('Nothing is left to pay on this invoice.');
    const tendered = input.tendered.trim();
    if (!isAmount(tendered, invoice.decimals)) throw Problem.invalidField('/body/tendered', `enter the cash received, like ${asMoney(due, invoice.decimals)}`, 'amount', { decimals: invoice.decimals });
    if (due.gt(tendered)) throw Problem.invalidField('/body/tendered', `the cash received is less than the ${asMoney(due, invoice.decimals)} ${invoice.currency} due`, 'cashShort', { due: asMoney(due, invoice.decimals), currency: invoice.currency });
    await lockDay(trx, invoice.agencyId, principal.id, day);
    if (await findCloseout(trx, invoice.agencyId, principal.id, day)) throw Problem.conflict('You have closed your cash for today: no more cash can be taken until tomorrow.');
    const change = new Decimal(tendered).minus(due);
    const amount = asMoney(due, invoice.decimals);
    const recorded = await recordPayment(trx, deps.jobs, {
      invoiceId: invoice.id,
      method: 'cash',
      amount,
      currency: invoice.currency,
      receivedAt: new Date(),
      cash: { cashierId: principal.id, tendered, change: change.toFixed() },
      actor: actorOf(principal),
      requestId: input.requestId,
    });
    return { ...recorded, amount, change: asMoney(change, invoice.decimals), currency: invoice.currency, decimals: invoice.decimals };
  });
}

export interface CloseCashDay {
  agencyId: string;
  /** What the cashier counted in the drawer, by currency. */
  counted: { currency: string; amount: string }[];
  note?: string;
  principal: Principal;
  requestId: string;
}

/**
 * The cashier counts the drawer at the end of the day: expected (the cash recorded) against
 * counted, and the difference, kept for good. After it the cashier takes no more cash that day.
 */
export async function closeCashDay(deps: PaymentsDeps, input: CloseCashDay): Promise<StoredCloseout> {
  const { principal } = input;
  requireAgencyRole(principal, [CASHIER], input.agencyId, 'Closing the cash');
  const day = utcDay();
  const counted = new Map<string, string>();
  input.counted.forEach(({ currency, amount }, i) => {
    const decimals = currencyDecimals(currency);
    if (decimals === null) throw Problem.invalidField(`/body/counted/${i}/currency`, 'is not an ISO 4217 currency code', 'currency');
    if (!isAmount(amount.trim(), decimals)) throw Problem.invalidField(`/body/counted/${i}/amount`, `enter the cash counted, with at most ${decimals} decimals`, 'amount', { decimals });
    if (counted.has(currency)) throw Problem.invalidField(`/body/counted/${i}/currency`, 'is counted twice', 'duplicate');
    counted.set(currency, amount.trim());
  });
  return deps.db.transaction().execute(async (trx) => {
    await lockDay(trx, input.agencyId, principal.id, day);
    if (await findCloseout(trx, input.agencyId, principal.id, day)) throw Problem.conflict('Your cash for today is already closed; a close-out cannot be changed.');
    const expected = new Map((await cashTaken(trx, input.agencyId, principal.id, day)).map((r) => [r.currency, r.total]));
    const missing = [...expected.keys()].filter((currency) => !counted.has(currency));
    if (missing.length > 0) throw Problem.invalidField('/body/counted', `count the ${missing.join(', ')} cash too`, 'countMissing', { currencies: missing.join(', ') });
    const totals: CloseoutTotal[] = [...counted].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => {
      const decimals = currencyDecimals(currency)!;
      const due = new Decimal(expected.get(currency) ?? 0);
      return { currency, expected: asMoney(due, decimals), counted: asMoney(amount, decimals), difference: asMoney(new Decimal(amount).minus(due), decimals) };
    });
    const closeout = { id: randomUUID(), agencyId: input.agencyId, cashierId: principal.id, cashierName: principal.displayName, day, totals, note: input.note?.trim() || null };
    await insertCloseout(trx, closeout);
    await recordAudit(trx, {
      actor: actorOf(principal),
      agencyId: input.agencyId,
      action: 'payments.close-cash-day',
      subjectType: 'cash-closeout',
      subjectId: closeout.id,
      requestId: input.requestId,
      details: { day, totals, ...(closeout.note ? { note: closeout.note } : {}) },
    });
    return (await findCloseout(trx, input.agencyId, principal.id, day))!;
  });
}
