import { randomUUID } from 'node:crypto';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { sha256Hex, type BlobStore } from '../../platform/files/blob-store.ts';
import { DEFAULT_LOCALE, isLocale } from '../../platform/i18n/index.ts';
import { renderPdf } from '../../platform/pdf/index.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { listAgencies, type Agency } from '../identity/index.ts';
import { agencyJwk, AgencyKeys, publishedKeys } from './agency-keys.ts';
import { documentPdf } from './document-pdf.ts';
import { checkSealedPdf, payloadText, sealPdf, signDetached, verifyPayload, type DocumentPayload } from './seal.ts';
import { findDocument, findKey, insertDocument, markRevoked, type DocumentRow } from './store.ts';
import type { DocumentFact, DocumentToSign, IssuedDocument } from './index.ts';

const KIND = /^[a-z][a-z0-9-]{0,39}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A document id as typed or scanned (any case, spaces around), or null when it cannot be one. */
export function documentIdOf(text: string): string | null {
  const id = text.trim().toLowerCase();
  return UUID.test(id) ? id : null;
}

async function agencyById(executor: Executor, id: string): Promise<Agency | undefined> {
  return (await listAgencies(executor)).find((a) => a.id === id);
}

/** An agency's name in a language, else in English, else its code. */
export function agencyName(agency: Pick<Agency, 'code' | 'names'>, locale: string): string {
  return agency.names[locale] ?? agency.names[DEFAULT_LOCALE] ?? agency.code;
}

/** Render, sign with the agency's key, store, and record a document, in the caller's transaction. */
export async function issueDocument(deps: { blobs: BlobStore; baseUrl: string; keys: AgencyKeys }, trx: Tx, doc: DocumentToSign): Promise<IssuedDocument> {
  if (!KIND.test(doc.kind)) throw new Error(`"${doc.kind}" is not a document kind: lower-case letters, digits and dashes`);
  const agency = await agencyById(trx, doc.agencyId);
  if (!agency) throw new Error(`there is no agency ${doc.agencyId} to issue the document`);
  const locale = isLocale(doc.locale) ? doc.locale : DEFAULT_LOCALE;
  const id = randomUUID();
  const verifyUrl = `${deps.baseUrl}/verify/${id}`;
  const facts = doc.facts.map(({ label, value }) => ({ label, value }));
  const content = await renderPdf(documentPdf({ id, locale, agencyName: agencyName(agency, locale), title: doc.title, body: doc.body, holderName: doc.holderName, facts, issuedAt: doc.issuedAt, validUntil: doc.validUntil, verifyUrl }));
  const payload: DocumentPayload = {
    v: 1,
    id,
    kind: doc.kind,
    agency: agency.code,
    issuedAt: doc.issuedAt.toISOString(),
    validUntil: doc.validUntil?.toISOString() ?? null,
    title: doc.title,
    holder: doc.holderName,
    locale,
    facts,
    pdfSha256: sha256Hex(content),
  };
  const text = payloadText(payload);
  const { kid, key } = await deps.keys.signingKey(trx, agency, doc.issuedBy, doc.requestId);
  const jws = await signDetached(text, key, kid);
  const file = sealPdf(content, text, jws);
  // Stored before the transaction commits: if it rolls back, an unreferenced blob is all that is left.
  const blob = await deps.blobs.put(file);
  const fileSha256 = sha256Hex(file);
  await insertDocument(trx, {
    id,
    agencyId: agency.id,
    kind: doc.kind,
    subjectType: doc.subjectType,
    subjectId: doc.subjectId,
    locale,
    title: doc.title,
    holderName: doc.holderName,
    facts,
    payload: text,
    jws,
    kid,
    pdfBlob: blob.hash,
    fileSha256,
    contentSha256: payload.pdfSha256,
    fileSize: file.length,
    issuedAt: doc.issuedAt,
    validUntil: doc.validUntil,
    issuedBy: doc.issuedBy,
  });
  await recordAudit(trx, {
    actor: doc.issuedBy,
    agencyId: agency.id,
    action: 'esignature.issue-document',
    subjectType: 'document',
    subjectId: id,
    requestId: doc.requestId,
    details: { kind: doc.kind, subjectType: doc.subjectType, subjectId: doc.subjectId, kid },
    change: payload,
  });
  return { id, verifyUrl, sha256: fileSha256 };
}

export async function storedPdf(blobs: BlobStore, executor: Executor, id: string): Promise<{ bytes: Buffer; fileName: string } | null> {
  const row = await findDocument(executor, id);
  if (!row) return null;
  const bytes = await blobs.get(row.pdfBlob);
  if (!bytes) throw new Error(`the PDF of document ${id} is missing from the blob store`);
  return { bytes, fileName: `${row.kind}-${row.id}.pdf` };
}

