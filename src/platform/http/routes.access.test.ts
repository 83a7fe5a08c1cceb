import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { createLogger } from '../log.ts';
import { access } from './access.ts';
import { createHttpServer } from './server.ts';

/**
 * Who may call what, for every route the app registers: each declares a rule, the OpenAPI
 * document shows it, and the rule holds against an anonymous caller and a citizen.
 */

interface Route {
  method: string;
  /** As the router holds it, e.g. `/api/identity/users/:id/roles`. */
  url: string;
}

/**
 * The router's own list, read from `printRoutes` without common prefixes: each line's label
 * continues the path of the line it hangs from, and ends with the methods registered there.
 */
function registeredRoutes(app: TestApp): Route[] {
  const prefixes: string[] = [];
  const routes: Route[] = [];
  for (const line of app.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const url = (depth === 0 ? '' : prefixes[depth - 1]!) + match[2]!;
    prefixes[depth] = url;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url });
  }
  return routes;
}

type Document = { paths: Record<string, Record<string, { 'x-access'?: string }>> };

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
// Access is checked before the parameters are validated, so any value reaches the check.
const concreteUrl = (url: string) => url.replace(/:\w+/g, '1');

let app: TestApp;
let document: Document;
let routes: Route[];
let amina: Session;

before(async () => {
  // With an identity provider configured, so the sign-in routes it adds are walked too; it is never called.
  app = await startTestApp({ env: { OIDC_ISSUER: 'http://127.0.0.1:9/', OIDC_CLIENT_ID: 'daftari' } });
  const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
  document = response.json() as Document;
  routes = registeredRoutes(app);
  amina = await signIn(app, 'amina', DEMO_PASSWORD);
});
after(() => app.stop());

/** The rule the document shows for a route; a HEAD route answers with its GET twin's rule. */
function ruleOf(route: Route): string {
  const method = route.method === 'HEAD' ? 'get' : route.method.toLowerCase();
  const rule = document.paths[openApiPath(route.url)]?.[method]?.['x-access'];
  assert.ok(rule, `${route.method} ${route.url} is not in /openapi.json`);
  return rule;
}

function rolesIn(rule: string): string[] {
  return rule.startsWith('roles: ') ? rule.slice('roles: '.length).split(', ') : [];
}

function assertRefused(route: Route, response: LightMyRequestResponse, status: number) {
  const where = `${route.method} ${route.url} (${ruleOf(route)})`;
  if (route.method === 'HEAD') {
    // A HEAD answer has the problem's status and type, without its body.
    assert.equal(response.statusCode, status, where);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/, where);
  } else {
    assert.doesNotThrow(() => assertProblem(response, status), where);
  }
}

describe('route access', () => {
  it('reads the routes the router holds', () => {
    assert.ok(routes.length > 40, `only ${routes.length} routes parsed from printRoutes`);
    for (const route of routes) assert.ok(app.app.hasRoute({ method: route.method as 'GET', url: route.url }), `${route.method} ${route.url} was misread`);
    assert.ok(routes.some((r) => r.method === 'GET' && r.url === '/sign-in/oidc/callback'));
  });

  it('/openapi.json lists every registered route, and a HEAD route exactly for each GET', () => {
    const registered = routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${openApiPath(r.url)}`).sort();
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    assert.deepEqual(documented, registered);
    const heads = routes.filter((r) => r.method === 'HEAD').map((r) => r.url).sort();
    const gets = routes.filter((r) => r.method === 'GET').map((r) => r.url).sort();
    assert.deepEqual(heads, gets);
  });

  it('every operation in /openapi.json declares who may call it', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        assert.match(operation['x-access'] ?? 'undeclared', /^(public|signed-in|roles: [a-z-]+(, [a-z-]+)*)$/, `${method.toUpperCase()} ${path}`);
      }
    }
  });

  it('refuses at start-up to register a route that declares no access rule', async () => {
    const server = await createHttpServer({
      log: createLogger('silent'),
      bodyLimit: 1024,
      uploadLimit: 1024,
      baseUrl: 'http://localhost',
      trustProxy: false,
      authenticate: async () => null,
    });
    try {
      server.get('/declared', { config: { access: access.public }, handler: async () => 'ok' });
      assert.throws(() => server.get('/undeclared', { handler: async () => 'oops' }), /GET \/undeclared declares no access rule/);
    } finally {
      await server.close();
    }
  });

  it('every route that is not public refuses an anonymous caller with 401', async () => {
    const guarded = routes.filter((route) => ruleOf(route) !== 'public');
    assert.ok(guarded.length > 10);
    for (const route of guarded) {
      assertRefused(route, await app.app.inject({ method: route.method as 'GET', url: concreteUrl(route.url) }), 401);
    }
  });

  it('every route restricted to roles refuses a citizen with 403, unless its rule admits citizens', async () => {
    const forStaff = routes.filter((route) => rolesIn(ruleOf(route)).length > 0 && !rolesIn(ruleOf(route)).includes('citizen'));
    assert.ok(forStaff.length > 10);
    for (const route of forStaff) {
      assertRefused(route, await app.app.inject({ method: route.method as 'GET', url: concreteUrl(route.url), headers: asSession(amina) }), 403);
    }
  });
});
