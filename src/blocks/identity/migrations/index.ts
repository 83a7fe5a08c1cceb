import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const identityMigrations: MigrationSet = {
  '2026-11-23T1410_identity_accounts': {
    async up(db) {
      await sql`
        CREATE TABLE identity_agencies (
          id uuid PRIMARY KEY,
          code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{2,40}$'),
          parent_id uuid REFERENCES identity_agencies(id),
          kind text NOT NULL CHECK (kind IN ('government', 'ministry', 'department', 'agency', 'office')),
          names jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE identity_parties (
          id uuid PRIMARY KEY,
          kind text NOT NULL CHECK (kind IN ('person', 'organisation')),
          name text NOT NULL,
          national_id text UNIQUE,
          registration_number text UNIQUE,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE identity_users (
          id uuid PRIMARY KEY,
          username text NOT NULL,
          email text,
          display_name text NOT NULL,
          party_id uuid REFERENCES identity_parties(id),
          password_hash text,
          locale text,
          disabled_at timestamptz,
          password_changed_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE UNIQUE INDEX identity_users_username ON identity_users (lower(username))`.execute(db);
      await sql`CREATE UNIQUE INDEX identity_users_email ON identity_users (lower(email)) WHERE email IS NOT NULL`.execute(db);
      await sql`
        CREATE TABLE identity_role_grants (
          id uuid PRIMARY KEY,
          user_id uuid REFERENCES identity_users(id) ON DELETE CASCADE,
          client_id uuid,
          role text NOT NULL,
          agency_id uuid REFERENCES identity_agencies(id),
          granted_by uuid REFERENCES identity_users(id),
          created_at timestamptz NOT NULL DEFAULT now(),
          CHECK ((user_id IS NULL) <> (client_id IS NULL))
        )`.execute(db);
      await sql`CREATE UNIQUE INDEX identity_role_grants_unique ON identity_role_grants (coalesce(user_id, client_id), role, coalesce(agency_id, '00000000-0000-0000-0000-000000000000'))`.execute(db);
      await sql`
        CREATE TABLE identity_mandates (
          id uuid PRIMARY KEY,
          grantor_party_id uuid NOT NULL REFERENCES identity_parties(id),
          agent_party_id uuid NOT NULL REFERENCES identity_parties(id),
          scope text NOT NULL DEFAULT '*',
          valid_from timestamptz NOT NULL DEFAULT now(),
          valid_until timestamptz,
          revoked_at timestamptz,
          recorded_by uuid REFERENCES identity_users(id),
          created_at timestamptz NOT NULL DEFAULT now(),
          CHECK (grantor_party_id <> agent_party_id)
        )`.execute(db);
      await sql`CREATE INDEX identity_mandates_agent ON identity_mandates (agent_party_id)`.execute(db);
      await sql`
        CREATE TABLE identity_external_ids (
          issuer text NOT NULL,
          subject text NOT NULL,
          user_id uuid NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (issuer, subject)
        )`.execute(db);
      await sql`
        CREATE TABLE identity_sessions (
          id_hash text PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_seen_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          ip text,
          user_agent text
        )`.execute(db);
      await sql`CREATE INDEX identity_sessions_user ON identity_sessions (user_id)`.execute(db);
      await sql`CREATE INDEX identity_sessions_expiry ON identity_sessions (expires_at)`.execute(db);
      await sql`
        CREATE TABLE identity_password_resets (
          token_hash text PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
          expires_at timestamptz NOT NULL,
          used_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE identity_api_clients (
          id uuid PRIMARY KEY,
          name text NOT NULL,
          agency_id uuid REFERENCES identity_agencies(id),
          secret_hash text NOT NULL,
          created_by uuid REFERENCES identity_users(id),
          revoked_at timestamptz,
          last_used_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE identity_throttle (
          key text NOT NULL,
          window_start timestamptz NOT NULL,
          failures integer NOT NULL DEFAULT 0,
          PRIMARY KEY (key, window_start)
        )`.execute(db);
      await sql`
        CREATE TABLE identity_oidc_flows (
          state_hash text PRIMARY KEY,
          code_verifier text NOT NULL,
          nonce text NOT NULL,
          return_to text NOT NULL,
          expires_at timestamptz NOT NULL
        )`.execute(db);
    },
  },
  // An optional mobile number, for text messages (the messaging block sends them).
  '2026-11-23T1800_identity_phone': {
    async up(db) {
      await sql`ALTER TABLE identity_users ADD COLUMN phone text CHECK (phone ~ '^\\+[1-9][0-9]{6,14}$')`.execute(db);
      await sql`CREATE INDEX identity_users_phone ON identity_users (phone) WHERE phone IS NOT NULL`.execute(db);
    },
  },
  // One-time codes that prove a person holds the phone they link; only the code's hash is kept.
  '2026-12-02T1410_identity_phone_links': {
    async up(db) {
      await sql`
        CREATE TABLE identity_phone_links (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES identity_users(id),
          phone text NOT NULL,
          code_hash text NOT NULL,
          attempts integer NOT NULL DEFAULT 0,
          expires_at timestamptz NOT NULL,
          confirmed_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX identity_phone_links_user ON identity_phone_links (user_id, created_at DESC)`.execute(db);
    },
  },
};
