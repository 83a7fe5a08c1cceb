/**
 * The USSD channel over real HTTP, as a USSD gateway calls it: a signed form POST per screen with
 * the session's inputs so far, answered `CON …` (more to come) or `END …`. Paying goes through the
 * mobile-money simulator, which calls Daftari back over HTTP as a provider would.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { MARKET_STALL } from '../../../test/support/registration-fixtures.ts';
import { signatureHeaders } from '../../platform/http/signed-calls.ts';
import { formatMoney } from '../../platform/i18n/index.ts';
import { startMobileMoneySimulator, type Simulator } from '../../simulators/index.ts';
import { runUssdPhone } from '../../simulators/ussd-phone.ts';
import { createUser } from '../identity/index.ts';
import { publishDefinition } from '../registration/index.ts';
import { nextScreen, SCREEN_MAX, USSD_PATH } from './index.ts';

const SECRET = 'the-shared-secret-of-the-ussd-gateway';
const MOBILE_MONEY_SECRET = 'the-shared-secret-of-the-mobile-money-provider';
const AMINA_PHONE = '+25377812345';
const NEEMA_PHONE = '+255712345678';
const FIRUZA_PHONE = '+992935551234';
const STRANGER_PHONE = '+255712000111';

/** Labels in Swahili and Tajik, which the people of these tests read; the other shipped languages (which a definition must fill) in English. */
const label = (en: string, sw: string, tg: string) => ({ en, fr: en, ar: en, ru: en, sw, tg });

/** A stall permit whose case waits for a fee of 4,000 DJF once the officer has checked it. */
const PAID_STALL = {
  ...MARKET_STALL,
  id: 'paid-stall',
  title: label('Market stall permit', 'Kibali cha meza sokoni', 'Иҷозати растаи бозор'),
  fees: { currency: 'DJF', decimals: 0, tables: { marketFee: { central: 4000, harbour: 0 } }, items: [{ id: 'stall', label: label('Stall fee', 'Ada ya meza', 'Боҷи раста'), amount: 'lookup(marketFee, market)' }] },
  workflow: {
    initial: 'check',
    states: [
      { id: 'check', label: label('Check', 'Ukaguzi', 'Санҷиш'), actions: [{ id: 'accept', label: label('Accept', 'Kubali', 'Қабул'), to: 'payment' }] },
      { id: 'payment', label: label('Waiting for the fee', 'Inasubiri ada', 'Интизори боҷ'), pausesClock: true, payment: { whenPaid: 'decision' } },
      { id: 'decision', label: label('Decision', 'Uamuzi', 'Қарор'), assignee: { role: 'agency-head' }, actions: [{ id: 'approve', label: label('Grant', 'Toa', 'Додан'), to: 'granted' }] },
      { id: 'granted', label: label('Granted', 'Kimetolewa', 'Дода шуд'), outcome: 'granted' },
    ],
  },
};

let app: TestApp;
let simulator: Simulator;
let officer: Session;
let trackingNumber: string;
let sessions = 0;

