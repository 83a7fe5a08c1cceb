/**
 * "STATUS <tracking number>" by SMS, through the SMS gateway simulator over real HTTP: the phone
 * texts the simulator, which posts the text signed to Daftari; the answer goes back through the
 * simulator to the phone. Only the applicant's linked phone learns anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { asSession, DEMO_PASSWORD, signIn, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { MARKET_STALL } from '../../../test/support/registration-fixtures.ts';
import { sql } from 'kysely';
import { formatMoney } from '../../platform/i18n/index.ts';
import { startMobileMoneySimulator, startSmsGatewaySimulator, type Simulator } from '../../simulators/index.ts';
import type { ReceivedSms } from '../../simulators/sms-gateway.ts';
import { createUser } from '../identity/index.ts';
import { INBOUND_SMS_PATH, splitSms } from '../messaging/index.ts';
import { publishDefinition } from './index.ts';

const SECRET = 'the-shared-secret-of-the-sms-gateway';
const AMINA_PHONE = '+25377812345';
/** The same permit from a ministry that writes its service in Swahili and Tajik too. */
const KIOSK = {
  ...MARKET_STALL,
  id: 'kiosk',
  title: { ...MARKET_STALL.title, sw: 'Kibali cha kibanda', tg: 'Иҷозати дӯконча' },
  workflow: {
    ...MARKET_STALL.workflow,
    states: MARKET_STALL.workflow.states.map((state) =>
      state.id === 'check' ? { ...state, label: { ...state.label, sw: 'Ukaguzi', tg: 'Санҷиш' } }
      : state.id === 'fire-review' ? { ...state, label: { ...state.label, sw: 'Ukaguzi wa usalama wa moto', tg: 'Санҷиши бехатарии сӯхтор' } }
      : state),
  },
};
/** The kiosk permit, with a fee of 4,000 DJF to pay once the officer has checked the application. */
const PAID_KIOSK = {
  ...KIOSK,
  id: 'paid-kiosk',
  fees: { currency: 'DJF', decimals: 0, items: [{ id: 'kiosk', label: { en: 'Kiosk fee', fr: 'Redevance de kiosque', ar: 'رسم الكشك', sw: 'Ada ya kibanda', ru: 'Сбор за киоск', tg: 'Пардохт барои дӯконча' }, amount: '4000' }] },
  workflow: {
    initial: 'check',
    states: [
      { id: 'check', label: { en: 'Check', fr: 'Vérification', ar: 'التحقق', sw: 'Ukaguzi', ru: 'Проверка', tg: 'Санҷиш' }, actions: [{ id: 'accept', label: { en: 'Accept', fr: 'Accepter', ar: 'قبول', sw: 'Kubali', ru: 'Принять', tg: 'Қабул кардан' }, to: 'payment' }] },
      { id: 'payment', label: { en: 'Waiting for the fee', fr: 'En attente de la redevance', ar: 'في انتظار الرسم', sw: 'Inasubiri ada', ru: 'Ожидает оплаты сбора', tg: 'Интизори пардохт' }, payment: { whenPaid: 'granted' } },
      { id: 'granted', label: { en: 'Granted', fr: 'Accordé', ar: 'ممنوح', sw: 'Kimetolewa', ru: 'Выдано', tg: 'Дода шуд' }, outcome: 'granted' },
    ],
  },
};
const MOBILE_MONEY_SECRET = 'the-shared-secret-of-the-mobile-money-provider';
let mobileMoney: Simulator;
let simulator: Simulator;
let app: TestApp;
let trackingNumber: string;
let officer: Session;

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
  mobileMoney = await startMobileMoneySimulator({ secret: MOBILE_MONEY_SECRET });
  app = await startTestApp({ listen: true, env: { SMS_GATEWAY_URL: simulator.url, SMS_GATEWAY_SECRET: SECRET, MOBILE_MONEY_URL: mobileMoney.url, MOBILE_MONEY_SECRET } });
  await publishDefinition(app.database.db, app.jobs, { data: MARKET_STALL }, null, 'test');
  await publishDefinition(app.database.db, app.jobs, { data: KIOSK }, null, 'test');
  await publishDefinition(app.database.db, app.jobs, { data: PAID_KIOSK }, null, 'test');
  const [amina] = await signInDemo(app, 'amina');
  const applied = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(amina), payload: { serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: false }, idempotencyKey: 'status-sms-1' } });
  assert.equal(applied.statusCode, 201, applied.body);
  trackingNumber = applied.json().trackingNumber;
  [officer] = await signInDemo(app, 'officer.trade');
  await app.jobs.drain();
});

