/**
 * Who may call each route of the registries: the native API, the GovStack Digital Registries API
 * and the admin pages. The record is Amina's business in the business register, which the Ministry
 * of Trade owns (its officers and head read and write every field) and whose trade name, category
 * and address the fire service reads for inspections.
 */
import { sql } from 'kysely';
import { PERMISSION_TABLES } from '../../../test/support/permission-coverage.ts';
import { permissionTable, type Row } from '../../../test/support/permission-table.ts';
import type { RegistrationFixtures } from '../../../test/support/registration-fixtures.ts';
import { SYSTEM_ACTOR } from '../audit/index.ts';
import { BUSINESSES_REGISTER } from './demo.ts';
import { GOVSTACK_REGISTRIES as G } from './govstack/routes.ts';
import { writeRecord } from './records.ts';

const B = '/api/registries/businesses';
const GB = `${G}/data/businesses/1.0`;
const AMINAS = 'DJ-RCS-000001';
const REASON = 'reason=Checking+the+business';
let serial = 900000;

async function aminasBusiness(f: RegistrationFixtures): Promise<{ id: string; version: number }> {
  const result = await sql<{ id: string; version: number }>`
    SELECT r.id, r.version FROM registries_records r JOIN registries_registries g ON g.id = r.registry_id
    WHERE g.code = 'businesses' AND r.data->>'registrationNumber' = ${AMINAS} AND r.deleted_at IS NULL`.execute(f.app.database.db);
  return result.rows[0]!;
}

/** A business of Amina's of its own, for calls that delete one. */
async function freshBusiness(f: RegistrationFixtures): Promise<string> {
  const data = { registrationNumber: `DJ-RCS-${++serial}`, tradeName: 'Café Ménélik', ownerNationalId: 'DJ-1985-000123', category: 'food', address: 'Place Ménélik 5, Djibouti' };
  const { record } = await writeRecord(f.app.database.db, { registry: 'businesses', data, writer: { actor: SYSTEM_ACTOR, agencyId: null }, purpose: { reason: 'Test fixture' } });
  return record.id;
}

const newBusiness = () => ({ registrationNumber: `DJ-RCS-${++serial}`, tradeName: 'Boutique Test', ownerNationalId: 'DJ-1985-000123', category: 'retail', address: 'Rue de Rome 1, Djibouti' });

/** An import of two businesses, started by the trade officer. */
async function officersImport(f: RegistrationFixtures): Promise<string> {
  const csv = `registrationNumber,tradeName,ownerNationalId,category,address\nDJ-RCS-${++serial},Atelier A,DJ-1985-000123,crafts,Rue 1\n`;
  const response = await f.app.app.inject({ method: 'POST', url: `${B}/imports`, headers: { ...f.headersOf('officer.trade'), 'content-type': 'text/csv' }, payload: csv });
  return response.json<{ id: string }>().id;
}

const csvFile = () => `registrationNumber,tradeName,ownerNationalId,category,address\nDJ-RCS-${++serial},Atelier B,DJ-1985-000123,crafts,Rue 2\n`;
const SIGNED_IN = 'signed-in';

