export { catalogueMigrations } from './migrations/index.ts';
export { catalogueRoutes, digitisationTable, historyTable, historyPeriod, monthsBefore, MAX_HISTORY_MONTHS, searchServices, agencyIndex, SearchQuery, registerAsCsv, wholeRegister, type DigitisationHistoryRow } from './routes.ts';
export { CHANNELS, LIFE_EVENTS, STATUSES, checkServiceRecord, pick, type ServiceRecord, type LocalizedText, type DigitisationStatus } from './service-record.ts';
export { findServiceByCode, findServices, upsertService, type StoredService } from './store.ts';
export { validateImport, applyImport, agencyCodes, ImportRefused, MAX_IMPORT_ROWS, type RowError } from './import-services.ts';
export { importStatus, importRunner, queueImport, IMPORT_TASK, type ImportStatus } from './import-jobs.ts';
export { linkRegisterToDefinitions } from './link-definitions.ts';
