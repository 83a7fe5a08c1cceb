import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { runDaftari, type CliRun } from '../../../test/support/cli.ts';

const root = path.resolve(import.meta.dirname, '../../..');

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

/** `daftari audit verify` as an operator runs it on the server: this node's database and DATA_DIR. */
function auditVerify(dataDir = app.config.dataDir): Promise<CliRun> {
  return runDaftari(['audit', 'verify'], { cwd: root, env: { DATABASE_URL: app.testDb.url, DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
}

describe('daftari audit verify', () => {
  it('run with another node’s DATA_DIR, says the signing key is missing instead of calling every signature forged', async () => {
    const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-elsewhere-'));
    try {
      const result = await auditVerify(elsewhere);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /no node signing key/);
      assert.deepEqual(await fs.readdir(elsewhere), [], 'no key was created');
    } finally {
      await fs.rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('links pending entries, reports a valid chain and exits 0', async () => {
    const { rows } = await app.database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_entries');
    assert.ok(rows[0]!.n > 0, 'the demo data wrote audit entries');
    const result = await auditVerify();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `The audit chain is valid: ${rows[0]!.n} entries, 1 signed checkpoint, 0 awaiting linking.`);
  });

  it('names the entry changed by hand and exits 2', async () => {
    const attacker = new pg.Client({ connectionString: app.testDb.url });
    await attacker.connect();
    let victim: { id: number; chain_seq: number };
    try {
      await attacker.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
      const changed = await attacker.query<{ id: number; chain_seq: number }>(
        `UPDATE audit_entries SET details = details || '{"username":"mallory"}'
         WHERE id = (SELECT id FROM audit_entries WHERE action = 'identity.create-user' ORDER BY chain_seq LIMIT 1 OFFSET 2)
         RETURNING id, chain_seq`,
      );
      victim = changed.rows[0]!;
      await attacker.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
    } finally {
      await attacker.end();
    }
    const result = await auditVerify();
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stdout.trim(),
      `The audit chain is BROKEN at entry id ${victim.id} (chain position ${victim.chain_seq}): the entry was changed after it was written (digest mismatch).`,
    );
  });
});
