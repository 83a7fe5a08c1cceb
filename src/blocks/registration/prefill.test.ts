import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, registerCitizen, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, postForm } from '../../../test/support/http.ts';
import { findUserByLogin } from '../identity/index.ts';

/**
 * The construction permit fills in the owner, zone and area of the parcel from the land register:
 * only the applicant's own parcel, only with their consent, and every read shows on their
 * "who used my data" page.
 */
const AMINA_ID = 'DJ-1985-000123';
const AMINAS_PARCEL = 'DJ-PAR-0000001';
/** Parcel 4 belongs to someone else (Amina owns the first three). */
const SOMEONE_ELSES = 'DJ-PAR-0000004';
const GROUP = 'land-parcels:parcelNumber=parcelNumber';

let app: TestApp;
let amina: Session;
let omar: Session;
let zara: Session;

before(async () => {
  app = await startTestApp();
  [amina, omar] = await signInDemo(app, 'amina', 'omar.architect');
  zara = await registerCitizen(app, 'zara.prefill', 'Zara Ibrahim');
});
after(() => app.stop());

type Json = Record<string, unknown>;

async function call(session: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  return app.app.inject({ method, url, headers: asSession(session), ...(payload === undefined ? {} : { payload: payload as object }) });
}

/** A draft permit whose first step names the parcel. */
async function draftFor(session: Session, parcelNumber: string, onBehalfOf?: string): Promise<string> {
  const draft = await call(session, 'POST', '/api/registration/drafts', { serviceId: 'construction-permit', ...(onBehalfOf ? { onBehalfOf } : {}) });
  assert.equal(draft.statusCode, 201, draft.body);
  const id = draft.json<{ id: string }>().id;
  const plot = await call(session, 'PUT', `/api/registration/drafts/${id}/steps/plot`, { answers: { parcelNumber, address: 'Quartier 7, Djibouti' } });
  assert.equal(plot.statusCode, 200, plot.body);
  return id;
}

