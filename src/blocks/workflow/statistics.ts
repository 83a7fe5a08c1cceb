import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

export type Timeframe = 'day' | 'week' | 'month' | 'year';

/** How often staff moved cases of one service version from one state to another, per period. */
export interface TransitionCount {
  /** First day of the period (UTC, `YYYY-MM-DD`; weeks start on Monday), or null for the whole window. */
  period: string | null;
  serviceId: string;
  serviceVersion: number;
  kind: 'action' | 'reviews-complete';
  actionId: string | null;
  fromState: string;
  toState: string;
  count: number;
}

export interface TransitionFilter {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  timeframe?: Timeframe;
  serviceIds?: string[];
  /** Only moves made by the person of this name (case-insensitive). */
  actorName?: string;
  /** Only cases of these agencies. */
  agencyIds?: string[];
}

/**
 * Decisions and steps taken by staff (and the automatic move that closes a round of reviews),
 * grouped so that the caller can classify each group with the service definition it belongs to.
 * The groups are few however many events there are: the counting happens in the database.
 */
export async function transitionCounts(executor: Executor, filter: TransitionFilter): Promise<TransitionCount[]> {
  const conditions = [sql`e.at >= ${filter.from}`, sql`e.at < ${filter.to}`, sql`e.kind IN ('action', 'reviews-complete')`];
  if (filter.serviceIds) conditions.push(sql`c.service_id = ANY(${filter.serviceIds}::text[])`);
  if (filter.actorName !== undefined) conditions.push(sql`lower(e.actor_name) = lower(${filter.actorName})`);
  if (filter.agencyIds) conditions.push(sql`c.agency_id = ANY(${filter.agencyIds}::uuid[])`);
  const period = filter.timeframe ? sql`to_char(date_trunc(${filter.timeframe}, e.at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')` : sql`NULL`;
  const result = await sql<TransitionCount>`
    SELECT ${period} AS period, c.service_id AS "serviceId", c.service_version AS "serviceVersion", e.kind, e.action_id AS "actionId",
           e.from_state AS "fromState", e.to_state AS "toState", count(*)::int AS count
    FROM workflow_events e JOIN workflow_cases c ON c.id = e.case_id
    WHERE ${sql.join(conditions, sql` AND `)}
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ORDER BY 1, 2, 3`.execute(executor);
  return result.rows;
}
