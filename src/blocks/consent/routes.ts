import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { actorOf } from '../audit/index.ts';
import { listAgencies } from '../identity/index.ts';
import { dataUsesOf } from '../registries/index.ts';
import { actsForRecipient, createAgreement, giveConsent, nationalIdOf, withdrawConsent } from './consents.ts';
import { consentsOf, findAgreement, listAgreements, type Agreement, type ConsentRecord } from './store.ts';

const Slug = Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$' });
const Text = Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 2000 }), { additionalProperties: false });
export const NationalId = Type.String({ pattern: '^[A-Za-z0-9-]{2,40}$', description: 'National id of the person' });
const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });

const AgreementOut = Type.Object({
  code: Type.String(),
  purpose: Type.String(),
  names: Text,
  descriptions: Text,
  registry: Type.String(),
  fields: Type.Array(Type.String()),
  recipient: Type.String({ description: 'Code of the agency receiving the data' }),
  service: Type.Union([Type.String(), Type.Null()]),
  lawfulBasis: Type.String(),
  validityDays: Type.Union([Type.Integer(), Type.Null()]),
  active: Type.Boolean(),
});

const ConsentOut = Type.Object({
  id: Type.String(),
  agreement: Type.String(),
  person: Type.String(),
  status: Type.String({ description: 'active, expired, withdrawn, or replaced (given again after it expired)' }),
  givenAt: DateTime,
  expiresAt: Type.Union([DateTime, Type.Null()]),
  withdrawnAt: Type.Union([DateTime, Type.Null()]),
  paperReason: Type.Union([Type.String(), Type.Null()], { description: 'When an agency recorded a consent given on paper: why' }),
});

const DataUseOut = Type.Object({
  id: Type.Integer(),
  at: DateTime,
  registry: Type.String(),
  action: Type.String(),
  fields: Type.Array(Type.String()),
  agency: Type.Union([Type.String(), Type.Null()], { description: 'Code of the agency that used the data' }),
  organisation: Type.Union([Type.String(), Type.Null()], { description: 'A reader outside this node' }),
  via: Type.Union([Type.String(), Type.Null()]),
  service: Type.Union([Type.String(), Type.Null()]),
  caseId: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
});

export async function agencyCodes(db: Db): Promise<Map<string, string>> {
  return new Map((await listAgencies(db)).map((a) => [a.id, a.code]));
}

export function agreementOut(agreement: Agreement, codes: Map<string, string>) {
  const { id: _id, recipientAgencyId, revisionHash: _hash, createdBy: _by, createdAt: _at, ...rest } = agreement;
  return { ...rest, recipient: codes.get(recipientAgencyId) ?? '' };
}

export function consentOut(consent: ConsentRecord, agreements: Map<string, Agreement>) {
  return { id: consent.id, agreement: agreements.get(consent.agreementId)?.code ?? '', person: consent.personId, status: consent.status, givenAt: consent.givenAt, expiresAt: consent.expiresAt, withdrawnAt: consent.withdrawnAt, paperReason: consent.paperReason };
}

export async function agreementsById(db: Db): Promise<Map<string, Agreement>> {
  return new Map((await listAgreements(db)).map((a) => [a.id, a]));
}

/** The national id of a citizen caller, or 403: consent and data use are about a person. */
export async function ownNationalId(db: Db, principal: Principal): Promise<string> {
  const nationalId = await nationalIdOf(db, principal);
  if (!nationalId) throw Problem.forbidden('Your account is not linked to a national id, so no record in a registry is about you.');
  return nationalId;
}

/** Give consent: a person for themselves, or staff of the receiving agency recording a paper consent. */
export async function giveAs(db: Db, principal: Principal, input: { agreement: string; person?: string; paperReason?: string; expiresAt?: string }, requestId: string) {
  const agreement = await findAgreement(db, input.agreement);
  if (!agreement) throw Problem.invalidField('/body/agreement', 'no agreement has this code');
  const own = await nationalIdOf(db, principal);
  const forSelf = input.person === undefined || input.person === own;
  if (forSelf) {
    if (!own) throw Problem.forbidden('Your account is not linked to a national id: an agency may record your consent given on paper.');
    if (input.paperReason) throw Problem.invalidField('/body/paperReason', 'only staff recording a consent given on paper give a reason');
  } else {
    if (!actsForRecipient(principal, agreement)) throw Problem.forbidden('Only staff of the receiving agency may record a consent given on paper.');
    if (!input.paperReason) throw Problem.invalidField('/body/paperReason', 'say how the person gave their consent (e.g. the signed form)');
  }
  return giveConsent(db, {
    agreement,
    personId: forSelf ? own! : input.person!,
    by: { actor: actorOf(principal), agencyId: forSelf ? null : agreement.recipientAgencyId },
    paperReason: forSelf ? null : input.paperReason!,
    expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
    requestId,
  });
}

