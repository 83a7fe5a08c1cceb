import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, DEMO_PASSWORD, signIn, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { MARKET_STALL } from '../../../test/support/registration-fixtures.ts';
import { createUser, findUserByLogin } from '../identity/index.ts';
import { APPLICATION_SUBMITTED, publishDefinition } from './index.ts';

/**
 * Assisted service: Neema, the agent at the post office (`agent.post`), applies for Amina, who is
 * at her counter with her national ID card. Amina's account and phone are the demo's.
 */
let app: TestApp;
let agent: Session;
let amina: Session;
let zara: Session;
let fireAgent: Session;
let submittedEvents: Record<string, unknown>[];

const AMINA_ID = 'DJ-1985-000123';
const present = { nationalId: AMINA_ID, idDocument: 'national-id-card', consentMethod: 'signed-form' } as const;
let keys = 0;
const stallFor = (person: Record<string, string> = present) => ({ serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: false }, person, idempotencyKey: `assisted-${++keys}` });

async function assist(session: Session, body: unknown) {
  return app.app.inject({ method: 'POST', url: '/api/registration/assisted-applications', headers: asSession(session), payload: body as object });
}

before(async () => {
  app = await startTestApp();
  submittedEvents = [];
  app.jobs.subscribe<Record<string, unknown>>(APPLICATION_SUBMITTED, 'test.count-submissions', async (payload) => {
    submittedEvents.push(payload);
  });
  await publishDefinition(app.database.db, app.jobs, { data: MARKET_STALL }, null, 'test');
  await createUser(app.database.db, { username: 'zara', displayName: 'Zara Ibrahim', email: 'zara@example.org', password: DEMO_PASSWORD, party: { kind: 'person' } });
  await createUser(app.database.db, { username: 'agent.fire', displayName: 'Agent of the fire service', email: 'agent.fire@example.org', password: DEMO_PASSWORD, roles: [{ role: 'agent', agencyCode: 'fire' }] });
  [agent, amina] = await signInDemo(app, 'agent.post', 'amina');
  zara = await signIn(app, 'zara', DEMO_PASSWORD);
  fireAgent = await signIn(app, 'agent.fire', DEMO_PASSWORD);
});
after(() => app.stop());

describe('an agent applying for the person at the counter', () => {
  it('makes the application the person’s own, marked assisted by the agent, with the consent recorded', async () => {
    const response = await assist(agent, stallFor());
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    assert.equal(body.channel, 'assisted');
    assert.equal(body.assistedBy.name, 'Neema Mwakyusa');
    assert.match(body.trackingNumber, /^[A-Z]/);

    const mine = await app.app.inject({ method: 'GET', url: `/api/registration/applications/${body.id}`, headers: asSession(amina) });
    assert.equal(mine.statusCode, 200, 'Amina follows it like any application of hers');
    assert.equal(mine.json().channel, 'assisted');
    const { rows } = await app.database.pool.query('SELECT assisted_consent, created_by FROM registration_applications WHERE id = $1', [body.id]);
    assert.equal(rows[0].assisted_consent.idNumber, AMINA_ID);
    assert.equal(rows[0].assisted_consent.method, 'signed-form');
    assert.equal(rows[0].created_by, (await findUserByLogin(app.database.db, 'amina'))!.id);
  });

  it('sends the tracking number to the person’s phone by SMS, in their language', async () => {
    const body = (await assist(agent, stallFor())).json();
    const { rows } = await app.database.pool.query("SELECT recipient, body, locale FROM messaging_messages WHERE about_id = $1 AND template = 'assisted.tracking-number'", [body.id]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].recipient, '+25377812345');
    assert.equal(rows[0].locale, 'fr');
    assert.ok(rows[0].body.includes(body.trackingNumber), rows[0].body);
    assert.match(rows[0].body, /Numéro de suivi/);
  });

  it('puts every agent action in the audit chain: the consent and the submission, both by the agent', async () => {
    const body = (await assist(agent, stallFor())).json();
    const agentId = (await findUserByLogin(app.database.db, 'agent.post'))!.id;
    const { rows } = await app.database.pool.query('SELECT action, actor_id FROM audit_entries WHERE subject_id = $1 ORDER BY id', [body.id]);
    const byAgent = rows.filter((r) => r.actor_id === agentId).map((r) => r.action);
    assert.ok(byAgent.includes('registration.record-assisted-consent'), JSON.stringify(rows));
    assert.ok(byAgent.includes('registration.submit-application'), JSON.stringify(rows));
  });

  it('tells the analytics which channel an application came by, in the submitted event', async () => {
    const body = (await assist(agent, stallFor())).json();
    await app.jobs.drain();
    assert.equal(submittedEvents.find((e) => e.applicationId === body.id)?.channel, 'assisted');
    const online = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(amina), payload: { serviceId: 'market-stall', data: { stallName: 'Online', market: 'central', cooking: false }, idempotencyKey: 'online-stall-1' } });
    assert.equal(online.statusCode, 201, online.body);
    assert.equal(online.json().channel, 'online');
    await app.jobs.drain();
    assert.equal(submittedEvents.find((e) => e.applicationId === online.json().id)?.channel, 'online');
  });

  it('returns the first application when the agent’s request is retried with the same key', async () => {
    const body = stallFor();
    const first = await assist(agent, body);
    const again = await assist(agent, body);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().id, first.json().id);
  });

  it('refuses without a recorded consent or ID check', async () => {
    assertProblem(await assist(agent, { ...stallFor(), person: { nationalId: AMINA_ID } }), 400);
  });

  it('refuses a national ID that belongs to no account', async () => {
    const problem = assertProblem(await assist(agent, stallFor({ ...present, nationalId: 'XX-0000-000000' })), 400);
    assert.equal(problem.errors?.[0]?.pointer, '/body/person/nationalId');
  });
});

