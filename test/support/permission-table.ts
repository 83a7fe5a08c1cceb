import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from './app.ts';
import { assertProblem } from './http.ts';
import { documentedRoutes } from './permission-coverage.ts';
import { createApiClient } from '../../src/blocks/identity/index.ts';
import { multipartBody, RegistrationFixtures, type Actor, type Part } from './registration-fixtures.ts';

/** The caller that is a machine: it sends a bearer token, has no session, cookie or CSRF token. */
const API_CLIENT = 'api-client';

/**
 * A permission table: for each route, the status every kind of caller gets, in one row. The
 * record in question belongs to Amina (a citizen) and to the Ministry of Trade, so:
 */
export const CALLERS = {
  anonymous: null,
  /** the applicant */
  owner: 'amina',
  /** a citizen with no mandate from Amina */
  'other citizen': 'zara',
  /** an officer of the owning agency */
  officer: 'officer.trade',
  /** an officer of another agency */
  'other agency': 'officer.fire',
  /** the head of the owning agency */
  head: 'head.trade',
  admin: 'admin',
  /**
   * an API client of the owning agency holding the officer role: a ministry's system syncing its
   * cases. It acts as an officer of its own, not as the officer above, and a page's form (urlencoded
   * or multipart) refuses it: forms need a browser's CSRF token.
   */
  'api client': API_CLIENT,
} as const satisfies Record<string, Actor | typeof API_CLIENT | null>;
export type Caller = keyof typeof CALLERS;
const COLUMNS = Object.keys(CALLERS) as Caller[];

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  json?: unknown;
  /** A page's form as a browser sends it (URL-encoded): only a session's CSRF token lets it through. */
  form?: Record<string, string>;
  multipart?: Part[];
  headers?: Record<string, string>;
}

/**
 * Columns a table adds after the eight of CALLERS, in this order: callers the eight do not show,
 * such as the holders of a use case's own roles. Each names its column and the account it signs
 * in as (with the demo password; the table's `setup` makes it when the demo data has none).
 */
export type ExtraCallers = readonly { readonly column: string; readonly account: string }[];

/**
 * Expected statuses, in the order of CALLERS: anonymous, owner, other citizen, officer, other
 * agency, head, admin, API client; then one for each of the table's extra callers, in their order.
 */
export type Statuses<Extra extends ExtraCallers = []> = readonly [number, number, number, number, number, number, number, number, ...{ [K in keyof Extra]: number }];

/** The same status for every caller (the extra ones too): a public route, or a gateway's call that no one can make without its secret. */
export function everyone<const Extra extends ExtraCallers = []>(status: number, extra?: Extra): Statuses<Extra> {
  return Array.from({ length: COLUMNS.length + (extra?.length ?? 0) }, () => status) as unknown as Statuses<Extra>;
}

export interface Row<Extra extends ExtraCallers = []> {
  /** As the route is registered: `POST /api/workflow/tasks/:id/claim`. */
  route: string;
  /** The access rule the route declares (its `x-access` in /openapi.json). */
  access: string;
  /** What this row is about, when a route has more than one. */
  what?: string;
  expect: Statuses<Extra>;
  /** Made afresh for each caller (and given the account, none for the API client), so a call that changes the record leaves the next one unaffected. */
  call: (fixtures: RegistrationFixtures, who: Actor | Extra[number]['account'] | null) => Promise<Call> | Call;
}

function send(app: TestApp, credentials: Record<string, string>, call: Call): Promise<LightMyRequestResponse> {
  const headers = { ...credentials, ...call.headers };
  if (call.multipart) {
    const { contentType, payload } = multipartBody(call.multipart);
    return app.app.inject({ method: call.method, url: call.url, headers: { ...headers, 'content-type': contentType }, payload });
  }
  if (call.form) {
    return app.app.inject({ method: call.method, url: call.url, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(call.form).toString() });
  }
  return app.app.inject({ method: call.method, url: call.url, headers, ...(call.json === undefined ? {} : { payload: call.json as object }) });
}

/** Declare the tests of a table: every covered route has a row, and every caller gets the status its column says. */
/** `covers` is the table's entry in PERMISSION_TABLES; `env` what the app is started with besides the defaults; `callers` the extra columns, whose accounts `setup` makes before anyone signs in. */
export function permissionTable<const Extra extends ExtraCallers = []>(options: { covers: (path: string) => boolean; rows: Row<Extra>[]; env?: Record<string, string>; callers?: Extra; setup?: (app: TestApp) => Promise<unknown> }): void {
  const extra = options.callers ?? [];
  let app: TestApp;
  let fixtures: RegistrationFixtures;
  let bearer: Record<string, string>;
  const sessions = new Map<string, Session>();
  before(async () => {
    app = await startTestApp({ env: options.env });
    await options.setup?.(app);
    fixtures = await RegistrationFixtures.start(app);
    const { token } = await createApiClient(app.database.db, { name: 'Trade case sync', agencyCode: 'commerce', roles: ['officer'] }, { principal: null, requestId: null });
    bearer = { authorization: `Bearer ${token}` };
    for (const { account } of extra) sessions.set(account, await signIn(app, account, DEMO_PASSWORD));
  });
  after(() => app.stop());

  it('has a row for every route it covers, with the access rule the route declares', () => {
    const documented = documentedRoutes(app.app.swagger(), options.covers);
    assert.ok(documented.size > 0, 'the table covers some routes');
    assert.deepEqual(new Map(options.rows.map((r) => [r.route, r.access])), documented);
  });

  const check = (row: Row<Extra>, caller: string, status: number, credentials: () => Record<string, string>, who: Actor | Extra[number]['account'] | null) =>
    it(`${caller} → ${status}`, async () => {
      const response = await send(app, credentials(), await row.call(fixtures, who));
      if (status >= 400) assertProblem(response, status);
      else assert.equal(response.statusCode, status, response.body);
    });

  for (const row of options.rows) {
    describe(`${row.route}${row.what ? ` (${row.what})` : ''}`, () => {
      COLUMNS.forEach((caller, column) => {
        const who = CALLERS[caller];
        const account = who === API_CLIENT ? null : who;
        check(row, caller, row.expect[column]!, () => (who === API_CLIENT ? bearer : fixtures.headersOf(account)), account);
      });
      extra.forEach(({ column, account }, index) => {
        check(row, column, row.expect[COLUMNS.length + index]!, () => asSession(sessions.get(account)!), account);
      });
    });
  }
}
