import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { asSession, DEMO_PASSWORD, signIn, startTestApp } from '../../../test/support/app.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../../../test/support/database.ts';
import { loadNodeKeys, type NodeKeys } from '../../platform/crypto/keys.ts';
import { openDatabase, type Database } from '../../platform/db/database.ts';
import { linkAll, linkChain, recordAudit, SYSTEM_ACTOR, verifyChain } from './index.ts';
import { chainHash } from './link-chain.ts';
import { entryDigest, type StoredEntryFields } from './record-entry.ts';

const CLERK_PASSWORD = 'clerk-passphrase-2026';

interface ChainRow extends StoredEntryFields {
  id: number;
  entry_digest: string;
  chain_seq: number;
  prev_hash: string;
  hash: string;
}

/** A database with a history, and the node keys that signed its checkpoints. */
let history: { testDb: TestDatabase; dataDir: string; keys: NodeKeys };

/**
 * A history made the way users make it: sign-ins and accounts created through the HTTP API,
 * linked after each step, so the chain carries several signed checkpoints.
 */
before(async () => {
  const app = await startTestApp();
  const link = () => linkAll(app.database.db, app.keys);
  await link();
  const admin = await signIn(app, 'admin', DEMO_PASSWORD);
  await link();
  for (const username of ['clerk.one', 'clerk.two']) {
    const created = await app.app.inject({
      method: 'POST',
      url: '/api/identity/users',
      headers: asSession(admin),
      payload: { username, displayName: `Clerk ${username}`, password: CLERK_PASSWORD, roles: [{ role: 'officer', agency: 'fire' }] },
    });
    assert.equal(created.statusCode, 201, created.body);
    await link();
    await signIn(app, username, CLERK_PASSWORD);
    await link();
  }
  await signIn(app, 'auditor', DEMO_PASSWORD);
  await link();
  // Keep the database and DATA_DIR: every scenario tampers with its own copy of them.
  await app.close();
  history = { testDb: app.testDb, dataDir: app.config.dataDir, keys: app.keys };
});
after(async () => {
  await history.testDb.drop();
  await fs.rm(history.dataDir, { recursive: true, force: true });
});

interface Copy {
  url: string;
  database: Database;
}

