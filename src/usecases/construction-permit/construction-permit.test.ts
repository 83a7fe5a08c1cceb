import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, csrfFrom, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { multipartBody, payFeesAtCounter, PDF, PNG } from '../../../test/support/registration-fixtures.ts';
import { startMobileMoneySimulator, type Simulator } from '../../simulators/index.ts';

/**
 * The construction permit end to end, driven by its definition alone: the zoning pre-check, the
 * fee and its invoice, paid through the payments block, three parallel reviews, the site inspection booked with an inspector, the appeal after a
 * refusal, the public register of permits, and the final inspection with the occupancy certificate.
 */
const DEFINITION = fs.readFileSync(new URL('./construction-permit.yaml', import.meta.url), 'utf8');

const MOBILE_MONEY_SECRET = randomBytes(24).toString('base64url');
let mobileMoney: Simulator;
let app: TestApp;
let amina: Session;
let admin: Session;
let permitsOfficer: Session;
let fireOfficer: Session;
let utilitiesOfficer: Session;
let urbanHead: Session;

before(async () => {
  // The app listens, so the mobile-money simulator's callbacks reach it over real HTTP.
  mobileMoney = await startMobileMoneySimulator({ secret: MOBILE_MONEY_SECRET });
  app = await startTestApp({ listen: true, env: { MOBILE_MONEY_URL: mobileMoney.url, MOBILE_MONEY_SECRET } });
  [amina, admin, permitsOfficer, fireOfficer, utilitiesOfficer, urbanHead] = await signInDemo(app, 'amina', 'admin', 'officer.permits', 'officer.fire', 'officer.utilities', 'head.urban');
});
after(async () => {
  await app?.stop();
  await mobileMoney?.close();
});

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

const acceptAsComplete = (id: string) => call(permitsOfficer, 'POST', `/api/workflow/cases/${id}/actions/accept`, { inputs: { checks: ['deed-matches-parcel', 'plans-signed', 'site-plan-readable'] } });

/** A permit sent and found complete: it waits for its fee. */
async function waitingForFee(project: Record<string, unknown> = {}, place: Record<string, unknown> = {}): Promise<string> {
  const id = await draft(project, place);
  assert.equal((await submit(id)).status, 200);
  const accepted = await acceptAsComplete(id);
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.transition.to, 'payment');
  return id;
}

/** A permit found complete and its fee paid at the ministry's counter: the three technical reviews are open. */
async function inReview(project: Record<string, unknown> = {}, place: Record<string, unknown> = {}): Promise<string> {
  const id = await waitingForFee(project, place);
  await payFeesAtCounter(app, id, 'cashier.urban');
  assert.equal(await stateOf(id), 'technical-review');
  return id;
}

const review = (session: Session, id: string, reviewId: string, opinion: 'agree' | 'object', conditions?: string) =>
  call(session, 'POST', `/api/workflow/cases/${id}/reviews/${reviewId}`, { opinion, ...(conditions === undefined ? {} : { conditions }) });
const act = (session: Session, id: string, actionId: string, inputs: Record<string, unknown> = {}) => call(session, 'POST', `/api/workflow/cases/${id}/actions/${actionId}`, { inputs });
const stateOf = async (id: string) => (await call(amina, 'GET', `/api/registration/applications/${id}`)).body.state.id as string;

/** The application as Amina reads it: state, clock, invoices, history. */
const applicationOf = async (id: string) => (await call(amina, 'GET', `/api/registration/applications/${id}`)).body;

