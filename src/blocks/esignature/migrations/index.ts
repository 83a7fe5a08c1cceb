import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const esignatureMigrations: MigrationSet = {
  '2026-11-23T1800_esignature_documents': {
    async up(db) {
      // Each agency's Ed25519 keys, the current one and those it retired (which still verify old
      // documents). The private half is sealed with AES-256-GCM under the key-encryption key in
      // DATA_DIR/keys: a copy of the database alone signs nothing.
      await sql`
        CREATE TABLE esignature_keys (
          kid text PRIMARY KEY,
          agency_id uuid NOT NULL,
          -- The code the key is published under: documents name their agency by code.
          agency_code text NOT NULL,
          public_jwk jsonb NOT NULL,
          -- Erased when the key is retired: it then only verifies.
          sealed_private_key text,
          kek_id text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          retired_at timestamptz,
          CHECK (retired_at IS NOT NULL OR sealed_private_key IS NOT NULL)
        )`.execute(db);
      await sql`CREATE UNIQUE INDEX esignature_keys_current ON esignature_keys (agency_id) WHERE retired_at IS NULL`.execute(db);
      await sql`
        CREATE TABLE esignature_documents (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{0,39}$'),
          subject_type text NOT NULL,
          subject_id text NOT NULL,
          locale text NOT NULL,
          title text NOT NULL,
          holder_name text,
          facts jsonb NOT NULL,
          payload text NOT NULL,
          jws text NOT NULL,
          kid text NOT NULL REFERENCES esignature_keys (kid),
          pdf_blob text NOT NULL,
          file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
          content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
          file_size integer NOT NULL,
          issued_at timestamptz NOT NULL,
          valid_until timestamptz,
          issued_by jsonb NOT NULL,
          revoked_at timestamptz,
          revoked_by jsonb,
          revoke_reason text,
          CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
        )`.execute(db);
      await sql`CREATE INDEX esignature_documents_subject ON esignature_documents (subject_type, subject_id)`.execute(db);
      await sql`CREATE INDEX esignature_documents_agency ON esignature_documents (agency_id, issued_at)`.execute(db);
    },
  },
};
