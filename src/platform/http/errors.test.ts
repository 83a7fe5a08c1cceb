import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.stop());

function assertProblem(response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = JSON.parse(response.body) as { status: number; title: string; detail: string; requestId: string };
  assert.equal(body.status, status);
  assert.ok(body.title.length > 0, 'a problem has a title');
  assert.ok(body.detail.length > 0, 'a problem has a detail');
  assert.equal(body.requestId, response.headers['x-request-id']);
  assert.doesNotMatch(response.body, /at .*\.ts:\d+/, 'no stack trace reaches the client');
  return body;
}

describe('errors are problem+json', () => {
  it('an unknown address is a 404 problem', async () => {
    assertProblem(await app.app.inject({ method: 'GET', url: '/no/such/page' }), 404);
  });

  it('a known address with the wrong method is a 405 problem naming the allowed methods', async () => {
    const response = await app.app.inject({ method: 'DELETE', url: '/health' });
    assertProblem(response, 405);
    assert.equal(response.headers.allow, 'GET, HEAD');
  });

  it('malformed JSON is a 400 problem', async () => {
    const response = await app.app.inject({ method: 'POST', url: '/api/identity/sessions', headers: { 'content-type': 'application/json' }, payload: '{"username": "admin",' });
    assertProblem(response, 400);
  });

  it('invalid UTF-8 in a JSON body is refused, not silently replaced', async () => {
    const payload = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","password":"x"}')]);
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/identity/sessions', headers: { 'content-type': 'application/json' }, payload }), 400);
  });

  it('an unsupported content type is a 415 problem', async () => {
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/identity/sessions', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }), 415);
  });

  it('a body over the limit is a 413 problem', async () => {
    const payload = JSON.stringify({ username: 'x'.repeat(app.config.bodyLimitBytes), password: 'y' });
    assertProblem(await app.app.inject({ method: 'POST', url: '/api/identity/sessions', headers: { 'content-type': 'application/json' }, payload }), 413);
  });

  it('schema violations name each failing field as a JSON pointer, unknown fields included', async () => {
    const response = await app.app.inject({ method: 'POST', url: '/api/identity/sessions', payload: { username: '', extra: 1 } });
    const body = assertProblem(response, 400) as unknown as { errors: { pointer: string }[] };
    const pointers = body.errors.map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/body/extra', '/body/password', '/body/username']);
  });

  it('a browser asking for HTML gets an error page in its language, still with the right status', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/no/such/page', headers: { accept: 'text/html', 'accept-language': 'fr' } });
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /Page introuvable/);
  });
});
