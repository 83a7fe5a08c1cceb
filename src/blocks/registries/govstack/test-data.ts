import fs from 'node:fs';
import type { Db } from '../../../platform/db/database.ts';
import { SYSTEM_ACTOR } from '../../audit/index.ts';
import { defineRegistry } from '../define-registry.ts';
import type { RegistryDefinition } from '../definition.ts';
import { writeRecord } from '../records.ts';
import { findRecord, findRegistry, logAccess, type AccessEntry } from '../store.ts';

/**
 * GovStack's compliance test data (spec/test-data.json): one registry, `registryname` version
 * 111 (database `MCTS`), its people, and for some of them who read their data before. Loading it
 * twice adds nothing: records keep the test data's uuids.
 */
const SPEC_DIR = new URL('./spec/', import.meta.url);

export function readSpecFile<T = any>(name: string): T {
  return JSON.parse(fs.readFileSync(new URL(name, SPEC_DIR), 'utf8')) as T;
}

interface PersonalDataEntry {
  ID: string;
  ReaderID: string;
  ReaderInitials: string;
  ReaderInstitutionID: string;
  ReaderInstitutionName: string;
  ReaderApplicationName: string;
  SearchDateTime: string;
  Refrences: { ReferenceID: string }[];
}

export interface RegistriesTestData {
  informationMediatorClientHeader: { key: string; value: string };
  registries: {
    registryname: string;
    versionnumber: string;
    databaseID: string;
    records: { uuid: string; id: string; FirstName: string; LastName: string; BirthCertificateID: string; PersonalData: PersonalDataEntry[] }[];
  };
}

export function testDataDefinition(data: RegistriesTestData): RegistryDefinition {
  const field = { type: 'string', minLength: 1, maxLength: 100 };
  return {
    code: data.registries.registryname,
    agency: 'civil-registry',
    names: { en: 'GovStack test registry', fr: 'Registre de test GovStack', ar: 'سجل اختبار GovStack', sw: 'Daftari la majaribio la GovStack', ru: 'Тестовый реестр GovStack', tg: 'Феҳристи озмоишии GovStack' },
    version: Number(data.registries.versionnumber),
    databaseId: data.registries.databaseID,
    schema: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: field, FirstName: field, LastName: field, BirthCertificateID: field } },
    // The test data has two people with the same id: no key.
    key: null,
    searchable: ['id', 'FirstName', 'LastName', 'BirthCertificateID'],
    personal: true,
    personField: 'id',
    access: [{ role: 'officer', agency: 'civil-registry', read: '*', write: '*' }],
  };
}

export async function loadGovStackTestData(db: Db): Promise<{ registry: string; records: number; uses: number }> {
  const data = readSpecFile<RegistriesTestData>('test-data.json');
  const registry = (await findRegistry(db, data.registries.registryname)) ?? (await defineRegistry(db, testDataDefinition(data), { actor: SYSTEM_ACTOR, requestId: 'govstack-test-data' })).registry;
  const writer = { actor: SYSTEM_ACTOR, agencyId: registry.agencyId };
  let records = 0;
  let uses = 0;
  for (const { uuid, PersonalData, ...fields } of data.registries.records) {
    if (await findRecord(db, registry, uuid)) continue;
    await db.transaction().execute(async (trx) => {
      await writeRecord(trx, { registry, newId: uuid, data: fields, writer, purpose: { reason: 'GovStack test data' }, requestId: 'govstack-test-data' });
      const earlier: AccessEntry[] = PersonalData.map((use) => ({
        registryId: registry.id,
        recordRef: use.Refrences[0]?.ReferenceID ?? uuid,
        personId: fields.id,
        action: 'read',
        fields: [],
        actor: { type: 'external', id: use.ReaderID, name: use.ReaderInitials },
        agencyId: null,
        organisation: { id: use.ReaderInstitutionID, name: use.ReaderInstitutionName },
        via: use.ReaderApplicationName,
        reason: 'Read before the record came to Daftari (GovStack test data)',
        at: new Date(use.SearchDateTime),
      }));
      await logAccess(trx, earlier);
      uses += earlier.length;
    });
    records += 1;
  }
  return { registry: registry.code, records, uses };
}
