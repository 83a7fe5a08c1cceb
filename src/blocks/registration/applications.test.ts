import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, registerCitizen, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { payFeesAtCounter, PDF } from '../../../test/support/registration-fixtures.ts';

let app: TestApp;
let amina: Session;
let omar: Session;
let officer: Session;
let head: Session;
let fireOfficer: Session;
let stranger: Session;

before(async () => {
  app = await startTestApp();
  [amina, omar, officer, head, fireOfficer] = await signInDemo(app, 'amina', 'omar.architect', 'officer.trade', 'head.trade', 'officer.fire');
  stranger = await registerCitizen(app, 'hawa', 'Hawa Daher');
});
after(() => app.stop());

type Json = Record<string, any>;

async function call(session: Session | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const response = await app.app.inject({ method, url, headers: session ? asSession(session) : {}, ...(payload === undefined ? {} : { payload: payload as Json }) });
  return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Json) : {} };
}

function multipart(session: Session, url: string, parts: { name: string; fileName?: string; type?: string; content: Buffer | string }[]) {
  const boundary = '----daftari-test-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.fileName ? `form-data; name="${part.name}"; filename="${part.fileName}"` : `form-data; name="${part.name}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ''}\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return app.app.inject({ method: 'POST', url, headers: { ...asSession(session), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(chunks) });
}

async function draftWithAnswers(session: Session, business: Json = { tradeName: 'Café du Port', category: 'restaurant', employees: 4, seats: 20 }) {
  const draft = await call(session, 'POST', '/api/registration/drafts', { serviceId: 'business-licence' });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  const id = draft.body.id as string;
  assert.equal((await call(session, 'PUT', `/api/registration/drafts/${id}/steps/business`, { answers: business })).status, 200);
  const premises = await call(session, 'PUT', `/api/registration/drafts/${id}/steps/premises`, { answers: { address: 'Rue de Rome 12, Djibouti', areaM2: '250.5' } });
  assert.equal(premises.status, 200, JSON.stringify(premises.body));
  return id;
}