describe('the permit fee, paid through the payments block before the technical review', () => {
  it('accepting the file opens the invoice of the fee worked out from the answers, and the case waits with the clock stopped', async () => {
    const id = await waitingForFee();
    const waiting = await applicationOf(id);
    assert.equal(waiting.state.id, 'payment');
    assert.equal(waiting.clockPaused, true, 'the wait is the applicant’s, not the authority’s');
    assert.deepEqual(waiting.invoices.map((i: Json) => [i.state, i.amount, i.currency]), [['open', '48100', 'DJF']], 'R2 at 200 a square metre on 240.5 m²');
    const fireList = await call(fireOfficer, 'GET', '/api/workflow/worklist?service=construction-permit&limit=100');
    assert.ok(!(fireList.body.items as Json[]).some((i) => i.caseId === id), 'no reviewer is asked before the fee is paid');
    assert.equal((await review(fireOfficer, id, 'fire-safety', 'agree')).status, 404, 'nor is the case theirs to give an opinion on yet');
  });

  it('Amina pays by mobile money, confirmed on the provider’s side, and the callback over HTTP sends the case to the technical review', async () => {
    const id = await waitingForFee();
    const [invoice] = (await applicationOf(id)).invoices as Json[];
    const started = await call(amina, 'POST', `/api/payments/invoices/${invoice!.id}/mobile-money`, { phone: '+253 77 81 23 45' });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const providerId = (started.body.confirmUrl as string).split('/').pop()!;
    const confirmed = await fetch(`${mobileMoney.url}/payments/${providerId}/confirm`, { method: 'POST', body: JSON.stringify({ decision: 'confirm' }) });
    assert.equal(confirmed.status, 200, await confirmed.text());
    await app.jobs.drain();
    const paid = await applicationOf(id);
    assert.equal(paid.state.id, 'technical-review');
    assert.equal(paid.clockPaused, false, 'the clock runs again');
    assert.deepEqual(paid.invoices.map((i: Json) => [i.state, i.amount]), [['paid', '48100']]);
    assert.deepEqual(paid.history.at(-1), { ...paid.history.at(-1), kind: 'payment-received', from: 'payment', to: 'technical-review', inputs: { invoice: invoice!.id } });
  });

  it('a revised project, checked again, finds its fee paid and goes straight to the technical review, invoiced once', async () => {
    const id = await inReview();
    await review(fireOfficer, id, 'fire-safety', 'object', 'No second stairway');
    await review(permitsOfficer, id, 'urban-planning', 'agree');
    await review(utilitiesOfficer, id, 'utilities', 'agree');
    assert.equal((await act(urbanHead, id, 'ask-revision', { changes: 'Add a second stairway' })).status, 200);
    const resent = await call(amina, 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'resubmit', inputs: { changesMade: 'Second stairway on the east side' } });
    assert.equal(resent.body.transition.to, 'completeness');
    assert.equal((await acceptAsComplete(id)).body.transition.to, 'payment');
    await app.jobs.drain();
    const again = await applicationOf(id);
    assert.equal(again.state.id, 'technical-review', 'no second wait for a fee already paid');
    assert.deepEqual(again.invoices.map((i: Json) => i.state), ['paid']);
  });

  it('withdrawing while the fee is due cancels the invoice', async () => {
    const id = await waitingForFee();
    const withdrawn = await call(amina, 'POST', `/api/registration/applications/${id}/withdraw`, { reason: 'We are selling the plot' });
    assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
    assert.deepEqual((await applicationOf(id)).invoices.map((i: Json) => i.state), ['cancelled']);
  });
});

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

/** Every reviewer agrees: the case goes to the site inspection. */
async function reviewed(project: Record<string, unknown> = {}, place: Record<string, unknown> = {}): Promise<string> {
  const id = await inReview(project, place);
  await review(permitsOfficer, id, 'urban-planning', 'agree');
  await review(fireOfficer, id, 'fire-safety', 'agree');
  const last = await review(utilitiesOfficer, id, 'utilities', 'agree');
  assert.equal(last.body.transition.to, 'site-inspection', JSON.stringify(last.body));
  return id;
}

type Verdict = 'pass' | 'fail';

/**
 * The inspector records an inspection as the case page's form sends it: each checklist item
 * judged with its own buttons (`checklist.<item>`), the verdict, remarks and a photo.
 */
