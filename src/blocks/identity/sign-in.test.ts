import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem, openForm, postForm, setCookie } from '../../../test/support/http.ts';
import { createUser } from './accounts.ts';
import { SIGN_IN_REFUSED, SIGN_IN_THROTTLED } from './sign-in.ts';
import { identityDb } from './store.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

const PASSWORD = 'correct horse battery';
let accounts = 0;

/** A citizen account of its own for each test, so no test's failures or sign-outs touch another's. */
async function newAccount(): Promise<{ id: string; username: string }> {
  const username = `person${++accounts}`;
  const user = await createUser(app.database.db, { username, displayName: `Person ${accounts}`, email: `${username}@example.org`, password: PASSWORD, party: { kind: 'person' } });
  return { id: user.id, username };
}

function signInJson(username: string, password: string, opts: { remoteAddress?: string } = {}) {
  return app.app.inject({ method: 'POST', url: '/api/identity/sessions', payload: { username, password }, ...opts });
}

function me(cookie: string) {
  return app.app.inject({ method: 'GET', url: '/api/identity/me', headers: { cookie } });
}

function sessionToken(response: Parameters<typeof setCookie>[0]): string {
  const line = setCookie(response, 'daftari_session');
  assert.ok(line, 'the response sets a session cookie');
  return line.slice('daftari_session='.length).split(';')[0]!;
}

async function signedInAs(cookie: string): Promise<string | null> {
  const response = await me(cookie);
  if (response.statusCode === 401) return null;
  assert.equal(response.statusCode, 200, response.body);
  return (JSON.parse(response.body) as { id: string }).id;
}

describe('signing in with a password', () => {
  it('the form signs a person in with an HttpOnly, SameSite session cookie and sends them where they were going', async () => {
    const account = await newAccount();
    const { jar, csrf } = await openForm(app, '/sign-in');
    const response = await postForm(app, jar, '/sign-in', { _csrf: csrf, username: account.username, password: PASSWORD, next: '/account/password' });
    assert.equal(response.statusCode, 303, response.body);
    assert.equal(response.headers.location, '/account/password');
    const cookie = setCookie(response, 'daftari_session')!;
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.match(cookie, /; Path=\//i);
    assert.equal(await signedInAs(jar.header()), account.id);
  });

  it('the form never sends a person to another site after signing in', async () => {
    const account = await newAccount();
    const { jar, csrf } = await openForm(app, '/sign-in');
    const response = await postForm(app, jar, '/sign-in', { _csrf: csrf, username: account.username, password: PASSWORD, next: '//evil.example/phish' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/account');
  });

  it('the JSON API signs in with the username or the e-mail address and answers who signed in', async () => {
    const account = await newAccount();
    for (const login of [account.username, `${account.username.toUpperCase()}@EXAMPLE.ORG`]) {
      const response = await signInJson(login, PASSWORD);
      assert.equal(response.statusCode, 201, response.body);
      assert.equal((JSON.parse(response.body) as { id: string }).id, account.id);
      assert.match(setCookie(response, 'daftari_session')!, /; HttpOnly.*; SameSite=Lax/i);
      assert.equal(await signedInAs(`daftari_session=${sessionToken(response)}`), account.id);
    }
  });

  it('a session cookie planted in the browser before sign-in is worthless afterwards', async () => {
    const attacker = await newAccount();
    const victim = await newAccount();
    const planted = sessionToken(await signInJson(attacker.username, PASSWORD));
    const { jar, csrf } = await openForm(app, '/sign-in');
    const browser = `${jar.header()}; daftari_session=${planted}`;
    const response = await app.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: browser, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, username: victim.username, password: PASSWORD }).toString(),
    });
    assert.equal(response.statusCode, 303, response.body);
    const fresh = sessionToken(response);
    assert.notEqual(fresh, planted);
    assert.equal(await signedInAs(`daftari_session=${planted}`), null, 'the planted session has ended');
    assert.equal(await signedInAs(`daftari_session=${fresh}`), victim.id);
  });

  it('a wrong password and an unknown account get the same status and the same message', async () => {
    const account = await newAccount();
    const wrongPassword = assertProblem(await signInJson(account.username, 'not the password'), 401);
    const unknownAccount = assertProblem(await signInJson('nobody.here', 'not the password'), 401);
    assert.equal(wrongPassword.detail, SIGN_IN_REFUSED);
    assert.deepEqual({ ...unknownAccount, requestId: '' }, { ...wrongPassword, requestId: '' });

    const { jar, csrf } = await openForm(app, '/sign-in');
    const pages = [];
    for (const username of [account.username, 'nobody.here']) {
      const response = await postForm(app, jar, '/sign-in', { _csrf: csrf, username, password: 'not the password' });
      assert.equal(response.statusCode, 401);
      assert.equal(setCookie(response, 'daftari_session'), undefined, `${username}: no session`);
      pages.push(response.body.replace(/name="_csrf" value="[^"]+"/, '').replace(`value="${username}"`, ''));
    }
    assert.equal(pages[0], pages[1]);
    assert.match(pages[0]!, /The username or password is not correct\./);
  });

  it('a disabled account is refused with the same message, and its open sessions stop working', async () => {
    const account = await newAccount();
    const open = sessionToken(await signInJson(account.username, PASSWORD));
    await identityDb(app.database.db).updateTable('identity_users').set({ disabled_at: new Date() }).where('id', '=', account.id).execute();
    assert.equal(assertProblem(await signInJson(account.username, PASSWORD), 401).detail, SIGN_IN_REFUSED);
    assertProblem(await me(`daftari_session=${open}`), 401);
  });
});

