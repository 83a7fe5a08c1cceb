import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { asSession, signInDemo, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/http.ts';
import { findUserByLogin, principalForUser } from '../identity/index.ts';
import { AMINA, dataUsesOf, readRecord, searchRecords, writeRecord } from './index.ts';

let app: TestApp;
let admin: Session;
let headUrban: Session;
let permits: Session;
let fire: Session;
let amina: Session;

before(async () => {
  app = await startTestApp();
  [admin, headUrban, permits, fire, amina] = await signInDemo(app, 'admin', 'head.urban', 'officer.permits', 'officer.fire', 'amina');
});
after(() => app.stop());

async function call(session: Session | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return app.app.inject({ method, url, headers: session ? asSession(session) : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function parcel(number: string): Promise<{ id: string; version: number; data: Record<string, unknown> }> {
  const response = await call(headUrban, 'GET', `/api/registries/land-parcels/records?match=parcelNumber:${number}&reason=${encodeURIComponent('Test lookup of a parcel')}`);
  assert.equal(response.statusCode, 200, response.body);
  const [record] = response.json<{ records: { id: string; version: number; data: Record<string, unknown> }[] }>().records;
  assert.ok(record, `parcel ${number} exists`);
  return record;
}

const VEHICLES = {
  code: 'vehicles',
  agency: 'transport',
  names: { en: 'Vehicles', fr: 'Véhicules', ar: 'المركبات', sw: 'Magari', ru: 'Транспортные средства', tg: 'Воситаҳои нақлиёт' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['plate', 'ownerNationalId'],
    properties: { plate: { type: 'string', pattern: '^[0-9]{1,6} [A-Z]$' }, ownerNationalId: { type: 'string' }, year: { type: 'integer', minimum: 1900 } },
  },
  key: 'plate',
  searchable: ['plate', 'ownerNationalId'],
  personal: true,
  personField: 'ownerNationalId',
  access: [{ role: 'officer', agency: 'transport', read: '*', write: '*' }],
};

describe('a registry defined at run time', () => {
  it('is usable at once, without a restart: records are written, read and searched', async () => {
    const defined = await call(admin, 'PUT', '/api/registries/vehicles', VEHICLES);
    assert.equal(defined.statusCode, 201, defined.body);
    assert.deepEqual(defined.json(), { code: 'vehicles', version: 1, changed: true });
    const created = await call(admin, 'POST', '/api/registries/vehicles/records', { data: { plate: '1234 A', ownerNationalId: AMINA.nationalId, year: 2015 }, reason: 'Registering a vehicle' });
    assert.equal(created.statusCode, 201, created.body);
    const record = created.json<{ id: string; version: number; schemaVersion: number }>();
    assert.equal(record.version, 1);
    assert.equal(record.schemaVersion, 1);
    const read = await call(admin, 'GET', `/api/registries/vehicles/records/${record.id}?reason=Checking`);
    assert.deepEqual(read.json<{ data: unknown }>().data, { plate: '1234 A', ownerNationalId: AMINA.nationalId, year: 2015 });
    const found = await call(admin, 'GET', `/api/registries/vehicles/records?prefix=plate:1234&reason=Checking`);
    assert.equal(found.json<{ records: unknown[] }>().records.length, 1);
  });

  it('saving the same definition again changes nothing', async () => {
    const again = await call(admin, 'PUT', '/api/registries/vehicles', VEHICLES);
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), { code: 'vehicles', version: 1, changed: false });
  });

  it('a new schema version applies to new writes; records written before stay as they were', async () => {
    const withColour = { ...VEHICLES, schema: { ...VEHICLES.schema, required: [...VEHICLES.schema.required, 'colour'], properties: { ...VEHICLES.schema.properties, colour: { type: 'string' } } } };
    const saved = await call(admin, 'PUT', '/api/registries/vehicles', withColour);
    assert.deepEqual(saved.json(), { code: 'vehicles', version: 2, changed: true });
    const old = (await call(admin, 'GET', `/api/registries/vehicles/records?match=plate:${encodeURIComponent('1234 A')}&reason=Checking`)).json<{ records: { schemaVersion: number; data: Record<string, unknown> }[] }>().records[0]!;
    assert.equal(old.schemaVersion, 1, 'the old record keeps its version');
    const refused = assertProblem(await call(admin, 'POST', '/api/registries/vehicles/records', { data: { plate: '77 B', ownerNationalId: AMINA.nationalId }, reason: 'Registering a vehicle' }), 400);
    assert.deepEqual(refused.errors?.map((e) => e.pointer), ['/body/data/colour']);
    const accepted = await call(admin, 'POST', '/api/registries/vehicles/records', { data: { plate: '77 B', ownerNationalId: AMINA.nationalId, colour: 'blue' }, reason: 'Registering a vehicle' });
    assert.equal(accepted.json<{ schemaVersion: number }>().schemaVersion, 2);
    const versions = (await call(admin, 'GET', '/api/registries/vehicles')).json<{ versions: { version: number }[] }>().versions;
    assert.deepEqual(versions.map((v) => v.version), [2, 1]);
  });

  it('refuses a definition with every problem at once, each with its JSON pointer', async () => {
    const bad = { ...VEHICLES, code: 'boats', schema: { type: 'object', properties: { hull: { type: 'string' }, 'bad name': { type: 'string' } } }, searchable: ['name'], key: 'hull', access: [{ role: 'officer', agency: 'nowhere', read: ['hull'] }] };
    const problem = assertProblem(await call(admin, 'PUT', '/api/registries/boats', bad), 400);
    const pointers = problem.errors!.map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/body/access/0/agency', '/body/key', '/body/personField', '/body/schema/additionalProperties', '/body/schema/properties/bad name', '/body/searchable/0'].sort());
    assert.equal((await call(admin, 'GET', '/api/registries/boats')).statusCode, 404, 'nothing was created');
  });

  it('only an administrator defines registries', async () => {
    assertProblem(await call(headUrban, 'PUT', '/api/registries/vehicles', VEHICLES), 403);
  });
});

describe('records are checked against the schema', () => {
  it('a record that does not fit is refused as problem+json, with a pointer to each field', async () => {
    const problem = assertProblem(
      await call(headUrban, 'POST', '/api/registries/land-parcels/records', { data: { parcelNumber: 'PAR-1', ownerNationalId: AMINA.nationalId, ownerName: 'Amina Said', zone: 'Z9', areaM2: -4, latitude: 11.6, longitude: 43.1, titleDeedNumber: 'TF-000001' }, reason: 'New parcel' }),
      400,
    );
    assert.deepEqual(problem.errors!.map((e) => e.pointer).sort(), ['/body/data/areaM2', '/body/data/parcelNumber', '/body/data/zone']);
  });

  it('a second record with the same key is a conflict', async () => {
    const existing = await parcel('DJ-PAR-0000001');
    const problem = assertProblem(await call(headUrban, 'POST', '/api/registries/land-parcels/records', { data: existing.data, reason: 'New parcel' }), 409);
    assert.match(problem.detail, /parcelNumber/);
  });

  it('a personal record is not read or written without saying why', async () => {
    const existing = await parcel('DJ-PAR-0000002');
    const problem = assertProblem(await call(headUrban, 'GET', `/api/registries/land-parcels/records/${existing.id}`), 400);
    assert.equal(problem.errors?.[0]?.pointer, '/query/reason');
  });
});

describe('who may read and write which fields', () => {
  it('the permits officer reads owner, zone and area of a parcel, not its position or title deed', async () => {
    const { id } = await parcel('DJ-PAR-0000003');
    const read = await call(permits, 'GET', `/api/registries/land-parcels/records/${id}?reason=Permit+check&service=construction-permit`);
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(Object.keys(read.json<{ data: object }>().data).sort(), ['areaM2', 'ownerName', 'ownerNationalId', 'parcelNumber', 'zone']);
    const full = await call(headUrban, 'GET', `/api/registries/land-parcels/records/${id}?reason=Checking`);
    assert.ok('titleDeedNumber' in full.json<{ data: object }>().data, 'the ministry sees every field');
  });

  it('the permits officer may not change a parcel, nor search by a field hidden from them', async () => {
    const { id, version } = await parcel('DJ-PAR-0000004');
    assertProblem(await call(permits, 'PATCH', `/api/registries/land-parcels/records/${id}`, { version, data: { zone: 'C1' }, reason: 'Rezoning' }), 403);
    assertProblem(await call(permits, 'GET', '/api/registries/land-parcels/records?match=titleDeedNumber:TF-010003&reason=Looking'), 403);
  });

  it('an officer of an agency without a rule may not read the registry at all', async () => {
    const { id } = await parcel('DJ-PAR-0000005');
    assertProblem(await call(fire, 'GET', `/api/registries/land-parcels/records/${id}?reason=Inspection`), 403);
    assertProblem(await call(amina, 'GET', `/api/registries/land-parcels/records/${id}?reason=Curious`), 403);
  });

  it('lists each registry with the fields the caller may read and write', async () => {
    const list = (await call(permits, 'GET', '/api/registries')).json<{ code: string; read: string[]; write: string[] }[]>();
    const parcels = list.find((r) => r.code === 'land-parcels')!;
    assert.deepEqual(parcels.write, []);
    assert.ok(!parcels.read.includes('titleDeedNumber'));
    assert.ok(!list.some((r) => r.code === 'businesses'), 'registries they may not read are not listed');
  });
});

describe('changes from the version last read', () => {
  it('the second of two changes made from the same version is refused with 409, and nothing of it is kept', async () => {
    const { id, version } = await parcel('DJ-PAR-0000006');
    const first = await call(headUrban, 'PATCH', `/api/registries/land-parcels/records/${id}`, { version, data: { zone: 'C1' }, reason: 'Rezoning' });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json<{ version: number }>().version, version + 1);
    const second = assertProblem(await call(headUrban, 'PATCH', `/api/registries/land-parcels/records/${id}`, { version, data: { zone: 'I1' }, reason: 'Rezoning' }), 409);
    assert.match(second.detail, /version/);
    assert.equal((await parcel('DJ-PAR-0000006')).data.zone, 'C1');
  });

  it('keeps every version in the record history', async () => {
    const { id } = await parcel('DJ-PAR-0000006');
    const history = (await call(headUrban, 'GET', `/api/registries/land-parcels/records/${id}/history?reason=Audit`)).json<{ version: number; data: { zone: string } }[]>();
    assert.deepEqual(history.map((v) => v.version), [2, 1]);
    assert.equal(history[0]!.data.zone, 'C1');
  });

  it('a deleted record is kept with its reason, and no longer found', async () => {
    const { id } = await parcel('DJ-PAR-0000007');
    assert.equal((await call(headUrban, 'DELETE', `/api/registries/land-parcels/records/${id}`, { reason: 'Merged into DJ-PAR-0000008' })).statusCode, 204);
    assertProblem(await call(headUrban, 'GET', `/api/registries/land-parcels/records/${id}?reason=Checking`), 404);
    const kept = await sql<{ delete_reason: string }>`SELECT delete_reason FROM registries_records WHERE id = ${id}`.execute(app.database.db);
    assert.equal(kept.rows[0]?.delete_reason, 'Merged into DJ-PAR-0000008');
  });
});

describe('every use of personal data is logged for the person', () => {
  it('a read through the API names the agency, the service, the case and the reason, and the fields read', async () => {
    const { id } = await parcel('DJ-PAR-0000002');
    await call(permits, 'GET', `/api/registries/land-parcels/records/${id}?reason=${encodeURIComponent('Permit check')}&service=construction-permit&caseId=case-42`);
    const [latest] = await dataUsesOf(app.database.db, AMINA.nationalId);
    assert.equal(latest?.action, 'read');
    assert.equal(latest?.recordRef, id);
    assert.equal(latest?.service, 'construction-permit');
    assert.equal(latest?.caseId, 'case-42');
    assert.equal(latest?.reason, 'Permit check');
    assert.deepEqual([...latest!.fields].sort(), ['areaM2', 'ownerName', 'ownerNationalId', 'parcelNumber', 'zone']);
    const agency = await sql<{ code: string }>`SELECT code FROM identity_agencies WHERE id = ${latest!.agencyId}`.execute(app.database.db);
    assert.equal(agency.rows[0]?.code, 'urban-permits');
  });

  it('readRecord, for the mediator and prefill, logs in the same call, with the fields it names', async () => {
    const db = app.database.db;
    const before = (await dataUsesOf(db, AMINA.nationalId)).length;
    const urban = await sql<{ id: string }>`SELECT id FROM identity_agencies WHERE code = 'urban-permits'`.execute(db);
    const reader = { actor: { type: 'system' as const, id: null, name: 'mediator' }, agencyId: urban.rows[0]!.id, via: 'DJ/GOV/urban-permits/permits' };
    const record = await readRecord(db, { registry: 'land-parcels', match: { parcelNumber: 'DJ-PAR-0000001' }, fields: ['zone', 'areaM2'], reader, purpose: { service: 'construction-permit', caseId: 'case-7', reason: 'Prefill' } });
    assert.deepEqual(Object.keys(record!.data).sort(), ['areaM2', 'zone']);
    const uses = await dataUsesOf(db, AMINA.nationalId);
    assert.equal(uses.length, before + 1);
    assert.equal(uses[0]!.via, 'DJ/GOV/urban-permits/permits');
    assert.equal(await readRecord(db, { registry: 'land-parcels', match: { parcelNumber: 'DJ-PAR-9999999' }, fields: ['zone'], reader, purpose: { reason: 'Prefill' } }), undefined);
    assert.equal((await dataUsesOf(db, AMINA.nationalId)).length, before + 1, 'nothing read, nothing logged');
  });

  it('a search logs each record it returns; writes are logged too', async () => {
    const db = app.database.db;
    const officer = await principalForUser(db, (await findUserByLogin(db, 'head.urban'))!.id, null);
    const reader = { actor: { type: 'user' as const, id: officer!.id, name: officer!.displayName }, agencyId: null, principal: officer! };
    const before = (await dataUsesOf(db, AMINA.nationalId)).length;
    const { records } = await searchRecords(db, { registry: 'land-parcels', filter: { match: { ownerNationalId: AMINA.nationalId } }, page: { limit: 10 }, reader, purpose: { reason: 'Parcels of a person' } });
    assert.ok(records.length >= 2);
    await writeRecord(db, { registry: 'land-parcels', id: records[0]!.id, data: { areaM2: 512.5 }, writer: reader, purpose: { reason: 'Survey' } });
    const uses = await dataUsesOf(db, AMINA.nationalId);
    assert.equal(uses.length, before + records.length + 1);
    assert.equal(uses[0]!.action, 'update');
    assert.deepEqual(uses[0]!.fields, ['areaM2']);
  });

  it('a refused read leaves no trace', async () => {
    const before = (await dataUsesOf(app.database.db, AMINA.nationalId)).length;
    const { id } = await parcel('DJ-PAR-0000002');
    const after = (await dataUsesOf(app.database.db, AMINA.nationalId)).length;
    await call(fire, 'GET', `/api/registries/land-parcels/records/${id}?reason=Inspection`);
    assert.equal((await dataUsesOf(app.database.db, AMINA.nationalId)).length, after);
    assert.equal(after, before + 1, 'the lookup itself was logged');
  });
});
