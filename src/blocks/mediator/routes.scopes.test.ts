/**
 * Who may call each mediator route. Managing members, services, rights and reading the message
 * log is for administrators only; the node's public key is public; the provider endpoint takes
 * no session at all (its authorization is the signed headers), so an unsigned call is refused
 * the same for everyone.
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';

const ADMIN = 'roles: admin';
const ONLY_ADMIN = [401, 403, 403, 403, 403, 403] as const;
const PERMITS = 'DJ/GOV/urban-permits';
const JWK = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
let serial = 0;

// prettier-ignore
const ROWS: Row[] = [
  { route: 'GET /api/mediator/key', access: 'public',               expect: [200, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/mediator/key' }) },
  { route: 'GET /api/mediator/members', access: ADMIN,              expect: [...ONLY_ADMIN, 200, 403], call: () => ({ method: 'GET', url: '/api/mediator/members' }) },
  { route: 'POST /api/mediator/members', access: ADMIN,             expect: [...ONLY_ADMIN, 201, 403], call: () => ({ method: 'POST', url: '/api/mediator/members', json: { code: `DJ/GOV/agency-${++serial}`, name: 'An agency', baseUrl: 'https://agency.example.dj', publicJwk: JWK } }) },
  { route: 'GET /api/mediator/services', access: ADMIN,             expect: [...ONLY_ADMIN, 200, 403], call: () => ({ method: 'GET', url: '/api/mediator/services' }) },
  { route: 'POST /api/mediator/services', access: ADMIN,            expect: [...ONLY_ADMIN, 201, 403], call: () => ({ method: 'POST', url: '/api/mediator/services', json: { code: 'land-parcels/read', fields: ['parcelNumber', 'zone'] } }) },
  { route: 'GET /api/mediator/rights', access: ADMIN,               expect: [...ONLY_ADMIN, 200, 403], call: () => ({ method: 'GET', url: '/api/mediator/rights' }) },
  {
    route: 'POST /api/mediator/rights', access: ADMIN, what: 'an unknown member is a bad request even for the administrator',
                                                                    expect: [...ONLY_ADMIN, 400, 403], call: () => ({ method: 'POST', url: '/api/mediator/rights', json: { client: 'DJ/GOV/nobody', service: 'land-parcels/read' } }),
  },
  {
    route: 'POST /api/mediator/rights/revoke', access: ADMIN, what: 'a right never granted',
                                                                    expect: [...ONLY_ADMIN, 404, 403], call: () => ({ method: 'POST', url: '/api/mediator/rights/revoke', json: { client: PERMITS, service: 'land-parcels/read' } }),
  },
  { route: 'GET /api/mediator/log', access: ADMIN,                  expect: [...ONLY_ADMIN, 200, 403], call: () => ({ method: 'GET', url: '/api/mediator/log' }) },
  { route: 'GET /api/mediator/log/verify', access: ADMIN,           expect: [...ONLY_ADMIN, 200, 403], call: () => ({ method: 'GET', url: '/api/mediator/log/verify' }) },
  {
    route: 'POST /api/mediator/v1/:registry/:operation', access: 'public', what: 'unsigned: refused whoever is signed in',
                                                                    expect: [400, 400, 400, 400, 400, 400, 400, 400], call: () => ({ method: 'POST', url: '/api/mediator/v1/land-parcels/read', json: { match: { zone: 'R1' } } }),
  },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/mediator/routes.scopes.test.ts'], rows: ROWS });
