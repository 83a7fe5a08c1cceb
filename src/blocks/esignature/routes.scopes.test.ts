/**
 * Who may call each e-signature route (routes.ts) and use the verification pages
 * (src/web/pages/verify-pages.tsx). Documents and keys belong to the Ministry of Trade
 * (`commerce`): its head and platform administrators manage them; its officers, another agency's
 * staff, citizens and the ministry's API client may not, and its head may not manage those of
 * another agency. Anyone may read the public keys, a document's status and its page.
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { everyone, permissionTable, type Row } from '../../../test/support/permission-table.ts';
import type { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { issueLicence } from './document-fixtures.ts';

const MANAGERS = 'roles: admin, agency-head';

const tradeDocument = async (f: RegistrationFixtures) => (await issueLicence(f.app)).id;
const urbanPermit = async (f: RegistrationFixtures) => (await issueLicence(f.app, { agencyCode: 'urban-permits', kind: 'permit' })).id;

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                                     anon owner other officer agency head admin client
  { route: 'GET /.well-known/jwks.json', access: 'public',                                           expect: everyone(200), call: () => ({ method: 'GET', url: '/.well-known/jwks.json' }) },
  { route: 'POST /api/esignature/agencies/:code/keys/rotate', access: MANAGERS,                      expect: [401, 403, 403, 403, 403, 201, 201, 403], call: () => ({ method: 'POST', url: '/api/esignature/agencies/commerce/keys/rotate' }) },
  { route: 'POST /api/esignature/agencies/:code/keys/rotate', access: MANAGERS, what: "the urban permits department's: not the head of Trade's", expect: [401, 403, 403, 403, 403, 403, 201, 403], call: () => ({ method: 'POST', url: '/api/esignature/agencies/urban-permits/keys/rotate' }) },
  { route: 'POST /api/documents/:id/revoke', access: MANAGERS,                                       expect: [401, 403, 403, 403, 403, 200, 200, 403], call: async (f) => ({ method: 'POST', url: `/api/documents/${await tradeDocument(f)}/revoke`, json: { reason: 'Issued in error' } }) },
  { route: 'POST /api/documents/:id/revoke', access: MANAGERS, what: "a permit of the urban permits department: not the head of Trade's", expect: [401, 403, 403, 403, 403, 403, 200, 403], call: async (f) => ({ method: 'POST', url: `/api/documents/${await urbanPermit(f)}/revoke`, json: { reason: 'Permit annulled by court order' } }) },
  { route: 'GET /api/documents/:id/status', access: 'public',                                        expect: everyone(200), call: async (f) => ({ method: 'GET', url: `/api/documents/${await tradeDocument(f)}/status` }) },
  { route: 'GET /verify', access: 'public',                                                          expect: everyone(200), call: () => ({ method: 'GET', url: '/verify' }) },
  { route: 'GET /verify/:id', access: 'public',                                                      expect: everyone(200), call: async (f) => ({ method: 'GET', url: `/verify/${await tradeDocument(f)}` }) },
  {
    route: 'POST /verify/:id', access: 'public', what: "the file as issued; the anonymous caller here never opened the page, so has no form token (uploadForCheck is the visitor who did)",
                                                                                                       expect: [403, 200, 200, 200, 200, 200, 200, 403],
    call: async (f) => {
      const { id, bytes } = await issueLicence(f.app);
      return { method: 'POST', url: `/verify/${id}`, multipart: [{ name: 'file', fileName: 'licence.pdf', content: bytes }] };
    },
  },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/esignature/routes.scopes.test.ts'], rows: ROWS });