describe('throttling password guesses', () => {
  // Failures count in fixed 15-minute windows: a stopped clock keeps each test inside one window.
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: Date.now() }));
  afterEach(() => mock.timers.reset());

  async function failFiveTimes(username: string, remoteAddress: string) {
    for (let i = 0; i < 5; i++) assertProblem(await signInJson(username, `wrong guess ${i}`, { remoteAddress }), 401);
  }

  it('after 5 failures for an account, even the right password is refused with 429 and Retry-After', async () => {
    const account = await newAccount();
    await failFiveTimes(account.username, '10.1.0.1');
    const refused = await signInJson(account.username, PASSWORD, { remoteAddress: '10.1.0.2' });
    assert.equal(assertProblem(refused, 429).detail, SIGN_IN_THROTTLED);
    assert.ok(Number(refused.headers['retry-after']) > 0, `Retry-After: ${refused.headers['retry-after']}`);
    assert.equal(setCookie(refused, 'daftari_session'), undefined);
  });

  it('an account that does not exist is throttled the same way, so throttling reveals nothing', async () => {
    const existing = await newAccount();
    await failFiveTimes(existing.username, '10.2.0.1');
    await failFiveTimes('no.such.person', '10.2.0.1');
    const forExisting = await signInJson(existing.username, 'sixth guess', { remoteAddress: '10.2.0.2' });
    const forMissing = await signInJson('no.such.person', 'sixth guess', { remoteAddress: '10.2.0.2' });
    assert.equal(assertProblem(forMissing, 429).detail, assertProblem(forExisting, 429).detail);
    assert.ok(Number(forMissing.headers['retry-after']) > 0);
  });

  it('the form shows the throttled message with a 429 and Retry-After', async () => {
    const account = await newAccount();
    await failFiveTimes(account.username, '10.3.0.1');
    const { jar, csrf } = await openForm(app, '/sign-in');
    const response = await postForm(app, jar, '/sign-in', { _csrf: csrf, username: account.username, password: PASSWORD }, '10.3.0.2');
    assert.equal(response.statusCode, 429);
    assert.ok(Number(response.headers['retry-after']) > 0);
    assert.match(response.body, /Too many failed attempts/);
  });

  it('a successful sign-in before the limit starts the account count afresh', async () => {
    const account = await newAccount();
    for (let i = 0; i < 4; i++) assertProblem(await signInJson(account.username, 'wrong', { remoteAddress: '10.4.0.1' }), 401);
    assert.equal((await signInJson(account.username, PASSWORD, { remoteAddress: '10.4.0.1' })).statusCode, 201);
    for (let i = 0; i < 4; i++) assertProblem(await signInJson(account.username, 'wrong', { remoteAddress: '10.4.0.1' }), 401);
    assert.equal((await signInJson(account.username, PASSWORD, { remoteAddress: '10.4.0.1' })).statusCode, 201);
  });

  it('one address failing on 30 different accounts is stopped for every account, other addresses are not', async () => {
    const account = await newAccount();
    for (let i = 0; i < 30; i++) assertProblem(await signInJson(`sprayed${i}`, 'Summer2026!', { remoteAddress: '10.5.0.1' }), 401);
    const fromSprayer = await signInJson(account.username, PASSWORD, { remoteAddress: '10.5.0.1' });
    assert.equal(assertProblem(fromSprayer, 429).detail, SIGN_IN_THROTTLED);
    assert.ok(Number(fromSprayer.headers['retry-after']) > 0);
    assert.equal((await signInJson(account.username, PASSWORD, { remoteAddress: '10.5.0.2' })).statusCode, 201);
  });
});