async function recordInspection(id: string, actionId: string, checklist: Record<string, Verdict>, result: Verdict, remarks = '', photo: Buffer = PNG) {
  const { contentType, payload } = multipartBody([
    ...Object.entries(checklist).map(([item, verdict]) => ({ name: `checklist.${item}`, content: verdict })),
    { name: 'result', content: result },
    { name: 'remarks', content: remarks },
    { name: 'photos', fileName: 'site.png', content: photo },
  ]);
  const response = await app.app.inject({ method: 'POST', url: `/api/workflow/cases/${id}/actions/${actionId}`, headers: { ...asSession(permitsOfficer), 'content-type': contentType }, payload });
  return { status: response.statusCode, body: JSON.parse(response.body) as Json };
}

const SITE_PASSED = { boundaries: 'pass', access: 'pass', 'no-early-works': 'pass' } as const;
const WORKS_PASSED = { 'as-permitted': 'pass', 'fire-exits': 'pass', connections: 'pass' } as const;

/** Reviewed and inspected: the case waits for the decision. */
async function forDecision(project: Record<string, unknown> = {}, place: Record<string, unknown> = {}): Promise<string> {
  const id = await reviewed(project, place);
  const inspected = await recordInspection(id, 'record-inspection', SITE_PASSED, 'pass');
  assert.equal(inspected.status, 200, JSON.stringify(inspected.body));
  return id;
}

