import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { sql, type Migration } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from '../../app.ts';
import { serverUrl } from '../../../test/support/database.ts';
import { openDatabase, type Database } from './database.ts';
import { combineMigrations, migrateToLatest, pendingMigrations } from './migrations.ts';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../../bin/daftari.js');

/** A database with nothing in it, unlike the migrated clones most tests use; dropped after the test. */
async function emptyDatabase(t: TestContext): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.after(async () => {
    const client = new pg.Client({ connectionString: serverUrl('postgres') });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  return serverUrl(name);
}

function open(t: TestContext, url: string): Database {
  const database = openDatabase(url, { max: 2 });
  t.after(() => database.close());
  return database;
}

async function appliedNames(database: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(database.db);
  return rows.map((r) => r.name);
}

const noop: Migration = { up: async () => undefined };

describe('migrations', () => {
  test('two pools migrating the same empty database at once both succeed, and each migration runs once', async (t) => {
    const url = await emptyDatabase(t);
    const [a, b] = [open(t, url), open(t, url)];

    const [fromA, fromB] = await Promise.all([migrateToLatest(a.db, MIGRATIONS), migrateToLatest(b.db, MIGRATIONS)]);

    assert.deepEqual([...fromA, ...fromB].sort(), Object.keys(MIGRATIONS).sort(), 'between them they applied every migration, none twice');
    assert.deepEqual(await appliedNames(a), Object.keys(MIGRATIONS).sort());
    assert.deepEqual(await pendingMigrations(b.db, MIGRATIONS), []);
  });

  test('two `daftari migrate` processes started together on an empty database both exit successfully', async (t) => {
    const url = await emptyDatabase(t);
    const env = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' };

    const outputs = await Promise.all([run(process.execPath, [CLI, 'migrate'], { env }), run(process.execPath, [CLI, 'migrate'], { env })]);

    const applied = outputs.flatMap(({ stdout }) => stdout.split('\n').filter((line) => line.startsWith('  ')).map((line) => line.trim()));
    assert.deepEqual(applied.sort(), Object.keys(MIGRATIONS).sort());
    assert.deepEqual(await appliedNames(open(t, url)), Object.keys(MIGRATIONS).sort());
  });

  test("every block's migrations run in one order, by the timestamp in their names", async (t) => {
    const database = open(t, await emptyDatabase(t));
    const order: string[] = [];
    const step = (name: string): Migration => ({ up: async () => void order.push(name) });
    const identity = { '2026-11-23T1500_identity_accounts': step('identity accounts'), '2026-12-01T0900_identity_mandates': step('identity mandates') };
    const audit = { '2026-11-24T1000_audit_entries': step('audit entries') };

    await migrateToLatest(database.db, combineMigrations([identity, audit]));

    assert.deepEqual(order, ['identity accounts', 'audit entries', 'identity mandates']);
  });

  test('a failing migration is reported by name, and the whole run is rolled back, earlier migrations included', async (t) => {
    const database = open(t, await emptyDatabase(t));
    const migrations = combineMigrations([{
      '2026-11-23T1500_demo_first': { up: async (db) => db.schema.createTable('demo_first').addColumn('id', 'integer').execute() },
      '2026-11-23T1600_demo_broken': { up: async (db) => void (await sql`SELECT * FROM no_such_table`.execute(db)) },
      '2026-11-23T1700_demo_after': noop,
    }]);

    await assert.rejects(migrateToLatest(database.db, migrations), { message: 'Migration 2026-11-23T1600_demo_broken failed: relation "no_such_table" does not exist' });

    assert.deepEqual(await pendingMigrations(database.db, migrations), Object.keys(migrations));
    const { rows } = await sql<{ found: string | null }>`SELECT to_regclass('demo_first')::text AS found`.execute(database.db);
    assert.deepEqual(rows, [{ found: null }]);
  });

  test('combineMigrations refuses a name without the sortable timestamp and block prefix', () => {
    for (const name of ['identity_accounts', '2026-11-23_identity_accounts', '2026-11-23T15:00_identity_accounts', '2026-11-23T1500_Identity-Accounts']) {
      assert.throws(() => combineMigrations([{ [name]: noop }]), { message: `Migration name "${name}" must look like 2026-11-23T1500_block_change` });
    }
  });

  test('combineMigrations refuses two blocks giving a migration the same name', () => {
    const name = '2026-11-23T1500_shared_table';
    assert.throws(() => combineMigrations([{ [name]: noop }, { [name]: noop }]), { message: `Two migrations are named "${name}"` });
  });
});