async function reads(nationalId: string | null = null): Promise<number> {
  const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM registries_access_log WHERE action = 'read' AND (${nationalId}::text IS NULL OR person_id = ${nationalId})`.execute(app.database.db);
  return Number(rows.rows[0]!.n);
}

async function aminasConsentId(): Promise<string> {
  const listed = await call(amina, 'GET', '/api/consent/records');
  assert.equal(listed.statusCode, 200, listed.body);
  const consent = listed.json<{ id: string; agreement: string; status: string }[]>().find((c) => c.agreement === 'parcel-for-construction-permit' && c.status === 'active');
  assert.ok(consent, 'the demo gives Amina’s consent for her parcel');
  return consent.id;
}

describe('prefill from the land register', () => {
  it('fills owner, zone and area of the applicant’s own parcel with her consent, and her data-use page lists the read', async () => {
    const id = await draftFor(amina, AMINAS_PARCEL);
    const offers = await call(amina, 'GET', `/api/registration/drafts/${id}/steps/parcel/prefill`);
    assert.equal(offers.statusCode, 200, offers.body);
    assert.deepEqual(offers.json(), [{ group: GROUP, registry: 'land-parcels', fields: ['ownerName', 'zone', 'plotArea'], status: 'ready', agreement: null, filled: [] }]);
    const before = await reads(AMINA_ID);
    const filled = await call(amina, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, { group: GROUP });
    assert.equal(filled.statusCode, 200, filled.body);
    const body = filled.json<{ data: Json; prefilled: Record<string, { registry: string; consentId: string | null }> }>();
    assert.equal(body.data.ownerName, 'Amina Said');
    assert.match(String(body.data.zone), /^(R1|R2|C1|I1)$/);
    assert.match(String(body.data.plotArea), /^\d+(\.\d)?$/);
    assert.deepEqual(Object.keys(body.prefilled).sort(), ['ownerName', 'plotArea', 'zone']);
    assert.equal(body.prefilled.zone!.consentId, await aminasConsentId());
    assert.equal(await reads(AMINA_ID), before + 1, 'one read, logged for Amina');

    const uses = await call(amina, 'GET', '/api/consent/data-uses');
    const use = uses.json<{ registry: string; service: string | null; caseId: string | null; via: string | null; agency: string | null; fields: string[] }[]>().find((u) => u.caseId === id);
    assert.ok(use, 'the read names the application it was for');
    assert.equal(use.registry, 'land-parcels');
    assert.equal(use.service, 'construction-permit');
    assert.equal(use.agency, 'urban-permits');
    assert.equal(use.via, 'form prefill');
    assert.deepEqual([...use.fields].sort(), ['areaM2', 'ownerName', 'ownerNationalId', 'parcelNumber', 'zone']);
    const page = await app.app.inject({ method: 'GET', url: '/account/data-use', headers: { cookie: amina.cookie() } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /construction-permit|Permis de construire|Construction permit/);
  });

  it('an architect under Amina’s mandate gets the same prefill, relying on her consent', async () => {
    const aminaParty = (await findUserByLogin(app.database.db, 'amina'))!.party_id!;
    const id = await draftFor(omar, AMINAS_PARCEL, aminaParty);
    const filled = await call(omar, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, { group: GROUP });
    assert.equal(filled.statusCode, 200, filled.body);
    assert.equal(filled.json<{ data: Json }>().data.ownerName, 'Amina Said');
  });

  it('a parcel in someone else’s name is not found, and nobody’s data is read', async () => {
    const id = await draftFor(amina, SOMEONE_ELSES);
    const before = await reads();
    assertProblem(await call(amina, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, { group: GROUP }), 404);
    assert.equal(await reads(), before);
  });

  it('another citizen cannot prefill, or even see, Amina’s draft', async () => {
    const id = await draftFor(amina, AMINAS_PARCEL);
    assertProblem(await call(zara, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, { group: GROUP }), 404);
    assertProblem(await call(zara, 'GET', `/api/registration/drafts/${id}/steps/parcel/prefill`), 404);
  });

  it('bad input names the field: an unknown group, a missing one', async () => {
    const id = await draftFor(amina, AMINAS_PARCEL);
    for (const [step, group] of [['parcel', 'civil-register'], ['plot', GROUP]] as const) {
      const problem = assertProblem(await call(amina, 'POST', `/api/registration/drafts/${id}/steps/${step}/prefill`, { group }), 400);
      assert.equal(problem.errors?.[0]?.pointer, '/body/group');
    }
    assertProblem(await call(amina, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, {}), 400);
  });

  it('an answer the applicant changes no longer counts as coming from the register', async () => {
    const id = await draftFor(amina, AMINAS_PARCEL);
    const filled = (await call(amina, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, { group: GROUP })).json<{ data: Json }>();
    const saved = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/parcel`, { answers: { ownerName: 'Amina S.', zone: filled.data.zone, plotArea: filled.data.plotArea } });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.deepEqual(Object.keys(saved.json<{ prefilled: Json }>().prefilled).sort(), ['plotArea', 'zone']);
  });

  it('without consent nothing is read; the architect cannot consent for her; Amina agrees on the form and it fills in', async () => {
    const aminaParty = (await findUserByLogin(app.database.db, 'amina'))!.party_id!;
    const withdrawn = await call(amina, 'POST', `/api/consent/records/${await aminasConsentId()}/withdraw`, {});
    assert.equal(withdrawn.statusCode, 200, withdrawn.body);

    const id = await draftFor(omar, AMINAS_PARCEL, aminaParty);
    const offers = (await call(omar, 'GET', `/api/registration/drafts/${id}/steps/parcel/prefill`)).json<{ status: string; agreement: string }[]>();
    assert.equal(offers[0]!.status, 'needs-consent');
    assert.equal(offers[0]!.agreement, 'parcel-for-construction-permit');
    const before = await reads(AMINA_ID);
    const refused = assertProblem(await call(omar, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, { group: GROUP }), 409);
    assert.equal((refused as unknown as { agreement: string }).agreement, 'parcel-for-construction-permit');
    assertProblem(await call(omar, 'POST', `/api/registration/drafts/${id}/steps/parcel/prefill`, { group: GROUP, consent: true }), 403);
    assert.equal(await reads(AMINA_ID), before, 'nothing read without consent');
    const architectPage = await app.app.inject({ method: 'GET', url: `/applications/${id}/steps/parcel`, headers: { cookie: omar.cookie() } });
    assert.doesNotMatch(architectPage.body, /name="consent"/, 'the architect is not offered to consent for Amina');

    const own = await draftFor(amina, AMINAS_PARCEL);
    const page = await app.app.inject({ method: 'GET', url: `/applications/${own}/steps/parcel`, headers: { cookie: amina.cookie() } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /name="consent" type="checkbox" value="yes"/);
    const unticked = await postForm(app, amina.jar, `/applications/${own}/steps/parcel/prefill`, { _csrf: amina.csrf, group: GROUP });
    assert.equal(unticked.statusCode, 400);
    assert.match(unticked.body, /class="field-error"/);
    assert.equal(await reads(AMINA_ID), before, 'an unticked box reads nothing');

    const agreed = await postForm(app, amina.jar, `/applications/${own}/steps/parcel/prefill`, { _csrf: amina.csrf, group: GROUP, consent: 'yes' });
    assert.equal(agreed.statusCode, 303, agreed.body);
    assert.match(String(agreed.headers.location), /\/steps\/parcel\?prefill=filled$/);
    assert.equal(await reads(AMINA_ID), before + 1);
    const shown = await app.app.inject({ method: 'GET', url: String(agreed.headers.location), headers: { cookie: amina.cookie() } });
    assert.match(shown.body, /role="status"/);
    assert.match(shown.body, /value="Amina Said"/);
    await aminasConsentId();
  });
});
