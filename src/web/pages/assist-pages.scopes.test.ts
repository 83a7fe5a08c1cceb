/**
 * Who may use the agent counter pages: only an agent (assist-pages.test.ts signs one in and walks
 * the flow). None of the callers of the table holds the agent role, the administrator included,
 * so every one of them is refused before a service or an application is looked up.
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';

const AGENTS = 'roles: agent';
const NOT_AN_AGENT = [401, 403, 403, 403, 403, 403, 403, 403] as const;

// prettier-ignore
const ROWS: Row[] = [
  { route: 'GET /assist', access: AGENTS,             expect: NOT_AN_AGENT, call: () => ({ method: 'GET', url: '/assist' }) },
  { route: 'GET /assist/:serviceId', access: AGENTS,  expect: NOT_AN_AGENT, call: () => ({ method: 'GET', url: '/assist/business-licence' }) },
  { route: 'POST /assist/:serviceId', access: AGENTS, expect: NOT_AN_AGENT, call: () => ({ method: 'POST', url: '/assist/business-licence', json: { nationalId: 'DJ-1990-000001', consent: 'yes' } }) },
  { route: 'GET /assist/done/:id', access: AGENTS,    expect: NOT_AN_AGENT, call: () => ({ method: 'GET', url: '/assist/done/00000000-0000-4000-8000-000000000000' }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/web/pages/assist-pages.scopes.test.ts'], rows: ROWS });
