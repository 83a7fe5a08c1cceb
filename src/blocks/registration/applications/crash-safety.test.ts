import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database.ts';
import { queryEmbedded } from '../../../../test/support/embedded-postgres.ts';
import { runCrashRounds, type CrashRunReport } from '../../../../test/support/crash-run.ts';

interface Row {
  id: string;
  idempotency_key: string;
  has_case: boolean;
  audited: boolean;
}

/** Each crash-run application, with whether its case and audit entry were committed with it. */
const ROWS_SQL = `
  SELECT a.id::text, a.idempotency_key,
    EXISTS (SELECT 1 FROM workflow_cases c WHERE c.id = a.id) AS has_case,
    EXISTS (SELECT 1 FROM audit_entries e WHERE e.subject_id = a.id::text) AS audited
  FROM registration_applications a WHERE a.idempotency_key LIKE 'crash-%'`;

function assertNothingLost(report: CrashRunReport, rows: Row[]): void {
  assert.ok(report.acknowledged.size > 0, 'some submissions were acknowledged');
  assert.deepEqual(report.changedOnRetry, [], 'a retried key always gives back the application first acknowledged');
  const byKey = new Map<string, Row[]>();
  for (const row of rows) byKey.set(row.idempotency_key, [...(byKey.get(row.idempotency_key) ?? []), row]);
  for (const [key, id] of report.acknowledged) {
    const found = byKey.get(key) ?? [];
    assert.equal(found.length, 1, `acknowledged ${key} is stored exactly once`);
    assert.equal(found[0]!.id, id, `${key} keeps the id it was acknowledged with`);
  }
  assert.equal(rows.length, report.acknowledged.size, 'no application that was never acknowledged');
  assert.ok(rows.every((r) => r.has_case && r.audited), 'every application has its case and its audit entry: no half-written submission');
  assert.equal(report.audit.valid, true, `the audit chain verifies after the crashes: ${JSON.stringify(report.audit.firstProblem)}`);
  assert.equal(report.audit.unlinked, 0, 'every entry is linked');
}

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function scratchDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-crash-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('submissions survive crashes', () => {
  it('killing the app mid-stream loses no acknowledged submission and duplicates none', async () => {
    const database: TestDatabase = await createTestDatabase({ demo: true });
    cleanups.push(() => database.drop());
    const report = await runCrashRounds({ dataDir: await scratchDir(), databaseUrl: database.url, rounds: 3, clients: 4, kill: 'app' });
    cleanups.push(() => report.node.stop());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      assertNothingLost(report, (await client.query<Row>(ROWS_SQL)).rows);
    } finally {
      await client.end();
    }
  });

  it('killing the embedded PostgreSQL mid-stream loses no acknowledged submission and duplicates none', async () => {
    const dataDir = await scratchDir();
    const report = await runCrashRounds({ dataDir, rounds: 2, clients: 4, kill: 'postgres' });
    cleanups.push(() => report.node.stop());
    assertNothingLost(report, await queryEmbedded<Row>(dataDir, report.node.embeddedPgPort, ROWS_SQL));
  });
});
