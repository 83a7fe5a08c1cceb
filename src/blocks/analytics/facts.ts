import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { APPLICATION_SUBMITTED } from '../registration/index.ts';
import { CASE_MOVED } from '../workflow/index.ts';

export const REFRESH_ROLLUPS_TASK = 'analytics.refresh-rollups';

interface Submitted { applicationId: string; serviceId: string; agencyId: string; channel?: 'online' | 'assisted' }
interface Moved { subjectType: string; subjectId: string; outcome: string | null }

/**
 * Record the facts analytics needs from the events as they are delivered. Both handlers are
 * idempotent (a redelivered event changes nothing; the first decision stands), and they write
 * separate tables, so a decision delivered before its submission is kept for the next refresh.
 */
export function subscribeToFacts(db: Db, jobs: JobQueue): void {
  jobs.subscribe<Submitted>(APPLICATION_SUBMITTED, 'analytics.record-submission', async (e) => {
    await sql`
      INSERT INTO analytics_applications (application_id, service_id, agency_id, channel, submitted_at)
      VALUES (${e.applicationId}, ${e.serviceId}, ${e.agencyId}, ${e.channel ?? 'online'}, now())
      ON CONFLICT (application_id) DO NOTHING`.execute(db);
  });
  jobs.subscribe<Moved>(CASE_MOVED, 'analytics.record-decision', async (e) => {
    if (e.subjectType !== 'application' || !e.outcome) return;
    await sql`
      INSERT INTO analytics_decisions (application_id, outcome, decided_at)
      VALUES (${e.subjectId}, ${e.outcome}, now())
      ON CONFLICT (application_id) DO NOTHING`.execute(db);
  });
  jobs.register(REFRESH_ROLLUPS_TASK, () => refreshRollups(db));
}

/** Recompute the daily rollups in one statement, so a reader never sees half a refresh. */
export async function refreshRollups(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`DELETE FROM analytics_daily`.execute(trx);
    await sql`
      INSERT INTO analytics_daily
      SELECT (submitted_at AT TIME ZONE 'UTC')::date, service_id, agency_id, channel,
             count(*), count(decided_at),
             count(*) FILTER (WHERE outcome = 'granted'),
             count(*) FILTER (WHERE outcome = 'refused'),
             count(*) FILTER (WHERE outcome = 'withdrawn'),
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - submitted_at) / 86400),
             percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - submitted_at) / 86400)
      FROM analytics_applications LEFT JOIN analytics_decisions USING (application_id)
      GROUP BY 1, 2, 3, 4`.execute(trx);
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
