import { sql, type RawBuilder } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import { WITHIN_TARGET } from './case-facts.ts';
import { percentileOf, type Histogram } from './durations.ts';

type Bucket = Histogram[number];

/** Which rollups a figure is taken over: days of submission, agencies, one service or all. */
export interface Scope {
  /** First and last day of submission, `YYYY-MM-DD`, both included; open-ended when absent. */
  from?: string;
  to?: string;
  agencies: 'all' | readonly string[];
  serviceId?: string;
}

export type Dimension = 'service' | 'agency' | 'channel' | 'month';

export interface Figures {
  serviceId: string | null;
  agencyId: string | null;
  channel: string | null;
  month: string | null;
  received: number;
  decided: number;
  granted: number;
  refused: number;
  withdrawn: number;
  /** Decided ones whose service has a legal time limit, and of those the ones decided within it. */
  decidedWithLimit: number;
  decidedInTime: number;
  /** Still open and past the legal time limit, as of the last refresh. */
  overdue: number;
  informationRequests: number;
  online: number;
  assisted: number;
  /** Net of clock pauses, in days, over every decision in scope (within half a day up to a year); null when none is decided. */
  medianDays: number | null;
  p90Days: number | null;
  /** Decided ones whose service has a KPI target, and of those the ones decided within its days (null when no service in scope has one). */
  decidedWithTarget: number | null;
  decidedWithinTarget: number | null;
}

export const COLUMNS: Record<Dimension, { name: string; expression: string }> = {
  service: { name: 'service_id', expression: 'service_id' },
  agency: { name: 'agency_id', expression: 'agency_id::text' },
  channel: { name: 'channel', expression: 'channel' },
  month: { name: 'month', expression: `to_char(day, 'YYYY-MM')` },
};

export function where(scope: Scope): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (scope.from) parts.push(sql`day >= ${scope.from}::date`);
  if (scope.to) parts.push(sql`day <= ${scope.to}::date`);
  if (scope.agencies !== 'all') parts.push(sql`agency_id = ANY(${[...scope.agencies]}::uuid[])`);
  if (scope.serviceId) parts.push(sql`service_id = ${scope.serviceId}`);
  return sql.join(parts, sql` AND `);
}

/**
 * The whole months of a scope's period, as SQL over `day`: a month's histogram stands for its
 * days only when all of them are in the period. Without an end, every month from the start on.
 */
function wholeMonths(scope: Scope): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  // From the month the period starts in when it starts on its first day, else the next one.
  if (scope.from) parts.push(sql`day >= CASE WHEN extract(day FROM ${scope.from}::date) = 1 THEN ${scope.from}::date ELSE (date_trunc('month', ${scope.from}::date) + interval '1 month')::date END`);
  // Up to the month the day after the period falls in, not included.
  if (scope.to) parts.push(sql`day < date_trunc('month', ${scope.to}::date + 1)::date`);
  return sql.join(parts, sql` AND `);
}

/**
 * Figures from the daily rollups, one row per combination of `by` (one row in all without it).
 * Counts are sums of the days. The percentiles cannot be combined from the days' own, so they are
 * taken from the sum of histograms of durations (`durations.ts`: within half a day up to a year),
 * whose size is bounded whatever the number of decisions: the months' for the whole months of the
 * period, the days' for the rest. A caller that shows only counts
 * asks for `counts` and gets null durations and target.
 */
