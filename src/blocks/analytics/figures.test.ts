/**
 * The figures the dashboards and the public page show, computed twice: from the rollups, and
 * directly from the generated cases in the registration and workflow tables (which only a test may
 * read). Then who may see what: the officers' dashboard, feedback, and the public page's small counts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD, signIn, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, postForm } from '../../../test/support/http.ts';
import { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { currentDefinitions } from '../registration/index.ts';
import { CASE_FIGURES, figureCases, figureOf, figureTotal, figures, refreshRollups, round1, stateTimes, suppressed, suppressedStateTime, type CasePosition, type CaseRow, type CaseScope, type Figures } from './index.ts';

let app: TestApp;
let f: RegistrationFixtures;
let commerceId: string;
const ids: { id: string; path: 'open' | 'rejected' | 'granted' | 'corrected' }[] = [];
const DAY = 86_400;

/** A page as the browser of `who` gets it. */
async function page(who: Parameters<RegistrationFixtures['headersOf']>[0], url: string): Promise<{ status: number; body: string }> {
  const response = await app.app.inject({ method: 'GET', url, headers: f.headersOf(who) });
  return { status: response.statusCode, body: response.body };
}

async function rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await app.database.pool.query(text, values)).rows as T[];
}

/** When the cases are put back in time from: one instant, so a move and its decision stay equal. */
let base: number;
const daysAgo = (n: number) => new Date(base - n * DAY * 1000);
/** The workflow history's moves: the events with a state before, less those that stay in it (opinions, extensions, escalations). */
const MOVES = `e.from_state IS NOT NULL AND e.kind NOT IN ('opinion', 'extend', 'escalate')`;

/**
 * Put an application back in time, in the raw tables and in the facts alike: submitted `submitted`
 * days ago, decided `decided` days ago, and (for a corrected one) `paused` days of waiting for the
 * applicant, both in the case's own clock and in the moves. Every move gets a time in both the
 * workflow's history and the facts: the decision's at the decision, the wait's `decided + 0.5`
 * days before it, and the moves before the wait a tenth of a day apart after the submission.
 */
async function backdate(id: string, submitted: number, decided: number | null, paused: number) {
  const q = (text: string, values: unknown[]) => app.database.pool.query(text, values);
  await q(`UPDATE registration_applications SET submitted_at = $2 WHERE id = $1`, [id, daysAgo(submitted)]);
  await q(`UPDATE analytics_applications SET submitted_at = $2 WHERE application_id = $1`, [id, daysAgo(submitted)]);
  await q(`UPDATE workflow_cases SET statutory_due_at = $2::timestamptz + ((5 + $3::float8) * interval '1 day'), paused_seconds = $3::int * ${DAY} WHERE id = $1`, [id, daysAgo(submitted), paused]);
  if (decided !== null) {
    await q(`UPDATE workflow_cases SET closed_at = $2 WHERE id = $1`, [id, daysAgo(decided)]);
    await q(`UPDATE analytics_decisions SET decided_at = $2 WHERE application_id = $1`, [id, daysAgo(decided)]);
  }
  const moves = await rows<{ job_id: string; pauses_clock: boolean }>(`SELECT job_id, pauses_clock FROM analytics_moves WHERE application_id = $1 ORDER BY moved_at, job_id`, [id]);
  const events = await rows<{ id: string }>(`SELECT e.id FROM workflow_events e JOIN workflow_cases c ON c.id = e.case_id WHERE c.subject_id = $1 AND ${MOVES} ORDER BY e.id`, [id]);
  assert.equal(events.length, moves.length, 'one fact per move of the case');
  const wait = moves.findIndex((m) => m.pauses_clock);
  for (const [k, move] of moves.entries()) {
    const ago = decided !== null && k === moves.length - 1 ? decided : paused > 0 && k === wait ? decided! + 0.5 + paused : paused > 0 && k === wait + 1 ? decided! + 0.5 : submitted - 0.1 * (k + 1);
    await q(`UPDATE analytics_moves SET moved_at = $2 WHERE job_id = $1`, [move.job_id, daysAgo(ago)]);
    await q(`UPDATE workflow_events SET at = $2 WHERE id = $1`, [events[k]!.id, daysAgo(ago)]);
  }
}

