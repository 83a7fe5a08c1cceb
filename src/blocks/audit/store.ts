import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

export interface AuditEntryView {
  id: number;
  occurredAt: Date;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  agencyId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  chainSeq: number | null;
}

export interface AuditFilter {
  /** Agencies the reader may see; 'all' for platform-wide readers. */
  agencies: Set<string> | 'all';
  agencyId?: string;
  action?: string;
  actorId?: string;
  subjectType?: string;
  subjectId?: string;
  from?: Date;
  to?: Date;
  /** Keyset pagination: entries with a smaller id than this. */
  beforeId?: number;
  limit: number;
}

/** Newest first. Readers limited to some agencies never see platform-wide entries (no agency). */
export async function findEntries(executor: Executor, filter: AuditFilter): Promise<AuditEntryView[]> {
  const conditions = [sql`true`];
  if (filter.agencies !== 'all') conditions.push(sql`agency_id = ANY(${[...filter.agencies]}::uuid[])`);
  if (filter.agencyId) conditions.push(sql`agency_id = ${filter.agencyId}`);
  if (filter.action) conditions.push(sql`action = ${filter.action}`);
  if (filter.actorId) conditions.push(sql`actor_id = ${filter.actorId}`);
  if (filter.subjectType) conditions.push(sql`subject_type = ${filter.subjectType}`);
  if (filter.subjectId) conditions.push(sql`subject_id = ${filter.subjectId}`);
  if (filter.from) conditions.push(sql`occurred_at >= ${filter.from}`);
  if (filter.to) conditions.push(sql`occurred_at < ${filter.to}`);
  if (filter.beforeId) conditions.push(sql`id < ${filter.beforeId}`);
  const result = await sql<AuditEntryView>`
    SELECT id, occurred_at AS "occurredAt", actor_type AS "actorType", actor_id AS "actorId", actor_name AS "actorName",
           agency_id AS "agencyId", action, subject_type AS "subjectType", subject_id AS "subjectId",
           request_id AS "requestId", details, chain_seq AS "chainSeq"
    FROM audit_entries WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY id DESC LIMIT ${filter.limit}`.execute(executor);
  return result.rows;
}

export async function distinctActions(executor: Executor): Promise<string[]> {
  const result = await sql<{ action: string }>`SELECT DISTINCT action FROM audit_entries ORDER BY action`.execute(executor);
  return result.rows.map((r) => r.action);
}
