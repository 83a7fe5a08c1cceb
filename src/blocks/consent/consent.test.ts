import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, registerCitizen, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, openForm, postForm } from '../../../test/support/http.ts';
import { findAgencyByCode } from '../identity/index.ts';
import { checkConsent } from './index.ts';

const AMINA = 'DJ-1985-000123';
const OMAR = 'DJ-1979-004567';
const IDENTITY = 'identity-for-business-licence';
const PARCEL = 'parcel-for-construction-permit';

let app: TestApp;
let amina: Session;
let omar: Session;
let permits: Session;
let trade: Session;
let fire: Session;
let headUrban: Session;
let headTrade: Session;

before(async () => {
  app = await startTestApp();
  [amina, omar, permits, trade, fire, headUrban, headTrade] = await signInDemo(app, 'amina', 'omar.architect', 'officer.permits', 'officer.trade', 'officer.fire', 'head.urban', 'head.trade');
});
after(() => app.stop());

async function call(session: Session | null, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return app.app.inject({ method, url, headers: session ? asSession(session) : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function agencyId(code: string): Promise<string> {
  return (await findAgencyByCode(app.database.db, code))!.id;
}

/** What the Ministry of Trade may read of Amina's civil register record for a business licence. */
async function tradeMayRead(person = AMINA, fields = ['firstName', 'lastName']) {
  return checkConsent(app.database.db, { personNationalId: person, purpose: 'business-licence', registry: 'civil-register', fields, recipientAgencyId: await agencyId('commerce') });
}

describe('giving and withdrawing consent', () => {
  it('a citizen gives consent for herself; giving it again changes nothing', async () => {
    assert.deepEqual(await tradeMayRead(), { allowed: false, reason: 'no-consent' });
    const given = await call(amina, 'POST', '/api/consent/records', { agreement: IDENTITY });
    assert.equal(given.statusCode, 201, given.body);
    const consent = given.json<{ id: string; status: string; person: string; expiresAt: string }>();
    assert.equal(consent.status, 'active');
    assert.equal(consent.person, AMINA);
    assert.ok(consent.expiresAt, 'the agreement gives it a year');
    const again = await call(amina, 'POST', '/api/consent/records', { agreement: IDENTITY });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json<{ id: string }>().id, consent.id);
    const answer = await tradeMayRead();
    assert.equal(answer.allowed, true);
  });

  it('checkConsent allows only the fields, the purpose and the receiving agency consented to', async () => {
    assert.deepEqual(await tradeMayRead(AMINA, ['firstName', 'birthPlace']), { allowed: false, reason: 'no-consent' });
    const db = app.database.db;
    const fireReads = await checkConsent(db, { personNationalId: AMINA, purpose: 'business-licence', registry: 'civil-register', fields: ['firstName'], recipientAgencyId: await agencyId('fire') });
    assert.equal(fireReads.allowed, false);
    const otherPurpose = await checkConsent(db, { personNationalId: AMINA, purpose: 'construction-permit', registry: 'civil-register', fields: ['firstName'], recipientAgencyId: await agencyId('commerce') });
    assert.equal(otherPurpose.allowed, false);
    assert.equal((await tradeMayRead(OMAR)).allowed, false, "Amina's consent is hers alone");
  });

  it('consent given to an agency covers the departments below it, not the ministry above', async () => {
    const db = app.database.db;
    const ask = async (agency: string) => checkConsent(db, { personNationalId: AMINA, purpose: 'construction-permit', registry: 'land-parcels', fields: ['zone', 'areaM2'], recipientAgencyId: await agencyId(agency) });
    assert.equal((await ask('urban-permits')).allowed, true, 'the demo consent to the permits department');
    assert.equal((await ask('urban')).allowed, false);
  });

  it('a withdrawn consent no longer allows anything', async () => {
    const [consent] = (await call(amina, 'GET', '/api/consent/records')).json<{ id: string; agreement: string; status: string }[]>().filter((c) => c.agreement === IDENTITY && c.status === 'active');
    const withdrawn = await call(amina, 'POST', `/api/consent/records/${consent!.id}/withdraw`, {});
    assert.equal(withdrawn.statusCode, 200, withdrawn.body);
    assert.equal(withdrawn.json<{ status: string }>().status, 'withdrawn');
    assert.deepEqual(await tradeMayRead(), { allowed: false, reason: 'withdrawn' });
  });

  it('an expired consent no longer allows anything, and giving it again replaces it', async () => {
    const given = (await call(amina, 'POST', '/api/consent/records', { agreement: IDENTITY })).json<{ id: string }>();
    assert.equal((await tradeMayRead()).allowed, true);
    // As if its year had gone by: its end has passed.
    await sql`UPDATE consent_records SET expires_at = now() - interval '1 day' WHERE id = ${given.id}`.execute(app.database.db);
    assert.deepEqual(await tradeMayRead(), { allowed: false, reason: 'expired' });
    const listed = (await call(amina, 'GET', '/api/consent/records')).json<{ id: string; status: string }[]>();
    assert.equal(listed.find((c) => c.id === given.id)?.status, 'expired');
    const renewed = await call(amina, 'POST', '/api/consent/records', { agreement: IDENTITY });
    assert.equal(renewed.statusCode, 201);
    assert.equal((await tradeMayRead()).allowed, true);
    const after = (await call(amina, 'GET', '/api/consent/records')).json<{ id: string; status: string }[]>();
    assert.equal(after.find((c) => c.id === given.id)?.status, 'replaced');
  });

  it('a consent may end sooner than the agreement says, never later', async () => {
    const soon = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const given = await call(omar, 'POST', '/api/consent/records', { agreement: IDENTITY, expiresAt: soon });
    assert.equal(given.json<{ expiresAt: string }>().expiresAt, soon);
    const withdrawn = await call(omar, 'POST', `/api/consent/records/${given.json<{ id: string }>().id}/withdraw`, {});
    assert.equal(withdrawn.statusCode, 200);
    const late = await call(omar, 'POST', '/api/consent/records', { agreement: IDENTITY, expiresAt: '2199-01-01T00:00:00.000Z' });
    assert.ok(new Date(late.json<{ expiresAt: string }>().expiresAt).getFullYear() < 2199);
    assertProblem(await call(omar, 'POST', '/api/consent/records', { agreement: PARCEL, expiresAt: '2001-01-01T00:00:00.000Z' }), 400);
  });
});

describe('a consent given on paper', () => {
  it('is recorded by staff of the receiving agency, with how it was given', async () => {
    const refused = assertProblem(await call(permits, 'POST', '/api/consent/records', { agreement: PARCEL, person: OMAR }), 400);
    assert.equal(refused.errors?.[0]?.pointer, '/body/paperReason');
    const recorded = await call(permits, 'POST', '/api/consent/records', { agreement: PARCEL, person: OMAR, paperReason: 'Signed form PC-2026-17 at the counter' });
    assert.equal(recorded.statusCode, 201, recorded.body);
    assert.equal(recorded.json<{ paperReason: string }>().paperReason, 'Signed form PC-2026-17 at the counter');
    const mine = (await call(omar, 'GET', '/api/consent/records')).json<{ agreement: string; status: string }[]>();
    assert.ok(mine.some((c) => c.agreement === PARCEL && c.status === 'active'), 'Omar sees it among his consents');
  });

  it('is refused to staff of another agency, and to citizens for someone else', async () => {
    assertProblem(await call(fire, 'POST', '/api/consent/records', { agreement: PARCEL, person: OMAR, paperReason: 'A form' }), 403);
    assertProblem(await call(amina, 'POST', '/api/consent/records', { agreement: PARCEL, person: OMAR, paperReason: 'A form' }), 403);
  });

  it("staff see a person's consents to their own agency's agreements only", async () => {
    const seen = (await call(permits, 'GET', `/api/consent/records?person=${OMAR}`)).json<{ agreement: string }[]>();
    assert.ok(seen.length > 0);
    assert.ok(seen.every((c) => c.agreement === PARCEL));
    assertProblem(await call(fire, 'GET', `/api/consent/records?person=${OMAR}`), 403);
    assertProblem(await call(amina, 'GET', `/api/consent/records?person=${OMAR}`), 403);
  });

  it('staff withdraw a consent only with a reason; another citizen cannot', async () => {
    const [consent] = (await call(permits, 'GET', `/api/consent/records?person=${OMAR}`)).json<{ id: string; status: string }[]>().filter((c) => c.status === 'active');
    assertProblem(await call(amina, 'POST', `/api/consent/records/${consent!.id}/withdraw`, {}), 404);
    assertProblem(await call(permits, 'POST', `/api/consent/records/${consent!.id}/withdraw`, {}), 400);
    const done = await call(permits, 'POST', `/api/consent/records/${consent!.id}/withdraw`, { reason: 'Withdrawn by letter of 2 March' });
    assert.equal(done.json<{ status: string }>().status, 'withdrawn');
  });
});

describe('agreements', () => {
  it('the head of the receiving agency sets one out; the head of another agency may not', async () => {
    const agreement = { code: 'parcel-area-for-tax', purpose: 'property-tax', names: { en: 'Parcel area, for property tax' }, registry: 'land-parcels', fields: ['parcelNumber', 'areaM2'], recipient: 'urban-permits', validityDays: 30 };
    const created = await call(headUrban, 'POST', '/api/consent/agreements', agreement);
    assert.equal(created.statusCode, 201, created.body);
    assertProblem(await call(headTrade, 'POST', '/api/consent/agreements', { ...agreement, code: 'another' }), 403);
    assertProblem(await call(headUrban, 'POST', '/api/consent/agreements', agreement), 409);
    const bad = assertProblem(await call(headUrban, 'POST', '/api/consent/agreements', { ...agreement, code: 'bad-fields', fields: ['salary'] }), 400);
    assert.equal(bad.errors?.[0]?.pointer, '/body/fields/0');
    assertProblem(await call(trade, 'POST', '/api/consent/agreements', { ...agreement, code: 'by-an-officer' }), 403);
  });
});

describe("the citizen's pages", () => {
  it('list her consents; she gives one and withdraws it with the forms', async () => {
    const page = await openForm(app, '/account/consents', amina.jar);
    assert.match(page.body, /Votre parcelle, pour votre permis de construire/);
    const given = await postForm(app, amina.jar, '/account/consents', { _csrf: page.csrf, agreement: 'parcel-area-for-tax' });
    assert.equal(given.statusCode, 303);
    assert.equal(given.headers.location, '/account/consents?done=given');
    const [consent] = (await call(amina, 'GET', '/api/consent/records')).json<{ id: string; agreement: string; status: string }[]>().filter((c) => c.agreement === 'parcel-area-for-tax');
    assert.equal(consent?.status, 'active');
    const again = await openForm(app, '/account/consents?done=given', amina.jar);
    assert.match(again.body, new RegExp(`action="/account/consents/${consent!.id}/withdraw"`));
    const withdrawn = await postForm(app, amina.jar, `/account/consents/${consent!.id}/withdraw`, { _csrf: again.csrf });
    assert.equal(withdrawn.statusCode, 303);
    assert.equal((await call(amina, 'GET', '/api/consent/records')).json<{ id: string; status: string }[]>().find((c) => c.id === consent!.id)?.status, 'withdrawn');
  });

  it('a citizen cannot withdraw the consent of another', async () => {
    const [omars] = (await call(omar, 'GET', '/api/consent/records')).json<{ id: string; status: string }[]>().filter((c) => c.status === 'active');
    const page = await openForm(app, '/account/consents', amina.jar);
    const refused = await postForm(app, amina.jar, `/account/consents/${omars!.id}/withdraw`, { _csrf: page.csrf });
    assert.equal(refused.statusCode, 404);
  });

  it("'who used my data' lists every read of her records by agency, purpose and case, and only hers", async () => {
    const parcels = await call(headUrban, 'GET', `/api/registries/land-parcels/records?match=parcelNumber:DJ-PAR-0000002&reason=Lookup`);
    const id = parcels.json<{ records: { id: string }[] }>().records[0]!.id;
    await call(permits, 'GET', `/api/registries/land-parcels/records/${id}?reason=${encodeURIComponent('Checking the zone')}&service=construction-permit&caseId=CP-2026-0042`);
    const page = await app.app.inject({ method: 'GET', url: '/account/data-use?lang=en', headers: { cookie: amina.cookie() } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Building Permits Department/);
    assert.match(page.body, /Construction permit/, 'the service by its name');
    assert.match(page.body, /case CP-2026-0042/);
    assert.match(page.body, /Checking the zone/);
    const json = (await call(amina, 'GET', '/api/consent/data-uses')).json<{ caseId: string | null; agency: string | null; action: string }[]>();
    assert.deepEqual({ ...json[0], id: undefined, at: undefined }, { ...json[0], id: undefined, at: undefined, caseId: 'CP-2026-0042', agency: 'urban-permits', action: 'read' });
    const omars = await app.app.inject({ method: 'GET', url: '/account/data-use?lang=en', headers: { cookie: omar.cookie() } });
    assert.doesNotMatch(omars.body, /CP-2026-0042/);
  });

  it('a citizen without a national id is told why nothing is listed', async () => {
    const zara = await registerCitizen(app, 'zara.c', 'Zara Ibrahim');
    for (const path of ['/account/data-use?lang=en', '/account/consents?lang=en']) {
      const page = await app.app.inject({ method: 'GET', url: path, headers: { cookie: zara.cookie() } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /not linked to a national id/);
    }
    assertProblem(await call(zara, 'GET', '/api/consent/data-uses'), 403);
  });

  it('staff have no such pages', async () => {
    assert.equal((await app.app.inject({ method: 'GET', url: '/account/data-use', headers: { cookie: permits.cookie() } })).statusCode, 403);
  });
});
