import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { APPLICATION_SUBMITTED } from '../registration/index.ts';
import { CASE_MOVED } from '../workflow/index.ts';
import { REFRESH_INTERVAL_MS, REFRESH_ROLLUPS_TASK, refreshRollups, requestRefresh } from './index.ts';

let app: TestApp;
const agencyId = randomUUID();
const services = ['analytics-test-a', 'analytics-test-b'];
const outcomes = ['granted', 'refused', 'withdrawn', null] as const;

before(async () => {
  app = await startTestApp({ seed: false });
  // 60 applications over both services and channels (a third without a channel, as events from
  // before assisted applications existed), three quarters of them decided in 1 to 60 days.
  for (let i = 0; i < 60; i++) {
    const applicationId = randomUUID();
    await app.database.db.transaction().execute(async (trx) => {
      await app.jobs.emit(trx, APPLICATION_SUBMITTED, { applicationId, serviceId: services[i % 2]!, agencyId, ...(i % 3 === 0 ? {} : { channel: i % 3 === 1 ? 'online' : 'assisted' }) });
      const outcome = outcomes[i % 4];
      if (outcome) await app.jobs.emit(trx, CASE_MOVED, { caseId: randomUUID(), subjectType: 'application', subjectId: applicationId, from: 'review', to: outcome, actionId: null, outcome });
    });
    await app.jobs.drain();
    // Spread submission and decision times over ten days, so a day holds several decisions to take percentiles of.
    await app.database.pool.query(`UPDATE analytics_applications SET submitted_at = now() - make_interval(days => $2) WHERE application_id = $1`, [applicationId, 1 + (i % 10)]);
    await app.database.pool.query(`UPDATE analytics_decisions SET decided_at = now() - make_interval(days => $2) + make_interval(days => $3) WHERE application_id = $1`, [applicationId, 1 + (i % 10), 1 + ((i * 7) % 60)]);
  }
  await refreshRollups(app.database.db);
});
after(() => app.stop());

async function rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await app.database.pool.query(text, values)).rows as T[];
}

