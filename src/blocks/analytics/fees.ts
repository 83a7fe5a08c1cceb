import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { INVOICE_CANCELLED, INVOICE_ISSUED, PAYMENT_RECEIVED, REFUND_APPROVED } from '../payments/index.ts';
import { COLUMNS, percent, publicCount, publicPercent, where, type Dimension, type Scope } from './figures.ts';

interface Movement { invoiceId: string; subjectType: string; subjectId: string; currency: string; amount: string; at: string; paymentId?: string; refundId?: string; method?: string }

type Kind = 'issued' | 'payment' | 'cancelled' | 'refund';

/**
 * Keep every movement of money on an application's invoices as the payments block tells it, at
 * the time it says it happened. Keyed by what it is about, so a redelivery changes nothing; each
 * is kept on its own, so the jobs may run in any order (a payment before its invoice's issue, both
 * before the submission's fact): the refresh puts them together.
 */
export function subscribeToFees(db: Db, jobs: JobQueue): void {
  const record = (event: string, task: string, kind: Kind, idOf: (e: Movement) => string) =>
    jobs.subscribe<Movement>(event, task, async (e) => {
      if (e.subjectType !== 'application') return;
      await sql`
        INSERT INTO analytics_fee_movements (key, kind, invoice_id, application_id, currency, amount, at, method)
        VALUES (${`${kind}:${idOf(e)}`}, ${kind}, ${e.invoiceId}, ${e.subjectId}, ${e.currency}, ${e.amount}, ${e.at}, ${kind === 'payment' ? (e.method ?? null) : null})
        ON CONFLICT (key) DO NOTHING`.execute(db);
    });
  record(INVOICE_ISSUED, 'analytics.record-invoice', 'issued', (e) => e.invoiceId);
  record(PAYMENT_RECEIVED, 'analytics.record-fee-payment', 'payment', (e) => e.paymentId!);
  record(INVOICE_CANCELLED, 'analytics.record-invoice-cancellation', 'cancelled', (e) => e.invoiceId);
  record(REFUND_APPROVED, 'analytics.record-fee-refund', 'refund', (e) => e.refundId!);
}

/**
 * The fees per UTC day, cell (the application's service, agency and channel) and currency, in the
 * refresh's transaction. A cash-flow view: what was invoiced counts on the day of issue (less the
 * invoices cancelled since, counted apart), with what is still due on those invoices now; what
 * was collected on the day it was received, and refunds on the day they were approved. Still due
 * follows the payments block: nothing on a cancelled invoice, nor once all received is given back.
 */
export async function refreshFees(trx: Tx): Promise<void> {
  await sql`DELETE FROM analytics_daily_fees`.execute(trx);
  await sql`
    WITH invoices AS (
      SELECT application_id, currency,
             min(at) FILTER (WHERE kind = 'issued') AS issued_at,
             sum(amount) FILTER (WHERE kind = 'issued') AS amount,
             bool_or(kind = 'cancelled') AS cancelled,
             coalesce(sum(amount) FILTER (WHERE kind = 'payment'), 0) AS received,
             coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0) AS refunded
      FROM analytics_fee_movements GROUP BY invoice_id, application_id, currency
    ), movements AS (
      SELECT issued_at AS at, application_id, currency,
             CASE WHEN cancelled THEN 0 ELSE 1 END AS invoices,
             CASE WHEN cancelled THEN 0 ELSE amount END AS invoiced,
             CASE WHEN cancelled THEN 1 ELSE 0 END AS cancelled_invoices,
             CASE WHEN cancelled OR (received > 0 AND refunded >= received) THEN 0 ELSE greatest(0, amount - received) END AS outstanding,
             0 AS payments, 0 AS collected, 0 AS refunded
      FROM invoices WHERE issued_at IS NOT NULL
      UNION ALL
      SELECT at, application_id, currency, 0, 0, 0, 0, 1, amount, 0 FROM analytics_fee_movements WHERE kind = 'payment'
      UNION ALL
      SELECT at, application_id, currency, 0, 0, 0, 0, 0, 0, amount FROM analytics_fee_movements WHERE kind = 'refund'
    )
    INSERT INTO analytics_daily_fees (day, service_id, agency_id, channel, currency, invoices, invoiced, cancelled_invoices, outstanding, payments, collected, refunded)
    SELECT (m.at AT TIME ZONE 'UTC')::date, a.service_id, a.agency_id, a.channel, m.currency,
           sum(m.invoices), sum(m.invoiced), sum(m.cancelled_invoices), sum(m.outstanding), sum(m.payments), sum(m.collected), sum(m.refunded)
    FROM movements m JOIN analytics_applications a USING (application_id)
    GROUP BY 1, 2, 3, 4, 5`.execute(trx);
  await sql`DELETE FROM analytics_daily_fee_methods`.execute(trx);
  await sql`
    INSERT INTO analytics_daily_fee_methods (day, service_id, agency_id, channel, currency, method, payments, received)
    SELECT (m.at AT TIME ZONE 'UTC')::date, a.service_id, a.agency_id, a.channel, m.currency, coalesce(m.method, 'unknown'), count(*), sum(m.amount)
    FROM analytics_fee_movements m JOIN analytics_applications a USING (application_id)
    WHERE m.kind = 'payment'
    GROUP BY 1, 2, 3, 4, 5, 6`.execute(trx);
}

