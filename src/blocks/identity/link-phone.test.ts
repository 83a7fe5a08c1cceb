import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { createUser } from './accounts.ts';
import { CODE_ATTEMPTS } from './link-phone.ts';
import { findUserByLogin } from './store.ts';

/**
 * Linking a phone: a six-digit code goes to it by SMS (through the messaging block), only its hash
 * is kept, it expires, wrong guesses are counted, and sending is limited per phone and per account.
 */
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

async function codeSentTo(phone: string): Promise<string> {
  const { rows } = await app.database.pool.query("SELECT body FROM messaging_messages WHERE recipient = $1 AND template = 'identity.phone-link-code' ORDER BY created_at DESC LIMIT 1", [phone]);
  return /\b(\d{6})\b/.exec(rows[0].body)![1]!;
}

before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

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
    const { rows } = await app.database.pool.query('SELECT body FROM messaging_messages WHERE recipient = $1', [phone]);
    assert.match(rows[0].body, /Votre code Daftari/);
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
