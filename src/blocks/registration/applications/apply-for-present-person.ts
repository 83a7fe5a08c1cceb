import type { Executor } from '../../../platform/db/database.ts';
import { hasRole, type Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { isLocale, translator } from '../../../platform/i18n/index.ts';
import { actorOf, recordAudit } from '../../audit/index.ts';
import { findPersonByNationalId } from '../../identity/index.ts';
import { currentDefinition } from '../definitions.ts';
import type { RegistrationDeps } from './context.ts';
import { phoneLocale, pickText } from './notify-people.ts';
import { findApplication, type ApplicationRow, type AssistedConsent } from './store.ts';
import { createAndSubmit } from './submit-application.ts';

export const AGENT_ROLE = 'agent';
/** The template of the SMS that gives the person their tracking number. */
export const TRACKING_NUMBER_SMS = 'assisted.tracking-number';

export interface PresentPerson {
  /** The national ID number read from the document the agent checked. */
  nationalId: string;
  idDocument: string;
  consentMethod: AssistedConsent['method'];
}

/**
 * An agent at a service centre or post office applies for the person in front of them: the person
 * is found by the ID the agent checked, the consent is recorded with the application and in the
 * audit chain, the application is theirs (they follow it online like any other) and marked as
 * assisted by this agent, and the tracking number goes to their phone by SMS in their language.
 */
export async function applyForPresentPerson(
  deps: RegistrationDeps,
  input: { serviceId: string; data: Record<string, unknown>; person: PresentPerson; principal: Principal; idempotencyKey: string; requestId: string },
): Promise<{ application: ApplicationRow; created: boolean; smsQueued: boolean }> {
  const { db } = deps;
  const current = await currentDefinition(db, input.serviceId);
  if (!current) throw Problem.notFound('No service open for applications has this id.');
  // A grant on an agency lets the agent assist with that agency's services (and those below it).
  if (!hasRole(input.principal, AGENT_ROLE, current.agencyId)) throw Problem.forbidden('Your agent role does not cover the services of this agency.');
  const person = await findPersonByNationalId(db, input.person.nationalId);
  if (!person?.party_id) throw Problem.invalidField('/body/person/nationalId', 'no one person holds an account with this national ID; register them first');
  const locale = isLocale(person.locale) ? person.locale : 'en';
  const consent: AssistedConsent = { idDocument: input.person.idDocument, idNumber: input.person.nationalId, method: input.person.consentMethod, recordedAt: new Date().toISOString() };
  let smsQueued = false;
  const result = await createAndSubmit(
    deps,
    {
      serviceId: input.serviceId,
      data: input.data,
      applicantPartyId: person.party_id,
      createdBy: person.id,
      assisted: { by: input.principal.id, consent },
      principal: input.principal,
      // Keys are per account; the agent's keys must not meet the person's own.
      idempotencyKey: `agent:${input.principal.id}:${input.idempotencyKey}`,
      locale,
      requestId: input.requestId,
    },
    async (trx, submitted) => {
      const actor = actorOf(input.principal);
      await recordAudit(trx, { actor, agencyId: submitted.agency_id, action: 'registration.record-assisted-consent', subjectType: 'application', subjectId: submitted.id, requestId: input.requestId, details: { person: person.id, ...consent } });
      if (!person.phone) return;
      const smsLocale = phoneLocale(person.locale);
      const body = translator(smsLocale)('assisted.sms.trackingNumber', { trackingNumber: submitted.tracking_number, service: pickText(current.document.title, smsLocale) });
      await deps.messenger.queue(trx, { channel: 'sms', to: person.phone, locale: smsLocale, body, about: { type: 'application', id: submitted.id }, agencyId: submitted.agency_id, template: TRACKING_NUMBER_SMS, dedupeKey: `assisted:${submitted.id}:tracking-number`, userId: person.id, actor, requestId: input.requestId });
      smsQueued = true;
    },
  );
  return { ...result, smsQueued };
}

/** An application this agent made for someone: they may follow it, and no other. */
export async function applicationForAssistant(executor: Executor, principal: Principal, id: string): Promise<ApplicationRow> {
  const application = await findApplication(executor, id);
  if (!application || application.assisted_by !== principal.id || !hasRole(principal, AGENT_ROLE)) throw Problem.notFound('No application you assisted has this id.');
  return application;
}
