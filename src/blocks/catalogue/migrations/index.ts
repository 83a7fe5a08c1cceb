import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const catalogueMigrations: MigrationSet = {
  '2026-11-23T1500_catalogue_register': {
    async up(db) {
      await sql`
        CREATE TABLE catalogue_services (
          id uuid PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,79}$'),
          agency_id uuid NOT NULL,
          titles jsonb NOT NULL,
          descriptions jsonb NOT NULL DEFAULT '{}',
          legal_basis jsonb NOT NULL DEFAULT '{}',
          eligibility jsonb NOT NULL DEFAULT '{}',
          documents jsonb NOT NULL DEFAULT '{}',
          fee_summary jsonb NOT NULL DEFAULT '{}',
          time_limit_days integer CHECK (time_limit_days BETWEEN 0 AND 3650),
          channels text[] NOT NULL DEFAULT '{}',
          life_events text[] NOT NULL DEFAULT '{}',
          status text NOT NULL CHECK (status IN ('paper', 'partly-online', 'fully-online')),
          definition_id text,
          search tsvector NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX catalogue_services_search ON catalogue_services USING gin (search)`.execute(db);
      await sql`CREATE INDEX catalogue_services_agency ON catalogue_services (agency_id, status)`.execute(db);
      await sql`CREATE INDEX catalogue_services_events ON catalogue_services USING gin (life_events)`.execute(db);
      // The digitisation status over time, for monitoring and evaluation.
      await sql`
        CREATE TABLE catalogue_status_changes (
          id bigserial PRIMARY KEY,
          service_id uuid NOT NULL REFERENCES catalogue_services(id) ON DELETE CASCADE,
          agency_id uuid NOT NULL,
          status text NOT NULL,
          changed_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX catalogue_status_changes_time ON catalogue_status_changes (changed_at)`.execute(db);
      await sql`
        CREATE TABLE catalogue_imports (
          id uuid PRIMARY KEY,
          file_name text NOT NULL,
          content text NOT NULL,
          state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
          total_rows integer NOT NULL DEFAULT 0,
          processed_rows integer NOT NULL DEFAULT 0,
          errors jsonb NOT NULL DEFAULT '[]',
          created_by text,
          created_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz
        )`.execute(db);
    },
  },
};
