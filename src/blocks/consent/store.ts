import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { AuditActor } from '../audit/index.ts';

export interface Agreement {
  id: string;
  code: string;
  purpose: string;
  names: Record<string, string>;
  descriptions: Record<string, string>;
  registry: string;
  fields: string[];
  recipientAgencyId: string;
  service: string | null;
  lawfulBasis: string;
  validityDays: number | null;
  active: boolean;
  revisionHash: string;
  createdBy: AuditActor;
  createdAt: Date;
}

export type ConsentStatus = 'active' | 'expired' | 'withdrawn' | 'replaced';

export interface ConsentRecord {
  id: string;
  agreementId: string;
  personId: string;
  agreementHash: string;
  givenAt: Date;
  givenBy: AuditActor;
  givenByAgencyId: string | null;
  paperReason: string | null;
  expiresAt: Date | null;
  withdrawnAt: Date | null;
  withdrawnBy: AuditActor | null;
  withdrawalReason: string | null;
  replacedAt: Date | null;
  status: ConsentStatus;
}

const AGREEMENT_COLUMNS = sql`id, code, purpose, names, descriptions, registry, fields, recipient_agency_id AS "recipientAgencyId", service,
  lawful_basis AS "lawfulBasis", validity_days AS "validityDays", active, revision_hash AS "revisionHash", created_by AS "createdBy", created_at AS "createdAt"`;
// The status is worked out by the database's clock, the same one that stamps given_at.
const RECORD_COLUMNS = sql`id, agreement_id AS "agreementId", person_id AS "personId", agreement_hash AS "agreementHash", given_at AS "givenAt",
  given_by AS "givenBy", given_by_agency_id AS "givenByAgencyId", paper_reason AS "paperReason", expires_at AS "expiresAt",
  withdrawn_at AS "withdrawnAt", withdrawn_by AS "withdrawnBy", withdrawal_reason AS "withdrawalReason", replaced_at AS "replacedAt",
  CASE WHEN withdrawn_at IS NOT NULL THEN 'withdrawn' WHEN replaced_at IS NOT NULL THEN 'replaced'
       WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired' ELSE 'active' END AS status`;

