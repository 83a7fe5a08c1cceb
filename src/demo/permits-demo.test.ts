import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../test/support/app.ts';
import { seedDemoPermits } from './permits-demo.ts';

/**
 * The demo's construction permits, seeded on a test app (the test template holds the demo seed
 * only), read back as their applicants and the public see them.
 */
type Json = Record<string, any>;

let app: TestApp;
let amina: Session;
let omar: Session;
let desk: Session;
let cashier: Session;
let firstRun: string[];

before(async () => {
  app = await startTestApp();
  [amina, omar, desk, cashier] = await signInDemo(app, 'amina', 'omar.architect', 'officer.permits', 'cashier.urban');
  firstRun = await seedDemoPermits(app.registration);
});
after(() => app?.stop());

async function get(session: Session | null, url: string): Promise<Json> {
  const response = await app.app.inject({ method: 'GET', url, headers: session ? asSession(session) : {} });
  assert.equal(response.statusCode, 200, response.body);
  return JSON.parse(response.body) as Json;
}

/** Every permit of the demo, as Amina and Omar list their applications (Omar's for Amina in both). */
async function permits(): Promise<Json[]> {
  const lists = await Promise.all([amina, omar].map((s) => get(s, '/api/registration/applications?limit=100')));
  const byId = new Map(lists.flat().filter((a: Json) => a.serviceId === 'construction-permit').map((a: Json) => [a.id as string, a]));
  return [...byId.values()];
}

const STAGES = ['completeness', 'more-information', 'payment', 'technical-review', 'objections', 'revision', 'site-inspection', 'decision', 'granted', 'refused', 'appeal', 'final-inspection', 'completed', 'withdrawn'];

describe('the demo construction permits', () => {
  it('puts at least two permits in every state of the workflow', async () => {
    assert.deepEqual(firstRun, ['42 construction permits in every state of their workflow']);
    const all = await permits();
    assert.equal(all.length, 42);
    const inState = (state: string) => all.filter((a) => a.state?.id === state);
    for (const stage of STAGES) assert.ok(inState(stage).length >= 2, `${inState(stage).length} in ${stage}`);
    // Opinions are internal steps: the permit desk sees them in the history, the applicant does not.
    const reviewing = await Promise.all(inState('technical-review').map((a) => get(desk, `/api/registration/applications/${a.id}`)));
    assert.ok(reviewing.some((a) => a.history.some((e: Json) => e.kind === 'opinion')), 'some opinions given');
    assert.ok(reviewing.some((a) => !a.history.some((e: Json) => e.kind === 'opinion')), 'and some reviews not begun');
  });

  it('asks the fee of every permit found complete: three owe it, with the clock stopped, and the others paid it in cash at the ministry’s counter', async () => {
    const all = await Promise.all((await permits()).map((a) => get(desk, `/api/registration/applications/${a.id}`)));
    const waiting = all.filter((a) => a.state.id === 'payment');
    assert.equal(waiting.length, 3);
    for (const permit of waiting) {
      assert.deepEqual(permit.invoices.map((i: Json) => [i.state, i.amount]), [['open', permit.totalFee]], `${permit.trackingNumber} owes its fee`);
      assert.equal(permit.clockPaused, true);
    }
    const reviewed = all.filter((a) => a.history.some((e: Json) => e.to === 'technical-review'));
    assert.ok(reviewed.length >= 27, `${reviewed.length} permits went on to the technical review`);
    for (const permit of reviewed) {
      assert.deepEqual(permit.invoices.map((i: Json) => [i.state, i.amount]), [['paid', permit.totalFee]], `${permit.trackingNumber} paid its fee once`);
      const invoice = await get(cashier, `/api/payments/invoices/${permit.invoices[0].id}`);
      assert.deepEqual(invoice.payments.map((p: Json) => [p.method, p.amount]), [['cash', permit.totalFee]]);
    }
    const neverComplete = all.filter((a) => a.state.id !== 'payment' && !reviewed.includes(a));
    for (const permit of neverComplete) assert.deepEqual(permit.invoices, [], `${permit.trackingNumber}, never found complete, owes nothing`);
  });

  it('books the site inspection of each permit waiting for it', async () => {
    const waiting = (await permits()).filter((a) => a.state.id === 'site-inspection');
    for (const permit of waiting) {
      const bookings = (await get(desk, `/api/registration/applications/${permit.id}`)).bookings as Json[];
      assert.ok(bookings.some((b) => b.status === 'booked'), `a visit booked for ${permit.trackingNumber}`);
    }
  });

  it('adds nothing when seeded again', async () => {
    assert.deepEqual(await seedDemoPermits(app.registration), []);
    assert.equal((await permits()).length, 42);
  });

  it('lists the granted and completed permits in the public register, and their occupancy certificates verify', async () => {
    const all = await permits();
    const register = (await get(null, '/api/registration/registers/construction-permit?limit=200')).items as Json[];
    const listed = new Set(register.map((i) => i.trackingNumber));
    const granted = all.filter((a) => ['granted', 'final-inspection', 'completed'].includes(a.state.id));
    assert.ok(granted.length >= 6);
    for (const permit of granted) assert.ok(listed.has(permit.trackingNumber), `${permit.trackingNumber} in the register`);
    assert.equal(register.length, granted.length, 'nothing else');
    for (const permit of all.filter((a) => a.state.id === 'completed')) {
      const certificate = (permit.outputs as Json[]).find((o) => o.id === 'occupancy-certificate')!;
      const status = await get(null, `/api/documents/${certificate.documentId}/status`);
      assert.deepEqual([status.status, status.genuine, status.kind], ['current', true, 'occupancy-certificate']);
    }
  });
});