// prettier-ignore
const ROWS: Row[] = [
  //                                                                                  anon owner other officer agency head admin client
  { route: 'GET /api/registries', access: SIGNED_IN,                               expect: [401, 200, 200, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/api/registries' }) },
  { route: 'GET /api/registries/:code', access: SIGNED_IN,                        expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: B }) },
  { route: 'PUT /api/registries/:code', access: 'roles: admin',                   expect: [401, 403, 403, 403, 403, 403, 200, 403], call: () => ({ method: 'PUT', url: B, json: BUSINESSES_REGISTER }) },
  { route: 'GET /api/registries/:code/records', access: SIGNED_IN,                expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${B}/records?match=registrationNumber:${AMINAS}&${REASON}` }) },
  { route: 'POST /api/registries/:code/records', access: SIGNED_IN,               expect: [401, 403, 403, 201, 403, 201, 201, 201], call: () => ({ method: 'POST', url: `${B}/records`, json: { data: newBusiness(), reason: 'Registering a business' } }) },
  { route: 'GET /api/registries/:code/records/:id', access: SIGNED_IN,           expect: [401, 403, 403, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `${B}/records/${(await aminasBusiness(f)).id}?${REASON}` }) },
  {
    route: 'PATCH /api/registries/:code/records/:id', access: SIGNED_IN, what: 'the fire service reads the business, but may not change it',
                                                                                   expect: [401, 403, 403, 200, 403, 200, 200, 200],
    call: async (f) => {
      const { id, version } = await aminasBusiness(f);
      return { method: 'PATCH', url: `${B}/records/${id}`, json: { version, data: { employees: version }, reason: 'Updating the staff count' } };
    },
  },
  { route: 'DELETE /api/registries/:code/records/:id', access: SIGNED_IN,        expect: [401, 403, 403, 204, 403, 204, 204, 204], call: async (f) => ({ method: 'DELETE', url: `${B}/records/${await freshBusiness(f)}`, json: { reason: 'Closed down' } }) },
  { route: 'GET /api/registries/:code/records/:id/history', access: SIGNED_IN,   expect: [401, 403, 403, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `${B}/records/${(await aminasBusiness(f)).id}/history?${REASON}` }) },
  { route: 'POST /api/registries/:code/imports', access: SIGNED_IN,               expect: [401, 403, 403, 202, 403, 202, 202, 202], call: () => ({ method: 'POST', url: `${B}/imports`, headers: { 'content-type': 'text/csv' }, json: csvFile() }) },
  { route: 'GET /api/registries/imports/:id', access: SIGNED_IN, what: "the trade officer's import: the registry's writers see it",
                                                                                   expect: [401, 404, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/api/registries/imports/${await officersImport(f)}` }) },

  { route: `GET ${G}/data/:registryName/:versionNumber`, access: SIGNED_IN,      expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: `${GB}?query.registrationNumber=${AMINAS}` }) },
  { route: `POST ${G}/data/:registryName/:versionNumber/create`, access: SIGNED_IN, expect: [401, 403, 403, 200, 403, 200, 200, 200], call: () => ({ method: 'POST', url: `${GB}/create`, json: { write: { content: newBusiness() } } }) },
  { route: `POST ${G}/data/:registryName/:versionNumber/exists`, access: SIGNED_IN, expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'POST', url: `${GB}/exists`, json: { query: { content: { registrationNumber: AMINAS } } } }) },
  { route: `POST ${G}/data/:registryName/:versionNumber/read`, access: SIGNED_IN, expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'POST', url: `${GB}/read`, json: { query: { content: { registrationNumber: AMINAS } } } }) },
  { route: `PUT ${G}/data/:registryName/:versionNumber/update`, access: SIGNED_IN, expect: [401, 403, 403, 200, 403, 200, 200, 200], call: () => ({ method: 'PUT', url: `${GB}/update`, json: { query: { content: { registrationNumber: AMINAS } }, write: { content: { employees: 3 } } } }) },
  { route: `PUT ${G}/data/:registryName/:versionNumber/updateEntries`, access: SIGNED_IN, expect: [401, 403, 403, 200, 403, 200, 200, 200], call: () => ({ method: 'PUT', url: `${GB}/updateEntries`, json: { query: { content: { registrationNumber: AMINAS } }, write: { content: { employees: 4 } } } }) },
  { route: `POST ${G}/data/:registryName/:versionNumber/updateOrCreate`, access: SIGNED_IN, expect: [401, 403, 403, 200, 403, 200, 200, 200], call: () => ({ method: 'POST', url: `${GB}/updateOrCreate`, json: { query: { content: { registrationNumber: AMINAS } }, write: { content: { employees: 5 } } } }) },
  { route: `DELETE ${G}/data/:registryName/:versionNumber/:id/delete`, access: SIGNED_IN, expect: [401, 403, 403, 204, 403, 204, 204, 204], call: async (f) => ({ method: 'DELETE', url: `${GB}/${await freshBusiness(f)}/delete` }) },
  { route: `GET ${G}/data/:registryName/:versionNumber/:id/readValue/:field.:ext`, access: SIGNED_IN, expect: [401, 403, 403, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `${GB}/${(await aminasBusiness(f)).id}/readValue/tradeName.json` }) },
  ...['/data/myPersonalDataUsage', '/data/mypersonalDataUsage', '/data/MyPersonalDataUsage/1.0'].map((path): Row => (
    { route: `GET ${G}${path}`, access: SIGNED_IN, what: "Amina's: only she may see it", expect: [401, 200, 403, 403, 403, 403, 403, 403], call: () => ({ method: 'GET', url: `${G}${path}?userId=DJ-1985-000123&databaseId=businesses` }) }
  )),

  { route: 'GET /admin/registries', access: SIGNED_IN,                             expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/admin/registries' }) },
  { route: 'GET /admin/registries/new', access: 'roles: admin',                    expect: [401, 403, 403, 403, 403, 403, 200, 403], call: () => ({ method: 'GET', url: '/admin/registries/new' }) },
  { route: 'GET /admin/registries/:code/definition', access: 'roles: admin',      expect: [401, 403, 403, 403, 403, 403, 200, 403], call: () => ({ method: 'GET', url: '/admin/registries/businesses/definition' }) },
  { route: 'POST /admin/registries/definitions', access: 'roles: admin',           expect: [401, 403, 403, 403, 403, 403, 303, 403], call: () => ({ method: 'POST', url: '/admin/registries/definitions', multipart: [{ name: 'definition', content: JSON.stringify(BUSINESSES_REGISTER) }] }) },
  { route: 'GET /admin/registries/:code', access: SIGNED_IN,                      expect: [401, 403, 403, 200, 200, 200, 200, 200], call: () => ({ method: 'GET', url: '/admin/registries/businesses' }) },
  { route: 'GET /admin/registries/:code/records/:id', access: SIGNED_IN,         expect: [401, 403, 403, 200, 200, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/admin/registries/businesses/records/${(await aminasBusiness(f)).id}` }) },
  { route: 'GET /admin/registries/:code/import', access: SIGNED_IN,               expect: [401, 403, 403, 200, 403, 200, 200, 200], call: () => ({ method: 'GET', url: '/admin/registries/businesses/import' }) },
  { route: 'POST /admin/registries/:code/imports', access: SIGNED_IN,             expect: [401, 403, 403, 303, 403, 303, 303, 403], call: () => ({ method: 'POST', url: '/admin/registries/businesses/imports', multipart: [{ name: 'file', fileName: 'businesses.csv', content: csvFile() }] }) },
  { route: 'GET /admin/registries/:code/imports/:id', access: SIGNED_IN,         expect: [401, 404, 404, 200, 404, 200, 200, 200], call: async (f) => ({ method: 'GET', url: `/admin/registries/businesses/imports/${await officersImport(f)}` }) },
];

permissionTable({ covers: PERMISSION_TABLES['src/blocks/registries/routes.scopes.test.ts'], rows: ROWS });
