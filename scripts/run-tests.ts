/**
 * `npm test`: type-check, then start one PostgreSQL server for the whole run (the embedded one,
 * or the server in DATABASE_URL), migrate a template database once, and run every test file with
 * node's test runner. Each file clones the template into its own database, so files run in
 * parallel without touching each other's data.
 *
 *   npm test                       every test
 *   npm test -- --no-browser       skip the Chromium tests (test/e2e)
 *   npm test -- src/blocks/audit   only files under these paths
 *   npm test -- --exclude=src/x    leave out the files under a path (may be repeated)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildDaftari, MIGRATIONS } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { seedDemo } from '../src/demo/seed-demo.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { startEmbeddedServer, type EmbeddedServer } from '../src/platform/db/embedded-server.ts';
import { migrateToLatest } from '../src/platform/db/migrations.ts';
import { createLogger } from '../src/platform/log.ts';
import { freePort } from '../test/support/ports.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const noBrowser = args.includes('--no-browser');
const noTypecheck = args.includes('--no-typecheck');
const filters = args.filter((a) => !a.startsWith('--')).map((a) => path.resolve(a));
const excluded = args.filter((a) => a.startsWith('--exclude=')).map((a) => path.resolve(a.slice('--exclude='.length)));

function testFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(full);
    return /\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

let files = [...testFiles(path.join(root, 'src')), ...testFiles(path.join(root, 'test')), ...testFiles(path.join(root, 'bench'))];
if (noBrowser) files = files.filter((f) => !f.includes(`${path.sep}e2e${path.sep}`));
if (filters.length > 0) files = files.filter((f) => filters.some((prefix) => f.startsWith(prefix)));
files = files.filter((f) => !excluded.some((prefix) => f.startsWith(prefix)));
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

if (!noTypecheck) {
  console.log('Type-checking…');
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

// Tests drop databases with connections open: the server's FATAL notices about that are expected.
const log = createLogger('error');
let embedded: EmbeddedServer | null = null;
let serverUrl: string;
if (process.env.DATABASE_URL) {
  serverUrl = process.env.DATABASE_URL;
  console.log(`Using the PostgreSQL server in DATABASE_URL (${new URL(serverUrl).host}).`);
} else {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'daftari-testpg-'));
  const port = await freePort();
  embedded = await startEmbeddedServer({ dataDir, port, log });
  serverUrl = embedded.url;
  process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  console.log(`Started the embedded PostgreSQL server for this run on port ${port}.`);
}

let child: ChildProcess | undefined;
// The embedded server runs in its own process group, so Ctrl-C reaches only us and the tests:
// let the tests end, then stop the server, rather than leave it running on a deleted directory.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (child) child.kill(signal);
    else void Promise.resolve(embedded?.stop()).finally(() => process.exit(1));
  });
}

const admin = (database: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

// The template is named after the migrations, so a schema change gets a fresh template.
const template = `daftari_tpl_${createHash('sha256').update(Object.keys(MIGRATIONS).join('\n')).digest('hex').slice(0, 12)}`;
const demoTemplate = `daftari_demo_${process.pid}`;
{
  const client = new pg.Client({ connectionString: admin('postgres') });
  await client.connect();
  const stale = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%' OR datname LIKE 'daftari\\_demo\\_%' OR (datname LIKE 'daftari\\_tpl\\_%' AND datname <> $1)", [template]);
  for (const { datname } of stale.rows) {
    await client.query(`UPDATE pg_database SET datistemplate = false WHERE datname = $1`, [datname]);
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
  }
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
  if (exists.rowCount === 0) {
    await client.query(`CREATE DATABASE ${template}`);
    const database = openDatabase(admin(template), { max: 2 });
    await migrateToLatest(database.db, MIGRATIONS);
    await database.close();
    await client.query(`UPDATE pg_database SET datistemplate = true WHERE datname = $1`, [template]);
  }
  // Most tests start from the demo data: seeded once here, into a second template made afresh
  // every run (the seed changes more often than the schema), rather than once per test.
  await client.query(`CREATE DATABASE ${demoTemplate} TEMPLATE ${template}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'daftari-testseed-'));
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: admin(demoTemplate), LOG_LEVEL: 'silent', PORT: '0' });
  const daftari = await buildDaftari({ config, log, databaseUrl: admin(demoTemplate), migrate: false });
  await seedDemo(daftari.database.db, daftari.jobs);
  // Settle what the seed set in motion (register links), so every test starts from a quiet queue.
  await daftari.jobs.drain();
  await daftari.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await client.query(`UPDATE pg_database SET datistemplate = true WHERE datname = $1`, [demoTemplate]);
  const version = await client.query<{ server_version: string }>('SHOW server_version');
  console.log(`PostgreSQL ${version.rows[0]!.server_version}; template databases ${template} and ${demoTemplate} (with the demo data).`);
  await client.end();
}

const concurrency = Math.max(2, os.availableParallelism());
child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DAFTARI_TEST_SERVER_URL: admin('postgres'), DAFTARI_TEST_TEMPLATE: template, DAFTARI_TEST_DEMO_TEMPLATE: demoTemplate, DATABASE_URL: '' },
  },
);
const code: number = await new Promise((resolve) => child!.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await embedded?.stop();
process.exit(code);
