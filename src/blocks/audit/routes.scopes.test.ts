/**
 * Who may read the audit log (routes.ts, and its page in src/web/pages/admin-pages.tsx). Staff
 * read the entries of the agencies they work in, officers included, so the officer of Fire and
 * Civil Protection is let in too: what each reader sees is routes.test.ts's concern. Citizens are
 * refused. Only a platform administrator verifies the whole chain, which spans every agency.
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';

const READERS = 'roles: admin, agency-head, auditor, officer';

// prettier-ignore
const ROWS: Row[] = [
  //                                                                 anon owner other officer agency head admin client
  { route: 'GET /api/audit/entries', access: READERS,             expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/audit/entries?limit=5' }) },
  { route: 'GET /api/audit/verification', access: 'roles: admin', expect: [401, 403, 403, 403, 403, 403, 200, 403], call: () => ({ method: 'GET', url: '/api/audit/verification' }) },
  { route: 'GET /admin/audit', access: READERS,                   expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/admin/audit' }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/audit/routes.scopes.test.ts'], rows: ROWS });
