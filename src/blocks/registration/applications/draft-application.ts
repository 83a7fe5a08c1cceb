import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { detectDocumentKind, DOCUMENT_MEDIA_TYPES } from '../../../platform/files/detect-type.ts';
import { actorOf, recordAudit } from '../../audit/index.ts';
import { canActFor } from '../../identity/index.ts';
import { currentDefinition } from '../definitions.ts';
import { applicationForApplicant, definitionOf, type RegistrationDeps } from './context.ts';
import { readStep, type FieldError } from './form-engine.ts';
import { keptPrefills } from './prefill-step.ts';
import { documentsOf, findApplication, type ApplicationRow, type DocumentRow } from './store.ts';

export class FormInvalid extends Problem {
  constructor(readonly fieldErrors: FieldError[]) {
    super(400, `Some answers need attention: ${fieldErrors.map((e) => `${e.field} ${e.reason}`).join('; ')}.`, {
      title: 'Invalid answers',
      errors: fieldErrors.map((e) => ({ pointer: `/body/data/${e.field}`, reason: e.reason, code: e.code, ...(e.params ? { params: e.params } : {}) })),
    });
  }
}

/**
 * Open a draft on the current version of a service; it stays on that version until decided. The
 * applicant is the person signed in, or a person or company they hold a mandate for.
 */
