import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, openForm, postForm } from '../../../test/support/http.ts';
import { startSmtpInbox, type ReceivedMail, type SmtpInbox } from '../../../test/support/smtp-inbox.ts';
import { createUser } from './accounts.ts';

const BASE_URL = 'http://daftari.test';

let inbox: SmtpInbox;
let app: TestApp;
before(async () => {
  inbox = await startSmtpInbox();
  app = await startTestApp({ env: { SMTP_URL: inbox.url, BASE_URL } });
});
after(async () => {
  // The SMTP server first: left open after a failed start, it would keep this file running forever.
  await inbox?.close();
  await app?.stop();
});

const PASSWORD = 'correct horse battery';
let accounts = 0;

async function newAccount(locale: string | null = null): Promise<{ id: string; username: string; email: string }> {
  const username = `person${++accounts}`;
  const email = `${username}@example.org`;
  const user = await createUser(app.database.db, { username, displayName: `Person ${accounts}`, email, password: PASSWORD, locale, party: { kind: 'person' } });
  return { id: user.id, username, email };
}

function signInJson(username: string, password: string) {
  return app.app.inject({ method: 'POST', url: '/api/identity/sessions', payload: { username, password } });
}

function stillSignedIn(cookie: string) {
  return app.app.inject({ method: 'GET', url: '/api/identity/me', headers: { cookie } }).then((r) => r.statusCode === 200);
}

/** Run the queued jobs (the e-mails among them) and return the mail that arrived for this address. */
async function mailTo(address: string): Promise<ReceivedMail[]> {
  await app.jobs.drain();
  return inbox.to(address);
}

async function requestReset(login: string): Promise<string> {
  const { jar, csrf } = await openForm(app, '/password/forgot');
  const response = await postForm(app, jar, '/password/forgot', { _csrf: csrf, login });
  assert.equal(response.statusCode, 200, response.body);
  return response.body;
}

function resetLinkIn(mail: ReceivedMail): URL {
  const link = /https?:\/\/\S+\/password\/reset\?token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
  assert.ok(link, `the e-mail carries a reset link:\n${mail.text}`);
  return new URL(link);
}

async function setNewPassword(link: URL, password: string) {
  const page = await app.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
  if (page.statusCode !== 200) return page;
  const { jar, csrf } = await openForm(app, `${link.pathname}${link.search}`);
  return postForm(app, jar, '/password/reset', { _csrf: csrf, token: link.searchParams.get('token')!, password });
}

