import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { startSmsGatewaySimulator, type Simulator } from '../../simulators/index.ts';
import type { ReceivedSms } from '../../simulators/sms-gateway.ts';
import { createUser } from './accounts.ts';
import { CODE_ATTEMPTS } from './link-phone.ts';
import { findUserByLogin } from './store.ts';

/**
 * Linking a phone: a six-digit code goes to it by SMS (through the messaging block), only its hash
 * is kept (the message log masks it too), it expires, wrong guesses are counted, and sending is
 * limited per phone and per account. The codes are read where a person reads them: on the phone.
 */
const SECRET = 'the-shared-secret-of-the-sms-gateway';
let simulator: Simulator;
let app: TestApp;
let people = 0;
let numbers = 0;
const newPhone = () => `+2557712${String(++numbers).padStart(5, '0')}`;

async function newCitizen(locale = 'sw'): Promise<{ session: Session; username: string }> {
  const username = `linker${++people}`;
  await createUser(app.database.db, { username, displayName: 'Neema', email: `${username}@example.org`, password: DEMO_PASSWORD, locale, party: { kind: 'person' } });
  return { session: await signIn(app, username, DEMO_PASSWORD), username };
}

const ask = (session: Session, phone: string) => app.app.inject({ method: 'POST', url: '/api/identity/phone-link', headers: asSession(session), payload: { phone } });
const confirm = (session: Session, code: string) => app.app.inject({ method: 'POST', url: '/api/identity/phone-link/confirm', headers: asSession(session), payload: { code } });

async function smsTo(phone: string): Promise<ReceivedSms> {
  await app.jobs.drain();
  const inbox = (await (await fetch(`${simulator.url}/messages.json`)).json()) as ReceivedSms[];
  return inbox.filter((sms) => sms.to === phone).at(-1)!;
}

async function codeSentTo(phone: string): Promise<string> {
  return /\b(\d{6})\b/.exec((await smsTo(phone)).text)![1]!;
}

before(async () => {
  simulator = await startSmsGatewaySimulator({ secret: SECRET });
  app = await startTestApp({ listen: true, env: { SMS_GATEWAY_URL: simulator.url, SMS_GATEWAY_SECRET: SECRET } });
});
after(async () => {
  await app?.stop();
  await simulator?.close();
});

describe('linking a phone with a one-time code', () => {
  it('links the phone once the code sent to it is given back', async () => {
    const { session, username } = await newCitizen();
    const phone = newPhone();
    assert.equal((await ask(session, phone)).statusCode, 202);
    const linked = await confirm(session, await codeSentTo(phone));
    assert.equal(linked.statusCode, 200, linked.body);
    assert.equal((await findUserByLogin(app.database.db, username))!.phone, phone);
  });

  it('keeps only a hash of the code', async () => {
    const { session } = await newCitizen();
    const phone = newPhone();
    await ask(session, phone);
    const code = await codeSentTo(phone);
    const { rows } = await app.database.pool.query('SELECT code_hash FROM identity_phone_links WHERE phone = $1', [phone]);
    assert.notEqual(rows[0].code_hash, code);
    assert.doesNotMatch(rows[0].code_hash, new RegExp(code));
  });

  it('refuses a wrong code, and after too many wrong ones refuses even the right one', async () => {
    const { session, username } = await newCitizen();
    const phone = newPhone();
    await ask(session, phone);
    const code = await codeSentTo(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < CODE_ATTEMPTS; i++) assert.equal(assertProblem(await confirm(session, wrong), 400).errors?.[0]?.reason, 'this is not the code we sent');
    assertProblem(await confirm(session, code), 400);
    assert.equal((await findUserByLogin(app.database.db, username))!.phone, null);
  });

  it('refuses an expired code', async () => {
    const { session } = await newCitizen();
    const phone = newPhone();
    await ask(session, phone);
    await app.database.pool.query("UPDATE identity_phone_links SET expires_at = now() - interval '1 second' WHERE phone = $1", [phone]);
    assertProblem(await confirm(session, await codeSentTo(phone)), 400);
  });

  it('sends the code in the person’s language', async () => {
    const { session } = await newCitizen('fr');
    const phone = newPhone();
    await ask(session, phone);
    assert.match((await smsTo(phone)).text, /Votre code Daftari/);
  });

  it('keeps the code masked in the message log and out of the audit chain, while the SMS carries it', async () => {
    const { session } = await newCitizen('tg');
    const phone = newPhone();
    await ask(session, phone);
    const code = await codeSentTo(phone);
    const { rows } = await app.database.pool.query('SELECT id, body, redacted FROM messaging_messages WHERE recipient = $1', [phone]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].redacted, true);
    assert.doesNotMatch(rows[0].body, new RegExp(code));
    assert.match(rows[0].body, /••••••/);
    const audit = await app.database.pool.query('SELECT details::text AS details FROM audit_entries WHERE subject_id = $1', [rows[0].id]);
    assert.ok(audit.rows.length > 0);
    for (const row of audit.rows) assert.doesNotMatch(row.details, new RegExp(code));
    const sealed = await app.database.pool.query('SELECT count(*)::int AS n FROM messaging_sealed_bodies WHERE message_id = $1', [rows[0].id]);
    assert.equal(sealed.rows[0].n, 0, 'the text sent is gone once the gateway took it');
  });

  it('limits the codes sent to one phone, whoever asks', async () => {
    const phone = newPhone();
    for (let i = 0; i < 3; i++) assert.equal((await ask((await newCitizen()).session, phone)).statusCode, 202);
    const refused = assertProblem(await ask((await newCitizen()).session, phone), 429);
    assert.ok(refused);
  });

  it('limits the codes one account asks for, whichever phones', async () => {
    const { session } = await newCitizen();
    for (let i = 0; i < 5; i++) assert.equal((await ask(session, newPhone())).statusCode, 202);
    assertProblem(await ask(session, newPhone()), 429);
  });

  it('refuses a number that is not in international form', async () => {
    assertProblem(await ask((await newCitizen()).session, '0771234567'), 400);
  });
});
