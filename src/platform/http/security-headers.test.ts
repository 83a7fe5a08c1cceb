import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { openForm, postForm } from '../../../test/support/http.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let app: TestApp;
let secureApp: TestApp;
let admin: Session;

before(async () => {
  app = await startTestApp();
  secureApp = await startTestApp({ env: { BASE_URL: 'https://daftari.example' } });
  admin = await signIn(app, 'admin', DEMO_PASSWORD);
});
after(() => Promise.all([app.stop(), secureApp.stop()]));

function directives(response: LightMyRequestResponse): Map<string, string> {
  const policy = String(response.headers['content-security-policy'] ?? '');
  return new Map(policy.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d]));
}

/** Sign in through the form, keeping the response that sets the session cookie. */
async function signInResponse(target: TestApp, username: string): Promise<LightMyRequestResponse> {
  const { jar, csrf } = await openForm(target, '/sign-in');
  return postForm(target, jar, '/sign-in', { _csrf: csrf, username, password: DEMO_PASSWORD });
}

describe('security headers', () => {
  it('the Content-Security-Policy allows no inline script and no framing', async () => {
    for (const url of ['/', '/sign-in', '/no/such/page']) {
      const response = await app.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      const csp = directives(response);
      assert.doesNotMatch(String(response.headers['content-security-policy']), /unsafe-inline|unsafe-eval/, url);
      assert.equal(csp.get('script-src'), "script-src 'self'", url);
      assert.equal(csp.get('frame-ancestors'), "frame-ancestors 'none'", url);
      assert.equal(csp.get('object-src'), "object-src 'none'", url);
    }
  });

  it('pages, API answers and errors forbid sniffing and framing and limit the referrer', async () => {
    const responses = [
      await app.app.inject({ method: 'GET', url: '/' }),
      await app.app.inject({ method: 'GET', url: '/api/identity/agencies' }),
      await app.app.inject({ method: 'GET', url: '/api/identity/me' }),
      await app.app.inject({ method: 'POST', url: '/api/identity/sessions', headers: { 'content-type': 'application/json' }, payload: '{' }),
    ];
    for (const response of responses) {
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['x-frame-options'], 'DENY');
      assert.equal(response.headers['referrer-policy'], 'strict-origin-when-cross-origin');
    }
  });

  it('a page with a reset token in its address sends no referrer at all', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/password/reset?token=abcdefghijklmnopqrstuvwxyz' });
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
  });

  it('plain http gets no HSTS, and the session cookie is neither Secure nor __Host-', async () => {
    const page = await app.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.headers['strict-transport-security'], undefined);
    const signedIn = await signInResponse(app, 'amina');
    assert.equal(signedIn.statusCode, 303);
    const session = signedIn.cookies.find((c) => c.name === 'daftari_session');
    assert.ok(session, 'the session cookie is daftari_session');
    assert.notEqual(session.secure, true);
  });

  it('behind https (BASE_URL https://…) every response has HSTS and cookies are Secure, the session one __Host-', async () => {
    for (const url of ['/', '/health', '/no/such/page']) {
      const response = await secureApp.app.inject({ method: 'GET', url });
      assert.match(String(response.headers['strict-transport-security']), /^max-age=31536000; includeSubDomains$/, url);
    }
    const signedIn = await signInResponse(secureApp, 'amina');
    assert.equal(signedIn.statusCode, 303, signedIn.body);
    const session = signedIn.cookies.find((c) => c.name === '__Host-daftari_session');
    assert.ok(session, `the session cookie is __Host-daftari_session, not ${signedIn.cookies.map((c) => c.name).join(', ')}`);
    // What the __Host- prefix requires of a browser: Secure, Path=/, no Domain.
    assert.equal(session.secure, true);
    assert.equal(session.path, '/');
    assert.equal(session.domain, undefined);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    const page = await secureApp.app.inject({ method: 'GET', url: '/sign-in' });
    for (const cookie of page.cookies) assert.equal(cookie.secure, true, `${cookie.name} is Secure`);
  });

  it('signed-in pages and API answers are never stored by caches', async () => {
    for (const url of ['/account', '/api/identity/me', '/admin/jobs']) {
      const response = await app.app.inject({ method: 'GET', url, headers: asSession(admin) });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.headers['cache-control'], 'no-store', url);
    }
  });

  it('static assets, named by content hash, are cached for a year as immutable, signed in or not', async () => {
    const home = await app.app.inject({ method: 'GET', url: '/' });
    const stylesheet = /href="(\/assets\/[^"]+\.css)"/.exec(home.body)?.[1];
    assert.ok(stylesheet, 'the home page links its stylesheet');
    for (const headers of [{}, asSession(admin)]) {
      const response: LightMyRequestResponse = await app.app.inject({ method: 'GET', url: stylesheet, headers });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    }
  });

  it('every response carries a request id, a fresh one each time', async () => {
    const responses = [
      await app.app.inject({ method: 'GET', url: '/' }),
      await app.app.inject({ method: 'HEAD', url: '/' }),
      await app.app.inject({ method: 'GET', url: '/health' }),
      await app.app.inject({ method: 'GET', url: '/no/such/page' }),
      await app.app.inject({ method: 'DELETE', url: '/health' }),
      await app.app.inject({ method: 'GET', url: '/api/identity/me' }),
      await app.app.inject({ method: 'GET', url: '/assets/%zz' }),
      await app.app.inject({ method: 'GET', url: `/api/identity/mandates/${'x'.repeat(300)}` }),
      await app.app.inject({ method: 'POST', url: '/api/identity/sessions', headers: { 'content-type': 'application/json' }, payload: '{' }),
    ];
    const ids = responses.map((r) => String(r.headers['x-request-id']));
    for (const [i, id] of ids.entries()) assert.match(id, UUID, `response ${i} (${responses[i]!.statusCode})`);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('a sane incoming X-Request-Id is kept, in the header and in problem details', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/no/such/page', headers: { 'x-request-id': 'lb-7f3a:trace.0042' } });
    assert.equal(response.headers['x-request-id'], 'lb-7f3a:trace.0042');
    assert.equal((response.json() as { requestId: string }).requestId, 'lb-7f3a:trace.0042');
  });

  it('an insane incoming X-Request-Id is replaced, not echoed', async () => {
    for (const incoming of ['short', 'has spaces in it', '<script>alert(1)</script>', '../../etc/passwd', 'x'.repeat(129), 'ünïcødé-request-id']) {
      const response = await app.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': incoming } });
      assert.match(String(response.headers['x-request-id']), UUID, incoming);
    }
  });
});
