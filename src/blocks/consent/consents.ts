import { createHash } from 'node:crypto';
import type { Db, Executor } from '../../platform/db/database.ts';
import { hasAnyRole, hasRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { recordAudit, type AuditActor } from '../audit/index.ts';
import { findAgencyByCode, findPartyById, listAgencies } from '../identity/index.ts';
import { factsOf, findRegistry } from '../registries/index.ts';
import { agreementsFor, consentsOf, findAgreement, findConsent, insertAgreement, insertConsent, liveConsent, markReplaced, markWithdrawn, type Agreement, type ConsentRecord } from './store.ts';

/** Staff who may record a consent given on paper, or a withdrawal, for the agency receiving the data. */
const RECIPIENT_STAFF = ['officer', 'agency-head'] as const;

export interface NewAgreement {
  code: string;
  purpose: string;
  names: Record<string, string>;
  descriptions?: Record<string, string>;
  registry: string;
  fields: string[];
  /** The agency that receives the data (and every agency below it). */
  recipient: string;
  service?: string | null;
  lawfulBasis?: string;
  /** How long a consent lasts unless withdrawn; none: until withdrawn. */
  validityDays?: number | null;
}

/** The national id of the signed-in person, from the party their account is. */
export async function nationalIdOf(executor: Executor, principal: Principal | null): Promise<string | null> {
  if (!principal?.partyId) return null;
  return (await findPartyById(executor, principal.partyId))?.national_id ?? null;
}

/** May this principal act for the agency receiving the data of this agreement? */
export function actsForRecipient(principal: Principal | null, agreement: Agreement): boolean {
  return hasRole(principal, 'admin', null) || hasAnyRole(principal, RECIPIENT_STAFF, agreement.recipientAgencyId);
}

/** The hash a consent record keeps of the agreement it was given to (GovStack's dataAgreementRevisionHash). */
function revisionHash(agreement: Omit<NewAgreement, 'recipient'> & { recipientAgencyId: string }): string {
  const snapshot = [agreement.code, agreement.purpose, agreement.names, agreement.descriptions ?? {}, agreement.registry, agreement.fields, agreement.recipientAgencyId, agreement.service ?? null, agreement.lawfulBasis ?? 'consent', agreement.validityDays ?? null];
  return createHash('sha1').update(JSON.stringify(snapshot)).digest('hex');
}

export async function createAgreement(db: Db, input: NewAgreement, acting: { principal: Principal | null; actor: AuditActor; requestId: string | null }): Promise<Agreement> {
  const agency = await findAgencyByCode(db, input.recipient);
  if (!agency) throw Problem.invalidField('/body/recipient', `no agency has code "${input.recipient}"`);
  if (acting.principal && !hasRole(acting.principal, 'admin', null) && !hasRole(acting.principal, 'agency-head', agency.id)) {
    throw Problem.forbidden('Only the head of the receiving agency (or an administrator) may set out what people consent to.');
  }
  const registry = await findRegistry(db, input.registry);
  if (!registry) throw Problem.invalidField('/body/registry', `no registry has code "${input.registry}"`);
  const fields = factsOf(registry.definition).fields;
  input.fields.forEach((field, i) => {
    if (!fields.includes(field)) throw Problem.invalidField(`/body/fields/${i}`, `"${field}" is not a field of "${registry.code}"`);
  });
  if (await findAgreement(db, input.code)) throw Problem.conflict(`An agreement with code "${input.code}" already exists.`);
  return db.transaction().execute(async (trx) => {
    const values = { ...input, descriptions: input.descriptions ?? {}, service: input.service ?? null, lawfulBasis: input.lawfulBasis ?? 'consent', validityDays: input.validityDays ?? null, recipientAgencyId: agency.id };
    const agreement = await insertAgreement(trx, { ...values, revisionHash: revisionHash(values), createdBy: acting.actor });
    await recordAudit(trx, { actor: acting.actor, agencyId: agency.id, action: 'consent.create-agreement', subjectType: 'consent-agreement', subjectId: agreement.code, requestId: acting.requestId, details: { purpose: agreement.purpose, registry: agreement.registry }, change: values });
    return agreement;
  });
}

export interface Giving {
  agreement: Agreement;
  personId: string;
  /** Who records it: the person, or staff of the receiving agency for a consent given on paper. */
  by: { actor: AuditActor; agencyId: string | null };
  /** Why staff record it (e.g. "signed form no. 12 at the counter"); null when the person gives it. */
  paperReason: string | null;
  /** Earlier than the agreement's own validity, if the person wishes. */
  expiresAt?: Date | null;
  requestId: string | null;
}

/**
 * Give consent. An active consent to the same agreement is kept as it is (giving twice changes
 * nothing); an expired one is replaced by the new one.
 */
export async function giveConsent(db: Db, giving: Giving): Promise<{ consent: ConsentRecord; created: boolean }> {
  const { agreement } = giving;
  if (!agreement.active) throw Problem.conflict('This agreement no longer takes new consents.');
  const limit = agreement.validityDays ? new Date(Date.now() + agreement.validityDays * 86_400_000) : null;
  if (giving.expiresAt && giving.expiresAt.getTime() <= Date.now()) throw Problem.invalidField('/body/expiresAt', 'must be in the future');
  const expiresAt = giving.expiresAt && (!limit || giving.expiresAt < limit) ? giving.expiresAt : limit;
  return db.transaction().execute(async (trx) => {
    const live = await liveConsent(trx, agreement.id, giving.personId);
    if (live?.status === 'active') return { consent: live, created: false };
    if (live) await markReplaced(trx, live.id);
    const consent = await insertConsent(trx, { agreement, personId: giving.personId, givenBy: giving.by.actor, givenByAgencyId: giving.by.agencyId, paperReason: giving.paperReason, expiresAt });
    await recordAudit(trx, {
      actor: giving.by.actor,
      agencyId: agreement.recipientAgencyId,
      action: 'consent.give',
      subjectType: 'consent',
      subjectId: consent.id,
      requestId: giving.requestId,
      details: { agreement: agreement.code, onPaper: giving.paperReason !== null, expiresAt: expiresAt?.toISOString() ?? null },
      change: { personId: giving.personId, paperReason: giving.paperReason },
    });
    return { consent, created: true };
  });
}

/** Withdraw a consent; withdrawing one already withdrawn changes nothing. */
export async function withdrawConsent(db: Db, input: { id: string; by: AuditActor; reason: string | null; requestId: string | null; mayWithdraw: (consent: ConsentRecord) => boolean }): Promise<ConsentRecord> {
  return db.transaction().execute(async (trx) => {
    const consent = await findConsent(trx, input.id, { forUpdate: true });
    if (!consent || !input.mayWithdraw(consent)) throw Problem.notFound('No consent you may withdraw has this id.');
    if (consent.withdrawnAt) return consent;
    const withdrawn = await markWithdrawn(trx, consent.id, input.by, input.reason);
    const agreement = (await findAgreement(trx, consent.agreementId))!;
    await recordAudit(trx, { actor: input.by, agencyId: agreement.recipientAgencyId, action: 'consent.withdraw', subjectType: 'consent', subjectId: consent.id, requestId: input.requestId, details: { agreement: agreement.code } });
    return withdrawn;
  });
}

export interface ConsentQuestion {
  personNationalId: string;
  /** The purpose an agreement names, e.g. `construction-permit`. */
  purpose: string;
  registry: string;
  fields: readonly string[];
  /** The agency that would receive the data: consent to it, or to an agency above it, covers it. */
  recipientAgencyId: string;
}

export type ConsentAnswer =
  | { allowed: true; consentId: string; agreement: string; expiresAt: Date | null }
  | { allowed: false; reason: 'no-consent' | 'expired' | 'withdrawn' };

/** The agreements one could consent to that would allow this use: same purpose and registry, every field, to the agency or one above it. */
export async function coveringAgreements(executor: Executor, question: Omit<ConsentQuestion, 'personNationalId'>): Promise<Agreement[]> {
  const agencies = await listAgencies(executor);
  const parents = new Map(agencies.map((a) => [a.id, a.parent_id]));
  const chain = new Set<string>();
  for (let id: string | null | undefined = question.recipientAgencyId; id && !chain.has(id); id = parents.get(id)) chain.add(id);
  return (await agreementsFor(executor, question.purpose, question.registry)).filter((a) => chain.has(a.recipientAgencyId) && question.fields.every((f) => a.fields.includes(f)));
}

/**
 * May this agency have these fields of this person's record for this purpose? Yes only with an
 * active consent to an agreement for that purpose and registry, covering every field, given to
 * the agency or one above it. Prefill and the mediator ask before they read.
 */
export async function checkConsent(executor: Executor, question: ConsentQuestion): Promise<ConsentAnswer> {
  const covering = await coveringAgreements(executor, question);
  if (covering.length === 0) return { allowed: false, reason: 'no-consent' };
  const records = await consentsOf(executor, question.personNationalId, { agreementIds: covering.map((a) => a.id) });
  const active = records.find((r) => r.status === 'active');
  if (active) return { allowed: true, consentId: active.id, agreement: covering.find((a) => a.id === active.agreementId)!.code, expiresAt: active.expiresAt };
  const latest = records[0];
  return { allowed: false, reason: !latest ? 'no-consent' : latest.status === 'withdrawn' ? 'withdrawn' : 'expired' };
}