/** Someone whose linked phone and language are those given applies for a stall permit. */
async function applicantIn(locale: string, phone: string, serviceId = 'kiosk'): Promise<{ session: Session; id: string; trackingNumber: string }> {
  const username = `sms-${locale}-${phone.slice(-4)}`;
  await createUser(app.database.db, { username, displayName: username, email: `${username}@example.org`, phone, locale, password: DEMO_PASSWORD, party: { kind: 'person' } });
  const session = await signIn(app, username, DEMO_PASSWORD);
  const applied = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(session), payload: { serviceId, data: { stallName: 'Meza', market: 'central', cooking: false }, idempotencyKey: randomUUID() } });
  assert.equal(applied.statusCode, 201, applied.body);
  await app.jobs.drain();
  return { session, id: applied.json().id, trackingNumber: applied.json().trackingNumber };
}
after(async () => {
  await app?.stop();
  await simulator?.close();
  await mobileMoney?.close();
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

  it('answers in Swahili and in Tajik, the Cyrillic text going as UCS-2 in one message', async () => {
    const neema = await applicantIn('sw', '+255712340001');
    const sw = await text('+255712340001', `STATUS ${neema.trackingNumber}`);
    assert.equal(sw?.text, `${neema.trackingNumber} (Kibali cha kibanda): Ukaguzi`);
    assert.equal(splitSms(sw.text).encoding, 'gsm7', 'Swahili fits the GSM alphabet');
    assert.equal((await text('+255712340001', 'STATUS XX-2026-ABCDEF-1'))?.text, 'Hakuna ombi lenye nambari hii lililopatikana kwa simu hii.');
    const firuza = await applicantIn('tg', '+992935550001');
    const notFound = await text('+992935550001', 'STATUS XX-2026-ABCDEF-1');
    assert.equal(notFound?.text, 'Барои ин телефон аризае бо ин рақам ёфт нашуд.', 'in her own language, saying nothing of others');
    assert.deepEqual({ encoding: splitSms(notFound.text).encoding, parts: splitSms(notFound.text).parts.length }, { encoding: 'ucs2', parts: 1 });
    assert.equal((await text('+992935550001', `STATUS ${firuza.trackingNumber}`))?.text, `${firuza.trackingNumber} (Иҷозати дӯконча): Санҷиш`);
  });

  it('tells any other phone only that nothing was found', async () => {
    const answer = await text('+25377999888', `STATUS ${trackingNumber}`);
    assert.equal(answer?.text, 'No application with this number was found for this phone.');
    const unknown = await text(AMINA_PHONE, 'STATUS XX-2026-ABCDEF-1');
    assert.equal(unknown?.text, "Aucune demande portant ce numéro n'a été trouvée pour ce téléphone.");
  });

  it('leaves texts that are no command unanswered', async () => {
    assert.equal(await text(AMINA_PHONE, 'hello'), undefined);
  });

  it('refuses an inbound text that the gateway did not sign', async () => {
    const forged = await fetch(`${app.url}${INBOUND_SMS_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: AMINA_PHONE, text: `STATUS ${trackingNumber}` }) });
    assert.equal(forged.status, 401);
  });
});

describe('status changes by SMS', () => {
  it('texts the applicant’s linked phone when the case moves, in her language, within the SMS limits', async () => {
    const firuza = await applicantIn('tg', '+992935550002');
    const accepted = await app.app.inject({ method: 'POST', url: `/api/workflow/cases/${firuza.id}/actions/accept`, headers: asSession(officer), payload: { expectedState: 'check' } });
    assert.equal(accepted.statusCode, 200, accepted.body);
    await app.jobs.drain();
    const inbox = (await (await fetch(`${simulator.url}/messages.json`)).json()) as ReceivedSms[];
    const sent = inbox.filter((sms) => sms.to === '+992935550002');
    assert.equal(sent.length, 1, JSON.stringify(sent));
    assert.equal(sent[0]!.text, `${firuza.trackingNumber} (Иҷозати дӯконча) акнун: Санҷиши бехатарии сӯхтор`);
    const { encoding, parts } = splitSms(sent[0]!.text);
    assert.equal(encoding, 'ucs2');
    assert.ok(parts.length <= 2, `${parts.length} parts`);
  });

  it('sends nothing to a phone when the application was only submitted', async () => {
    await applicantIn('sw', '+255712340003');
    const inbox = (await (await fetch(`${simulator.url}/messages.json`)).json()) as ReceivedSms[];
    assert.deepEqual(inbox.filter((sms) => sms.to === '+255712340003'), []);
  });
});

describe('PAY by SMS', () => {
  async function pendingRequests(applicationId: string): Promise<string[]> {
    const { rows } = await sql<{ provider_payment_id: string }>`
      SELECT r.provider_payment_id FROM payments_mobile_requests r JOIN payments_invoices i ON i.id = r.invoice_id
      WHERE i.subject_id = ${applicationId} AND r.state = 'pending'`.execute(app.database.db);
    return rows.map((r) => r.provider_payment_id);
  }

  it('asks the applicant’s phone to confirm the fee by mobile money, in Swahili; the provider’s callback settles the invoice', async () => {
    const baraka = await applicantIn('sw', '+255712340004', 'paid-kiosk');
    const accepted = await app.app.inject({ method: 'POST', url: `/api/workflow/cases/${baraka.id}/actions/accept`, headers: asSession(officer), payload: { expectedState: 'check' } });
    assert.equal(accepted.statusCode, 200, accepted.body);
    await app.jobs.drain();
    const answer = await text('+255712340004', `pay ${baraka.trackingNumber}`);
    assert.equal(answer?.text, `Utaombwa kwenye simu hii kuthibitisha malipo ya ${formatMoney('sw', '4000', 'DJF', 0)} kwa PIN yako ya pesa ya simu.`);
    const [providerId] = await pendingRequests(baraka.id);
    assert.ok(providerId);
    const confirmed = await fetch(`${mobileMoney.url}/payments/${providerId}/confirm`, { method: 'POST', body: JSON.stringify({ decision: 'confirm' }) });
    assert.equal(confirmed.status, 200);
    await app.jobs.drain();
    const application = (await app.app.inject({ method: 'GET', url: `/api/registration/applications/${baraka.id}`, headers: asSession(baraka.session) })).json();
    assert.equal(application.invoices[0].state, 'paid');
    assert.equal((await text('+255712340004', `PAY ${baraka.trackingNumber}`))?.text, 'Hakuna kilichobaki kulipwa kwa ombi hili.');
  });

  it('starts no payment from any other phone, which learns nothing', async () => {
    const owner = await applicantIn('sw', '+255712340005', 'paid-kiosk');
    await app.app.inject({ method: 'POST', url: `/api/workflow/cases/${owner.id}/actions/accept`, headers: asSession(officer), payload: { expectedState: 'check' } });
    await app.jobs.drain();
    assert.equal((await text('+25377999888', `PAY ${owner.trackingNumber}`))?.text, 'No application with this number was found for this phone.');
    assert.deepEqual(await pendingRequests(owner.id), []);
  });
});
