/**
 * Who may call each messaging route and page: the callers allowed succeed, and a caller with the
 * wrong role, another API client, or an anonymous one is refused. Delivery reports are public but
 * must carry the gateway's signature; the GovStack API is for API clients with `messaging-client`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { documentedRoutes, PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { createApiClient, createUser, findUserByLogin } from '../identity/index.ts';
import { DELIVERY_REPORTS_PATH, GOVSTACK_MESSAGING_PREFIX as P, INBOUND_SMS_PATH, MESSAGING_CLIENT_ROLE } from './index.ts';
import { signatureHeaders } from '../../platform/http/signed-calls.ts';

type Who =
  | 'anonymous'
  | 'amina'
  | 'zara'
  | 'officer.trade'
  | 'head.trade'
  | 'admin'
  /** An API client of the Ministry of Trade holding messaging-client. */
  | 'messaging client'
  /** Another API client holding messaging-client. */
  | 'other messaging client'
  /** An API client holding officer, not messaging-client. */
  | 'officer client'
  /** The SMS gateway: no account, but the shared secret. */
  | 'gateway';

interface Call {
  method: 'GET' | 'POST';
  url: string;
  json?: Record<string, unknown>;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

type Case = [Who, number, string?, (() => Promise<Call> | Call)?];

interface RouteSpec {
  route: string;
  access: string;
  call: () => Promise<Call> | Call;
  cases: Case[];
}

const SECRET = 'the-shared-secret-of-the-sms-gateway';
let app: TestApp;
const sessions = new Map<Who, Session>();
const tokens = new Map<Who, string>();
let counter = 0;

before(async () => {
  // A gateway nobody listens at: reports are checked against its secret; nothing is sent.
  app = await startTestApp({ env: { SMS_GATEWAY_URL: 'http://127.0.0.1:9', SMS_GATEWAY_SECRET: SECRET } });
  const db = app.database.db;
  await createUser(db, { username: 'zara', displayName: 'Zara Ibrahim', email: 'zara@example.org', password: DEMO_PASSWORD, party: { kind: 'person' } });
  for (const who of ['amina', 'zara', 'officer.trade', 'head.trade', 'admin'] as const) sessions.set(who, await signIn(app, who, DEMO_PASSWORD));
  const acting = { principal: null, requestId: null };
  tokens.set('messaging client', (await createApiClient(db, { name: 'Trade notices', agencyCode: 'commerce', roles: [MESSAGING_CLIENT_ROLE] }, acting)).token);
  tokens.set('other messaging client', (await createApiClient(db, { name: 'Health reminders', agencyCode: null, roles: [MESSAGING_CLIENT_ROLE] }, acting)).token);
  tokens.set('officer client', (await createApiClient(db, { name: 'Trade data sync', agencyCode: 'commerce', roles: ['officer'] }, acting)).token);
});
after(() => app.stop());

function headersOf(who: Who, call: Call): Record<string, string> {
  const token = tokens.get(who);
  if (token) return { authorization: `Bearer ${token}` };
  const session = sessions.get(who);
  if (session) return asSession(session);
  if (who === 'gateway' && call.json) return signatureHeaders(SECRET, JSON.stringify(call.json));
  return {};
}

async function send(who: Who, call: Call): Promise<LightMyRequestResponse> {
  const headers = { ...headersOf(who, call), ...call.headers };
  if (call.form) {
    const csrf = sessions.get(who)?.csrf;
    const fields = new URLSearchParams({ ...call.form, ...(csrf ? { _csrf: csrf } : {}) });
    return app.app.inject({ method: call.method, url: call.url, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: fields.toString() });
  }
  if (!call.json) return app.app.inject({ method: call.method, url: call.url, headers });
  // The very text the gateway's signature covers.
  return app.app.inject({ method: call.method, url: call.url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(call.json) });
}

// Records the calls need, made afresh for each case.

async function queuedSms(): Promise<string> {
  return app.messenger.queue(app.database.db, { channel: 'sms', to: '+25377123456', locale: 'fr', body: 'Bonjour' });
}

async function failedMessage(): Promise<string> {
  const id = await app.messenger.queue(app.database.db, { channel: 'email', to: `failed${++counter}@example.org`, locale: 'en', subject: 'Hello', body: 'Hello' });
  await sql`UPDATE messaging_messages SET status = 'failed', failure = 'exhausted', last_error = 'the mail server was down' WHERE id = ${id}`.execute(app.database.db);
  return id;
}

const email = () => ({ recipientInfo: { email: `citizen${++counter}@example.org` }, emailContent: { title: 'Your licence', content: 'It is ready.' } });

async function requestOf(who: 'messaging client' | 'other messaging client'): Promise<string> {
  const response = await send(who, { method: 'POST', url: `${P}/send/email/single`, json: email() });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<{ requestUid: string }>().requestUid;
}

const statusCall = async (): Promise<Call> => ({ method: 'GET', url: `${P}/status/email?status=processing&status=delivered`, headers: { requestuid: await requestOf('messaging client') } });
const callbackCall = async (): Promise<Call> => ({ method: 'POST', url: `${P}/callback/email`, json: { meta: 'reply', content: Buffer.from('Thank you').toString('base64') }, headers: { requestuid: await requestOf('messaging client') } });

const ROUTES: RouteSpec[] = [
  {
    route: `POST ${DELIVERY_REPORTS_PATH}`,
    access: 'public',
    call: async () => ({ method: 'POST', url: DELIVERY_REPORTS_PATH, json: { reference: await queuedSms(), messageId: randomUUID(), status: 'delivered' } }),
    cases: [['gateway', 200, 'signed with the shared secret'], ['anonymous', 401, 'unsigned'], ['admin', 401, 'a session is no signature']],
  },
  {
    route: `POST ${INBOUND_SMS_PATH}`,
    access: 'public',
    call: () => ({ method: 'POST', url: INBOUND_SMS_PATH, json: { from: '+25377999888', text: 'hello' } }),
    cases: [['gateway', 200, 'signed with the shared secret'], ['anonymous', 401, 'unsigned'], ['amina', 401, 'a session is no signature']],
  },
  {
    route: 'GET /outbox',
    access: 'signed-in',
    call: () => ({ method: 'GET', url: '/outbox' }),
    cases: [['amina', 200, 'her own messages'], ['officer.trade', 200, 'their own messages'], ['admin', 200, 'every message'], ['anonymous', 401]],
  },
  {
    route: 'GET /admin/messages',
    access: 'roles: admin',
    call: () => ({ method: 'GET', url: '/admin/messages' }),
    cases: [['admin', 200], ['head.trade', 403], ['officer.trade', 403], ['amina', 403], ['messaging client', 403], ['anonymous', 401]],
  },
  {
    route: 'POST /admin/messages/:id/retry',
    access: 'roles: admin',
    call: async () => ({ method: 'POST', url: `/admin/messages/${await failedMessage()}/retry`, form: {} }),
    cases: [
      ['admin', 303],
      ['admin', 409, 'a message that has not failed', async () => ({ method: 'POST', url: `/admin/messages/${await queuedSms()}/retry`, form: {} })],
      ['admin', 404, 'a message that does not exist', () => ({ method: 'POST', url: `/admin/messages/${randomUUID()}/retry`, form: {} })],
      ['head.trade', 403],
      ['officer.trade', 403],
      ['amina', 403],
      ['anonymous', 401],
    ],
  },
  {
    route: `POST ${P}/send/email/single`,
    access: `roles: ${MESSAGING_CLIENT_ROLE}`,
    call: () => ({ method: 'POST', url: `${P}/send/email/single`, json: email() }),
    cases: [['messaging client', 200], ['officer client', 403], ['admin', 403, 'an administrator is no API client'], ['officer.trade', 403], ['amina', 403], ['anonymous', 401]],
  },
  {
    route: `POST ${P}/send/email/batch`,
    access: `roles: ${MESSAGING_CLIENT_ROLE}`,
    call: () => ({ method: 'POST', url: `${P}/send/email/batch`, json: { recipientInfo: { batchEmailAsBase64: Buffer.from(JSON.stringify([{ recipientInfo: email().recipientInfo }])).toString('base64') }, emailContent: { title: 'Notice', content: 'Text' } } }),
    cases: [['messaging client', 200], ['officer client', 403], ['admin', 403], ['amina', 403], ['anonymous', 401]],
  },
  {
    route: `GET ${P}/status/email`,
    access: `roles: ${MESSAGING_CLIENT_ROLE}`,
    call: statusCall,
    cases: [
      ['messaging client', 200, 'its own request'],
      ['other messaging client', 404, 'another client’s request'],
      ['officer client', 403],
      ['admin', 403],
      ['amina', 403],
      ['anonymous', 401],
    ],
  },
  {
    route: `POST ${P}/callback/email`,
    access: `roles: ${MESSAGING_CLIENT_ROLE}`,
    call: callbackCall,
    cases: [['messaging client', 200, 'about its own request'], ['other messaging client', 404, 'about another client’s request'], ['officer client', 403], ['amina', 403], ['anonymous', 401]],
  },
];

describe('every messaging route and page has its permissions specified here', () => {
  it('the table names each one, with the access rule it declares', () => {
    assert.deepEqual(new Map(ROUTES.map((r) => [r.route, r.access])), documentedRoutes(app.app.swagger(), PERMISSION_TABLES['src/blocks/messaging/routes.scopes.test.ts']));
  });
});

for (const spec of ROUTES) {
  describe(spec.route, () => {
    for (const [who, status, what, call] of spec.cases) {
      it(`${who}${what ? `, ${what},` : ''} → ${status}`, async () => {
        const response = await send(who, await (call ?? spec.call)());
        if (status >= 400) assertProblem(response, status);
        else assert.equal(response.statusCode, status, response.body);
      });
    }
  });
}

describe('whose messages the outbox shows', () => {
  it('shows a citizen the messages sent to them, and not another citizen’s', async () => {
    const db = app.database.db;
    const [amina, zara] = await Promise.all([findUserByLogin(db, 'amina'), findUserByLogin(db, 'zara')]);
    await app.messenger.queue(db, { channel: 'email', to: amina!.email!, locale: 'fr', subject: 'Pour Amina seulement', body: 'Votre demande est reçue.' });
    await app.messenger.queue(db, { channel: 'email', to: zara!.email!, locale: 'en', subject: 'For Zara only', body: 'Your application is received.' });
    const page = async (who: Who) => (await send(who, { method: 'GET', url: '/outbox' })).body;
    const [forAmina, forZara, forAdmin] = await Promise.all([page('amina'), page('zara'), page('admin')]);
    assert.ok(forAmina.includes('Pour Amina seulement') && !forAmina.includes('For Zara only'));
    assert.ok(forZara.includes('For Zara only') && !forZara.includes('Pour Amina seulement'));
    assert.ok(forAdmin.includes('For Zara only') && forAdmin.includes('Pour Amina seulement'));
    assert.ok(forAmina.includes(amina!.email!), 'a person sees their own address');
    assert.ok(!forAdmin.includes(zara!.email!), 'others see it masked');
  });
});
