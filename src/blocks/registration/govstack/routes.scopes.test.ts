/**
 * Who may call each route of the GovStack Registration BB API: services and forms are public,
 * files are their applicant's (and the staff's who work them), tasks are for staff of the agency
 * they are routed to. The record is Amina's, owned by the Ministry of Trade.
 */
import { PDF } from '../../../../test/support/registration-fixtures.ts';
import { PERMISSION_TABLES } from '../../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../../test/support/permission-table.ts';
import { serviceUuid } from './identifiers.ts';
import { GOVSTACK_PREFIX as P } from './routes.ts';

const STAFF = 'roles: officer, agency-head, admin';
const LICENCE = serviceUuid('business-licence');

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                              anon owner other officer agency head admin client
  { route: `GET ${P}/services`, access: 'public',                                              expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/services` }) },
  { route: `GET ${P}/services/:serviceId`, access: 'public',                                   expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/services/${LICENCE}` }) },
  { route: `GET ${P}/services/:serviceId/eForms`, access: 'public',                            expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/services/${LICENCE}/eForms` }) },
  { route: `GET ${P}/eForms/:eFormId`, access: 'public',                                       expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/eForms/business-licence@1` }) },
  {
    route: `POST ${P}/services/:serviceId/applications`, access: 'roles: citizen', what: 'for oneself',
                                                                                                expect: [401, 200, 200, 403, 403, 403, 403, 403],
    call: async (f, who) => ({
      method: 'POST',
      url: `${P}/services/market-stall/applications`,
      headers: { 'idempotency-key': f.unique('govstack-scopes') },
      json: { applicantId: (who && (await f.idsOf(who)).partyId) ?? 'nobody', formData: { data: { stallName: 'Stall', market: 'central', cooking: false } } },
    }),
  },
  {
    route: `POST ${P}/services/:serviceId/applications`, access: 'roles: citizen', what: 'for Amina: only she, or someone she gave a mandate, may',
                                                                                                expect: [401, 200, 403, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `${P}/services/market-stall/applications`, headers: { 'idempotency-key': f.unique('govstack-scopes') }, json: { applicantId: (await f.idsOf('amina')).partyId, formData: { data: { stallName: 'Stall', market: 'central', cooking: false } } } }),
  },
  { route: `GET ${P}/applications`, access: `roles: citizen, officer, agency-head, admin`,      expect: [401, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/applications` }) },
  { route: `GET ${P}/applications/:fileId`, access: 'signed-in',                               expect: [401, 200, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `${P}/applications/${(await f.submittedLicence()).id}` }) },
  {
    route: `PUT ${P}/applications/:fileId`, access: 'signed-in', what: 'a draft: staff do not see drafts',
                                                                                                expect: [401, 200, 404, 404, 404, 404, 404, 404],
    call: async (f) => ({ method: 'PUT', url: `${P}/applications/${await f.licenceDraft()}`, json: { applicantId: (await f.idsOf('amina')).partyId, formData: { data: { address: 'Rue de Rome 4' } } } }),
  },
  {
    route: `PUT ${P}/applications/:fileId`, access: 'signed-in', what: 'a submitted file: its answers are fixed, and never the operator’s to change',
                                                                                                expect: [401, 409, 404, 403, 404, 403, 403, 403],
    call: async (f) => ({ method: 'PUT', url: `${P}/applications/${(await f.submittedLicence()).id}`, json: { applicantId: (await f.idsOf('amina')).partyId, formData: { data: { address: 'Rue de Rome 4' } } } }),
  },
  {
    route: `POST ${P}/documents`, access: 'roles: citizen', what: "into Amina's draft",         expect: [401, 200, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({
      method: 'POST',
      url: `${P}/documents?additionalMetadata=${encodeURIComponent(JSON.stringify({ fileId: await f.licenceDraft(), documentType: 'lease' }))}`,
      multipart: [{ name: 'file', fileName: 'lease.pdf', content: PDF }],
    }),
  },
  { route: `GET ${P}/tasks`, access: STAFF,                                                    expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/tasks` }) },
  { route: `GET ${P}/tasks/:taskId`, access: STAFF,                                            expect: [401, 403, 403, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `${P}/tasks/${await f.openTask((await f.submittedLicence()).id)}` }) },
  {
    route: `POST ${P}/tasks/:taskId/complete`, access: STAFF, what: 'the completeness check of a licence',
                                                                                                expect: [401, 403, 403, 200, 404, 403, 403, 200],
    call: async (f) => ({ method: 'POST', url: `${P}/tasks/${await f.openTask((await f.submittedLicence()).id)}/complete`, json: { data: { accept: {} } } }),
  },
  {
    route: `POST ${P}/tasks/:taskId/complete`, access: STAFF, what: "the fire service's review of a market stall",
                                                                                                expect: [401, 403, 403, 403, 200, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `${P}/tasks/${await f.openTask(await f.stallInFireReview(), 'fire-safety')}/complete`, json: { data: { agree: {} } } }),
  },
  { route: `GET ${P}/data/statistics`, access: 'public',                                       expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/data/statistics?timeframe=week` }) },
  {
    route: `GET ${P}/data/statistics`, access: 'public', what: "counted per operator: the heads of the operator's agency",
                                                                                                expect: [401, 403, 403, 403, 403, 200, 200, 403],
    call: () => ({ method: 'GET', url: `${P}/data/statistics?operator=${encodeURIComponent('Idriss Youssouf')}` }),
  },
  { route: `GET ${P}/data/statistics/1.0`, access: 'public',                                   expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${P}/data/statistics/1.0` }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/registration/govstack/routes.scopes.test.ts'], rows: ROWS });
