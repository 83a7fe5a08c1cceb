import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { PDF } from '../../../test/support/registration-fixtures.ts';

/**
 * The construction permit end to end, driven by its definition alone: the zoning pre-check, the
 * fee, three parallel reviews, the appeal after a refusal and the public register of permits.
 */
const DEFINITION = fs.readFileSync(new URL('./construction-permit.yaml', import.meta.url), 'utf8');

let app: TestApp;
let amina: Session;
let admin: Session;
let permitsOfficer: Session;
let fireOfficer: Session;
let utilitiesOfficer: Session;
let urbanHead: Session;

before(async () => {
  app = await startTestApp();
  [amina, admin, permitsOfficer, fireOfficer, utilitiesOfficer, urbanHead] = await signInDemo(app, 'amina', 'admin', 'officer.permits', 'officer.fire', 'officer.utilities', 'head.urban');
});
after(() => app?.stop());

type Json = Record<string, any>;

async function call(session: Session | null, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, contentType?: string) {
  const headers: Record<string, string> = { ...(session ? asSession(session) : {}), ...(contentType ? { 'content-type': contentType } : {}) };
  const response = await app.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Json) : {} };
}

async function upload(session: Session, url: string, documentType: string) {
  const boundary = '----daftari-permit';
  const payload = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${documentType}"; filename="${documentType}.pdf"\r\n\r\n`), PDF, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const response = await app.app.inject({ method: 'POST', url, headers: { ...asSession(session), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
  assert.equal(response.statusCode, 201, response.body);
}

const PLOT = { parcelNumber: 'DJ-PAR-0000104', address: 'Quartier 7, Djibouti' };
const PARCEL = { ownerName: 'Amina Hassan Ali', zone: 'R2', plotArea: '600' };
const PROJECT = { use: 'housing', floors: 2, floorArea: '240.5', height: '7.5', footprint: '130', setback: '5' };

/** The answers of `place` that belong to the step whose sample answers are `step`. */
const pick = (place: Record<string, unknown>, step: Record<string, unknown>) => Object.fromEntries(Object.entries(place).filter(([key]) => key in step));

