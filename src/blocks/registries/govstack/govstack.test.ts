/**
 * The GovStack Digital Registries API over the spec's own test data and the demo registries: what
 * we answer is checked with ajv against the response schemas of the spec (spec/), and the
 * refusals are ours (problem+json).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { asSession, DEMO_PASSWORD, signIn, signInDemo, startTestApp, type Session, type TestApp } from '../../../../test/support/app.ts';
import { assertProblem } from '../../../../test/support/http.ts';
import { createUser } from '../../identity/index.ts';
import { GOVSTACK_REGISTRIES as P } from './routes.ts';
import { loadGovStackTestData, readSpecFile, type RegistriesTestData } from './test-data.ts';

type Spec = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
const SPEC = 'GovStack_Digital_registries_BB_Data_API_template-1.3.0.json';
const spec = readSpecFile<Spec>(SPEC);
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
ajv.addSchema(spec, 'registries');
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The body conforms to the schema the spec gives this operation's response. */
function assertConforms(path: string, method: string, status: number, body: unknown): void {
  const content = spec.paths[path]![method]!.responses[String(status)]!.content!;
  const valid = ajv.validate({ $ref: `registries#/${pointer('paths', path, method, 'responses', String(status), 'content', Object.keys(content)[0]!, 'schema')}` }, body);
  assert.ok(valid, `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(ajv.errors)}\n${JSON.stringify(body, null, 2).slice(0, 1500)}`);
}

const data = readSpecFile<RegistriesTestData>('test-data.json');
const R = `${P}/data/${data.registries.registryname}/${data.registries.versionnumber}`;
const MEDIATOR = { [data.informationMediatorClientHeader.key.toLowerCase()]: data.informationMediatorClientHeader.value };
let app: TestApp;
let registrar: Session;
let fire: Session;
let headUrban: Session;

before(async () => {
  app = await startTestApp();
  await loadGovStackTestData(app.database.db);
  [registrar, fire, headUrban] = await signInDemo(app, 'officer.registry', 'officer.fire', 'head.urban');
});
after(() => app.stop());

