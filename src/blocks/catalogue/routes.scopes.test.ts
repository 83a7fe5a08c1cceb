/**
 * Who may read and change the register of public services: its API (routes.ts) and its pages
 * (src/web/pages/catalogue-pages.tsx). The register is open data, so reading it answers everyone;
 * the service written is the Ministry of Trade's, so its head may add it but not its officers,
 * and only a platform administrator imports a CSV of services.
 */
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { queueImport } from './index.ts';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { everyone, permissionTable, type Row } from '../../../test/support/permission-table.ts';
import type { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';

const HEADS = 'roles: admin, agency-head';
const ADMINS = 'roles: admin';
const ONLY_ADMIN = [401, 403, 403, 403, 403, 403, 200, 403] as const;

/** A row for a service of its own, so the import never collides with another. */
const csvFile = (f: RegistrationFixtures) => `code,agency,status,channels,life_events,time_limit_days,title_en,title_fr\n${f.unique('imported-service')},commerce,paper,office,business,30,Imported,Importé\n`;

/** An import queued by the platform, for the rows that read one. */
const anImport = (f: RegistrationFixtures) => queueImport(f.app.database.db, f.app.jobs, { fileName: 'services.csv', content: csvFile(f), actor: SYSTEM_ACTOR, requestId: 'test' });

// prettier-ignore
const ROWS: Row[] = [
  //                                                                           anon owner other officer agency head admin client
  { route: 'GET /api/catalogue/services', access: 'public',                 expect: everyone(200), call: () => ({ method: 'GET', url: '/api/catalogue/services?q=licence' }) },
  { route: 'GET /api/catalogue/services/:code', access: 'public',           expect: everyone(200), call: () => ({ method: 'GET', url: '/api/catalogue/services/construction-permit' }) },
  {
    route: 'PUT /api/catalogue/services/:code', access: HEADS, what: 'a new service of the Ministry of Trade',
                                                                             expect: [401, 403, 403, 403, 403, 201, 201, 403],
    call: (f) => ({ method: 'PUT', url: `/api/catalogue/services/${f.unique('trade-service')}`, json: { agency: 'commerce', titles: { en: 'Trade fair stand' }, status: 'paper', channels: ['office'] } }),
  },
  { route: 'GET /api/catalogue/export.csv', access: 'public',               expect: everyone(200), call: () => ({ method: 'GET', url: '/api/catalogue/export.csv' }) },
  { route: 'GET /api/catalogue/export.json', access: 'public',              expect: everyone(200), call: () => ({ method: 'GET', url: '/api/catalogue/export.json' }) },
  { route: 'GET /api/catalogue/digitisation', access: 'public',             expect: everyone(200), call: () => ({ method: 'GET', url: '/api/catalogue/digitisation' }) },
  { route: 'GET /api/catalogue/digitisation/history', access: 'public',     expect: everyone(200), call: () => ({ method: 'GET', url: '/api/catalogue/digitisation/history?from=2025-01&to=2025-12' }) },
  { route: 'GET /api/catalogue/digitisation/history.csv', access: 'public', expect: everyone(200), call: () => ({ method: 'GET', url: '/api/catalogue/digitisation/history.csv' }) },
  { route: 'POST /api/catalogue/imports', access: ADMINS,                   expect: [401, 403, 403, 403, 403, 403, 202, 403], call: (f) => ({ method: 'POST', url: '/api/catalogue/imports?fileName=services.csv', headers: { 'content-type': 'text/csv' }, json: csvFile(f) }) },
  { route: 'GET /api/catalogue/imports/:id', access: ADMINS,                expect: ONLY_ADMIN, call: async (f) => ({ method: 'GET', url: `/api/catalogue/imports/${await anImport(f)}` }) },

  { route: 'GET /services', access: 'public',                               expect: everyone(200), call: () => ({ method: 'GET', url: '/services?q=licence' }) },
  { route: 'GET /services/:code', access: 'public',                         expect: everyone(200), call: () => ({ method: 'GET', url: '/services/construction-permit' }) },
  { route: 'GET /admin/catalogue', access: HEADS,                           expect: [401, 403, 403, 403, 403, 200, 200, 403], call: () => ({ method: 'GET', url: '/admin/catalogue' }) },
  { route: 'POST /admin/catalogue/imports', access: ADMINS,                 expect: [401, 403, 403, 403, 403, 403, 303, 403], call: (f) => ({ method: 'POST', url: '/admin/catalogue/imports', multipart: [{ name: 'file', fileName: 'services.csv', content: csvFile(f) }] }) },
  { route: 'GET /admin/catalogue/imports/:id', access: ADMINS,              expect: ONLY_ADMIN, call: async (f) => ({ method: 'GET', url: `/admin/catalogue/imports/${await anImport(f)}` }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/catalogue/routes.scopes.test.ts'], rows: ROWS });
