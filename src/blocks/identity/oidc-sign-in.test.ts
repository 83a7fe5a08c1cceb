import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import { CookieJar, startTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { freePort } from '../../../test/support/ports.ts';
import { identityDb } from './store.ts';

const CLIENT_ID = 'daftari';
const CLIENT_SECRET = 'a-secret-shared-with-the-national-id-service';

/** People the national ID service knows, by the login typed on its sign-in page. */
const PEOPLE: Record<string, Record<string, unknown>> = {
  hawa: { name: 'Hawa Daoud', email: 'hawa@example.org', email_verified: true, individual_id: 'DJ-1990-000777' },
  idris: { given_name: 'Idris', family_name: 'Ali', email: 'idris@example.org', email_verified: false },
  kadra: { name: 'Kadra Yonis', email: 'kadra@example.org' },
};

let provider: http.Server;
let issuer: string;
let appUrl: string;
let app: TestApp;

before(async () => {
  provider = http.createServer();
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  appUrl = `http://127.0.0.1:${await freePort()}`;
  const oidc = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${appUrl}/sign-in/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
    pkce: { required: () => true },
    findAccount: (_ctx: unknown, id: string) => (PEOPLE[id] ? { accountId: id, claims: () => ({ sub: id, ...PEOPLE[id] }) } : undefined),
    claims: { openid: ['sub'], profile: ['name', 'given_name', 'family_name', 'individual_id'], email: ['email', 'email_verified'] },
    // Like eSignet, put the person's claims in the ID token itself, which is what the app reads.
    conformIdTokenClaims: false,
    cookies: { keys: ['oidc-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: true } },
  });
  provider.on('request', oidc.callback());
  app = await startTestApp({ env: { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET, BASE_URL: appUrl } });
  await app.app.listen({ port: Number(new URL(appUrl).port), host: '127.0.0.1' });
});

after(async () => {
  // The provider first: left open after a failed start, it would keep this file running forever.
  provider.closeAllConnections();
  await new Promise((resolve) => provider.close(resolve));
  await app?.stop();
});

/** A browser without JavaScript: follows nothing by itself, keeps cookies per site. */
class Browser {
  private readonly jars = new Map<string, CookieJar>();

  jar(origin: string): CookieJar {
    const jar = this.jars.get(origin) ?? new CookieJar();
    this.jars.set(origin, jar);
    return jar;
  }

  async fetch(url: URL | string, form?: Record<string, string>): Promise<Response> {
    const target = new URL(url);
    const jar = this.jar(target.origin);
    const response = await fetch(target, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    jar.store(response);
    return response;
  }
}

function locationOf(response: Response): URL {
  const location = response.headers.get('location');
  assert.ok(location, `expected a redirect from ${response.url}, got ${response.status}`);
  return new URL(location, response.url);
}

/**
 * Start at the app, sign in at the provider as `login` and consent, and stop where the provider
 * sends the browser back: the callback address, not yet followed.
 */
async function throughProvider(browser: Browser, login: string, next = '/account'): Promise<URL> {
  const start = await browser.fetch(`${appUrl}/sign-in/oidc?next=${encodeURIComponent(next)}`);
  assert.equal(start.status, 303);
  let url = locationOf(start);
  for (let hop = 0; hop < 12; hop++) {
    if (url.origin === appUrl) return url;
    const response = await browser.fetch(url);
    if (response.status >= 300 && response.status < 400) {
      url = locationOf(response);
      continue;
    }
    const page = await response.text();
    assert.equal(response.status, 200, page);
    const form = /<form[^>]*action="([^"]+)"[^>]*method="post">\s*<input type="hidden" name="prompt" value="(login|consent)"/.exec(page);
    assert.ok(form, `the provider shows a sign-in or consent form:\n${page}`);
    const fields: Record<string, string> = form[2] === 'login' ? { prompt: 'login', login, password: 'whatever the provider checks' } : { prompt: 'consent' };
    url = locationOf(await browser.fetch(new URL(form[1]!, url), fields));
  }
  assert.fail('the provider never sent the browser back');
}

