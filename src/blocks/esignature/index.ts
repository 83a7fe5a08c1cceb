import type { Db, Executor, Tx } from '../../platform/db/database.ts';
import type { BlobStore } from '../../platform/files/blob-store.ts';
import type { App } from '../../platform/http/server.ts';
import type { AuditActor } from '../audit/index.ts';
import { AgencyKeys } from './agency-keys.ts';
import { issueDocument, storedPdf } from './documents.ts';
import { esignatureApiRoutes } from './routes.ts';
import { verifyPages } from '../../web/pages/verify-pages.tsx';

/** A key fact of an issued document, in the document's language: shown on /verify and signed. */
export interface DocumentFact {
  label: string;
  value: string;
}

export interface DocumentToSign {
  /** The issuing agency: its key signs. */
  agencyId: string;
  /** What it is: licence, permit, receipt, minutes… (lower-case letters, digits and dashes). */
  kind: string;
  /** What it is about, e.g. `application` + id, `invoice` + id. */
  subjectType: string;
  subjectId: string;
  /** A shipped locale (en, fr, ar); any other is rendered in English. */
  locale: string;
  title: string;
  /** Paragraphs separated by line breaks. */
  body: string;
  facts: DocumentFact[];
  holderName: string | null;
  issuedAt: Date;
  validUntil: Date | null;
  issuedBy: AuditActor;
  requestId: string | null;
}

export interface IssuedDocument {
  id: string;
  /** `${baseUrl}/verify/${id}`: what the QR code holds. */
  verifyUrl: string;
  sha256: string;
}

export interface Signer {
  /** Render, sign and record a document in the caller's transaction. */
  issue(trx: Tx, doc: DocumentToSign): Promise<IssuedDocument>;
  /** The signed PDF as issued; null when there is no such document. Callers check who may read it. */
  pdf(executor: Executor, id: string): Promise<{ bytes: Buffer; fileName: string } | null>;
}

export interface EsignatureDeps {
  db: Db;
  blobs: BlobStore;
  dataDir: string;
  baseUrl: string;
}

export { esignatureMigrations } from './migrations/index.ts';
export { agencyName, checkIssuedFile, documentIdOf, documentStatus, revokeDocument, type DocumentState, type DocumentStatus, type FileVerdict, type Revocation } from './documents.ts';
export { publishedKeys } from './agency-keys.ts';
export { DocumentIdParams } from './routes.ts';
export { verifyFile, VerifyUsageError, USAGE as VERIFY_USAGE_ERROR } from './verify-command.ts';
export { checkSealedPdf, type AgencyJwk, type DocumentPayload, type SealCheck, type SealProblem } from './seal.ts';

/** Signed documents: the signer unseals each agency key it uses once, and keeps it. */
export function createSigner(deps: EsignatureDeps): Signer {
  const keys = new AgencyKeys(deps.dataDir);
  return {
    issue: (trx, doc) => issueDocument({ blobs: deps.blobs, baseUrl: deps.baseUrl, keys }, trx, doc),
    pdf: (executor, id) => storedPdf(deps.blobs, executor, id),
  };
}

/** The public keys, key rotation, revocation and status API, and the /verify pages. */
export function esignatureRoutes(deps: EsignatureDeps & { signer: Signer; oidcLabel: string | null }) {
  return async (app: App) => {
    await app.register(esignatureApiRoutes(deps, new AgencyKeys(deps.dataDir)));
    // The pages belong to the web layer; app.ts registers this block's routes only, so they come along here.
    await app.register(verifyPages(deps, deps.oidcLabel));
  };
}
