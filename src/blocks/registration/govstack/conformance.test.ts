/**
 * What we send GovStack clients, checked with ajv against the response schemas of the spec's
 * own OpenAPI documents (spec/), on a database holding the spec's compliance test data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { asSession, startTestApp, type Session, type TestApp } from '../../../../test/support/app.ts';
import { multipartBody, PDF } from '../../../../test/support/registration-fixtures.ts';
import { GOVSTACK_PREFIX as P } from './routes.ts';
import { loadGovStackTestData, type LoadedTestData } from './test-data-fixture.ts';
import { examplePayloadData, readSpecFile } from './test-data.ts';

type Spec = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>; components: { schemas: Record<string, any> } };

/**
 * Where the spec contradicts itself we follow its examples, and say so in
 * docs/govstack-compatibility.md: its `data` maps allow only objects as values, while its own
 * example payload (ExamplePayload.json, "an example payload in formData") holds text, numbers
 * and yes/no values.
 */
function corrected(spec: Spec): Spec {
  const copy = structuredClone(spec);
  const schemas = copy.components.schemas;
  for (const data of [schemas.formData.properties.data, schemas.additionalData.properties.data, schemas.dataUserTaskResponse.properties.data]) data.additionalProperties = true;
  return copy;
}

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const registration = readSpecFile<Spec>('GovStack_Registration_BB_API.json');
ajv.addSchema(corrected(registration), 'registration');
ajv.addSchema(readSpecFile('GovStack_Registration_BB_API_statistics.json'), 'statistics');

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The body conforms to the schema the spec gives this operation's response. */
function assertConforms(document: 'registration' | 'statistics', path: string, method: string, status: number, body: unknown): void {
  const spec = document === 'registration' ? registration : readSpecFile<Spec>('GovStack_Registration_BB_API_statistics.json');
  const content = spec.paths[path]![method]!.responses[String(status)]!.content!;
  const mediaType = Object.keys(content)[0]!;
  const valid = ajv.validate({ $ref: `${document}#/${pointer('paths', path, method, 'responses', String(status), 'content', mediaType, 'schema')}` }, body);
  assert.ok(valid, `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(ajv.errors)}\n${JSON.stringify(body, null, 2).slice(0, 2000)}`);
}

let app: TestApp;
let loaded: LoadedTestData;
const MEDIATOR = { 'information-mediator-client': 'eGovStack/GOV/90000009/eregistrations-dev' };

before(async () => {
  app = await startTestApp();
  loaded = await loadGovStackTestData(app);
});
after(() => app.stop());

async function get(session: Session | null, url: string) {
  const response = await app.app.inject({ method: 'GET', url: `${P}${url}`, headers: { ...MEDIATOR, ...(session ? asSession(session) : {}) } });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<any>();
}

async function send(session: Session, method: 'POST' | 'PUT', url: string, payload: unknown, headers: Record<string, string> = {}) {
  const response = await app.app.inject({ method, url: `${P}${url}`, headers: { ...MEDIATOR, ...asSession(session), ...headers }, payload: payload as object });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<any>();
}

/** Every field a test-data item has, the answer has too. */
function assertHasFieldsOf(ours: Record<string, unknown>, theirs: Record<string, unknown>, what: string): void {
  const missing = Object.keys(theirs).filter((k) => !(k in ours));
  assert.deepEqual(missing, [], `${what} lacks fields the test data has`);
}

describe('services and forms, as the test data has them', () => {
  it('serves every service of the test data, with each field its entry has but eForms, and nothing the spec does not name', async () => {
    const listed = await get(null, '/services');
    assertConforms('registration', '/services', 'get', 200, listed);
    const allowed = Object.keys(registration.components.schemas.service.properties);
    for (const service of loaded.data.services) {
      const found = (await get(null, `/services?name=${encodeURIComponent(service.name)}`)).find((s: { name: string }) => s.name === service.name);
      assert.ok(found, service.name);
      const { eForms, ...fields } = service;
      assertHasFieldsOf(found, fields, `service ${service.name}`);
      assert.deepEqual(Object.keys(found).filter((k) => !allowed.includes(k)), [], "GovStack's own suite allows no other field");
      const one = await get(null, `/services/${found.id}`);
      assertConforms('registration', '/services/{serviceId}', 'get', 200, one);
      assert.deepEqual(one, found);
      assert.ok(Array.isArray(eForms) && eForms.length === 1);
    }
  });

  it("gives each service's forms, and each form with the JSON Schema of its data", async () => {
    const serviceId = loaded.services.get(loaded.data.services[0]!.id)!;
    const forms = await get(null, `/services/${serviceId}/eForms`);
    assertConforms('registration', '/services/{serviceId}/eForms', 'get', 200, forms);
    const allowed = Object.keys(registration.components.schemas.EFormListItem.properties);
    assert.deepEqual(Object.keys(forms[0]).filter((k) => !allowed.includes(k)), []);
    const form = await get(null, `/eForms/${encodeURIComponent(forms[0].eFormId)}`);
    assertConforms('registration', '/eForms/{eFormId}', 'get', 200, form);
    assertHasFieldsOf(form, loaded.data.services[0]!.eForms[0], 'the form');
    const schema = new Ajv2020({ strict: false }).compile(form.schema);
    assert.ok(schema(examplePayloadData()), 'the example payload is valid data for the form');
  });
});

