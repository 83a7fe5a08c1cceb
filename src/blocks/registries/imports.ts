import { createHash, randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import secureJson from 'secure-json-parse';
import type { Db, Executor } from '../../platform/db/database.ts';
import { Problem } from '../../platform/http/problem.ts';
import { refuseUnstorableInput } from '../../platform/http/storable-input.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { factsOf, invalidParams, recordValidator, typedCell } from './definition.ts';
import { findRegistryById, type RecordData, type Registry } from './store.ts';

/**
 * Bulk import of records from CSV (a header row of field names; cells typed by the schema) or
 * JSON lines (one record object per line), as a background job. Every row is checked first;
 * then either nothing is written if any row is wrong ("all-or-nothing", one transaction), or the
 * good rows are written and the bad ones reported ("skip-and-report", a transaction per batch).
 * Each written record carries the import id and its line, so a job run again after a crash
 * skips what it already wrote.
 */
export const IMPORT_TASK = 'registries.import-records';
export const IMPORT_FORMATS = ['csv', 'jsonl'] as const;
export const IMPORT_MODES = ['all-or-nothing', 'skip-and-report'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ImportMode = (typeof IMPORT_MODES)[number];
export const MAX_IMPORT_ROWS = 500_000;
const BATCH = 1000;
const PROGRESS_EVERY = 5000;
/** Kept with the import; the count of all errors is kept beside it. */
const ERRORS_KEPT = 1000;

export interface RowError {
  /** Line in the file (a CSV's header is line 1). */
  line: number;
  /** The field at fault, as a JSON pointer into the record (`/areaM2`), or '' for the whole row. */
  field: string;
  reason: string;
}

export interface ImportStatus {
  id: string;
  registry: string;
  fileName: string;
  format: ImportFormat;
  mode: ImportMode;
  state: 'queued' | 'checking' | 'writing' | 'done' | 'failed';
  totalRows: number;
  checkedRows: number;
  writtenRows: number;
  errorCount: number;
  errors: RowError[];
  createdAt: Date;
  createdBy: AuditActor;
  finishedAt: Date | null;
}

export interface ImportWriter {
  actor: AuditActor;
  agencyId: string | null;
  /** The fields this writer may write; null for all. */
  writable: string[] | null;
}

export async function queueImport(db: Db, jobs: JobQueue, input: { registry: Registry; fileName: string; format: ImportFormat; mode: ImportMode; content: string; writer: ImportWriter; requestId: string | null }): Promise<string> {
  const id = randomUUID();
  const digest = createHash('sha256').update(input.content).digest('hex');
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO registries_imports (id, registry_id, file_name, format, mode, content, content_sha256, state, writable_fields, agency_id, created_by, request_id)
      VALUES (${id}, ${input.registry.id}, ${input.fileName}, ${input.format}, ${input.mode}, ${input.content}, ${digest}, 'queued',
              ${input.writer.writable}::text[], ${input.writer.agencyId}, ${JSON.stringify(input.writer.actor)}::jsonb, ${input.requestId})`.execute(trx);
    await jobs.enqueue(trx, IMPORT_TASK, { importId: id }, { dedupeKey: `registries-import:${id}`, maxAttempts: 3 });
    await recordAudit(trx, { actor: input.writer.actor, agencyId: input.registry.agencyId, action: 'registries.queue-import', subjectType: 'registry-import', subjectId: id, requestId: input.requestId, details: { registry: input.registry.code, fileName: input.fileName, mode: input.mode, sha256: digest } });
  });
  return id;
}

export async function importStatus(executor: Executor, id: string): Promise<ImportStatus | undefined> {
  const result = await sql<ImportStatus>`
    SELECT i.id, r.code AS registry, i.file_name AS "fileName", i.format, i.mode, i.state, i.total_rows AS "totalRows", i.checked_rows AS "checkedRows",
           i.written_rows AS "writtenRows", i.error_count AS "errorCount", i.errors, i.created_at AS "createdAt", i.created_by AS "createdBy", i.finished_at AS "finishedAt"
    FROM registries_imports i JOIN registries_registries r ON r.id = i.registry_id WHERE i.id = ${id}`.execute(executor);
  return result.rows[0];
}

/** The latest imports into a registry, newest first. */
export async function recentImports(executor: Executor, registry: Registry, limit = 10): Promise<ImportStatus[]> {
  const result = await sql<{ id: string }>`SELECT id FROM registries_imports WHERE registry_id = ${registry.id} ORDER BY created_at DESC LIMIT ${limit}`.execute(executor);
  return (await Promise.all(result.rows.map((r) => importStatus(executor, r.id)))).filter((s): s is ImportStatus => s !== undefined);
}

interface Row {
  line: number;
  data: RecordData | null;
  errors: RowError[];
}

/** The rows of a file, typed: a CSV's cells by its fields' schema types, JSON lines as they are. */
export function parseRows(content: string, format: ImportFormat, registry: Registry): { rows: Row[]; fileErrors: RowError[] } {
  const facts = factsOf(registry.definition);
  if (format === 'jsonl') {
    const rows: Row[] = [];
    content.split('\n').forEach((text, index) => {
      if (text.trim() === '') return;
      const line = index + 1;
      try {
        const value: unknown = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
        if (typeof value !== 'object' || value === null || Array.isArray(value)) rows.push({ line, data: null, errors: [{ line, field: '', reason: 'a line must hold one JSON object (a record)' }] });
        else {
          refuseUnstorableInput(value, '');
          rows.push({ line, data: value as RecordData, errors: [] });
        }
      } catch (err) {
        if (err instanceof Problem) {
          rows.push({ line, data: null, errors: (err.errors ?? []).map((e) => ({ line, field: e.pointer, reason: e.reason })) });
          return;
        }
        rows.push({ line, data: null, errors: [{ line, field: '', reason: `is not valid JSON: ${(err as Error).message}` }] });
      }
    });
    return { rows, fileErrors: [] };
  }
  let parsed: { line: number; cells: string[] }[];
  try {
    // Each record with the line it ends on, so errors point into the file as an editor shows it.
    const withLine = (cells: string[], context: { lines: number }) => ({ line: context.lines, cells });
    parsed = parse(content, { bom: true, skip_empty_lines: true, relax_column_count: false, on_record: withLine as never }) as unknown as typeof parsed;
  } catch (err) {
    return { rows: [], fileErrors: [{ line: (err as { lines?: number }).lines ?? 1, field: '', reason: `the file is not valid CSV: ${(err as Error).message}` }] };
  }
  const [header, ...body] = parsed;
  if (!header) return { rows: [], fileErrors: [{ line: 1, field: '', reason: 'the file is empty: its first line names the fields' }] };
  const columns = header.cells.map((c) => c.trim());
  const fileErrors: RowError[] = [];
  columns.forEach((name, i) => {
    if (!facts.fields.includes(name)) fileErrors.push({ line: 1, field: `/${name}`, reason: `"${name}" is not a field of the registry "${registry.code}"` });
    else if (columns.indexOf(name) !== i) fileErrors.push({ line: 1, field: `/${name}`, reason: 'this column is named twice' });
  });
  if (fileErrors.length > 0) return { rows: [], fileErrors };
  const properties = facts.schema.properties ?? {};
  const rows = body.map(({ line, cells }) => {
    const data: RecordData = {};
    columns.forEach((name, i) => {
      const value = typedCell(properties[name], cells[i] ?? '');
      if (value !== undefined) data[name] = value;
    });
    return { line, data, errors: [] };
  });
  return { rows, fileErrors };
}

/**
 * Check every row: the writer may write its fields, it fits the schema, and its key is neither
 * on another line nor (except from this very import) already in the registry.
 */
async function checkRows(db: Db, registry: Registry, importId: string | null, rows: Row[], writable: ReadonlySet<string> | null, onProgress: (checked: number, errors: number) => Promise<void>): Promise<number> {
  const facts = factsOf(registry.definition);
  const validate = recordValidator(registry.id, registry.version, facts.schema);
  const keyLines = new Map<string, number>();
  let errors = 0;
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    for (const row of batch) {
      if (!row.data) continue;
      for (const field of Object.keys(row.data)) {
        if (writable && facts.fields.includes(field) && !writable.has(field)) row.errors.push({ line: row.line, field: `/${field}`, reason: 'you may not write this field' });
      }
      if (!validate(row.data)) row.errors.push(...invalidParams(validate.errors, '').map((e) => ({ line: row.line, field: e.pointer, reason: e.reason })));
      const key = facts.key ? row.data[facts.key] : undefined;
      if (key !== undefined && key !== null) {
        const earlier = keyLines.get(String(key));
        if (earlier !== undefined) row.errors.push({ line: row.line, field: `/${facts.key}`, reason: `the same ${facts.key} is on line ${earlier}` });
        else keyLines.set(String(key), row.line);
      }
    }
    if (facts.key) {
      const keys = batch.filter((r) => r.errors.length === 0 && r.data?.[facts.key!] !== undefined).map((r) => String(r.data![facts.key!]));
      const taken = await sql<{ key: string }>`
        SELECT data->>${sql.lit(facts.key)} AS key FROM registries_records
        WHERE registry_id = ${sql.lit(registry.id)}::uuid AND deleted_at IS NULL AND data->>${sql.lit(facts.key)} = ANY(${keys}::text[])
          AND import_id IS DISTINCT FROM ${importId}::uuid`.execute(db);
      const takenKeys = new Set(taken.rows.map((r) => r.key));
      for (const row of batch) {
        if (row.errors.length === 0 && takenKeys.has(String(row.data?.[facts.key]))) row.errors.push({ line: row.line, field: `/${facts.key}`, reason: `a record with this ${facts.key} is already in the registry` });
      }
    }
    errors += batch.filter((r) => r.errors.length > 0).length;
    const checked = Math.min(start + BATCH, rows.length);
    if (checked % PROGRESS_EVERY === 0 || checked === rows.length) await onProgress(checked, errors);
  }
  return errors;
}

/**
 * Write rows in one statement: the records (skipping lines this import already wrote, and keys
 * taken meanwhile) and, for a personal registry, their access-log entries. Returns the lines written.
 */
export async function insertBatch(executor: Executor, input: { registry: Registry; importId: string; rows: { line: number; data: RecordData }[]; actor: AuditActor; agencyId: string | null; reason: string }): Promise<number[]> {
  const { registry } = input;
  const facts = factsOf(registry.definition);
  const actor = JSON.stringify(input.actor);
  const payload = JSON.stringify(input.rows);
  const logged = facts.personal && facts.personField
    ? sql`, logged AS (
        INSERT INTO registries_access_log (registry_id, record_ref, person_id, action, fields, actor_type, actor_id, actor_name, agency_id, reason)
        SELECT ${registry.id}, id::text, data->>${sql.lit(facts.personField)}, 'create', ARRAY(SELECT jsonb_object_keys(data)),
               ${input.actor.type}, ${input.actor.id}, ${input.actor.name}, ${input.agencyId}, ${input.reason}
        FROM inserted WHERE coalesce(data->>${sql.lit(facts.personField)}, '') <> '')`
    : sql``;
  const result = await sql<{ line: number }>`
    WITH input AS (
      SELECT (e->>'line')::int AS line, e->'data' AS data FROM jsonb_array_elements(${payload}::jsonb) e
    ), inserted AS (
      INSERT INTO registries_records (id, registry_id, schema_version, data, created_by, updated_by, import_id, import_line)
      SELECT gen_random_uuid(), ${registry.id}, ${registry.version}, data, ${actor}::jsonb, ${actor}::jsonb, ${input.importId}, line FROM input
      ON CONFLICT DO NOTHING
      RETURNING id, import_line, data
    )${logged}
    SELECT import_line AS line FROM inserted`.execute(executor);
  return result.rows.map((r) => r.line);
}

async function linesAlreadyWritten(executor: Executor, importId: string, lines: number[]): Promise<Set<number>> {
  const result = await sql<{ line: number }>`SELECT import_line AS line FROM registries_records WHERE import_id = ${importId} AND import_line = ANY(${lines}::int[])`.execute(executor);
  return new Set(result.rows.map((r) => r.line));
}

/** After a large import the planner's statistics are stale; searches choose their indexes by them. */
async function refreshStatistics(db: Db, written: number): Promise<void> {
  if (written >= 10_000) await sql`ANALYZE registries_records`.execute(db);
}

/** Key clashes with records written after the rows were checked: reported like any other error. */
class RaceLost extends Error {
  constructor(readonly lines: number[]) {
    super('records with the same key were written while the import ran');
  }
}

interface ClaimedImport {
  registry_id: string;
  file_name: string;
  format: ImportFormat;
  mode: ImportMode;
  content: string;
  content_sha256: string;
  writable_fields: string[] | null;
  agency_id: string | null;
  created_by: AuditActor;
  request_id: string | null;
}

/** The job: check every row (reporting progress), then write as the import's mode says. */
export function importRunner(db: Db) {
  return async ({ importId }: { importId: string }) => {
    const claimed = await sql<ClaimedImport>`
      UPDATE registries_imports SET state = 'checking', checked_rows = 0, error_count = 0, errors = '[]'
      WHERE id = ${importId} AND state IN ('queued', 'checking', 'writing')
      RETURNING registry_id, file_name, format, mode, content, content_sha256, writable_fields, agency_id, created_by, request_id`.execute(db);
    const job = claimed.rows[0];
    if (!job) return;
    const registry = (await findRegistryById(db, job.registry_id))!;
    const finish = async (executor: Executor, state: 'done' | 'failed', errors: RowError[], errorCount: number) => {
      await sql`
        UPDATE registries_imports SET state = ${state}, errors = ${JSON.stringify(errors.slice(0, ERRORS_KEPT))}::jsonb, error_count = ${errorCount},
               written_rows = (SELECT count(*)::int FROM registries_records WHERE import_id = ${importId}), content = NULL, finished_at = now()
        WHERE id = ${importId}`.execute(executor);
    };

    const { rows, fileErrors } = parseRows(job.content, job.format, registry);
    if (fileErrors.length === 0 && rows.length === 0) fileErrors.push({ line: 1, field: '', reason: 'the file has no records' });
    if (rows.length > MAX_IMPORT_ROWS) fileErrors.push({ line: rows[MAX_IMPORT_ROWS]!.line, field: '', reason: `at most ${MAX_IMPORT_ROWS} records per file` });
    if (fileErrors.length > 0) return finish(db, 'failed', fileErrors, fileErrors.length);
    await sql`UPDATE registries_imports SET total_rows = ${rows.length} WHERE id = ${importId}`.execute(db);

    const writable = job.writable_fields ? new Set(job.writable_fields) : null;
    await checkRows(db, registry, importId, rows, writable, async (checked, errors) => {
      await sql`UPDATE registries_imports SET checked_rows = ${checked}, error_count = ${errors} WHERE id = ${importId}`.execute(db);
    });
    const errors = rows.flatMap((r) => r.errors);
    const good = rows.filter((r) => r.errors.length === 0).map((r) => ({ line: r.line, data: r.data! }));
    const badRows = rows.length - good.length;
    if (job.mode === 'all-or-nothing' && badRows > 0) return finish(db, 'failed', errors, badRows);

    await sql`UPDATE registries_imports SET state = 'writing' WHERE id = ${importId}`.execute(db);
    const reason = `Import of ${job.file_name}`;
    const write = (executor: Executor, batch: typeof good) => insertBatch(executor, { registry, importId, rows: batch, actor: job.created_by, agencyId: job.agency_id, reason });
    const progress = (written: number) => sql`UPDATE registries_imports SET written_rows = ${written} WHERE id = ${importId}`.execute(db);
    const audit = (executor: Executor, details: Record<string, unknown>) =>
      recordAudit(executor, { actor: job.created_by, agencyId: registry.agencyId, action: 'registries.import-records', subjectType: 'registry-import', subjectId: importId, requestId: job.request_id, details: { registry: registry.code, sha256: job.content_sha256, ...details } });

    if (job.mode === 'all-or-nothing') {
      try {
        await db.transaction().execute(async (trx) => {
          for (let start = 0; start < good.length; start += BATCH) {
            const batch = good.slice(start, start + BATCH);
            const written = new Set(await write(trx, batch));
            const lost = batch.filter((r) => !written.has(r.line)).map((r) => r.line);
            if (lost.length > 0) throw new RaceLost(lost);
            // Progress from outside the transaction, so a watcher sees it move.
            await progress(start + batch.length);
          }
          await audit(trx, { records: good.length });
          await finish(trx, 'done', [], 0);
        });
        await refreshStatistics(db, good.length);
      } catch (err) {
        if (!(err instanceof RaceLost)) throw err;
        await finish(db, 'failed', err.lines.map((line) => ({ line, field: '', reason: 'a record with the same key was written while the import ran' })), err.lines.length);
      }
      return;
    }

    const raced: RowError[] = [];
    for (let start = 0; start < good.length; start += BATCH) {
      const batch = good.slice(start, start + BATCH);
      await db.transaction().execute(async (trx) => {
        const before = await linesAlreadyWritten(trx, importId, batch.map((r) => r.line));
        const written = new Set(await write(trx, batch.filter((r) => !before.has(r.line))));
        const lost = batch.filter((r) => !before.has(r.line) && !written.has(r.line));
        raced.push(...lost.map((r) => ({ line: r.line, field: '', reason: 'a record with the same key was written while the import ran' })));
        if (written.size > 0) await audit(trx, { lines: [batch[0]!.line, batch[batch.length - 1]!.line], records: written.size });
      });
      await progress(start + batch.length - raced.length);
    }
    const all = [...errors, ...raced].sort((a, b) => a.line - b.line);
    await finish(db, 'done', all, badRows + raced.length);
    await refreshStatistics(db, good.length);
  };
}
