import { sha256 } from '../../../platform/crypto/password.ts';
import type { Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { canonicalJson } from '../../audit/canonical-json.ts';
import { applicationForStaff } from '../applications/act-on-application.ts';
import { applicationForApplicant, definitionOf, type RegistrationDeps } from '../applications/context.ts';
import { saveStep } from '../applications/draft-application.ts';
import { documentsOf, findApplication, type ApplicationRow } from '../applications/store.ts';
import { applyInOneStep, submitApplication } from '../applications/submit-application.ts';
import type { StoredDefinition } from '../definitions.ts';
import { eFormIdOf, isUuid } from './identifiers.ts';
import { parseDocumentUrl } from './map-applications.ts';
import type { ApplicationFileSubmitIn } from './schemas.ts';

interface Caller {
  principal: Principal;
  locale: string;
  requestId: string;
}

/**
 * GovStack's `applicantId` is "the user submitting this request" or someone they apply for. Ours
 * is a party: the caller's own (given as their user or party id), or one they hold a mandate for.
 */
export function onBehalfOf(principal: Principal, applicantId: string): string | undefined {
  if (applicantId === principal.id || applicantId === principal.partyId) return undefined;
  if (!isUuid(applicantId)) throw Problem.invalidField('/body/applicantId', 'is neither your user or party id nor the party id of someone you act for', 'applicant');
  return applicantId.toLowerCase();
}

function checkEForm(body: ApplicationFileSubmitIn, serviceId: string, version: number): void {
  const expected = eFormIdOf(serviceId, version);
  const given = body.formData?.eFormId;
  if (given !== undefined && given !== expected) throw Problem.conflict(`This file is made on the form ${expected}, not ${given}: fetch that form and send its data.`);
}

/** The file, when the caller is its applicant (or acts for them); null when they are not, so staff may be asked next. */
export async function applicantsFile(deps: RegistrationDeps, principal: Principal, fileId: string): Promise<ApplicationRow | null> {
  return applicationForApplicant(deps.db, principal, fileId).catch((err: unknown) => {
    if (err instanceof Problem && err.status === 404) return null;
    throw err;
  });
}

/** The key that makes a retry return the first result: the client's, or the request itself. */
function idempotencyKeyOf(serviceId: string, body: ApplicationFileSubmitIn, given: string | undefined): string {
  return given ?? `sha256:${sha256(canonicalJson({ serviceId, ...body }))}`;
}

/** The one draft the document URLs point to, each URL naming one of its documents. */
async function draftOfDocuments(deps: RegistrationDeps, caller: Caller, urls: string[]): Promise<ApplicationRow> {
  const parsed = urls.map(parseDocumentUrl);
  const bad = parsed.findIndex((p) => p === null);
  if (bad >= 0) throw Problem.invalidField(`/body/documentUrls/${bad}`, 'is not the url of a document POST /documents returned', 'documentUrl');
  const fileIds = new Set(parsed.map((p) => p!.fileId));
  if (fileIds.size > 1) throw Problem.invalidField('/body/documentUrls', 'belong to different application files; an application is one file', 'documentUrl');
  const draft = await applicationForApplicant(deps.db, caller.principal, [...fileIds][0]!);
  const present = new Set((await documentsOf(deps.db, draft.id)).map((d) => d.id));
  const missing = parsed.findIndex((p) => !present.has(p!.documentId));
  if (missing >= 0) throw Problem.invalidField(`/body/documentUrls/${missing}`, 'is no longer a document of this file', 'documentUrl');
  return draft;
}

/**
 * Save answers into a draft, step by step, as the applicant would page through the form. A step
 * keeps the answers already saved that were not sent again; send null to clear one.
 */
async function saveAnswers(deps: RegistrationDeps, caller: Caller, draft: ApplicationRow, data: Record<string, unknown>): Promise<void> {
  const definition = await definitionOf(deps.db, draft.service_id, draft.service_version);
  const known = new Set(definition.form.steps.flatMap((s) => s.fields.map((f) => f.id)));
  const unknown = Object.keys(data).filter((k) => !known.has(k));
  if (unknown.length > 0) throw Problem.badRequest(`Unknown fields: ${unknown.join(', ')}.`, unknown.map((k) => ({ pointer: `/body/formData/data/${k}`, reason: 'is not a field of this service', code: 'unknown' })));
  for (const step of definition.form.steps) {
    if (!step.fields.some((f) => f.id in data)) continue;
    const answers = Object.fromEntries(step.fields.map((f) => [f.id, f.id in data ? data[f.id] : draft.data[f.id]]));
    await saveStep(deps, { applicationId: draft.id, stepId: step.id, answers, principal: caller.principal, requestId: caller.requestId });
  }
}

/**
 * Create and submit a file. Without documents it is one idempotent call (`applyInOneStep`).
 * With documents, POST /documents has opened a draft and filed them in it; the URLs name that
 * draft, which gets the answers and is submitted, and submitting it again changes nothing.
 */
export async function submitFile(deps: RegistrationDeps, caller: Caller, input: { service: StoredDefinition; body: ApplicationFileSubmitIn; idempotencyKey: string | undefined }): Promise<ApplicationRow> {
  const { service, body } = input;
  const applicant = onBehalfOf(caller.principal, body.applicantId);
  const data = body.formData?.data ?? {};
  const urls = body.documentUrls ?? [];
  if (urls.length === 0) {
    checkEForm(body, service.serviceId, service.version);
    const { application } = await applyInOneStep(deps, {
      serviceId: service.serviceId,
      data,
      principal: caller.principal,
      onBehalfOf: applicant,
      idempotencyKey: idempotencyKeyOf(service.serviceId, body, input.idempotencyKey),
      locale: caller.locale,
      requestId: caller.requestId,
    });
    return application;
  }
  const draft = await draftOfDocuments(deps, caller, urls);
  if (draft.service_id !== service.serviceId) throw Problem.invalidField('/body/documentUrls', 'belong to a file of another service', 'documentUrl');
  if (draft.applicant_party_id !== (applicant ?? caller.principal.partyId)) throw Problem.invalidField('/body/applicantId', 'is not the applicant of the file the documents belong to', 'applicant');
  checkEForm(body, draft.service_id, draft.service_version);
  if (draft.status === 'submitted') return draft;
  await saveAnswers(deps, caller, draft, data);
  return submitApplication(deps, { applicationId: draft.id, principal: caller.principal, requestId: caller.requestId });
}

/**
 * PUT on a file: the applicant completing their draft. Operators do not rewrite what an applicant
 * declared; what they find goes into the inputs of the task they complete.
 */
export async function updateFile(deps: RegistrationDeps, caller: Caller, input: { fileId: string; body: ApplicationFileSubmitIn }): Promise<ApplicationRow> {
  const { db } = deps;
  const mine = await applicantsFile(deps, caller.principal, input.fileId);
  if (!mine) {
    await applicationForStaff(db, caller.principal, input.fileId);
    throw Problem.forbidden("The applicant's answers are theirs to give: an operator records findings as the inputs of the task they complete (POST /tasks/{taskId}/complete).");
  }
  if (mine.applicant_party_id !== (onBehalfOf(caller.principal, input.body.applicantId) ?? caller.principal.partyId)) throw Problem.invalidField('/body/applicantId', 'is not the applicant of this file', 'applicant');
  if (mine.status !== 'draft') throw Problem.conflict('This file was submitted; its answers can no longer change.');
  checkEForm(input.body, mine.service_id, mine.service_version);
  if (input.body.documentUrls?.length && (await draftOfDocuments(deps, caller, input.body.documentUrls)).id !== mine.id) throw Problem.invalidField('/body/documentUrls', 'belong to another file', 'documentUrl');
  await saveAnswers(deps, caller, mine, input.body.formData?.data ?? {});
  return (await findApplication(db, mine.id))!;
}