describe('how long a session lasts', () => {
  async function session(): Promise<{ account: { id: string }; token: string; cookie: string }> {
    const account = await newAccount();
    const token = sessionToken(await signInJson(account.username, PASSWORD));
    return { account, token, cookie: `daftari_session=${token}` };
  }

  function moveSession(token: string, changes: { lastSeenMinutesAgo?: number; expiresSecondsFromNow?: number }) {
    return sql`
      UPDATE identity_sessions SET
        last_seen_at = now() - make_interval(mins => ${changes.lastSeenMinutesAgo ?? 0}),
        expires_at = CASE WHEN ${changes.expiresSecondsFromNow ?? null}::int IS NULL THEN expires_at ELSE now() + make_interval(secs => ${changes.expiresSecondsFromNow ?? 0}) END
      WHERE id_hash = encode(sha256(convert_to(${token}, 'UTF8')), 'hex')`.execute(app.database.db);
  }

  it('a session used within the idle timeout stays open, and using it restarts the timer', async () => {
    const { account, token, cookie } = await session();
    await moveSession(token, { lastSeenMinutesAgo: app.config.sessionIdleMinutes - 1 });
    assert.equal(await signedInAs(cookie), account.id);
    const touched = await sql<{ idle_seconds: number }>`
      SELECT extract(epoch FROM now() - last_seen_at)::int AS idle_seconds FROM identity_sessions WHERE user_id = ${account.id}`.execute(app.database.db);
    assert.ok(touched.rows[0]!.idle_seconds < 60, 'the idle timer restarted');
  });

  it('a session left unused for longer than the idle timeout has ended', async () => {
    const { token, cookie } = await session();
    await moveSession(token, { lastSeenMinutesAgo: app.config.sessionIdleMinutes + 1 });
    assertProblem(await me(cookie), 401);
  });

  it('a session past its absolute lifetime has ended, however recently it was used', async () => {
    const { token, cookie } = await session();
    await moveSession(token, { lastSeenMinutesAgo: 0, expiresSecondsFromNow: -1 });
    assertProblem(await me(cookie), 401);
  });

  it('the cookie itself expires with the absolute lifetime', async () => {
    const account = await newAccount();
    const line = setCookie(await signInJson(account.username, PASSWORD), 'daftari_session')!;
    assert.match(line, new RegExp(`; Max-Age=${app.config.sessionAbsoluteHours * 3600}(;|$)`, 'i'));
  });
});

describe('signing out', () => {
  it('the sign-out form ends the session and clears the cookie', async () => {
    const session = await signIn(app, 'amina', DEMO_PASSWORD);
    const before = session.cookie();
    const response = await postForm(app, session.jar, '/sign-out', { _csrf: session.csrf });
    assert.equal(response.statusCode, 303);
    assert.match(setCookie(response, 'daftari_session')!, /Expires=Thu, 01 Jan 1970/i);
    assertProblem(await me(before), 401);
  });

  it('the API ends the current session and only that one', async () => {
    const account = await newAccount();
    const here = await signIn(app, account.username, PASSWORD);
    const elsewhere = sessionToken(await signInJson(account.username, PASSWORD));
    const response = await app.app.inject({ method: 'DELETE', url: '/api/identity/sessions/current', headers: asSession(here) });
    assert.equal(response.statusCode, 204, response.body);
    assert.equal(await signedInAs(here.cookie()), null);
    assert.equal(await signedInAs(`daftari_session=${elsewhere}`), account.id);
  });

  it('signing out everywhere through the API ends every session of the account, this one included, and no one else\'s', async () => {
    const account = await newAccount();
    const other = await newAccount();
    const here = await signIn(app, account.username, PASSWORD);
    const elsewhere = [sessionToken(await signInJson(account.username, PASSWORD)), sessionToken(await signInJson(account.username, PASSWORD))];
    const bystander = sessionToken(await signInJson(other.username, PASSWORD));
    const response = await app.app.inject({ method: 'DELETE', url: '/api/identity/sessions', headers: asSession(here) });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(JSON.parse(response.body), { ended: 3 });
    assert.equal(await signedInAs(here.cookie()), null);
    for (const token of elsewhere) assert.equal(await signedInAs(`daftari_session=${token}`), null);
    assert.equal(await signedInAs(`daftari_session=${bystander}`), other.id);
  });

  it('the "sign out everywhere" form on the account page ends the other sessions and keeps this one', async () => {
    const account = await newAccount();
    const elsewhere = sessionToken(await signInJson(account.username, PASSWORD));
    const here = await signIn(app, account.username, PASSWORD);
    const response = await postForm(app, here.jar, '/account/sign-out-everywhere', { _csrf: here.csrf });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/account?done=signed-out-elsewhere');
    assert.equal(await signedInAs(`daftari_session=${elsewhere}`), null);
    assert.equal(await signedInAs(here.cookie()), account.id);
  });
});

