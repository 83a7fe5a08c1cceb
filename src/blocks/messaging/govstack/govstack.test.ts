/**
 * The GovStack Messaging API for e-mail: what clients send, what arrives at a real SMTP server,
 * and what we answer, checked with ajv against the response schemas of the spec's own document,
 * in both its published forms (spec/swagger.yaml and spec/swagger.json, which spell some names
 * differently). Its test data (spec/test-data.json) holds status reports only; the shape of those
 * is checked against ours.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import { sql, type RawBuilder } from 'kysely';
import { parse } from 'yaml';
import { asSession, signInDemo, startTestApp, type TestApp } from '../../../../test/support/app.ts';
import { assertProblem } from '../../../../test/support/http.ts';
import { startSmtpInbox, type SmtpInbox } from '../../../../test/support/smtp-inbox.ts';
import { createApiClient } from '../../identity/index.ts';
import { GOVSTACK_MESSAGING_PREFIX as P, GOVSTACK_REQUEST, MESSAGING_CLIENT_ROLE } from '../index.ts';

type Spec = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>; definitions: Record<string, any> };

const readSpec = (name: string): string => fs.readFileSync(new URL(`./spec/${name}`, import.meta.url), 'utf8');
const documents: Record<'yaml' | 'json', Spec> = { yaml: parse(readSpec('swagger.yaml')) as Spec, json: JSON.parse(readSpec('swagger.json')) as Spec };
const spec = documents.yaml;
const testData = JSON.parse(readSpec('test-data.json')) as { data: { email: { RequestID: string; status: Record<string, number> }[] } };

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
// The document's own spellings of formats ajv does not know; both mean Base64 text.
ajv.addFormat('base64', true).addFormat('bae64', true);
for (const [form, document] of Object.entries(documents)) ajv.addSchema(document, form);

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The body conforms to the schema both forms of the document give this operation's answer, and holds no field neither names. */
function assertConforms(path: string, method: string, body: Record<string, unknown>): void {
  for (const [form, document] of Object.entries(documents)) {
    const valid = ajv.validate({ $ref: `${form}#/${pointer('paths', path, method, 'responses', '200', 'content', 'application/json', 'schema')}` }, body);
    assert.ok(valid, `${form}: ${method.toUpperCase()} ${path}: ${ajv.errorsText(ajv.errors)}\n${JSON.stringify(body)}`);
    assert.ok(Object.keys(document.paths[path]![method]!.responses['200']!.content!).length === 1);
  }
  const definition = (spec.paths[path]![method]!.responses['200']!.content!['application/json'] as { schema: { $ref: string } }).schema.$ref.split('/').pop()!;
  const known = Object.values(documents).flatMap((d) => Object.keys(d.definitions[definition].properties));
  assert.deepEqual(Object.keys(body).filter((k) => !known.includes(k)), [], 'fields neither form of the document names');
}

let inbox: SmtpInbox;
let app: TestApp;
let client: string;
let otherClient: string;
let officerClient: string;

before(async () => {
  inbox = await startSmtpInbox();
  app = await startTestApp({ env: { SMTP_URL: inbox.url } });
  const acting = { principal: null, requestId: null };
  client = (await createApiClient(app.database.db, { name: 'Ministry of Trade notices', agencyCode: 'commerce', roles: [MESSAGING_CLIENT_ROLE] }, acting)).token;
  otherClient = (await createApiClient(app.database.db, { name: 'Health reminders', agencyCode: null, roles: [MESSAGING_CLIENT_ROLE] }, acting)).token;
  officerClient = (await createApiClient(app.database.db, { name: 'Trade data sync', agencyCode: 'commerce', roles: ['officer'] }, acting)).token;
});
after(async () => {
  await inbox?.close();
  await app?.stop();
});

