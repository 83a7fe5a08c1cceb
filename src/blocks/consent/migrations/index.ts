import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const consentMigrations: MigrationSet = {
  '2026-11-23T1930_consent_agreements_records': {
    async up(db) {
      // What one consents to (GovStack's Data Agreement): a purpose, the data (registry and
      // fields) and who receives it. Agreements do not change; a new wording is a new agreement.
      await sql`
        CREATE TABLE consent_agreements (
          id uuid PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,62}$'),
          purpose text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9-]{1,62}$'),
          names jsonb NOT NULL,
          descriptions jsonb NOT NULL DEFAULT '{}',
          registry text NOT NULL,
          fields text[] NOT NULL,
          recipient_agency_id uuid NOT NULL,
          service text,
          lawful_basis text NOT NULL DEFAULT 'consent',
          validity_days integer CHECK (validity_days BETWEEN 1 AND 36500),
          active boolean NOT NULL DEFAULT true,
          revision_hash text NOT NULL,
          created_by jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX consent_agreements_purpose ON consent_agreements (purpose, registry)`.execute(db);
      // A person's consent to an agreement: given (by them, or on paper recorded by an agency),
      // until it expires or is withdrawn. Giving again after expiry replaces the old record.
      await sql`
        CREATE TABLE consent_records (
          id uuid PRIMARY KEY,
          agreement_id uuid NOT NULL REFERENCES consent_agreements(id),
          person_id text NOT NULL,
          agreement_hash text NOT NULL,
          given_at timestamptz NOT NULL DEFAULT now(),
          given_by jsonb NOT NULL,
          given_by_agency_id uuid,
          paper_reason text,
          expires_at timestamptz,
          withdrawn_at timestamptz,
          withdrawn_by jsonb,
          withdrawal_reason text,
          replaced_at timestamptz
        )`.execute(db);
      await sql`CREATE UNIQUE INDEX consent_records_live ON consent_records (agreement_id, person_id) WHERE withdrawn_at IS NULL AND replaced_at IS NULL`.execute(db);
      await sql`CREATE INDEX consent_records_person ON consent_records (person_id, given_at DESC)`.execute(db);
    },
  },
};
