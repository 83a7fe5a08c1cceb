import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { RegistrationFixtures, PDF } from '../../../test/support/registration-fixtures.ts';
import { MIGRATIONS } from '../../app.ts';
import { auditHeadFile, linkAll, verifyChain, type ChainReport } from '../../blocks/audit/index.ts';
import { loadNodeKeys } from '../crypto/keys.ts';
import { openDatabase } from '../db/database.ts';
import { BackupRefused, createBackup, restoreBackup, type Manifest } from './index.ts';

const migrations = Object.keys(MIGRATIONS).sort();
const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-backup-test-'));

/** Rows of every table, by name: what a restored database must hold again. */
async function rowCounts(url: string): Promise<Record<string, number>> {
  const database = openDatabase(url, { max: 1 });
  try {
    const { rows: tables } = await database.pool.query<{ name: string }>(
      "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename NOT LIKE 'kysely_migration%' ORDER BY 1");
    const counts: Record<string, number> = {};
    for (const { name } of tables) counts[name] = Number((await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`)).rows[0]!.n);
    return counts;
  } finally {
    await database.close();
  }
}

async function chainOf(url: string, dataDir: string): Promise<ChainReport> {
  const database = openDatabase(url, { max: 1 });
  try {
    return await verifyChain(database.db, await loadNodeKeys(dataDir, { create: false }), { headFile: auditHeadFile(dataDir) });
  } finally {
    await database.close();
  }
}

async function backUp(url: string, dataDir: string, name: string): Promise<{ target: string; manifest: Manifest }> {
  const database = openDatabase(url, { max: 2 });
  try {
    const target = path.join(scratch, name);
    return { target, manifest: await createBackup({ pool: database.pool, dataDir, target }) };
  } finally {
    await database.close();
  }
}

async function restore(source: string, into: TestDatabase, dataDir: string, codeMigrations = migrations): Promise<Manifest> {
  const database = openDatabase(into.url, { max: 2 });
  try {
    return await restoreBackup({ pool: database.pool, dataDir, source, migrations: codeMigrations });
  } finally {
    await database.close();
  }
}

let source: TestApp;
let original: { counts: Record<string, number>; chain: ChainReport; trackingNumber: string; applicationId: string; documentId: string };
let backup: { target: string; manifest: Manifest };
const databases: TestDatabase[] = [];

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

before(async () => {
  source = await startTestApp();
  const fixtures = await RegistrationFixtures.start(source);
  const licence = await fixtures.submittedLicence();
  await fixtures.submittedStall();
  await linkAll(source.database.db, source.keys);
  await source.close();
  original = {
    counts: await rowCounts(source.testDb.url),
    chain: await chainOf(source.testDb.url, source.config.dataDir),
    trackingNumber: licence.trackingNumber,
    applicationId: licence.id,
    documentId: licence.documentId,
  };
  backup = await backUp(source.testDb.url, source.config.dataDir, 'full');
});
after(async () => {
  await source.stop();
  for (const db of databases) await db.drop();
  await fs.rm(scratch, { recursive: true, force: true });
});

describe('daftari backup and restore', () => {
  it('writes every table, the blob store and the keys, readable by the operator only', async () => {
    assert.ok(backup.manifest.tables.length > 20, 'every block has tables');
    const tables = Object.fromEntries(backup.manifest.tables.map((t) => [`"${t.schema}"."${t.name}"`, t.rows]));
    for (const [name, rows] of Object.entries(original.counts)) assert.equal(tables[name.replace(/^(\w+)\.(\w+)$/, '"$1"."$2"')], rows, name);
    assert.ok(backup.manifest.blobs.files >= 1, 'the uploaded lease is a blob');
    assert.ok(backup.manifest.keys.files >= 1, 'the node signing key is kept');
    assert.equal((await fs.stat(backup.target)).mode & 0o077, 0, 'no access for group or others');
  });

  it('restores into a new database and DATA_DIR: same rows, a valid audit chain, the documents served again', async () => {
    const into = await emptyDatabase();
    const dataDir = path.join(scratch, 'restored-node');
    await restore(backup.target, into, dataDir);

    assert.deepEqual(await rowCounts(into.url), original.counts);
    const chain = await chainOf(into.url, dataDir);
    assert.equal(chain.valid, true, JSON.stringify(chain.firstProblem));
    assert.equal(chain.linked, original.chain.linked);
    assert.equal(chain.headSeq, original.chain.headSeq);

    const restored = await startTestApp({ database: into, env: { DATA_DIR: dataDir } });
    try {
      const amina = await signIn(restored, 'amina', DEMO_PASSWORD);
      const application = await restored.app.inject({ method: 'GET', url: `/api/registration/applications/${original.applicationId}`, headers: asSession(amina) });
      assert.equal(application.statusCode, 200, application.body);
      assert.equal((application.json() as { trackingNumber: string }).trackingNumber, original.trackingNumber);
      const document = await restored.app.inject({ method: 'GET', url: `/api/registration/applications/${original.applicationId}/documents/${original.documentId}`, headers: asSession(amina) });
      assert.equal(document.statusCode, 200);
      assert.deepEqual(document.rawPayload, PDF);
      // Identifiers keep counting from where the backup left them: a new application is not a clash.
      const stall = await restored.app.inject({
        method: 'POST', url: '/api/registration/applications', headers: asSession(amina),
        payload: { serviceId: 'market-stall', data: { stallName: 'After restore', market: 'harbour', cooking: false }, idempotencyKey: 'after-restore-1' },
      });
      assert.equal(stall.statusCode, 201, stall.body);
    } finally {
      await restored.close();
    }
  });

  it('refuses a damaged backup before writing anything', async () => {
    const damaged = path.join(scratch, 'damaged');
    await fs.cp(backup.target, damaged, { recursive: true });
    const victim = backup.manifest.tables.find((t) => t.rows > 0)!;
    const file = path.join(damaged, victim.file);
    const text = gunzipSync(await fs.readFile(file)).toString('utf8');
    await fs.writeFile(file, gzipSync(text.replace(/\d/, (d) => String((Number(d) + 1) % 10))));

    const into = await emptyDatabase();
    const dataDir = path.join(scratch, 'damaged-node');
    await assert.rejects(restore(damaged, into, dataDir), (err: Error) => err instanceof BackupRefused && /damaged/.test(err.message) && err.message.includes(victim.name));
    assert.ok(Object.values(await rowCounts(into.url)).every((n) => n === 0), 'the database is untouched');
    await assert.rejects(fs.access(dataDir), 'no files were copied');
  });

  it('refuses a database that already holds data, and a backup made by another version', async () => {
    const used = await emptyDatabase();
    await restore(backup.target, used, path.join(scratch, 'first-restore'));
    await assert.rejects(restore(backup.target, used, path.join(scratch, 'second-restore')), (err: Error) => err instanceof BackupRefused && /not empty/.test(err.message));

    const into = await emptyDatabase();
    await assert.rejects(restore(backup.target, into, path.join(scratch, 'other-version'), [...migrations, '2099-01-01T0000_future_change']), (err: Error) => err instanceof BackupRefused && /another version/.test(err.message));
  });

  it('refuses to replace a node key that differs from the backup\'s', async () => {
    const into = await emptyDatabase();
    const dataDir = path.join(scratch, 'other-node');
    await loadNodeKeys(dataDir);
    await assert.rejects(restore(backup.target, into, dataDir), /refusing to overwrite/);
    assert.ok(Object.values(await rowCounts(into.url)).every((n) => n === 0), 'the database is untouched');
  });
});
