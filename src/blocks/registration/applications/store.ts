import { sql } from 'kysely';
import type { Executor } from '../../../platform/db/database.ts';
import type { FeeLine, FormData, FormValue } from './form-engine.ts';

export interface ApplicationRow {
  id: string;
  service_id: string;
  service_version: number;
  agency_id: string;
  applicant_party_id: string;
  created_by: string;
  assisted_by: string | null;
  channel: 'online' | 'assisted';
  /** What the agent recorded before applying for a person who was present. */
  assisted_consent: AssistedConsent | null;
  status: 'draft' | 'submitted';
  data: FormData;
  /** Answers filled in from a registry, by field id, while the applicant has not changed them. */
  prefilled: Record<string, PrefilledAnswer>;
  fees: FeeLine[];
  tracking_number: string | null;
  idempotency_key: string | null;
  locale: string;
  created_at: Date;
  updated_at: Date;
  submitted_at: Date | null;
}

export interface PrefilledAnswer {
  registry: string;
  recordId: string;
  recordVersion: number;
  /** The consent the read relied on; null for a registry without personal data. */
  consentId: string | null;
  value: FormValue;
  at: string;
}

export interface AssistedConsent {
  /** The identity document the agent checked, and its number. */
  idDocument: string;
  idNumber: string;
  /** How the person gave consent: signed the paper form, said so aloud (witnessed), or a thumbprint. */
  method: 'signed-form' | 'verbal' | 'thumbprint';
  recordedAt: string;
}

export interface DocumentRow {
  id: string;
  application_id: string;
  document_type: string;
  blob_hash: string;
  file_name: string;
  media_type: string;
  size_bytes: number;
  uploaded_by: string;
  uploaded_at: Date;
}

export interface OutputRow {
  id: string;
  application_id: string;
  output_id: string;
  title: Record<string, string>;
  body: Record<string, string>;
  issued_at: Date;
  valid_until: Date | null;
  revoked_at: Date | null;
  /** The signed PDF in the e-signature block; null for documents issued unsigned. */
  document_id: string | null;
}

export async function findApplication(executor: Executor, id: string, forUpdate = false): Promise<ApplicationRow | undefined> {
  const result = await sql<ApplicationRow>`SELECT * FROM registration_applications WHERE id = ${id} ${forUpdate ? sql`FOR UPDATE` : sql``}`.execute(executor);
  return result.rows[0];
}

/** Several applications by id in one query (a worklist page), keyed by id. */
export async function findApplications(executor: Executor, ids: string[]): Promise<Map<string, ApplicationRow>> {
  if (ids.length === 0) return new Map();
  const result = await sql<ApplicationRow>`SELECT * FROM registration_applications WHERE id = ANY(${ids}::uuid[])`.execute(executor);
  return new Map(result.rows.map((row) => [row.id, row]));
}

export async function findByTrackingNumber(executor: Executor, trackingNumber: string): Promise<ApplicationRow | undefined> {
  const result = await sql<ApplicationRow>`SELECT * FROM registration_applications WHERE tracking_number = ${trackingNumber}`.execute(executor);
  return result.rows[0];
}

export async function findByIdempotencyKey(executor: Executor, createdBy: string, key: string): Promise<ApplicationRow | undefined> {
  const result = await sql<ApplicationRow>`SELECT * FROM registration_applications WHERE created_by = ${createdBy} AND idempotency_key = ${key}`.execute(executor);
  return result.rows[0];
}

/**
 * Applications a person made or that were made for them, newest first. Two index range scans
 * merged, rather than one OR that would read every application in the table.
 */
export async function applicationsOf(executor: Executor, who: { userId: string; partyId: string }, limit: number, before?: Date): Promise<ApplicationRow[]> {
  const older = before ? sql`AND created_at < ${before}` : sql``;
  const result = await sql<ApplicationRow>`
    SELECT * FROM (
      (SELECT * FROM registration_applications WHERE applicant_party_id = ${who.partyId} ${older} ORDER BY created_at DESC LIMIT ${limit})
      UNION
      (SELECT * FROM registration_applications WHERE created_by = ${who.userId} ${older} ORDER BY created_at DESC LIMIT ${limit})
    ) AS theirs
    ORDER BY created_at DESC LIMIT ${limit}`.execute(executor);
  return result.rows;
}

export async function documentsOf(executor: Executor, applicationId: string): Promise<DocumentRow[]> {
  const result = await sql<DocumentRow>`
    SELECT * FROM registration_documents WHERE application_id = ${applicationId} AND removed_at IS NULL ORDER BY uploaded_at, id`.execute(executor);
  return result.rows;
}

export async function outputsOf(executor: Executor, applicationId: string): Promise<OutputRow[]> {
  const result = await sql<OutputRow>`SELECT * FROM registration_outputs WHERE application_id = ${applicationId} ORDER BY issued_at`.execute(executor);
  return result.rows;
}
