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

let app: TestApp;
before(async () => {
  // With an identity provider configured, so the sign-in routes it adds are in the document too; it is never called.
  app = await startTestApp({ env: { OIDC_ISSUER: 'http://127.0.0.1:9/', OIDC_CLIENT_ID: 'daftari' } });
});
after(() => app.stop());

it('every route in /openapi.json is answered for by a permission table', async () => {
  const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
  const tables = Object.values(PERMISSION_TABLES);
  const uncovered = [...documentedRoutes(response.json(), (path) => !tables.some((covers) => covers(path))).keys()];
  assert.ok(uncovered.length === 0, `${uncovered.length} routes no permission table has rows for:\n${uncovered.join('\n')}`);
});

it('no two tables answer for the same route', async () => {
  const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
  const shared = Object.keys(response.json<{ paths: object }>().paths).filter((path) => Object.values(PERMISSION_TABLES).filter((covers) => covers(path)).length > 1);
  assert.deepEqual(shared, []);
});

