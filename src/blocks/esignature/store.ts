import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { AuditActor } from '../audit/index.ts';
import type { DocumentFact } from './index.ts';
import type { PublicJwk } from './seal.ts';

// ---------------------------------------------------------------------------------------------
// Agency keys

export interface KeyRow {
  kid: string;
  agencyId: string;
  agencyCode: string;
  publicJwk: PublicJwk;
  sealedPrivateKey: string | null;
  kekId: string;
  createdAt: Date;
  retiredAt: Date | null;
}

const KEY_COLUMNS = sql`kid, agency_id AS "agencyId", agency_code AS "agencyCode", public_jwk AS "publicJwk",
  sealed_private_key AS "sealedPrivateKey", kek_id AS "kekId", created_at AS "createdAt", retired_at AS "retiredAt"`;

export async function currentKeyOf(executor: Executor, agencyId: string): Promise<KeyRow | undefined> {
  const result = await sql<KeyRow>`SELECT ${KEY_COLUMNS} FROM esignature_keys WHERE agency_id = ${agencyId} AND retired_at IS NULL`.execute(executor);
  return result.rows[0];
}

/** A new current key; nothing when the agency already has one (a concurrent first use). */
export async function insertKey(executor: Executor, key: Pick<KeyRow, 'kid' | 'agencyId' | 'agencyCode' | 'publicJwk' | 'sealedPrivateKey' | 'kekId'>): Promise<KeyRow | undefined> {
  const result = await sql<KeyRow>`
    INSERT INTO esignature_keys (kid, agency_id, agency_code, public_jwk, sealed_private_key, kek_id)
    VALUES (${key.kid}, ${key.agencyId}, ${key.agencyCode}, ${JSON.stringify(key.publicJwk)}::jsonb, ${key.sealedPrivateKey}, ${key.kekId})
    ON CONFLICT (agency_id) WHERE retired_at IS NULL DO NOTHING
    RETURNING ${KEY_COLUMNS}`.execute(executor);
  return result.rows[0];
}

/** Retire the agency's current key and erase its private half; returns the key ids retired. */
export async function retireCurrentKey(executor: Executor, agencyId: string): Promise<string[]> {
  const result = await sql<{ kid: string }>`
    UPDATE esignature_keys SET retired_at = now(), sealed_private_key = NULL
    WHERE agency_id = ${agencyId} AND retired_at IS NULL RETURNING kid`.execute(executor);
  return result.rows.map((r) => r.kid);
}

export async function listKeys(executor: Executor): Promise<KeyRow[]> {
  const result = await sql<KeyRow>`SELECT ${KEY_COLUMNS} FROM esignature_keys ORDER BY agency_code, created_at DESC, kid`.execute(executor);
  return result.rows;
}

export async function findKey(executor: Executor, kid: string): Promise<KeyRow | undefined> {
  const result = await sql<KeyRow>`SELECT ${KEY_COLUMNS} FROM esignature_keys WHERE kid = ${kid}`.execute(executor);
  return result.rows[0];
}

// ---------------------------------------------------------------------------------------------
// Issued documents

export interface DocumentRow {
  id: string;
  agencyId: string;
  kind: string;
  subjectType: string;
  subjectId: string;
  locale: string;
  title: string;
  holderName: string | null;
  facts: DocumentFact[];
  /** The signed canonical JSON, exactly as embedded in the file. */
  payload: string;
  jws: string;
  kid: string;
  pdfBlob: string;
  fileSha256: string;
  contentSha256: string;
  fileSize: number;
  issuedAt: Date;
  validUntil: Date | null;
  issuedBy: AuditActor;
  revokedAt: Date | null;
  revokedBy: AuditActor | null;
  revokeReason: string | null;
}

const DOCUMENT_COLUMNS = sql`id, agency_id AS "agencyId", kind, subject_type AS "subjectType", subject_id AS "subjectId", locale, title,
  holder_name AS "holderName", facts, payload, jws, kid, pdf_blob AS "pdfBlob", file_sha256 AS "fileSha256",
  content_sha256 AS "contentSha256", file_size AS "fileSize", issued_at AS "issuedAt", valid_until AS "validUntil",
  issued_by AS "issuedBy", revoked_at AS "revokedAt", revoked_by AS "revokedBy", revoke_reason AS "revokeReason"`;

export async function insertDocument(executor: Executor, row: Omit<DocumentRow, 'revokedAt' | 'revokedBy' | 'revokeReason'>): Promise<void> {
  await sql`
    INSERT INTO esignature_documents (id, agency_id, kind, subject_type, subject_id, locale, title, holder_name, facts, payload, jws, kid,
                                      pdf_blob, file_sha256, content_sha256, file_size, issued_at, valid_until, issued_by)
    VALUES (${row.id}, ${row.agencyId}, ${row.kind}, ${row.subjectType}, ${row.subjectId}, ${row.locale}, ${row.title}, ${row.holderName},
            ${JSON.stringify(row.facts)}::jsonb, ${row.payload}, ${row.jws}, ${row.kid}, ${row.pdfBlob}, ${row.fileSha256},
            ${row.contentSha256}, ${row.fileSize}, ${row.issuedAt}, ${row.validUntil}, ${JSON.stringify(row.issuedBy)}::jsonb)`.execute(executor);
}

export async function findDocument(executor: Executor, id: string): Promise<DocumentRow | undefined> {
  const result = await sql<DocumentRow>`SELECT ${DOCUMENT_COLUMNS} FROM esignature_documents WHERE id = ${id}`.execute(executor);
  return result.rows[0];
}

/** Mark a document revoked unless it already is; the row as it stands afterwards, and whether this call revoked it. */
export async function markRevoked(executor: Executor, id: string, reason: string, by: AuditActor): Promise<{ row: DocumentRow; changed: boolean } | undefined> {
  const result = await sql<DocumentRow>`
    UPDATE esignature_documents SET revoked_at = now(), revoked_by = ${JSON.stringify(by)}::jsonb, revoke_reason = ${reason}
    WHERE id = ${id} AND revoked_at IS NULL RETURNING ${DOCUMENT_COLUMNS}`.execute(executor);
  if (result.rows[0]) return { row: result.rows[0], changed: true };
  const row = await findDocument(executor, id);
  return row ? { row, changed: false } : undefined;
}
