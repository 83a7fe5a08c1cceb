import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../../platform/db/database.ts';
import { access, requirePrincipal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { Problems } from '../../../platform/http/schemas.ts';
import type { App } from '../../../platform/http/server.ts';
import { listAgencies, type Agency } from '../../identity/index.ts';
import { actsForRecipient, nationalIdOf } from '../consents.ts';
import { agreementsById, giveAs, NationalId, ownNationalId, withdrawAs } from '../routes.ts';
import { consentsOf, consentsTo, findAgreement, findConsent, isUuid, listAgreements, type Agreement, type ConsentRecord } from '../store.ts';

/**
 * The GovStack Consent BB API (1.1.0-rc1, spec/) for the parts that fit Daftari: reading
 * agreements, a person giving, listing and withdrawing their consents, and agencies verifying
 * consents. docs/consent.md lists what differs and what is left out.
 */
export const GOVSTACK_CONSENT = '/govstack/consent';
const P = GOVSTACK_CONSENT;
const TAGS = ['govstack-consent'];
const STAFF = ['officer', 'agency-head', 'admin'] as const;
const Id = Type.String({ minLength: 1, maxLength: 100 });
const Paging = {
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
};
const Loose = Type.Object({}, { additionalProperties: true });

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function agencyName(agency: Agency | undefined): string {
  return agency?.names.en ?? agency?.code ?? '';
}

/** An agreement as GovStack's DataAgreement; its fields are the data attributes. */
function dataAgreementOf(agreement: Agreement, agencies: Map<string, Agency>, baseUrl: string) {
  const recipient = agencies.get(agreement.recipientAgencyId);
  return {
    id: agreement.code,
    version: '1',
    controller: { id: recipient?.code ?? '', name: agencyName(recipient), url: baseUrl },
    purpose: agreement.names.en ?? Object.values(agreement.names)[0] ?? agreement.purpose,
    purposeDescription: agreement.descriptions.en ?? '',
    lawfulBasis: agreement.lawfulBasis,
    dataUse: 'data_using_service',
    dpia: '',
    active: agreement.active,
    forgettable: false,
    dataAttributes: agreement.fields.map((field) => ({ id: `${agreement.registry}.${field}`, name: field, sensitivity: true, category: agreement.registry })),
    // Daftari's own: what checkConsent matches on.
    purposeCode: agreement.purpose,
    registry: agreement.registry,
    service: agreement.service,
    validityDays: agreement.validityDays,
  };
}

function agreementRevisionOf(agreement: Agreement, agencies: Map<string, Agency>, baseUrl: string) {
  const snapshot = JSON.stringify({ schemaName: 'DataAgreement', objectId: agreement.code, objectData: dataAgreementOf(agreement, agencies, baseUrl) });
  return { id: agreement.revisionHash, schemaName: 'DataAgreement', objectId: agreement.code, signedWithoutObjectId: false, serializedSnapshot: snapshot, serializedHash: agreement.revisionHash, timestamp: agreement.createdAt.toISOString(), authorizedByOther: agreement.createdBy.name ?? agreement.createdBy.type };
}

/** A consent as GovStack's ConsentRecord: opted in while active; not signed cryptographically. */
function consentRecordOf(consent: ConsentRecord, agreement: Agreement, agencies: Map<string, Agency>, baseUrl: string) {
  return {
    id: consent.id,
    dataAgreement: dataAgreementOf(agreement, agencies, baseUrl),
    dataAgreementRevisionHash: consent.agreementHash,
    individual: { id: consent.personId, externalId: consent.personId, externalIdType: 'national-id' },
    optIn: consent.status === 'active',
    state: 'unsigned',
    // Daftari's own: when, until when, and how it was given.
    status: consent.status,
    givenAt: consent.givenAt.toISOString(),
    expiresAt: consent.expiresAt?.toISOString() ?? null,
    withdrawnAt: consent.withdrawnAt?.toISOString() ?? null,
    recordedOnPaper: consent.paperReason !== null,
  };
}

function consentRevisionOf(consent: ConsentRecord) {
  const snapshot = JSON.stringify({ schemaName: 'ConsentRecord', objectId: consent.id, objectData: { personId: consent.personId, agreementHash: consent.agreementHash, givenAt: consent.givenAt, expiresAt: consent.expiresAt, withdrawnAt: consent.withdrawnAt } });
  return {
    id: sha1(snapshot),
    schemaName: 'ConsentRecord',
    objectId: consent.id,
    signedWithoutObjectId: false,
    serializedSnapshot: snapshot,
    serializedHash: sha1(snapshot),
    timestamp: (consent.withdrawnAt ?? consent.givenAt).toISOString(),
    ...(consent.paperReason === null ? { authorizedByIndividual: { id: consent.personId } } : { authorizedByOther: consent.givenBy.name ?? consent.givenBy.type }),
  };
}

export function govstackConsentRoutes(db: Db, baseUrl: string) {
  const context = async () => ({ agencies: new Map((await listAgencies(db)).map((a) => [a.id, a])), agreements: await agreementsById(db) });
  const records = async (consents: ConsentRecord[]) => {
    const { agencies, agreements } = await context();
    return consents.map((c) => consentRecordOf(c, agreements.get(c.agreementId)!, agencies, baseUrl));
  };
  const agreementOr404 = async (id: string) => {
    const agreement = await findAgreement(db, id);
    if (!agreement) throw Problem.notFound('No data agreement has this id.');
    return agreement;
  };

  return async (app: App) => {
    app.get(`${P}/service/data-agreement/:dataAgreementId/`, {
      config: { access: access.signedIn },
      schema: { summary: 'A data agreement and its revision (serviceDataAgreementRead)', tags: TAGS, params: Type.Object({ dataAgreementId: Id }), response: { 200: Type.Object({ dataAgreement: Loose, revision: Loose }), ...Problems } },
      handler: async (request) => {
        const agreement = await agreementOr404(request.params.dataAgreementId);
        const { agencies } = await context();
        return { dataAgreement: dataAgreementOf(agreement, agencies, baseUrl), revision: agreementRevisionOf(agreement, agencies, baseUrl) };
      },
    });

    app.get(`${P}/service/verification/data-agreements/`, {
      config: { access: access.signedIn },
      schema: { summary: 'The data agreements (serviceVerificationDataAgreementList)', tags: TAGS, querystring: Type.Object(Paging, { additionalProperties: false }), response: { 200: Type.Object({ dataAgreements: Type.Array(Loose) }), ...Problems } },
      handler: async (request) => {
        const { agencies } = await context();
        const list = await listAgreements(db, { offset: request.query.offset, limit: request.query.limit ?? 50 });
        return { dataAgreements: list.map((a) => dataAgreementOf(a, agencies, baseUrl)) };
      },
    });

    app.get(`${P}/service/verification/consent-records/`, {
      config: { access: access.roles(...STAFF) },
      schema: {
        summary: "Consents to the agreements of the caller's agencies, newest first; filter by agreement and person (serviceVerificationConsentRecordList)",
        tags: TAGS,
        querystring: Type.Object({ ...Paging, dataAgreementId: Type.Optional(Id), individualId: Type.Optional(NationalId) }, { additionalProperties: false }),
        response: { 200: Type.Object({ consentRecords: Type.Array(Loose) }), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const { dataAgreementId, individualId, offset, limit = 50 } = request.query;
        const all = [...(await agreementsById(db)).values()].filter((a) => actsForRecipient(principal, a));
        const chosen = dataAgreementId ? all.filter((a) => a.code === dataAgreementId || a.id === dataAgreementId) : all;
        if (chosen.length === 0) return { consentRecords: [] };
        return { consentRecords: await records(await consentsTo(db, chosen.map((a) => a.id), { personId: individualId, offset, limit })) };
      },
    });

    app.get(`${P}/service/verification/consent-record/:consentRecordId/`, {
      config: { access: access.roles(...STAFF) },
      schema: { summary: "A consent to one of the caller's agencies' agreements (serviceVerificationConsentRecordRead)", tags: TAGS, params: Type.Object({ consentRecordId: Id }), response: { 200: Type.Object({ consentRecord: Loose, revision: Loose }), ...Problems } },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const consent = isUuid(request.params.consentRecordId) ? await findConsent(db, request.params.consentRecordId) : undefined;
        const agreement = consent && (await findAgreement(db, consent.agreementId));
        if (!consent || !agreement || !actsForRecipient(principal, agreement)) throw Problem.notFound('No consent record you may see has this id.');
        const [record] = await records([consent]);
        return { consentRecord: record!, revision: consentRevisionOf(consent) };
      },
    });

    app.post(`${P}/service/individual/record/data-agreement/:dataAgreementId/`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Give consent to an agreement, for myself (serviceIndividualConsentRecordCreate); giving again while it is active changes nothing',
        tags: TAGS,
        params: Type.Object({ dataAgreementId: Id }),
        querystring: Type.Object({ individualId: Type.Optional(NationalId), revisionId: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ consentRecord: Loose, revision: Loose }), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const own = await ownNationalId(db, principal);
        if (request.query.individualId !== undefined && request.query.individualId !== own) throw Problem.forbidden('You may only give consent for yourself here.');
        const agreement = await agreementOr404(request.params.dataAgreementId);
        if (request.query.revisionId !== undefined && request.query.revisionId !== agreement.revisionHash) throw Problem.conflict('This is not the current revision of the agreement.');
        const { consent } = await giveAs(db, principal, { agreement: agreement.code }, request.id);
        const [record] = await records([consent]);
        return { consentRecord: record!, revision: consentRevisionOf(consent) };
      },
    });

    app.get(`${P}/service/individual/record/data-agreement/:dataAgreementId/`, {
      config: { access: access.signedIn },
      schema: { summary: 'My current consent to an agreement (serviceIndividualConsentRecordRead)', tags: TAGS, params: Type.Object({ dataAgreementId: Id }), response: { 200: Type.Object({ consentRecord: Loose }), ...Problems } },
      handler: async (request) => {
        const own = await ownNationalId(db, requirePrincipal(request));
        const agreement = await agreementOr404(request.params.dataAgreementId);
        const [current] = await consentsOf(db, own, { agreementIds: [agreement.id], limit: 1 });
        if (!current) throw Problem.notFound('You have not given consent to this agreement.');
        const [record] = await records([current]);
        return { consentRecord: record! };
      },
    });

    app.get(`${P}/service/individual/record/consent-record/`, {
      config: { access: access.signedIn },
      schema: { summary: 'My consents, newest first (serviceIndividualConsentRecordList)', tags: TAGS, querystring: Type.Object(Paging, { additionalProperties: false }), response: { 200: Type.Object({ consentRecords: Type.Array(Loose) }), ...Problems } },
      handler: async (request) => {
        const own = await ownNationalId(db, requirePrincipal(request));
        return { consentRecords: await records(await consentsOf(db, own, { offset: request.query.offset, limit: request.query.limit ?? 50 })) };
      },
    });

    app.put(`${P}/service/individual/record/consent-record/:consentRecordId/`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Withdraw my consent: optIn false (serviceIndividualConsentRecordUpdate); to consent again, give it anew',
        tags: TAGS,
        params: Type.Object({ consentRecordId: Id }),
        body: Type.Object({ consentRecord: Type.Object({ optIn: Type.Boolean() }, { additionalProperties: true }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ consentRecord: Loose, revision: Loose }), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const own = await nationalIdOf(db, principal);
        const id = request.params.consentRecordId;
        const consent = isUuid(id) ? await findConsent(db, id) : undefined;
        if (!consent || consent.personId !== own) throw Problem.notFound('No consent record of yours has this id.');
        if (request.body.consentRecord.optIn && consent.status !== 'active') throw Problem.conflict('This consent has ended; give consent again with POST /service/individual/record/data-agreement/{dataAgreementId}/.');
        const updated = request.body.consentRecord.optIn ? consent : await withdrawAs(db, principal, consent.id, undefined, request.id);
        const [record] = await records([updated]);
        return { consentRecord: record!, revision: consentRevisionOf(updated) };
      },
    });

    app.get(`${P}/service/individual/record/data-agreement/:dataAgreementId/all/`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'All my consents to an agreement, newest first (serviceIndividualDataAgreementConsentRecordList)',
        tags: TAGS,
        params: Type.Object({ dataAgreementId: Id }),
        querystring: Type.Object(Paging, { additionalProperties: false }),
        response: { 200: Type.Object({ consentRecords: Type.Array(Loose) }), ...Problems },
      },
      handler: async (request) => {
        const own = await ownNationalId(db, requirePrincipal(request));
        const agreement = await agreementOr404(request.params.dataAgreementId);
        return { consentRecords: await records(await consentsOf(db, own, { agreementIds: [agreement.id], offset: request.query.offset, limit: request.query.limit ?? 50 })) };
      },
    });
  };
}