function call(method: 'GET' | 'POST', url: string, opts: { token?: string | null; json?: unknown; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
  const token = opts.token === undefined ? client : opts.token;
  return app.app.inject({
    method,
    url: `${P}${url}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers },
    ...(opts.json === undefined ? {} : { payload: opts.json as object }),
  });
}

async function accepted(response: LightMyRequestResponse, path: string): Promise<string> {
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json<{ requestUid: string; requestUID: string; response: string }>();
  assertConforms(path, 'post', body);
  assert.equal(body.requestUID, body.requestUid, 'the id under the name each form of the document gives it');
  assert.match(body.requestUid, /^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){5}$/, 'shaped like the spec’s example requestUid');
  return body.requestUid;
}

async function statusOf(requestUid: string, statuses = ['scheduled', 'processing', 'deferred', 'bounced', 'notSent', 'delivered'], token?: string) {
  const response = await call('GET', `/status/email?${statuses.map((s) => `status=${s}`).join('&')}`, { token, headers: { requestUid } });
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json<Record<string, number>>();
  assertConforms('/status/email', 'get', body);
  return body;
}

const single = (email: string, extra: Record<string, unknown> = {}) => ({
  callback: { URI: 'https://client.example/callback/emails' },
  senderInfo: { organisationName: 'Ministry of Trade', organisationRegNr: 'GOV1234567890', name: 'Licensing desk', email: 'licences@trade.example', replyTo: 'reply@trade.example' },
  recipientInfo: { email, name: 'Example Customer' },
  emailContent: { encoding: 'UTF-8', title: 'Your licence is ready', content: 'Collect it at the counter.\nBring your ID.' },
  ...extra,
});

describe('sending a single e-mail', () => {
  it('accepts it, e-mails the recipient and each CC and BCC address separately, and counts them delivered', async () => {
    const body = single('customer@example.org');
    body.recipientInfo = { ...body.recipientInfo, emailCC: 'cc@example.org', emailBCC: 'bcc@example.org' } as typeof body.recipientInfo;
    const requestUid = await accepted(await call('POST', '/send/email/single', { json: body }), '/send/email/single');
    assert.deepEqual(await statusOf(requestUid), { scheduled: 0, processing: 3, deferred: 0, bounced: 0, notSent: 0, delivered: 0 });
    await app.jobs.drain();
    for (const address of ['customer@example.org', 'cc@example.org', 'bcc@example.org']) {
      const [mail, ...more] = inbox.to(address);
      assert.equal(more.length, 0, address);
      assert.equal(mail?.subject, 'Your licence is ready');
      assert.equal(mail?.text.trim(), 'Collect it at the counter.\nBring your ID.');
      assert.deepEqual(mail?.to, [address], 'nobody sees the other addresses');
    }
    assert.deepEqual(await statusOf(requestUid), { scheduled: 0, processing: 0, deferred: 0, bounced: 0, notSent: 0, delivered: 3 });
    assert.deepEqual(await statusOf(requestUid, ['delivered']), { delivered: 3 }, 'only the statuses asked for');
  });

  it('files the messages under the client’s agency, in the language of Content-Language', async () => {
    const requestUid = await accepted(await call('POST', '/send/email/single', { json: single('fr@example.org'), headers: { 'content-language': 'fr' } }), '/send/email/single');
    const rows = await sql<{ locale: string; code: string; actor_type: string }>`
      SELECT m.locale, a.code, m.actor_type FROM messaging_messages m JOIN identity_agencies a ON a.id = m.agency_id
      WHERE m.about_type = ${GOVSTACK_REQUEST} AND m.about_id = ${requestUid}`.execute(app.database.db);
    assert.deepEqual(rows.rows, [{ locale: 'fr', code: 'commerce', actor_type: 'api-client' }]);
  });

  it('answers a retry with the same Idempotency-Key with the first requestUid, sending nothing new', async () => {
    const headers = { 'idempotency-key': 'notice-2026-0001' };
    const first = await accepted(await call('POST', '/send/email/single', { json: single('once@example.org'), headers }), '/send/email/single');
    const again = await accepted(await call('POST', '/send/email/single', { json: single('once@example.org'), headers }), '/send/email/single');
    assert.equal(again, first);
    await app.jobs.drain();
    assert.equal(inbox.to('once@example.org').length, 1);
  });

  it('refuses what it cannot send, with a problem pointing at the field', async () => {
    const cases: [unknown, string][] = [
      [{ emailContent: { title: 'x', content: 'y' } }, '/body/recipientInfo'],
      [single('not-an-address'), '/body/recipientInfo/email'],
      [single('a@example.org', { emailContent: { encoding: 'ISO-8859-1', title: 'x', content: 'y' } }), '/body/emailContent/encoding'],
      [single('a@example.org', { emailContent: { title: '', content: 'y' } }), '/body/emailContent/title'],
      [single('a@example.org', { surprise: true }), '/body/surprise'],
    ];
    for (const [json, field] of cases) {
      const problem = assertProblem(await call('POST', '/send/email/single', { json }), 400);
      assert.ok(problem.errors?.some((e) => e.pointer === field), `${field} in ${JSON.stringify(problem.errors)}`);
    }
  });
});

describe('sending a batch', () => {
  it('sends the spec’s own example batch: every recipient, with their copies', async () => {
    const batchEmailAsBase64 = spec.definitions.batchRecipientInfo.properties.batchEmailAsBase64.example as string;
    const requestUid = await accepted(
      await call('POST', '/send/email/batch', { json: { callbackURI: { URI: 'https://client.example/cb' }, recipientInfo: { batchEmailAsBase64 }, emailContent: { title: 'Office closed on Friday', content: 'The office is closed on Friday.' } } }),
      '/send/email/batch',
    );
    await app.jobs.drain();
    for (const address of ['customer@example.com', 'customer-cc@example.com', 'customer-bcc@example.com', 'dear-customer@example.com']) {
      assert.deepEqual(inbox.to(address).map((m) => m.subject), ['Office closed on Friday'], address);
    }
    assert.deepEqual(await statusOf(requestUid, ['delivered', 'processing']), { delivered: 4, processing: 0 });
  });

  it('takes the callback under the names of either form of the document', async () => {
    const batchEmailAsBase64 = Buffer.from(JSON.stringify([{ recipientInfo: { email: 'either@example.org' } }])).toString('base64');
    const emailContent = { title: 'Either way', content: 'Text' };
    await accepted(await call('POST', '/send/email/batch', { json: { callbackURI: { URI: 'https://client.example/cb' }, recipientInfo: { batchEmailAsBase64 }, emailContent } }), '/send/email/batch');
    await accepted(await call('POST', '/send/email/batch', { json: { callbackUri: { uri: 'https://client.example/cb' }, recipientInfo: { batchEmailAsBase64 }, emailContent } }), '/send/email/batch');
  });

  it('refuses a batch that is not Base64 of a JSON array of recipients, sending none of it', async () => {
    const content = { title: 'x', content: 'y' };
    const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
    const cases: [string, string][] = [
      [encode('not json'), '/body/recipientInfo/batchEmailAsBase64'],
      [encode([]), '/body/recipientInfo/batchEmailAsBase64'],
      [encode([{ recipientInfo: { email: 'good@example.org' } }, { recipientInfo: { email: 'bad' } }]), '/body/recipientInfo/batchEmailAsBase64/1/recipientInfo/email'],
      [encode({ recipientInfo: { email: 'a@example.org' } }), '/body/recipientInfo/batchEmailAsBase64'],
      ['@@@@', '/body/recipientInfo/batchEmailAsBase64'],
    ];
    for (const [batchEmailAsBase64, field] of cases) {
      const problem = assertProblem(await call('POST', '/send/email/batch', { json: { recipientInfo: { batchEmailAsBase64 }, emailContent: content } }), 400);
      assert.ok(problem.errors?.some((e) => e.pointer === field), `${field} in ${JSON.stringify(problem.errors)}`);
    }
    await app.jobs.drain();
    assert.deepEqual(inbox.to('good@example.org'), []);
  });
});

describe('status and callbacks', () => {
  it('counts queued messages a failed attempt held back as deferred, refused ones as bounced, and given-up ones as not sent', async () => {
    const requestUid = await accepted(await call('POST', '/send/email/batch', { json: { recipientInfo: { batchEmailAsBase64: Buffer.from(JSON.stringify(['d1', 'd2', 'd3', 'd4'].map((n) => ({ recipientInfo: { email: `${n}@example.org` } })))).toString('base64') }, emailContent: { title: 't', content: 'c' } } }), '/send/email/batch');
    const set = (address: string, change: RawBuilder<unknown>) => sql`UPDATE messaging_messages SET ${change} WHERE recipient = ${address}`.execute(app.database.db);
    await set('d1@example.org', sql`attempts = 1, last_error = 'connection refused'`);
    await set('d2@example.org', sql`status = 'failed', failure = 'rejected', last_error = '550'`);
    await set('d3@example.org', sql`status = 'failed', failure = 'exhausted', last_error = 'down'`);
    assert.deepEqual(await statusOf(requestUid), { scheduled: 0, processing: 1, deferred: 1, bounced: 1, notSent: 1, delivered: 0 });
  });

  it('answers in the shape of the spec’s test data (whose not_sent the document spells notSent)', async () => {
    for (const item of testData.data.email) {
      const renamed = Object.fromEntries(Object.entries(item.status).map(([k, v]) => [k === 'not_sent' ? 'notSent' : k, v]));
      assertConforms('/status/email', 'get', renamed);
      assert.deepEqual(Object.keys(renamed).sort(), Object.keys(spec.definitions.requestStatus.properties).sort());
    }
  });

  it('keeps client content posted about a request, audited', async () => {
    const requestUid = await accepted(await call('POST', '/send/email/single', { json: single('reply@example.org') }), '/send/email/single');
    const response = await call('POST', '/callback/email', { headers: { requestUid }, json: { meta: 'Meta-info', content: Buffer.from('{"reply":"Thank you"}').toString('base64') } });
    assert.equal(response.statusCode, 200, response.body);
    const stored = await sql<{ meta: string; content: string }>`SELECT meta, content FROM messaging_callbacks WHERE request_uid = ${requestUid}`.execute(app.database.db);
    assert.deepEqual(stored.rows, [{ meta: 'Meta-info', content: Buffer.from('{"reply":"Thank you"}').toString('base64') }]);
    const audit = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_entries WHERE action = 'messaging.receive-callback' AND details->>'requestUid' = ${requestUid}`.execute(app.database.db);
    assert.equal(audit.rows[0]!.n, 1);
  });

  it('does not tell one client about another’s request, nor about one that does not exist', async () => {
    const requestUid = await accepted(await call('POST', '/send/email/single', { json: single('private@example.org') }), '/send/email/single');
    assertProblem(await call('GET', '/status/email?status=delivered', { token: otherClient, headers: { requestUid } }), 404);
    assertProblem(await call('POST', '/callback/email', { token: otherClient, headers: { requestUid }, json: { meta: 'x' } }), 404);
    assertProblem(await call('GET', '/status/email?status=delivered', { headers: { requestUid: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF' } }), 404);
  });

  it('refuses a status request without a requestUid or without statuses', async () => {
    assertProblem(await call('GET', '/status/email?status=delivered'), 400);
    assertProblem(await call('GET', '/status/email', { headers: { requestUid: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF' } }), 400);
    assertProblem(await call('GET', '/status/email?status=lost', { headers: { requestUid: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF' } }), 400);
  });
});

describe('who may call', () => {
  it('refuses a call without a token, with a token of a client without messaging-client, and a signed-in person', async () => {
    assertProblem(await call('POST', '/send/email/single', { token: null, json: single('x@example.org') }), 401);
    assertProblem(await call('POST', '/send/email/single', { token: 'dft_not-a-real-token', json: single('x@example.org') }), 401);
    assertProblem(await call('POST', '/send/email/single', { token: officerClient, json: single('x@example.org') }), 403);
    const [admin] = await signInDemo(app, 'admin');
    const response = await app.app.inject({ method: 'POST', url: `${P}/send/email/single`, headers: asSession(admin), payload: single('x@example.org') });
    assertProblem(response, 403);
    await app.jobs.drain();
    assert.deepEqual(inbox.to('x@example.org'), []);
  });
});
