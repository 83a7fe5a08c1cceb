import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { APPLICATION_SUBMITTED } from '../registration/index.ts';
import { CASE_MOVED } from '../workflow/index.ts';
import { MEMBERSHIP, NET_DAYS, NEXT_MOVE_AT, PAUSE_TOTALS } from './case-facts.ts';
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
 * Bring the rollups up to date in one transaction, so a reader never sees half a refresh. Only
 * the cells (day of submission, service, agency, channel) that may have changed are recomputed:
 * those of the applications whose facts changed since the last refresh (noted by triggers, in
 * `analytics_changed`), and those with open cases, whose pauses, overdue count and time in the
 * current state grow with the clock. Time to decision is net of the statutory clock's pauses: a
 * pause starts with a move into a state that stops the clock and ends at the next move (or lasts
 * until now while the case still waits). The durations of each cell's decisions are kept as a
 * histogram (`durations.ts`), not one by one.
 *
 * Repeatable read, so the changes consumed are exactly those the recomputation saw: facts written
 * meanwhile stay noted for the next refresh. One refresh at a time; another asked for meanwhile
 * finds the lock taken and leaves its work to the next interval.
 */
export async function refreshRollups(db: Db): Promise<void> {
  await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const locked = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(hashtext(${REFRESH_ROLLUPS_TASK})) AS locked`.execute(trx);
    if (!locked.rows[0]?.locked) return;
    await sql`
      CREATE TEMPORARY TABLE refresh_cells ON COMMIT DROP AS
      SELECT day, service_id, agency_id, channel FROM analytics_changed WHERE day IS NOT NULL
      UNION SELECT (a.submitted_at AT TIME ZONE 'UTC')::date, a.service_id, a.agency_id, a.channel
            FROM analytics_changed c JOIN analytics_applications a USING (application_id)
      UNION SELECT day, service_id, agency_id, channel FROM analytics_daily WHERE received > decided`.execute(trx);
    await sql`
      CREATE TEMPORARY TABLE refresh_applications ON COMMIT DROP AS
      SELECT a.* FROM analytics_applications a JOIN refresh_cells c
        ON (a.submitted_at AT TIME ZONE 'UTC')::date = c.day AND a.service_id = c.service_id AND a.agency_id = c.agency_id AND a.channel = c.channel`.execute(trx);
    await sql`ALTER TABLE refresh_applications ADD PRIMARY KEY (application_id)`.execute(trx);
    await sql`ANALYZE refresh_cells`.execute(trx);
    await sql`ANALYZE refresh_applications`.execute(trx);
    for (const table of ['analytics_daily', 'analytics_daily_durations', 'analytics_daily_states', 'analytics_daily_state_durations']) {
      await sql`
        DELETE FROM ${sql.table(table)} r USING refresh_cells c
        WHERE r.day = c.day AND r.service_id = c.service_id AND r.agency_id = c.agency_id AND r.channel = c.channel`.execute(trx);
    }
    // Worked out once for both tables: PostgreSQL materialises a CTE that is read twice.
    await sql`
      WITH moves AS (
        SELECT application_id, pauses_clock, moved_at, ${NEXT_MOVE_AT(sql`PARTITION BY application_id`)} AS next_at
        FROM analytics_moves WHERE application_id IN (SELECT application_id FROM refresh_applications)
      ), pauses AS (
        SELECT application_id, ${PAUSE_TOTALS}
        FROM moves GROUP BY application_id
      ), facts AS (
        SELECT a.*, (a.submitted_at AT TIME ZONE 'UTC')::date AS day, d.outcome, d.decided_at, coalesce(p.requests, 0) AS requests,
               ${NET_DAYS} AS net_days
        FROM refresh_applications a LEFT JOIN analytics_decisions d USING (application_id) LEFT JOIN pauses p USING (application_id)
      ), daily AS (
        INSERT INTO analytics_daily (day, service_id, agency_id, channel, received, decided, granted, refused, withdrawn,
                                     median_days_to_decision, p90_days_to_decision, decided_in_time, decided_with_limit, overdue, information_requests)
        SELECT day, service_id, agency_id, channel,
               count(*), count(*) FILTER (WHERE ${MEMBERSHIP.decided}),
               count(*) FILTER (WHERE ${MEMBERSHIP.granted}),
               count(*) FILTER (WHERE ${MEMBERSHIP.refused}),
               count(*) FILTER (WHERE ${MEMBERSHIP.withdrawn}),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN decided_at IS NOT NULL THEN net_days END),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY CASE WHEN decided_at IS NOT NULL THEN net_days END),
               count(*) FILTER (WHERE ${MEMBERSHIP['in-time']}),
               count(*) FILTER (WHERE ${MEMBERSHIP['with-limit']}),
               count(*) FILTER (WHERE ${MEMBERSHIP.overdue}),
               sum(requests)
        FROM facts
        GROUP BY 1, 2, 3, 4
      )
      INSERT INTO analytics_daily_durations (day, service_id, agency_id, channel, days, decisions)
      SELECT day, service_id, agency_id, channel, ${bucketOf(sql`net_days`)}, count(*)
      FROM facts WHERE decided_at IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5`.execute(trx);
    // A month's histogram is the sum of its days', so only the months of recomputed cells change.
    await sql`
      CREATE TEMPORARY TABLE refresh_months ON COMMIT DROP AS
      SELECT DISTINCT date_trunc('month', day)::date AS month, service_id, agency_id, channel FROM refresh_cells`.execute(trx);
    await sumIntoMonths(trx, 'analytics_daily_durations', 'analytics_monthly_durations', ['days'], 'decisions');
    // Time in each state until the decision (or now): the first state from submission to the first
    // move, then each state from the move into it to the next. A case not moved yet has no known
    // state, so its first state counts from when it leaves it.
    await sql`
      WITH moves AS (
        SELECT application_id, from_state, to_state, pauses_clock, moved_at,
               lead(moved_at) OVER w AS next_at, row_number() OVER w AS n
        FROM analytics_moves WHERE to_state IS NOT NULL AND application_id IN (SELECT application_id FROM refresh_applications)
        WINDOW w AS (PARTITION BY application_id ORDER BY moved_at, job_id)
      ), spans AS (
        SELECT application_id, from_state AS state, false AS pauses_clock, NULL::timestamptz AS started_at, moved_at AS ended_at FROM moves WHERE n = 1
        UNION ALL
        SELECT application_id, to_state, pauses_clock, moved_at, next_at FROM moves
      ), timed AS (
        -- One row per application and state (all its visits together), so a cell counts rows, not distinct ids.
        SELECT (a.submitted_at AT TIME ZONE 'UTC')::date AS day, a.service_id, a.agency_id, a.channel, s.state, bool_or(s.pauses_clock) AS pauses_clock,
               sum(extract(epoch FROM least(coalesce(s.ended_at, 'infinity'), coalesce(d.decided_at, now())) - coalesce(s.started_at, a.submitted_at)))::float8 AS seconds
        FROM spans s JOIN refresh_applications a USING (application_id) LEFT JOIN analytics_decisions d USING (application_id)
        WHERE coalesce(s.started_at, a.submitted_at) < coalesce(d.decided_at, now())
        GROUP BY a.application_id, s.state
      ), per_state AS (
        INSERT INTO analytics_daily_states (day, service_id, agency_id, channel, state, pauses_clock, applications, seconds)
        SELECT day, service_id, agency_id, channel, state, bool_or(pauses_clock), count(*), sum(seconds)
        FROM timed GROUP BY 1, 2, 3, 4, 5
      )
      INSERT INTO analytics_daily_state_durations (day, service_id, agency_id, channel, state, days, applications)
      SELECT day, service_id, agency_id, channel, state, ${bucketOf(sql`seconds / 86400`)}, count(*)
      FROM timed GROUP BY 1, 2, 3, 4, 5, 6`.execute(trx);
    await sumIntoMonths(trx, 'analytics_daily_state_durations', 'analytics_monthly_state_durations', ['state', 'days'], 'applications');
    await refreshFees(trx);
    // Only the notes this snapshot saw: those written since stay for the next refresh.
    await sql`DELETE FROM analytics_changed`.execute(trx);
  });
}

/**
 * Replace the monthly histogram rows of the months in `refresh_months` with the sums of their
 * days' rows: `keys` are the histogram's columns beside the cell's, `count` the column summed.
 */
async function sumIntoMonths(trx: Tx, daily: string, monthly: string, keys: readonly string[], count: string): Promise<void> {
  const columns = sql.raw(['day', 'service_id', 'agency_id', 'channel', ...keys, count].join(', '));
  const picked = sql.raw(keys.map((k) => `d.${k}`).join(', '));
  const groups = sql.raw(Array.from({ length: 4 + keys.length }, (_, i) => i + 1).join(', '));
  await sql`
    DELETE FROM ${sql.table(monthly)} m USING refresh_months r
    WHERE m.day = r.month AND m.service_id = r.service_id AND m.agency_id = r.agency_id AND m.channel = r.channel`.execute(trx);
  await sql`
    INSERT INTO ${sql.table(monthly)} (${columns})
    SELECT r.month, d.service_id, d.agency_id, d.channel, ${picked}, sum(d.${sql.raw(count)})
    FROM refresh_months r JOIN ${sql.table(daily)} d
      ON d.day >= r.month AND d.day < r.month + interval '1 month' AND d.service_id = r.service_id AND d.agency_id = r.agency_id AND d.channel = r.channel
    GROUP BY ${groups}`.execute(trx);
}

export const REFRESH_INTERVAL_MS = 5 * 60_000;

/**
 * Ask for a refresh as a durable job, one per interval: every process runs the same timer, and the
 * dedupe key lets only the first request of each interval through.
 */
export async function requestRefresh(db: Db, jobs: JobQueue, now = Date.now()): Promise<void> {
  await jobs.enqueue(db, REFRESH_ROLLUPS_TASK, {}, { dedupeKey: `${REFRESH_ROLLUPS_TASK}:${Math.floor(now / REFRESH_INTERVAL_MS)}` });
}
