import type { Db, Executor } from '../../platform/db/database.ts';
import type { AuditActor } from '../audit/index.ts';
import { findRegistry, readRecord, type RecordData, type Registry } from '../registries/index.ts';
import { checkConsent, coveringAgreements, giveConsent } from './consents.ts';
import type { Agreement } from './store.ts';

/**
 * Filling a form from a registry: the applicant's own record only (the registry's person field
 * must be their national id, so nobody can look up someone else's parcel by its number), and,
 * where the registry holds personal data, only with their consent to an agreement for this
 * service's purpose. Every read is logged for the person by the registries block.
 */
export interface PrefillQuestion {
  registry: string;
  /** Registry fields to fill in. */
  fields: readonly string[];
  /** Registry field → the value the applicant gave (a parcel number). */
  match: RecordData;
  /** The applicant's national id; a person or company without one cannot be matched. */
  personNationalId: string | null;
  /** The service (the purpose agreements name) and the draft the data goes into. */
  service: string;
  applicationId: string;
  /** The agency the application goes to: the recipient of the data. */
  recipientAgencyId: string;
}

export type PrefillOffer =
  /** Reading is allowed now: the consent in force, or none needed for a registry without personal data. */
  | { kind: 'ready'; registryNames: Record<string, string>; consent: { id: string; expiresAt: Date | null } | null }
  /** The applicant could agree to this agreement; until then nothing is read. */
  | { kind: 'needs-consent'; registryNames: Record<string, string>; agreement: Agreement; reason: 'no-consent' | 'expired' | 'withdrawn' }
  /** No agreement allows this use, or the applicant has no national id: the form is filled in by hand. */
  | { kind: 'unavailable'; registryNames: Record<string, string> | null };

export type PrefillResult =
  | { kind: 'filled'; values: RecordData; recordId: string; recordVersion: number; consentId: string | null }
  | { kind: 'not-found' }
  | Exclude<PrefillOffer, { kind: 'ready' }>;

/** What prefilling would need, without reading anything. */
export async function prefillOffer(executor: Executor, question: PrefillQuestion): Promise<PrefillOffer> {
  const registry = await findRegistry(executor, question.registry);
  if (!registry) return { kind: 'unavailable', registryNames: null };
  const registryNames = registry.definition.names;
  const personField = personFieldOf(registry);
  if (!personField) return { kind: 'ready', registryNames, consent: null };
  if (!question.personNationalId) return { kind: 'unavailable', registryNames };
  const asked = { purpose: question.service, registry: question.registry, fields: askedFields(question, personField), recipientAgencyId: question.recipientAgencyId };
  const answer = await checkConsent(executor, { ...asked, personNationalId: question.personNationalId });
  if (answer.allowed) return { kind: 'ready', registryNames, consent: { id: answer.consentId, expiresAt: answer.expiresAt } };
  const [agreement] = await coveringAgreements(executor, asked);
  return agreement ? { kind: 'needs-consent', registryNames, agreement, reason: answer.reason } : { kind: 'unavailable', registryNames };
}

/**
 * Read the applicant's record for the form. `consentingNow` is the applicant themselves agreeing
 * on the form: the consent is recorded (as on their consents page) before the read.
 */
export async function prefillFromRegistry(db: Db, question: PrefillQuestion, reader: { actor: AuditActor; consentingNow?: { requestId: string } }): Promise<PrefillResult> {
  let offer = await prefillOffer(db, question);
  if (offer.kind === 'needs-consent' && reader.consentingNow && question.personNationalId) {
    await giveConsent(db, { agreement: offer.agreement, personId: question.personNationalId, by: { actor: reader.actor, agencyId: null }, paperReason: null, requestId: reader.consentingNow.requestId });
    offer = await prefillOffer(db, question);
  }
  if (offer.kind !== 'ready') return offer;
  const registry = (await findRegistry(db, question.registry))!;
  const personField = personFieldOf(registry);
  const match = personField ? { ...question.match, [personField]: question.personNationalId } : question.match;
  const record = await readRecord(db, {
    registry,
    match,
    fields: personField ? askedFields(question, personField) : [...new Set([...question.fields, ...Object.keys(question.match)])],
    reader: { actor: reader.actor, agencyId: question.recipientAgencyId, via: 'form prefill' },
    purpose: { service: question.service, caseId: question.applicationId, reason: offer.consent ? 'Form prefill, with consent' : 'Form prefill' },
  });
  if (!record) return { kind: 'not-found' };
  return { kind: 'filled', values: record.data, recordId: record.id, recordVersion: record.version, consentId: offer.consent?.id ?? null };
}

function personFieldOf(registry: Registry): string | null {
  return registry.definition.personal ? (registry.definition.personField ?? null) : null;
}

/** The fields a consent must cover: those filled in, those matched on, and the person field itself. */
function askedFields(question: PrefillQuestion, personField: string): string[] {
  return [...new Set([...question.fields, ...Object.keys(question.match), personField])];
}
