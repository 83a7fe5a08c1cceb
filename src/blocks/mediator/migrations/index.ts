import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const mediatorMigrations: MigrationSet = {
  '2026-12-02T1440_mediator_members_services_log': {
    async up(db) {
      // Another agency's node (or this one): its member code, where it listens, and the public key
      // its requests and answers are signed with. Registered by an administrator, out of band.
      await sql`
        CREATE TABLE mediator_members (
          code text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}/[A-Z]{2,10}/[a-z0-9-]{2,62}$'),
          name text NOT NULL,
          base_url text NOT NULL,
          public_jwk jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      // What this node serves to others: `<registry>/read`, limited to the fields named.
      await sql`
        CREATE TABLE mediator_services (
          code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,62}/read$'),
          registry text NOT NULL,
          fields text[] NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE mediator_rights (
          client text NOT NULL REFERENCES mediator_members(code),
          service text NOT NULL REFERENCES mediator_services(code),
          granted_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (client, service)
        )`.execute(db);
      // Every message id accepted from a client, once: the primary key is what refuses a replay,
      // even when two copies arrive at the same moment.
      await sql`
        CREATE TABLE mediator_seen_ids (
          client text NOT NULL,
          message_id text NOT NULL,
          seen_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (client, message_id)
        )`.execute(db);
      // Every exchange, both directions, accepted or refused. Each entry's hash covers the one
      // before it, so removing or editing an entry breaks the chain from there on.
      await sql`
        CREATE TABLE mediator_log (
          seq bigserial PRIMARY KEY,
          at timestamptz NOT NULL,
          direction text NOT NULL CHECK (direction IN ('in', 'out')),
          message_id text NOT NULL,
          client text NOT NULL,
          provider text,
          service text NOT NULL,
          user_id text,
          issue text,
          request_digest text NOT NULL,
          status integer NOT NULL,
          reason text,
          signatures jsonb NOT NULL,
          prev_hash text NOT NULL,
          hash text NOT NULL UNIQUE
        )`.execute(db);
      await sql`CREATE INDEX mediator_log_message ON mediator_log (message_id)`.execute(db);
    },
  },
  '2026-12-02T1910_mediator_consent': {
    async up(db) {
      // A service with a purpose serves personal data only with the person's consent to an agreement
      // for it, given to the agency on this node that the calling member stands for.
      await sql`ALTER TABLE mediator_services ADD COLUMN purpose text`.execute(db);
      await sql`ALTER TABLE mediator_members ADD COLUMN agency text`.execute(db);
    },
  },
};
