import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../../platform/db/database.ts';
import { ExpressionError } from '../../../platform/expressions/index.ts';
import type { Principal } from '../../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../../audit/index.ts';
import { canActFor } from '../../identity/index.ts';
import { startCase } from '../../workflow/index.ts';
import { currentDefinition } from '../definitions.ts';
import type { ServiceDefinition } from '../definition/schema.ts';
import { agencyIdsOf, applicationForApplicant, definitionOf, type RegistrationDeps } from './context.ts';
import { FormInvalid } from './draft-application.ts';
import { checkAnswers, checkFindings, computeFees, visibleDocuments, visibleSteps, type FeeLine, type FormData } from './form-engine.ts';
import { fillTemplate, queueNotifications } from './notify-people.ts';
import { applyEffects } from './apply-effects.ts';
import { documentsOf, findApplication, findByIdempotencyKey, type ApplicationRow, type AssistedConsent } from './store.ts';
import { newTrackingNumber } from './tracking-number.ts';

export const APPLICATION_SUBMITTED = 'registration.application-submitted';

function documentsMissing(definition: ServiceDefinition, data: FormData, present: Set<string>): InvalidParam[] {
  return visibleDocuments(definition, data)
    .filter((rule) => rule.required !== false && !present.has(rule.id))
    .map((rule) => ({ pointer: `/documents/${rule.id}`, reason: 'this document is required', code: 'documentMissing' }));
}

function feesFor(definition: ServiceDefinition, data: FormData): FeeLine[] {
  try {
    return computeFees(definition, data);
  } catch (err) {
    if (err instanceof ExpressionError) throw new Problem(422, `The fee cannot be worked out from these answers: ${err.message}.`, { title: 'Fee cannot be computed' });
    throw err;
  }
}

/**
 * Submit a draft: every answer and document checked, fees worked out, a tracking number issued,
 * the workflow started, the audit entry written and the acknowledgement queued, in one
 * transaction. Submitting again (a double click, a retried request) returns the same result.
 */
export async function submitApplication(deps: RegistrationDeps, input: { applicationId: string; principal: Principal; requestId: string }): Promise<ApplicationRow> {
  return deps.db.transaction().execute(async (trx) => {
    const application = await applicationForApplicant(trx, input.principal, input.applicationId, true);
    if (application.status === 'submitted') return application;
    return submitLocked(deps, trx, application, input.principal, input.requestId);
  });
}

async function submitLocked(deps: RegistrationDeps, trx: Tx, application: ApplicationRow, principal: Principal, requestId: string): Promise<ApplicationRow> {
  const definition = await definitionOf(trx, application.service_id, application.service_version);
  const { data, errors } = checkAnswers(definition, application.data);
  if (errors.length > 0) throw new FormInvalid(errors);
  const present = new Set((await documentsOf(trx, application.id)).map((d) => d.document_type));
  const missing = documentsMissing(definition, data, present);
  if (missing.length > 0) throw Problem.badRequest(`Documents are missing: ${missing.map((m) => m.pointer.split('/').pop()).join(', ')}.`, missing);
  const blocking = checkFindings(definition, data).filter((f) => f.blocking);
  if (blocking.length > 0) {
    throw new Problem(422, `The answers break these rules: ${blocking.map((f) => fillTemplate(f.message.en ?? Object.values(f.message)[0]!, { ...data, ...f.values })).join(' ')}`, {
      title: 'Pre-check failed',
      extensions: { findings: blocking.map((f) => ({ check: f.id, values: f.values })) },
    });
  }
  const fees = feesFor(definition, data);
  const trackingNumber = await uniqueTrackingNumber(trx, definition.id);
  await sql`
    UPDATE registration_applications SET status = 'submitted', data = ${JSON.stringify(data)}::jsonb, fees = ${JSON.stringify(fees)}::jsonb,
           tracking_number = ${trackingNumber}, submitted_at = now(), updated_at = now()
    WHERE id = ${application.id}`.execute(trx);
  const actor = actorOf(principal);
  const started = await startCase({ trx, jobs: deps.jobs, definition, agencyIds: agencyIdsOf(trx), requestId, data }, { caseId: application.id, subjectType: 'application', subjectId: application.id, actor });
  await recordAudit(trx, { actor, agencyId: application.agency_id, action: 'registration.submit-application', subjectType: 'application', subjectId: application.id, requestId, details: { service: definition.id, version: definition.version, trackingNumber }, change: { data, fees } });
  const submitted = (await findApplication(trx, application.id))!;
  const initial = definition.workflow.initial;
  await queueNotifications(trx, deps.jobs, definition, submitted, { on: ['submitted'], explicit: [], vars: { state: initial }, key: 'submitted' });
  await applyEffects(deps, trx, definition, submitted, { caseId: application.id, from: initial, to: initial, actionId: null, effects: started.effects, outcome: started.outcome, inputs: {} }, requestId);
  await deps.jobs.emit(trx, APPLICATION_SUBMITTED, { applicationId: application.id, serviceId: definition.id, agencyId: application.agency_id, channel: application.channel, timeLimitDays: definition.timeLimitDays ?? null, at: new Date().toISOString() }, { dedupeKey: application.id });
  return submitted;
}

