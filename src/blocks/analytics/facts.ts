import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { APPLICATION_SUBMITTED } from '../registration/index.ts';
import { CASE_MOVED } from '../workflow/index.ts';
import { bucketOf } from './durations.ts';
import { refreshFees, subscribeToFees } from './fees.ts';

export const REFRESH_ROLLUPS_TASK = 'analytics.refresh-rollups';

interface Submitted { applicationId: string; serviceId: string; agencyId: string; channel?: 'online' | 'assisted'; timeLimitDays?: number | null; at?: string }
interface Moved { subjectType: string; subjectId: string; from?: string; to?: string; outcome: string | null; pausesClock?: boolean; at?: string }

/**
 * Record the facts analytics needs from the events as they are delivered, at the time the event
 * says the change happened (jobs run concurrently, so delivery order is not the order of moves;
 * events from before they carried a time count from delivery). Both handlers are
 * idempotent (a redelivered event changes nothing; the first decision stands), and they write
 * separate tables, so a decision delivered before its submission is kept for the next refresh.
 */
export function subscribeToFacts(db: Db, jobs: JobQueue): void {
  jobs.subscribe<Submitted>(APPLICATION_SUBMITTED, 'analytics.record-submission', async (e) => {
    await sql`
      INSERT INTO analytics_applications (application_id, service_id, agency_id, channel, time_limit_days, submitted_at)
      VALUES (${e.applicationId}, ${e.serviceId}, ${e.agencyId}, ${e.channel ?? 'online'}, ${e.timeLimitDays ?? null}, coalesce(${e.at ?? null}::timestamptz, now()))
      ON CONFLICT (application_id) DO NOTHING`.execute(db);
  });
  jobs.subscribe<Moved>(CASE_MOVED, 'analytics.record-decision', async (e, job) => {
    if (e.subjectType !== 'application') return;
    await sql`
      INSERT INTO analytics_moves (job_id, application_id, from_state, to_state, pauses_clock, moved_at)
      VALUES (${job.jobId}, ${e.subjectId}, ${e.from ?? null}, ${e.to ?? null}, ${e.pausesClock ?? false}, coalesce(${e.at ?? null}::timestamptz, now()))
      ON CONFLICT (job_id) DO NOTHING`.execute(db);
    if (!e.outcome) return;
    await sql`
      INSERT INTO analytics_decisions (application_id, outcome, decided_at)
      VALUES (${e.subjectId}, ${e.outcome}, coalesce(${e.at ?? null}::timestamptz, now()))
      ON CONFLICT (application_id) DO NOTHING`.execute(db);
  });
  subscribeToFees(db, jobs);
  jobs.register(REFRESH_ROLLUPS_TASK, () => refreshRollups(db));
}

/**
 * Recompute the daily rollups in one transaction, so a reader never sees half a refresh. Time to
 * decision is net of the statutory clock's pauses: a pause starts with a move into a state that
 * stops the clock and ends at the next move (or lasts until now while the case still waits). The
 * durations of each cell's decisions are kept as a histogram (`durations.ts`), not one by one.
 */