/** Money received in one currency by one method of payment (before any refund), in a scope. */
export interface FeeMethodFigures {
  currency: string;
  /** As the payments block names it (`mobile-money`, `bank-transfer`, `cash`), or `unknown` for payments recorded before methods were kept. */
  method: string;
  payments: number;
  received: string;
}

/** Per currency and method, the days being those the money was received; biggest share first. */
export async function feeMethodFigures(executor: Executor, scope: Scope): Promise<FeeMethodFigures[]> {
  const result = await sql<FeeMethodFigures>`
    SELECT currency, method, sum(payments)::int AS payments, trim_scale(sum(received))::text AS received
    FROM analytics_daily_fee_methods WHERE ${where(scope)}
    GROUP BY currency, method ORDER BY currency, sum(received) DESC, method`.execute(executor);
  return result.rows;
}

/** A method's money in a currency, and its share of that currency's money received, in whole percent. */
export type FeeMethodShare = FeeMethodFigures & { sharePercent: number | null };

/** The same as the public may see it: null where withheld. */
export type PublicFeeMethodShare = Omit<FeeMethodShare, 'payments' | 'received'> & { payments: number | null; received: string | null };

/** Each method's share of its currency's money, for officers: nothing withheld. */
export function methodShares(methods: readonly FeeMethodFigures[]): FeeMethodShare[] {
  const totals = new Map<string, number>();
  for (const m of methods) totals.set(m.currency, (totals.get(m.currency) ?? 0) + Number(m.received));
  return methods.map((m) => ({ ...m, sharePercent: percent(Number(m.received), totals.get(m.currency)!) }));
}

/**
 * The same for the public: a method's payments and amount only when at least five payments make
 * them, and its share only when the other methods' payments in that currency are none or at least
 * five as well (the count rule of `publicPercent`), so that no share is the rest of a few people's payments.
 */
export function publicMethodShares(methods: readonly FeeMethodFigures[]): PublicFeeMethodShare[] {
  const payments = new Map<string, number>();
  for (const m of methods) payments.set(m.currency, (payments.get(m.currency) ?? 0) + m.payments);
  return methodShares(methods).map((m) => {
    const shown = publicPercent(m.payments, payments.get(m.currency)!) !== null;
    return { ...m, payments: publicCount(m.payments), received: publicCount(m.payments) !== null ? m.received : null, sharePercent: shown ? m.sharePercent : null };
  });
}

/** Fees in one currency, amounts as exact decimal strings (never added across currencies). */
export interface FeeFigures {
  serviceId: string | null;
  agencyId: string | null;
  channel: string | null;
  month: string | null;
  currency: string;
  /** Invoices issued in the period and not cancelled, their total, and what is still due on them now. */
  invoices: number;
  invoiced: string;
  outstanding: string;
  cancelledInvoices: number;
  /** Payments received in the period and their total, less the refunds approved in it. */
  payments: number;
  collected: string;
  refunded: string;
}

/**
 * The fees of a scope, whose days are those the money moved (see `refreshFees`), one row per
 * combination of `by` and currency. Sums of numeric, exact; `trim_scale` keeps the decimal strings
 * as the amounts were written ("4000", "12.5").
 */
export async function feeFigures(executor: Executor, scope: Scope, by: readonly Dimension[] = []): Promise<FeeFigures[]> {
  const select = sql.raw([...by.map((d) => `${COLUMNS[d].expression} AS ${COLUMNS[d].name}`), 'currency'].join(', '));
  const group = sql.raw([...by.map((d) => COLUMNS[d].expression), 'currency'].join(', '));
  const result = await sql<{ service_id?: string; agency_id?: string; channel?: string; month?: string; currency: string; invoices: number; invoiced: string; outstanding: string; cancelled_invoices: number; payments: number; collected: string; refunded: string }>`
    SELECT ${select}, sum(invoices)::int AS invoices, trim_scale(sum(invoiced))::text AS invoiced, trim_scale(sum(outstanding))::text AS outstanding,
           sum(cancelled_invoices)::int AS cancelled_invoices, sum(payments)::int AS payments,
           trim_scale(sum(collected) - sum(refunded))::text AS collected, trim_scale(sum(refunded))::text AS refunded
    FROM analytics_daily_fees WHERE ${where(scope)}
    GROUP BY ${group} ORDER BY ${group}`.execute(executor);
  return result.rows.map((r) => ({
    serviceId: r.service_id ?? null,
    agencyId: r.agency_id ?? null,
    channel: r.channel ?? null,
    month: r.month ?? null,
    currency: r.currency,
    invoices: r.invoices,
    invoiced: r.invoiced,
    outstanding: r.outstanding,
    cancelledInvoices: r.cancelled_invoices,
    payments: r.payments,
    collected: r.collected,
    refunded: r.refunded,
  }));
}

/** Fees the public may see: the amounts only when at least five invoices and five payments make them, so none is one person's. */
export interface PublicFees {
  currency: string;
  invoices: number | null;
  invoiced: string | null;
  collected: string | null;
  outstanding: string | null;
}

export function publicFees(f: FeeFigures): PublicFees {
  const shown = publicCount(f.invoices) !== null && publicCount(f.payments) !== null;
  return { currency: f.currency, invoices: publicCount(f.invoices), invoiced: shown ? f.invoiced : null, collected: shown ? f.collected : null, outstanding: shown ? f.outstanding : null };
}
