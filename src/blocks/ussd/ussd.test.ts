/**
 * The USSD channel over real HTTP, as a USSD gateway calls it: a signed form POST per screen with
 * the session's inputs so far, answered `CON …` (more to come) or `END …`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { asSession, signInDemo, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { MARKET_STALL } from '../../../test/support/registration-fixtures.ts';
import { signatureHeaders } from '../../platform/http/signed-calls.ts';
import { runUssdPhone } from '../../simulators/ussd-phone.ts';
import { publishDefinition } from '../registration/index.ts';
import { SCREEN_MAX, USSD_PATH } from './index.ts';

const SECRET = 'the-shared-secret-of-the-ussd-gateway';
const AMINA_PHONE = '+25377812345';
let app: TestApp;
let trackingNumber: string;
let sessions = 0;

async function dial(phone: string, text: string, sign: string | null = SECRET): Promise<{ status: number; body: string; type: string | null }> {
  const body = new URLSearchParams({ sessionId: `ATUid_${++sessions}`, serviceCode: '*384*1#', phoneNumber: phone, text }).toString();
  const response = await fetch(`${app.url}${USSD_PATH}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sign ? signatureHeaders(sign, body) : {}) }, body });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
}

before(async () => {
  app = await startTestApp({ listen: true, env: { USSD_GATEWAY_SECRET: SECRET } });
  await publishDefinition(app.database.db, app.jobs, { data: MARKET_STALL }, null, 'test');
  const [amina] = await signInDemo(app, 'amina');
  const applied = await app.app.inject({ method: 'POST', url: '/api/registration/applications', headers: asSession(amina), payload: { serviceId: 'market-stall', data: { stallName: 'Chez Amina', market: 'central', cooking: false }, idempotencyKey: 'ussd-key-1' } });
  assert.equal(applied.statusCode, 201, applied.body);
  trackingNumber = applied.json().trackingNumber;
});
after(() => app.stop());

describe('the USSD menu', () => {
  it('greets a linked phone in its person’s language, and shows her application’s state', async () => {
    const first = await dial(AMINA_PHONE, '');
    assert.equal(first.status, 200);
    assert.match(first.type ?? '', /^text\/plain/);
    assert.equal(first.body, 'CON Daftari\n1 Suivre une demande');
    assert.equal((await dial(AMINA_PHONE, '1')).body, 'CON Entrez le numéro de suivi');
    assert.equal((await dial(AMINA_PHONE, `1*${trackingNumber}`)).body, `END ${trackingNumber} (Market stall permit) : Check`);
  });

  it('asks an unknown phone for its language first, and tells it nothing about others’ applications', async () => {
    const first = await dial('+255712000111', '');
    assert.equal(first.body, 'CON 1 English\n2 Français\n3 العربية\n4 Kiswahili\n5 Русский\n6 Тоҷикӣ');
    assert.equal((await dial('+255712000111', '2')).body, 'CON Daftari\n1 Suivre une demande');
    assert.equal((await dial('+255712000111', `1*1*${trackingNumber}`)).body, 'END No application with this number was found for this phone.');
  });

  it('ends the session on a choice not on the menu', async () => {
    assert.match((await dial(AMINA_PHONE, '9')).body, /^END /);
    assert.match((await dial('+255712000111', '7')).body, /^END /);
  });

  it('keeps every screen within what a basic phone shows', async () => {
    for (const text of ['', '1', `1*${trackingNumber}`]) assert.ok((await dial(AMINA_PHONE, text)).body.length <= SCREEN_MAX);
  });

  it('refuses a request the gateway did not sign, or signed with another secret', async () => {
    assert.equal((await dial(AMINA_PHONE, '', null)).status, 401);
    assert.equal((await dial(AMINA_PHONE, '', 'another-secret-of-16-chars')).status, 401);
  });
});

describe('the USSD phone simulator (npx daftari ussd-sim)', () => {
  it('plays a whole session from typed keypresses, screen after screen', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    input.end(`1\n${trackingNumber}\n`);
    const screens = await runUssdPhone({ url: `${app.url}${USSD_PATH}`, secret: SECRET, phone: AMINA_PHONE, serviceCode: '*384*1#', input, output });
    assert.deepEqual(screens, ['CON Daftari\n1 Suivre une demande', 'CON Entrez le numéro de suivi', `END ${trackingNumber} (Market stall permit) : Check`]);
  });
});
