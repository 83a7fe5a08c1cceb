/**
 * Who may call each identity route and account page: the callers allowed succeed, and a caller
 * with the wrong role, acting for the wrong agency, or not party to the record, is refused, as is
 * an anonymous one. The OIDC sign-in pages are public and exist only when a provider is
 * configured; oidc-sign-in.test.ts covers them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, openForm } from '../../../test/support/http.ts';
import { documentedRoutes, PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { createUser } from './accounts.ts';
import { createApiClient } from './api-clients.ts';
import { recordMandate } from './mandates.ts';
import { principalForUser } from './authenticate.ts';
import { findUserByLogin } from './store.ts';

type Who =
  | 'anonymous'
  | 'admin'
  | 'head.urban'
  | 'officer.permits'
  | 'officer.fire'
  | 'auditor'
  | 'amina'
  | 'omar.architect'
  | 'zara'
  /** An API client of `urban` holding the officer role. */
  | 'api-client'
  /** A citizen signed in just for this call, for calls that end sessions or change passwords. */
  | 'a new citizen';

interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** A JSON body. */
  json?: Record<string, unknown>;
  /** A form body; the caller's CSRF token is added. */
  form?: Record<string, string>;
}

/** [who, expected status, what is special about this case, the call when it differs from the route's]. */
type Case = [Who, number, string?, (() => Promise<Call> | Call)?];

interface RouteSpec {
  route: string;
  /** As the OpenAPI document states it (x-access). */
  access: string;
  call: () => Promise<Call> | Call;
  cases: Case[];
}

