/**
 * Who may call the operations routes: health, readiness and the API description are public (a
 * load balancer and a client generator call them); metrics are for the administrator and a
 * scraper holding the metrics-reader role; the job queue is the administrator's alone.
 */
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { everyone, permissionTable, type Row } from '../../../test/support/permission-table.ts';

const ONLY_ADMIN = [401, 403, 403, 403, 403, 403, 200, 403] as const;
/** No job has this id, so a retry the rule lets through is refused as not dead. */
const NO_SUCH_JOB = 2_000_000_000;

// prettier-ignore
const ROWS: Row[] = [
  { route: 'GET /health', access: 'public',                                   expect: everyone(200), call: () => ({ method: 'GET', url: '/health' }) },
  { route: 'GET /ready', access: 'public',                                    expect: everyone(200), call: () => ({ method: 'GET', url: '/ready' }) },
  { route: 'GET /openapi.json', access: 'public',                             expect: everyone(200), call: () => ({ method: 'GET', url: '/openapi.json' }) },
  { route: 'GET /metrics', access: 'roles: admin, metrics-reader',            expect: ONLY_ADMIN, call: () => ({ method: 'GET', url: '/metrics' }) },
  { route: 'GET /api/admin/jobs', access: 'roles: admin',                     expect: ONLY_ADMIN, call: () => ({ method: 'GET', url: '/api/admin/jobs' }) },
  { route: 'POST /api/admin/jobs/:id/retry', access: 'roles: admin', what: 'a job that is not dead',
                                                                               expect: [401, 403, 403, 403, 403, 403, 409, 403], call: () => ({ method: 'POST', url: `/api/admin/jobs/${NO_SUCH_JOB}/retry` }) },
  { route: 'GET /admin/jobs', access: 'roles: admin',                         expect: ONLY_ADMIN, call: () => ({ method: 'GET', url: '/admin/jobs' }) },
  { route: 'POST /admin/jobs/:id/retry', access: 'roles: admin', what: 'a job that is not dead',
                                                                               expect: [401, 403, 403, 403, 403, 403, 409, 403], call: () => ({ method: 'POST', url: `/admin/jobs/${NO_SUCH_JOB}/retry`, json: {} }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/platform/http/operations.scopes.test.ts'], rows: ROWS });
