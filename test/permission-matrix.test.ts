/**
 * The authorization matrix is the permission tables together: each names, for the routes its
 * paths hold, the status every kind of caller gets, and checks it has a row for exactly those
 * routes. This checks that every route of /openapi.json falls in some table, so a route added
 * anywhere without a row fails here or in its block's table.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from './support/app.ts';
import { documentedRoutes, PERMISSION_TABLES } from './support/permission-coverage.ts';

/**
 * Routes whose rows are still to be written, in the order /openapi.json lists them. The list
 * only shrinks: a route not on it needs a row, and a route on it that no longer exists or has
 * gained a table fails the last test below.
 */
const NOT_YET_TABLED = new Set([
  'GET /api/audit/entries',
  'GET /api/audit/verification',
  'GET /api/catalogue/services',
  'GET /api/catalogue/services/:code',
  'PUT /api/catalogue/services/:code',
  'GET /api/catalogue/export.csv',
  'GET /api/catalogue/export.json',
  'GET /api/catalogue/digitisation',
  'POST /api/catalogue/imports',
  'GET /api/catalogue/imports/:id',
  'GET /.well-known/jwks.json',
  'POST /api/esignature/agencies/:code/keys/rotate',
  'POST /api/documents/:id/revoke',
  'GET /api/documents/:id/status',
  'GET /verify',
  'GET /verify/:id',
  'POST /verify/:id',
  'GET /',
  'GET /api',
  'GET /assets/:file',
  'GET /sign-in/oidc',
  'GET /sign-in/oidc/callback',
  'GET /services',
  'GET /services/:code',
  'GET /admin/catalogue',
  'POST /admin/catalogue/imports',
  'GET /admin/catalogue/imports/:id',
  'GET /admin/audit',
  'GET /apply/:serviceId',
  'POST /apply/:serviceId',
  'GET /applications',
  'GET /applications/:id',
  'GET /applications/:id/steps/:stepId',
  'POST /applications/:id/steps/:stepId',
  'GET /applications/:id/documents',
  'POST /applications/:id/documents',
  'POST /applications/:id/documents/:documentId/remove',
  'GET /applications/:id/check',
  'POST /applications/:id/submit',
  'GET /applications/:id/confirmation',
  'POST /applications/:id/answers/:actionId',
  'POST /applications/:id/withdraw',
  'GET /applications/:id/outputs/:outputId',
  'GET /applications/:id/outputs/:outputId/pdf',
  'GET /work',
  'GET /work/cases/:id',
  'POST /work/cases/:id/actions/:actionId',
  'POST /work/cases/:id/reviews/:reviewId',
  'POST /work/cases/:id/extend',
  'POST /work/cases/:id/tasks/:taskId/claim',
  'POST /work/cases/:id/tasks/:taskId/assign',
  'POST /work/cases/:id/tasks/:taskId/release',
]);

let app: TestApp;
before(async () => {
  // With an identity provider configured, so the sign-in routes it adds are in the document too; it is never called.
  app = await startTestApp({ env: { OIDC_ISSUER: 'http://127.0.0.1:9/', OIDC_CLIENT_ID: 'daftari' } });
});
after(() => app.stop());

it('every route in /openapi.json is answered for by a permission table', async () => {
  const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
  const tables = Object.values(PERMISSION_TABLES);
  const uncovered = [...documentedRoutes(response.json(), (path) => !tables.some((covers) => covers(path))).keys()].filter((route) => !NOT_YET_TABLED.has(route));
  assert.ok(uncovered.length === 0, `${uncovered.length} routes no permission table has rows for:\n${uncovered.join('\n')}`);
});

it('no two tables answer for the same route', async () => {
  const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
  const shared = Object.keys(response.json<{ paths: object }>().paths).filter((path) => Object.values(PERMISSION_TABLES).filter((covers) => covers(path)).length > 1);
  assert.deepEqual(shared, []);
});

it('lists as not yet tabled only routes that exist and have no table', async () => {
  const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
  const tables = Object.values(PERMISSION_TABLES);
  const untabled = documentedRoutes(response.json(), (path) => !tables.some((covers) => covers(path)));
  assert.deepEqual([...NOT_YET_TABLED].filter((route) => !untabled.has(route)), []);
});