export type DocumentState = 'current' | 'expired' | 'revoked';

/** Where an issued document stands, for anyone who holds it; see `documentStatus`. */
export interface DocumentStatus {
  id: string;
  state: DocumentState;
  /** The agency's signature over what the register holds still verifies: nobody changed the record. */
  genuine: boolean;
  kind: string;
  title: string;
  holderName: string | null;
  /** The document's language: its title and facts are in it. */
  locale: string;
  facts: DocumentFact[];
  agency: { id: string; code: string; names: Record<string, string> };
  issuedAt: Date;
  validUntil: Date | null;
  revokedAt: Date | null;
  revocationReason: string | null;
  /** SHA-256 of the file as issued. */
  sha256: string;
}

function stateOf(row: DocumentRow, now: Date): DocumentState {
  if (row.revokedAt) return 'revoked';
  if (row.validUntil && row.validUntil.getTime() <= now.getTime()) return 'expired';
  return 'current';
}

/** Does the stored signature still hold over the stored payload, for this document? */
async function signatureHolds(executor: Executor, row: DocumentRow): Promise<DocumentPayload | null> {
  const key = await findKey(executor, row.kid);
  if (!key || key.agencyId !== row.agencyId) return null;
  const check = await verifyPayload(row.payload, row.jws, [agencyJwk(key)]);
  return check.valid && check.payload.id === row.id && check.payload.pdfSha256 === row.contentSha256 ? check.payload : null;
}

/** Genuine, current, expired or revoked, with its issuer, dates and key facts; null when no such document was issued. */
export async function documentStatus(executor: Executor, id: string, now = new Date()): Promise<DocumentStatus | null> {
  const row = await findDocument(executor, id);
  if (!row) return null;
  const [signed, agency] = await Promise.all([signatureHolds(executor, row), agencyById(executor, row.agencyId)]);
  // What is shown is what was signed; only a record that fails its signature falls back to its columns.
  return {
    id: row.id,
    state: stateOf(row, now),
    genuine: signed !== null,
    kind: row.kind,
    title: signed?.title ?? row.title,
    holderName: signed ? signed.holder : row.holderName,
    locale: row.locale,
    facts: signed?.facts ?? row.facts,
    agency: { id: row.agencyId, code: agency?.code ?? signed?.agency ?? '', names: agency?.names ?? {} },
    issuedAt: signed ? new Date(signed.issuedAt) : row.issuedAt,
    validUntil: signed ? (signed.validUntil ? new Date(signed.validUntil) : null) : row.validUntil,
    revokedAt: row.revokedAt,
    revocationReason: row.revokeReason,
    sha256: row.fileSha256,
  };
}

export interface Revocation {
  id: string;
  reason: string;
  actor: AuditActor;
  requestId: string | null;
}

/**
 * Revoke a document in the caller's transaction; revoking it again changes nothing (the first
 * reason and date stand). Callers check who may. Null when there is no such document.
 */
export async function revokeDocument(trx: Tx, revocation: Revocation): Promise<DocumentStatus | null> {
  const reason = revocation.reason.trim();
  if (reason === '') throw new Error('a revocation needs a reason');
  const marked = await markRevoked(trx, revocation.id, reason, revocation.actor);
  if (!marked) return null;
  if (marked.changed) {
    await recordAudit(trx, {
      actor: revocation.actor,
      agencyId: marked.row.agencyId,
      action: 'esignature.revoke-document',
      subjectType: 'document',
      subjectId: revocation.id,
      requestId: revocation.requestId,
      details: { kind: marked.row.kind, reason },
    });
  }
  return documentStatus(trx, revocation.id);
}

export type FileVerdict = { verdict: 'genuine' } | { verdict: 'altered' } | { verdict: 'other-document'; otherId: string | null };

/**
 * Is `file` exactly document `id` as issued? The whole file's hash must match, its embedded JWS
 * must verify with the agency's published key, and the payload must be this document. A file
 * genuinely sealed for another document says so; anything else has been altered.
 */
export async function checkIssuedFile(executor: Executor, id: string, file: Buffer): Promise<FileVerdict> {
  const row = await findDocument(executor, id);
  const seal = await checkSealedPdf(file, await publishedKeys(executor));
  if (seal.valid && seal.payload.id !== id) {
    const other = UUID.test(seal.payload.id) ? await findDocument(executor, seal.payload.id) : undefined;
    return { verdict: 'other-document', otherId: other ? other.id : null };
  }
  if (row && seal.valid && sha256Hex(file) === row.fileSha256) return { verdict: 'genuine' };
  return { verdict: 'altered' };
}
