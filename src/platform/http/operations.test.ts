import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';

let app: TestApp;
let admin: Session;

before(async () => {
  app = await startTestApp();
  admin = await signIn(app, 'admin', DEMO_PASSWORD);
});
after(() => app.stop());

async function metricsAs(headers: Record<string, string>): Promise<string> {
  const response = await app.app.inject({ method: 'GET', url: '/metrics', headers });
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return response.body;
}

describe('operations endpoints', () => {
  it('/health answers 200 while the process lives', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('/ready answers 200 when the database answers and its schema is current', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready' });
  });

  it('/ready answers 503 while a migration is pending, so no traffic reaches an old schema', async () => {
    const db = app.database.db;
    const latest = await sql<{ name: string; timestamp: string }>`SELECT name, timestamp FROM kysely_migration ORDER BY name DESC LIMIT 1`.execute(db);
    const { name, timestamp } = latest.rows[0]!;
    await sql`DELETE FROM kysely_migration WHERE name = ${name}`.execute(db);
    try {
      const problem = assertProblem(await app.app.inject({ method: 'GET', url: '/ready' }), 503);
      assert.match(problem.detail, /1 database migration\(s\) not applied/);
      assert.equal((await app.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process is still alive');
    } finally {
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${name}, ${timestamp})`.execute(db);
    }
    assert.equal((await app.app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  });

  it('/metrics refuses an anonymous caller (401) and a citizen (403)', async () => {
    assertProblem(await app.app.inject({ method: 'GET', url: '/metrics' }), 401);
    const amina = await signIn(app, 'amina', DEMO_PASSWORD);
    assertProblem(await app.app.inject({ method: 'GET', url: '/metrics', headers: asSession(amina) }), 403);
  });

  it('/metrics serves Prometheus text to an administrator: request durations by route, the pool, the jobs', async () => {
    await app.app.inject({ method: 'GET', url: '/health' });
    await app.app.inject({ method: 'GET', url: '/api/identity/agencies' });
    const text = await metricsAs(asSession(admin));
    assert.match(text, /^# TYPE daftari_http_request_duration_seconds histogram$/m);
    assert.match(text, /^daftari_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/health",status="200"\} \d+$/m);
    assert.match(text, /^daftari_http_request_duration_seconds_count\{method="GET",route="\/api\/identity\/agencies",status="200"\} 1$/m);
    for (const state of ['total', 'idle', 'waiting']) assert.match(text, new RegExp(`^daftari_db_pool_connections\\{state="${state}"\\} \\d+$`, 'm'));
    for (const state of ['pending', 'running', 'done', 'dead']) assert.match(text, new RegExp(`^daftari_jobs\\{state="${state}"\\} \\d+$`, 'm'));
    assert.match(text, /^daftari_process_cpu_seconds_total \d/m);
  });

  it('/metrics labels every unknown address alike, so scanners cannot multiply its series', async () => {
    for (const url of ['/wp-login.php', '/.env', '/no/such/page?x=1']) await app.app.inject({ method: 'GET', url });
    const text = await metricsAs(asSession(admin));
    assert.match(text, /route="unmatched",status="404"/);
    assert.doesNotMatch(text, /wp-login|\.env|no\/such/);
  });

  it('/metrics serves an API client holding metrics-reader', async () => {
    const created = await app.app.inject({ method: 'POST', url: '/api/identity/api-clients', headers: asSession(admin), payload: { name: 'prometheus', agency: null, roles: ['metrics-reader'] } });
    assert.equal(created.statusCode, 201, created.body);
    const { token } = created.json() as { token: string };
    assert.match(await metricsAs({ authorization: `Bearer ${token}` }), /^daftari_db_pool_connections/m);
    assertProblem(await app.app.inject({ method: 'GET', url: '/api/identity/users', headers: { authorization: `Bearer ${token}` } }), 403);
  });

  it('/openapi.json is an OpenAPI 3.1.0 document with both ways to authenticate', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    const document = response.json() as { openapi: string; info: { title: string }; paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    assert.equal(document.openapi, '3.1.0');
    assert.equal(document.info.title, 'Daftari API');
    for (const path of ['/health', '/ready', '/metrics', '/openapi.json']) assert.ok(document.paths[path], path);
    assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), ['apiClient', 'session']);
  });
});