async function dial(phone: string, text: string, sign: string | null = SECRET): Promise<{ status: number; body: string; type: string | null }> {
  const body = new URLSearchParams({ sessionId: `ATUid_${++sessions}`, serviceCode: '*384*1#', phoneNumber: phone, text }).toString();
  const response = await fetch(`${app.url}${USSD_PATH}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sign ? signatureHeaders(sign, body) : {}) }, body });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
}

async function call(session: Session, method: 'GET' | 'POST', url: string, payload?: object) {
  const response = await app.app.inject({ method, url, headers: asSession(session), ...(payload ? { payload } : {}) });
  assert.ok(response.statusCode < 300, response.body);
  return response.json();
}

/** A person with their phone linked and their language set applies; the officer checks it, so the fee is due. */
async function caseWaitingForFee(username: string, phone: string, locale: string): Promise<{ session: Session; trackingNumber: string; id: string }> {
  await createUser(app.database.db, { username, displayName: username, email: `${username}@example.org`, phone, locale, password: DEMO_PASSWORD, party: { kind: 'person' } });
  const session = await signIn(app, username, DEMO_PASSWORD);
  const applied = await call(session, 'POST', '/api/registration/applications', { serviceId: 'paid-stall', data: { stallName: 'Meza', market: 'central', cooking: false }, idempotencyKey: randomUUID() });
  await call(officer, 'POST', `/api/workflow/cases/${applied.id}/actions/accept`, { expectedState: 'check' });
  await app.jobs.drain();
  return { session, trackingNumber: applied.trackingNumber, id: applied.id };
}

/** The payer says yes on their phone: the simulator calls Daftari back over HTTP. */
async function confirmOnPhone(applicationId: string): Promise<void> {
  const { rows } = await sql<{ provider_payment_id: string }>`
    SELECT r.provider_payment_id FROM payments_mobile_requests r JOIN payments_invoices i ON i.id = r.invoice_id
    WHERE i.subject_id = ${applicationId} AND r.state = 'pending'`.execute(app.database.db);
  assert.equal(rows.length, 1, 'one mobile-money request waits for the payer');
  const confirmed = await fetch(`${simulator.url}/payments/${rows[0]!.provider_payment_id}/confirm`, { method: 'POST', body: JSON.stringify({ decision: 'confirm' }) });
  assert.equal(confirmed.status, 200, await confirmed.text());
  await app.jobs.drain();
}

async function mobileRequestsFor(applicationId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM payments_mobile_requests r JOIN payments_invoices i ON i.id = r.invoice_id WHERE i.subject_id = ${applicationId}`.execute(app.database.db);
  return rows[0]!.n;
}

before(async () => {
  simulator = await startMobileMoneySimulator({ secret: MOBILE_MONEY_SECRET });
  app = await startTestApp({ listen: true, env: { USSD_GATEWAY_SECRET: SECRET, MOBILE_MONEY_URL: simulator.url, MOBILE_MONEY_SECRET } });
  await publishDefinition(app.database.db, app.jobs, { data: MARKET_STALL }, null, 'test');
  await publishDefinition(app.database.db, app.jobs, { data: PAID_STALL }, null, 'test');
  const [amina, officerSession] = await signInDemo(app, 'amina', 'officer.trade');
  officer = officerSession;
  const applied = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(amina), payload: { serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: false }, idempotencyKey: 'ussd-key-1' } });
  assert.equal(applied.statusCode, 201, applied.body);
  trackingNumber = applied.json().trackingNumber;
});
after(async () => {
  await app?.stop();
  await simulator?.close();
});

describe('the USSD menu', () => {
  it('greets a linked phone in its person’s language, and shows her application’s state and what comes next', async () => {
    const first = await dial(AMINA_PHONE, '');
    assert.equal(first.status, 200);
    assert.match(first.type ?? '', /^text\/plain/);
    assert.equal(first.body, 'CON Daftari\n1 Suivre une demande');
    assert.equal((await dial(AMINA_PHONE, '1')).body, 'CON Entrez le numéro de suivi');
    assert.equal((await dial(AMINA_PHONE, `1*${trackingNumber}`)).body, `CON ${trackingNumber} (Market stall permit) : Check\n2 Connaître la prochaine étape`, 'nothing is owed, so nothing to pay');
    assert.equal((await dial(AMINA_PHONE, `1*${trackingNumber}*2`)).body, "END L'administration traite votre demande (Check). Vous recevrez un SMS quand elle avancera.");
  });

  it('asks an unknown phone for its language first, and tells it nothing about others’ applications', async () => {
    const first = await dial(STRANGER_PHONE, '');
    assert.equal(first.body, 'CON 1 English\n2 Français\n3 العربية\n4 Kiswahili\n5 Русский\n6 Тоҷикӣ');
    assert.equal((await dial(STRANGER_PHONE, '2')).body, 'CON Daftari\n1 Suivre une demande');
    assert.equal((await dial(STRANGER_PHONE, `1*1*${trackingNumber}`)).body, 'END No application with this number was found for this phone.');
  });

  it('ends the session on a choice not on the menu', async () => {
    assert.match((await dial(AMINA_PHONE, '9')).body, /^END /);
    assert.match((await dial(STRANGER_PHONE, '7')).body, /^END /);
    assert.match((await dial(AMINA_PHONE, `1*${trackingNumber}*1`)).body, /^END Ce choix/, 'no payment is offered when nothing is owed');
  });

  it('keeps every screen within what a basic phone shows', async () => {
    for (const text of ['', '1', `1*${trackingNumber}`, `1*${trackingNumber}*2`]) assert.ok((await dial(AMINA_PHONE, text)).body.length <= SCREEN_MAX);
  });

  it('refuses a request the gateway did not sign, or signed with another secret', async () => {
    assert.equal((await dial(AMINA_PHONE, '', null)).status, 401);
    assert.equal((await dial(AMINA_PHONE, '', 'another-secret-of-16-chars')).status, 401);
  });
});