/** Withdraw: the person themselves, or staff of the receiving agency (who say why). */
export async function withdrawAs(db: Db, principal: Principal, id: string, reason: string | undefined, requestId: string) {
  const own = await nationalIdOf(db, principal);
  const agreements = await agreementsById(db);
  return withdrawConsent(db, {
    id,
    by: actorOf(principal),
    reason: reason ?? null,
    requestId,
    mayWithdraw: (consent) => {
      if (consent.personId === own) return true;
      const agreement = agreements.get(consent.agreementId);
      if (!agreement || !actsForRecipient(principal, agreement)) return false;
      if (!reason) throw Problem.invalidField('/body/reason', "say why you withdraw the person's consent");
      return true;
    },
  });
}

export function consentApi(db: Db) {
  return async (app: App) => {
    app.get('/api/consent/agreements', {
      config: { access: access.signedIn },
      schema: { summary: 'What one may consent to: purpose, data (registry and fields) and the agency receiving it', tags: ['consent'], response: { 200: Type.Array(AgreementOut), ...Problems } },
      handler: async () => {
        const codes = await agencyCodes(db);
        return (await listAgreements(db, { activeOnly: true })).map((a) => agreementOut(a, codes));
      },
    });

    app.post('/api/consent/agreements', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: {
        summary: 'Set out a purpose people may consent to (the head of the receiving agency, or an administrator)',
        tags: ['consent'],
        body: Type.Object(
          {
            code: Slug,
            purpose: Slug,
            names: Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 2000 }), { additionalProperties: false, minProperties: 1 }),
            descriptions: Type.Optional(Text),
            registry: Slug,
            fields: Type.Array(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' }), { minItems: 1, maxItems: 100, uniqueItems: true }),
            recipient: Type.String({ pattern: '^[a-z0-9-]{2,40}$' }),
            service: Type.Optional(Type.Union([Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' }), Type.Null()])),
            lawfulBasis: Type.Optional(Type.Union(['consent', 'legal_obligation', 'contract', 'vital_interest', 'public_task', 'legitimate_interest'].map((b) => Type.Literal(b)))),
            validityDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: AgreementOut, ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const agreement = await createAgreement(db, request.body, { principal, actor: actorOf(principal), requestId: request.id });
        return reply.code(201).send(agreementOut(agreement, await agencyCodes(db)));
      },
    });

    app.get('/api/consent/records', {
      config: { access: access.signedIn },
      schema: {
        summary: "My consents; or, for staff of a receiving agency, a person's consents to its agreements",
        tags: ['consent'],
        querystring: Type.Object({ person: Type.Optional(NationalId) }, { additionalProperties: false }),
        response: { 200: Type.Array(ConsentOut), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const agreements = await agreementsById(db);
        const own = await nationalIdOf(db, principal);
        const person = request.query.person ?? own;
        if (!person) throw Problem.forbidden('Your account is not linked to a national id; staff name the person with ?person=.');
        if (person === own) return (await consentsOf(db, person)).map((c) => consentOut(c, agreements));
        const reachable = [...agreements.values()].filter((a) => actsForRecipient(principal, a));
        if (reachable.length === 0) throw Problem.forbidden("Only staff of an agency receiving data may see a person's consents to it.");
        return (await consentsOf(db, person, { agreementIds: reachable.map((a) => a.id) })).map((c) => consentOut(c, agreements));
      },
    });

    app.post('/api/consent/records', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Give consent to an agreement: for myself, or (staff of the receiving agency) record a consent given on paper, with the reason',
        tags: ['consent'],
        body: Type.Object(
          {
            agreement: Slug,
            person: Type.Optional(NationalId),
            paperReason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })),
            expiresAt: Type.Optional(Type.String({ format: 'date-time', description: "Sooner than the agreement's own validity, if wished" })),
          },
          { additionalProperties: false },
        ),
        response: { 200: ConsentOut, 201: ConsentOut, ...Problems },
      },
      handler: async (request, reply) => {
        const { consent, created } = await giveAs(db, requirePrincipal(request), request.body, request.id);
        return reply.code(created ? 201 : 200).send(consentOut(consent, await agreementsById(db)));
      },
    });

    app.post('/api/consent/records/:id/withdraw', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Withdraw a consent: the person, or staff of the receiving agency with a reason',
        tags: ['consent'],
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        body: Type.Object({ reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })) }, { additionalProperties: false }),
        response: { 200: ConsentOut, ...Problems },
      },
      handler: async (request) => {
        const consent = await withdrawAs(db, requirePrincipal(request), request.params.id, request.body.reason, request.id);
        return consentOut(consent, await agreementsById(db));
      },
    });

    app.get('/api/consent/data-uses', {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'Who used my data: every read and change of registry records about me (by which agency, for which service or case, when), newest first',
        tags: ['consent'],
        querystring: Type.Object({ before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Array(DataUseOut), ...Problems },
      },
      handler: async (request) => {
        const nationalId = await ownNationalId(db, requirePrincipal(request));
        const [uses, codes] = await Promise.all([dataUsesOf(db, nationalId, { before: request.query.before, limit: request.query.limit ?? 100 }), agencyCodes(db)]);
        return uses.map((u) => ({ id: u.id, at: u.at, registry: u.registry.code, action: u.action, fields: u.fields, agency: u.agencyId ? (codes.get(u.agencyId) ?? null) : null, organisation: u.organisation?.name ?? null, via: u.via, service: u.service, caseId: u.caseId, reason: u.reason }));
      },
    });
  };
}
