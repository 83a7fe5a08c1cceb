import type { Logger } from 'pino';
import type { Db } from '../../platform/db/database.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { registryPages } from '../../web/pages/registry-pages.tsx';
import { govstackRegistriesRoutes } from './govstack/routes.ts';
import { IMPORT_TASK, importRunner } from './imports.ts';
import { readRecord, searchRecords, writeRecord, type ReadInput, type RecordView, type SearchInput, type SearchResult, type WriteInput } from './records.ts';
import { registriesApi } from './routes.ts';
import { dataUsesOf, type DataUse } from './store.ts';

export { registriesMigrations } from './migrations/index.ts';
export { defineRegistry } from './define-registry.ts';
export { checkDefinition, factsOf, RegistryDefinitionSchema, type RegistryDefinition } from './definition.ts';
export { fieldRights, canSeeRegistry, type FieldRights } from './field-access.ts';
export { readRecord, searchRecords, writeRecord, deleteRecord, recordExists, readerOf, type Reader, type Purpose, type RecordView, type ReadInput, type SearchInput, type SearchResult, type WriteInput } from './records.ts';
export { dataUsesOf, dataUseSummary, findRegistry, listRegistries, type DataUse, type DataUseSummary, type Registry, type RecordData } from './store.ts';
export { importStatus, queueImport, IMPORT_TASK, IMPORT_MODES, MAX_IMPORT_ROWS, type ImportStatus, type ImportMode, type ImportFormat, type RowError } from './imports.ts';
export { seedDemoRegistries, demoParcels, demoPeople, AMINA, OMAR, LAND_PARCELS, CIVIL_REGISTER, BUSINESSES_REGISTER } from './demo.ts';
export { loadGovStackTestData } from './govstack/test-data.ts';
export { GOVSTACK_REGISTRIES } from './govstack/routes.ts';

export interface RegistriesDeps {
  db: Db;
  jobs: JobQueue;
  log: Logger;
  baseUrl: string;
}

/** The registries block bound to the platform's database: what the mediator and form prefill call. */
export interface Registries {
  /** Read one record (by id or matching fields), logged for the person it is about. */
  read(input: ReadInput): Promise<RecordView | undefined>;
  /** Search a registry; every record returned is logged as read. */
  search(input: SearchInput): Promise<SearchResult>;
  /** Create or update a record, validated, audited and logged. */
  write(input: WriteInput): Promise<{ record: RecordView; created: boolean }>;
  /** Every use of a person's data, newest first. */
  dataUsesOf(nationalId: string): Promise<DataUse[]>;
}

/** Registers the import job, so build it once per job queue. */
export function createRegistries(deps: RegistriesDeps): Registries {
  deps.jobs.register(IMPORT_TASK, importRunner(deps.db));
  return {
    read: (input) => readRecord(deps.db, input),
    search: (input) => searchRecords(deps.db, input),
    write: (input) => writeRecord(deps.db, input),
    dataUsesOf: (nationalId) => dataUsesOf(deps.db, nationalId),
  };
}

export function registriesRoutes(deps: RegistriesDeps & { registries: Registries; oidcLabel: string | null }) {
  return async (app: App) => {
    await app.register(registriesApi(deps.db, deps.jobs));
    await app.register(govstackRegistriesRoutes(deps.db));
    await app.register(registryPages({ db: deps.db, jobs: deps.jobs, oidcLabel: deps.oidcLabel }));
  };
}