async function send(session: Session | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return app.app.inject({ method, url, headers: { ...MEDIATOR, ...(session ? asSession(session) : {}) }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function ok(session: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const response = await send(session, method, url, payload);
  assert.equal(response.statusCode, 200, response.body);
  return response.json<any>();
}

describe("GovStack's test data", () => {
  it('loads its registry, people and earlier reads, and loading again adds nothing', async () => {
    assert.deepEqual(await loadGovStackTestData(app.database.db), { registry: data.registries.registryname, records: 0, uses: 0 });
    const all = await ok(registrar, 'GET', `${R}?pageSize=100`);
    assert.equal(all.count, data.registries.records.length);
    assert.deepEqual(new Set(all.results.map((r: { uuid: string }) => r.uuid)), new Set(data.registries.records.map((r) => r.uuid)));
  });
});

describe('reading', () => {
  it('reads one record by a field value (read), in the shape of the spec', async () => {
    const body = await ok(registrar, 'POST', `${R}/read`, { query: { content: { FirstName: 'Eva' } } });
    assertConforms('/data/{registryName}/{versionNumber}/read', 'post', 200, body);
    assert.equal(body.content.LastName, 'Sorenz');
    const all = await ok(registrar, 'POST', `${R}/read`, { query: { content: { FirstName: 'Billy', LastName: 'Johnson', id: 'EE378129127223', BirthCertificateID: 'RR-1112223331' } } });
    assert.equal(all.content.uuid, '80bcc376-fa17-11ed-be56-0242ac120002');
  });

  it('answers 404 "no record found" when nothing matches', async () => {
    const response = await send(registrar, 'POST', `${R}/read`, { query: { content: { FirstName: 'NotExist' } } });
    const problem = assertProblem(response, 404);
    assertConforms('/data/{registryName}/{versionNumber}/read', 'post', 404, problem);
    assert.equal(problem.detail, 'no record found');
  });

  it('lists with a search in one field, exact values, and pages (list)', async () => {
    const johns = await ok(registrar, 'GET', `${R}?search=John&filter=FirstName&pageSize=2`);
    assertConforms('/data/{registryName}/{versionNumber}', 'get', 200, johns);
    assert.equal(johns.count, data.registries.records.filter((r) => r.FirstName.startsWith('John')).length);
    assert.equal(johns.results.length, 2);
    assert.match(johns.next, /page=2/);
    const smiths = await ok(registrar, 'GET', `${R}?query.LastName=Smith`);
    assert.equal(smiths.count, 3);
    const none = await ok(registrar, 'GET', `${R}?search=Zzz`);
    assert.deepEqual(none, { count: 0, results: [] });
  });

  it('says whether a record exists (exists)', async () => {
    const yes = await ok(registrar, 'POST', `${R}/exists`, { query: { content: { id: 'EE378129127223' } } });
    assertConforms('/data/{registryName}/{versionNumber}/exists', 'post', 200, yes);
    assert.equal(yes.answer.status, true);
    assert.equal((await ok(registrar, 'POST', `${R}/exists`, { query: { content: { id: 'EE000' } } })).answer.status, false);
  });

  it('reads one value of a record (readValue)', async () => {
    const body = await ok(registrar, 'GET', `${R}/80bcb6ec-fa17-11ed-be56-0242ac120002/readValue/FirstName.json`);
    assertConforms('/data/{registryName}/{versionNumber}/{uuid}/readValue/{field}.{ext}', 'get', 200, body);
    assert.deepEqual(body, { value: 'Eva' });
  });
});

describe('writing', () => {
  it('creates, updates, updates entries, updates or creates, and deletes', async () => {
    const created = await ok(registrar, 'POST', `${R}/create`, { write: { content: { id: 'DJ-2000-000001', FirstName: 'Hibo', LastName: 'Aden', BirthCertificateID: 'RR-0000000001' } } });
    assertConforms('/data/{registryName}/{versionNumber}/create', 'post', 200, created);
    const updated = await ok(registrar, 'PUT', `${R}/update`, { query: { content: { id: 'DJ-2000-000001' } }, write: { content: { LastName: 'Elmi' } } });
    assert.equal(updated.content.LastName, 'Elmi');
    assert.equal(updated.content.uuid, created.content.uuid);
    const entries = await ok(registrar, 'PUT', `${R}/updateEntries`, { query: { content: { LastName: 'Elmi' } }, write: { content: { BirthCertificateID: 'RR-0000000002' } } });
    assert.deepEqual(entries, { count: 1 });
    const upserted = await ok(registrar, 'POST', `${R}/updateOrCreate`, { query: { content: { id: 'DJ-2000-000002' } }, write: { content: { id: 'DJ-2000-000002', FirstName: 'Ilyas' } } });
    assertConforms('/data/{registryName}/{versionNumber}/updateOrCreate', 'post', 200, upserted);
    assert.notEqual(upserted.content.uuid, created.content.uuid);
    const deleted = await send(registrar, 'DELETE', `${R}/${created.content.uuid}/delete`);
    assert.equal(deleted.statusCode, 204, deleted.body);
    assertProblem(await send(registrar, 'POST', `${R}/read`, { query: { content: { uuid: created.content.uuid } } }), 404);
  });

  it('refuses a record that does not fit the schema, pointing into write.content', async () => {
    const problem = assertProblem(await send(registrar, 'POST', `${R}/create`, { write: { content: { FirstName: 'Nobody', Shoe: 42 } } }), 400);
    assert.deepEqual(problem.errors?.map((e) => e.pointer).sort(), ['/body/write/content/Shoe', '/body/write/content/id']);
  });
});

describe('who used my data (myPersonalDataUsage)', () => {
  it('lists the earlier reads of the test data and the reads made here, for the person themselves', async () => {
    const userId = 'EE378129277266';
    await createUser(app.database.db, { username: 'john.bon', displayName: 'John Bon', password: DEMO_PASSWORD, party: { kind: 'person', nationalId: userId } });
    const john = await signIn(app, 'john.bon', DEMO_PASSWORD);
    await ok(registrar, 'POST', `${R}/read`, { query: { content: { id: userId } } });
    for (const path of ['/data/myPersonalDataUsage', '/data/mypersonalDataUsage', '/data/MyPersonalDataUsage/1.0']) {
      const uses = await ok(john, 'GET', `${P}${path}?userId=${userId}&databaseId=${data.registries.databaseID}`);
      assertConforms('/data/mypersonalDataUsage', 'get', 200, uses);
      assert.deepEqual(new Set(uses.map((u: { readerInstitutionName: string }) => u.readerInstitutionName)), new Set(['Civil Registry', 'East Hospital']));
      const ours = uses[0];
      assert.equal(ours.readerInitials, 'SI');
      assert.equal(ours.readerApplicationName, data.informationMediatorClientHeader.value);
    }
    assertProblem(await send(john, 'GET', `${P}/data/myPersonalDataUsage?userId=EE378129127223&databaseId=MCTS`), 403);
    assertProblem(await send(john, 'GET', `${P}/data/myPersonalDataUsage?userId=...&databaseId=MCTS`), 400);
    assertProblem(await send(john, 'GET', `${P}/data/myPersonalDataUsage?userId=${userId}&databaseId=...`), 400);
  });
});

describe('the demo registries', () => {
  it('are served at their code and version, with the fields the caller may read', async () => {
    const body = await ok(headUrban, 'GET', `${P}/data/land-parcels/1.0?query.parcelNumber=DJ-PAR-0000001`);
    assertConforms('/data/{registryName}/{versionNumber}', 'get', 200, body);
    assert.equal(body.results[0].ownerNationalId, 'DJ-1985-000123');
    assert.equal(body.results[0].titleDeedNumber, 'TF-010000');
  });

  it('refuse callers without rights, unknown registries and versions', async () => {
    assertProblem(await send(null, 'POST', `${R}/read`, { query: { content: { FirstName: 'Eva' } } }), 401);
    assertProblem(await send(fire, 'POST', `${R}/read`, { query: { content: { FirstName: 'Eva' } } }), 403);
    assertProblem(await send(registrar, 'POST', `${P}/data/no-such-registry/1/read`, { query: { content: { FirstName: 'Eva' } } }), 404);
    assertProblem(await send(registrar, 'POST', `${P}/data/${data.registries.registryname}/7/read`, { query: { content: { FirstName: 'Eva' } } }), 404);
    assertProblem(await send(headUrban, 'GET', `${P}/data/land-parcels/1?query.nowhere=1`), 400);
  });
});
