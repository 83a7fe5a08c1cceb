import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Db } from './database.ts';

/**
 * Each block owns its migrations and exports them as a record keyed by a name that starts with a
 * sortable timestamp, e.g. `2026-11-23T1500_identity_accounts`. The names are global, so the
 * platform can apply all blocks' migrations in one order with Kysely's migrator, which takes a
 * lock in the database and is therefore safe to run from several processes at once.
 */
export type MigrationSet = Record<string, Migration>;

const NAME = /^\d{4}-\d{2}-\d{2}T\d{4}_[a-z0-9_]+$/;

export function combineMigrations(sets: MigrationSet[]): Record<string, Migration> {
  const all: Record<string, Migration> = {};
  for (const set of sets) {
    for (const [name, migration] of Object.entries(set)) {
      if (!NAME.test(name)) throw new Error(`Migration name "${name}" must look like 2026-11-23T1500_block_change`);
      if (all[name]) throw new Error(`Two migrations are named "${name}"`);
      all[name] = migration;
    }
  }
  return all;
}

function migrator(db: Db, migrations: Record<string, Migration>) {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

export async function migrateToLatest(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const result: MigrationResultSet = await migrator(db, migrations).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations the code knows but the database has not applied. */
export async function pendingMigrations(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const infos = await migrator(db, migrations).getMigrations();
  return infos.filter((m) => !m.executedAt).map((m) => m.name);
}
