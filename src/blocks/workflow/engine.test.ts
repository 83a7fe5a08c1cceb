import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { createUser } from '../identity/index.ts';
import { DEADLINE_PASSED, DEADLINE_TASK, loadCase } from './index.ts';
import { payFeesAtCounter, PDF } from '../../../test/support/registration-fixtures.ts';

const DAY_MS = 86_400_000;

let app: TestApp;
let amina: Session;
let permitsOfficer: Session;
let secondPermitsOfficer: Session;
let fireOfficer: Session;
let utilitiesOfficer: Session;
let tradeOfficer: Session;
let registryOfficer: Session;
let pmoOfficer: Session;
let urbanHead: Session;
/** What subscribers of `workflow.deadline-passed` received: the escalations. */
const escalations: Record<string, unknown>[] = [];

before(async () => {
  app = await startTestApp();
  app.jobs.subscribe<Record<string, unknown>>(DEADLINE_PASSED, 'test.record-escalation', async (event) => {
    escalations.push(event);
  });
  await createUser(app.database.db, { username: 'officer.permits2', displayName: 'Hassan Aden', email: 'officer.permits2@daftari.localhost', password: DEMO_PASSWORD, roles: [{ role: 'officer', agencyCode: 'urban-permits' }] });
  const as = (username: string) => signIn(app, username, DEMO_PASSWORD);
  [amina, permitsOfficer, secondPermitsOfficer, fireOfficer, utilitiesOfficer, tradeOfficer, registryOfficer, pmoOfficer, urbanHead] = await Promise.all([
    as('amina'), as('officer.permits'), as('officer.permits2'), as('officer.fire'), as('officer.utilities'), as('officer.trade'), as('officer.registry'), as('officer.pmo'), as('head.urban'),
  ]);
});
after(() => app.stop());

type Json = Record<string, any>;

async function call(session: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const response = await app.app.inject({ method, url, headers: asSession(session), ...(payload === undefined ? {} : { payload: payload as Json }) });
  return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Json) : {} };
}

async function upload(session: Session, url: string, documentType: string) {
  const boundary = '----daftari-engine';
  const payload = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${documentType}"; filename="${documentType}.pdf"\r\n\r\n`), PDF, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const response = await app.app.inject({ method: 'POST', url, headers: { ...asSession(session), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
  assert.equal(response.statusCode, 201, response.body);
}