/** A draft with every step answered (the parcel typed in, not prefilled) and every document uploaded, ready to be checked and sent. */
async function draft(project: Record<string, unknown> = {}, place: Record<string, unknown> = {}): Promise<string> {
  const created = await call(amina, 'POST', '/api/registration/drafts', { serviceId: 'construction-permit' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const plotStep = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/plot`, { answers: { ...PLOT, ...pick(place, PLOT) } });
  assert.equal(plotStep.status, 200, JSON.stringify(plotStep.body));
  const parcelStep = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/parcel`, { answers: { ...PARCEL, ...pick(place, PARCEL) } });
  assert.equal(parcelStep.status, 200, JSON.stringify(parcelStep.body));
  const projectStep = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/project`, { answers: { ...PROJECT, ...project } });
  assert.equal(projectStep.status, 200, JSON.stringify(projectStep.body));
  for (const document of ['title-deed', 'site-plan', 'architectural-plans']) await upload(amina, `/api/registration/drafts/${id}/documents`, document);
  return id;
}

const submit = (id: string) => call(amina, 'POST', `/api/registration/drafts/${id}/submit`);

/** The check-your-answers page as Amina reads it (her account speaks French), as text. */
async function checkPage(id: string): Promise<string> {
  const response = await app.app.inject({ method: 'GET', url: `/applications/${id}/check`, headers: { accept: 'text/html', cookie: amina.cookie() } });
  assert.equal(response.statusCode, 200, response.body);
  return response.body.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ');
}

describe('the zoning pre-check', () => {
  it('shows every broken rule of the zone on the check page, in the applicant’s language, and offers no way to send', async () => {
    // R2: 12 m, 4 floors, 50 % of the plot, 4 m from the boundaries, housing, mixed or public.
    const id = await draft({ height: '14', floors: 5, footprint: '330', setback: '2.5', use: 'industry' });
    const page = await checkPage(id);
    assert.match(page, /Non autorisé : La hauteur de 14 m dépasse les 12 m autorisés en zone R2\./);
    assert.match(page, /5 niveaux dépassent les 4 autorisés en zone R2\./);
    assert.match(page, /Le bâtiment couvre 55 % de la parcelle ; la zone R2 autorise 50 %\./);
    assert.match(page, /Le bâtiment est à 2\.5 m d'une limite ; la zone R2 exige au moins 4 m\./);
    assert.match(page, /Cet usage du bâtiment n'est pas autorisé en zone R2\./);
    assert.doesNotMatch(page, /Accepter et envoyer/, 'no send button while a rule is broken');
  });

  it('refuses the submission while a blocking finding stands, naming it', async () => {
    const id = await draft({ height: '14' });
    const refused = await submit(id);
    assert.equal(refused.status, 422);
    assert.match(refused.body.detail, /Height 14 m exceeds the 12 m allowed in zone R2\./);
    assert.deepEqual(refused.body.findings, [{ check: 'height', values: { limit: '12' } }]);
  });

  it('lets a project within the rules through, and judges no rule whose answer is not given', async () => {
    const id = await draft({ setback: '' });
    const page = await checkPage(id);
    assert.match(page, /Vos réponses respectent toutes les règles vérifiées avant l'envoi\./);
    const sent = await submit(id);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.totalFee, '48100', 'R2 at 200 a square metre on 240.5 m²');
  });
});

/** A permit sent and found complete: the three technical reviews are open. */
async function inReview(project: Record<string, unknown> = {}, place: Record<string, unknown> = {}): Promise<string> {
  const id = await draft(project, place);
  assert.equal((await submit(id)).status, 200);
  const accepted = await call(permitsOfficer, 'POST', `/api/workflow/cases/${id}/actions/accept`, { inputs: { checks: ['deed-matches-parcel', 'plans-signed', 'site-plan-readable'] } });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  return id;
}

const review = (session: Session, id: string, reviewId: string, opinion: 'agree' | 'object', conditions?: string) =>
  call(session, 'POST', `/api/workflow/cases/${id}/reviews/${reviewId}`, { opinion, ...(conditions === undefined ? {} : { conditions }) });
const act = (session: Session, id: string, actionId: string, inputs: Record<string, unknown> = {}) => call(session, 'POST', `/api/workflow/cases/${id}/actions/${actionId}`, { inputs });
const stateOf = async (id: string) => (await call(amina, 'GET', `/api/registration/applications/${id}`)).body.state.id as string;

describe('three technical reviews, the third by the water and electricity utilities', () => {
  it('the utilities officer finds the case on the worklist and gives the opinion only the utilities may give', async () => {
    const id = await inReview();
    const worklist = await call(utilitiesOfficer, 'GET', '/api/workflow/worklist?service=construction-permit&limit=100');
    assert.ok((worklist.body.items as { caseId: string }[]).some((i) => i.caseId === id));
    assert.equal((await review(fireOfficer, id, 'utilities', 'agree')).status, 403);
    assert.equal((await review(utilitiesOfficer, id, 'fire-safety', 'agree')).status, 403);
  });

  it('one objection among three sends the project back to the applicant for revision, with the changes asked', async () => {
    const id = await inReview();
    await review(permitsOfficer, id, 'urban-planning', 'agree');
    await review(fireOfficer, id, 'fire-safety', 'agree');
    const objected = await review(utilitiesOfficer, id, 'utilities', 'object', 'The water main in the street cannot serve a second meter');
    assert.deepEqual(objected.body.transition, { from: 'technical-review', to: 'objections', action: null, outcome: null });
    const revise = await act(urbanHead, id, 'ask-revision', { changes: 'Share one water meter between the two dwellings' });
    assert.equal(revise.status, 200, JSON.stringify(revise.body));
    assert.equal(await stateOf(id), 'revision');
    const resent = await call(amina, 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'resubmit', inputs: { changesMade: 'One shared meter' } });
    assert.equal(resent.body.transition.to, 'completeness');
  });
});

/** A permit every reviewer agreed to, refused by the head of urban planning. */
async function refused(): Promise<string> {
  const id = await inReview();
  await review(permitsOfficer, id, 'urban-planning', 'agree');
  await review(fireOfficer, id, 'fire-safety', 'agree');
  await review(utilitiesOfficer, id, 'utilities', 'agree');
  const refusal = await act(urbanHead, id, 'refuse', { reason: 'The access road is too narrow for fire engines' });
  assert.equal(refusal.status, 200, JSON.stringify(refusal.body));
  assert.equal(refusal.body.transition.outcome, 'refused');
  return id;
}

const appeal = (id: string) => call(amina, 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'appeal', inputs: { grounds: 'The road was widened last month; see the town hall works order' } });

async function applicationPage(id: string): Promise<string> {
  const response = await app.app.inject({ method: 'GET', url: `/applications/${id}`, headers: { accept: 'text/html', cookie: amina.cookie() } });
  assert.equal(response.statusCode, 200, response.body);
  return response.body.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ');
}

describe('an appeal after a refusal, within the 30 days the definition sets', () => {
  it('the refused applicant is offered the appeal with its last day, and appealing reopens the case before the head of the ministry', async () => {
    const id = await refused();
    const page = await applicationPage(id);
    assert.match(page, /Ce que vous pouvez encore faire/);
    assert.match(page, /Former un recours contre le refus/);
    assert.match(page, /Vous pouvez le faire jusqu'au /);
    const appealed = await appeal(id);
    assert.equal(appealed.status, 200, JSON.stringify(appealed.body));
    assert.deepEqual([appealed.body.transition.from, appealed.body.transition.to, appealed.body.transition.outcome], ['refused', 'appeal', null]);
    assert.equal((await call(amina, 'GET', `/api/registration/applications/${id}`)).body.state.id, 'appeal');
    const dismissed = await act(urbanHead, id, 'dismiss-appeal', { reason: 'The works order concerns another street' });
    assert.equal(dismissed.body.transition.outcome, 'refused');
    assert.doesNotMatch(await applicationPage(id), /Ce que vous pouvez encore faire/, 'a refusal upheld on appeal cannot be appealed again');
    assert.equal((await appeal(id)).status, 409);
  });

  it('an allowed appeal sends the case back to the decision', async () => {
    const id = await refused();
    await appeal(id);
    const allowed = await act(urbanHead, id, 'allow-appeal', { findings: 'The road is now 6 m wide' });
    assert.equal(allowed.body.transition.to, 'decision');
    assert.equal((await act(urbanHead, id, 'grant')).body.transition.outcome, 'granted');
  });

  it('once the 30 days have passed, the appeal is no longer offered and is refused', async () => {
    const id = await refused();
    await sql`UPDATE workflow_cases SET state_entered_at = state_entered_at - interval '31 days' WHERE id = ${id}`.execute(app.database.db);
    assert.doesNotMatch(await applicationPage(id), /Ce que vous pouvez encore faire/);
    const late = await appeal(id);
    assert.equal(late.status, 409);
    assert.match(late.body.detail, /The 30 days allowed for "appeal" ended on \d{4}-\d{2}-\d{2}\./);
    assert.equal((await call(amina, 'GET', `/api/registration/applications/${id}`)).body.state.id, 'refused');
  });
});

describe('the public register of granted permits', () => {
  const open = (url: string) => app.app.inject({ method: 'GET', url, headers: { accept: url.startsWith('/api/') ? 'application/json' : 'text/html' } });
  let granted: string;

  before(async () => {
    const grantedId = await inReview({ use: 'mixed', floors: 3, height: '10' }, { parcelNumber: 'DJ-PAR-0777001', address: 'Rue de la Mer 12' });
    for (const [session, reviewId] of [[permitsOfficer, 'urban-planning'], [fireOfficer, 'fire-safety'], [utilitiesOfficer, 'utilities']] as const) await review(session, grantedId, reviewId, 'agree');
    assert.equal((await act(urbanHead, grantedId, 'grant')).body.transition.outcome, 'granted');
    granted = (await call(amina, 'GET', `/api/registration/applications/${grantedId}`)).body.trackingNumber;
    const refusedId = await inReview({}, { parcelNumber: 'DJ-PAR-0777002' });
    for (const [session, reviewId] of [[permitsOfficer, 'urban-planning'], [fireOfficer, 'fire-safety'], [utilitiesOfficer, 'utilities']] as const) await review(session, refusedId, reviewId, 'agree');
    await act(urbanHead, refusedId, 'refuse', { reason: 'Too close to the coast' });
    await inReview({}, { parcelNumber: 'DJ-PAR-0777003' });
  });

  it('anyone, without signing in, reads the granted permits with parcel, address, use, floors and date, and nothing else', async () => {
    const page = await open('/services/construction-permit/register?lang=en');
    assert.equal(page.statusCode, 200);
    const text = page.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`${granted} \\S.* DJ-PAR-0777001 Rue de la Mer 12 R2 – medium-density housing Housing with shops 3`));
    assert.doesNotMatch(text, /DJ-PAR-0777002|DJ-PAR-0777003/, 'neither a refused permit nor one still under review');
    assert.doesNotMatch(text, /Amina|Said|amina@|DJ-1985-000123/, 'no applicant');

    const json = await open('/api/registration/registers/construction-permit');
    assert.equal(json.statusCode, 200);
    const body = JSON.parse(json.body) as Json;
    assert.deepEqual(body.fields, ['parcelNumber', 'address', 'zone', 'use', 'floors']);
    const entry = body.items.find((i: Json) => i.trackingNumber === granted);
    assert.deepEqual(Object.keys(entry).sort(), ['grantedAt', 'trackingNumber', 'values']);
    assert.deepEqual(entry.values, { parcelNumber: 'DJ-PAR-0777001', address: 'Rue de la Mer 12', zone: 'R2', use: 'mixed', floors: 3 });
    assert.ok(!body.items.some((i: Json) => /DJ-PAR-077700[23]/.test(i.values.parcelNumber)));
    assert.doesNotMatch(json.body, /Amina|Said|DJ-1985-000123|applicant/i);
  });

  it('pages through the register, the latest grant first, and a service without a register has none', async () => {
    const first = JSON.parse((await open('/api/registration/registers/construction-permit?limit=1')).body) as Json;
    assert.equal(first.items[0].trackingNumber, granted, 'the latest grant first');
    assert.ok(first.next);
    const second = JSON.parse((await open(`/api/registration/registers/construction-permit?limit=1&before=${encodeURIComponent(first.next)}`)).body) as Json;
    assert.notEqual(second.items[0]?.trackingNumber, granted);
    assert.equal((await open('/api/registration/registers/business-licence')).statusCode, 404);
  });
});

describe('a country edits the definition, not the code', () => {
  it('a higher limit for R2 and a new R2 rate change the findings and the fee of new applications; a draft keeps its version', async () => {
    const before = await draft({ height: '14' });
    const edited = DEFINITION.replace(/^version: 2$/m, 'version: 3')
      .replace('maxHeight: { R1: 9, R2: 12,', 'maxHeight: { R1: 9, R2: 15,')
      .replace('zoneRate: { R1: 150, R2: 200,', 'zoneRate: { R1: 150, R2: 250,');
    assert.notEqual(edited, DEFINITION);
    const published = await call(admin, 'POST', '/api/registration/definitions', edited, 'application/yaml');
    assert.equal(published.status, 201, JSON.stringify(published.body));

    const after = await draft({ height: '14' });
    assert.match(await checkPage(after), /Vos réponses respectent toutes les règles/);
    const sent = await submit(after);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.totalFee, '60125', 'R2 at 250 a square metre on 240.5 m²');

    assert.match(await checkPage(before), /La hauteur de 14 m dépasse les 12 m autorisés en zone R2/, 'the earlier draft stays on version 2');
    assert.equal((await submit(before)).status, 422);
  });
});
