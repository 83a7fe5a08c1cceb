import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const registriesMigrations: MigrationSet = {
  '2026-11-23T1900_registries_definitions_records': {
    async up(db) {
      // A registry is data: its current definition here, every version in registries_versions.
      await sql`
        CREATE TABLE registries_registries (
          id uuid PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,62}$'),
          agency_id uuid NOT NULL,
          version integer NOT NULL CHECK (version >= 1),
          definition jsonb NOT NULL,
          rules jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE registries_versions (
          registry_id uuid NOT NULL REFERENCES registries_registries(id),
          version integer NOT NULL,
          definition jsonb NOT NULL,
          created_by jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (registry_id, version)
        )`.execute(db);
      // Searchable fields and the key get partial expression indexes per registry, made when the
      // definition is saved (see store.ts); these serve browsing and the import's idempotency.
      await sql`
        CREATE TABLE registries_records (
          id uuid PRIMARY KEY,
          registry_id uuid NOT NULL REFERENCES registries_registries(id),
          schema_version integer NOT NULL,
          data jsonb NOT NULL,
          version integer NOT NULL DEFAULT 1,
          created_at timestamptz NOT NULL DEFAULT now(),
          created_by jsonb NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now(),
          updated_by jsonb NOT NULL,
          deleted_at timestamptz,
          deleted_by jsonb,
          delete_reason text,
          import_id uuid,
          import_line integer,
          UNIQUE (import_id, import_line)
        )`.execute(db);
      await sql`CREATE INDEX registries_records_browse ON registries_records (registry_id, id) WHERE deleted_at IS NULL`.execute(db);
      // Superseded versions of a record: the current one stays in registries_records.
      await sql`
        CREATE TABLE registries_record_versions (
          record_id uuid NOT NULL REFERENCES registries_records(id),
          version integer NOT NULL,
          schema_version integer NOT NULL,
          data jsonb NOT NULL,
          written_at timestamptz NOT NULL,
          written_by jsonb NOT NULL,
          superseded_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (record_id, version)
        )`.execute(db);
      // Who read or wrote whose personal data, why and when: what "who used my data" shows.
      await sql`
        CREATE TABLE registries_access_log (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT now(),
          registry_id uuid NOT NULL REFERENCES registries_registries(id),
          record_ref text NOT NULL,
          person_id text NOT NULL,
          action text NOT NULL CHECK (action IN ('read', 'search', 'exists', 'create', 'update', 'delete')),
          fields text[] NOT NULL DEFAULT '{}',
          actor_type text NOT NULL,
          actor_id text,
          actor_name text,
          agency_id uuid,
          organisation_id text,
          organisation_name text,
          via text,
          service text,
          case_id text,
          reason text NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX registries_access_log_person ON registries_access_log (person_id, id DESC)`.execute(db);
      await sql`
        CREATE TABLE registries_imports (
          id uuid PRIMARY KEY,
          registry_id uuid NOT NULL REFERENCES registries_registries(id),
          file_name text NOT NULL,
          format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
          mode text NOT NULL CHECK (mode IN ('all-or-nothing', 'skip-and-report')),
          content text,
          content_sha256 text NOT NULL,
          state text NOT NULL CHECK (state IN ('queued', 'checking', 'writing', 'done', 'failed')),
          total_rows integer NOT NULL DEFAULT 0,
          checked_rows integer NOT NULL DEFAULT 0,
          written_rows integer NOT NULL DEFAULT 0,
          error_count integer NOT NULL DEFAULT 0,
          errors jsonb NOT NULL DEFAULT '[]',
          writable_fields text[],
          agency_id uuid,
          created_by jsonb NOT NULL,
          request_id text,
          created_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz
        )`.execute(db);
      await sql`CREATE INDEX registries_imports_registry ON registries_imports (registry_id, created_at DESC)`.execute(db);
    },
  },
};