async function whoAmI(browser: Browser): Promise<{ id: string; kind: string; displayName: string; partyId: string | null; roles: unknown[] }> {
  const response = await browser.fetch(`${appUrl}/api/identity/me`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as never;
}

async function accountOf(userId: string) {
  return identityDb(app.database.db)
    .selectFrom('identity_users as u')
    .innerJoin('identity_parties as p', 'p.id', 'u.party_id')
    .select(['u.email', 'u.display_name', 'u.password_hash', 'p.kind', 'p.name', 'p.national_id'])
    .where('u.id', '=', userId)
    .executeTakeFirstOrThrow();
}

describe('signing in with the national digital ID (OpenID Connect)', () => {
  it('the sign-in page offers it', async () => {
    const page = await app.app.inject({ method: 'GET', url: '/sign-in' });
    assert.match(page.body, /href="\/sign-in\/oidc\?next=%2Faccount"/);
  });

  it('the app asks for a code with PKCE, a state and a nonce', async () => {
    const start = await new Browser().fetch(`${appUrl}/sign-in/oidc`);
    const authorize = locationOf(start);
    assert.equal(authorize.origin, issuer);
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    for (const name of ['code_challenge', 'state', 'nonce']) assert.ok((authorize.searchParams.get(name) ?? '').length >= 32, name);
    assert.equal(authorize.searchParams.get('redirect_uri'), `${appUrl}/sign-in/oidc/callback`);
  });

  it('a first sign-in creates a citizen account from the ID token: name, verified e-mail, national id', async () => {
    const browser = new Browser();
    const callback = await throughProvider(browser, 'hawa', '/account/password');
    const landed = await browser.fetch(callback);
    assert.equal(landed.status, 303, await landed.clone().text());
    assert.equal(locationOf(landed).pathname, '/account/password', 'back where the person was going');
    assert.match(landed.headers.get('set-cookie') ?? '', /daftari_session=[^;]+;.*HttpOnly/i);

    const me = await whoAmI(browser);
    assert.equal(me.kind, 'user');
    assert.equal(me.displayName, 'Hawa Daoud');
    assert.ok(me.partyId, 'the account is a person who can apply for services');
    const account = await accountOf(me.id);
    assert.deepEqual(account, { email: 'hawa@example.org', display_name: 'Hawa Daoud', password_hash: null, kind: 'person', name: 'Hawa Daoud', national_id: 'DJ-1990-000777' });
    assert.equal((await browser.fetch(`${appUrl}/api/identity/mandates`)).status, 200, 'it acts as a citizen');
  });

  it('a second sign-in with the same subject reaches the same account', async () => {
    const first = new Browser();
    await first.fetch(await throughProvider(first, 'kadra'));
    const second = new Browser();
    await second.fetch(await throughProvider(second, 'kadra'));
    const [a, b] = [await whoAmI(first), await whoAmI(second)];
    assert.equal(b.id, a.id);
    const links = await identityDb(app.database.db).selectFrom('identity_external_ids').selectAll().where('user_id', '=', a.id).execute();
    assert.deepEqual(links.map((l) => [l.issuer, l.subject]), [[issuer, 'kadra']]);
  });

  it('an e-mail the provider has not verified is not kept, and a missing name is made from given and family names', async () => {
    const browser = new Browser();
    await browser.fetch(await throughProvider(browser, 'idris'));
    const me = await whoAmI(browser);
    const account = await accountOf(me.id);
    assert.equal(account.email, null);
    assert.equal(account.display_name, 'Idris Ali');
    assert.equal(account.national_id, null);
  });

  it('a callback with a state this app did not issue is refused with 400 and signs no one in', async () => {
    const browser = new Browser();
    const callback = await throughProvider(browser, 'hawa');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'a-state-made-up-by-an-attacker');
    const refused = await browser.fetch(forged);
    assert.equal(refused.status, 400);
    assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(browser.jar(appUrl).get('daftari_session'), undefined);
    assert.equal((await browser.fetch(`${appUrl}/api/identity/me`)).status, 401);
  });

  it('a callback can be used once: replaying it is refused with 400', async () => {
    const browser = new Browser();
    const callback = await throughProvider(browser, 'hawa');
    assert.equal((await browser.fetch(callback)).status, 303);
    const replayed = await new Browser().fetch(callback);
    assert.equal(replayed.status, 400);
  });

  it('a person who cancels at the provider is not signed in', async () => {
    const browser = new Browser();
    const start = await browser.fetch(`${appUrl}/sign-in/oidc`);
    const interaction = locationOf(await browser.fetch(locationOf(start)));
    let url = locationOf(await browser.fetch(new URL(`${interaction.pathname}/abort`, interaction)));
    while (url.origin !== appUrl) url = locationOf(await browser.fetch(url));
    assert.equal(url.searchParams.get('error'), 'access_denied');
    const refused = await browser.fetch(url);
    assert.equal(refused.status, 401);
    assert.equal(browser.jar(appUrl).get('daftari_session'), undefined);
  });
});

describe('when the national digital ID service is down', () => {
  let offline: TestApp;
  before(async () => {
    offline = await startTestApp({ seed: false, env: { OIDC_ISSUER: `http://127.0.0.1:${await freePort()}`, OIDC_CLIENT_ID: CLIENT_ID } });
  });
  after(() => offline?.stop());

  it('starting a sign-in answers 503, and the password sign-in page still opens', async () => {
    const response = await offline.app.inject({ method: 'GET', url: '/sign-in/oidc' });
    assert.match(assertProblem(response, 503).detail, /cannot be reached/);
    assert.equal((await offline.app.inject({ method: 'GET', url: '/sign-in' })).statusCode, 200);
  });
});