before(async () => {
  app = await startTestApp();
  f = await RegistrationFixtures.start(app);
  commerceId = (await rows<{ id: string }>(`SELECT id FROM identity_agencies WHERE code = 'commerce'`))[0]!.id;
  const paths = ['open', 'rejected', 'granted', 'corrected'] as const;
  for (let i = 0; i < 24; i++) {
    const path = paths[i % 4]!;
    const id = await f.submittedStall();
    const act = async (who: 'officer.trade' | 'head.trade', action: string, inputs: Record<string, unknown> = {}) => assert.equal((await f.call(who, 'POST', `/api/workflow/cases/${id}/actions/${action}`, { inputs })).status, 200);
    if (path === 'rejected') await act('officer.trade', 'reject', { reason: 'Incomplete' });
    if (path === 'granted' || path === 'corrected') {
      await act('officer.trade', 'accept');
      const opinion = path === 'granted' ? 'agree' : 'object';
      assert.equal((await f.call('officer.fire', 'POST', `/api/workflow/cases/${id}/reviews/fire-safety`, { opinion, conditions: 'Extinguisher' })).status, 200);
    }
    if (path === 'granted') await act('head.trade', 'approve');
    if (path === 'corrected') {
      assert.equal((await f.call('amina', 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'correct' })).status, 200);
      await act('officer.trade', 'reject', { reason: 'Still unsafe' });
    }
    ids.push({ id, path });
  }
  await app.jobs.drain();
  base = Date.now();
  // Submitted 2 to 13 days ago; decided 0.75 to 7.75 days after; corrected ones waited 3 days for
  // the applicant. The quarter day keeps every decision off the exact end of its legal time limit,
  // where the milliseconds between these updates would decide whether it was in time.
  for (const [i, { id, path }] of ids.entries()) {
    const submitted = 2 + (i % 12);
    const decided = path === 'open' ? null : Math.max(0, submitted - 1 - (i % 8)) + 0.25;
    await backdate(id, submitted, decided, path === 'corrected' ? 3 : 0);
  }
  await refreshRollups(app.database.db);
});
after(() => app.stop());

const percentile = (sorted: number[], p: number) => {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
};
/** The rollups keep durations in one-day buckets, so a percentile is within half a day (docs/analytics.md). */
const HALF_A_DAY = 0.5 + 1e-9;
/** Sums of seconds are exact; the open cases' last state runs until the refresh, a few seconds before the check. */
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 0.01, `${what}: ${a} from the rollups, ${b} from the cases`);
const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) <= HALF_A_DAY, `${what}: ${a} from the rollups, ${b} from the cases`);

