export { actorOf, recordAudit, SYSTEM_ACTOR, type AuditActor, type AuditRecord } from './record-entry.ts';
export { linkAll, linkChain, auditHeadFile, type LinkOptions } from './link-chain.ts';
export { verifyChain, type ChainReport } from './verify-chain.ts';
export { findEntries, distinctActions, type AuditEntryView, type AuditFilter } from './store.ts';
export { auditMigrations } from './migrations/index.ts';
export { auditRoutes, AUDIT_READERS } from './routes.ts';
