import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type TestApp } from '../../test/support/app.ts';
import { createLogger } from './log.ts';

/**
 * Logs are read by more people than credentials should be: operators, log shippers, support.
 * Drive the journeys that handle secrets with every log level on, then read every line.
 */
const WRONG_PASSWORD = 'not-the-password-7Qx2';
const NEW_PASSWORD = 'a-brand-new-passphrase-9Kd';

const lines: string[] = [];
const secrets = new Map<string, string>();
/** Request ids of every response the journeys got. */
const requestIds: string[] = [];
let app: TestApp;

async function call(options: InjectOptions): Promise<LightMyRequestResponse> {
  const response = await app.app.inject(options);
  requestIds.push(String(response.headers['x-request-id']));
  return response;
}

/** The reset link from the mail the job wrote to DATA_DIR/mail, undoing quoted-printable. */
async function resetTokenFromMail(): Promise<string> {
  const dir = path.join(app.config.dataDir, 'mail');
  const [file] = await fs.readdir(dir);
  assert.ok(file, 'a reset mail was written');
  const raw = (await fs.readFile(path.join(dir, file), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
  const token = /[?&]token=([A-Za-z0-9_-]{20,})/.exec(raw)?.[1];
  assert.ok(token, 'the mail has a reset link');
  return token;
}

before(async () => {
  const destination = { write: (line: string) => void lines.push(line) };
  app = await startTestApp({ log: createLogger('trace', destination) });
  secrets.set('the demo password', DEMO_PASSWORD);
  secrets.set('a wrong password', WRONG_PASSWORD);
  secrets.set('the new password', NEW_PASSWORD);

  // Signing in through the form, and with a wrong password by form and by API.
  const amina = await signIn(app, 'amina', DEMO_PASSWORD);
  secrets.set("amina's session cookie", amina.jar.get('daftari_session')!);
  secrets.set("amina's CSRF token", amina.csrf);
  secrets.set("amina's CSRF cookie", amina.jar.get('daftari_csrf')!);
  await call({ method: 'POST', url: '/api/identity/sessions', payload: { username: 'amina', password: WRONG_PASSWORD } });
  await call({ method: 'POST', url: '/sign-in', headers: { cookie: amina.cookie(), 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: amina.csrf, username: 'omar.architect', password: WRONG_PASSWORD }).toString() });
  await call({ method: 'GET', url: '/account', headers: { cookie: amina.cookie() } });
  await call({ method: 'GET', url: '/api/identity/me', headers: asSession(amina) });
  // A multipart form carries the cookie too, and is read by another plugin.
  const boundary = 'log-test-boundary';
  await call({
    method: 'POST',
    url: '/account/sign-out-everywhere',
    headers: { ...asSession(amina), 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${amina.csrf}\r\n--${boundary}--\r\n`,
  });

  // An API client, created by an administrator, calling with its bearer token, and a forged one.
  const admin = await signIn(app, 'admin', DEMO_PASSWORD);
  secrets.set("the admin's session cookie", admin.jar.get('daftari_session')!);
  secrets.set("the admin's CSRF token", admin.csrf);
  const created = await call({ method: 'POST', url: '/api/identity/api-clients', headers: asSession(admin), payload: { name: 'monitoring', agency: null, roles: ['metrics-reader'] } });
  assert.equal(created.statusCode, 201, created.body);
  const token = (created.json() as { token: string }).token;
  secrets.set('the API token', token);
  secrets.set("the API token's secret", token.split('_').slice(2).join('_'));
  assert.equal((await call({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  assert.equal((await call({ method: 'GET', url: '/api/identity/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  await call({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } });

  // A password reset: asked for, the link followed (token in the address), completed, used.
  assert.equal((await call({ method: 'POST', url: '/api/identity/password-resets', payload: { login: 'auditor' } })).statusCode, 202);
  await app.jobs.drain();
  const resetToken = await resetTokenFromMail();
  secrets.set('the reset token', resetToken);
  assert.equal((await call({ method: 'GET', url: `/password/reset?token=${resetToken}&lang=en` })).statusCode, 200);
  const completed = await call({ method: 'POST', url: '/api/identity/password-resets/complete', payload: { token: resetToken, password: NEW_PASSWORD } });
  assert.equal(completed.statusCode, 204, completed.body);
  const signedIn = await call({ method: 'POST', url: '/api/identity/sessions', payload: { username: 'auditor', password: NEW_PASSWORD } });
  assert.equal(signedIn.statusCode, 201, signedIn.body);
  secrets.set("the auditor's new session cookie", signedIn.cookies.find((c) => c.name === 'daftari_session')!.value);
});
after(() => app.stop());

describe('logs', () => {
  it('were written, one JSON object per line', () => {
    assert.ok(lines.length > requestIds.length);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('hold no password, session cookie, CSRF token, reset token or API secret', () => {
    for (const [what, secret] of secrets) {
      assert.ok(secret.length >= 10, `${what} is long enough to search for`);
      const leak = lines.find((line) => line.includes(secret));
      assert.equal(leak, undefined, `${what} is in the log: ${leak}`);
    }
  });

  it('still show where a secret-bearing address was requested, with the secret redacted', () => {
    const visit = lines.map((line) => JSON.parse(line) as { req?: { url: string } }).find((entry) => entry.req?.url.startsWith('/password/reset?'));
    assert.equal(visit?.req?.url, '/password/reset?token=[redacted]&lang=en');
  });

  it('tie every request line to its request id, and every response to its lines', () => {
    const entries = lines.map((line) => JSON.parse(line) as { reqId?: string; req?: unknown; res?: unknown; msg?: string });
    for (const entry of entries.filter((e) => e.req !== undefined || e.res !== undefined)) {
      assert.ok(entry.reqId, `no request id: ${JSON.stringify(entry)}`);
    }
    for (const id of requestIds) {
      assert.ok(entries.some((e) => e.reqId === id && e.req !== undefined), `no "incoming request" line for ${id}`);
      assert.ok(entries.some((e) => e.reqId === id && e.res !== undefined), `no "request completed" line for ${id}`);
    }
  });
});
