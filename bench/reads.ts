/**
 * Do reads stay fast as the cases pile up? An officer's worklist (page and API), an applicant's
 * status and list, and the public status by tracking number, measured with autocannon first with
 * 10,000 applications in the database and then with 1,000,000, in the same run, and set side by
 * side: the aim is a p99 under 1.5× the smaller size's.
 *
 *   node --import tsx bench/reads.ts [--sizes=10000,1000000] [--seconds=5] [--connections=4]
 *
 * The applications are real submissions through the API, copied in bulk with SQL (a few real
 * ones as templates, the copies with their own ids, tracking numbers and applicants, so the
 * applicant measured keeps her own few applications); as in a
 * working ministry, most are closed and about one in ten is open on the worklist of the Ministry
 * of Trade's officers. Starts its own Daftari on a scratch database; never asserts on timing.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { machine, printGrowthTable, startDaftariUnderLoad, summarise } from './support/daftari-under-load.ts';

const AIM = 1.5;
const TEMPLATES = 20;
const OPEN_SHARE = 0.1;

const { values: options } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,1000000' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '4' },
  },
});
const sizes = options.sizes.split(',').map(Number);
const seconds = Number(options.seconds);
const connections = Number(options.connections);
if (sizes.some((n) => !Number.isInteger(n) || n < TEMPLATES) || sizes.some((n, i) => i > 0 && n <= sizes[i - 1]!)) throw new Error(`--sizes is a rising list of whole numbers of at least ${TEMPLATES}`);
if (!(seconds > 0) || !Number.isInteger(connections) || connections < 1) throw new Error('--seconds is a positive number, --connections a whole number');

const bench = await startDaftariUnderLoad();
try {
  const { pool } = bench.daftari.database;
  const citizen = { ...(await bench.headersOf('amina')), 'content-type': 'application/json' };
  const officer = await bench.headersOf('officer.trade');
  const submitted: { id: string; trackingNumber: string }[] = [];
  for (let i = 0; i < TEMPLATES; i++) {
    const response = await fetch(`${bench.url}/api/registration/applications`, {
      method: 'POST',
      headers: citizen,
      body: JSON.stringify({ serviceId: 'market-stall', data: { stallName: `Stall ${i}`, market: 'central', cooking: i % 2 === 0, ...(i % 2 === 0 ? { stoves: 1 + (i % 3) } : {}) }, idempotencyKey: randomUUID() }),
    });
    if (response.status !== 201) throw new Error(`a template submission answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { id: string; trackingNumber: string };
    submitted.push({ id: body.id, trackingNumber: body.trackingNumber });
  }
  const mine = submitted[0]!;

  /** Copy the templates until the database holds `target` applications, each with its case and, when open, its task. */
  async function growTo(target: number): Promise<number> {
    const { rows } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM registration_applications');
    const missing = target - rows[0]!.count;
    if (missing <= 0) return 0;
    const started = performance.now();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`
        CREATE TEMP TABLE bench_copies ON COMMIT DROP AS
        SELECT gen_random_uuid() AS id, gen_random_uuid() AS party, g AS n, t.id AS template,
               random() < ${OPEN_SHARE} AS open,
               now() - make_interval(secs => (random() * 3 * 365 * 86400)::int) AS at
        FROM generate_series((SELECT count(*) FROM registration_applications) + 1, (SELECT count(*) FROM registration_applications) + $1) AS g
        JOIN LATERAL (SELECT id FROM registration_applications WHERE id = ANY($2::uuid[]) ORDER BY id OFFSET (g % ${TEMPLATES}) LIMIT 1) t ON true`, [missing, submitted.map((s) => s.id)]);
      await client.query(`
        INSERT INTO registration_applications (id, service_id, service_version, agency_id, applicant_party_id, created_by, status, data, fees, tracking_number, locale, created_at, updated_at, submitted_at)
        SELECT c.id, a.service_id, a.service_version, a.agency_id, c.party, c.party, 'submitted', a.data, a.fees, 'BENCH-' || c.n, a.locale, c.at, c.at, c.at
        FROM bench_copies c JOIN registration_applications a ON a.id = c.template`);
      await client.query(`
        INSERT INTO workflow_cases (id, agency_id, subject_type, subject_id, service_id, service_version, state, visit, state_entered_at, state_due_at, statutory_due_at, outcome, closed_at, created_at)
        SELECT c.id, w.agency_id, 'application', c.id::text, w.service_id, w.service_version,
               CASE WHEN c.open THEN w.state ELSE 'granted' END, 0, c.at, CASE WHEN c.open THEN c.at + interval '3 days' END,
               c.at + interval '15 days', CASE WHEN c.open THEN NULL ELSE 'granted' END, CASE WHEN c.open THEN NULL ELSE c.at + interval '9 days' END, c.at
        FROM bench_copies c JOIN workflow_cases w ON w.id = c.template`);
      await client.query(`
        INSERT INTO workflow_tasks (id, case_id, visit, review_id, role, agency_id, due_at, created_at, completed_at, completed_by)
        SELECT gen_random_uuid(), c.id, 0, t.review_id, t.role, t.agency_id, c.at + interval '3 days', c.at,
               CASE WHEN c.open THEN NULL ELSE c.at + interval '2 days' END, CASE WHEN c.open THEN NULL ELSE 'bench' END
        FROM bench_copies c JOIN workflow_tasks t ON t.case_id = c.template`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
    await pool.query('ANALYZE registration_applications; ANALYZE workflow_cases; ANALYZE workflow_tasks');
    return (performance.now() - started) / 1000;
  }

  const reads: { name: string; path: string; headers: Record<string, string> }[] = [
    { name: 'worklist page (officer)', path: '/work', headers: officer },
    { name: 'worklist API (officer)', path: '/api/workflow/worklist', headers: officer },
    { name: 'application status (applicant)', path: `/api/registration/applications/${mine.id}`, headers: citizen },
    { name: 'my applications page (applicant)', path: '/applications', headers: citizen },
    { name: 'public status by tracking number', path: `/api/registration/track/${mine.trackingNumber}`, headers: {} },
  ];
  const measure = async (path: string, headers: Record<string, string>, duration: number) => summarise(await autocannon({ url: `${bench.url}${path}`, headers, connections, duration }));

  // Warm the code paths and the caches before anything is timed.
  for (const read of reads) await measure(read.path, read.headers, Math.min(seconds, 1));

  console.log(`Reads as the cases pile up: ${connections} connections, ${seconds} s per figure, ${bench.server}; ${machine()}`);
  const figures = new Map<string, { rate: number; p50: number; p99: number }[]>();
  for (const size of sizes) {
    const took = await growTo(size);
    const { rows } = await pool.query<{ open: number }>('SELECT count(*)::int AS open FROM workflow_tasks WHERE completed_at IS NULL');
    console.log(`${size} applications (${rows[0]!.open} open tasks)${took ? `, generated in ${took.toFixed(1)} s` : ''}`);
    for (const read of reads) {
      const result = await measure(read.path, read.headers, seconds);
      if (result.failed > 0) console.log(`${read.name}: ${result.failed} requests failed or were not 2xx`);
      figures.set(read.name, [...(figures.get(read.name) ?? []), result]);
    }
  }
  printGrowthTable('read', sizes, figures, AIM);
} finally {
  await bench.close();
}
