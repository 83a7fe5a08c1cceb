import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type autocannon from 'autocannon';
import { buildDaftari, type Daftari } from '../../src/app.ts';
import { publishDefinition } from '../../src/blocks/registration/index.ts';
import { loadConfig } from '../../src/config.ts';
import { DEMO_PASSWORD, seedDemo } from '../../src/demo/seed-demo.ts';
import { createLogger } from '../../src/platform/log.ts';
import { asSession, signIn, type TestApp } from '../../test/support/app.ts';
import { MARKET_STALL } from '../../test/support/registration-fixtures.ts';
import { openScratchDatabase } from './scratch-database.ts';

/** A Daftari with the demo data and the market-stall service, listening on 127.0.0.1, on a scratch database. */
export interface DaftariUnderLoad {
  daftari: Daftari;
  url: string;
  /** The scratch database, for a baseline measured beside the app. */
  databaseUrl: string;
  /** Where the scratch database lives, for the heading of the figures. */
  server: string;
  /** Cookie and CSRF headers of a demo account, signed in through the form. */
  headersOf(username: string): Promise<Record<string, string>>;
  /** Rows the write path adds, to say what one request did. */
  rowCounts(): Promise<RowCounts>;
  close(): Promise<void>;
}

export interface RowCounts {
  applications: number;
  cases: number;
  events: number;
  tasks: number;
  completedTasks: number;
  audit: number;
  jobs: number;
}

export async function startDaftariUnderLoad(): Promise<DaftariUnderLoad> {
  // warn: a log line per request would be part of what is measured, and production runs at info behind a collector.
  const log = createLogger('warn');
  const scratch = await openScratchDatabase(log);
  try {
    const config = loadConfig({ DATA_DIR: scratch.dataDir, DATABASE_URL: scratch.url, LOG_LEVEL: 'warn', PORT: '0' });
    const daftari = await buildDaftari({ config, log, databaseUrl: scratch.url, migrate: true });
    try {
      await seedDemo(daftari.database.db, daftari.jobs);
      // The business licence needs documents; the market stall is applied for in one call.
      await publishDefinition(daftari.database.db, daftari.jobs, { data: MARKET_STALL }, null, 'bench');
      await daftari.app.listen({ port: 0, host: '127.0.0.1' });
      const address = daftari.app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      // signIn only injects requests into the app, so the app is all of a TestApp it needs.
      const injectable = { app: daftari.app } as TestApp;
      return {
        daftari,
        url,
        databaseUrl: scratch.url,
        server: process.env.DATABASE_URL ? 'DATABASE_URL server' : 'embedded PostgreSQL',
        headersOf: async (username) => asSession(await signIn(injectable, username, DEMO_PASSWORD)),
        async rowCounts() {
          const { rows } = await daftari.database.pool.query<RowCounts>(`SELECT
            (SELECT count(*)::int FROM registration_applications) AS applications,
            (SELECT count(*)::int FROM workflow_cases) AS cases,
            (SELECT count(*)::int FROM workflow_events) AS events,
            (SELECT count(*)::int FROM workflow_tasks) AS tasks,
            (SELECT count(*)::int FROM workflow_tasks WHERE completed_at IS NOT NULL) AS "completedTasks",
            (SELECT count(*)::int FROM audit_entries) AS audit,
            (SELECT count(*)::int FROM platform_jobs) AS jobs`);
          return rows[0]!;
        },
        async close() {
          try {
            await daftari.close();
          } finally {
            await scratch.close();
          }
        },
      };
    } catch (err) {
      await daftari.close();
      throw err;
    }
  } catch (err) {
    await scratch.close();
    throw err;
  }
}

/** What `after` holds beyond `before`, per request: "1 case, 2 audit entries, …". */
export function perRequest(before: RowCounts, after: RowCounts, requests: number): string {
  const names: Record<keyof RowCounts, string> = { applications: 'applications', cases: 'cases', events: 'workflow events', tasks: 'tasks opened', completedTasks: 'tasks completed', audit: 'audit entries', jobs: 'outbox jobs' };
  return (Object.keys(names) as (keyof RowCounts)[])
    .map((k) => `${((after[k] - before[k]) / Math.max(1, requests)).toFixed(2)} ${names[k]}`)
    .join(', ');
}

/** Successful requests per second of an autocannon run, failures reported rather than counted. */
export function summarise(result: autocannon.Result): { rate: number; p50: number; p99: number; failed: number } {
  return { rate: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, failed: result.non2xx + result.errors };
}

/** Single-row INSERT commits per second through pg, `clients` connections each committing in a loop for `seconds`. */
export async function insertCommitsPerSecond(databaseUrl: string, clients: number, seconds: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: clients, application_name: 'daftari-bench-baseline' });
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS bench_baseline_rows (id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
    const until = Date.now() + seconds * 1000;
    let commits = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        // Autocommit: each INSERT is its own transaction, one WAL flush per commit, as each submission has.
        while (Date.now() < until) {
          await pool.query('INSERT INTO bench_baseline_rows (payload) VALUES ($1)', [JSON.stringify({ stallName: 'Chez Amina', market: 'central', cooking: false })]);
          commits++;
        }
      }),
    );
    return commits / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}`;
}

/** Right-aligned columns, the header setting each width (as bench/audit-append.ts prints). */
export function printTable(columns: string[], rows: string[][]): void {
  const line = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(columns[i]!.length + 2)).join(''));
  line(columns);
  for (const row of rows) line(row);
}

/**
 * The figures of each request at each database size, side by side, with the ratio of the p99 at
 * the largest size to the p99 at the smallest against `aim`. `figures` holds, per request name
 * (`column` names what they are), one result per size, in the order of `sizes`.
 */
export function printGrowthTable(column: string, sizes: number[], figures: Map<string, { rate: number; p50: number; p99: number }[]>, aim: number): void {
  printTable(
    [column, ...sizes.flatMap((size) => [`${size} req/s`, `${size} p50 ms`, `${size} p99 ms`]), 'p99 ratio', `aim < ${aim}`],
    [...figures].map(([name, results]) => {
      // autocannon reports whole milliseconds; a 0 ms p99 is "under a millisecond", counted as 1.
      const ratio = Math.max(1, results.at(-1)!.p99) / Math.max(1, results[0]!.p99);
      return [name, ...results.flatMap((r) => [r.rate.toFixed(0), String(r.p50), String(r.p99)]), ratio.toFixed(2), ratio < aim ? 'met' : 'below'];
    }),
  );
  console.log(`p99 ratio: p99 with ${sizes.at(-1)} applications over p99 with ${sizes[0]}`);
}