describe('seeing what is owed and paying it by mobile money', () => {
  it('in Swahili: the fee, the next step, the payment, and the case moving on once the provider calls back', async () => {
    const neema = await caseWaitingForFee('neema', NEEMA_PHONE, 'sw');
    const owed = formatMoney('sw', '4000', 'DJF', 0);
    assert.equal((await dial(NEEMA_PHONE, '')).body, 'CON Daftari\n1 Angalia ombi');
    const status = await dial(NEEMA_PHONE, `1*${neema.trackingNumber}`);
    assert.equal(status.body, `CON ${neema.trackingNumber} (Kibali cha meza sokoni): Inasubiri ada\nDeni: ${owed}\n1 Lipa kwa pesa ya simu\n2 Sikia hatua inayofuata`);
    assert.equal((await dial(NEEMA_PHONE, `1*${neema.trackingNumber}*2`)).body, `END Ofisi inasubiri ada yako ya ${owed}. Ikishalipwa, ombi lako litaendelea lenyewe.`);

    const paying = await dial(NEEMA_PHONE, `1*${neema.trackingNumber}*1`);
    assert.equal(paying.body, `END Utaombwa kwenye simu hii kuthibitisha malipo ya ${owed} kwa PIN yako ya pesa ya simu.`);
    await confirmOnPhone(neema.id);

    const application = await call(neema.session, 'GET', `/api/registration/applications/${neema.id}`);
    assert.equal(application.invoices[0].state, 'paid');
    assert.equal(application.state.id, 'decision', 'the case moved on by itself once paid');
    assert.equal((await dial(NEEMA_PHONE, `1*${neema.trackingNumber}`)).body, `CON ${neema.trackingNumber} (Kibali cha meza sokoni): Uamuzi\n2 Sikia hatua inayofuata`, 'nothing is owed any more');
    assert.match((await dial(NEEMA_PHONE, `1*${neema.trackingNumber}*1`)).body, /^END Chaguo hilo halipo/, 'and nothing can be paid twice');
  });

  it('in Tajik, with every screen within 182 characters of Cyrillic', async () => {
    const firuza = await caseWaitingForFee('firuza', FIRUZA_PHONE, 'tg');
    const owed = formatMoney('tg', '4000', 'DJF', 0);
    const screens = [await dial(FIRUZA_PHONE, ''), await dial(FIRUZA_PHONE, '1'), await dial(FIRUZA_PHONE, `1*${firuza.trackingNumber}`), await dial(FIRUZA_PHONE, `1*${firuza.trackingNumber}*2`)];
    assert.deepEqual(screens.map((s) => s.body), [
      'CON Daftari\n1 Санҷиши ариза',
      'CON Рақами пайгириро ворид кунед',
      `CON ${firuza.trackingNumber} (Иҷозати растаи бозор): Интизори боҷ\nҚарз: ${owed}\n1 Пардохт бо пули мобилӣ\n2 Қадами навбатиро шунидан`,
      `END Идора боҷи шуморо ба маблағи ${owed} интизор аст. Пас аз пардохт аризаи шумо худ ба худ пеш меравад.`,
    ]);
    const paying = await dial(FIRUZA_PHONE, `1*${firuza.trackingNumber}*1`);
    assert.match(paying.body, /^END Дар ин телефон аз шумо хоҳиш мекунанд/);
    for (const screen of [...screens, paying]) assert.ok(screen.body.length <= SCREEN_MAX, screen.body);
    await confirmOnPhone(firuza.id);
    const application = await call(firuza.session, 'GET', `/api/registration/applications/${firuza.id}`);
    assert.equal(application.invoices[0].state, 'paid');
  });

  it('shows a stranger’s phone no amount and lets it pay nothing, even with the right tracking number', async () => {
    const owner = await caseWaitingForFee('baraka', '+255712345999', 'sw');
    assert.equal((await dial(STRANGER_PHONE, `4*1*${owner.trackingNumber}`)).body, 'END Hakuna ombi lenye nambari hii lililopatikana kwa simu hii.');
    assert.equal((await dial(STRANGER_PHONE, `4*1*${owner.trackingNumber}*1`)).body, 'END Hakuna ombi lenye nambari hii lililopatikana kwa simu hii.');
    assert.equal((await dial(STRANGER_PHONE, `4*1*${owner.trackingNumber}*2`)).body, 'END Hakuna ombi lenye nambari hii lililopatikana kwa simu hii.');
    assert.equal(await mobileRequestsFor(owner.id), 0, 'no payment was asked of anyone');
    const application = await call(owner.session, 'GET', `/api/registration/applications/${owner.id}`);
    assert.equal(application.invoices[0].state, 'open');
  });
});