export async function refreshRollups(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`DELETE FROM analytics_daily`.execute(trx);
    await sql`DELETE FROM analytics_daily_durations`.execute(trx);
    await sql`DELETE FROM analytics_monthly_durations`.execute(trx);
    await sql`DELETE FROM analytics_daily_states`.execute(trx);
    // Worked out once for both tables: PostgreSQL materialises a CTE that is read twice.
    await sql`
      WITH moves AS (
        SELECT application_id, pauses_clock, moved_at, lead(moved_at) OVER (PARTITION BY application_id ORDER BY moved_at, job_id) AS next_at
        FROM analytics_moves
      ), pauses AS (
        SELECT application_id, count(*) FILTER (WHERE pauses_clock) AS requests,
               coalesce(sum(extract(epoch FROM coalesce(next_at, now()) - moved_at)) FILTER (WHERE pauses_clock), 0) AS paused_seconds
        FROM moves GROUP BY application_id
      ), facts AS (
        SELECT a.*, (a.submitted_at AT TIME ZONE 'UTC')::date AS day, d.outcome, d.decided_at, coalesce(p.requests, 0) AS requests,
               (extract(epoch FROM coalesce(d.decided_at, now()) - a.submitted_at) - coalesce(p.paused_seconds, 0))::float8 / 86400 AS net_days
        FROM analytics_applications a LEFT JOIN analytics_decisions d USING (application_id) LEFT JOIN pauses p USING (application_id)
      ), daily AS (
        INSERT INTO analytics_daily (day, service_id, agency_id, channel, received, decided, granted, refused, withdrawn,
                                     median_days_to_decision, p90_days_to_decision, decided_in_time, decided_with_limit, overdue, information_requests)
        SELECT day, service_id, agency_id, channel,
               count(*), count(decided_at),
               count(*) FILTER (WHERE outcome = 'granted'),
               count(*) FILTER (WHERE outcome = 'refused'),
               count(*) FILTER (WHERE outcome = 'withdrawn'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN decided_at IS NOT NULL THEN net_days END),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY CASE WHEN decided_at IS NOT NULL THEN net_days END),
               count(*) FILTER (WHERE decided_at IS NOT NULL AND net_days <= time_limit_days),
               count(*) FILTER (WHERE decided_at IS NOT NULL AND time_limit_days IS NOT NULL),
               count(*) FILTER (WHERE decided_at IS NULL AND net_days > time_limit_days),
               sum(requests)
        FROM facts
        GROUP BY 1, 2, 3, 4
      )
      INSERT INTO analytics_daily_durations (day, service_id, agency_id, channel, days, decisions)
      SELECT day, service_id, agency_id, channel, ${bucketOf(sql`net_days`)}, count(*)
      FROM facts WHERE decided_at IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5`.execute(trx);
    await sql`
      INSERT INTO analytics_monthly_durations (day, service_id, agency_id, channel, days, decisions)
      SELECT date_trunc('month', day)::date, service_id, agency_id, channel, days, sum(decisions)
      FROM analytics_daily_durations GROUP BY 1, 2, 3, 4, 5`.execute(trx);
    // Time in each state until the decision (or now): the first state from submission to the first
    // move, then each state from the move into it to the next. A case not moved yet has no known
    // state, so its first state counts from when it leaves it.
    await sql`
      WITH moves AS (
        SELECT application_id, from_state, to_state, pauses_clock, moved_at,
               lead(moved_at) OVER w AS next_at, row_number() OVER w AS n
        FROM analytics_moves WHERE to_state IS NOT NULL
        WINDOW w AS (PARTITION BY application_id ORDER BY moved_at, job_id)
      ), spans AS (
        SELECT application_id, from_state AS state, false AS pauses_clock, NULL::timestamptz AS started_at, moved_at AS ended_at FROM moves WHERE n = 1
        UNION ALL
        SELECT application_id, to_state, pauses_clock, moved_at, next_at FROM moves
      ), timed AS (
        -- One row per application and state (all its visits together), so a cell counts rows, not distinct ids.
        SELECT (a.submitted_at AT TIME ZONE 'UTC')::date AS day, a.service_id, a.agency_id, a.channel, s.state, bool_or(s.pauses_clock) AS pauses_clock,
               sum(extract(epoch FROM least(coalesce(s.ended_at, 'infinity'), coalesce(d.decided_at, now())) - coalesce(s.started_at, a.submitted_at)))::float8 AS seconds
        FROM spans s JOIN analytics_applications a USING (application_id) LEFT JOIN analytics_decisions d USING (application_id)
        WHERE coalesce(s.started_at, a.submitted_at) < coalesce(d.decided_at, now())
        GROUP BY a.application_id, s.state
      )
      INSERT INTO analytics_daily_states (day, service_id, agency_id, channel, state, pauses_clock, applications, seconds)
      SELECT day, service_id, agency_id, channel, state, bool_or(pauses_clock), count(*), sum(seconds)
      FROM timed GROUP BY 1, 2, 3, 4, 5`.execute(trx);
    await refreshFees(trx);
  });
}

export const REFRESH_INTERVAL_MS = 5 * 60_000;

/**
 * Ask for a refresh as a durable job, one per interval: every process runs the same timer, and the
 * dedupe key lets only the first request of each interval through.
 */
export async function requestRefresh(db: Db, jobs: JobQueue, now = Date.now()): Promise<void> {
  await jobs.enqueue(db, REFRESH_ROLLUPS_TASK, {}, { dedupeKey: `${REFRESH_ROLLUPS_TASK}:${Math.floor(now / REFRESH_INTERVAL_MS)}` });
}