describe('files, as the test data has them', () => {
  it("lists each test-data application in the operator's list, with every field the test data's entry has", async () => {
    const list: Record<string, unknown>[] = await get(loaded.officer, '/applications');
    assertConforms('registration', '/applications', 'get', 200, list);
    for (const [theirs, ours] of loaded.files) {
      const entry = list.find((e) => e.fileId === ours);
      assert.ok(entry, `file ${theirs} is listed`);
      assertHasFieldsOf(entry, loaded.data.applications.find((a) => a.fileId === theirs)!, `the entry of ${theirs}`);
    }
  });

  it("lists the applicant's own files in the same shape", async () => {
    const list = await get(loaded.applicant, '/applications');
    assert.equal(list.length, loaded.files.size);
    assertConforms('registration', '/applications', 'get', 200, list);
  });

  it('answers a file by id, for its applicant and its operator', async () => {
    const fileId = [...loaded.files.values()][0]!;
    for (const session of [loaded.applicant, loaded.officer]) assertConforms('registration', '/applications/{fileId}', 'get', 200, await get(session, `/applications/${fileId}`));
  });

  it('creates a file from the example payload, as the spec suggests using it', async () => {
    const serviceId = loaded.services.get(loaded.data.services[0]!.id)!;
    const me = (await app.app.inject({ method: 'GET', url: '/api/identity/me', headers: asSession(loaded.applicant) })).json<{ partyId: string }>();
    const file = await send(loaded.applicant, 'POST', `/services/${serviceId}/applications`, { applicantId: me.partyId, applicationName: 'Amya Yuko', formData: { data: examplePayloadData() } });
    assertConforms('registration', '/services/{serviceId}/applications', 'post', 200, file);
    const trimmed = Object.fromEntries(Object.entries(examplePayloadData()).map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v]));
    assert.deepEqual(file.applicationData.formData.data, trimmed, 'every value is kept, text without surrounding spaces');
  });

  it('answers an upload and the completion of the draft it opened in the same shapes', async () => {
    const licence = (await get(null, '/services?name=Business%20licence'))[0].id;
    const { contentType, payload } = multipartBody([{ name: 'file', fileName: 'lease.pdf', content: PDF }]);
    const metadata = encodeURIComponent(JSON.stringify({ serviceId: licence, documentType: 'lease' }));
    const uploaded = await app.app.inject({ method: 'POST', url: `${P}/documents?additionalMetadata=${metadata}`, headers: { ...MEDIATOR, ...asSession(loaded.applicant), 'content-type': contentType }, payload });
    assert.equal(uploaded.statusCode, 200, uploaded.body);
    assertConforms('registration', '/documents', 'post', 200, uploaded.json());
    const me = (await app.app.inject({ method: 'GET', url: '/api/identity/me', headers: asSession(loaded.applicant) })).json<{ partyId: string }>();
    const draftId = /applications\/([0-9a-f-]{36})\//.exec(uploaded.json<{ url: string }>().url)![1]!;
    const saved = await send(loaded.applicant, 'PUT', `/applications/${draftId}`, { applicantId: me.partyId, formData: { data: { tradeName: 'Librairie', category: 'retail', employees: 2 } } });
    assertConforms('registration', '/applications/{fileId}', 'put', 200, saved);
  });

  it('refuses an upload without a body with a body the spec allows for it', async () => {
    const refused = await app.app.inject({ method: 'POST', url: `${P}/documents`, headers: { ...MEDIATOR, ...asSession(loaded.applicant) } });
    assert.equal(refused.statusCode, 400);
    const content = registration.paths['/documents']!.post!.responses['400']!.content!;
    assert.ok(ajv.validate({ $ref: `registration#/${pointer('paths', '/documents', 'post', 'responses', '400', 'content', Object.keys(content)[0]!, 'schema')}` }, refused.json()));
  });
});

describe('tasks, as the test data has them', () => {
  it('lists and gives tasks with every field the test data has', async () => {
    const tasks = await get(loaded.officer, '/tasks');
    assertConforms('registration', '/tasks', 'get', 200, tasks);
    const task = await get(loaded.officer, `/tasks/${tasks[0].taskId}`);
    assertConforms('registration', '/tasks/{taskId}', 'get', 200, task);
    for (const theirs of loaded.data.tasks) assertHasFieldsOf(task, theirs, `the task ${theirs.taskId}`);
  });

  it('answers the completion of a task in the shape the spec gives', async () => {
    const [task] = await get(loaded.officer, '/tasks');
    const completed = await send(loaded.officer, 'POST', `/tasks/${task.taskId}/complete`, { data: { 'send-back': { message: 'The date of birth is missing' } } });
    assertConforms('registration', '/tasks/{taskId}/complete', 'post', 200, completed);
    assert.equal(completed.status.code, 'SENDBACK');
  });
});

describe('statistics', () => {
  it('answers in the shape of the statistics spec, with and without a timeframe', async () => {
    for (const query of ['', '?timeframe=day', '?timeframe=week&startDate=2021-01-30&endDate=2021-02-06']) {
      assertConforms('statistics', '/data/statistics', 'get', 200, await get(null, `/data/statistics${query}`));
    }
  });
});