/** A permit every reviewer agreed to and the inspector passed, refused by the head of urban planning. */
async function refused(): Promise<string> {
  const id = await forDecision();
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
    const grantedId = await forDecision({ use: 'mixed', floors: 3, height: '10' }, { parcelNumber: 'DJ-PAR-0777001', address: 'Rue de la Mer 12' });
    assert.equal((await act(urbanHead, grantedId, 'grant')).body.transition.outcome, 'granted');
    granted = (await call(amina, 'GET', `/api/registration/applications/${grantedId}`)).body.trackingNumber;
    const refusedId = await forDecision({}, { parcelNumber: 'DJ-PAR-0777002' });
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

/** The visits booked for an application, as its applicant reads them on the application. */
async function bookingsOf(id: string): Promise<Json[]> {
  const application = await call(amina, 'GET', `/api/registration/applications/${id}`);
  assert.equal(application.status, 200, JSON.stringify(application.body));
  return application.body.bookings as Json[];
}

/** Djibouti's working week for the Building Permits Department: Sunday to Thursday, 07:00–14:00 (UTC+3). */
function inDjiboutiWorkingHours(start: Date, end: Date): boolean {
  const local = (d: Date) => new Date(d.getTime() + 3 * 3_600_000);
  const [from, to] = [local(start), local(end)];
  const minutes = (d: Date) => d.getUTCHours() * 60 + d.getUTCMinutes();
  return from.getUTCDay() <= 4 && minutes(from) >= 7 * 60 && minutes(to) <= 14 * 60 && from.toISOString().slice(0, 10) === to.toISOString().slice(0, 10);
}

describe('the site inspection, booked with the scheduler when the reviews agree', () => {
  it('books an inspector of the department for an hour at a free time of its working week, with the applicant as attendee', async () => {
    const id = await reviewed();
    const [booking, ...others] = await bookingsOf(id);
    assert.equal(others.length, 0, 'one visit');
    assert.equal(booking!.status, 'booked');
    const [start, end] = [new Date(booking!.start), new Date(booking!.end)];
    assert.equal(end.getTime() - start.getTime(), 60 * 60_000, 'the 60 minutes the definition gives the visit');
    assert.ok(inDjiboutiWorkingHours(start, end), `${booking!.start} is in the working week`);
    assert.ok(start.getTime() > Date.now() + 2 * 86_400_000 - 60_000, 'no sooner than the two days of notice');
    assert.match(booking!.title, /^Visite du terrain, permis CP-/, 'named in the applicant’s language, with the tracking number');
    const seen = await call(amina, 'GET', `/api/scheduler/bookings/${booking!.id}`);
    assert.equal(seen.status, 200, 'the applicant is an attendee, so may see it');
    assert.deepEqual(seen.body.subject, { type: 'application', id });
    const ahmed = await call(permitsOfficer, 'GET', '/api/workflow/worklist?service=construction-permit&state=site-inspection&limit=100');
    assert.ok((ahmed.body.items as Json[]).some((i) => i.caseId === id), 'the inspection is on the department’s worklist');
  });

  it('the applicant sees the visit on the application page and moves it once, with the page’s form, to another free time of the same inspector', async () => {
    const id = await reviewed();
    const [booking] = await bookingsOf(id);
    const resourceId = (await call(amina, 'GET', `/api/scheduler/bookings/${booking!.id}`)).body.resourceId as string;
    const html = (await app.app.inject({ method: 'GET', url: `/applications/${id}`, headers: { accept: 'text/html', cookie: amina.cookie() } })).body;
    const page = html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    assert.match(page, /Vos rendez-vous Visite du terrain, permis CP-\S+ : .* \(Africa\/Djibouti\)/);
    assert.match(page, /Vous pouvez encore le déplacer 2 fois\./);
    const offered = [...html.matchAll(/name="start" type="radio" value="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(offered.length > 0 && !offered.includes(booking!.start), 'other times are offered');
    const later = offered.at(-1)!;

    const moved = await app.app.inject({
      method: 'POST',
      url: `/scheduler/bookings/${booking!.id}/reschedule`,
      headers: { cookie: amina.cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrfFrom(html), start: later, back: `/applications/${id}` }).toString(),
    });
    assert.equal(moved.statusCode, 303, moved.body);
    assert.equal(moved.headers.location, `/applications/${id}?done=rescheduled`);
    const [now] = await bookingsOf(id);
    assert.deepEqual([now!.start, now!.reschedules], [later, 1]);
    assert.ok(inDjiboutiWorkingHours(new Date(now!.start), new Date(now!.end)));
    assert.equal((await call(amina, 'GET', `/api/scheduler/bookings/${booking!.id}`)).body.resourceId, resourceId, 'the same inspector');
    const after = await app.app.inject({ method: 'GET', url: `/applications/${id}?done=rescheduled`, headers: { accept: 'text/html', cookie: amina.cookie() } });
    assert.match(after.body, /Votre rendez-vous a été déplacé\./);
    assert.match(after.body, /Vous pouvez encore le déplacer 1 fois\./);
  });

  it('when the time chosen is taken between the page and the click, the page comes back with its form and says so; a JSON client gets the 409 problem', async () => {
    const id = await reviewed();
    const [booking] = await bookingsOf(id);
    const visit = (await app.scheduler.find(booking!.id))!;
    const html = (await app.app.inject({ method: 'GET', url: `/applications/${id}`, headers: { accept: 'text/html', cookie: amina.cookie() } })).body;
    const wanted = [...html.matchAll(/name="start" type="radio" value="([^"]+)"/g)].map((m) => m[1]!)[0]!;
    // Meanwhile the department books the same inspector at that time for another visit.
    await app.scheduler.book({ agencyId: visit.agencyId, kind: 'inspector', resourceId: visit.resourceId, start: new Date(wanted), durationMinutes: 60, subject: { type: 'test', id: randomUUID() }, attendees: [], title: 'Another visit', actor: { type: 'system', id: null, name: 'test' } });
    const form = new URLSearchParams({ _csrf: csrfFrom(html), start: wanted, back: `/applications/${id}` }).toString();
    const move = (accept: string) => app.app.inject({ method: 'POST', url: `/scheduler/bookings/${booking!.id}/reschedule`, headers: { accept, cookie: amina.cookie(), 'content-type': 'application/x-www-form-urlencoded' }, payload: form });

    const refused = await move('text/html');
    assert.equal(refused.statusCode, 303, refused.body);
    assert.equal(refused.headers.location, `/applications/${id}?move=taken#visits-title`);
    const again = (await app.app.inject({ method: 'GET', url: `/applications/${id}?move=taken`, headers: { accept: 'text/html', cookie: amina.cookie() } })).body;
    assert.match(again.replace(/&#39;/g, "'"), /L'horaire choisi a été pris entre-temps : choisissez un autre des horaires ci-dessous\./);
    const offeredNow = [...again.matchAll(/name="start" type="radio" value="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(offeredNow.length > 0 && !offeredNow.includes(wanted), 'the form again, without the time taken');
    assert.deepEqual((await bookingsOf(id)).map((b) => [b.start, b.reschedules]), [[booking!.start, 0]], 'the visit stays where it was');

    const problem = await move('application/json');
    assert.equal(problem.statusCode, 409);
    assert.match(String(problem.headers['content-type']), /^application\/problem\+json/);
    assert.equal(JSON.parse(problem.body).code, 'slotTaken');
  });

  it('the inspector records the checklist item by item, a photo, the result and remarks; a pass sends the case to the decision', async () => {
    const id = await reviewed();
    const inspected = await recordInspection(id, 'record-inspection', SITE_PASSED, 'pass', 'Plot pegged out as drawn');
    assert.equal(inspected.status, 200, JSON.stringify(inspected.body));
    assert.deepEqual(inspected.body.transition, { from: 'site-inspection', to: 'decision', action: 'record-inspection', outcome: null });
    const application = (await call(permitsOfficer, 'GET', `/api/registration/applications/${id}`)).body;
    const recorded = (application.history as Json[]).find((e) => e.action === 'record-inspection')!;
    assert.deepEqual(recorded.inputs.checklist, SITE_PASSED);
    assert.equal(recorded.inputs.result, 'pass');
    assert.equal(recorded.inputs.remarks, 'Plot pegged out as drawn');
    const photo = (application.documents as Json[]).find((d) => d.id === recorded.inputs.photos[0])!;
    assert.deepEqual([photo.type, photo.mediaType], ['photos', 'image/png']);
  });

  it('the inspector records it on the case page: a pair of buttons for each item, the verdict and a photo, sent as one form', async () => {
    const id = await reviewed();
    const html = (await app.app.inject({ method: 'GET', url: `/work/cases/${id}`, headers: { accept: 'text/html', cookie: permitsOfficer.cookie() } })).body;
    const form = html.slice(html.indexOf(`/actions/record-inspection"`), html.indexOf('</form>', html.indexOf(`/actions/record-inspection"`)));
    assert.match(form, /enctype="multipart\/form-data"/);
    for (const item of Object.keys(SITE_PASSED)) assert.match(form, new RegExp(`name="checklist\\.${item}" type="radio" value="pass"`));
    assert.match(form, /name="photos" type="file"[^>]*accept="image\/jpeg,image\/png,image\/webp"[^>]*multiple/);
    const { contentType, payload } = multipartBody([
      { name: '_csrf', content: csrfFrom(html) },
      { name: 'expectedState', content: 'site-inspection' },
      ...Object.entries(SITE_PASSED).map(([item, verdict]) => ({ name: `checklist.${item}`, content: verdict })),
      { name: 'result', content: 'pass' },
      { name: 'remarks', content: '' },
      { name: 'photos', fileName: 'plot.png', content: PNG },
    ]);
    const sent = await app.app.inject({ method: 'POST', url: `/work/cases/${id}/actions/record-inspection`, headers: { cookie: permitsOfficer.cookie(), 'content-type': contentType }, payload });
    assert.equal(sent.statusCode, 303, sent.body);
    assert.equal(await stateOf(id), 'decision');
    const after = (await app.app.inject({ method: 'GET', url: `/work/cases/${id}`, headers: { accept: 'text/html', cookie: permitsOfficer.cookie() } })).body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    assert.match(after, /Photos of the site: plot\.png/, 'the photo is on the case, named by its input');
    assert.match(after, /The plot and its boundaries match the site plan: Pass/, 'and each item’s verdict in the history');
  });

  it('refuses a photo that is not an image by its content, an item left unjudged, and a verdict other than pass or fail', async () => {
    const id = await reviewed();
    const notAnImage = await recordInspection(id, 'record-inspection', SITE_PASSED, 'pass', '', PDF);
    assert.equal(notAnImage.status, 400);
    assert.match(notAnImage.body.detail, /PDF file; accepted: JPEG, PNG, WEBP/);
    const unjudged = await recordInspection(id, 'record-inspection', { boundaries: 'pass', access: 'pass' }, 'pass');
    assert.equal(unjudged.status, 400);
    assert.match(unjudged.body.detail, /checklist every item must be judged/);
    const noVerdict = await act(permitsOfficer, id, 'record-inspection', { checklist: SITE_PASSED, result: 'maybe' });
    assert.equal(noVerdict.status, 400);
    assert.match(noVerdict.body.detail, /result must be pass or fail/);
    assert.equal(await stateOf(id), 'site-inspection', 'nothing moved');
    assert.equal((await call(permitsOfficer, 'GET', `/api/registration/applications/${id}`)).body.documents.length, 3, 'and no photo of a refused record stays on the case');
  });

  it('a failed inspection goes before the head of the ministry, who asks for a revision or refuses; a refusal cancels the visits still to come', async () => {
    const revised = await reviewed();
    const failed = await recordInspection(revised, 'record-inspection', { ...SITE_PASSED, boundaries: 'fail' }, 'fail', 'The plot is 2 m narrower than the site plan shows');
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    assert.equal(failed.body.transition.to, 'objections');
    assert.equal((await act(urbanHead, revised, 'ask-revision', { changes: 'Redraw the site plan from a surveyed boundary' })).body.transition.to, 'revision');

    const refusedId = await reviewed();
    await recordInspection(refusedId, 'record-inspection', { ...SITE_PASSED, 'no-early-works': 'fail' }, 'fail', 'Foundations already poured');
    const refusal = await act(urbanHead, refusedId, 'refuse', { reason: 'Works started without a permit' });
    assert.equal(refusal.body.transition.outcome, 'refused');
    assert.deepEqual((await bookingsOf(refusedId)).map((b) => b.status), ['cancelled']);
  });
});

describe('works finished: the final inspection and the occupancy certificate', () => {
  it('walks from the granted permit to an occupancy certificate anyone can verify, the permit staying in the public register', async () => {
    const id = await forDecision({}, { parcelNumber: 'DJ-PAR-0888001' });
    assert.equal((await act(urbanHead, id, 'grant')).body.transition.outcome, 'granted');
    const permitPdf = await app.app.inject({ method: 'GET', url: `/applications/${id}/outputs/permit/pdf`, headers: { cookie: amina.cookie() } });
    assert.equal(permitPdf.statusCode, 200);
    assert.equal(permitPdf.body.slice(0, 5), '%PDF-');
    const trackingNumber = (await call(amina, 'GET', `/api/registration/applications/${id}`)).body.trackingNumber as string;
    const listed = async () => ((await call(null, 'GET', '/api/registration/registers/construction-permit?limit=200')).body.items as Json[]).filter((i) => i.trackingNumber === trackingNumber).map((i) => i.grantedAt as string);
    const [grantedAt] = await listed();
    assert.ok(grantedAt);

    assert.match(await applicationPage(id), /Déclarer l'achèvement des travaux/);
    const declared = await call(amina, 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'declare-completion', inputs: { finishedOn: new Date().toISOString().slice(0, 10) } });
    assert.equal(declared.status, 200, JSON.stringify(declared.body));
    assert.equal(declared.body.transition.to, 'final-inspection');
    const visits = await bookingsOf(id);
    assert.equal(visits.length, 2, 'the site inspection and the final inspection');
    const final = visits.find((b) => /^Visite de récolement/.test(b.title))!;
    assert.equal(new Date(final.end).getTime() - new Date(final.start).getTime(), 90 * 60_000);
    assert.ok(inDjiboutiWorkingHours(new Date(final.start), new Date(final.end)));
    assert.deepEqual(await listed(), [grantedAt], 'the permit stays in the register, with the day of its grant, while the works are inspected');

    const passed = await recordInspection(id, 'record-final-inspection', WORKS_PASSED, 'pass', 'Built as permitted');
    assert.equal(passed.status, 200, JSON.stringify(passed.body));
    assert.deepEqual([passed.body.transition.to, passed.body.transition.outcome], ['completed', 'granted']);
    const outputs = (await call(amina, 'GET', `/api/registration/applications/${id}`)).body.outputs as Json[];
    assert.deepEqual(outputs.map((o) => o.id).sort(), ['occupancy-certificate', 'permit']);
    const certificate = outputs.find((o) => o.id === 'occupancy-certificate')!;
    assert.equal(certificate.verifyPath, `/verify/${certificate.documentId}`);
    const status = await call(null, 'GET', `/api/documents/${certificate.documentId}/status`);
    assert.equal(status.status, 200);
    assert.deepEqual([status.body.status, status.body.genuine, status.body.kind, status.body.title], ['current', true, 'occupancy-certificate', 'Certificat de conformité']);
    const verifyPage = await app.app.inject({ method: 'GET', url: certificate.verifyPath, headers: { accept: 'text/html' } });
    assert.equal(verifyPage.statusCode, 200);
    const pdf = await app.app.inject({ method: 'GET', url: `/applications/${id}/outputs/occupancy-certificate/pdf`, headers: { cookie: amina.cookie() } });
    assert.equal(pdf.body.slice(0, 5), '%PDF-');
    assert.deepEqual(await listed(), [grantedAt], 'listed once, by its grant');
  });

  it('a failed final inspection asks the owner to correct the works and declare again; the next visit is booked anew', async () => {
    const id = await forDecision({}, { parcelNumber: 'DJ-PAR-0888002' });
    await act(urbanHead, id, 'grant');
    await call(amina, 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'declare-completion', inputs: { finishedOn: '2026-11-30' } });
    const failed = await recordInspection(id, 'record-final-inspection', { ...WORKS_PASSED, 'fire-exits': 'fail' }, 'fail', 'No extinguisher on the stairs');
    assert.equal(failed.body.transition.to, 'works-to-correct');
    const again = await call(amina, 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'declare-completion', inputs: { finishedOn: '2026-12-02' } });
    assert.equal(again.body.transition.to, 'final-inspection');
    assert.equal((await bookingsOf(id)).length, 3);
    assert.ok(!(await call(amina, 'GET', `/api/registration/applications/${id}`)).body.outputs.some((o: Json) => o.id === 'occupancy-certificate'), 'no certificate yet');
  });
});

describe('a country edits the definition, not the code', () => {
  it('a higher limit for R2, a new R2 rate and a longer site inspection change new applications; a draft keeps its version', async () => {
    const before = await draft({ height: '14' });
    const earlier = await draft();
    const edited = DEFINITION.replace(/^version: 4$/m, 'version: 5')
      .replace('maxHeight: { R1: 9, R2: 12,', 'maxHeight: { R1: 9, R2: 15,')
      .replace('zoneRate: { R1: 150, R2: 200,', 'zoneRate: { R1: 150, R2: 250,')
      .replace('durationMinutes: 60', 'durationMinutes: 120');
    assert.notEqual(edited, DEFINITION);
    const published = await call(admin, 'POST', '/api/registration/definitions', edited, 'application/yaml');
    assert.equal(published.status, 201, JSON.stringify(published.body));

    const after = await draft({ height: '14' });
    assert.match(await checkPage(after), /Vos réponses respectent toutes les règles/);
    const sent = await submit(after);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.totalFee, '60125', 'R2 at 250 a square metre on 240.5 m²');
    assert.equal((await acceptAsComplete(after)).body.transition.to, 'payment');
    assert.deepEqual((await applicationOf(after)).invoices.map((i: Json) => i.amount), ['60125'], 'the invoice follows the new rate, no code changed');

    assert.match(await checkPage(before), /La hauteur de 14 m dépasse les 12 m autorisés en zone R2/, 'the earlier draft stays on version 4');
    assert.equal((await submit(before)).status, 422);
    assert.equal((await submit(earlier)).body.totalFee, '48100', 'a draft of version 4 sent now keeps its rate');
    assert.equal((await acceptAsComplete(earlier)).body.transition.to, 'payment');
    assert.deepEqual((await applicationOf(earlier)).invoices.map((i: Json) => i.amount), ['48100'], 'and so does its invoice');

    const [visit] = await bookingsOf(await reviewed());
    assert.equal(new Date(visit!.end).getTime() - new Date(visit!.start).getTime(), 120 * 60_000, 'a site inspection of two hours, as version 5 says');
  });
});