describe('figures from the rollups agree with the cases themselves', () => {
  let fromRollups: Figures;
  let raw: { id: string; outcome: string | null; submitted: Date; closed: Date | null; paused: number; due: Date; channel: string }[];

  before(async () => {
    [fromRollups] = (await figures(app.database.db, { agencies: [commerceId], serviceId: 'market-stall' })) as [Figures];
    raw = (
      await rows<{ id: string; outcome: string | null; submitted_at: Date; closed_at: Date | null; paused_seconds: string; statutory_due_at: Date; channel: string }>(
        `SELECT a.id, c.outcome, a.submitted_at, c.closed_at, c.paused_seconds, c.statutory_due_at, a.channel
         FROM registration_applications a JOIN workflow_cases c ON c.id = a.id WHERE a.id = ANY($1::uuid[])`,
        [ids.map((i) => i.id)],
      )
    ).map((r) => ({ id: r.id, outcome: r.outcome, submitted: r.submitted_at, closed: r.closed_at, paused: Number(r.paused_seconds), due: r.statutory_due_at, channel: r.channel }));
    assert.equal(raw.length, ids.length);
  });

  it('counts received, decided, granted and refused as the cases are', () => {
    assert.equal(fromRollups.received, raw.length);
    assert.equal(fromRollups.decided, raw.filter((r) => r.outcome).length);
    assert.equal(fromRollups.granted, raw.filter((r) => r.outcome === 'granted').length);
    assert.equal(fromRollups.refused, raw.filter((r) => r.outcome === 'refused').length);
    assert.equal(fromRollups.online + fromRollups.assisted, raw.length);
    assert.equal(fromRollups.online, raw.filter((r) => r.channel === 'online').length);
  });

  it('takes the median and 90th percentile time to decision without the days spent waiting for the applicant', () => {
    const net = raw.filter((r) => r.closed).map((r) => (r.closed!.getTime() - r.submitted.getTime()) / 1000 / DAY - r.paused / DAY).sort((a, b) => a - b);
    close(fromRollups.medianDays, percentile(net, 0.5), 'median');
    close(fromRollups.p90Days, percentile(net, 0.9), 'p90');
    const gross = raw.filter((r) => r.closed).map((r) => (r.closed!.getTime() - r.submitted.getTime()) / 1000 / DAY).sort((a, b) => a - b);
    assert.ok(Math.abs(percentile(gross, 0.9) - fromRollups.p90Days!) > HALF_A_DAY, 'the pauses make a difference here');
  });

  it("takes a period's percentiles from the whole months' histograms and the other days' alike", async () => {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    // From the first of a month (a whole month, today one with the days after it) and from mid-period.
    for (const period of [{ from: `${day(daysAgo(13)).slice(0, 8)}01`, to: day(new Date()) }, { from: day(daysAgo(9)), to: day(daysAgo(3)) }]) {
      const [inPeriod] = await figures(app.database.db, { ...period, agencies: [commerceId], serviceId: 'market-stall' });
      const net = raw.filter((r) => r.closed && day(r.submitted) >= period.from && day(r.submitted) <= period.to).map((r) => (r.closed!.getTime() - r.submitted.getTime()) / 1000 / DAY - r.paused / DAY).sort((a, b) => a - b);
      assert.equal(inPeriod!.decided, net.length);
      close(inPeriod!.medianDays, percentile(net, 0.5), `median from ${period.from}`);
      close(inPeriod!.p90Days, percentile(net, 0.9), `p90 from ${period.from}`);
    }
  });

  it('counts decisions within the legal time limit and cases overdue now as the statutory clock does', () => {
    const decided = raw.filter((r) => r.closed);
    assert.equal(fromRollups.decidedWithLimit, decided.length);
    assert.equal(fromRollups.decidedInTime, decided.filter((r) => r.closed! <= r.due).length);
    assert.equal(fromRollups.overdue, raw.filter((r) => !r.closed && r.due < new Date()).length);
    assert.ok(fromRollups.overdue > 0 && fromRollups.decidedInTime < decided.length, 'some are late, so the figures are not trivially all or nothing');
  });

  it('counts one request for more information per corrected application', () => {
    assert.equal(fromRollups.informationRequests, ids.filter((i) => i.path === 'corrected').length);
  });

  it('gives the same counts per month as over the whole period', async () => {
    const months = await figures(app.database.db, { agencies: [commerceId], serviceId: 'market-stall' }, ['month']);
    assert.equal(months.reduce((n, m) => n + m.received, 0), fromRollups.received);
    assert.equal(months.reduce((n, m) => n + m.decidedInTime, 0), fromRollups.decidedInTime);
  });

  it('gives the same counts without the durations when only counts are asked for', async () => {
    const scope = { agencies: [commerceId], serviceId: 'market-stall' };
    const full = await figures(app.database.db, scope, ['month']);
    const counts = await figures(app.database.db, scope, ['month'], 'counts');
    assert.deepEqual(counts, full.map((m) => ({ ...m, medianDays: null, p90Days: null, decidedWithTarget: null, decidedWithinTarget: null })));
  });

  it('gives the time spent in each workflow state as the workflow history has it, the wait for the applicant apart', async () => {
    const history = await rows<{ application: string; from_state: string; to_state: string; at: Date }>(
      `SELECT c.subject_id AS application, e.from_state, e.to_state, e.at FROM workflow_events e JOIN workflow_cases c ON c.id = e.case_id
       WHERE c.subject_id = ANY($1::text[]) AND ${MOVES} ORDER BY e.id`, [ids.map((i) => i.id)]);
    const definition = (await currentDefinitions(app.database.db)).find((d) => d.serviceId === 'market-stall')!;
    const now = new Date();
    // Each state from the move into it (the first from the submission) to the next move, until the decision.
    const spent = new Map<string, { applications: Set<string>; days: number; perApplication: Map<string, number> }>();
    for (const r of raw) {
      const moves = history.filter((h) => h.application === r.id);
      const end = r.closed ?? now;
      const spans = moves.length ? [{ state: moves[0]!.from_state, at: r.submitted }, ...moves.map((m) => ({ state: m.to_state, at: m.at }))] : [];
      for (const [k, span] of spans.entries()) {
        if (span.at >= end) continue;
        const until = spans[k + 1] && spans[k + 1]!.at < end ? spans[k + 1]!.at : end;
        const entry = spent.get(span.state) ?? { applications: new Set(), days: 0, perApplication: new Map() };
        const days = (until.getTime() - span.at.getTime()) / 1000 / DAY;
        entry.applications.add(r.id);
        entry.days += days;
        entry.perApplication.set(r.id, (entry.perApplication.get(r.id) ?? 0) + days);
        spent.set(span.state, entry);
      }
    }
    const fromRollups = await stateTimes(app.database.db, { agencies: [commerceId], serviceId: 'market-stall' });
    assert.deepEqual(fromRollups.map((s) => s.state).sort(), [...spent.keys()].sort());
    for (const s of fromRollups) {
      const expected = spent.get(s.state)!;
      assert.equal(s.applications, expected.applications.size, s.state);
      near(s.averageDays, expected.days / expected.applications.size, `${s.state}: average days`);
      const each = [...expected.perApplication.values()].sort((a, b) => a - b);
      close(s.medianDays, percentile(each, 0.5), `${s.state}: median days`);
      close(s.p90Days, percentile(each, 0.9), `${s.state}: 90th percentile`);
      assert.equal(s.pausesClock, definition.document.workflow.states.find((d) => d.id === s.state)?.pausesClock ?? false, `${s.state} stops the clock`);
    }
    const waiting = fromRollups.filter((s) => s.pausesClock);
    assert.equal(waiting.length, 1, 'the wait for the correction is its own state');
    near(waiting[0]!.averageDays, 3, 'the corrected applications waited three days');
  });

  it('measures a KPI target over the decisions themselves', async () => {
    const admin = await signIn(app, 'admin', DEMO_PASSWORD);
    const set = await postForm(app, admin.jar, '/agency/performance/targets', { _csrf: admin.csrf, service: 'market-stall', sharePercent: '90', withinDays: '3' });
    assert.equal(set.statusCode, 303, set.body);
    const refused = await postForm(app, admin.jar, '/agency/performance/targets', { _csrf: admin.csrf, service: 'market-stall', sharePercent: '190', withinDays: 'soon' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /Enter a whole number from 1 to 100/);
    const [withTarget] = await figures(app.database.db, { agencies: [commerceId], serviceId: 'market-stall' });
    const net = raw.filter((r) => r.closed).map((r) => (r.closed!.getTime() - r.submitted.getTime()) / 1000 / DAY - r.paused / DAY);
    assert.equal(withTarget!.decidedWithinTarget, net.filter((d) => d <= 3).length);
    const shown = await page('admin', '/agency/performance?service=market-stall');
    assert.match(shown.body, /90% within 3 days/);
  });
});

describe('who sees the performance figures', () => {
  it('shows the dashboard to an officer of the agency, with links to the cases behind its figures', async () => {
    const shown = await page('officer.trade', '/agency/performance');
    assert.equal(shown.status, 200);
    assert.match(shown.body, /href="\/agency\/performance\/cases\?[^"]*service=market-stall&amp;figure=overdue"/);
    assert.match(shown.body, /<svg aria-hidden="true"/);
    assert.match(shown.body, /<figure class="chart" aria-labelledby="states-title"[\s\S]*stopped: not counted/, 'the time in each step, the wait for the applicant apart');
    assert.match(shown.body, /href="\/work\?service=market-stall&amp;state=[a-z-]+"/, 'each step links to the worklist of its cases');
  });

  it('refuses the dashboard to citizens and to anyone signed out', async () => {
    assertProblem((await f.call('amina', 'GET', '/agency/performance', undefined, { accept: 'application/json' })).response, 403);
    assertProblem((await f.call(null, 'GET', '/agency/performance', undefined, { accept: 'application/json' })).response, 401);
  });

  it("shows an officer of another agency none of the Ministry of Trade's figures, and refuses its agency filter", async () => {
    const fire = await page('officer.fire', '/agency/performance');
    assert.equal(fire.status, 200);
    assert.doesNotMatch(fire.body, /Market stall permit/);
    assertProblem((await f.call('officer.fire', 'GET', `/agency/performance?agency=${commerceId}`, undefined, { accept: 'application/json' })).response, 403);
    assertProblem((await f.call('officer.trade', 'POST', '/agency/performance/targets', { service: 'market-stall', sharePercent: '50', withinDays: '9' }, { accept: 'application/json' })).response, 403);
  });

  it('shows the public no count below five, in the page and in the open data', async () => {
    const [one] = await figures(app.database.db, { agencies: 'all', serviceId: 'market-stall' }, ['channel']).then((r) => r.filter((x) => x.channel === 'assisted' || x.granted > 0));
    assert.ok(one, 'there are figures to publish');
    const small = suppressed({ ...one, received: 3, granted: 0, refused: 3, decided: 3 });
    assert.equal(small.received, null);
    assert.equal(small.medianDays, null, 'no time computed from fewer than five decisions');
    const json = await f.call(null, 'GET', '/performance/open-data.json');
    assert.equal(json.status, 200);
    assert.equal(json.body.licence, 'CC-BY-4.0');
    const counts = (json.body.rows as Record<string, number | null>[]).flatMap((r) => ['received', 'decided', 'granted', 'refused', 'withdrawn', 'overdue'].map((c) => r[c] ?? null));
    assert.ok(counts.some((c) => c === null), 'some small counts are withheld');
    assert.ok(counts.every((c) => c === null || c === 0 || c >= 5), JSON.stringify(counts));
    const page = await app.app.inject({ method: 'GET', url: '/performance/services/market-stall' });
    assert.equal(page.statusCode, 200);
    const cells = [...page.body.matchAll(/<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    assert.ok(cells.length > 0 && cells.every((n) => n === 0 || n >= 5), `public cells: ${cells.join(' ')}`);
    assert.doesNotMatch(page.body, /Amina|Chez Amina|omar/i);
  });

  it("shows the public the days in each of a service's steps, withheld where few applications passed", async () => {
    const states = await stateTimes(app.database.db, { agencies: 'all', serviceId: 'market-stall' });
    const shown = states.find((s) => s.applications >= 5)!;
    assert.ok(shown, 'a step most applications went through');
    const few = suppressedStateTime({ ...shown, applications: 4 });
    assert.deepEqual([few.applications, few.averageDays, few.medianDays, few.p90Days], [null, null, null, null], 'no days from fewer than five applications');
    const page = await app.app.inject({ method: 'GET', url: '/performance/services/market-stall?lang=en' });
    const section = page.body.slice(page.body.indexOf('id="time-in-state"'));
    const rows = [...section.matchAll(/<tr><th scope="row">[^<]*<\/th><td>([^<]*)<\/td><td>([^<]*)<\/td><td>[^<]*<\/td><td>([^<]*)<\/td>/g)];
    assert.equal(rows.length, states.length, 'a row per step');
    for (const [i, s] of states.entries()) {
      const row = rows[i]!;
      assert.equal(row[2], s.applications >= 5 ? String(s.applications) : 'fewer than 5', `${s.state}: applications`);
      assert.equal(row[3], s.applications >= 5 ? `${round1(s.medianDays)} days` : '—', `${s.state}: median`);
    }
    assert.doesNotMatch(section, /href="\/work/, 'no link to the worklist');
  });

  it("publishes the days in each step per month as open data, withholding what few applications make", async () => {
    const json = await f.call(null, 'GET', '/performance/open-data/steps.json');
    assert.equal(json.status, 200);
    assert.equal(json.body.licence, 'CC-BY-4.0');
    const rows = (json.body.rows as Record<string, string | number | boolean | null>[]).filter((r) => r.serviceId === 'market-stall');
    const byMonth = await stateTimes(app.database.db, { agencies: 'all', serviceId: 'market-stall' }, ['month']);
    assert.equal(rows.length, byMonth.length, 'a row per month and step');
    for (const [i, s] of byMonth.entries()) {
      const row = rows[i]!;
      assert.deepEqual([row.month, row.state, row.clockStopped], [s.month, s.state, s.pausesClock]);
      if (s.applications < 5) assert.deepEqual([row.applications, row.averageDays, row.medianDays, row.p90Days], [null, null, null, null], `${s.month} ${s.state}: withheld`);
      else assert.deepEqual([row.applications, row.medianDays], [s.applications, round1(s.medianDays)], `${s.month} ${s.state}`);
    }
    const months = new Set(byMonth.map((s) => s.month));
    const whole = await stateTimes(app.database.db, { agencies: 'all', serviceId: 'market-stall' });
    for (const s of whole) assert.equal(byMonth.filter((m) => m.state === s.state).reduce((n, m) => n + m.applications, 0), s.applications, `${s.state}: the months add up to the period (${[...months].join(', ')})`);
    const csv = await app.app.inject({ method: 'GET', url: '/performance/open-data/steps.csv' });
    assert.equal(csv.statusCode, 200);
    assert.equal(csv.body.split('\r\n')[0], 'month,serviceId,state,clockStopped,applications,averageDays,medianDays,p90Days');
    assert.match(csv.headers.link as string, /creativecommons\.org\/licenses\/by\/4\.0/);
  });

  it('serves the open data as CSV with a header row', async () => {
    const csv = await app.app.inject({ method: 'GET', url: '/performance/open-data.csv' });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.equal(csv.body.split('\r\n')[0], 'month,serviceId,agencyId,channel,received,decided,granted,refused,withdrawn,overdue,decidedInTimePercent,medianDays,p90Days,currency,feesInvoices,feesInvoiced,feesCollected,feesOutstanding');
  });
});

describe('feedback after a decision', () => {
  const decided = () => ids.find((i) => i.path === 'granted')!.id;

  it('invites the applicant on the page of a decided application, not on an open one', async () => {
    const shown = await page('amina', `/applications/${decided()}`);
    assert.match(shown.body, /action="\/applications\/[^"]+\/feedback"/);
    const open = await page('amina', `/applications/${ids.find((i) => i.path === 'open')!.id}`);
    assert.doesNotMatch(open.body, /\/feedback"/);
  });

  it('takes one answer per application and refuses a second with 409', async () => {
    const amina = await signIn(app, 'amina', DEMO_PASSWORD);
    const missing = await postForm(app, amina.jar, `/applications/${decided()}/feedback`, { _csrf: amina.csrf, theme: 'speed' });
    assert.equal(missing.statusCode, 400);
    const given = await postForm(app, amina.jar, `/applications/${decided()}/feedback`, { _csrf: amina.csrf, rating: '4', theme: 'speed', comment: 'Quick and clear' });
    assert.equal(given.statusCode, 303, given.body);
    const again = await app.app.inject({ method: 'POST', url: `/applications/${decided()}/feedback`, headers: { cookie: amina.jar.header(), 'x-csrf-token': amina.csrf, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: amina.csrf, rating: '1', theme: 'cost' }).toString() });
    assertProblem(again, 409);
    const open = await postForm(app, amina.jar, `/applications/${ids.find((i) => i.path === 'open')!.id}/feedback`, { _csrf: amina.csrf, rating: '5', theme: 'staff' });
    assert.equal(open.statusCode, 409, 'nothing to rate before the decision');
    assert.match((await page('amina', `/applications/${decided()}?lang=en`)).body, /your rating was recorded/);
  });

  it("shows officers of the service's agency what was said, by theme, without saying who", async () => {
    const trade = await page('officer.trade', '/agency/feedback?theme=speed');
    assert.equal(trade.status, 200);
    assert.match(trade.body, /Quick and clear/);
    assert.doesNotMatch(trade.body, /Amina|MST-|\/applications\//);
    assert.doesNotMatch((await page('officer.trade', '/agency/feedback?theme=cost')).body, /Quick and clear/);
    const before = await page('officer.trade', '/agency/feedback?from=2020-01-01&to=2020-12-31');
    assert.doesNotMatch(before.body, /Quick and clear/, 'an answer given today is not in a period of 2020');
    assert.doesNotMatch(before.body, /<td>4<\/td>/, 'nor in its ratings');
    assert.doesNotMatch((await page('officer.fire', '/agency/feedback')).body, /Quick and clear/);
    assertProblem((await f.call('amina', 'GET', '/agency/feedback', undefined, { accept: 'application/json' })).response, 403);
  });
});

describe('the cases behind each figure', () => {
  const scope = () => ({ agencies: [commerceId], serviceId: 'market-stall' });

  /** Every case of a list, a few at a time, each page from where the last ended. */
  async function everyCase(s: CaseScope, pageSize: number): Promise<CaseRow[]> {
    const all: CaseRow[] = [];
    let after: CasePosition | undefined;
    for (;;) {
      const rows = await figureCases(app.database.db, s, pageSize, after);
      all.push(...rows);
      if (rows.length < pageSize) return all;
      after = rows.at(-1)!.position;
    }
  }
  const trackingNumbers = async () => new Map((await rows<{ id: string; tracking_number: string }>('SELECT id, tracking_number FROM registration_applications')).map((r) => [r.id, r.tracking_number]));
  const countOf = (figure: string, rows: CaseRow[]) => (figure === 'information-requests' ? rows.reduce((n, r) => n + r.informationRequests, 0) : rows.length);

  it('lists for every figure, per channel and in all, as many cases as the rollups count, once each over every page', async () => {
    const byChannel = await figures(app.database.db, scope(), ['channel']);
    const [all] = await figures(app.database.db, scope(), []);
    for (const channel of [undefined, 'online', 'assisted'] as const) {
      const f = channel ? byChannel.find((r) => r.channel === channel) : all;
      for (const figure of CASE_FIGURES) {
        const s: CaseScope = { ...scope(), channel, figure };
        const rows = await everyCase(s, 5);
        const what = `${figure} ${channel ?? 'all channels'}`;
        assert.equal(new Set(rows.map((r) => r.applicationId)).size, rows.length, `${what}: no case twice across pages`);
        assert.equal(countOf(figure, rows), f ? figureOf(f, figure) : 0, `${what}: the list against the rollups`);
        assert.equal(await figureTotal(app.database.db, s), countOf(figure, rows), `${what}: the total shown against the list`);
        assert.deepEqual(rows.map((r) => r.submittedAt.getTime()), rows.map((r) => r.submittedAt.getTime()).sort((a, b) => b - a), `${what}: newest first`);
      }
    }
  });

  it('lists the very cases the workflow decided so, with their net days and limit', async () => {
    const of = async (figure: CaseScope['figure']) => (await everyCase({ ...scope(), figure }, 50)).map((r) => r.applicationId).sort();
    const paths = (...p: string[]) => ids.filter((i) => p.includes(i.path)).map((i) => i.id).sort();
    assert.deepEqual(await of('granted'), paths('granted'));
    assert.deepEqual(await of('refused'), paths('rejected', 'corrected'));
    assert.deepEqual(await of('open'), paths('open'));
    assert.deepEqual(await of('information-requests'), paths('corrected'));
    const late = await everyCase({ ...scope(), figure: 'late' }, 50);
    assert.ok(late.length > 0 && late.every((r) => r.withinLimit === false && r.netDays > r.timeLimitDays!), 'late ones are beyond their limit');
    // The KPI target set above: 90% within 3 days.
    const within = await everyCase({ ...scope(), figure: 'within-target' }, 50);
    const beyond = await everyCase({ ...scope(), figure: 'beyond-target' }, 50);
    assert.ok(within.length > 0 && within.every((r) => r.netDays <= 3), 'within the target: three days or fewer');
    assert.ok(beyond.length > 0 && beyond.every((r) => r.netDays > 3), 'beyond it: more');
    assert.deepEqual([...within, ...beyond].map((r) => r.applicationId).sort(), (await of('decided')).sort(), 'every decision is one or the other');
    const corrected = (await everyCase({ ...scope(), figure: 'information-requests' }, 50))[0]!;
    const wholeDays = (corrected.decidedAt!.getTime() - corrected.submittedAt.getTime()) / 1000 / DAY;
    near(corrected.netDays, wholeDays - 3, 'the three days waiting for the applicant are not counted');
  });

  it('links every count of the dashboard to a list with that many cases, and each case to its file', async () => {
    const dashboard = await page('officer.trade', '/agency/performance?lang=en');
    const links = [...dashboard.body.matchAll(/<a href="(\/agency\/performance\/cases\?[^"]+)">([\d,]+)<\/a>/g)].map((m) => ({ href: m[1]!.replaceAll('&amp;', '&'), shown: Number(m[2]!.replaceAll(',', '')) }));
    const figuresLinked = new Set(links.map((l) => new URLSearchParams(l.href.split('?')[1]).get('figure')));
    assert.deepEqual([...figuresLinked].sort(), CASE_FIGURES.filter((f) => f !== 'withdrawn').sort(), 'every figure with cases has a link (none was withdrawn)');
    for (const link of links) {
      const list = await page('officer.trade', `${link.href}&lang=en`);
      assert.equal(list.status, 200, link.href);
      const total = Number(/<dd>([\d,]+)<\/dd>/.exec(list.body)![1]!.replaceAll(',', ''));
      assert.equal(total, link.shown, `${link.href}: the total shown`);
      const rows = [...list.body.matchAll(/<tr><th scope="row"><a href="\/work\/cases\/([^"]+)">.*?<td>(\d+)<\/td><\/tr>/g)];
      const isRequests = link.href.includes('figure=information-requests');
      assert.equal(isRequests ? rows.reduce((n, r) => n + Number(r[2]), 0) : rows.length, link.shown, `${link.href}: the cases listed`);
      assert.match(list.body, /<caption>/);
    }
    const granted = links.find((l) => l.href.includes('figure=granted'))!;
    const [, caseId, shownAs] = /href="\/work\/cases\/([^"]+)">([^<]+)</.exec((await page('officer.trade', granted.href)).body)!;
    assert.equal(shownAs, (await trackingNumbers()).get(caseId!), 'a case is shown by its tracking number');
    assert.equal((await page('officer.trade', `/work/cases/${caseId}`)).status, 200, 'the case file opens for its officer');
  });

  it('gives the whole list as CSV, a row per case', async () => {
    const csv = await app.app.inject({ method: 'GET', url: '/agency/performance/cases.csv?service=market-stall&figure=refused', headers: f.headersOf('officer.trade') });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    const lines = csv.body.split('\r\n').filter((l) => l !== '');
    assert.equal(lines[0], 'trackingNumber,applicationId,serviceId,agencyId,channel,submittedAt,outcome,decidedAt,netDays,timeLimitDays,withinLimit,informationRequests');
    assert.equal(lines.length - 1, ids.filter((i) => i.path === 'rejected' || i.path === 'corrected').length);
    assert.ok(lines.slice(1).every((l) => l.includes(',refused,')));
    const numbers = await trackingNumbers();
    for (const line of lines.slice(1)) {
      const [trackingNumber, applicationId] = line.split(',');
      assert.equal(trackingNumber, numbers.get(applicationId!), 'each case by the tracking number its applicant was given');
    }
  });

  it("keeps each reader to their agencies' cases and refuses bad filters, naming the field", async () => {
    const fire = await page('officer.fire', '/agency/performance/cases?service=market-stall');
    assert.equal(fire.status, 200);
    assert.doesNotMatch(fire.body, /\/work\/cases\//, "no case of the Ministry of Trade's");
    assertProblem((await f.call('officer.fire', 'GET', `/agency/performance/cases?agency=${commerceId}`, undefined, { accept: 'application/json' })).response, 403);
    assertProblem((await f.call('officer.fire', 'GET', `/agency/performance/cases.csv?agency=${commerceId}`, undefined, { accept: 'application/json' })).response, 403);
    assertProblem((await f.call('amina', 'GET', '/agency/performance/cases', undefined, { accept: 'application/json' })).response, 403);
    const bad = await f.call('officer.trade', 'GET', '/agency/performance/cases?figure=everything', undefined, { accept: 'application/json' });
    assertProblem(bad.response, 400);
    assert.match(JSON.stringify(bad.body), /\/querystring\/figure/);
    for (const after of ['2026-13-45T99:00:00.000000Z~x', '2026-02-30T10:00:00.000000Z~x']) {
      assertProblem((await f.call('officer.trade', 'GET', `/agency/performance/cases?after=${after}`, undefined, { accept: 'application/json' })).response, 400);
    }
    for (const url of ['/agency/performance/cases?from=2026-02-30', '/agency/performance?to=2026-02-30']) {
      const day = await f.call('officer.trade', 'GET', url, undefined, { accept: 'application/json' });
      assertProblem(day.response, 400);
      assert.match(JSON.stringify(day.body), /\/querystring\/(from|to)/);
    }
    assert.doesNotMatch((await page('officer.trade', '/agency/performance/cases?figure=received')).body, /Amina|Chez Amina/);
  });
});
