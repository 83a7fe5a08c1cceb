/**
 * Who may use the applicant's pages (apply-pages.tsx): starting an application, its steps,
 * documents, check and submission, then following it, answering the agency, withdrawing it and
 * printing what was issued. Each is for citizens: staff and the Ministry of Trade's API client are
 * refused before any application is looked up, and the forms, sent as a browser sends them, need a
 * session's CSRF token besides. The application is Amina's business licence, so Zara, a citizen
 * with no mandate from her, is told it does not exist. (The prefill form is the registration
 * table's, the feedback form the analytics table's.)
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';
import { PDF } from '../../../test/support/registration-fixtures.ts';

const CITIZENS = 'roles: citizen';
/** Any citizen may: what is asked for is not yet anyone's application. */
const anyCitizen = (status: number) => [401, status, status, 403, 403, 403, 403, 403] as const;
/** Only Amina: the application is hers. */
const onlyAmina = (status: number) => [401, status, 404, 403, 403, 403, 403, 403] as const;

// prettier-ignore
const ROWS: Row[] = [
  // Applying
  { route: 'GET /apply/:serviceId', access: CITIZENS,                                 expect: anyCitizen(200), call: () => ({ method: 'GET', url: '/apply/business-licence' }) },
  { route: 'POST /apply/:serviceId', access: CITIZENS, what: 'in their own name',     expect: anyCitizen(303), call: () => ({ method: 'POST', url: '/apply/business-licence', form: { onBehalfOf: '' } }) },
  { route: 'GET /applications/:id/steps/:stepId', access: CITIZENS,                   expect: onlyAmina(200), call: async (f) => ({ method: 'GET', url: `/applications/${await f.licenceDraft()}/steps/premises` }) },
  {
    route: 'POST /applications/:id/steps/:stepId', access: CITIZENS,                  expect: onlyAmina(303),
    call: async (f) => ({ method: 'POST', url: `/applications/${await f.licenceDraft()}/steps/premises`, form: { _shown: 'address areaM2', address: 'Place Ménélik 3, Djibouti', areaM2: '14' } }),
  },
  { route: 'GET /applications/:id/documents', access: CITIZENS,                       expect: onlyAmina(200), call: async (f) => ({ method: 'GET', url: `/applications/${await f.licenceDraft()}/documents` }) },
  {
    route: 'POST /applications/:id/documents', access: CITIZENS,                      expect: onlyAmina(303),
    call: async (f) => ({ method: 'POST', url: `/applications/${await f.licenceDraft()}/documents`, multipart: [{ name: 'lease', fileName: 'lease.pdf', content: PDF }] }),
  },
  {
    route: 'POST /applications/:id/documents/:documentId/remove', access: CITIZENS,   expect: onlyAmina(303),
    call: async (f) => {
      const { id, documentId } = await f.licenceDraftWithLease();
      return { method: 'POST', url: `/applications/${id}/documents/${documentId}/remove`, form: {} };
    },
  },
  { route: 'GET /applications/:id/check', access: CITIZENS,                           expect: onlyAmina(200), call: async (f) => ({ method: 'GET', url: `/applications/${(await f.licenceDraftWithLease()).id}/check` }) },
  { route: 'POST /applications/:id/submit', access: CITIZENS,                         expect: onlyAmina(303), call: async (f) => ({ method: 'POST', url: `/applications/${(await f.licenceDraftWithLease()).id}/submit`, form: {} }) },
  { route: 'GET /applications/:id/confirmation', access: CITIZENS,                    expect: onlyAmina(200), call: async (f) => ({ method: 'GET', url: `/applications/${(await f.submittedLicence()).id}/confirmation` }) },

  // Following an application
  { route: 'GET /applications', access: CITIZENS, what: 'each sees their own',        expect: anyCitizen(200), call: () => ({ method: 'GET', url: '/applications' }) },
  { route: 'GET /applications/:id', access: CITIZENS,                                 expect: onlyAmina(200), call: async (f) => ({ method: 'GET', url: `/applications/${(await f.submittedLicence()).id}` }) },
  {
    route: 'POST /applications/:id/answers/:actionId', access: CITIZENS, what: 'answering what the officer asked',
                                                                                       expect: onlyAmina(303),
    call: async (f) => ({ method: 'POST', url: `/applications/${await f.licenceWaitingForAmina()}/answers/answer`, multipart: [{ name: 'expectedState', content: 'more-information' }, { name: 'answer', content: 'Here is the signed lease' }] }),
  },
  { route: 'POST /applications/:id/withdraw', access: CITIZENS,                       expect: onlyAmina(303), call: async (f) => ({ method: 'POST', url: `/applications/${(await f.submittedLicence()).id}/withdraw`, form: { reason: 'I found other premises' } }) },
  { route: 'GET /applications/:id/outputs/:outputId', access: CITIZENS,               expect: onlyAmina(200), call: async (f) => ({ method: 'GET', url: `/applications/${await f.grantedLicence()}/outputs/licence` }) },
  { route: 'GET /applications/:id/outputs/:outputId/pdf', access: CITIZENS,           expect: onlyAmina(200), call: async (f) => ({ method: 'GET', url: `/applications/${await f.grantedLicence()}/outputs/licence/pdf` }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/web/pages/apply-pages.scopes.test.ts'], rows: ROWS });