describe('API clients', () => {
  async function createClient(): Promise<{ id: string; token: string }> {
    const admin = await signIn(app, 'admin', DEMO_PASSWORD);
    const response = await app.app.inject({ method: 'POST', url: '/api/identity/api-clients', headers: asSession(admin), payload: { name: 'Land registry sync', agency: 'urban', roles: ['officer'] } });
    assert.equal(response.statusCode, 201, response.body);
    return JSON.parse(response.body) as { id: string; token: string };
  }

  function asClient(token: string) {
    return app.app.inject({ method: 'GET', url: '/api/identity/me', headers: { authorization: `Bearer ${token}` } });
  }

  it('a bearer token authenticates the client with its roles, and needs no CSRF token', async () => {
    const { id, token } = await createClient();
    assert.match(token, /^dft_[0-9a-f-]{36}_[A-Za-z0-9_-]+$/);
    const response = await asClient(token);
    assert.equal(response.statusCode, 200, response.body);
    const body = JSON.parse(response.body) as { id: string; kind: string; roles: { role: string }[] };
    assert.equal(body.id, id);
    assert.equal(body.kind, 'api-client');
    assert.deepEqual(body.roles.map((r) => r.role), ['officer']);
    const write = await app.app.inject({ method: 'DELETE', url: '/api/identity/sessions/current', headers: { authorization: `Bearer ${token}` } });
    assert.equal(write.statusCode, 204, write.body);
  });

  it('a token with a wrong secret, or a malformed one, is not accepted', async () => {
    const { id } = await createClient();
    assertProblem(await asClient(`dft_${id}_${'A'.repeat(43)}`), 401);
    assertProblem(await asClient('not-a-token'), 401);
  });

  it('a revoked client\'s token no longer works', async () => {
    const { id, token } = await createClient();
    const admin = await signIn(app, 'admin', DEMO_PASSWORD);
    const revoked = await app.app.inject({ method: 'DELETE', url: `/api/identity/api-clients/${id}`, headers: asSession(admin) });
    assert.equal(revoked.statusCode, 204, revoked.body);
    assertProblem(await asClient(token), 401);
  });
});

describe('cross-site request forgery', () => {
  it('a form post without a valid _csrf is refused with 403 and changes nothing', async () => {
    const account = await newAccount();
    const { jar } = await signIn(app, account.username, PASSWORD);
    for (const forged of [{}, { _csrf: 'forged-token' }] as Record<string, string>[]) {
      const response = await app.app.inject({
        method: 'POST',
        url: '/account/password',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ ...forged, current: PASSWORD, password: 'a brand new passphrase' }).toString(),
      });
      assertProblem(response, 403);
    }
    assert.equal((await signInJson(account.username, PASSWORD)).statusCode, 201, 'the password is unchanged');
  });

  it('a sign-in form post without _csrf is refused and starts no session', async () => {
    const account = await newAccount();
    const { jar } = await openForm(app, '/sign-in');
    const response = await app.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: account.username, password: PASSWORD }).toString(),
    });
    assertProblem(response, 403);
    assert.equal(setCookie(response, 'daftari_session'), undefined);
  });

  it('a JSON call with a session cookie but no x-csrf-token is refused and changes nothing', async () => {
    const account = await newAccount();
    const token = sessionToken(await signInJson(account.username, PASSWORD));
    const cookie = `daftari_session=${token}`;
    assertProblem(await app.app.inject({ method: 'DELETE', url: '/api/identity/sessions', headers: { cookie } }), 403);
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/identity/password', headers: { cookie }, payload: { current: PASSWORD, password: 'a brand new passphrase' } }), 403);
    assert.equal(await signedInAs(cookie), account.id, 'the session is still open');
    assert.equal((await signInJson(account.username, PASSWORD)).statusCode, 201, 'the password is unchanged');
  });
});
