/**
 * What does the audit entry cost a writer? Commits per second of N concurrent writers, each
 * running `BEGIN; INSERT a business row; <audit>; COMMIT`, for three kinds of <audit>:
 *
 *   baseline  no audit entry at all;
 *   deferred  our design: recordAudit() appends an unlinked entry, linkChain() links later;
 *   inline    the alternative: lock the chain's head row (SELECT … FOR UPDATE), compute the
 *             entry's hash from it, insert the linked entry and move the head, all in the writer's
 *             transaction, so every writer queues behind the one head.
 *
 *   node --import tsx bench/audit-append.ts [--writers=1,8,32] [--transactions=100] [--rounds=3]
 *
 * With DATABASE_URL it creates a scratch database on that server (and drops it afterwards), so
 * it never writes into a real audit log; without it, it starts the embedded PostgreSQL server in
 * a temporary directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { MIGRATIONS } from '../src/app.ts';
import { linkAll, recordAudit, SYSTEM_ACTOR } from '../src/blocks/audit/index.ts';
import { canonicalJson } from '../src/blocks/audit/canonical-json.ts';
import { chainHash, GENESIS_HASH } from '../src/blocks/audit/link-chain.ts';
import { entryDigest, type StoredEntryFields } from '../src/blocks/audit/record-entry.ts';
import { loadNodeKeys } from '../src/platform/crypto/keys.ts';
import { openDatabase, type Tx } from '../src/platform/db/database.ts';
import { openScratchDatabase } from './support/scratch-database.ts';
import { migrateToLatest } from '../src/platform/db/migrations.ts';
import { createLogger } from '../src/platform/log.ts';

const { values: options } = parseArgs({
  options: {
    writers: { type: 'string', default: '1,8,32' },
    transactions: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});
const writerCounts = options.writers.split(',').map(Number);
const perWriter = Number(options.transactions);
const rounds = Number(options.rounds);
if (writerCounts.some((n) => !Number.isInteger(n) || n < 1) || !(perWriter >= 1) || !(rounds >= 1)) {
  throw new Error('--writers is a list of whole numbers, --transactions and --rounds are whole numbers from 1');
}

type Mode = 'baseline' | 'deferred' | 'inline';
const MODES: Mode[] = ['baseline', 'deferred', 'inline'];

async function insertBusinessRow(trx: Tx, writer: number, n: number): Promise<string> {
  const reference = `APP-${writer}-${n}-${randomBytes(4).toString('hex')}`;
  await sql`INSERT INTO bench_applications (reference, form) VALUES (${reference}, ${JSON.stringify({ floors: 2, area: 140 + n })}::jsonb)`.execute(trx);
  return reference;
}

const auditOf = (reference: string) => ({
  actor: SYSTEM_ACTOR,
  action: 'bench.submit-application',
  subjectType: 'application',
  subjectId: reference,
  details: { reference },
  change: { state: 'submitted' },
});

/** The alternative design: the writer links its own entry under a lock on the chain's head. */
async function appendInline(trx: Tx, reference: string): Promise<void> {
  const record = auditOf(reference);
  const head = await sql<{ seq: number; hash: string }>`SELECT seq, hash FROM bench_chain_head WHERE id = 1 FOR UPDATE`.execute(trx);
  const fields: StoredEntryFields = {
    occurred_at: new Date(),
    actor_type: record.actor.type,
    actor_id: record.actor.id,
    actor_name: record.actor.name,
    agency_id: null,
    action: record.action,
    subject_type: record.subjectType,
    subject_id: record.subjectId,
    request_id: null,
    details: record.details,
    change_digest: createHash('sha256').update(canonicalJson(record.change)).digest('hex'),
  };
  const digest = entryDigest(fields);
  const seq = head.rows[0]!.seq + 1;
  const hash = chainHash(head.rows[0]!.hash, digest, seq);
  await sql`
    INSERT INTO bench_inline_entries (occurred_at, actor_type, actor_id, actor_name, agency_id, action, subject_type, subject_id,
                                      request_id, details, change_digest, entry_digest, chain_seq, prev_hash, hash)
    VALUES (${fields.occurred_at}, ${fields.actor_type}, ${fields.actor_id}, ${fields.actor_name}, ${fields.agency_id}, ${fields.action},
            ${fields.subject_type}, ${fields.subject_id}, ${fields.request_id}, ${JSON.stringify(fields.details)}::jsonb,
            ${fields.change_digest}, ${digest}, ${seq}, ${head.rows[0]!.hash}, ${hash})`.execute(trx);
  await sql`UPDATE bench_chain_head SET seq = ${seq}, hash = ${hash} WHERE id = 1`.execute(trx);
}