export async function insertAgreement(executor: Executor, input: Omit<Agreement, 'id' | 'createdAt' | 'active'>): Promise<Agreement> {
  const result = await sql<Agreement>`
    INSERT INTO consent_agreements (id, code, purpose, names, descriptions, registry, fields, recipient_agency_id, service, lawful_basis, validity_days, revision_hash, created_by)
    VALUES (${randomUUID()}, ${input.code}, ${input.purpose}, ${JSON.stringify(input.names)}::jsonb, ${JSON.stringify(input.descriptions)}::jsonb, ${input.registry},
            ${input.fields}::text[], ${input.recipientAgencyId}, ${input.service}, ${input.lawfulBasis}, ${input.validityDays}, ${input.revisionHash}, ${JSON.stringify(input.createdBy)}::jsonb)
    RETURNING ${AGREEMENT_COLUMNS}`.execute(executor);
  return result.rows[0]!;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs: anything else is simply not found. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** An agreement by its code or id. */
export async function findAgreement(executor: Executor, codeOrId: string): Promise<Agreement | undefined> {
  const byId = isUuid(codeOrId);
  const result = await sql<Agreement>`SELECT ${AGREEMENT_COLUMNS} FROM consent_agreements WHERE ${byId ? sql`id = ${codeOrId}::uuid` : sql`code = ${codeOrId}`}`.execute(executor);
  return result.rows[0];
}

export async function listAgreements(executor: Executor, opts: { activeOnly?: boolean; offset?: number; limit?: number } = {}): Promise<Agreement[]> {
  const result = await sql<Agreement>`
    SELECT ${AGREEMENT_COLUMNS} FROM consent_agreements ${opts.activeOnly ? sql`WHERE active` : sql``}
    ORDER BY code LIMIT ${opts.limit ?? 1000} OFFSET ${opts.offset ?? 0}`.execute(executor);
  return result.rows;
}

export async function agreementsFor(executor: Executor, purpose: string, registry: string): Promise<Agreement[]> {
  const result = await sql<Agreement>`SELECT ${AGREEMENT_COLUMNS} FROM consent_agreements WHERE purpose = ${purpose} AND registry = ${registry} AND active`.execute(executor);
  return result.rows;
}

export async function findConsent(executor: Executor, id: string, opts: { forUpdate?: boolean } = {}): Promise<ConsentRecord | undefined> {
  const result = await sql<ConsentRecord>`SELECT ${RECORD_COLUMNS} FROM consent_records WHERE id = ${id} ${opts.forUpdate ? sql`FOR UPDATE` : sql``}`.execute(executor);
  return result.rows[0];
}

/** The record neither withdrawn nor replaced (active or expired), locked for a change. */
export async function liveConsent(executor: Executor, agreementId: string, personId: string): Promise<ConsentRecord | undefined> {
  const result = await sql<ConsentRecord>`
    SELECT ${RECORD_COLUMNS} FROM consent_records
    WHERE agreement_id = ${agreementId} AND person_id = ${personId} AND withdrawn_at IS NULL AND replaced_at IS NULL FOR UPDATE`.execute(executor);
  return result.rows[0];
}

export async function insertConsent(executor: Executor, input: { agreement: Agreement; personId: string; givenBy: AuditActor; givenByAgencyId: string | null; paperReason: string | null; expiresAt: Date | null }): Promise<ConsentRecord> {
  const result = await sql<ConsentRecord>`
    INSERT INTO consent_records (id, agreement_id, person_id, agreement_hash, given_by, given_by_agency_id, paper_reason, expires_at)
    VALUES (${randomUUID()}, ${input.agreement.id}, ${input.personId}, ${input.agreement.revisionHash}, ${JSON.stringify(input.givenBy)}::jsonb,
            ${input.givenByAgencyId}, ${input.paperReason}, ${input.expiresAt})
    RETURNING ${RECORD_COLUMNS}`.execute(executor);
  return result.rows[0]!;
}

export async function markReplaced(executor: Executor, id: string): Promise<void> {
  await sql`UPDATE consent_records SET replaced_at = now() WHERE id = ${id}`.execute(executor);
}

export async function markWithdrawn(executor: Executor, id: string, by: AuditActor, reason: string | null): Promise<ConsentRecord> {
  const result = await sql<ConsentRecord>`
    UPDATE consent_records SET withdrawn_at = now(), withdrawn_by = ${JSON.stringify(by)}::jsonb, withdrawal_reason = ${reason}
    WHERE id = ${id} RETURNING ${RECORD_COLUMNS}`.execute(executor);
  return result.rows[0]!;
}

/** A person's consents, newest first; optionally only for some agreements. */
export async function consentsOf(executor: Executor, personId: string, opts: { agreementIds?: string[]; offset?: number; limit?: number } = {}): Promise<ConsentRecord[]> {
  const result = await sql<ConsentRecord>`
    SELECT ${RECORD_COLUMNS} FROM consent_records WHERE person_id = ${personId}
      ${opts.agreementIds ? sql`AND agreement_id = ANY(${opts.agreementIds}::uuid[])` : sql``}
    ORDER BY given_at DESC, id LIMIT ${opts.limit ?? 1000} OFFSET ${opts.offset ?? 0}`.execute(executor);
  return result.rows;
}

/** Consents to these agreements (all people), newest first: what an agency verifies. */
export async function consentsTo(executor: Executor, agreementIds: string[], opts: { personId?: string; offset?: number; limit?: number } = {}): Promise<ConsentRecord[]> {
  const result = await sql<ConsentRecord>`
    SELECT ${RECORD_COLUMNS} FROM consent_records WHERE agreement_id = ANY(${agreementIds}::uuid[])
      ${opts.personId ? sql`AND person_id = ${opts.personId}` : sql``}
    ORDER BY given_at DESC, id LIMIT ${opts.limit ?? 100} OFFSET ${opts.offset ?? 0}`.execute(executor);
  return result.rows;
}