export async function figures(executor: Executor, scope: Scope, by: readonly Dimension[] = [], only?: 'counts'): Promise<Figures[]> {
  const dims = by.map((d) => COLUMNS[d]);
  const select = dims.length ? sql.raw(dims.map((d) => `${d.expression} AS ${d.name}, `).join('')) : sql``;
  const group = dims.length ? sql.raw(`GROUP BY ${dims.map((d) => d.expression).join(', ')}`) : sql``;
  const order = dims.length ? sql.raw(`ORDER BY ${dims.map((d) => d.name).join(', ')}`) : sql``;
  const counts = await sql<Record<string, unknown>>`
    SELECT ${select}
           sum(received)::int AS received, sum(decided)::int AS decided, sum(granted)::int AS granted,
           sum(refused)::int AS refused, sum(withdrawn)::int AS withdrawn,
           sum(decided_with_limit)::int AS decided_with_limit, sum(decided_in_time)::int AS decided_in_time,
           sum(overdue)::int AS overdue, sum(information_requests)::int AS information_requests,
           coalesce(sum(received) FILTER (WHERE channel = 'online'), 0)::int AS online,
           coalesce(sum(received) FILTER (WHERE channel = 'assisted'), 0)::int AS assisted
    FROM analytics_daily WHERE ${where(scope)} ${group}
    HAVING sum(received) IS NOT NULL ${order}`.execute(executor);
  const keyOf = (r: Record<string, unknown>) => dims.map((d) => String(r[d.name])).join('\u0000');
  const histograms = new Map<string, { buckets: Bucket[]; withTarget: number; withinTarget: number; hasTarget: boolean }>();
  if (only !== 'counts') {
    const group = sql.raw(`GROUP BY ${[...dims.map((d) => d.expression), 'days'].join(', ')}`);
    const order = sql.raw(`ORDER BY ${[...dims.map((d) => d.name), 'days'].join(', ')}`);
    const buckets = await sql<Record<string, unknown> & { days: number; decisions: number; with_target: number; within_target: number; has_target: boolean }>`
      SELECT ${select} days, sum(decisions)::int AS decisions,
             coalesce(sum(decisions) FILTER (WHERE t.within_days IS NOT NULL), 0)::int AS with_target,
             coalesce(sum(decisions) FILTER (WHERE ${WITHIN_TARGET}), 0)::int AS within_target,
             bool_or(t.within_days IS NOT NULL) AS has_target
      FROM (
        SELECT * FROM analytics_monthly_durations WHERE ${where(scope)} AND ${wholeMonths(scope)}
        UNION ALL
        SELECT * FROM analytics_daily_durations WHERE ${where(scope)} AND NOT (${wholeMonths(scope)})
      ) h LEFT JOIN analytics_targets t USING (service_id)
      ${group} ${order}`.execute(executor);
    for (const b of buckets.rows) {
      const key = keyOf(b);
      const h = histograms.get(key) ?? { buckets: [], withTarget: 0, withinTarget: 0, hasTarget: false };
      h.buckets.push({ days: b.days, count: b.decisions });
      h.withTarget += b.with_target;
      h.withinTarget += b.within_target;
      h.hasTarget ||= b.has_target;
      histograms.set(key, h);
    }
  }
  return counts.rows.map((r) => {
    const h = histograms.get(keyOf(r));
    return {
      serviceId: (r.service_id as string | undefined) ?? null,
      agencyId: (r.agency_id as string | undefined) ?? null,
      channel: (r.channel as string | undefined) ?? null,
      month: (r.month as string | undefined) ?? null,
      received: r.received as number,
      decided: r.decided as number,
      granted: r.granted as number,
      refused: r.refused as number,
      withdrawn: r.withdrawn as number,
      decidedWithLimit: r.decided_with_limit as number,
      decidedInTime: r.decided_in_time as number,
      overdue: r.overdue as number,
      informationRequests: r.information_requests as number,
      online: r.online as number,
      assisted: r.assisted as number,
      medianDays: h ? percentileOf(h.buckets, 0.5) : null,
      p90Days: h ? percentileOf(h.buckets, 0.9) : null,
      decidedWithTarget: h?.hasTarget ? h.withTarget : null,
      decidedWithinTarget: h?.hasTarget ? h.withinTarget : null,
    };
  });
}

/** Time spent in one workflow state by a service's applications submitted in the scope. */
export interface StateTime {
  /** `YYYY-MM` of submission when asked per month, else null. */
  month: string | null;
  serviceId: string;
  state: string;
  /** A state that stops the statutory clock (waiting for the applicant): its time is not the administration's. */
  pausesClock: boolean;
  /** Applications that spent time in the state, and their days in it (all visits together of each). */
  applications: number;
  averageDays: number;
  medianDays: number;
  p90Days: number;
}

/**
 * Per service and state (and month of submission when asked), from the daily rollups: the
 * average from sums, so exact whatever the period; the median and 90th percentile from the
 * histograms (the months' for the whole months of the period, the days' for the rest), within
 * half a day up to a year.
 */
export async function stateTimes(executor: Executor, scope: Scope, by: readonly 'month'[] = []): Promise<StateTime[]> {
  const month = by.includes('month');
  const keys = sql.raw(month ? `${COLUMNS.month.expression} AS month, service_id, state` : 'service_id, state');
  const group = sql.raw(month ? `${COLUMNS.month.expression}, service_id, state` : 'service_id, state');
  const [totals, buckets] = await Promise.all([
    sql<{ month?: string; service_id: string; state: string; pauses_clock: boolean; applications: number; seconds: number }>`
      SELECT ${keys}, bool_or(pauses_clock) AS pauses_clock, sum(applications)::int AS applications, sum(seconds)::float8 AS seconds
      FROM analytics_daily_states WHERE ${where(scope)}
      GROUP BY ${group} ORDER BY ${group}`.execute(executor),
    sql<{ month?: string; service_id: string; state: string; days: number; applications: number }>`
      SELECT ${keys}, days, sum(applications)::int AS applications
      FROM (
        SELECT * FROM analytics_monthly_state_durations WHERE ${where(scope)} AND ${wholeMonths(scope)}
        UNION ALL
        SELECT * FROM analytics_daily_state_durations WHERE ${where(scope)} AND NOT (${wholeMonths(scope)})
      ) h
      GROUP BY ${group}, days ORDER BY ${group}, days`.execute(executor),
  ]);
  const keyOf = (r: { month?: string; service_id: string; state: string }) => [r.month ?? '', r.service_id, r.state].join('\u0000');
  const histograms = new Map<string, Bucket[]>();
  for (const b of buckets.rows) {
    const histogram = histograms.get(keyOf(b)) ?? [];
    histogram.push({ days: b.days, count: b.applications });
    histograms.set(keyOf(b), histogram);
  }
  return totals.rows.map((r) => {
    const histogram = histograms.get(keyOf(r)) ?? [];
    return {
      month: r.month ?? null,
      serviceId: r.service_id,
      state: r.state,
      pausesClock: r.pauses_clock,
      applications: r.applications,
      averageDays: r.seconds / 86_400 / r.applications,
      medianDays: percentileOf(histogram, 0.5) ?? 0,
      p90Days: percentileOf(histogram, 0.9) ?? 0,
    };
  });
}