export async function startApplication(deps: RegistrationDeps, input: { serviceId: string; principal: Principal; onBehalfOf?: string | null; locale: string; requestId: string }): Promise<ApplicationRow> {
  const { db } = deps;
  const current = await currentDefinition(db, input.serviceId);
  if (!current) throw Problem.notFound('No service open for applications has this id.');
  if (input.principal.kind !== 'user' || !input.principal.partyId) throw Problem.forbidden('Sign in with a personal or business account to apply.');
  const applicant = input.onBehalfOf ?? input.principal.partyId;
  if (!(await canActFor(db, input.principal, applicant, input.serviceId))) throw Problem.forbidden('You hold no mandate to apply for this person or organisation.');
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO registration_applications (id, service_id, service_version, agency_id, applicant_party_id, created_by, status, locale)
      VALUES (${id}, ${current.serviceId}, ${current.version}, ${current.agencyId}, ${applicant}, ${input.principal.id}, 'draft', ${input.locale})`.execute(trx);
    await recordAudit(trx, { actor: actorOf(input.principal), agencyId: current.agencyId, action: 'registration.start-application', subjectType: 'application', subjectId: id, requestId: input.requestId, details: { service: current.serviceId, version: current.version, onBehalf: applicant !== input.principal.partyId } });
  });
  return (await findApplication(db, id))!;
}

/** Save the answers of one step of a draft (validated for that step only). */
export async function saveStep(deps: RegistrationDeps, input: { applicationId: string; stepId: string; answers: Record<string, unknown>; principal: Principal; requestId: string }): Promise<ApplicationRow> {
  return deps.db.transaction().execute(async (trx) => {
    const application = await applicationForApplicant(trx, input.principal, input.applicationId, true);
    if (application.status !== 'draft') throw Problem.conflict('This application was submitted; its answers can no longer change.');
    const definition = await definitionOf(trx, application.service_id, application.service_version);
    const step = definition.form.steps.find((s) => s.id === input.stepId);
    if (!step) throw Problem.notFound('This service has no such step.');
    const { data, errors } = readStep(step, input.answers, application.data);
    if (errors.length > 0) throw new FormInvalid(errors);
    const prefilled = keptPrefills(application.prefilled, data);
    await sql`UPDATE registration_applications SET data = ${JSON.stringify(data)}::jsonb, prefilled = ${JSON.stringify(prefilled)}::jsonb, updated_at = now() WHERE id = ${application.id}`.execute(trx);
    return { ...application, data, prefilled };
  });
}

export interface Upload {
  documentType: string;
  fileName: string;
  bytes: Buffer;
}

/** The kind of an uploaded file, read from its content, refused when empty, too large or not of a type accepted. */
export async function checkFile(upload: Upload, rule: { accept: readonly string[]; maxSizeMb: number }, pointer: string): Promise<string> {
  if (upload.bytes.length === 0) throw Problem.invalidField(pointer, 'the file is empty', 'fileEmpty');
  if (upload.bytes.length > rule.maxSizeMb * 1_048_576) throw Problem.invalidField(pointer, `the file is larger than ${rule.maxSizeMb} MB`, 'fileTooLarge', { max: rule.maxSizeMb });
  const kind = await detectDocumentKind(upload.bytes);
  if (!kind || !rule.accept.includes(kind)) {
    throw Problem.invalidField(pointer, `the file is ${kind ? `a ${kind.toUpperCase()} file` : 'not a file type we recognise'}; accepted: ${rule.accept.map((a) => a.toUpperCase()).join(', ')}`, 'fileType');
  }
  return kind;
}

/** A safe stored name for an uploaded file. */
export function storedFileName(fileName: string, fallback: string): string {
  return fileName.replace(/[\\/\0]/g, '_').slice(0, 200) || fallback;
}

/** Attach a file to a draft (or to an answer), checked by its content and the definition's limits. */
export async function attachDocument(deps: RegistrationDeps, input: { applicationId: string; upload: Upload; principal: Principal; requestId: string; allowSubmitted?: boolean }): Promise<DocumentRow> {
  const { db, blobs } = deps;
  const application = await applicationForApplicant(db, input.principal, input.applicationId);
  if (application.status !== 'draft' && !input.allowSubmitted) throw Problem.conflict('This application was submitted; documents can only be added when an answer is asked for.');
  const definition = await definitionOf(db, application.service_id, application.service_version);
  const rule = (definition.documents ?? []).find((d) => d.id === input.upload.documentType);
  if (!rule) throw Problem.invalidField('/body/documentType', 'is not a document this service asks for', 'notAsked');
  const pointer = `/body/${input.upload.documentType}`;
  const kind = await checkFile(input.upload, rule, pointer);
  const existing = (await documentsOf(db, application.id)).filter((d) => d.document_type === rule.id);
  if (existing.length >= (rule.maxFiles ?? 1) && (rule.maxFiles ?? 1) > 1) throw Problem.invalidField(pointer, `at most ${rule.maxFiles} files`, 'fileCount', { max: rule.maxFiles ?? 1 });
  const stored = await blobs.put(input.upload.bytes);
  const id = randomUUID();
  const fileName = storedFileName(input.upload.fileName, `${rule.id}.${kind}`);
  await db.transaction().execute(async (trx) => {
    // With one file allowed, a new upload replaces the old one.
    if ((rule.maxFiles ?? 1) === 1) await sql`UPDATE registration_documents SET removed_at = now() WHERE application_id = ${application.id} AND document_type = ${rule.id} AND removed_at IS NULL`.execute(trx);
    await sql`
      INSERT INTO registration_documents (id, application_id, document_type, blob_hash, file_name, media_type, size_bytes, uploaded_by)
      VALUES (${id}, ${application.id}, ${rule.id}, ${stored.hash}, ${fileName}, ${DOCUMENT_MEDIA_TYPES[kind]!}, ${stored.size}, ${input.principal.id})`.execute(trx);
    await recordAudit(trx, { actor: actorOf(input.principal), agencyId: application.agency_id, action: 'registration.attach-document', subjectType: 'application', subjectId: application.id, requestId: input.requestId, details: { documentType: rule.id, size: stored.size, kind }, change: { blob: stored.hash } });
  });
  return (await documentsOf(db, application.id)).find((d) => d.id === id)!;
}

export async function removeDocument(deps: RegistrationDeps, input: { applicationId: string; documentId: string; principal: Principal; requestId: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const application = await applicationForApplicant(trx, input.principal, input.applicationId, true);
    if (application.status !== 'draft') throw Problem.conflict('Documents of a submitted application cannot be removed.');
    const result = await sql`UPDATE registration_documents SET removed_at = now() WHERE id = ${input.documentId} AND application_id = ${application.id} AND removed_at IS NULL`.execute(trx);
    if (Number(result.numAffectedRows ?? 0) === 0) throw Problem.notFound('No such document on this application.');
    await recordAudit(trx, { actor: actorOf(input.principal), agencyId: application.agency_id, action: 'registration.remove-document', subjectType: 'application', subjectId: application.id, requestId: input.requestId });
  });
}

/** Delete a draft the applicant no longer wants. */
export async function discardDraft(deps: RegistrationDeps, input: { applicationId: string; principal: Principal; requestId: string }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const application = await applicationForApplicant(trx, input.principal, input.applicationId, true);
    if (application.status !== 'draft') throw Problem.conflict('A submitted application is withdrawn, not discarded.');
    await sql`DELETE FROM registration_applications WHERE id = ${application.id}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(input.principal), agencyId: application.agency_id, action: 'registration.discard-draft', subjectType: 'application', subjectId: application.id, requestId: input.requestId });
  });
}

