import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const messagingMigrations: MigrationSet = {
  '2026-11-23T1810_messaging_messages': {
    async up(db) {
      await sql`
        CREATE TABLE messaging_messages (
          id uuid PRIMARY KEY,
          channel text NOT NULL CHECK (channel IN ('email', 'sms')),
          recipient text NOT NULL,
          -- The account the address belonged to when the message was queued: whose outbox shows it.
          user_id uuid,
          locale text NOT NULL,
          subject text,
          body text NOT NULL,
          template text,
          about_type text,
          about_id text,
          agency_id uuid,
          -- Who queued it (a use case's actor, or a GovStack API client).
          actor_type text NOT NULL,
          actor_id text,
          status text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
          failure text CHECK (failure IN ('rejected', 'exhausted', 'unconfigured', 'reported')),
          provider_message_id text,
          attempts integer NOT NULL DEFAULT 0,
          last_error text,
          -- Times an administrator queued it again after it failed; each time is a new send job.
          requeues integer NOT NULL DEFAULT 0,
          dedupe_key text UNIQUE,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CHECK ((status = 'failed') = (failure IS NOT NULL))
        )`.execute(db);
      await sql`CREATE INDEX messaging_messages_about ON messaging_messages (about_type, about_id, created_at)`.execute(db);
      await sql`CREATE INDEX messaging_messages_user ON messaging_messages (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL`.execute(db);
      await sql`CREATE INDEX messaging_messages_listing ON messaging_messages (created_at DESC, id DESC)`.execute(db);
      await sql`CREATE INDEX messaging_messages_failed ON messaging_messages (updated_at DESC) WHERE status = 'failed'`.execute(db);
      await sql`CREATE UNIQUE INDEX messaging_messages_provider_id ON messaging_messages (channel, provider_message_id) WHERE provider_message_id IS NOT NULL`.execute(db);
      // The delivery log: every status a message reached, and every failed attempt, in order.
      await sql`
        CREATE TABLE messaging_events (
          id bigserial PRIMARY KEY,
          message_id uuid NOT NULL REFERENCES messaging_messages(id) ON DELETE CASCADE,
          kind text NOT NULL CHECK (kind IN ('queued', 'attempt-failed', 'sent', 'delivered', 'failed', 'requeued')),
          detail text,
          occurred_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX messaging_events_message ON messaging_events (message_id, id)`.execute(db);
      // What GovStack clients post to /callback/email about their requests (replies, client-specific content).
      await sql`
        CREATE TABLE messaging_callbacks (
          id bigserial PRIMARY KEY,
          request_uid text NOT NULL,
          client_id text NOT NULL,
          meta text,
          content text,
          received_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
    },
  },
  '2026-12-02T1900_messaging_sealed_bodies': {
    async up(db) {
      // A message carrying a one-time code is logged with the code masked; the text to send waits
      // here, and only until the gateway has taken it or the message has failed.
      await sql`ALTER TABLE messaging_messages ADD COLUMN redacted boolean NOT NULL DEFAULT false`.execute(db);
      await sql`
        CREATE TABLE messaging_sealed_bodies (
          message_id uuid PRIMARY KEY REFERENCES messaging_messages(id) ON DELETE CASCADE,
          body text NOT NULL
        )`.execute(db);
    },
  },
};
