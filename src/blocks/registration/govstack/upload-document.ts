import type { Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import type { RegistrationDeps } from '../applications/context.ts';
import { attachDocument, discardDraft, startApplication, type Upload } from '../applications/draft-application.ts';
import type { DocumentRow } from '../applications/store.ts';
import { isUuid } from './identifiers.ts';
import { openService } from './map-services.ts';
import { onBehalfOf } from './submit-file.ts';

/** What `additionalMetadata` may say: the file to add to, or the service to open a file for. */
export interface UploadMetadata {
  fileId?: string;
  serviceId?: string;
  applicantId?: string;
  documentType?: string;
}

const WHY =
  'Daftari keeps a document only inside an application file, filed as one of the documents its service asks for. ' +
  'Say where it goes in additionalMetadata, as JSON: {"fileId": "<your draft file>", "documentType": "<document id>"}, ' +
  'or {"serviceId": "<service>", "documentType": "<document id>"} to open a draft file for it (the answer names the file).';

export function parseMetadata(text: string | undefined): UploadMetadata {
  let parsed: unknown;
  try {
    parsed = text === undefined ? {} : JSON.parse(text);
  } catch {
    throw Problem.invalidField('/query/additionalMetadata', `is not JSON. ${WHY}`, 'metadata');
  }
  const fields = ['fileId', 'serviceId', 'applicantId', 'documentType'] as const;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.entries(parsed).some(([k, v]) => !(fields as readonly string[]).includes(k) || typeof v !== 'string')) {
    throw Problem.invalidField('/query/additionalMetadata', `must be an object of text fields: ${fields.join(', ')}. ${WHY}`, 'metadata');
  }
  return parsed as UploadMetadata;
}

/**
 * POST /documents: one file, filed in a draft as a document of its service (`attachDocument`,
 * which checks the type by content and the size). Naming a service instead of a file opens a
 * draft first; if the document is then refused, the empty draft is discarded again.
 */
export async function uploadDocument(deps: RegistrationDeps, caller: { principal: Principal; locale: string; requestId: string }, input: { metadata: UploadMetadata; uploads: Upload[] }): Promise<DocumentRow> {
  const { metadata, uploads } = input;
  const [upload, ...more] = uploads;
  if (!upload || more.length > 0) throw Problem.invalidField('/body/file', 'send exactly one file per request, in the part named "file"', 'fileCount');
  // The spec's part is `file`; a part named by its document type says the type itself.
  const documentType = upload.documentType === 'file' ? metadata.documentType : upload.documentType;
  if (!documentType) throw Problem.invalidField('/query/additionalMetadata/documentType', `is required. ${WHY}`, 'required');
  let fileId = metadata.fileId;
  let opened = false;
  if (fileId === undefined) {
    if (metadata.serviceId === undefined) throw Problem.badRequest(WHY);
    const service = await openService(deps.db, metadata.serviceId);
    if (!service) throw Problem.notFound('No service open for applications has this id.');
    const applicant = metadata.applicantId === undefined ? undefined : onBehalfOf(caller.principal, metadata.applicantId);
    fileId = (await startApplication(deps, { serviceId: service.serviceId, principal: caller.principal, onBehalfOf: applicant, locale: caller.locale, requestId: caller.requestId })).id;
    opened = true;
  } else if (!isUuid(fileId)) {
    throw Problem.notFound('No application of yours has this id.');
  }
  try {
    return await attachDocument(deps, { applicationId: fileId, upload: { ...upload, documentType }, principal: caller.principal, requestId: caller.requestId });
  } catch (err) {
    if (opened) await discardDraft(deps, { applicationId: fileId, principal: caller.principal, requestId: caller.requestId });
    throw err;
  }
}
