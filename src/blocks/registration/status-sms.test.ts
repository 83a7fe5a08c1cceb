/**
 * "STATUS <tracking number>" by SMS, through the SMS gateway simulator over real HTTP: the phone
 * texts the simulator, which posts the text signed to Daftari; the answer goes back through the
 * simulator to the phone. Only the applicant's linked phone learns anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, signInDemo, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { MARKET_STALL } from '../../../test/support/registration-fixtures.ts';
import { startSmsGatewaySimulator, type Simulator } from '../../simulators/index.ts';
import type { ReceivedSms } from '../../simulators/sms-gateway.ts';
import { INBOUND_SMS_PATH } from '../messaging/index.ts';
import { publishDefinition } from './index.ts';

const SECRET = 'the-shared-secret-of-the-sms-gateway';
const AMINA_PHONE = '+25377812345';
let simulator: Simulator;
let app: TestApp;
let trackingNumber: string;

async function text(from: string, body: string): Promise<ReceivedSms | undefined> {
  const before = await inbox();
  const sent = await fetch(`${simulator.url}/phone`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from, text: body, deliverTo: `${app.url}${INBOUND_SMS_PATH}` }) });
  assert.equal(sent.status, 200);
  assert.equal(((await sent.json()) as { answeredWith: number }).answeredWith, 200);
  await app.jobs.drain();
  return (await inbox()).slice(before.length).find((sms) => sms.to === from);
}

async function inbox(): Promise<ReceivedSms[]> {
  return (await fetch(`${simulator.url}/messages.json`)).json() as Promise<ReceivedSms[]>;
}

before(async () => {
  simulator = await startSmsGatewaySimulator({ secret: SECRET });
  app = await startTestApp({ listen: true, env: { SMS_GATEWAY_URL: simulator.url, SMS_GATEWAY_SECRET: SECRET } });
  await publishDefinition(app.database.db, app.jobs, { data: MARKET_STALL }, null, 'test');
  const [amina] = await signInDemo(app, 'amina');
  const applied = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(amina), payload: { serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: false }, idempotencyKey: 'status-sms-1' } });
  assert.equal(applied.statusCode, 201, applied.body);
  trackingNumber = applied.json().trackingNumber;
  await app.jobs.drain();
});
after(async () => {
  await app?.stop();
  await simulator?.close();
});

describe('STATUS by SMS', () => {
  it('answers the applicant’s linked phone with the state, in her language', async () => {
    const answer = await text(AMINA_PHONE, `STATUS ${trackingNumber}`);
    assert.ok(answer, 'an answer reached the phone');
    assert.equal(answer.text, `${trackingNumber} (Market stall permit) : Check`);
  });

  it('reads the command however it is typed', async () => {
    const answer = await text(AMINA_PHONE, `  status ${trackingNumber.toLowerCase()} `);
    assert.ok(answer?.text.startsWith(trackingNumber));
  });

  it('tells any other phone only that nothing was found', async () => {
    const answer = await text('+25377999888', `STATUS ${trackingNumber}`);
    assert.equal(answer?.text, 'No application with this number was found for this phone.');
    const unknown = await text(AMINA_PHONE, 'STATUS XX-2026-ABCDEF-1');
    assert.equal(unknown?.text, 'No application with this number was found for this phone.');
  });

  it('leaves texts that are no command unanswered', async () => {
    assert.equal(await text(AMINA_PHONE, 'hello'), undefined);
  });

  it('refuses an inbound text that the gateway did not sign', async () => {
    const forged = await fetch(`${app.url}${INBOUND_SMS_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: AMINA_PHONE, text: `STATUS ${trackingNumber}` }) });
    assert.equal(forged.status, 401);
  });
});