const STAFF_PASSWORD = 'a long enough passphrase';
let app: TestApp;
const sessions = new Map<Who, Session>();
let anonymous: { cookie: string; csrf: string };
let clientToken: string;
const party: Record<string, string> = {};
const userId: Record<string, string> = {};
let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}`;

before(async () => {
  app = await startTestApp();
  const db = app.database.db;
  await createUser(db, { username: 'zara', displayName: 'Zara Ibrahim', email: 'zara@example.org', password: DEMO_PASSWORD, party: { kind: 'person' } });
  for (const who of ['admin', 'head.urban', 'officer.permits', 'officer.fire', 'auditor', 'amina', 'omar.architect', 'zara'] as const) {
    sessions.set(who, await signIn(app, who, DEMO_PASSWORD));
    const user = (await findUserByLogin(db, who))!;
    userId[who] = user.id;
    if (user.party_id) party[who] = user.party_id;
  }
  const { jar, csrf } = await openForm(app, '/sign-in');
  anonymous = { cookie: jar.header(), csrf };
  clientToken = (await createApiClient(db, { name: 'Urban data sync', agencyCode: 'urban', roles: ['officer'] }, { principal: null, requestId: null })).token;
});
after(() => app.stop());

async function credentials(who: Who): Promise<{ headers: Record<string, string>; csrf: string | null }> {
  if (who === 'anonymous') return { headers: { cookie: anonymous.cookie, 'x-csrf-token': anonymous.csrf }, csrf: anonymous.csrf };
  if (who === 'api-client') return { headers: { authorization: `Bearer ${clientToken}` }, csrf: null };
  if (who === 'a new citizen') {
    const username = unique('citizen');
    await createUser(app.database.db, { username, displayName: 'New Citizen', email: `${username}@example.org`, password: STAFF_PASSWORD, party: { kind: 'person' } });
    const session = await signIn(app, username, STAFF_PASSWORD);
    return { headers: asSession(session), csrf: session.csrf };
  }
  const session = sessions.get(who)!;
  return { headers: asSession(session), csrf: session.csrf };
}

async function send(who: Who, call: Call): Promise<LightMyRequestResponse> {
  const { headers, csrf } = await credentials(who);
  if (call.form) {
    const fields = new URLSearchParams({ ...call.form, ...(csrf ? { _csrf: csrf } : {}) });
    return app.app.inject({ method: call.method, url: call.url, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: fields.toString() });
  }
  return app.app.inject({ method: call.method, url: call.url, headers, ...(call.json ? { payload: call.json } : {}) });
}

// Records a case changes or removes, made afresh for each case.

async function staffAccount(roles: { role: string; agencyCode: string }[] = []): Promise<string> {
  return (await createUser(app.database.db, { username: unique('staff'), displayName: 'Staff Member', password: STAFF_PASSWORD, roles })).id;
}

const grant = async (role: string, agency: string | null, to?: string): Promise<Call> => ({ method: 'POST', url: `/api/identity/users/${to ?? (await staffAccount())}/roles`, json: { role, agency } });

async function apiClientOf(agency: string): Promise<string> {
  return (await createApiClient(app.database.db, { name: unique('client'), agencyCode: agency, roles: ['officer'] }, { principal: null, requestId: null })).id;
}

async function aminasMandateToOmar(): Promise<string> {
  const amina = (await principalForUser(app.database.db, userId.amina!, null))!;
  return (await recordMandate(app.database.db, { grantorPartyId: party.amina!, agentPartyId: party['omar.architect']!, scope: unique('service-'), validUntil: null }, amina, 'test')).id;
}

const newUser = (roles: { role: string; agency: string | null }[]) => ({ username: unique('user'), displayName: 'New Staff', password: STAFF_PASSWORD, roles });

const ROUTES: RouteSpec[] = [
  // Sessions and the signed-in account
  {
    route: 'POST /api/identity/sessions',
    access: 'public',
    call: () => ({ method: 'POST', url: '/api/identity/sessions', json: { username: 'zara', password: DEMO_PASSWORD } }),
    cases: [['anonymous', 201]],
  },
  {
    route: 'DELETE /api/identity/sessions/current',
    access: 'signed-in',
    call: () => ({ method: 'DELETE', url: '/api/identity/sessions/current' }),
    cases: [['a new citizen', 204], ['api-client', 204, 'nothing to end'], ['anonymous', 401]],
  },
  {
    route: 'DELETE /api/identity/sessions',
    access: 'signed-in',
    call: () => ({ method: 'DELETE', url: '/api/identity/sessions' }),
    cases: [['a new citizen', 200], ['api-client', 403, 'clients have no sessions'], ['anonymous', 401]],
  },
  {
    route: 'GET /api/identity/me',
    access: 'signed-in',
    call: () => ({ method: 'GET', url: '/api/identity/me' }),
    cases: [['amina', 200], ['officer.fire', 200], ['api-client', 200], ['anonymous', 401]],
  },
  {
    route: 'POST /api/identity/password',
    access: 'signed-in',
    call: () => ({ method: 'POST', url: '/api/identity/password', json: { current: STAFF_PASSWORD, password: 'another long passphrase' } }),
    cases: [['a new citizen', 204], ['api-client', 403, 'clients have no password'], ['anonymous', 401]],
  },
  {
    route: 'POST /api/identity/phone-link',
    access: 'roles: citizen',
    call: () => ({ method: 'POST', url: '/api/identity/phone-link', json: { phone: `+2537790${String(++counter).padStart(4, '0')}` } }),
    cases: [['a new citizen', 202], ['officer.permits', 403, 'staff accounts link no phone here'], ['api-client', 403], ['anonymous', 401]],
  },
  {
    route: 'POST /api/identity/phone-link/confirm',
    access: 'roles: citizen',
    call: () => ({ method: 'POST', url: '/api/identity/phone-link/confirm', json: { code: '123456' } }),
    cases: [['a new citizen', 400, 'no code was asked for'], ['officer.permits', 403], ['api-client', 403], ['anonymous', 401]],
  },
  {
    route: 'POST /api/identity/password-resets',
    access: 'public',
    call: () => ({ method: 'POST', url: '/api/identity/password-resets', json: { login: 'nobody@example.org' } }),
    cases: [['anonymous', 202]],
  },
  {
    route: 'POST /api/identity/password-resets/complete',
    access: 'public',
    call: () => ({ method: 'POST', url: '/api/identity/password-resets/complete', json: { token: 'x'.repeat(43), password: 'another long passphrase' } }),
    cases: [['anonymous', 400, 'the token, not the caller, is the proof']],
  },
  {
    route: 'POST /api/identity/registrations',
    access: 'public',
    call: () => {
      const username = unique('registered');
      return { method: 'POST', url: '/api/identity/registrations', json: { username, displayName: 'Registered Person', email: `${username}@example.org`, password: STAFF_PASSWORD } };
    },
    cases: [['anonymous', 201]],
  },

  // Agencies, roles and staff accounts
  {
    route: 'GET /api/identity/agencies',
    access: 'public',
    call: () => ({ method: 'GET', url: '/api/identity/agencies' }),
    cases: [['anonymous', 200], ['amina', 200]],
  },
  {
    route: 'POST /api/identity/agencies',
    access: 'roles: admin',
    call: () => ({ method: 'POST', url: '/api/identity/agencies', json: { code: unique('office-'), kind: 'office', names: { en: 'A new office' }, parentCode: 'urban' } }),
    cases: [['admin', 201], ['head.urban', 403, 'even below their own agency'], ['officer.permits', 403], ['amina', 403], ['api-client', 403], ['anonymous', 401]],
  },
  {
    route: 'GET /api/identity/roles',
    access: 'signed-in',
    call: () => ({ method: 'GET', url: '/api/identity/roles' }),
    cases: [['amina', 200], ['head.urban', 200], ['anonymous', 401]],
  },
  {
    route: 'GET /api/identity/users',
    access: 'roles: admin, agency-head',
    call: () => ({ method: 'GET', url: '/api/identity/users' }),
    cases: [['admin', 200], ['head.urban', 200], ['officer.permits', 403], ['auditor', 403], ['amina', 403], ['api-client', 403], ['anonymous', 401]],
  },
  {
    route: 'POST /api/identity/users',
    access: 'roles: admin, agency-head',
    call: () => ({ method: 'POST', url: '/api/identity/users', json: newUser([{ role: 'officer', agency: 'urban-permits' }]) }),
    cases: [
      ['admin', 201],
      ['admin', 201, 'a platform administrator', () => ({ method: 'POST', url: '/api/identity/users', json: newUser([{ role: 'admin', agency: null }]) })],
      ['head.urban', 201, 'an officer in a department of their agency'],
      ['head.urban', 403, 'an officer in another agency', () => ({ method: 'POST', url: '/api/identity/users', json: newUser([{ role: 'officer', agency: 'fire' }]) })],
      ['head.urban', 403, 'a head of the parent agency', () => ({ method: 'POST', url: '/api/identity/users', json: newUser([{ role: 'agency-head', agency: 'gov' }]) })],
      ['head.urban', 403, 'a platform administrator', () => ({ method: 'POST', url: '/api/identity/users', json: newUser([{ role: 'admin', agency: null }]) })],
      ['officer.permits', 403],
      ['amina', 403],
      ['api-client', 403],
      ['anonymous', 401],
    ],
  },
  {
    route: 'POST /api/identity/users/:id/roles',
    access: 'roles: admin, agency-head',
    call: () => grant('officer', 'urban-permits'),
    cases: [
      ['admin', 204],
      ['head.urban', 204, 'in a department of their agency'],
      ['head.urban', 403, 'in another agency', () => grant('officer', 'fire')],
      ['head.urban', 403, 'platform-wide', () => grant('officer', null)],
      ['head.urban', 403, 'the admin role, even to themselves', () => grant('admin', 'urban', userId['head.urban'])],
      ['officer.permits', 403],
      ['amina', 403],
      ['api-client', 403],
      ['anonymous', 401],
    ],
  },
  {
    route: 'DELETE /api/identity/users/:id/roles',
    access: 'roles: admin, agency-head',
    call: async () => ({ method: 'DELETE', url: `/api/identity/users/${await staffAccount([{ role: 'officer', agencyCode: 'urban-permits' }])}/roles`, json: { role: 'officer', agency: 'urban-permits' } }),
    cases: [
      ['admin', 204],
      ['head.urban', 204, 'in a department of their agency'],
      ['head.urban', 403, 'in another agency', () => ({ method: 'DELETE', url: `/api/identity/users/${userId['officer.fire']}/roles`, json: { role: 'officer', agency: 'fire' } })],
      ['head.urban', 403, 'the admin role', () => ({ method: 'DELETE', url: `/api/identity/users/${userId.admin}/roles`, json: { role: 'admin', agency: null } })],
      ['officer.permits', 403],
      ['amina', 403],
      ['api-client', 403],
      ['anonymous', 401],
    ],
  },

  // API clients
  {
    route: 'GET /api/identity/api-clients',
    access: 'roles: admin, agency-head',
    call: () => ({ method: 'GET', url: '/api/identity/api-clients' }),
    cases: [['admin', 200], ['head.urban', 200], ['officer.permits', 403], ['amina', 403], ['api-client', 403], ['anonymous', 401]],
  },
  {
    route: 'POST /api/identity/api-clients',
    access: 'roles: admin, agency-head',
    call: () => ({ method: 'POST', url: '/api/identity/api-clients', json: { name: unique('client'), agency: 'urban-permits', roles: ['officer'] } }),
    cases: [
      ['admin', 201],
      ['admin', 201, 'for another agency', () => ({ method: 'POST', url: '/api/identity/api-clients', json: { name: unique('client'), agency: 'fire', roles: ['officer'] } })],
      ['head.urban', 201, 'for a department of their agency'],
      ['head.urban', 403, 'for another agency', () => ({ method: 'POST', url: '/api/identity/api-clients', json: { name: unique('client'), agency: 'fire', roles: ['officer'] } })],
      ['head.urban', 403, 'platform-wide', () => ({ method: 'POST', url: '/api/identity/api-clients', json: { name: unique('client'), agency: null, roles: ['officer'] } })],
      ['head.urban', 403, 'with the admin role', () => ({ method: 'POST', url: '/api/identity/api-clients', json: { name: unique('client'), agency: 'urban', roles: ['admin'] } })],
      ['officer.permits', 403],
      ['amina', 403],
      ['api-client', 403],
      ['anonymous', 401],
    ],
  },
  {
    route: 'DELETE /api/identity/api-clients/:id',
    access: 'roles: admin, agency-head',
    call: async () => ({ method: 'DELETE', url: `/api/identity/api-clients/${await apiClientOf('urban-permits')}` }),
    cases: [
      ['admin', 204],
      ['head.urban', 204, 'of a department of their agency'],
      ['head.urban', 403, 'of another agency', async () => ({ method: 'DELETE', url: `/api/identity/api-clients/${await apiClientOf('fire')}` })],
      ['officer.permits', 403],
      ['amina', 403],
      ['api-client', 403],
      ['anonymous', 401],
    ],
  },

  // Mandates
  {
    route: 'GET /api/identity/mandates',
    access: 'roles: citizen',
    call: () => ({ method: 'GET', url: '/api/identity/mandates' }),
    cases: [['amina', 200], ['omar.architect', 200], ['officer.permits', 403, 'staff are not a person'], ['admin', 403], ['api-client', 403], ['anonymous', 401]],
  },
  {
    route: 'POST /api/identity/mandates',
    access: 'roles: citizen, officer, admin',
    call: () => ({ method: 'POST', url: '/api/identity/mandates', json: { grantorPartyId: party.amina, agentPartyId: party.zara, scope: unique('service-') } }),
    cases: [
      ['amina', 201, 'in her own name'],
      ['zara', 403, 'in someone else\'s name'],
      ['omar.architect', 403, 'as the agent of another mandate'],
      ['officer.permits', 201],
      ['admin', 201],
      ['head.urban', 403],
      ['auditor', 403],
      ['api-client', 201, 'an officer client, on paper evidence'],
      ['anonymous', 401],
    ],
  },
  {
    route: 'DELETE /api/identity/mandates/:id',
    access: 'roles: citizen, officer, admin',
    call: async () => ({ method: 'DELETE', url: `/api/identity/mandates/${await aminasMandateToOmar()}` }),
    cases: [
      ['amina', 204, 'the grantor'],
      ['omar.architect', 204, 'the agent'],
      ['zara', 404, 'not party to it: its existence is not revealed'],
      ['officer.permits', 204],
      ['admin', 204],
      ['head.urban', 403],
      ['auditor', 403],
      ['anonymous', 401],
    ],
  },

  // The account pages
  {
    route: 'GET /sign-in',
    access: 'public',
    call: () => ({ method: 'GET', url: '/sign-in' }),
    cases: [['anonymous', 200], ['amina', 303, 'already signed in: on to the account']],
  },
  {
    route: 'POST /sign-in',
    access: 'public',
    call: () => ({ method: 'POST', url: '/sign-in', form: { username: 'zara', password: DEMO_PASSWORD } }),
    cases: [['anonymous', 303]],
  },
  {
    route: 'POST /sign-out',
    access: 'public',
    call: () => ({ method: 'POST', url: '/sign-out', form: {} }),
    cases: [['a new citizen', 303], ['anonymous', 303, 'nothing to end']],
  },
  {
    route: 'GET /register',
    access: 'public',
    call: () => ({ method: 'GET', url: '/register' }),
    cases: [['anonymous', 200]],
  },
  {
    route: 'POST /register',
    access: 'public',
    call: () => {
      const username = unique('newcomer');
      return { method: 'POST', url: '/register', form: { displayName: 'A Newcomer', username, email: `${username}@example.org`, password: STAFF_PASSWORD } };
    },
    cases: [['anonymous', 303]],
  },
  {
    route: 'GET /account',
    access: 'signed-in',
    call: () => ({ method: 'GET', url: '/account' }),
    cases: [['amina', 200], ['admin', 200], ['anonymous', 401]],
  },
  {
    route: 'POST /account/sign-out-everywhere',
    access: 'signed-in',
    call: () => ({ method: 'POST', url: '/account/sign-out-everywhere', form: {} }),
    cases: [['a new citizen', 303], ['anonymous', 401]],
  },
  {
    route: 'POST /account/phone',
    access: 'signed-in',
    call: () => ({ method: 'POST', url: '/account/phone', form: { phone: '+253 77 12 34 56' } }),
    cases: [['a new citizen', 303], ['admin', 303, 'staff have phones too'], ['api-client', 403, 'a client has no phone'], ['anonymous', 401]],
  },
  {
    route: 'GET /account/password',
    access: 'signed-in',
    call: () => ({ method: 'GET', url: '/account/password' }),
    cases: [['amina', 200], ['anonymous', 401]],
  },
  {
    route: 'POST /account/password',
    access: 'signed-in',
    call: () => ({ method: 'POST', url: '/account/password', form: { current: STAFF_PASSWORD, password: 'another long passphrase' } }),
    cases: [['a new citizen', 303], ['anonymous', 401]],
  },
  {
    route: 'GET /password/forgot',
    access: 'public',
    call: () => ({ method: 'GET', url: '/password/forgot' }),
    cases: [['anonymous', 200]],
  },
  {
    route: 'POST /password/forgot',
    access: 'public',
    call: () => ({ method: 'POST', url: '/password/forgot', form: { login: 'nobody@example.org' } }),
    cases: [['anonymous', 200]],
  },
  {
    route: 'GET /password/reset',
    access: 'public',
    call: () => ({ method: 'GET', url: `/password/reset?token=${'x'.repeat(43)}` }),
    cases: [['anonymous', 400, 'the token, not the caller, is the proof']],
  },
  {
    route: 'POST /password/reset',
    access: 'public',
    call: () => ({ method: 'POST', url: '/password/reset', form: { token: 'x'.repeat(43), password: 'another long passphrase' } }),
    cases: [['anonymous', 400, 'the token, not the caller, is the proof']],
  },
];

describe('every identity route and account page has its permissions specified here', () => {
  it('the table names each one, with the access rule it declares', () => {
    assert.deepEqual(new Map(ROUTES.map((r) => [r.route, r.access])), documentedRoutes(app.app.swagger(), PERMISSION_TABLES['src/blocks/identity/routes.scopes.test.ts']));
  });
});

for (const spec of ROUTES) {
  describe(spec.route, () => {
    for (const [who, status, what, call] of spec.cases) {
      it(`${who}${what ? `, ${what},` : ''} → ${status}`, async () => {
        const response = await send(who, await (call ?? spec.call)());
        if ([401, 403, 404].includes(status)) assertProblem(response, status);
        else assert.equal(response.statusCode, status, response.body);
      });
    }
  });
}

describe('what a refusal leaves behind, and what an agency head sees', () => {
  it('an account refused for a role in another agency is not created', async () => {
    const body = newUser([{ role: 'officer', agency: 'fire' }]);
    assertProblem(await send('head.urban', { method: 'POST', url: '/api/identity/users', json: body }), 403);
    assert.equal(await findUserByLogin(app.database.db, body.username), undefined);
  });

  it('an API client refused for another agency is not created', async () => {
    const name = unique('refused-client');
    assertProblem(await send('head.urban', { method: 'POST', url: '/api/identity/api-clients', json: { name, agency: 'fire', roles: ['officer'] } }), 403);
    const listed = JSON.parse((await send('admin', { method: 'GET', url: '/api/identity/api-clients' })).body) as { name: string }[];
    assert.equal(listed.some((c) => c.name === name), false);
  });

  it('another agency\'s API client refused a revocation keeps working', async () => {
    const { id, token } = await createApiClient(app.database.db, { name: unique('fire-client'), agencyCode: 'fire', roles: ['officer'] }, { principal: null, requestId: null });
    assertProblem(await send('head.urban', { method: 'DELETE', url: `/api/identity/api-clients/${id}` }), 403);
    assert.equal((await app.app.inject({ method: 'GET', url: '/api/identity/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  });

  it('an agency head lists only the staff and API clients of their agency and the agencies below it', async () => {
    await apiClientOf('fire');
    await apiClientOf('urban-permits');
    const staff = JSON.parse((await send('head.urban', { method: 'GET', url: '/api/identity/users' })).body) as { username: string; roles: { agency: string | null }[] }[];
    assert.ok(staff.some((s) => s.username === 'officer.permits'));
    assert.equal(staff.some((s) => s.username === 'officer.fire'), false);
    assert.ok(staff.flatMap((s) => s.roles).every((r) => r.agency === 'urban' || r.agency === 'urban-permits'));
    const clients = JSON.parse((await send('head.urban', { method: 'GET', url: '/api/identity/api-clients' })).body) as { agency: string | null }[];
    assert.ok(clients.length > 0);
    assert.ok(clients.every((c) => c.agency === 'urban' || c.agency === 'urban-permits'));
  });
});

describe('records that do not exist, or exist already', () => {
  it('granting a role to an account that does not exist is a 404, after the permission check', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    assertProblem(await send('admin', await grant('officer', 'fire', missing)), 404);
    assertProblem(await send('head.urban', await grant('officer', 'fire', missing)), 403);
  });

  it('a second account for a national id already on record is a conflict', async () => {
    const response = await send('admin', { method: 'POST', url: '/api/identity/users', json: { username: unique('twin'), displayName: 'Amina Said', party: { kind: 'person', nationalId: 'DJ-1985-000123' } } });
    assertProblem(response, 409);
  });
});