describe('analytics rollups agree with the raw events', () => {
  it('counts received, granted, refused and withdrawn per service and channel as the emitted events do', async () => {
    const fromEvents = await rows<{ service: string; channel: string; received: number; granted: number; refused: number; withdrawn: number }>(
      `SELECT s.payload->>'serviceId' AS service, coalesce(s.payload->>'channel', 'online') AS channel, count(*)::int AS received,
              count(*) FILTER (WHERE m.payload->>'outcome' = 'granted')::int AS granted,
              count(*) FILTER (WHERE m.payload->>'outcome' = 'refused')::int AS refused,
              count(*) FILTER (WHERE m.payload->>'outcome' = 'withdrawn')::int AS withdrawn
       FROM platform_jobs s LEFT JOIN platform_jobs m ON m.task = 'analytics.record-decision' AND m.payload->>'subjectId' = s.payload->>'applicationId'
       WHERE s.task = 'analytics.record-submission' AND s.payload->>'agencyId' = $1
       GROUP BY 1, 2 ORDER BY 1, 2`, [agencyId]);
    const fromRollups = await rows<typeof fromEvents[number]>(
      `SELECT service_id AS service, channel, sum(received)::int AS received, sum(granted)::int AS granted, sum(refused)::int AS refused, sum(withdrawn)::int AS withdrawn
       FROM analytics_daily WHERE agency_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [agencyId]);
    assert.equal(fromEvents.reduce((n, r) => n + r.received, 0), 60);
    assert.deepEqual(fromRollups, fromEvents);
    assert.ok(fromRollups.some((r) => r.channel === 'assisted'), 'the assisted channel is kept apart');
  });

  it('gives the median and 90th percentile time to decision of each day as computed from the decisions themselves', async () => {
    const decisions = await rows<{ day: string; service: string; channel: string; days: number }>(
      `SELECT to_char((submitted_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, service_id AS service, channel, extract(epoch FROM decided_at - submitted_at)::float8 / 86400 AS days
       FROM analytics_applications JOIN analytics_decisions USING (application_id) WHERE agency_id = $1`, [agencyId]);
    const rollups = await rows<{ day: string; service: string; channel: string; median: number | null; p90: number | null; decided: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, service_id AS service, channel, median_days_to_decision AS median, p90_days_to_decision AS p90, decided
       FROM analytics_daily WHERE agency_id = $1`, [agencyId]);
    // Linear interpolation between the closest ranks, the definition docs/analytics.md gives.
    const percentile = (sorted: number[], p: number) => {
      const at = p * (sorted.length - 1);
      const lo = Math.floor(at);
      return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
    };
    assert.equal(rollups.reduce((n, r) => n + r.decided, 0), 45);
    let interpolated = 0;
    for (const r of rollups) {
      const days = decisions.filter((d) => d.day === r.day && d.service === r.service && d.channel === r.channel).map((d) => d.days).sort((a, b) => a - b);
      assert.equal(days.length, r.decided);
      if (days.length > 1) interpolated++;
      if (days.length === 0) {
        assert.equal(r.median, null);
        continue;
      }
      assert.ok(Math.abs(r.median! - percentile(days, 0.5)) < 1e-6, `median on ${r.day}`);
      assert.ok(Math.abs(r.p90! - percentile(days, 0.9)) < 1e-6, `p90 on ${r.day}`);
    }
    assert.ok(interpolated > 0, 'some groups hold several decisions, so the percentiles interpolate');
  });

  it('records a redelivered decision once, keeping the first outcome', async () => {
    const [first] = await rows<{ application_id: string; outcome: string }>(`SELECT application_id, outcome FROM analytics_applications JOIN analytics_decisions USING (application_id) WHERE agency_id = $1 AND outcome = 'granted' LIMIT 1`, [agencyId]);
    await app.database.db.transaction().execute((trx) => app.jobs.emit(trx, CASE_MOVED, { caseId: randomUUID(), subjectType: 'application', subjectId: first!.application_id, from: 'granted', to: 'refused', actionId: null, outcome: 'refused' }));
    await app.jobs.drain();
    const [after] = await rows<{ outcome: string }>(`SELECT outcome FROM analytics_decisions WHERE application_id = $1`, [first!.application_id]);
    assert.equal(after!.outcome, 'granted');
  });

  it('refreshes through one durable job per interval, however many processes ask', async () => {
    await app.database.db.transaction().execute((trx) => app.jobs.emit(trx, APPLICATION_SUBMITTED, { applicationId: randomUUID(), serviceId: services[0]!, agencyId, channel: 'online' }));
    await app.jobs.drain();
    const slot = Math.floor(Date.now() / REFRESH_INTERVAL_MS) * REFRESH_INTERVAL_MS;
    await requestRefresh(app.database.db, app.jobs, slot + 1);
    await requestRefresh(app.database.db, app.jobs, slot + 2);
    await requestRefresh(app.database.db, app.jobs, slot + REFRESH_INTERVAL_MS);
    const jobs = await rows<{ state: string }>(`SELECT state FROM platform_jobs WHERE task = $1`, [REFRESH_ROLLUPS_TASK]);
    assert.equal(jobs.length, 2);
    await app.jobs.drain();
    const [total] = await rows<{ received: number }>(`SELECT coalesce(sum(received), 0)::int AS received FROM analytics_daily WHERE agency_id = $1`, [agencyId]);
    assert.equal(total!.received, 61, 'the application submitted since the last refresh is counted');
  });
});

describe('the refresh recomputes only what changed, and gets the same figures as recomputing everything', () => {
  /** Every rollup row, in one comparable shape; seconds in a state rounded, as open cases' time grows between two refreshes. */
  const snapshot = async () => ({
    daily: await rows(`SELECT * FROM analytics_daily ORDER BY day, service_id, agency_id, channel`),
    durations: await rows(`SELECT * FROM analytics_daily_durations ORDER BY day, service_id, agency_id, channel, days`),
    monthly: await rows(`SELECT * FROM analytics_monthly_durations ORDER BY day, service_id, agency_id, channel, days`),
    states: (await rows<{ seconds: number }>(`SELECT * FROM analytics_daily_states ORDER BY day, service_id, agency_id, channel, state`)).map((r) => ({ ...r, seconds: Math.round(r.seconds / 60) })),
    stateDurations: await rows(`SELECT * FROM analytics_daily_state_durations ORDER BY day, service_id, agency_id, channel, state, days`),
    monthlyStateDurations: await rows(`SELECT * FROM analytics_monthly_state_durations ORDER BY day, service_id, agency_id, channel, state, days`),
  });
  const recomputeEverything = async () => {
    await app.database.pool.query(`INSERT INTO analytics_changed (application_id) SELECT application_id FROM analytics_applications`);
    await refreshRollups(app.database.db);
  };

  it('follows a submission moved to another day, a decision taken back, a new move and a new application', async () => {
    const [moved, undecided] = await rows<{ application_id: string }>(
      `SELECT application_id FROM analytics_applications JOIN analytics_decisions USING (application_id) WHERE agency_id = $1 ORDER BY application_id LIMIT 2`, [agencyId]);
    await app.database.pool.query(`UPDATE analytics_applications SET submitted_at = submitted_at - interval '40 days' WHERE application_id = $1`, [moved!.application_id]);
    await app.database.pool.query(`DELETE FROM analytics_decisions WHERE application_id = $1`, [undecided!.application_id]);
    await app.database.db.transaction().execute(async (trx) => {
      await app.jobs.emit(trx, CASE_MOVED, { caseId: randomUUID(), subjectType: 'application', subjectId: undecided!.application_id, from: 'review', to: 'waiting', actionId: null, outcome: null, pausesClock: true });
      await app.jobs.emit(trx, APPLICATION_SUBMITTED, { applicationId: randomUUID(), serviceId: services[1]!, agencyId, channel: 'assisted' });
    });
    await app.jobs.drain();
    const [noted] = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM analytics_changed`);
    assert.ok(noted!.n >= 4, 'every change was noted');
    await refreshRollups(app.database.db);
    const [left] = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM analytics_changed`);
    assert.equal(left!.n, 0, 'the refresh consumed what it saw');
    const incremental = await snapshot();
    await recomputeEverything();
    assert.deepEqual(incremental, await snapshot());
    const [old] = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM analytics_daily WHERE agency_id = $1 AND day < current_date - 30`, [agencyId]);
    assert.equal(old!.n, 1, 'the moved submission has its own cell forty days back');
  });
});
