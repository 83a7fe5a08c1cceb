import { sql } from 'kysely';
import type { Executor } from '../../../platform/db/database.ts';
import type { Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { actorOf, recordAudit } from '../../audit/index.ts';
import { prefillFromRegistry, prefillOffer, type PrefillOffer, type PrefillQuestion, type PrefillResult } from '../../consent/index.ts';
import { findPartyById } from '../../identity/index.ts';
import type { FieldDefinition, StepDefinition } from '../definition/schema.ts';
import { applicationForApplicant, definitionOf, type RegistrationDeps } from './context.ts';
import { parseField, visibleFields, type FormData } from './form-engine.ts';
import type { ApplicationRow, PrefilledAnswer } from './store.ts';

/**
 * Form prefill from registries. The fields of a step that read the same registry by the same
 * answers form one group, filled in by one read when the applicant asks (never on merely opening
 * the page, so every read in the person's data-use log is one they chose).
 */
export interface PrefillGroup {
  /** `registry` and the matched answers, stable across requests: what the form posts back. */
  key: string;
  registry: string;
  /** Registry field → form field whose answer it must equal. */
  match: Record<string, string>;
  fields: FieldDefinition[];
}

export function prefillGroups(step: StepDefinition, data: FormData): PrefillGroup[] {
  const groups = new Map<string, PrefillGroup>();
  for (const field of visibleFields(step, data)) {
    if (!field.prefill) continue;
    const match = field.prefill.match ?? {};
    const key = [field.prefill.registry, ...Object.entries(match).map(([k, v]) => `${k}=${v}`).sort()].join(':');
    const group = groups.get(key) ?? { key, registry: field.prefill.registry, match, fields: [] };
    group.fields.push(field);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** A group the applicant could fill in now: every answer it matches on is given, and what is needed for the read. */
export interface StepPrefill {
  group: PrefillGroup;
  offer: PrefillOffer;
  /** Whether the person signed in is the one who would consent (not an architect acting for them). */
  mayConsent: boolean;
  /** Fields already filled in from the registry and unchanged. */
  filled: string[];
}

async function questionOf(executor: Executor, application: ApplicationRow, group: PrefillGroup): Promise<PrefillQuestion | null> {
  const match: Record<string, unknown> = {};
  for (const [registryField, formField] of Object.entries(group.match)) {
    const answer = application.data[formField];
    if (answer === undefined || answer === '') return null;
    match[registryField] = answer;
  }
  const party = await findPartyById(executor, application.applicant_party_id);
  return {
    registry: group.registry,
    fields: group.fields.map((f) => f.prefill!.field),
    match,
    personNationalId: party?.national_id ?? null,
    service: application.service_id,
    applicationId: application.id,
    recipientAgencyId: application.agency_id,
  };
}

/** What a step can fill in from registries, for its page. */
export async function stepPrefills(executor: Executor, application: ApplicationRow, step: StepDefinition, principal: Principal): Promise<StepPrefill[]> {
  const offers: StepPrefill[] = [];
  for (const group of prefillGroups(step, application.data)) {
    const question = await questionOf(executor, application, group);
    if (!question) continue;
    const offer = await prefillOffer(executor, question);
    const filled = group.fields.filter((f) => f.id in application.prefilled && application.prefilled[f.id]!.value === application.data[f.id]).map((f) => f.id);
    offers.push({ group, offer, mayConsent: principal.partyId === application.applicant_party_id, filled });
  }
  return offers;
}

/**
 * Fill in a group of a draft's step from its registry. `consent` is the applicant agreeing on the
 * form, which only the person themselves can do. A value the form would not accept (an option it
 * does not offer) is left for the applicant to answer.
 */
export async function prefillStep(deps: RegistrationDeps, input: { applicationId: string; stepId: string; group: string; consent: boolean; principal: Principal; requestId: string }): Promise<{ application: ApplicationRow; result: PrefillResult }> {
  const { db } = deps;
  const application = await applicationForApplicant(db, input.principal, input.applicationId);
  if (application.status !== 'draft') throw Problem.conflict('This application was submitted; its answers can no longer change.');
  const definition = await definitionOf(db, application.service_id, application.service_version);
  const step = definition.form.steps.find((s) => s.id === input.stepId);
  const group = step && prefillGroups(step, application.data).find((g) => g.key === input.group);
  if (!group) throw Problem.invalidField('/body/group', 'is not something this step can fill in from a registry', 'unknown');
  const question = await questionOf(db, application, group);
  if (!question) throw Problem.conflict('Answer the earlier questions this step looks the record up by first.');
  if (input.consent && input.principal.partyId !== application.applicant_party_id) throw Problem.forbidden('Only the applicant can agree to the use of their data.');
  const result = await prefillFromRegistry(db, question, { actor: actorOf(input.principal), ...(input.consent ? { consentingNow: { requestId: input.requestId } } : {}) });
  if (result.kind !== 'filled') return { application, result };
  return db.transaction().execute(async (trx) => {
    const current = await applicationForApplicant(trx, input.principal, input.applicationId, true);
    if (current.status !== 'draft') throw Problem.conflict('This application was submitted; its answers can no longer change.');
    const data: FormData = { ...current.data };
    const prefilled: Record<string, PrefilledAnswer> = { ...current.prefilled };
    const at = new Date().toISOString();
    for (const field of group.fields) {
      const parsed = parseField(field, result.values[field.prefill!.field]);
      if (parsed.value === undefined || parsed.error) continue;
      data[field.id] = parsed.value;
      prefilled[field.id] = { registry: group.registry, recordId: result.recordId, recordVersion: result.recordVersion, consentId: result.consentId, value: parsed.value, at };
    }
    await sql`UPDATE registration_applications SET data = ${JSON.stringify(data)}::jsonb, prefilled = ${JSON.stringify(prefilled)}::jsonb, updated_at = now() WHERE id = ${current.id}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(input.principal), agencyId: current.agency_id, action: 'registration.prefill', subjectType: 'application', subjectId: current.id, requestId: input.requestId, details: { registry: group.registry, record: result.recordId, fields: group.fields.map((f) => f.id), consent: result.consentId } });
    return { application: { ...current, data, prefilled }, result };
  });
}

/** Answers the applicant changed no longer count as coming from the registry. */
export function keptPrefills(prefilled: Record<string, PrefilledAnswer>, data: FormData): Record<string, PrefilledAnswer> {
  return Object.fromEntries(Object.entries(prefilled).filter(([field, answer]) => data[field] === answer.value));
}