/** A construction permit, submitted, in the completeness check. */
async function permitApplication(): Promise<string> {
  const draft = await call(amina, 'POST', '/api/registration/drafts', { serviceId: 'construction-permit' });
  const id = draft.body.id as string;
  const plot = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/plot`, { answers: { parcelNumber: 'DJ-PAR-0000104', address: 'Quartier 7, Djibouti' } });
  assert.equal(plot.status, 200, JSON.stringify(plot.body));
  const parcel = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/parcel`, { answers: { ownerName: 'Amina Said', zone: 'R2', plotArea: '600' } });
  assert.equal(parcel.status, 200, JSON.stringify(parcel.body));
  const project = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/project`, { answers: { use: 'housing', floors: 2, floorArea: '240.5', height: '7.5', footprint: '130' } });
  assert.equal(project.status, 200, JSON.stringify(project.body));
  for (const document of ['title-deed', 'site-plan', 'architectural-plans']) await upload(amina, `/api/registration/drafts/${id}/documents`, document);
  const submitted = await call(amina, 'POST', `/api/registration/drafts/${id}/submit`);
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  assert.equal(submitted.body.totalFee, '48100', 'R2 at 200 a square metre on 240.5 m²');
  return id;
}

/** A construction permit that passed its completeness check and whose fee is paid: the three reviews are open. */
async function permitInReview(): Promise<string> {
  const id = await permitApplication();
  const accepted = await call(permitsOfficer, 'POST', `/api/workflow/cases/${id}/actions/accept`, { inputs: { checks: ['deed-matches-parcel', 'plans-signed', 'site-plan-readable'] } });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.transition.to, 'payment');
  await payFeesAtCounter(app, id, 'cashier.urban');
  return id;
}

async function complaintTo(agency: string): Promise<{ id: string; trackingNumber: string }> {
  const applied = await call(amina, 'POST', '/api/registration/applications', {
    serviceId: 'public-complaint',
    data: { agency, subject: 'Nobody answers the phone', details: 'I called every day for two weeks.' },
    idempotencyKey: `complaint-${randomUUID()}`,
  });
  assert.equal(applied.status, 201, JSON.stringify(applied.body));
  return { id: applied.body.id, trackingNumber: applied.body.trackingNumber };
}

const review = (session: Session, id: string, reviewId: string, opinion: 'agree' | 'object', conditions?: string) =>
  call(session, 'POST', `/api/workflow/cases/${id}/reviews/${reviewId}`, { opinion, ...(conditions === undefined ? {} : { conditions }) });

async function stateOf(id: string): Promise<Json> {
  return (await call(amina, 'GET', `/api/registration/applications/${id}`)).body;
}

async function worklistCases(session: Session, query = 'service=public-complaint'): Promise<string[]> {
  const list = await call(session, 'GET', `/api/workflow/worklist?${query}&limit=100`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  return (list.body.items as { caseId: string }[]).map((i) => i.caseId);
}

describe('parallel technical reviews', () => {
  it('when the three reviewers agree, the case goes on to the site inspection, moved by the last opinion', async () => {
    const id = await permitInReview();
    const first = await review(permitsOfficer, id, 'urban-planning', 'agree');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.transition, null, 'one opinion of three moves nothing');
    assert.equal((await review(fireOfficer, id, 'fire-safety', 'agree')).body.transition, null, 'nor do two');
    assert.equal((await stateOf(id)).state.id, 'technical-review');
    const third = await review(utilitiesOfficer, id, 'utilities', 'agree');
    assert.equal(third.status, 200, JSON.stringify(third.body));
    assert.deepEqual(third.body.transition, { from: 'technical-review', to: 'site-inspection', action: null, outcome: null });
    assert.ok((await worklistCases(permitsOfficer, 'service=construction-permit&state=site-inspection')).includes(id), 'the permits department inspects');
  });

  it('a reviewer of another agency is refused, and an agency outside the case cannot see it', async () => {
    const id = await permitInReview();
    assert.equal((await review(fireOfficer, id, 'urban-planning', 'agree')).status, 403);
    assert.equal((await review(permitsOfficer, id, 'fire-safety', 'agree')).status, 403);
    assert.equal((await review(fireOfficer, id, 'utilities', 'agree')).status, 403);
    assert.equal((await review(tradeOfficer, id, 'fire-safety', 'agree')).status, 404);
    assert.equal((await stateOf(id)).state.id, 'technical-review');
  });

  it('a second opinion on the same review is refused, before and after the case moves on', async () => {
    const id = await permitInReview();
    assert.equal((await review(permitsOfficer, id, 'urban-planning', 'agree')).status, 200);
    const again = await review(permitsOfficer, id, 'urban-planning', 'object', 'On second thoughts, too high');
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal((await review(fireOfficer, id, 'fire-safety', 'agree')).status, 200);
    assert.equal((await review(fireOfficer, id, 'fire-safety', 'agree')).status, 409);
    assert.equal((await review(utilitiesOfficer, id, 'utilities', 'agree')).status, 200);
    assert.equal((await stateOf(id)).state.id, 'site-inspection', 'the refused second opinion changed nothing');
  });

  it('an objection needs reasons, and takes the objection path only once every reviewer has answered', async () => {
    const id = await permitInReview();
    const silent = await review(fireOfficer, id, 'fire-safety', 'object', '  ');
    assert.equal(silent.status, 400);
    assert.equal(silent.body.errors[0].pointer, '/body/conditions');
    const objected = await review(fireOfficer, id, 'fire-safety', 'object', 'No second stairway for two floors of housing');
    assert.equal(objected.status, 200);
    assert.equal(objected.body.transition, null, 'the urban planning and utilities reviews are still open');
    assert.equal((await review(permitsOfficer, id, 'urban-planning', 'agree')).body.transition, null);
    assert.equal((await stateOf(id)).state.id, 'technical-review');
    const agreed = await review(utilitiesOfficer, id, 'utilities', 'agree');
    assert.deepEqual(agreed.body.transition, { from: 'technical-review', to: 'objections', action: null, outcome: null });
  });

  it('after a revision the project is reviewed afresh: earlier opinions do not count', async () => {
    const id = await permitInReview();
    await review(fireOfficer, id, 'fire-safety', 'object', 'No second stairway');
    await review(permitsOfficer, id, 'urban-planning', 'agree');
    await review(utilitiesOfficer, id, 'utilities', 'agree');
    const revise = await call(urbanHead, 'POST', `/api/workflow/cases/${id}/actions/ask-revision`, { inputs: { changes: 'Add a second stairway' } });
    assert.equal(revise.status, 200, JSON.stringify(revise.body));
    const resubmitted = await call(amina, 'POST', `/api/registration/applications/${id}/answers`, { actionId: 'resubmit', inputs: { changesMade: 'Second stairway added on the east side' } });
    assert.equal(resubmitted.status, 200, JSON.stringify(resubmitted.body));
    assert.equal(resubmitted.body.transition.to, 'completeness');
    await call(permitsOfficer, 'POST', `/api/workflow/cases/${id}/actions/accept`, { inputs: { checks: ['deed-matches-parcel', 'plans-signed', 'site-plan-readable'] } });
    // The fee paid before the revision lets the case through the payment state by itself.
    await app.jobs.drain();
    const first = await review(fireOfficer, id, 'fire-safety', 'agree');
    assert.equal(first.status, 200, 'the fire officer gives a new opinion on the new visit');
    assert.equal(first.body.transition, null, 'the earlier urban planning opinion belongs to the earlier visit');
    assert.equal((await review(utilitiesOfficer, id, 'utilities', 'agree')).body.transition, null);
    const second = await review(permitsOfficer, id, 'urban-planning', 'agree');
    assert.equal(second.body.transition.to, 'site-inspection');
  });
});

describe('a complaint routed to the agency the complainant chose', () => {
  let complaint: { id: string; trackingNumber: string };

  before(async () => {
    complaint = await complaintTo('fire');
  });

  it('lands on the chosen agency’s worklist only', async () => {
    assert.ok((await worklistCases(fireOfficer)).includes(complaint.id));
    for (const other of [tradeOfficer, permitsOfficer, registryOfficer, pmoOfficer]) assert.ok(!(await worklistCases(other)).includes(complaint.id));
  });

  it('only the chosen agency answers; the office that owns the service can read it but not answer', async () => {
    assert.equal((await call(tradeOfficer, 'POST', `/api/workflow/cases/${complaint.id}/actions/respond`, { inputs: { response: 'Not us' } })).status, 404);
    assert.equal((await call(pmoOfficer, 'GET', `/api/registration/applications/${complaint.id}`)).status, 200);
    assert.equal((await call(pmoOfficer, 'POST', `/api/workflow/cases/${complaint.id}/actions/respond`, { inputs: { response: 'We will look into it' } })).status, 403);
  });

  it('e-mails the new complaint to the chosen agency’s officers, not the owner’s', async () => {
    await app.jobs.drain();
    const dir = path.join(app.config.dataDir, 'mail');
    const mails = await Promise.all((await fs.readdir(dir)).map((f) => fs.readFile(path.join(dir, f), 'utf8')));
    const recipients = mails.filter((m) => m.includes(`Subject: New complaint ${complaint.trackingNumber}`)).map((m) => /^To: (.+)$/m.exec(m)?.[1]);
    assert.deepEqual(recipients, ['officer.fire@daftari.localhost']);
  });

  it('the answer needs its text, and closes the complaint', async () => {
    const empty = await call(fireOfficer, 'POST', `/api/workflow/cases/${complaint.id}/actions/respond`, { inputs: {} });
    assert.equal(empty.status, 400);
    assert.deepEqual((empty.body.errors as { pointer: string }[]).map((e) => e.pointer), ['/body/inputs/response']);
    const answered = await call(fireOfficer, 'POST', `/api/workflow/cases/${complaint.id}/actions/respond`, { inputs: { response: 'The switchboard is fixed.' } });
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.equal(answered.body.transition.outcome, 'closed');
    assert.ok(!(await worklistCases(fireOfficer)).includes(complaint.id), 'a closed case leaves the worklist');
  });
});

describe('deadlines', () => {
  /** The deadline of the current state has passed (as if time went by) and its timer fires now. */
  async function deadlinePasses(id: string, visit?: number): Promise<void> {
    await sql`UPDATE workflow_cases SET state_due_at = ${new Date(Date.now() - 3_600_000)} WHERE id = ${id}`.execute(app.database.db);
    const row = (await loadCase(app.database.db, id))!;
    await app.jobs.enqueue(app.database.db, DEADLINE_TASK, { caseId: id, visit: visit ?? row.visit }, { runAt: new Date() });
    await app.jobs.drain();
  }

  async function staffView(id: string): Promise<Json> {
    return (await call(permitsOfficer, 'GET', `/api/registration/applications/${id}`)).body;
  }

  it('a passed deadline marks the case overdue and escalates it, once', async () => {
    const id = await permitApplication();
    await deadlinePasses(id);
    const view = await staffView(id);
    assert.equal(view.state.overdue, true);
    assert.deepEqual((view.history as { kind: string }[]).map((h) => h.kind), ['start', 'escalate']);
    const escalated = escalations.filter((e) => e.caseId === id);
    assert.equal(escalated.length, 1);
    const agencies = (await app.app.inject({ method: 'GET', url: '/api/identity/agencies' })).json<{ id: string; code: string }[]>();
    const permits = agencies.find((a) => a.code === 'urban-permits')!.id;
    assert.deepEqual(escalated[0], { event: DEADLINE_PASSED, caseId: id, agencyId: permits, workingAgencyIds: [permits], subjectType: 'application', subjectId: id, state: 'completeness' });
    assert.ok((await worklistCases(permitsOfficer, 'overdue=true')).includes(id));
    await deadlinePasses(id);
    assert.equal(escalations.filter((e) => e.caseId === id).length, 1, 'an overdue case is not escalated twice');
  });

  it('a case that moved on is not escalated by the timer of the state it left', async () => {
    const id = await permitApplication();
    const left = (await loadCase(app.database.db, id))!.visit;
    const asked = await call(permitsOfficer, 'POST', `/api/workflow/cases/${id}/actions/request-information`, { inputs: { message: 'Which architect signed the plans?' } });
    assert.equal(asked.status, 200);
    await deadlinePasses(id, left);
    const view = await staffView(id);
    assert.equal(view.state.overdue, false);
    assert.ok(!(view.history as { kind: string }[]).some((h) => h.kind === 'escalate'));
    assert.deepEqual(escalations.filter((e) => e.caseId === id), []);
  });

  it('only the head of the agency extends a deadline; the extension clears the overdue mark and later timers respect it', async () => {
    const id = await permitApplication();
    await deadlinePasses(id);
    const overdue = await staffView(id);
    assert.equal(overdue.state.overdue, true);

    const byOfficer = await call(permitsOfficer, 'POST', `/api/workflow/cases/${id}/extend`, { days: 10, reason: 'Site visit needed' });
    assert.equal(byOfficer.status, 403);
    const extended = await call(urbanHead, 'POST', `/api/workflow/cases/${id}/extend`, { days: 10, reason: 'Site visit needed' });
    assert.equal(extended.status, 200, JSON.stringify(extended.body));
    const due = new Date(extended.body.dueAt).getTime();
    assert.ok(due >= new Date(overdue.state.dueAt).getTime() + 10 * DAY_MS, 'at least ten days after the old deadline');
    const view = await staffView(id);
    assert.equal(view.state.dueAt, extended.body.dueAt);
    assert.equal(view.state.overdue, false);

    const visit = (await loadCase(app.database.db, id))!.visit;
    await app.jobs.enqueue(app.database.db, DEADLINE_TASK, { caseId: id, visit }, { runAt: new Date() });
    await app.jobs.drain();
    assert.equal((await staffView(id)).state.overdue, false, 'the timer of the old deadline finds the new one ahead');

    await deadlinePasses(id);
    assert.equal((await staffView(id)).state.overdue, true);
    assert.equal(escalations.filter((e) => e.caseId === id).length, 2, 'the extended deadline, once passed, escalates again');
  });
});

describe('claiming tasks', () => {
  let taskId: string;

  before(async () => {
    const id = await permitApplication();
    const list = await call(permitsOfficer, 'GET', '/api/workflow/worklist?service=construction-permit&state=completeness&limit=100');
    taskId = (list.body.items as { caseId: string; taskId: string }[]).find((i) => i.caseId === id)!.taskId;
  });

  const claim = (session: Session) => app.app.inject({ method: 'POST', url: `/api/workflow/tasks/${taskId}/claim`, headers: asSession(session) });
  const release = (session: Session) => app.app.inject({ method: 'POST', url: `/api/workflow/tasks/${taskId}/release`, headers: asSession(session) });
  const mine = async (session: Session) => ((await call(session, 'GET', '/api/workflow/worklist?mine=true&limit=100')).body.items as { taskId: string }[]).map((i) => i.taskId);

  it('a task taken by one officer shows as theirs, and a colleague cannot take it', async () => {
    assert.equal((await claim(permitsOfficer)).statusCode, 204);
    assert.ok((await mine(permitsOfficer)).includes(taskId));
    assert.equal((await claim(secondPermitsOfficer)).statusCode, 409);
    assert.ok(!(await mine(secondPermitsOfficer)).includes(taskId));
  });

  it('an officer of another agency cannot take it', async () => {
    assert.equal((await claim(fireOfficer)).statusCode, 403);
  });

  it('the colleague cannot release it, the head of the agency can, and then the colleague may take it', async () => {
    assert.equal((await release(secondPermitsOfficer)).statusCode, 403);
    assert.equal((await release(urbanHead)).statusCode, 204);
    assert.ok(!(await mine(permitsOfficer)).includes(taskId));
    assert.equal((await claim(secondPermitsOfficer)).statusCode, 204);
    assert.ok((await mine(secondPermitsOfficer)).includes(taskId));
  });
});

describe('worklist pages', () => {
  it('page after page, with equal and missing due dates, returns every task exactly once, in order', async () => {
    const cases = [];
    for (let i = 0; i < 7; i++) cases.push((await complaintTo('civil-registry')).id);
    // Ties and tasks without a deadline are where a keyset cursor slips; millisecond dates, as the engine writes them.
    const tie = new Date(Date.now() + 5 * DAY_MS);
    await sql`UPDATE workflow_tasks SET due_at = ${tie} WHERE case_id = ANY(${cases.slice(0, 3)}::uuid[])`.execute(app.database.db);
    await sql`UPDATE workflow_tasks SET due_at = NULL WHERE case_id = ANY(${cases.slice(3, 5)}::uuid[])`.execute(app.database.db);

    const all = await call(registryOfficer, 'GET', '/api/workflow/worklist?service=public-complaint&limit=100');
    const everyTask = (all.body.items as { taskId: string }[]).map((i) => i.taskId);
    assert.equal(everyTask.length, 7);

    const paged: string[] = [];
    let next: string | null = null;
    do {
      const page: { status: number; body: Json } = await call(registryOfficer, 'GET', `/api/workflow/worklist?service=public-complaint&limit=2${next ? `&after=${encodeURIComponent(next)}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      paged.push(...(page.body.items as { taskId: string }[]).map((i) => i.taskId));
      next = page.body.next;
    } while (next);
    assert.deepEqual(paged, everyTask);
  });
});
