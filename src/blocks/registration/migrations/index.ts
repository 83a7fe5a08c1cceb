import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const registrationMigrations: MigrationSet = {
  '2026-11-23T1510_registration_definitions': {
    async up(db) {
      await sql`
        CREATE TABLE registration_definitions (
          service_id text NOT NULL,
          version integer NOT NULL CHECK (version > 0),
          agency_id uuid NOT NULL,
          status text NOT NULL CHECK (status IN ('published', 'retired')),
          document jsonb NOT NULL,
          digest text NOT NULL,
          published_by text,
          published_at timestamptz NOT NULL DEFAULT now(),
          retired_at timestamptz,
          PRIMARY KEY (service_id, version)
        )`.execute(db);
      await sql`CREATE INDEX registration_definitions_current ON registration_definitions (service_id, version DESC) WHERE status = 'published'`.execute(db);
    },
  },
  '2026-11-23T1530_registration_applications': {
    async up(db) {
      await sql`
        CREATE TABLE registration_applications (
          id uuid PRIMARY KEY,
          service_id text NOT NULL,
          service_version integer NOT NULL,
          agency_id uuid NOT NULL,
          applicant_party_id uuid NOT NULL,
          created_by uuid NOT NULL,
          assisted_by uuid,
          status text NOT NULL CHECK (status IN ('draft', 'submitted')),
          data jsonb NOT NULL DEFAULT '{}',
          fees jsonb NOT NULL DEFAULT '[]',
          tracking_number text UNIQUE,
          idempotency_key text,
          locale text NOT NULL DEFAULT 'en',
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          submitted_at timestamptz,
          FOREIGN KEY (service_id, service_version) REFERENCES registration_definitions (service_id, version)
        )`.execute(db);
      await sql`CREATE UNIQUE INDEX registration_applications_idempotency ON registration_applications (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL`.execute(db);
      await sql`CREATE INDEX registration_applications_applicant ON registration_applications (applicant_party_id, created_at DESC)`.execute(db);
      await sql`CREATE INDEX registration_applications_agency ON registration_applications (agency_id, submitted_at DESC)`.execute(db);
      await sql`
        CREATE TABLE registration_documents (
          id uuid PRIMARY KEY,
          application_id uuid NOT NULL REFERENCES registration_applications(id) ON DELETE CASCADE,
          document_type text NOT NULL,
          blob_hash text NOT NULL,
          file_name text NOT NULL,
          media_type text NOT NULL,
          size_bytes bigint NOT NULL,
          uploaded_by uuid NOT NULL,
          uploaded_at timestamptz NOT NULL DEFAULT now(),
          removed_at timestamptz
        )`.execute(db);
      await sql`CREATE INDEX registration_documents_application ON registration_documents (application_id) WHERE removed_at IS NULL`.execute(db);
      await sql`
        CREATE TABLE registration_outputs (
          id uuid PRIMARY KEY,
          application_id uuid NOT NULL REFERENCES registration_applications(id),
          output_id text NOT NULL,
          title jsonb NOT NULL,
          body jsonb NOT NULL,
          issued_at timestamptz NOT NULL DEFAULT now(),
          valid_until timestamptz,
          revoked_at timestamptz,
          UNIQUE (application_id, output_id)
        )`.execute(db);
    },
  },
  '2026-11-23T1800_registration_signed_outputs': {
    async up(db) {
      // The signed PDF of an issued document lives in the e-signature block; this is its id there.
      await sql`ALTER TABLE registration_outputs ADD COLUMN document_id uuid`.execute(db);
    },
  },
  '2026-11-23T1801_registration_applications_by_creator': {
    async up(db) {
      // "My applications" of an architect or a counter clerk: those they made for others (bench/reads.ts).
      await sql`CREATE INDEX registration_applications_creator ON registration_applications (created_by, created_at DESC)`.execute(db);
    },
  },
  '2026-12-02T1400_registration_channel': {
    async up(db) {
      // How the application came in; an assisted one also keeps the consent the agent recorded.
      await sql`ALTER TABLE registration_applications ADD COLUMN channel text NOT NULL DEFAULT 'online' CHECK (channel IN ('online', 'assisted'))`.execute(db);
      await sql`ALTER TABLE registration_applications ADD COLUMN assisted_consent jsonb`.execute(db);
      await sql`CREATE INDEX registration_applications_assisted ON registration_applications (assisted_by, created_at DESC) WHERE assisted_by IS NOT NULL`.execute(db);
    },
  },
  '2026-12-02T1900_registration_prefilled': {
    async up(db) {
      // Which answers came from a registry (record, version, consent), for the officer to rely on; an answer the applicant changes loses it.
      await sql`ALTER TABLE registration_applications ADD COLUMN prefilled jsonb NOT NULL DEFAULT '{}'`.execute(db);
    },
  },
};