/** A fraction as a whole percentage, or null when there is nothing to divide by. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 100) : null;
}

// ---------------------------------------------------------------------------------------------
// KPI targets

export interface Target {
  serviceId: string;
  withinDays: number;
  sharePercent: number;
}

export async function targets(db: Db): Promise<Map<string, Target>> {
  const result = await sql<{ service_id: string; within_days: number; share_percent: number }>`SELECT service_id, within_days, share_percent FROM analytics_targets`.execute(db);
  return new Map(result.rows.map((r) => [r.service_id, { serviceId: r.service_id, withinDays: r.within_days, sharePercent: r.share_percent }]));
}

/** Set (or replace) a service's target, e.g. 90 % decided within 30 days. */
export async function setTarget(executor: Executor, target: Target, by: string): Promise<void> {
  await sql`
    INSERT INTO analytics_targets (service_id, within_days, share_percent, set_by) VALUES (${target.serviceId}, ${target.withinDays}, ${target.sharePercent}, ${by})
    ON CONFLICT (service_id) DO UPDATE SET within_days = excluded.within_days, share_percent = excluded.share_percent, set_by = excluded.set_by, set_at = now()`.execute(executor);
}

// ---------------------------------------------------------------------------------------------
// Small-number suppression for what the public sees

export const SMALLEST_SHOWN = 5;

/** A count the public may see: zero, or at least five; a smaller one could point at a person. */
export function publicCount(n: number): number | null {
  return n === 0 || n >= SMALLEST_SHOWN ? n : null;
}

/** A share is shown only when both the part and the rest are publishable counts. */
export function publicPercent(part: number, whole: number): number | null {
  return whole >= SMALLEST_SHOWN && publicCount(part) !== null && publicCount(whole - part) !== null ? percent(part, whole) : null;
}

/** Figures with every small count and every figure built on few cases blanked out. */
export function suppressed(f: Figures): PublicFigures {
  const fewDecided = f.decided < SMALLEST_SHOWN;
  return {
    serviceId: f.serviceId,
    month: f.month,
    received: publicCount(f.received),
    decided: publicCount(f.decided),
    granted: publicCount(f.granted),
    refused: publicCount(f.refused),
    withdrawn: publicCount(f.withdrawn),
    overdue: publicCount(f.overdue),
    decidedInTimePercent: publicPercent(f.decidedInTime, f.decidedWithLimit),
    onlinePercent: publicPercent(f.online, f.received),
    medianDays: fewDecided || f.medianDays === null ? null : round1(f.medianDays),
    p90Days: fewDecided || f.p90Days === null ? null : round1(f.p90Days),
  };
}

/** Time in a state as the public sees it: withheld when fewer than five applications spent time in it. */
export type PublicStateTime = Omit<StateTime, 'applications' | 'averageDays' | 'medianDays' | 'p90Days'> & {
  applications: number | null;
  averageDays: number | null;
  medianDays: number | null;
  p90Days: number | null;
};

export function suppressedStateTime(s: StateTime): PublicStateTime {
  const few = s.applications < SMALLEST_SHOWN;
  const shown = (n: number) => (few ? null : round1(n));
  return { ...s, applications: publicCount(s.applications), averageDays: shown(s.averageDays), medianDays: shown(s.medianDays), p90Days: shown(s.p90Days) };
}

export interface PublicFigures {
  serviceId: string | null;
  month: string | null;
  received: number | null;
  decided: number | null;
  granted: number | null;
  refused: number | null;
  withdrawn: number | null;
  overdue: number | null;
  decidedInTimePercent: number | null;
  onlinePercent: number | null;
  medianDays: number | null;
  p90Days: number | null;
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
