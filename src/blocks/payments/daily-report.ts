import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { PAYMENT_METHODS, type PaymentMethod } from './model.ts';
import { asMoney, currencyDecimals, Decimal, sum } from './money.ts';
import type { LineStatus } from './store.ts';

export interface Tally {
  count: number;
  total: string;
}

/** A day's money in one currency: what came in by each method, what went back, and the bank's side of it. */
export interface CurrencyReport {
  currency: string;
  decimals: number;
  received: Record<PaymentMethod, Tally>;
  receivedTotal: Tally;
  refunds: Tally;
  net: string;
  /** Credits on the agency's bank statements booked that day, against the transfers recorded from them. */
  bank: {
    statements: Tally;
    recorded: Tally;
    /** Statement lines not (yet) payments, by what became of them. */
    pending: Tally;
    refundDue: Tally;
    notOurs: Tally;
    /** Statements minus recorded transfers minus the lines set aside: zero when the report sums to the statements. */
    unexplained: string;
  };
}

export interface DailyReport {
  agencyId: string;
  day: string;
  currencies: CurrencyReport[];
}

const empty = (): Tally => ({ count: 0, total: '0' });
const add = (into: Tally, count: number, total: string): Tally => ({ count: into.count + count, total: new Decimal(into.total).plus(total).toFixed() });

/**
 * Per agency and day: payments received by method (bank transfers on the day the bank booked
 * them), refunds approved, the net; and the agency's statement credits of that day against the
 * bank transfers recorded, with the lines not recorded by what became of them, so the report sums
 * to the statements (any remaining difference is shown, not hidden).
 */
export async function dailyReport(executor: Executor, agencyId: string, day: string): Promise<DailyReport> {
  const [payments, refunds, lines] = await Promise.all([
    sql<{ currency: string; method: PaymentMethod; count: number; total: string }>`
      SELECT currency, method, count(*)::int AS count, sum(amount) AS total FROM payments_payments
      WHERE agency_id = ${agencyId} AND received_on = ${day} GROUP BY currency, method`.execute(executor),
    sql<{ currency: string; count: number; total: string }>`
      SELECT currency, count(*)::int AS count, sum(amount) AS total FROM payments_refunds
      WHERE agency_id = ${agencyId} AND state = 'approved' AND (decided_at AT TIME ZONE 'UTC')::date = ${day} GROUP BY currency`.execute(executor),
    sql<{ currency: string; status: LineStatus; count: number; total: string }>`
      SELECT currency, status, count(*)::int AS count, sum(amount) AS total FROM payments_statement_lines
      WHERE agency_id = ${agencyId} AND booked_on = ${day} AND status <> 'duplicate' GROUP BY currency, status`.execute(executor),
  ]);
  const byCurrency = new Map<string, CurrencyReport>();
  const of = (currency: string): CurrencyReport => {
    let report = byCurrency.get(currency);
    if (!report) {
      report = {
        currency,
        decimals: currencyDecimals(currency) ?? 4,
        received: Object.fromEntries(PAYMENT_METHODS.map((m) => [m, empty()])) as Record<PaymentMethod, Tally>,
        receivedTotal: empty(),
        refunds: empty(),
        net: '0',
        bank: { statements: empty(), recorded: empty(), pending: empty(), refundDue: empty(), notOurs: empty(), unexplained: '0' },
      };
      byCurrency.set(currency, report);
    }
    return report;
  };
  for (const row of payments.rows) {
    const report = of(row.currency);
    report.received[row.method] = add(report.received[row.method], row.count, row.total);
    report.receivedTotal = add(report.receivedTotal, row.count, row.total);
  }
  for (const row of refunds.rows) of(row.currency).refunds = add(empty(), row.count, row.total);
  const SET_ASIDE: Partial<Record<LineStatus, 'pending' | 'refundDue' | 'notOurs' | 'recorded'>> = { pending: 'pending', 'refund-due': 'refundDue', 'not-ours': 'notOurs', recorded: 'recorded' };
  for (const row of lines.rows) {
    const { bank } = of(row.currency);
    bank.statements = add(bank.statements, row.count, row.total);
    const kind = SET_ASIDE[row.status];
    if (kind) bank[kind] = add(bank[kind], row.count, row.total);
  }
  const money = (report: CurrencyReport, t: Tally): Tally => ({ count: t.count, total: asMoney(t.total, report.decimals) });
  const currencies = [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)).map((r) => {
    const transfers = r.received['bank-transfer'].total;
    const unexplained = new Decimal(r.bank.statements.total).minus(sum([transfers, r.bank.pending.total, r.bank.refundDue.total, r.bank.notOurs.total]));
    return {
      ...r,
      received: Object.fromEntries(PAYMENT_METHODS.map((m) => [m, money(r, r.received[m])])) as Record<PaymentMethod, Tally>,
      receivedTotal: money(r, r.receivedTotal),
      refunds: money(r, r.refunds),
      net: asMoney(new Decimal(r.receivedTotal.total).minus(r.refunds.total), r.decimals),
      bank: {
        statements: money(r, r.bank.statements),
        recorded: money(r, r.bank.recorded),
        pending: money(r, r.bank.pending),
        refundDue: money(r, r.bank.refundDue),
        notOurs: money(r, r.bank.notOurs),
        unexplained: asMoney(unexplained, r.decimals),
      },
    };
  });
  return { agencyId, day, currencies };
}

/** The report as CSV rows: one figure a row, so a spreadsheet can sum and filter them. */
export function reportRows(report: DailyReport, agencyCode: string): string[][] {
  const rows = [['day', 'agency', 'currency', 'item', 'count', 'amount']];
  for (const r of report.currencies) {
    const row = (item: string, t: Tally | string) => rows.push([report.day, agencyCode, r.currency, item, typeof t === 'string' ? '' : String(t.count), typeof t === 'string' ? t : t.total]);
    for (const method of PAYMENT_METHODS) row(`received:${method}`, r.received[method]);
    row('received:total', r.receivedTotal);
    row('refunds', r.refunds);
    row('net', r.net);
    row('statements:total', r.bank.statements);
    row('statements:recorded', r.bank.recorded);
    row('statements:pending', r.bank.pending);
    row('statements:refund-due', r.bank.refundDue);
    row('statements:not-ours', r.bank.notOurs);
    row('statements:unexplained', r.bank.unexplained);
  }
  return rows;
}