describe('what an agent may do', () => {
  it('refuses an agent whose grant does not cover the agency of the service', async () => {
    assertProblem(await assist(fireAgent, stallFor()), 403);
  });

  it('refuses citizens and officers', async () => {
    assertProblem(await assist(zara, stallFor()), 403);
    const [officer] = await signInDemo(app, 'officer.trade');
    assertProblem(await assist(officer, stallFor()), 403);
  });

  it('lets the agent read the applications they assisted and no other', async () => {
    const assisted = (await assist(agent, stallFor())).json();
    assert.equal((await app.app.inject({ method: 'GET', url: `/api/registration/applications/${assisted.id}`, headers: asSession(agent) })).statusCode, 200);
    const own = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(amina), payload: { serviceId: 'market-stall', data: { stallName: 'Mine', market: 'central', cooking: false }, idempotencyKey: 'amina-own-1' } });
    assertProblem(await app.app.inject({ method: 'GET', url: `/api/registration/applications/${own.json().id}`, headers: asSession(agent) }), 404);
    assertProblem(await app.app.inject({ method: 'GET', url: `/api/registration/applications/${assisted.id}`, headers: asSession(fireAgent) }), 404);
    assertProblem(await app.app.inject({ method: 'GET', url: `/api/registration/applications/${assisted.id}`, headers: asSession(zara) }), 404);
  });

  it('does not let the agent act as the applicant afterwards (withdraw)', async () => {
    const assisted = (await assist(agent, stallFor())).json();
    assertProblem(await app.app.inject({ method: 'POST', url: `/api/registration/applications/${assisted.id}/withdraw`, headers: asSession(agent), payload: { reason: 'not mine to withdraw' } }), 403);
  });
});

describe('the pages of an assisted application', () => {
  it('say on the status page that it was made at a service centre, and by whom', async () => {
    const { id } = (await assist(agent, stallFor())).json();
    const page = await app.app.inject({ method: 'GET', url: `/applications/${id}`, headers: asSession(amina) });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Dans un point de service, par Neema Mwakyusa/);
    assert.doesNotMatch(page.body, /Consentement enregistré/, 'the consent details are for staff');
  });

  it('show the officer the agent and the consent recorded, on the case file', async () => {
    const { id } = (await assist(agent, stallFor())).json();
    const [officer] = await signInDemo(app, 'officer.trade');
    const page = await app.app.inject({ method: 'GET', url: `/work/cases/${id}`, headers: asSession(officer) });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /At a service centre, by Neema Mwakyusa/);
    assert.match(page.body, /Consent recorded: national-id-card checked, signed form/);
  });

  it('say an online application was made online', async () => {
    const online = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(amina), payload: { serviceId: 'market-stall', data: { stallName: 'Web', market: 'central', cooking: false }, idempotencyKey: 'online-page-1' } });
    const page = await app.app.inject({ method: 'GET', url: `/applications/${online.json().id}`, headers: asSession(amina) });
    assert.match(page.body, /<dd>En ligne/);
  });
});