async function uniqueTrackingNumber(trx: Tx, serviceId: string): Promise<string> {
  for (;;) {
    const candidate = newTrackingNumber(serviceId);
    const taken = await sql`SELECT 1 FROM registration_applications WHERE tracking_number = ${candidate}`.execute(trx);
    if (taken.rows.length === 0) return candidate;
  }
}

/** Who applies and how: the signed-in applicant online, or an agent at a counter for the person present. */
export interface Applying {
  serviceId: string;
  data: Record<string, unknown>;
  applicantPartyId: string;
  createdBy: string;
  assisted: { by: string; consent: AssistedConsent } | null;
  principal: Principal;
  idempotencyKey: string;
  locale: string;
  requestId: string;
}

/**
 * Apply and submit in one call (API clients, assisted channels): answers for every step at once.
 * The idempotency key makes a retried request return the first result instead of a second application.
 */
export async function applyInOneStep(deps: RegistrationDeps, input: { serviceId: string; data: Record<string, unknown>; principal: Principal; onBehalfOf?: string | null; idempotencyKey: string; locale: string; requestId: string }): Promise<{ application: ApplicationRow; created: boolean }> {
  if (input.principal.kind !== 'user' || !input.principal.partyId) throw Problem.forbidden('Sign in with a personal or business account to apply.');
  const applicant = input.onBehalfOf ?? input.principal.partyId;
  if (!(await canActFor(deps.db, input.principal, applicant, input.serviceId))) throw Problem.forbidden('You hold no mandate to apply for this person or organisation.');
  return createAndSubmit(deps, { ...input, applicantPartyId: applicant, createdBy: input.principal.id, assisted: null });
}

/** Insert the application and submit it in one transaction; a repeated idempotency key returns the first one. */
export async function createAndSubmit(deps: RegistrationDeps, input: Applying, beforeCommit?: (trx: Tx, submitted: ApplicationRow) => Promise<void>): Promise<{ application: ApplicationRow; created: boolean }> {
  const { db } = deps;
  const earlier = await findByIdempotencyKey(db, input.createdBy, input.idempotencyKey);
  if (earlier) return { application: earlier, created: false };
  const current = await currentDefinition(db, input.serviceId);
  if (!current) throw Problem.notFound('No service open for applications has this id.');
  const known = new Set(current.document.form.steps.flatMap((s) => s.fields.map((f) => f.id)));
  const unknown = Object.keys(input.data).filter((k) => !known.has(k));
  if (unknown.length > 0) throw Problem.badRequest(`Unknown fields: ${unknown.join(', ')}.`, unknown.map((k) => ({ pointer: `/body/data/${k}`, reason: 'is not a field of this service' })));
  try {
    return await db.transaction().execute(async (trx) => {
      const id = randomUUID();
      const visible = visibleSteps(current.document, input.data as FormData);
      const raw = Object.fromEntries(visible.flatMap((s) => s.fields.map((f) => [f.id, input.data[f.id]] as const)));
      const channel = input.assisted ? 'assisted' : 'online';
      await sql`
        INSERT INTO registration_applications (id, service_id, service_version, agency_id, applicant_party_id, created_by, assisted_by, channel, assisted_consent, status, data, idempotency_key, locale)
        VALUES (${id}, ${current.serviceId}, ${current.version}, ${current.agencyId}, ${input.applicantPartyId}, ${input.createdBy}, ${input.assisted?.by ?? null}, ${channel},
                ${input.assisted ? JSON.stringify(input.assisted.consent) : null}::jsonb, 'draft', ${JSON.stringify(raw)}::jsonb, ${input.idempotencyKey}, ${input.locale})`.execute(trx);
      const draft = (await findApplication(trx, id, true))!;
      const submitted = await submitLocked(deps, trx, draft, input.principal, input.requestId);
      await beforeCommit?.(trx, submitted);
      return { application: submitted, created: true };
    });
  } catch (err) {
    // Two identical requests at once: the loser of the unique index returns the winner's result.
    if ((err as { code?: string }).code === '23505') {
      const winner = await findByIdempotencyKey(db, input.createdBy, input.idempotencyKey);
      if (winner) return { application: winner, created: false };
    }
    throw err;
  }
}
