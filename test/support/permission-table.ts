import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { startTestApp, type TestApp } from './app.ts';
import { assertProblem } from './http.ts';
import { RegistrationFixtures, type Actor, type Part } from './registration-fixtures.ts';

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
} as const satisfies Record<string, Actor | null>;
export type Caller = keyof typeof CALLERS;
const COLUMNS = Object.keys(CALLERS) as Caller[];

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  json?: unknown;
  multipart?: Part[];
  headers?: Record<string, string>;
}

/** Expected statuses, in the order of CALLERS: anonymous, owner, other citizen, officer, other agency, head, admin. */
export type Statuses = readonly [number, number, number, number, number, number, number];

export interface Row {
  /** As the route is registered: `POST /api/workflow/tasks/:id/claim`. */
  route: string;
  /** The access rule the route declares (its `x-access` in /openapi.json). */
  access: string;
  /** What this row is about, when a route has more than one. */
  what?: string;
  expect: Statuses;
  /** Made afresh for each caller (and given the account), so a call that changes the record leaves the next one unaffected. */
  call: (fixtures: RegistrationFixtures, who: Actor | null) => Promise<Call> | Call;
}

async function send(fixtures: RegistrationFixtures, who: Actor | null, call: Call): Promise<LightMyRequestResponse> {
  if (call.multipart) return fixtures.upload(who, call.url, call.multipart);
  return fixtures.app.app.inject({ method: call.method, url: call.url, headers: { ...fixtures.headersOf(who), ...call.headers }, ...(call.json === undefined ? {} : { payload: call.json as object }) });
}

/** The routes of /openapi.json that `covers` selects, as `METHOD /path/:param`, with their access rules. */
function documentedRoutes(app: TestApp, covers: (path: string) => boolean): Map<string, string> {
  const paths = (app.app.swagger() as unknown as { paths: Record<string, Record<string, { 'x-access': string }>> }).paths;
  const routes = new Map<string, string>();
  for (const [path, operations] of Object.entries(paths)) {
    if (!covers(path)) continue;
    for (const [method, operation] of Object.entries(operations)) {
      if (method !== 'head') routes.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, operation['x-access']);
    }
  }
  return routes;
}

/** Declare the tests of a table: every covered route has a row, and every caller gets the status its column says. */
export function permissionTable(options: { covers: (path: string) => boolean; rows: Row[] }): void {
  let app: TestApp;
  let fixtures: RegistrationFixtures;
  before(async () => {
    app = await startTestApp();
    fixtures = await RegistrationFixtures.start(app);
  });
  after(() => app.stop());

  it('has a row for every route it covers, with the access rule the route declares', () => {
    const documented = documentedRoutes(app, options.covers);
    assert.ok(documented.size > 0, 'the table covers some routes');
    assert.deepEqual(new Map(options.rows.map((r) => [r.route, r.access])), documented);
  });

  for (const row of options.rows) {
    describe(`${row.route}${row.what ? ` (${row.what})` : ''}`, () => {
      COLUMNS.forEach((caller, column) => {
        const status = row.expect[column]!;
        it(`${caller} → ${status}`, async () => {
          const who = CALLERS[caller];
          const response = await send(fixtures, who, await row.call(fixtures, who));
          if (status >= 400) assertProblem(response, status);
          else assert.equal(response.statusCode, status, response.body);
        });
      });
    });
  }
}
