/**
 * Text messages through the SMS gateway simulator over real HTTP, both ways: Daftari posts the
 * message, the simulator posts a signed delivery report back to the listening app. Reports that
 * are forged, stale, malformed, repeated or out of order change nothing they should not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { createLogger } from '../../platform/log.ts';
import { startSmsGatewaySimulator, type Simulator } from '../../simulators/index.ts';
import type { ReceivedSms } from '../../simulators/sms-gateway.ts';
import { DELIVERY_REPORTS_PATH, SEND_TASK } from './index.ts';
import { signatureHeaders } from '../../platform/http/signed-calls.ts';
import { applyDeliveryReport, markSent } from './message-status.ts';
import { eventsOf, findMessage, type MessageRow, type MessageStatus } from './store.ts';

const SECRET = 'the-shared-secret-of-the-sms-gateway';
const logLines: string[] = [];
let simulator: Simulator;
let app: TestApp;
let numbers = 0;

before(async () => {
  simulator = await startSmsGatewaySimulator({ secret: SECRET });
  // startTestApp gives a listening app its BASE_URL before it starts, so the callback URL sent to the gateway reaches it.
  app = await startTestApp({ listen: true, env: { SMS_GATEWAY_URL: simulator.url, SMS_GATEWAY_SECRET: SECRET }, log: createLogger('info', { write: (line: string) => void logLines.push(line) }) });
});
after(async () => {
  await simulator?.close();
  await app?.stop();
});

const nextNumber = () => `+2537700${String(++numbers).padStart(4, '1')}`;

function queueSms(to = nextNumber(), body = 'Votre demande BL-2026-0042 est reçue.'): Promise<string> {
  return app.messenger.queue(app.database.db, { channel: 'sms', to, locale: 'fr', body, template: 'test.sms', about: { type: 'application', id: 'sms-test' } });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting until ${what}`);
}

const message = async (id: string): Promise<MessageRow> => (await findMessage(app.database.db, id))!;
const statusOf = async (id: string) => (await message(id)).status;
const untilStatus = (id: string, status: MessageStatus) => until(`the message is ${status}`, async () => (await statusOf(id)) === status);
const eventKinds = async (id: string) => ((await eventsOf(app.database.db, [id])).get(id) ?? []).map((e) => e.kind);

async function simulatorInbox(): Promise<ReceivedSms[]> {
  return (await fetch(`${simulator.url}/messages.json`)).json() as Promise<ReceivedSms[]>;
}

/** Post a delivery report to the app over HTTP, signed as the gateway signs (or not). */
function postReport(report: Record<string, unknown> | string, sign: { secret?: string; at?: number } | null = {}): Promise<Response> {
  const body = typeof report === 'string' ? report : JSON.stringify(report);
  const headers = sign ? signatureHeaders(sign.secret ?? SECRET, body, sign.at) : {};
  return fetch(`${app.url}${DELIVERY_REPORTS_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

async function assertRefused(response: Response, status: number): Promise<void> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.ok(((await response.json()) as { detail: string }).detail.length > 0);
}

/** A message the gateway has delivered, and the gateway's id for it. */
async function deliveredMessage(): Promise<{ id: string; gatewayId: string }> {
  const id = await queueSms();
  await app.jobs.drain();
  await untilStatus(id, 'delivered');
  return { id, gatewayId: (await message(id)).provider_message_id! };
}

describe('a text message through the gateway', () => {
  it('goes queued → sent → delivered, the delivery report coming back over HTTP', async () => {
    const to = nextNumber();
    const id = await queueSms(to, 'Votre licence commerciale est accordée.');
    assert.equal(await statusOf(id), 'queued');
    await app.jobs.drain();
    const accepted = await message(id);
    assert.ok(['sent', 'delivered'].includes(accepted.status), 'the gateway accepted it');
    assert.ok(accepted.provider_message_id, 'with the id the gateway gave it');
    await untilStatus(id, 'delivered');
    assert.deepEqual(await eventKinds(id), ['queued', 'sent', 'delivered']);
    const received = (await simulatorInbox()).filter((sms) => sms.reference === id);
    assert.deepEqual(received.map((sms) => [sms.to, sms.text, sms.id]), [[to, 'Votre licence commerciale est accordée.', accepted.provider_message_id]]);
    assert.equal(received[0]!.report.answeredWith, 200);
    const audit = await sql<{ action: string; actor_name: string }>`SELECT action, actor_name FROM audit_entries WHERE subject_type = 'message' AND subject_id = ${id} ORDER BY id`.execute(app.database.db);
    assert.deepEqual(audit.rows.map((r) => `${r.action} by ${r.actor_name}`), ['messaging.queue-message by system', 'messaging.send-message by system', 'messaging.deliver-message by sms-gateway']);
  });

  it('is reported failed when the number ends in 0000, and waits on the failed-messages list', async () => {
    const id = await queueSms('+25377990000');
    await app.jobs.drain();
    await untilStatus(id, 'failed');
    const failed = await message(id);
    assert.equal(failed.failure, 'reported');
    assert.match(failed.last_error ?? '', /simulated failure/);
    assert.deepEqual(await eventKinds(id), ['queued', 'sent', 'failed']);
  });

  it('is sent once even when the send job runs again after the gateway accepted it', async () => {
    const id = await queueSms();
    await app.jobs.drain();
    await untilStatus(id, 'delivered');
    const gatewayId = (await message(id)).provider_message_id;
    // As if the job had been run again after a crash that lost its recording of the send.
    await sql`UPDATE messaging_messages SET status = 'queued' WHERE id = ${id}`.execute(app.database.db);
    await app.jobs.enqueue(app.database.db, SEND_TASK, { messageId: id }, { dedupeKey: `again:${id}` });
    await app.jobs.drain();
    assert.equal((await simulatorInbox()).filter((sms) => sms.reference === id).length, 1, 'the gateway knows the reference: one text reaches the phone');
    assert.equal((await message(id)).provider_message_id, gatewayId);
  });

  it('never writes a whole phone number to the log', () => {
    const whole = logLines.filter((line) => /\+2537700\d{4}/.test(line));
    assert.deepEqual(whole, []);
    assert.ok(logLines.some((line) => line.includes('"msg":"message sent"') && /\+253•+\d\d/.test(line)), 'sends are logged with the number masked');
  });
});

describe('delivery reports that must change nothing', () => {
  it('refuses an unsigned report, one signed with another secret, and one signed too long ago, and logs each', async () => {
    const id = await queueSms();
    const report = { reference: id, messageId: 'gateway-1', status: 'delivered' };
    await assertRefused(await postReport(report, null), 401);
    await assertRefused(await postReport(report, { secret: 'not-the-shared-secret-at-all' }), 401);
    await assertRefused(await postReport(report, { at: Date.now() - 10 * 60_000 }), 401);
    await assertRefused(await postReport(report, { at: Date.now() + 10 * 60_000 }), 401);
    assert.equal(await statusOf(id), 'queued');
    assert.deepEqual(await eventKinds(id), ['queued']);
    const refusals = logLines.filter((line) => line.includes('SMS delivery report refused')).map((line) => (JSON.parse(line) as { check: string; level: number }));
    assert.deepEqual(refusals.slice(-4).map((r) => r.check), ['missing', 'forged', 'stale', 'stale']);
    assert.ok(refusals.every((r) => r.level === 40), 'at warn level');
  });

  it('refuses a signed report that is malformed or names a message that does not exist', async () => {
    await assertRefused(await postReport('{"reference":'), 400);
    await assertRefused(await postReport({ reference: 'not-a-uuid', messageId: 'x', status: 'delivered' }), 400);
    await assertRefused(await postReport({ reference: crypto.randomUUID(), messageId: 'x', status: 'lost' }), 400);
    await assertRefused(await postReport({ reference: crypto.randomUUID(), messageId: 'x', status: 'delivered' }), 404);
  });

  it('changes nothing when a report is repeated, or a late one would move the status back', async () => {
    const { id, gatewayId } = await deliveredMessage();
    const before = await eventKinds(id);
    for (const status of ['delivered', 'sent', 'failed']) {
      const response = await postReport({ reference: id, messageId: gatewayId, status });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'delivered', changed: false });
    }
    assert.equal(await statusOf(id), 'delivered');
    assert.deepEqual(await eventKinds(id), before);
  });

  it('refuses a report whose gateway id is not the one the gateway gave the message', async () => {
    const { id } = await deliveredMessage();
    const failed = await queueSms('+25377980000');
    await app.jobs.drain();
    await untilStatus(failed, 'failed');
    await assertRefused(await postReport({ reference: failed, messageId: (await message(id)).provider_message_id!, status: 'delivered' }), 409);
    assert.equal(await statusOf(failed), 'failed');
  });

  it('keeps "delivered" when the report comes before the send job records "sent"', async () => {
    const id = await queueSms();
    const early = await applyDeliveryReport(app.database.db, { reference: id, messageId: 'gateway-early', status: 'delivered' });
    assert.deepEqual(early, { status: 'delivered', changed: true });
    await markSent(app.database.db, id, 'gateway-early');
    const after = await message(id);
    assert.equal(after.status, 'delivered');
    assert.equal(after.provider_message_id, 'gateway-early');
    assert.equal(after.attempts, 1);
    assert.deepEqual(await eventKinds(id), ['queued', 'delivered']);
  });
});
