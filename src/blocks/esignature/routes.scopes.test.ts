/**
 * Who may call each e-signature route. Documents and keys belong to the Ministry of Trade
 * (`commerce`): its head and platform administrators manage them; its officers, the head of
 * another ministry and citizens may not; anyone may read the public keys and a document's status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { issueLicence } from './document-fixtures.ts';

type Who = 'anonymous' | 'amina' | 'officer.trade' | 'head.urban' | 'head.trade' | 'admin';
const CALLERS: Who[] = ['anonymous', 'amina', 'officer.trade', 'head.urban', 'head.trade', 'admin'];

interface RouteSpec {
  route: string;
  /** As the OpenAPI document states it (x-access). */
  access: string;
  /** Made afresh for each caller. */
  call: () => Promise<{ method: 'GET' | 'POST'; url: string; json?: object }>;
  /** The status each caller gets, in the order of CALLERS. */
  expect: [number, number, number, number, number, number];
}

let app: TestApp;
const sessions = new Map<Who, Session>();

before(async () => {
  app = await startTestApp();
  const signedIn = await signInDemo(app, 'amina', 'officer.trade', 'head.urban', 'head.trade', 'admin');
  (['amina', 'officer.trade', 'head.urban', 'head.trade', 'admin'] as const).forEach((who, i) => sessions.set(who, signedIn[i]!));
});
after(() => app.stop());

const newDocument = async () => (await issueLicence(app)).id;

const ROUTES: RouteSpec[] = [
  {
    route: 'POST /api/esignature/agencies/{code}/keys/rotate',
    access: 'roles: admin, agency-head',
    call: async () => ({ method: 'POST', url: '/api/esignature/agencies/commerce/keys/rotate' }),
    expect: [401, 403, 403, 403, 201, 201],
  },
  {
    route: 'POST /api/documents/{id}/revoke',
    access: 'roles: admin, agency-head',
    call: async () => ({ method: 'POST', url: `/api/documents/${await newDocument()}/revoke`, json: { reason: 'Issued in error' } }),
    expect: [401, 403, 403, 403, 200, 200],
  },
  {
    route: 'GET /api/documents/{id}/status',
    access: 'public',
    call: async () => ({ method: 'GET', url: `/api/documents/${await newDocument()}/status` }),
    expect: [200, 200, 200, 200, 200, 200],
  },
  {
    route: 'GET /.well-known/jwks.json',
    access: 'public',
    call: async () => ({ method: 'GET', url: '/.well-known/jwks.json' }),
    expect: [200, 200, 200, 200, 200, 200],
  },
  {
    route: 'GET /verify/{id}',
    access: 'public',
    call: async () => ({ method: 'GET', url: `/verify/${await newDocument()}` }),
    expect: [200, 200, 200, 200, 200, 200],
  },
  {
    route: 'GET /verify',
    access: 'public',
    call: async () => ({ method: 'GET', url: '/verify' }),
    expect: [200, 200, 200, 200, 200, 200],
  },
];

async function send(who: Who, call: { method: 'GET' | 'POST'; url: string; json?: object }): Promise<LightMyRequestResponse> {
  const session = sessions.get(who);
  return app.app.inject({ method: call.method, url: call.url, headers: session ? asSession(session) : {}, ...(call.json ? { payload: call.json } : {}) });
}

describe('e-signature routes', () => {
  it('each declares the access rule the table expects', async () => {
    const paths = (await app.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<string, Record<string, { 'x-access': string }>>;
    for (const spec of ROUTES) {
      const [method, path] = spec.route.split(' ') as [string, string];
      assert.equal(paths[path]?.[method.toLowerCase()]?.['x-access'], spec.access, spec.route);
    }
  });

  for (const spec of ROUTES) {
    describe(spec.route, () => {
      CALLERS.forEach((who, column) => {
        const status = spec.expect[column]!;
        it(`${who} → ${status}`, async () => {
          const response = await send(who, await spec.call());
          if (status >= 400) assertProblem(response, status);
          else assert.equal(response.statusCode, status, response.body.slice(0, 300));
        });
      });
    });
  }

  it("an agency's head may not rotate another agency's key, nor revoke its documents", async () => {
    const urbanDocument = (await issueLicence(app, { agencyCode: 'urban-permits', kind: 'permit' })).id;
    const headTrade = sessions.get('head.trade')!;
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/esignature/agencies/urban-permits/keys/rotate', headers: asSession(headTrade) }), 403);
    assertProblem(await app.app.inject({ method: 'POST', url: `/api/documents/${urbanDocument}/revoke`, headers: asSession(headTrade), payload: { reason: 'x' } }), 403);
    // The head of a ministry acts for the departments under it.
    const headUrban = sessions.get('head.urban')!;
    const revoked = await app.app.inject({ method: 'POST', url: `/api/documents/${urbanDocument}/revoke`, headers: asSession(headUrban), payload: { reason: 'Permit annulled by court order' } });
    assert.equal(revoked.statusCode, 200, revoked.body);
  });

  it('unknown agencies and documents are 404 for those who may manage them', async () => {
    const admin = sessions.get('admin')!;
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/esignature/agencies/no-such-agency/keys/rotate', headers: asSession(admin) }), 404);
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/documents/00000000-0000-4000-8000-000000000000/revoke', headers: asSession(admin), payload: { reason: 'x' } }), 404);
  });
});
