import { createHash, randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { AuditActor } from '../audit/index.ts';
import { factsOf, type DefinitionFacts, type FieldRule, type RegistryDefinition } from './definition.ts';

export interface Registry {
  id: string;
  code: string;
  agencyId: string;
  version: number;
  definition: RegistryDefinition;
  rules: FieldRule[];
  createdAt: Date;
  updatedAt: Date;
}

export type RecordData = Record<string, unknown>;

export interface StoredRecord {
  id: string;
  registryId: string;
  schemaVersion: number;
  data: RecordData;
  version: number;
  createdAt: Date;
  createdBy: AuditActor;
  updatedAt: Date;
  updatedBy: AuditActor;
}

const REGISTRY_COLUMNS = sql`id, code, agency_id AS "agencyId", version, definition, rules, created_at AS "createdAt", updated_at AS "updatedAt"`;
const RECORD_COLUMNS = sql`id, registry_id AS "registryId", schema_version AS "schemaVersion", data, version, created_at AS "createdAt",
  created_by AS "createdBy", updated_at AS "updatedAt", updated_by AS "updatedBy"`;

export async function findRegistry(executor: Executor, code: string, opts: { forUpdate?: boolean } = {}): Promise<Registry | undefined> {
  const result = await sql<Registry>`SELECT ${REGISTRY_COLUMNS} FROM registries_registries WHERE code = ${code} ${opts.forUpdate ? sql`FOR UPDATE` : sql``}`.execute(executor);
  return result.rows[0];
}

export async function findRegistryById(executor: Executor, id: string): Promise<Registry | undefined> {
  const result = await sql<Registry>`SELECT ${REGISTRY_COLUMNS} FROM registries_registries WHERE id = ${id}`.execute(executor);
  return result.rows[0];
}

export async function listRegistries(executor: Executor): Promise<Registry[]> {
  const result = await sql<Registry>`SELECT ${REGISTRY_COLUMNS} FROM registries_registries ORDER BY code`.execute(executor);
  return result.rows;
}

export interface RegistryVersion {
  version: number;
  createdAt: Date;
  createdBy: AuditActor;
}

export async function registryVersions(executor: Executor, registryId: string): Promise<RegistryVersion[]> {
  const result = await sql<RegistryVersion>`
    SELECT version, created_at AS "createdAt", created_by AS "createdBy" FROM registries_versions WHERE registry_id = ${registryId} ORDER BY version DESC`.execute(executor);
  return result.rows;
}

export async function hasVersion(executor: Executor, registryId: string, version: number): Promise<boolean> {
  const result = await sql`SELECT 1 FROM registries_versions WHERE registry_id = ${registryId} AND version = ${version}`.execute(executor);
  return result.rows.length > 0;
}

/** Save a definition as the registry's new current version (creating the registry the first time). */
export async function saveDefinition(executor: Executor, input: { existing: Registry | undefined; agencyId: string; version: number; definition: RegistryDefinition; rules: FieldRule[]; actor: AuditActor }): Promise<Registry> {
  const { existing, definition } = input;
  const id = existing?.id ?? randomUUID();
  const json = JSON.stringify(definition);
  const rules = JSON.stringify(input.rules);
  const result = existing
    ? await sql<Registry>`
        UPDATE registries_registries SET agency_id = ${input.agencyId}, version = ${input.version}, definition = ${json}::jsonb, rules = ${rules}::jsonb, updated_at = now()
        WHERE id = ${id} RETURNING ${REGISTRY_COLUMNS}`.execute(executor)
    : await sql<Registry>`
        INSERT INTO registries_registries (id, code, agency_id, version, definition, rules)
        VALUES (${id}, ${definition.code}, ${input.agencyId}, ${input.version}, ${json}::jsonb, ${rules}::jsonb) RETURNING ${REGISTRY_COLUMNS}`.execute(executor);
  await sql`INSERT INTO registries_versions (registry_id, version, definition, created_by) VALUES (${id}, ${input.version}, ${json}::jsonb, ${JSON.stringify(input.actor)}::jsonb)`.execute(executor);
  return result.rows[0]!;
}

function indexName(kind: 'k' | 's', registryId: string, field: string): string {
  return `registries_${kind}_${createHash('md5').update(`${registryId}:${field}`).digest('hex').slice(0, 20)}`;
}

/**
 * The indexes a definition asks for, made in the transaction that saves it: a unique index on the
 * key, and on each searchable field an index of its lower-cased text (for exact and "starts
 * with" matches), both partial to the registry's live records. Field names are checked against
 * FIELD_NAME and registry ids are ours, so they are safe as literals (DDL takes no parameters).
 */
export async function syncIndexes(executor: Executor, registryId: string, before: DefinitionFacts | null, after: DefinitionFacts): Promise<void> {
  const scope = sql.raw(`registry_id = '${registryId}'::uuid AND deleted_at IS NULL`);
  for (const field of before?.searchable ?? []) {
    if (!after.searchable.includes(field)) await sql`DROP INDEX IF EXISTS ${sql.id(indexName('s', registryId, field))}`.execute(executor);
  }
  if (before?.key && before.key !== after.key) await sql`DROP INDEX IF EXISTS ${sql.id(indexName('k', registryId, before.key))}`.execute(executor);
  for (const field of after.searchable) {
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(indexName('s', registryId, field))} ON registries_records (lower(data->>${sql.lit(field)}) text_pattern_ops) WHERE ${scope}`.execute(executor);
  }
  if (after.key) {
    await sql`CREATE UNIQUE INDEX IF NOT EXISTS ${sql.id(indexName('k', registryId, after.key))} ON registries_records ((data->>${sql.lit(after.key)})) WHERE ${scope}`.execute(executor);
  }
}

// ------------------------------------------------------------------------------------------
// Records

export interface RecordFilter {
  /** Fields equal to these values (JSON equality: 12 is not "12"). */
  match?: RecordData;
  /** Any of these fields starts with this text, in any case. */
  prefix?: { fields: string[]; text: string };
}

const likePrefix = (text: string) => `${text.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;

/**
 * The conditions for a filter, written so the planner can use the registry's indexes: the
 * registry id and field names as literals (they match the partial indexes' own expressions),
 * values as parameters.
 */
function filterConditions(registry: Registry, filter: RecordFilter): RawBuilder<unknown> {
  const facts = factsOf(registry.definition);
  const conditions: RawBuilder<unknown>[] = [sql`registry_id = ${sql.lit(registry.id)}::uuid`, sql`deleted_at IS NULL`];
  for (const [field, value] of Object.entries(filter.match ?? {})) {
    const name = sql.lit(field);
    conditions.push(sql`data->${name} = ${JSON.stringify(value)}::jsonb`);
    const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    if (scalar && field === facts.key) conditions.push(sql`data->>${name} = ${String(value)}`);
    else if (scalar && facts.searchable.includes(field)) conditions.push(sql`lower(data->>${name}) = ${String(value).toLowerCase()}`);
  }
  if (filter.prefix && filter.prefix.fields.length > 0) {
    const pattern = likePrefix(filter.prefix.text);
    conditions.push(sql`(${sql.join(filter.prefix.fields.map((f) => sql`lower(data->>${sql.lit(f)}) LIKE ${pattern}`), sql` OR `)})`);
  }
  return sql.join(conditions, sql` AND `);
}

export interface RecordPage {
  /** Keyset paging on the record id; `offset` for clients that count pages. */
  after?: string;
  offset?: number;
  limit: number;
  descending?: boolean;
  /** Oldest record first, instead of by id. */
  oldestFirst?: boolean;
}

export async function findRecords(executor: Executor, registry: Registry, filter: RecordFilter, page: RecordPage): Promise<StoredRecord[]> {
  const after = page.after ? (page.descending ? sql`AND id < ${page.after}` : sql`AND id > ${page.after}`) : sql``;
  const order = page.oldestFirst ? sql`created_at, id` : page.descending ? sql`id DESC` : sql`id`;
  const result = await sql<StoredRecord>`
    SELECT ${RECORD_COLUMNS} FROM registries_records WHERE ${filterConditions(registry, filter)} ${after}
    ORDER BY ${order} LIMIT ${page.limit} OFFSET ${page.offset ?? 0}`.execute(executor);
  return result.rows;
}

export async function countRecords(executor: Executor, registry: Registry, filter: RecordFilter): Promise<number> {
  const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM registries_records WHERE ${filterConditions(registry, filter)}`.execute(executor);
  return result.rows[0]?.n ?? 0;
}

export async function findRecord(executor: Executor, registry: Registry, id: string, opts: { forUpdate?: boolean } = {}): Promise<StoredRecord | undefined> {
  const result = await sql<StoredRecord>`
    SELECT ${RECORD_COLUMNS} FROM registries_records WHERE id = ${id} AND registry_id = ${registry.id} AND deleted_at IS NULL ${opts.forUpdate ? sql`FOR UPDATE` : sql``}`.execute(executor);
  return result.rows[0];
}

export async function insertRecord(executor: Executor, input: { id?: string; registry: Registry; data: RecordData; actor: AuditActor }): Promise<StoredRecord> {
  const actor = JSON.stringify(input.actor);
  const result = await sql<StoredRecord>`
    INSERT INTO registries_records (id, registry_id, schema_version, data, created_by, updated_by)
    VALUES (${input.id ?? randomUUID()}, ${input.registry.id}, ${input.registry.version}, ${JSON.stringify(input.data)}::jsonb, ${actor}::jsonb, ${actor}::jsonb)
    RETURNING ${RECORD_COLUMNS}`.execute(executor);
  return result.rows[0]!;
}

/** Replace a record's data, keeping the version it supersedes. */
export async function replaceRecord(executor: Executor, input: { registry: Registry; record: StoredRecord; data: RecordData; actor: AuditActor }): Promise<StoredRecord> {
  const { record } = input;
  await sql`
    INSERT INTO registries_record_versions (record_id, version, schema_version, data, written_at, written_by)
    VALUES (${record.id}, ${record.version}, ${record.schemaVersion}, ${JSON.stringify(record.data)}::jsonb, ${record.updatedAt}, ${JSON.stringify(record.updatedBy)}::jsonb)`.execute(executor);
  const result = await sql<StoredRecord>`
    UPDATE registries_records SET data = ${JSON.stringify(input.data)}::jsonb, schema_version = ${input.registry.version}, version = version + 1,
           updated_at = now(), updated_by = ${JSON.stringify(input.actor)}::jsonb
    WHERE id = ${record.id} RETURNING ${RECORD_COLUMNS}`.execute(executor);
  return result.rows[0]!;
}

export async function markDeleted(executor: Executor, record: StoredRecord, actor: AuditActor, reason: string): Promise<void> {
  await sql`UPDATE registries_records SET deleted_at = now(), deleted_by = ${JSON.stringify(actor)}::jsonb, delete_reason = ${reason} WHERE id = ${record.id}`.execute(executor);
}

export interface RecordVersion {
  version: number;
  schemaVersion: number;
  data: RecordData;
  writtenAt: Date;
  writtenBy: AuditActor;
}

/** Every version of a record, newest first: the current one, then those it superseded. */
export async function recordHistory(executor: Executor, record: StoredRecord): Promise<RecordVersion[]> {
  const result = await sql<RecordVersion>`
    SELECT version, schema_version AS "schemaVersion", data, written_at AS "writtenAt", written_by AS "writtenBy"
    FROM registries_record_versions WHERE record_id = ${record.id} ORDER BY version DESC`.execute(executor);
  return [{ version: record.version, schemaVersion: record.schemaVersion, data: record.data, writtenAt: record.updatedAt, writtenBy: record.updatedBy }, ...result.rows];
}

// ------------------------------------------------------------------------------------------
// The access log

export type AccessAction = 'read' | 'search' | 'exists' | 'create' | 'update' | 'delete';

export interface AccessEntry {
  registryId: string;
  recordRef: string;
  personId: string;
  action: AccessAction;
  fields: string[];
  actor: { type: string; id: string | null; name: string | null };
  agencyId: string | null;
  organisation?: { id: string; name: string } | null;
  via?: string | null;
  service?: string | null;
  caseId?: string | null;
  reason: string;
  at?: Date;
}

export async function logAccess(executor: Executor, entries: AccessEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map(
    (e) => sql`(${e.at ?? sql`now()`}, ${e.registryId}, ${e.recordRef}, ${e.personId}, ${e.action}, ${e.fields}::text[], ${e.actor.type}, ${e.actor.id}, ${e.actor.name},
                ${e.agencyId}, ${e.organisation?.id ?? null}, ${e.organisation?.name ?? null}, ${e.via ?? null}, ${e.service ?? null}, ${e.caseId ?? null}, ${e.reason})`,
  );
  await sql`
    INSERT INTO registries_access_log (at, registry_id, record_ref, person_id, action, fields, actor_type, actor_id, actor_name, agency_id,
                                       organisation_id, organisation_name, via, service, case_id, reason)
    VALUES ${sql.join(rows)}`.execute(executor);
}

export interface DataUse {
  id: number;
  at: Date;
  registry: { code: string; names: Record<string, string>; databaseId: string };
  recordRef: string;
  action: AccessAction;
  fields: string[];
  actor: { type: string; id: string | null; name: string | null };
  agencyId: string | null;
  organisation: { id: string; name: string } | null;
  via: string | null;
  service: string | null;
  caseId: string | null;
  reason: string;
}

/** Every read and write of a person's data, newest first (keyset on the log id). */
export async function dataUsesOf(executor: Executor, nationalId: string, opts: { before?: number; limit?: number; databaseId?: string } = {}): Promise<DataUse[]> {
  const result = await sql<DataUse>`
    SELECT l.id, l.at, jsonb_build_object('code', r.code, 'names', r.definition->'names', 'databaseId', coalesce(r.definition->>'databaseId', r.code)) AS registry,
           l.record_ref AS "recordRef", l.action, l.fields,
           jsonb_build_object('type', l.actor_type, 'id', l.actor_id, 'name', l.actor_name) AS actor, l.agency_id AS "agencyId",
           CASE WHEN l.organisation_id IS NULL THEN NULL ELSE jsonb_build_object('id', l.organisation_id, 'name', l.organisation_name) END AS organisation,
           l.via, l.service, l.case_id AS "caseId", l.reason
    FROM registries_access_log l JOIN registries_registries r ON r.id = l.registry_id
    WHERE l.person_id = ${nationalId}
      ${opts.before ? sql`AND l.id < ${opts.before}` : sql``}
      ${opts.databaseId ? sql`AND lower(coalesce(r.definition->>'databaseId', r.code)) = lower(${opts.databaseId})` : sql``}
    ORDER BY l.id DESC LIMIT ${opts.limit ?? 1000}`.execute(executor);
  return result.rows;
}

export interface DataUseSummary {
  agencyId: string | null;
  organisation: string | null;
  /** Only the platform itself, in no agency's name (it keeps its own line when the agency is unknown). */
  bySystem: boolean;
  uses: number;
  lastAt: Date;
}

/** How often each agency (or outside organisation) used a person's data, most recent first. */
export async function dataUseSummary(executor: Executor, nationalId: string): Promise<DataUseSummary[]> {
  const result = await sql<DataUseSummary>`
    SELECT agency_id AS "agencyId", organisation_name AS organisation, bool_and(actor_type = 'system') AS "bySystem", count(*)::int AS uses, max(at) AS "lastAt"
    FROM registries_access_log WHERE person_id = ${nationalId}
    GROUP BY agency_id, organisation_name, (agency_id IS NULL AND organisation_name IS NULL AND actor_type = 'system')
    ORDER BY max(at) DESC`.execute(executor);
  return result.rows;
}
