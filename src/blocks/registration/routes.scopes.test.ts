/**
 * Who may call each route of the registration and workflow APIs (application-routes.ts and
 * definition-routes.ts). One row per route, one column per kind of caller; the record is Amina's
 * business licence (or market stall permit), owned by the Ministry of Trade. A route added under
 * /api/registration, /api/workflow or /schemas without a row here fails the first test. The
 * public register page and the prefill form are here too; the other application pages have a
 * table of their own (src/web/pages/apply-pages.scopes.test.ts).
 */
import { publishDefinition } from './index.ts';
import { MARKET_STALL, PDF } from '../../../test/support/registration-fixtures.ts';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';

const CITIZENS_ONLY = 'roles: citizen';
const STAFF = 'roles: officer, agency-head, admin';

/** A service of its own for each call that publishes or retires one. */
let services = 0;
const anotherService = () => ({ ...MARKET_STALL, id: `market-stall-${++services}` });

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                                    anon owner other officer agency head admin client
  // Service definitions
  { route: 'GET /schemas/service-definition.json', access: 'public',                                 expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/schemas/service-definition.json' }) },
  { route: 'GET /api/registration/definitions', access: 'public',                                    expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/registration/definitions' }) },
  { route: 'GET /api/registration/definitions/:id', access: 'public',                                expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/registration/definitions/business-licence' }) },
  { route: 'GET /api/registration/definitions/:id/versions/:version', access: 'public',              expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/registration/definitions/business-licence/versions/1' }) },
  { route: 'GET /api/registration/registers/:id', access: 'public',                                  expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/registration/registers/construction-permit' }) },
  { route: 'POST /api/registration/definitions', access: 'roles: admin, agency-head',                expect: [401, 403, 403, 403, 403, 201, 201, 403], call: () => ({ method: 'POST', url: '/api/registration/definitions', json: anotherService() }) },
  {
    route: 'POST /api/registration/definitions/:id/versions/:version/retire', access: 'roles: admin, agency-head',
                                                                                                      expect: [401, 403, 403, 403, 403, 204, 204, 403],
    call: async (f) => {
      const { definition } = await publishDefinition(f.app.database.db, f.app.jobs, { data: anotherService() }, null, 'test');
      return { method: 'POST', url: `/api/registration/definitions/${definition.serviceId}/versions/1/retire` };
    },
  },

  // Applying
  {
    route: 'POST /api/registration/applications', access: CITIZENS_ONLY,                              expect: [401, 201, 201, 403, 403, 403, 403, 403],
    call: (f) => ({ method: 'POST', url: '/api/registration/applications', json: { serviceId: 'market-stall', data: { stallName: 'Stall', market: 'harbour', cooking: false }, idempotencyKey: f.unique('scopes-key') } }),
  },
  {
    route: 'POST /api/registration/assisted-applications', access: 'roles: agent', what: 'none of these callers is a counter agent (assisted.test.ts has the agents)',
                                                                                                      expect: [401, 403, 403, 403, 403, 403, 403, 403],
    call: (f) => ({ method: 'POST', url: '/api/registration/assisted-applications', json: { serviceId: 'market-stall', data: { stallName: 'Stall', market: 'harbour', cooking: false }, person: { nationalId: 'DJ-1985-000123', idDocument: 'national-id-card', consentMethod: 'signed-form' }, idempotencyKey: f.unique('assisted-key') } }),
  },
  { route: 'POST /api/registration/drafts', access: CITIZENS_ONLY,                                   expect: [401, 201, 201, 403, 403, 403, 403, 403], call: () => ({ method: 'POST', url: '/api/registration/drafts', json: { serviceId: 'business-licence' } }) },
  {
    route: 'PUT /api/registration/drafts/:id/steps/:stepId', access: CITIZENS_ONLY,                   expect: [401, 200, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'PUT', url: `/api/registration/drafts/${await f.licenceDraft()}/steps/premises`, json: { answers: { address: 'Rue de Paris 1', areaM2: 30 } } }),
  },
  {
    route: 'GET /api/registration/drafts/:id/steps/:stepId/prefill', access: CITIZENS_ONLY,           expect: [401, 200, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'GET', url: `/api/registration/drafts/${await f.licenceDraft()}/steps/premises/prefill` }),
  },
  {
    route: 'POST /api/registration/drafts/:id/steps/:stepId/prefill', access: CITIZENS_ONLY, what: 'the licence has nothing to prefill, so its owner gets 400 (prefill.test.ts fills a permit in)',
                                                                                                      expect: [401, 400, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/api/registration/drafts/${await f.licenceDraft()}/steps/premises/prefill`, json: { group: 'civil-register' } }),
  },
  {
    route: 'POST /api/registration/drafts/:id/documents', access: CITIZENS_ONLY,                      expect: [401, 201, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/api/registration/drafts/${await f.licenceDraft()}/documents`, multipart: [{ name: 'lease', fileName: 'lease.pdf', content: PDF }] }),
  },
  {
    route: 'DELETE /api/registration/drafts/:id/documents/:documentId', access: CITIZENS_ONLY,        expect: [401, 204, 404, 403, 403, 403, 403, 403],
    call: async (f) => {
      const { id, documentId } = await f.licenceDraftWithLease();
      return { method: 'DELETE', url: `/api/registration/drafts/${id}/documents/${documentId}` };
    },
  },
  { route: 'POST /api/registration/drafts/:id/submit', access: CITIZENS_ONLY,                        expect: [401, 200, 404, 403, 403, 403, 403, 403], call: async (f) => ({ method: 'POST', url: `/api/registration/drafts/${(await f.licenceDraftWithLease()).id}/submit` }) },
  { route: 'DELETE /api/registration/drafts/:id', access: CITIZENS_ONLY,                             expect: [401, 204, 404, 403, 403, 403, 403, 403], call: async (f) => ({ method: 'DELETE', url: `/api/registration/drafts/${await f.licenceDraft()}` }) },

  // Following an application
  { route: 'GET /api/registration/applications', access: CITIZENS_ONLY,                              expect: [401, 200, 200, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: '/api/registration/applications' }) },
  { route: 'GET /api/registration/applications/:id', access: 'signed-in',                            expect: [401, 200, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/registration/applications/${(await f.submittedLicence()).id}` }) },
  {
    route: 'GET /api/registration/applications/:id/documents/:documentId', access: 'signed-in',       expect: [401, 200, 404, 200, 404, 200, 200, 200],
    call: async (f) => {
      const { id, documentId } = await f.submittedLicence();
      return { method: 'GET', url: `/api/registration/applications/${id}/documents/${documentId}` };
    },
  },
  {
    route: 'POST /api/registration/applications/:id/answers', access: CITIZENS_ONLY,                  expect: [401, 200, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/api/registration/applications/${await f.licenceWaitingForAmina()}/answers`, json: { actionId: 'answer', inputs: { answer: 'Here is the signed lease' } } }),
  },
  {
    route: 'POST /api/registration/applications/:id/withdraw', access: CITIZENS_ONLY,                 expect: [401, 200, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/api/registration/applications/${(await f.submittedLicence()).id}/withdraw`, json: { reason: 'I found other premises' } }),
  },
  { route: 'GET /api/registration/track/:trackingNumber', access: 'public',                          expect: [200, 200, 200, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/registration/track/${(await f.submittedLicence()).trackingNumber}` }) },

  // Working cases
  { route: 'GET /api/workflow/worklist', access: STAFF,                                               expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/workflow/worklist' }) },
  {
    route: 'POST /api/workflow/cases/:id/actions/:actionId', access: STAFF,                           expect: [401, 403, 403, 200, 404, 403, 403, 200],
    call: async (f) => ({ method: 'POST', url: `/api/workflow/cases/${(await f.submittedLicence()).id}/actions/accept`, json: {} }),
  },
  {
    route: 'POST /api/workflow/cases/:id/reviews/:reviewId', access: STAFF, what: "the fire service's opinion on a market stall",
                                                                                                      expect: [401, 403, 403, 403, 200, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/api/workflow/cases/${await f.stallInFireReview()}/reviews/fire-safety`, json: { opinion: 'agree' } }),
  },
  { route: 'POST /api/workflow/tasks/:id/claim', access: STAFF,                                      expect: [401, 403, 403, 204, 403, 403, 403, 204], call: async (f) => ({ method: 'POST', url: `/api/workflow/tasks/${await f.openTask((await f.submittedLicence()).id)}/claim` }) },
  {
    route: 'POST /api/workflow/tasks/:id/release', access: STAFF, what: 'a task the trade officer took',
                                                                                                      expect: [401, 403, 403, 204, 403, 204, 403, 403],
    call: async (f) => {
      const task = await f.openTask((await f.submittedLicence()).id);
      await f.call('officer.trade', 'POST', `/api/workflow/tasks/${task}/claim`);
      return { method: 'POST', url: `/api/workflow/tasks/${task}/release` };
    },
  },
  {
    route: 'POST /api/workflow/tasks/:id/assign', access: 'roles: agency-head', what: 'handing the check to the trade officer',
                                                                                                      expect: [401, 403, 403, 403, 403, 204, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/api/workflow/tasks/${await f.openTask((await f.submittedLicence()).id)}/assign`, json: { userId: (await f.idsOf('officer.trade')).userId } }),
  },
  {
    route: 'POST /api/workflow/cases/:id/extend', access: 'roles: agency-head',                       expect: [401, 403, 403, 403, 403, 200, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/api/workflow/cases/${(await f.submittedLicence()).id}/extend`, json: { days: 2, reason: 'The inspector is away this week' } }),
  },
  // The pages of this block's own: the public register, and the prefill form of a draft's step
  { route: 'GET /services/:code/register', access: 'public',                                          expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/services/construction-permit/register' }) },
  {
    route: 'POST /applications/:id/steps/:stepId/prefill', access: CITIZENS_ONLY, what: 'the licence has nothing to prefill, so its owner gets 400',
                                                                                                      expect: [401, 400, 404, 403, 403, 403, 403, 403],
    call: async (f) => ({ method: 'POST', url: `/applications/${await f.licenceDraft()}/steps/premises/prefill`, json: { group: 'civil-register' } }),
  },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/registration/routes.scopes.test.ts'], rows: ROWS });