describe('long answers', () => {
  it('come in pages that fit the screen, each but the last offering 0 for more', async () => {
    const actions = ['Send the corrected plan of the stall', 'Send the signed lease of the market', 'Bring the fire safety certificate', 'Answer the questions of the inspector'];
    const deps = { caseFor: async () => ({ status: 'MS-1 (Stall): Correction', owed: null, next: { by: 'applicant' as const, actions } }), pay: async () => 'nothing-due' as const };
    const pages: string[] = [];
    for (let more = ''; ; more += '*0') {
      const screen = await nextScreen(deps, { phone: AMINA_PHONE, text: `1*MS-1*2${more}`, linkedLocale: 'en' });
      assert.ok(screen.length <= SCREEN_MAX, screen);
      pages.push(screen);
      if (screen.startsWith('END ')) break;
      assert.match(screen, /\n0 More$/);
    }
    assert.ok(pages.length > 1);
    const whole = pages.map((p) => p.slice(4).replace(/\n0 More$/, '')).join(' ');
    assert.equal(whole, 'It is your turn: Send the corrected plan of the stall, Send the signed lease of the market, Bring the fire safety certificate, or Answer the questions of the inspector. Do it on the portal or at a service centre.');
  });
});

describe('the USSD phone simulator (npx daftari ussd-sim)', () => {
  it('plays a whole session from typed keypresses, screen after screen', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    input.end(`1\n${trackingNumber}\n2\n`);
    const screens = await runUssdPhone({ url: `${app.url}${USSD_PATH}`, secret: SECRET, phone: AMINA_PHONE, serviceCode: '*384*1#', input, output });
    assert.deepEqual(screens, [
      'CON Daftari\n1 Suivre une demande',
      'CON Entrez le numéro de suivi',
      `CON ${trackingNumber} (Market stall permit) : Check\n2 Connaître la prochaine étape`,
      "END L'administration traite votre demande (Check). Vous recevrez un SMS quand elle avancera.",
    ]);
  });
});