async function onServer(statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/** Run a scenario on a fresh copy of the history. */
async function withHistory(scenario: (copy: Copy, chain: ChainRow[]) => Promise<void>): Promise<void> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name} TEMPLATE ${history.testDb.name}`);
  const copy = { url: serverUrl(name), database: openDatabase(serverUrl(name), { max: 2 }) };
  try {
    const before = await verify(copy);
    assert.equal(before.valid, true, JSON.stringify(before.firstProblem));
    await scenario(copy, await chainOf(copy));
  } finally {
    await copy.database.close();
    await onServer(`DROP DATABASE ${name} WITH (FORCE)`);
  }
}

const verify = (copy: Copy) => verifyChain(copy.database.db, history.keys);

async function chainOf(copy: Copy): Promise<ChainRow[]> {
  const { rows } = await sql<ChainRow>`SELECT * FROM audit_entries WHERE chain_seq IS NOT NULL ORDER BY chain_seq`.execute(copy.database.db);
  return rows;
}

async function checkpointSeqs(copy: Copy): Promise<number[]> {
  const { rows } = await sql<{ chain_seq: number }>`SELECT chain_seq FROM audit_checkpoints ORDER BY chain_seq`.execute(copy.database.db);
  return rows.map((r) => r.chain_seq);
}

/** A separate connection that switches the append-only triggers off, as someone with psql would. */
async function asAttacker(copy: Copy, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: copy.url });
  await client.connect();
  try {
    await client.query('SET session_replication_role = replica');
    await work(client);
  } finally {
    await client.end();
  }
}

describe('the audit chain', () => {
  it('is valid after real activity, every entry linked and covered by signed checkpoints', async () => {
    await withHistory(async (copy, chain) => {
      const report = await verify(copy);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_entries`.execute(copy.database.db);
      assert.deepEqual(
        { valid: report.valid, linked: report.linked, unlinked: report.unlinked, headSeq: report.headSeq, firstProblem: report.firstProblem },
        { valid: true, linked: rows[0]!.n, unlinked: 0, headSeq: rows[0]!.n, firstProblem: null },
      );
      assert.ok(report.checkpoints >= 5, `one checkpoint per linking round, got ${report.checkpoints}`);
      const actions = new Set(chain.map((e) => e.action));
      for (const action of ['identity.create-agency', 'identity.create-user', 'identity.grant-role', 'identity.sign-in']) {
        assert.ok(actions.has(action), `the chain records ${action}`);
      }
      assert.deepEqual(chain.map((e) => e.chain_seq), chain.map((_, i) => i + 1), 'positions run from 1 without gaps');
    });
  });

  it('names an entry whose field was edited', async () => {
    await withHistory(async (copy, chain) => {
      const victim = chain[Math.floor(chain.length / 2)]!;
      await asAttacker(copy, (c) => c.query(`UPDATE audit_entries SET actor_name = 'Someone Else' WHERE id = $1`, [victim.id]));
      const report = await verify(copy);
      assert.equal(report.valid, false);
      assert.equal(report.firstProblem?.entryId, victim.id);
      assert.equal(report.firstProblem?.chainSeq, victim.chain_seq);
      assert.match(report.firstProblem!.reason, /changed after it was written/);
    });
  });

  it('names the entry after a gap when an entry in the middle is deleted', async () => {
    await withHistory(async (copy, chain) => {
      const middle = Math.floor(chain.length / 2);
      await asAttacker(copy, (c) => c.query('DELETE FROM audit_entries WHERE id = $1', [chain[middle]!.id]));
      const report = await verify(copy);
      assert.equal(report.valid, false);
      assert.equal(report.firstProblem?.entryId, chain[middle + 1]!.id);
      assert.equal(report.firstProblem?.chainSeq, chain[middle + 1]!.chain_seq);
      assert.match(report.firstProblem!.reason, new RegExp(`position ${chain[middle]!.chain_seq} is missing`));
    });
  });

  it('catches deleting the newest entries by the checkpoint that signed them', async () => {
    await withHistory(async (copy, chain) => {
      const checkpoints = await checkpointSeqs(copy);
      const keptHead = checkpoints.at(-2)!;
      const lostCheckpoint = checkpoints.at(-1)!;
      assert.equal(lostCheckpoint, chain.at(-1)!.chain_seq, 'the newest checkpoint signs the head');
      await asAttacker(copy, (c) => c.query('DELETE FROM audit_entries WHERE chain_seq > $1', [keptHead]));

      const report = await verify(copy);
      assert.equal(report.valid, false);
      assert.equal(report.headSeq, keptHead, 'what is left still links up');
      assert.deepEqual(report.firstProblem, {
        entryId: null,
        chainSeq: lostCheckpoint,
        reason: `entries up to position ${lostCheckpoint} were signed but the chain ends at ${keptHead} (entries deleted)`,
      });
    });
  });

  it('catches an entry appended by hand after the newest signed checkpoint', async () => {
    await withHistory(async (copy, chain) => {
      const head = chain.at(-1)!;
      const forged: StoredEntryFields = { ...head, occurred_at: new Date(head.occurred_at.getTime() + 1), action: 'identity.grant-role', details: { role: 'admin' } };
      const digest = entryDigest(forged);
      const seq = head.chain_seq + 1;
      await asAttacker(copy, (c) =>
        c.query(
          `INSERT INTO audit_entries (occurred_at, actor_type, actor_id, actor_name, agency_id, action, subject_type, subject_id,
                                      request_id, details, change_digest, entry_digest, chain_seq, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
          [forged.occurred_at, forged.actor_type, forged.actor_id, forged.actor_name, forged.agency_id, forged.action, forged.subject_type,
            forged.subject_id, forged.request_id, JSON.stringify(forged.details), forged.change_digest, digest, seq, head.hash, chainHash(head.hash, digest, seq)],
        ),
      );
      const report = await verify(copy);
      assert.equal(report.valid, false);
      assert.equal(report.firstProblem?.chainSeq, seq);
      assert.match(report.firstProblem!.reason, /after the newest signed checkpoint/);
    });
  });

  it('catches deleting the newest entries together with their checkpoints, by the head kept outside the database', async () => {
    await withHistory(async (copy) => {
      const headFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-head-')), 'audit-head.json');
      try {
        await recordAudit(copy.database.db, { actor: SYSTEM_ACTOR, action: 'test.newest', subjectType: 'test' });
        await linkAll(copy.database.db, history.keys, { headFile });
        const newest = (await checkpointSeqs(copy)).at(-1)!;
        assert.equal((await verifyChain(copy.database.db, history.keys, { headFile })).valid, true);
        await asAttacker(copy, async (c) => {
          await c.query('DELETE FROM audit_entries WHERE chain_seq = $1', [newest]);
          await c.query('DELETE FROM audit_checkpoints WHERE chain_seq = $1', [newest]);
        });
        assert.equal((await verify(copy)).valid, true, 'inside the database alone, the truncation is invisible');
        const report = await verifyChain(copy.database.db, history.keys, { headFile });
        assert.equal(report.valid, false);
        assert.equal(report.firstProblem?.chainSeq, newest);
        assert.match(report.firstProblem!.reason, /once reached position/);
      } finally {
        await fs.rm(path.dirname(headFile), { recursive: true, force: true });
      }
    });
  });

  it('names the entry after a forged one inserted into the middle with correctly computed hashes', async () => {
    await withHistory(async (copy, chain) => {
      const at = Math.floor(chain.length / 2);
      const before = chain[at - 1]!;
      const displaced = chain[at]!;
      const forged: StoredEntryFields = {
        occurred_at: new Date(displaced.occurred_at.getTime() - 1),
        actor_type: 'user',
        actor_id: before.actor_id,
        actor_name: 'Platform Administrator',
        agency_id: null,
        action: 'identity.grant-role',
        subject_type: 'user',
        subject_id: before.subject_id,
        request_id: null,
        details: { role: 'admin', agency: null },
        change_digest: displaced.change_digest,
      };
      const digest = entryDigest(forged);
      await asAttacker(copy, async (c) => {
        // Make room at `at`: two steps, because chain_seq is unique row by row.
        await c.query('UPDATE audit_entries SET chain_seq = -chain_seq WHERE chain_seq >= $1', [displaced.chain_seq]);
        await c.query('UPDATE audit_entries SET chain_seq = 1 - chain_seq WHERE chain_seq < 0');
        await c.query(
          `INSERT INTO audit_entries (occurred_at, actor_type, actor_id, actor_name, agency_id, action, subject_type, subject_id,
                                      request_id, details, change_digest, entry_digest, chain_seq, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
          [forged.occurred_at, forged.actor_type, forged.actor_id, forged.actor_name, forged.agency_id, forged.action, forged.subject_type,
            forged.subject_id, forged.request_id, JSON.stringify(forged.details), forged.change_digest, digest,
            displaced.chain_seq, before.hash, chainHash(before.hash, digest, displaced.chain_seq)],
        );
      });

      const report = await verify(copy);
      assert.equal(report.valid, false);
      // The forged entry is consistent in itself; the chain breaks where the original entry no longer follows it.
      assert.equal(report.firstProblem?.entryId, displaced.id);
      assert.equal(report.firstProblem?.chainSeq, displaced.chain_seq + 1);
      assert.match(report.firstProblem!.reason, /link to the previous entry is broken/);
    });
  });

  it('names the first of two entries whose contents were swapped', async () => {
    await withHistory(async (copy, chain) => {
      const first = chain[3]!;
      const second = chain[chain.length - 3]!;
      await asAttacker(copy, (c) =>
        c.query(
          `UPDATE audit_entries AS e SET occurred_at = o.occurred_at, actor_type = o.actor_type, actor_id = o.actor_id, actor_name = o.actor_name,
                  agency_id = o.agency_id, action = o.action, subject_type = o.subject_type, subject_id = o.subject_id,
                  request_id = o.request_id, details = o.details, change_digest = o.change_digest, entry_digest = o.entry_digest
           FROM audit_entries AS o WHERE (e.id, o.id) IN (($1, $2), ($2, $1))`,
          [first.id, second.id],
        ),
      );
      const report = await verify(copy);
      assert.equal(report.valid, false);
      assert.equal(report.firstProblem?.entryId, first.id);
      assert.equal(report.firstProblem?.chainSeq, first.chain_seq);
    });
  });

  it('catches a rewrite of the whole table with every hash recomputed by the signed checkpoints', async () => {
    await withHistory(async (copy, chain) => {
      const checkpoints = await checkpointSeqs(copy);
      const victim = chain.find((e) => e.chain_seq === checkpoints[0]! + 1)!;
      const breached = checkpoints.find((seq) => seq >= victim.chain_seq)!;
      const rewritten = new Map<number, string>();
      await asAttacker(copy, async (c) => {
        let prev = chain[victim.chain_seq - 2]!.hash;
        for (const entry of chain.slice(victim.chain_seq - 1)) {
          const fields = entry.id === victim.id ? { ...entry, actor_name: 'Someone Else' } : entry;
          const digest = entryDigest(fields);
          const hash = chainHash(prev, digest, entry.chain_seq);
          await c.query('UPDATE audit_entries SET actor_name = $2, entry_digest = $3, prev_hash = $4, hash = $5 WHERE id = $1', [entry.id, fields.actor_name, digest, prev, hash]);
          rewritten.set(entry.chain_seq, hash);
          prev = hash;
        }
      });

      const report = await verify(copy);
      assert.equal(report.valid, false);
      assert.equal(report.linked, chain.length, 'every link holds after the rewrite');
      assert.deepEqual(report.firstProblem, { entryId: null, chainSeq: breached, reason: 'the chain was rewritten: it no longer matches a signed checkpoint' });

      // Rewriting the checkpoints too does not help without the node's private key.
      await asAttacker(copy, async (c) => {
        for (const seq of checkpoints.filter((s) => s >= victim.chain_seq)) {
          await c.query('UPDATE audit_checkpoints SET hash = $2 WHERE chain_seq = $1', [seq, rewritten.get(seq)]);
        }
      });
      const again = await verify(copy);
      assert.deepEqual(again.firstProblem, { entryId: null, chainSeq: breached, reason: 'a checkpoint does not match what was signed' });
    });
  });

  it('names an entry edited while it was still waiting to be linked', async () => {
    await withHistory(async (copy) => {
      await recordAudit(copy.database.db, { actor: SYSTEM_ACTOR, action: 'identity.disable-user', subjectType: 'user', subjectId: 'clerk.two', details: { reason: 'left the service' } });
      const { rows } = await sql<{ id: number }>`SELECT id FROM audit_entries WHERE chain_seq IS NULL`.execute(copy.database.db);
      assert.equal(rows.length, 1, 'the new entry is not linked yet');
      await asAttacker(copy, (c) => c.query(`UPDATE audit_entries SET details = '{"reason":"asked to"}' WHERE id = $1`, [rows[0]!.id]));
      const report = await verify(copy);
      assert.equal(report.valid, false);
      assert.equal(report.unlinked, 1);
      assert.deepEqual(report.firstProblem, { entryId: rows[0]!.id, chainSeq: null, reason: 'an entry awaiting linking was changed (digest mismatch)' });
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE from the application role, even of the chain columns', async () => {
    await withHistory(async (copy, chain) => {
      const db = copy.database.db;
      const victim = chain[2]!;
      await assert.rejects(sql`UPDATE audit_entries SET actor_name = 'Someone Else' WHERE id = ${victim.id}`.execute(db), /append-only \(entry \d+ cannot change\)/);
      await assert.rejects(sql`UPDATE audit_entries SET hash = ${'f'.repeat(64)} WHERE id = ${victim.id}`.execute(db), /append-only \(entry \d+ cannot change\)/);
      await assert.rejects(sql`DELETE FROM audit_entries WHERE id = ${victim.id}`.execute(db), /append-only \(DELETE refused\)/);
      await assert.rejects(sql`TRUNCATE audit_entries`.execute(db), /append-only \(TRUNCATE refused\)/);
      assert.deepEqual(await chainOf(copy), chain);
      assert.equal((await verify(copy)).valid, true);
    });
  });
});