describe('changing a password', () => {
  it('a wrong current password is refused and the password stays as it was', async () => {
    const account = await newAccount();
    const session = await signIn(app, account.username, PASSWORD);
    const response = await app.app.inject({ method: 'POST', url: '/api/identity/password', headers: asSession(session), payload: { current: 'not my password', password: 'a brand new passphrase' } });
    assert.deepEqual(assertProblem(response, 400).errors?.map((e) => e.pointer), ['/body/current']);
    assert.equal((await signInJson(account.username, PASSWORD)).statusCode, 201);
  });

  it('a weak new password is refused with the reason: too short, too common, or containing the username', async () => {
    const account = await newAccount();
    const session = await signIn(app, account.username, PASSWORD);
    for (const [weak, reason] of [['short', /at least 10 characters/], ['password123', /most common/], [`my ${account.username} secret`, /username/]] as const) {
      const response = await app.app.inject({ method: 'POST', url: '/api/identity/password', headers: asSession(session), payload: { current: PASSWORD, password: weak } });
      const problem = assertProblem(response, 400);
      assert.equal(problem.errors?.[0]?.pointer, '/body/password');
      assert.match(problem.errors![0]!.reason, reason);
    }
    assert.equal((await signInJson(account.username, PASSWORD)).statusCode, 201);
  });

  it('after a change the new password works, the old does not, and every other session has ended but this one', async () => {
    const account = await newAccount();
    const elsewhere = await signIn(app, account.username, PASSWORD);
    const here = await signIn(app, account.username, PASSWORD);
    const response = await app.app.inject({ method: 'POST', url: '/api/identity/password', headers: asSession(here), payload: { current: PASSWORD, password: 'a brand new passphrase' } });
    assert.equal(response.statusCode, 204, response.body);
    assert.equal(await stillSignedIn(here.cookie()), true);
    assert.equal(await stillSignedIn(elsewhere.cookie()), false);
    assertProblem(await signInJson(account.username, PASSWORD), 401);
    assert.equal((await signInJson(account.username, 'a brand new passphrase')).statusCode, 201);
  });

  it('the form says which field is wrong, and confirms a change', async () => {
    const account = await newAccount();
    const session = await signIn(app, account.username, PASSWORD);
    const refused = await postForm(app, session.jar, '/account/password', { _csrf: session.csrf, current: 'not my password', password: 'a brand new passphrase' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /href="#current"/);
    const changed = await postForm(app, session.jar, '/account/password', { _csrf: session.csrf, current: PASSWORD, password: 'a brand new passphrase' });
    assert.equal(changed.statusCode, 303);
    assert.equal(changed.headers.location, '/account/password?done=1');
  });

  it('after 5 wrong current passwords the next attempt is refused with 429, even a right one', async (t) => {
    // Failures count in fixed 15-minute windows: a stopped clock keeps the test inside one window.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const account = await newAccount();
    const session = await signIn(app, account.username, PASSWORD);
    const attempt = (current: string) => app.app.inject({ method: 'POST', url: '/api/identity/password', headers: asSession(session), payload: { current, password: 'a brand new passphrase' } });
    for (let i = 0; i < 5; i++) assertProblem(await attempt(`wrong ${i}`), 400);
    const refused = await attempt(PASSWORD);
    assertProblem(refused, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
  });
});

describe('resetting a forgotten password by e-mail', () => {
  it('a person asks for a link, gets it by e-mail in their language, chooses a new password and signs in with it', async () => {
    const before = await signIn(app, 'amina', DEMO_PASSWORD);
    const answer = await requestReset('amina');
    assert.match(answer, /If an account matches and has an e-mail address/);

    const mails = await mailTo('amina@daftari.localhost');
    assert.equal(mails.length, 1);
    const mail = mails[0]!;
    assert.equal(mail.subject, 'Réinitialisez votre mot de passe Daftari', 'amina reads French');
    assert.match(mail.text, /ouvrez ce lien dans l'heure/);
    const link = resetLinkIn(mail);
    assert.equal(link.origin, BASE_URL);

    const page = await app.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['referrer-policy'], 'no-referrer', 'the token in the address does not leak to other sites');
    const done = await setNewPassword(link, 'a fresh start in 2027');
    assert.equal(done.statusCode, 303, done.body);
    assert.equal(done.headers.location, '/sign-in?reset=1');

    assert.equal((await signInJson('amina', 'a fresh start in 2027')).statusCode, 201);
    assertProblem(await signInJson('amina', DEMO_PASSWORD), 401);
    assert.equal(await stillSignedIn(before.cookie()), false, 'sessions opened before the reset have ended');

    const again = await setNewPassword(link, 'someone else again 2027');
    assert.equal(again.statusCode, 400, 'a used link is refused');
    assert.match(again.body, /This link has expired or was already used/);
    const replayed = await app.app.inject({ method: 'POST', url: '/api/identity/password-resets/complete', payload: { token: link.searchParams.get('token'), password: 'someone else again 2027' } });
    assertProblem(replayed, 400);
    assert.equal((await signInJson('amina', 'a fresh start in 2027')).statusCode, 201);
  });

  it('the e-mail is written in each account\'s own language', async () => {
    await requestReset('omar.architect');
    const [mail] = await mailTo('omar@daftari.localhost');
    assert.equal(mail?.subject, 'إعادة تعيين كلمة مرور دفتري');
    const account = await newAccount();
    await requestReset(account.email);
    const [english] = await mailTo(account.email);
    assert.equal(english?.subject, 'Reset your Daftari password', 'no saved language: the default');
  });

  it('an expired link is refused and the password stays as it was', async () => {
    const account = await newAccount();
    await requestReset(account.username);
    const [mail] = await mailTo(account.email);
    const link = resetLinkIn(mail!);
    await sql`UPDATE identity_password_resets SET expires_at = now() - interval '1 minute' WHERE user_id = ${account.id}`.execute(app.database.db);
    const page = await app.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /This link has expired or was already used/);
    const { jar, csrf } = await openForm(app, '/password/forgot');
    const post = await postForm(app, jar, '/password/reset', { _csrf: csrf, token: link.searchParams.get('token')!, password: 'a brand new passphrase' });
    assert.equal(post.statusCode, 400);
    assert.equal((await signInJson(account.username, PASSWORD)).statusCode, 201);
  });

  it('a weak password does not use up the link; using one link ends every other', async () => {
    const account = await newAccount();
    await requestReset(account.username);
    await requestReset(account.username);
    const [first, second] = (await mailTo(account.email)).map(resetLinkIn);
    const weak = await setNewPassword(second!, 'short');
    assert.equal(weak.statusCode, 400);
    assert.match(weak.body, /at least 10 characters/);
    assert.equal((await setNewPassword(second!, 'a brand new passphrase')).statusCode, 303);
    assert.equal((await setNewPassword(first!, 'yet another passphrase')).statusCode, 400);
  });

  it('the answer is the same whether or not the account exists, and nothing is sent for an unknown one', async () => {
    const account = await newAccount();
    const strip = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, '');
    const known = await requestReset(account.username);
    const unknown = await requestReset('nobody.at.all@example.org');
    assert.equal(strip(unknown), strip(known));
    const [knownJson, unknownJson] = await Promise.all(
      [account.email, 'nobody.at.all@example.org'].map((login) => app.app.inject({ method: 'POST', url: '/api/identity/password-resets', payload: { login } })),
    );
    assert.equal(unknownJson!.statusCode, 202);
    assert.equal(unknownJson!.body, knownJson!.body);
    assert.equal((await mailTo(account.email)).length, 2);
    assert.equal((await mailTo('nobody.at.all@example.org')).length, 0);
  });
});
