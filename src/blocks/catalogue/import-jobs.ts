import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { agencyCodes, applyImport, ImportRefused, validateImport, type RowError } from './import-services.ts';

export const IMPORT_TASK = 'catalogue.import-services';

export interface ImportStatus {
  id: string;
  fileName: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  totalRows: number;
  processedRows: number;
  errors: RowError[];
  createdAt: Date;
  finishedAt: Date | null;
}

/** Accept a file for import: stored with its job in one transaction, so an accepted file is never lost. */
export async function queueImport(db: Db, jobs: JobQueue, input: { fileName: string; content: string; actor: AuditActor; requestId: string }): Promise<string> {
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await sql`INSERT INTO catalogue_imports (id, file_name, content, state, created_by) VALUES (${id}, ${input.fileName}, ${input.content}, 'queued', ${input.actor.id})`.execute(trx);
    await jobs.enqueue(trx, IMPORT_TASK, { importId: id, actor: input.actor, requestId: input.requestId }, { dedupeKey: `import:${id}`, maxAttempts: 3 });
    await recordAudit(trx, { actor: input.actor, action: 'catalogue.queue-import', subjectType: 'catalogue-import', subjectId: id, requestId: input.requestId, details: { fileName: input.fileName } });
  });
  return id;
}

export async function importStatus(db: Db, id: string): Promise<ImportStatus | undefined> {
  const result = await sql<ImportStatus>`
    SELECT id, file_name AS "fileName", state, total_rows AS "totalRows", processed_rows AS "processedRows", errors,
           created_at AS "createdAt", finished_at AS "finishedAt"
    FROM catalogue_imports WHERE id = ${id}`.execute(db);
  return result.rows[0];
}

/** The job: validate every row (reporting progress), then write all rows or none. */
export function importRunner(db: Db) {
  return async ({ importId, actor, requestId }: { importId: string; actor: AuditActor; requestId: string }) => {
    const claimed = await sql<{ content: string }>`
      UPDATE catalogue_imports SET state = 'running' WHERE id = ${importId} AND state IN ('queued', 'running') RETURNING content`.execute(db);
    const content = claimed.rows[0]?.content;
    if (content === undefined) return;
    const agencies = await agencyCodes(db);
    const { records, errors } = validateImport(content, new Set(agencies.keys()));
    await sql`UPDATE catalogue_imports SET total_rows = ${records.length} WHERE id = ${importId}`.execute(db);
    const fail = (rowErrors: RowError[]) => sql`UPDATE catalogue_imports SET state = 'failed', errors = ${JSON.stringify(rowErrors.slice(0, 1000))}::jsonb, finished_at = now() WHERE id = ${importId}`.execute(db);
    if (errors.length > 0) {
      await fail(errors);
      return;
    }
    try {
      await applyImport(db, records, actor, requestId, async (done) => {
        await sql`UPDATE catalogue_imports SET processed_rows = ${done} WHERE id = ${importId}`.execute(db);
      });
    } catch (err) {
      if (!(err instanceof ImportRefused)) throw err;
      await fail(err.errors);
      return;
    }
    await sql`UPDATE catalogue_imports SET state = 'done', processed_rows = total_rows, finished_at = now() WHERE id = ${importId}`.execute(db);
  };
}