describe('appending and linking concurrently', () => {
  it('20 writers (some rolling back) and linkers in two processes end with exactly the committed entries, each linked once', async () => {
    const testDb = await createTestDatabase();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'daftari-chain-'));
    const writers = openDatabase(testDb.url, { max: 20 });
    // Two "processes": each its own pool and its own copy of the node keys from the same DATA_DIR.
    const processes = await Promise.all([0, 1].map(async () => ({ database: openDatabase(testDb.url, { max: 2 }), keys: await loadNodeKeys(dataDir) })));
    try {
      const rolledBack = new Set([3, 7, 11, 16, 19]);
      const perWriter = 6;
      let writing = true;
      const unlinked = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_entries WHERE chain_seq IS NULL`.execute(writers.db)).rows[0]!.n;
      const linkers = processes.map(async ({ database, keys }) => {
        let linked = 0;
        while (writing || (await unlinked()) > 0) {
          linked += await linkChain(database.db, keys, { batchSize: 4 });
          await sleep(1);
        }
        return linked;
      });
      await Promise.all(
        Array.from({ length: 20 }, async (_, writer) => {
          await sleep(writer * 4);
          await writers.db.transaction().execute(async (trx) => {
            for (let n = 0; n < perWriter; n++) {
              await recordAudit(trx, { actor: SYSTEM_ACTOR, action: 'test.append', subjectType: 'test', subjectId: `w${writer}-${n}` });
              // Keep transactions open across linker runs, so commit order differs from id order.
              await sleep((writer * 7 + n * 3) % 5);
            }
            if (rolledBack.has(writer)) throw new RollBack();
          }).catch((err: unknown) => {
            if (!(err instanceof RollBack)) throw err;
          });
        }),
      );
      writing = false;
      const linkedBy = await Promise.all(linkers);

      const { rows } = await sql<{ subject_id: string; chain_seq: number | null }>`
        SELECT subject_id, chain_seq FROM audit_entries WHERE action = 'test.append' ORDER BY subject_id`.execute(writers.db);
      const committed = Array.from({ length: 20 }, (_, w) => w)
        .filter((w) => !rolledBack.has(w))
        .flatMap((w) => Array.from({ length: perWriter }, (_, n) => `w${w}-${n}`))
        .sort();
      assert.deepEqual(rows.map((r) => r.subject_id), committed, 'every committed entry once, no rolled-back one');
      assert.ok(rows.every((r) => r.chain_seq !== null), 'every committed entry is linked');
      assert.equal(linkedBy[0]! + linkedBy[1]!, committed.length, 'no entry was linked twice');
      assert.ok(linkedBy.every((n) => n > 0), `both processes did some of the linking: ${linkedBy.join(' + ')}`);

      const report = await verifyChain(processes[0]!.database.db, processes[0]!.keys);
      const { rows: total } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_entries`.execute(writers.db);
      assert.equal(report.valid, true, JSON.stringify(report.firstProblem));
      assert.equal(report.linked, total[0]!.n);
      assert.equal(report.unlinked, 0);
    } finally {
      await Promise.all([writers.close(), ...processes.map((p) => p.database.close())]);
      await testDb.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

class RollBack extends Error {}