describe('applying for a business licence', () => {
  let id: string;

  it('saves answers step by step and refuses wrong ones with the field named', async () => {
    id = await draftWithAnswers(amina);
    const wrong = await call(amina, 'PUT', `/api/registration/drafts/${id}/steps/business`, { answers: { tradeName: '', category: 'casino', employees: -1 } });
    assert.equal(wrong.status, 400);
    const pointers = (wrong.body.errors as { pointer: string }[]).map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/body/data/category', '/body/data/employees', '/body/data/tradeName']);
  });

  it('checks uploads by their content, not their name', async () => {
    const fake = await multipart(amina, `/api/registration/drafts/${id}/documents`, [{ name: 'lease', fileName: 'lease.pdf', type: 'application/pdf', content: 'this is not a pdf at all' }]);
    assert.equal(fake.statusCode, 400);
    assert.match(fake.body, /accepted: PDF, JPEG, PNG/);
    const real = await multipart(amina, `/api/registration/drafts/${id}/documents`, [{ name: 'lease', fileName: 'bail.pdf', type: 'application/octet-stream', content: PDF }]);
    assert.equal(real.statusCode, 201, real.body);
  });

  it('will not submit while a required document is missing', async () => {
    const early = await call(amina, 'POST', `/api/registration/drafts/${id}/submit`);
    assert.equal(early.status, 400);
    assert.deepEqual((early.body.errors as { pointer: string }[]).map((e) => e.pointer), ['/documents/hygiene']);
  });

  it('submits once, however often the applicant presses submit', async () => {
    assert.equal((await multipart(amina, `/api/registration/drafts/${id}/documents`, [{ name: 'hygiene', fileName: 'hygiene.pdf', content: PDF }])).statusCode, 201);
    const [first, second] = await Promise.all([call(amina, 'POST', `/api/registration/drafts/${id}/submit`), call(amina, 'POST', `/api/registration/drafts/${id}/submit`)]);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(second.status, 200);
    assert.equal(first.body.trackingNumber, second.body.trackingNumber);
    assert.match(first.body.trackingNumber, /^BL-\d{4}-[A-Z0-9]{6}-[A-Z0-9]$/);
    assert.equal(first.body.totalFee, '30000', 'restaurant 25,000 + 5,000 for more than 200 m²');
    assert.equal(first.body.state.id, 'completeness');
  });

  it('is tracked publicly by its number, and a mistyped number is caught by its check character', async () => {
    const mine = await call(amina, 'GET', `/api/registration/applications/${id}`);
    const number = mine.body.trackingNumber as string;
    const tracked = await call(null, 'GET', `/api/registration/track/${number.toLowerCase()}`);
    assert.equal(tracked.status, 200);
    assert.equal(tracked.body.state.en, 'Completeness check');
    const typo = number.slice(0, -3) + (number.at(-3) === 'A' ? 'B' : 'A') + number.slice(-2);
    assert.equal((await call(null, 'GET', `/api/registration/track/${typo}`)).status, 400);
  });

  it('other citizens and other agencies cannot see it; the trade officer can', async () => {
    assert.equal((await call(stranger, 'GET', `/api/registration/applications/${id}`)).status, 404);
    assert.equal((await call(omar, 'GET', `/api/registration/applications/${id}`)).status, 200, 'omar holds a mandate from amina for every service');
    assert.equal((await call(fireOfficer, 'GET', `/api/registration/applications/${id}`)).status, 404);
    const file = await call(officer, 'GET', `/api/registration/applications/${id}`);
    assert.equal(file.status, 200);
    assert.deepEqual((file.body.actions as { id: string }[]).map((a) => a.id), ['accept', 'request-information']);
  });

  it('appears on the trade officer’s worklist, not on the fire officer’s', async () => {
    const list = await call(officer, 'GET', '/api/workflow/worklist?service=business-licence');
    assert.ok((list.body.items as { caseId: string }[]).some((i) => i.caseId === id));
    const fire = await call(fireOfficer, 'GET', '/api/workflow/worklist');
    assert.ok(!(fire.body.items as { caseId: string }[]).some((i) => i.caseId === id));
  });

  it('pauses the legal clock while the applicant is asked for more, and resumes when they answer', async () => {
    const asked = await call(officer, 'POST', `/api/workflow/cases/${id}/actions/request-information`, { inputs: { message: 'Please send the fire inspection report' } });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    const waiting = await call(amina, 'GET', `/api/registration/applications/${id}`);
    assert.equal(waiting.body.clockPaused, true);
    assert.deepEqual((waiting.body.applicantActions as { id: string }[]).map((a) => a.id), ['answer']);
    const answered = await multipart(amina, `/api/registration/applications/${id}/answers`, [
      { name: 'actionId', content: 'answer' },
      { name: 'answer', content: 'Here it is' },
      { name: 'lease', fileName: 'lease-signed.pdf', content: PDF },
    ]);
    assert.equal(answered.statusCode, 200, answered.body);
    const back = await call(amina, 'GET', `/api/registration/applications/${id}`);
    assert.equal(back.body.state.id, 'completeness');
    assert.equal(back.body.clockPaused, false);
  });

  it('refuses an action from the wrong role, a wrong state, or a stale page', async () => {
    assert.equal((await call(head, 'POST', `/api/workflow/cases/${id}/actions/approve`, {})).status, 409, 'approve is not possible in completeness');
    assert.equal((await call(officer, 'POST', `/api/workflow/cases/${id}/actions/accept`, { expectedState: 'more-information' })).status, 409);
    assert.equal((await call(fireOfficer, 'POST', `/api/workflow/cases/${id}/actions/accept`, {})).status, 404);
  });

  it('the head hands the task to an officer of the agency, never to someone outside it', async () => {
    const task = ((await call(officer, 'GET', '/api/workflow/worklist?service=business-licence&limit=100')).body.items as { caseId: string; taskId: string }[]).find((i) => i.caseId === id)!.taskId;
    const ids = Object.fromEntries(((await call(head, 'GET', '/api/identity/users')).body as unknown as { id: string; username: string }[]).map((u) => [u.username, u.id]));
    assert.equal((await call(officer, 'POST', `/api/workflow/tasks/${task}/assign`, { userId: ids['officer.trade'] })).status, 403, 'officers do not assign work');
    const outsider = await call(head, 'POST', `/api/workflow/tasks/${task}/assign`, { userId: (await call(fireOfficer, 'GET', '/api/identity/me')).body.id });
    assert.equal(outsider.status, 400);
    assert.equal(outsider.body.errors[0].pointer, '/body/userId');
    assert.equal((await call(head, 'POST', `/api/workflow/tasks/${task}/assign`, { userId: ids['officer.trade'] })).status, 204);
    const mine = (await call(officer, 'GET', '/api/workflow/worklist?mine=true')).body.items as { caseId: string }[];
    assert.ok(mine.some((i) => i.caseId === id), 'the task is on the officer’s own list');
    assert.equal((await call(head, 'POST', `/api/workflow/tasks/${task}/assign`, { userId: null })).status, 204);
    assert.ok(!((await call(officer, 'GET', '/api/workflow/worklist?mine=true')).body.items as { caseId: string }[]).some((i) => i.caseId === id));
  });

  it('two officers accepting at once: one succeeds, the other is told the case moved on', async () => {
    const results = await Promise.all([
      call(officer, 'POST', `/api/workflow/cases/${id}/actions/accept`, { expectedState: 'completeness' }),
      call(officer, 'POST', `/api/workflow/cases/${id}/actions/accept`, { expectedState: 'completeness' }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
  });

  it('waits for the fee once complete, and moves on to the decision when the cashier takes it', async () => {
    const waiting = (await call(amina, 'GET', `/api/registration/applications/${id}`)).body;
    assert.equal(waiting.state.id, 'payment');
    assert.equal(waiting.invoices[0].state, 'open');
    await payFeesAtCounter(app, id);
    assert.equal((await call(amina, 'GET', `/api/registration/applications/${id}`)).body.state.id, 'decision');
  });

  it('needs a reason to refuse, and issues the licence when granted', async () => {
    const noReason = await call(head, 'POST', `/api/workflow/cases/${id}/actions/refuse`, { inputs: {} });
    assert.equal(noReason.status, 400);
    assert.equal(noReason.body.errors[0].pointer, '/body/inputs/reason');
    assert.equal((await call(officer, 'POST', `/api/workflow/cases/${id}/actions/approve`, {})).status, 403, 'only the head decides');
    const granted = await call(head, 'POST', `/api/workflow/cases/${id}/actions/approve`, {});
    assert.equal(granted.status, 200);
    assert.equal(granted.body.transition.outcome, 'granted');
    const mine = await call(amina, 'GET', `/api/registration/applications/${id}`);
    assert.equal(mine.body.outcome, 'granted');
    assert.deepEqual((mine.body.outputs as { id: string }[]).map((o) => o.id), ['licence']);
    assert.deepEqual((mine.body.history as { kind: string }[]).map((h) => h.kind), ['start', 'action', 'applicant-action', 'action', 'payment-received', 'action']);
  });

  it('told the applicant by e-mail at each step', async () => {
    await app.jobs.drain();
    const stats = await app.jobs.stats();
    assert.equal(stats.dead, 0);
  });
});

describe('applying in one call', () => {
  it('a retried request with the same idempotency key creates one application', async () => {
    const body = { serviceId: 'business-licence', data: { tradeName: 'Kiosk', category: 'retail', employees: 1, address: 'Place Ménélik', areaM2: 12 }, idempotencyKey: 'kiosk-2026-0001' };
    const first = await call(amina, 'POST', '/api/registration/applications', body);
    // The licence needs documents, so it cannot be submitted in one call: the refusal names them, and nothing is stored.
    assert.equal(first.status, 400);
    assert.match(JSON.stringify(first.body.errors), /\/documents\/lease/);
    const again = await call(amina, 'POST', '/api/registration/applications', body);
    assert.equal(again.status, 400);
  });
});

describe('acting for someone else', () => {
  it('an architect applies for the owner under the recorded mandate; the owner sees it too', async () => {
    const me = await call(amina, 'GET', '/api/identity/me');
    const draft = await call(omar, 'POST', '/api/registration/drafts', { serviceId: 'business-licence', onBehalfOf: me.body.partyId });
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    assert.equal((await call(amina, 'GET', `/api/registration/applications/${draft.body.id}`)).status, 200);
    const stranger = await call(officer, 'POST', '/api/registration/drafts', { serviceId: 'business-licence' });
    assert.equal(stranger.status, 403, 'staff accounts are not applicants');
  });
});
