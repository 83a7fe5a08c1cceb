/**
 * Do dashboards stay fast with millions of cases? The administrators' performance dashboard for
 * the last twelve months, the public performance page and the open data (JSON), measured with
 * autocannon first with 10,000 applications and then with 1,000,000, in the same run, and set side
 * by side: the aim is a p99 under 1.5× the smaller size's, as for the reads. The rollup refresh
 * the durable job runs every five minutes is timed at each size too, after the generation (every
 * cell new), with nothing new, and after a thousandth more applications (spread over the months, as the
 * generator spreads them, so more cells than a day's new applications would touch): it is what operators wait on.
 *
 *   node --import tsx bench/dashboard.ts [--sizes=10000,1000000] [--seconds=10] [--connections=4]
 *
 * The analytics block's own facts are generated with SQL, as its event handlers would have written
 * them: applications spread over the published services (some far busier than others), both
 * channels and eighteen months; most decided (granted, refused, withdrawn, a few closed) after a
 * time that grows with the service's legal limit, one in seven paused by a request for more
 * information, one decided in five rated, six in ten invoiced a fee, most of them paid. Starts
 * its own Daftari on a scratch database; never asserts on timing.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { FEEDBACK_THEMES, refreshRollups } from '../src/blocks/analytics/index.ts';
import { currentDefinitions } from '../src/blocks/registration/index.ts';
import { machine, printGrowthTable, startDaftariUnderLoad, summarise } from './support/daftari-under-load.ts';

const AIM = 1.5;
const MONTHS = 18;

const { values: options } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,1000000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '4' },
  },
});
const sizes = options.sizes.split(',').map(Number);
const seconds = Number(options.seconds);
const connections = Number(options.connections);
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || sizes.some((n, i) => i > 0 && n <= sizes[i - 1]!)) throw new Error('--sizes is a rising list of positive whole numbers');
if (!(seconds > 0) || !Number.isInteger(connections) || connections < 1) throw new Error('--seconds is a positive number, --connections a whole number');

const bench = await startDaftariUnderLoad();
try {
  const { pool, db } = bench.daftari.database;
  const admin = await bench.headersOf('admin');
  const services = (await currentDefinitions(db)).map((d) => ({ id: d.serviceId, agencyId: d.agencyId, limitDays: d.document.timeLimitDays ?? null }));
  // Generated moves take negative job ids, so they never collide with a real delivery's.
  await pool.query('CREATE SEQUENCE bench_move_ids INCREMENT BY -1');

  /** Add generated applications, with their moves, decisions and feedback, until there are `target`. */
  async function growTo(target: number): Promise<number> {
    const { rows } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM analytics_applications');
    const missing = target - rows[0]!.count;
    if (missing <= 0) return 0;
    const started = performance.now();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Net days to decision are exponential around a third of the legal limit (30 days without
      // one), so most are in time and a tail is late; a pause for more information lasts 1 to 10 days.
      await client.query(`
        CREATE TEMP TABLE bench_facts ON COMMIT DROP AS
        WITH services AS (
          SELECT * FROM unnest($2::text[], $3::uuid[], $4::int[]) WITH ORDINALITY AS s(service_id, agency_id, limit_days, n)
        ), generated AS (
          SELECT gen_random_uuid()::text AS id, 1 + floor(power(random(), 2) * cardinality($2::text[]))::int AS n,
                 CASE WHEN random() < 0.7 THEN 'online' ELSE 'assisted' END AS channel,
                 now() - random() * ${MONTHS} * interval '30 days' AS submitted_at,
                 -ln(1 - random()) AS spread, random() AS pause, random() AS outcome
          FROM generate_series(1, $1)
        )
        SELECT g.id, s.service_id, s.agency_id, s.limit_days, g.channel, g.submitted_at,
               g.spread * coalesce(s.limit_days, 30) / 3.0 AS net_days,
               CASE WHEN g.pause < 0.15 THEN 1 + g.pause * 60 ELSE 0 END AS paused_days,
               CASE WHEN g.outcome < 0.72 THEN 'granted' WHEN g.outcome < 0.9 THEN 'refused' WHEN g.outcome < 0.98 THEN 'withdrawn' ELSE 'closed' END AS outcome
        FROM generated g JOIN services s USING (n)`, [missing, services.map((s) => s.id), services.map((s) => s.agencyId), services.map((s) => s.limitDays)]);
      await client.query(`
        INSERT INTO analytics_applications (application_id, service_id, agency_id, channel, time_limit_days, submitted_at)
        SELECT id, service_id, agency_id, channel, limit_days, submitted_at FROM bench_facts`);
      // Each case is accepted early from the check into review, paused halfway in a correction state
      // when more information is asked for, and decided at the end; what would happen after now has
      // not happened yet.
      await client.query(`
        INSERT INTO analytics_moves (job_id, application_id, from_state, to_state, pauses_clock, moved_at)
        SELECT nextval('bench_move_ids'), f.id, m.from_state, m.to_state, m.pauses, m.at
        FROM bench_facts f CROSS JOIN LATERAL (VALUES
          ('check', 'review', false, f.submitted_at + least(0.1, f.net_days / 4) * interval '1 day'),
          ('review', 'correction', true, CASE WHEN f.paused_days > 0 THEN f.submitted_at + f.net_days / 2 * interval '1 day' END),
          ('correction', 'review', false, CASE WHEN f.paused_days > 0 THEN f.submitted_at + (f.net_days / 2 + f.paused_days) * interval '1 day' END),
          ('review', f.outcome, false, f.submitted_at + (f.net_days + f.paused_days) * interval '1 day')
        ) AS m(from_state, to_state, pauses, at)
        WHERE m.at <= now()`);
      await client.query(`
        INSERT INTO analytics_decisions (application_id, outcome, decided_at)
        SELECT id, outcome, submitted_at + (net_days + paused_days) * interval '1 day' FROM bench_facts
        WHERE submitted_at + (net_days + paused_days) * interval '1 day' <= now()`);
      // A granted applicant rates 3 to 5, the others 1 to 4, within three days of the decision.
      await client.query(`
        INSERT INTO analytics_feedback (application_id, service_id, agency_id, rating, theme, comment, given_at)
        SELECT d.application_id, f.service_id, f.agency_id,
               CASE WHEN d.outcome = 'granted' THEN 3 + floor(random() * 3) ELSE 1 + floor(random() * 4) END,
               ($1::text[])[1 + floor(random() * cardinality($1::text[]))::int],
               (ARRAY['', 'Quick and clear', 'Too many documents asked', 'The officer was helpful', 'I had to come back twice'])[1 + floor(random() * 5)::int],
               least(now(), d.decided_at + random() * interval '3 days')
        FROM analytics_decisions d JOIN bench_facts f ON f.id = d.application_id
        WHERE random() < 0.2`, [[...FEEDBACK_THEMES]]);
      // Six applications in ten owe a fee, invoiced right after submission in the currency of
      // Djibouti; nine in ten of those pay it within a fortnight, a little over half by mobile money,
      // a quarter by bank transfer, the rest in cash; one payment in fifty is partly refunded.
      await client.query(`
        CREATE TEMP TABLE bench_fees ON COMMIT DROP AS
        SELECT id AS application_id, gen_random_uuid() AS invoice_id, gen_random_uuid() AS payment_id,
               (1000 * (1 + floor(random() * 30)))::numeric AS amount,
               submitted_at + interval '2 hours' AS issued_at,
               CASE WHEN random() < 0.9 THEN submitted_at + random() * interval '14 days' END AS paid_at,
               random() AS method, random() < 0.02 AS refunded
        FROM bench_facts WHERE random() < 0.6`);
      await client.query(`
        INSERT INTO analytics_fee_movements (key, kind, invoice_id, application_id, currency, amount, at, method)
        SELECT 'issued:' || invoice_id, 'issued', invoice_id, application_id, 'DJF', amount, issued_at, NULL FROM bench_fees WHERE issued_at <= now()
        UNION ALL
        SELECT 'payment:' || payment_id, 'payment', invoice_id, application_id, 'DJF', amount, paid_at,
               CASE WHEN method < 0.55 THEN 'mobile-money' WHEN method < 0.8 THEN 'bank-transfer' ELSE 'cash' END
        FROM bench_fees WHERE paid_at <= now()
        UNION ALL
        SELECT 'refund:' || payment_id, 'refund', invoice_id, application_id, 'DJF', amount / 2, paid_at + interval '3 days', NULL
        FROM bench_fees WHERE refunded AND paid_at + interval '3 days' <= now()`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
    await pool.query('ANALYZE analytics_applications; ANALYZE analytics_moves; ANALYZE analytics_decisions; ANALYZE analytics_feedback; ANALYZE analytics_fee_movements');
    return (performance.now() - started) / 1000;
  }

  const today = new Date().toISOString().slice(0, 10);
  const yearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  const period = new URLSearchParams({ from: yearAgo, to: today });
  const pages: { name: string; path: string; headers: Record<string, string> }[] = [
    { name: 'dashboard, 12 months (admin)', path: `/agency/performance?${period}`, headers: admin },
    { name: 'public performance page', path: '/performance', headers: {} },
    { name: 'open data (JSON)', path: '/performance/open-data.json', headers: {} },
  ];
  const measure = async (path: string, headers: Record<string, string>, duration: number) => summarise(await autocannon({ url: `${bench.url}${path}`, headers, connections, duration }));

  const timedRefresh = async () => {
    const started = performance.now();
    await refreshRollups(db);
    return (performance.now() - started) / 1000;
  };

  console.log(`Dashboards as the cases pile up: ${connections} connections, ${seconds} s per figure, ${bench.server}; ${machine()}`);
  const figures = new Map<string, { rate: number; p50: number; p99: number }[]>();
  const refreshes: string[] = [];
  for (const [i, size] of sizes.entries()) {
    const took = await growTo(size);
    const refreshed = await timedRefresh();
    // The refresh is incremental: with nothing new it redoes only the cells with open cases, and
    // after a few new applications their cells as well.
    const idle = await timedRefresh();
    const few = Math.max(1, Math.round(size / 1000));
    await growTo(size + few);
    const after = await timedRefresh();
    refreshes.push(`${size}: ${refreshed.toFixed(2)} s after generating, ${idle.toFixed(2)} s with nothing new, ${after.toFixed(2)} s after ${few} more`);
    const { rows } = await pool.query<{ decided: number; moves: number; feedback: number; fees: number; rollups: number }>(`SELECT
      (SELECT count(*)::int FROM analytics_decisions) AS decided, (SELECT count(*)::int FROM analytics_moves) AS moves,
      (SELECT count(*)::int FROM analytics_feedback) AS feedback, (SELECT count(*)::int FROM analytics_fee_movements) AS fees,
      (SELECT count(*)::int FROM analytics_daily) AS rollups`);
    const c = rows[0]!;
    console.log(`${size} applications (${c.decided} decided, ${c.moves} moves, ${c.feedback} rated, ${c.fees} fee movements)${took ? `, generated in ${took.toFixed(1)} s` : ''}; rollups refreshed in ${refreshed.toFixed(2)} s (${c.rollups} daily rows)`);
    // Warm the code paths and the caches before anything is timed.
    if (i === 0) for (const page of pages) await measure(page.path, page.headers, Math.min(seconds, 1));
    for (const page of pages) {
      const result = await measure(page.path, page.headers, seconds);
      if (result.failed > 0) console.log(`${page.name}: ${result.failed} requests failed or were not 2xx`);
      figures.set(page.name, [...(figures.get(page.name) ?? []), result]);
    }
  }
  printGrowthTable('page', sizes, figures, AIM);
  console.log(`rollup refresh: ${refreshes.join(', ')}`);
} finally {
  await bench.close();
}
