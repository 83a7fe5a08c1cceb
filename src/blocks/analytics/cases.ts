import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { MEMBERSHIP, NET_DAYS, NEXT_MOVE_AT, PAUSE_TOTALS } from './case-facts.ts';
import { bucketOf } from './durations.ts';
import { figures, type Figures, type Scope } from './figures.ts';

/** The dashboard figures that have a list of cases behind them. */
export const CASE_FIGURES = ['received', 'decided', 'granted', 'refused', 'withdrawn', 'in-time', 'late', 'open', 'overdue', 'information-requests', 'within-target', 'beyond-target'] as const;
export type CaseFigure = (typeof CASE_FIGURES)[number];
export const CHANNELS = ['online', 'assisted'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface CaseScope extends Scope {
  channel?: Channel;
  figure: CaseFigure;
}

/** One application behind a figure, from analytics' own facts: no name, and no tracking number (the pages ask the registration block for it). */
export interface CaseRow {
  applicationId: string;
  serviceId: string;
  agencyId: string;
  channel: Channel;
  submittedAt: Date;
  outcome: string | null;
  decidedAt: Date | null;
  /** Net of the statutory clock's pauses; until now while open. */
  netDays: number;
  timeLimitDays: number | null;
  /** Null when the service has no legal time limit. */
  withinLimit: boolean | null;
  informationRequests: number;
  /** Where the next page starts. */
  position: CasePosition;
}

/** A row's place in the list: its submission time to the microsecond (a Date holds milliseconds only), and its id. */
export interface CasePosition {
  at: string;
  applicationId: string;
}

/** The figure on the dashboard a list stands behind; for requests, how many were sent, not to how many cases. */
export function figureOf(f: Figures, figure: CaseFigure): number {
  const of: Record<CaseFigure, number> = {
    received: f.received,
    decided: f.decided,
    granted: f.granted,
    refused: f.refused,
    withdrawn: f.withdrawn,
    'in-time': f.decidedInTime,
    late: f.decidedWithLimit - f.decidedInTime,
    open: f.received - f.decided,
    overdue: f.overdue,
    'information-requests': f.informationRequests,
    'within-target': f.decidedWithinTarget ?? 0,
    'beyond-target': (f.decidedWithTarget ?? 0) - (f.decidedWithinTarget ?? 0),
  };
  return of[figure];
}

/** The figure from the rollups (as of the last refresh), for the same scope and channel as the list. */
export async function figureTotal(executor: Executor, scope: CaseScope): Promise<number> {
  const target = scope.figure === 'within-target' || scope.figure === 'beyond-target';
  const rows = await figures(executor, scope, scope.channel ? ['channel'] : [], target ? undefined : 'counts');
  const row = scope.channel ? rows.find((r) => r.channel === scope.channel) : rows[0];
  return row ? figureOf(row, scope.figure) : 0;
}

export const CASE_POSITION = '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z)~([A-Za-z0-9-]{1,100})$';

export function casePosition(p: CasePosition): string {
  return `${p.at}~${p.applicationId}`;
}

/**
 * The position a link gave, or null when it is not one this list made. The time must read back
 * the same, since JavaScript rolls a 30 February over where PostgreSQL refuses it.
 */
export function readCasePosition(text: string): CasePosition | null {
  const [, at, applicationId] = new RegExp(CASE_POSITION).exec(text) ?? [];
  if (!at || !applicationId) return null;
  const time = new Date(at);
  return !Number.isNaN(time.getTime()) && time.toISOString().slice(0, 19) === at.slice(0, 19) ? { at, applicationId } : null;
}

/**
 * A page of the cases behind a figure, newest submission first, from `after` on. Each case's net
 * days are worked out as the refresh does for the rollups (a pause from a move into a
 * clock-stopping state to the next move, or until now), from its own moves through
 * `analytics_moves_application`, so a page costs the same whatever the number of cases.
 */
export async function figureCases(executor: Executor, scope: CaseScope, limit: number, after?: CasePosition): Promise<CaseRow[]> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  // Bounds on the instant rather than on its UTC day, so the indexes on submitted_at serve.
  if (scope.from) parts.push(sql`a.submitted_at >= (${scope.from}::date)::timestamp AT TIME ZONE 'UTC'`);
  if (scope.to) parts.push(sql`a.submitted_at < (${scope.to}::date + 1)::timestamp AT TIME ZONE 'UTC'`);
  if (scope.agencies !== 'all') parts.push(sql`a.agency_id = ANY(${[...scope.agencies]}::uuid[])`);
  if (scope.serviceId) parts.push(sql`a.service_id = ${scope.serviceId}`);
  if (scope.channel) parts.push(sql`a.channel = ${scope.channel}`);
  if (after) parts.push(sql`(a.submitted_at, a.application_id) < (${after.at}::timestamptz, ${after.applicationId})`);
  const result = await sql<{ application_id: string; service_id: string; agency_id: string; channel: Channel; submitted_at: Date; position_at: string; outcome: string | null; decided_at: Date | null; net_days: number; time_limit_days: number | null; requests: number }>`
    SELECT * FROM (
      SELECT a.application_id, a.service_id, a.agency_id::text, a.channel, a.submitted_at, a.time_limit_days, d.outcome, d.decided_at,
             to_char(a.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at,
             coalesce(p.requests, 0)::int AS requests,
             ${NET_DAYS} AS net_days, ${bucketOf(NET_DAYS)} AS days, t.within_days
      FROM analytics_applications a
      LEFT JOIN analytics_decisions d USING (application_id)
      LEFT JOIN analytics_targets t ON t.service_id = a.service_id
      LEFT JOIN LATERAL (
        SELECT ${PAUSE_TOTALS}
        FROM (
          SELECT pauses_clock, moved_at, ${NEXT_MOVE_AT(sql``)} AS next_at
          FROM analytics_moves m WHERE m.application_id = a.application_id
        ) moves
      ) p ON true
      WHERE ${sql.join(parts, sql` AND `)}
    ) c
    WHERE ${MEMBERSHIP[scope.figure]}
    ORDER BY submitted_at DESC, application_id DESC
    LIMIT ${limit}`.execute(executor);
  return result.rows.map((r) => ({
    applicationId: r.application_id,
    serviceId: r.service_id,
    agencyId: r.agency_id,
    channel: r.channel,
    submittedAt: r.submitted_at,
    outcome: r.outcome,
    decidedAt: r.decided_at,
    netDays: r.net_days,
    timeLimitDays: r.time_limit_days,
    withinLimit: r.time_limit_days === null ? null : r.net_days <= r.time_limit_days,
    informationRequests: r.requests,
    position: { at: r.position_at, applicationId: r.application_id },
  }));
}