const log = createLogger('warn');
const scratch = await openScratchDatabase(log);
const database = openDatabase(scratch.url, { max: Math.max(...writerCounts) + 2, applicationName: 'daftari-bench' });
try {
  const db = database.db;
  await migrateToLatest(db, MIGRATIONS);
  await sql`CREATE TABLE bench_applications (id bigserial PRIMARY KEY, reference text NOT NULL UNIQUE, form jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`.execute(db);
  // Same columns and indexes as the real log, so both designs pay for the same entry.
  await sql`CREATE TABLE bench_inline_entries (LIKE audit_entries INCLUDING ALL)`.execute(db);
  await sql`CREATE TABLE bench_chain_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash text NOT NULL)`.execute(db);
  await sql`INSERT INTO bench_chain_head VALUES (1, 0, ${GENESIS_HASH})`.execute(db);
  const version = (await sql<{ server_version: string }>`SHOW server_version`.execute(db)).rows[0]!.server_version;

  const transaction: Record<Mode, (trx: Tx, writer: number, n: number) => Promise<void>> = {
    baseline: async (trx, writer, n) => {
      await insertBusinessRow(trx, writer, n);
    },
    deferred: async (trx, writer, n) => recordAudit(trx, auditOf(await insertBusinessRow(trx, writer, n))),
    inline: async (trx, writer, n) => appendInline(trx, await insertBusinessRow(trx, writer, n)),
  };

  /** Commits per second of `writers` concurrent writers, each committing `count` transactions. */
  async function measure(mode: Mode, writers: number, count: number): Promise<number> {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let n = 0; n < count; n++) await db.transaction().execute((trx) => transaction[mode](trx, writer, n));
      }),
    );
    return (writers * count) / ((performance.now() - started) / 1000);
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  // Open every connection and warm the caches before anything is timed.
  for (const mode of MODES) await measure(mode, Math.max(...writerCounts), Math.max(1, Math.ceil(perWriter / 10)));

  console.log(`Audit append: PostgreSQL ${version} (${process.env.DATABASE_URL ? 'DATABASE_URL server' : 'embedded server'}), ${perWriter} transactions per writer, median of ${rounds} round(s)`);
  console.log('commits per second; "deferred" is recordAudit() with linking later, "inline" locks the chain head in every writer');
  const columns = ['writers', 'baseline tx/s', 'deferred tx/s', 'inline tx/s', 'deferred/baseline', 'inline/baseline', 'deferred/inline'];
  const row = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(columns[i]!.length + 2)).join(''));
  row(columns);
  for (const writers of writerCounts) {
    const samples: Record<Mode, number[]> = { baseline: [], deferred: [], inline: [] };
    // Modes take turns within each round, so a slow moment of the machine hits all three alike.
    for (let round = 0; round < rounds; round++) {
      for (const mode of MODES) samples[mode].push(await measure(mode, writers, perWriter));
    }
    const rate = Object.fromEntries(MODES.map((m) => [m, median(samples[m])])) as Record<Mode, number>;
    const cells = [String(writers), ...MODES.map((m) => rate[m].toFixed(0)), ...[rate.deferred / rate.baseline, rate.inline / rate.baseline, rate.deferred / rate.inline].map((r) => r.toFixed(2))];
    row(cells);
  }

  const keys = await loadNodeKeys(scratch.dataDir);
  const linkStarted = performance.now();
  const linked = await linkAll(db, keys);
  const linkSeconds = (performance.now() - linkStarted) / 1000;
  const checkpoints = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_checkpoints`.execute(db)).rows[0]!.n;
  console.log(`linker: ${linked} deferred entries linked in ${linkSeconds.toFixed(2)} s (${(linked / linkSeconds).toFixed(0)} entries/s, ${checkpoints} signed checkpoint(s))`);
} finally {
  await database.close();
  await scratch.close();
}
