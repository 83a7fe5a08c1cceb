import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const ecabinetMigrations: MigrationSet = {
  '2026-11-23T1940_ecabinet_cabinet': {
    async up(db) {
      // Clearance is a person's attribute, not a role: a role says what one does, a clearance how
      // secret a paper one may read. No row means the level every cabinet role has by default.
      await sql`
        CREATE TABLE ecabinet_clearances (
          user_id uuid PRIMARY KEY,
          level text NOT NULL CHECK (level IN ('public', 'restricted', 'confidential', 'secret')),
          set_by jsonb NOT NULL,
          set_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE ecabinet_memos (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          title text NOT NULL,
          summary text NOT NULL,
          proposed_decision text NOT NULL,
          cost text NOT NULL DEFAULT '',
          classification text NOT NULL CHECK (classification IN ('public', 'restricted', 'confidential', 'secret')),
          state text NOT NULL CHECK (state IN ('draft', 'legal-review', 'sign-off', 'submitted', 'ready', 'scheduled', 'decided')),
          version integer NOT NULL DEFAULT 1,
          created_by jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX ecabinet_memos_state ON ecabinet_memos (state, updated_at DESC)`.execute(db);
      await sql`CREATE INDEX ecabinet_memos_agency ON ecabinet_memos (agency_id, updated_at DESC)`.execute(db);
      // Every wording a memo had, so a revision after consultation can be compared with the one before.
      await sql`
        CREATE TABLE ecabinet_memo_versions (
          memo_id uuid NOT NULL REFERENCES ecabinet_memos(id),
          version integer NOT NULL,
          title text NOT NULL,
          summary text NOT NULL,
          proposed_decision text NOT NULL,
          cost text NOT NULL,
          classification text NOT NULL,
          note text NOT NULL DEFAULT '',
          created_by jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (memo_id, version)
        )`.execute(db);
      await sql`
        CREATE TABLE ecabinet_attachments (
          id uuid PRIMARY KEY,
          memo_id uuid NOT NULL REFERENCES ecabinet_memos(id),
          file_name text NOT NULL,
          media_type text NOT NULL,
          blob_hash text NOT NULL,
          size integer NOT NULL,
          classification text NOT NULL CHECK (classification IN ('public', 'restricted', 'confidential', 'secret')),
          uploaded_by jsonb NOT NULL,
          uploaded_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX ecabinet_attachments_memo ON ecabinet_attachments (memo_id)`.execute(db);
      await sql`
        CREATE TABLE ecabinet_consultations (
          id uuid PRIMARY KEY,
          memo_id uuid NOT NULL REFERENCES ecabinet_memos(id),
          agency_id uuid NOT NULL,
          due_on date NOT NULL,
          requested_by jsonb NOT NULL,
          requested_at timestamptz NOT NULL DEFAULT now(),
          reply text,
          replied_by jsonb,
          replied_at timestamptz,
          UNIQUE (memo_id, agency_id)
        )`.execute(db);
      await sql`CREATE INDEX ecabinet_consultations_agency ON ecabinet_consultations (agency_id)`.execute(db);
      await sql`
        CREATE TABLE ecabinet_meetings (
          id uuid PRIMARY KEY,
          title text NOT NULL,
          starts_at timestamptz NOT NULL,
          papers_due_at timestamptz NOT NULL,
          state text NOT NULL CHECK (state IN ('planned', 'circulated', 'in-session', 'closed', 'approved')),
          circulated_at timestamptz,
          minutes text,
          minutes_document_id text,
          minutes_verify_url text,
          approved_by jsonb,
          created_by jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`
        CREATE TABLE ecabinet_items (
          id uuid PRIMARY KEY,
          meeting_id uuid NOT NULL REFERENCES ecabinet_meetings(id),
          memo_id uuid NOT NULL REFERENCES ecabinet_memos(id),
          position integer NOT NULL,
          track text NOT NULL CHECK (track IN ('discussion', 'consent')),
          moved_by_objection boolean NOT NULL DEFAULT false,
          late boolean NOT NULL DEFAULT false,
          late_approved_by jsonb,
          outcome text CHECK (outcome IN ('adopted', 'amended', 'deferred', 'rejected')),
          decision_text text,
          votes jsonb,
          public boolean NOT NULL DEFAULT false,
          decided_at timestamptz,
          decision_number text UNIQUE,
          UNIQUE (meeting_id, memo_id)
        )`.execute(db);
      await sql`CREATE INDEX ecabinet_items_meeting ON ecabinet_items (meeting_id, position)`.execute(db);
      // One position per ministry and item: a delegate records it in the minister's name.
      await sql`
        CREATE TABLE ecabinet_positions (
          item_id uuid NOT NULL REFERENCES ecabinet_items(id),
          agency_id uuid NOT NULL,
          stance text NOT NULL CHECK (stance IN ('agree', 'object', 'comment')),
          reason text NOT NULL DEFAULT '',
          wants_to_speak boolean NOT NULL DEFAULT false,
          recorded_by jsonb NOT NULL,
          recorded_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (item_id, agency_id)
        )`.execute(db);
      await sql`
        CREATE TABLE ecabinet_attendance (
          meeting_id uuid NOT NULL REFERENCES ecabinet_meetings(id),
          user_id uuid NOT NULL,
          name text NOT NULL,
          present boolean NOT NULL,
          PRIMARY KEY (meeting_id, user_id)
        )`.execute(db);
      await sql`
        CREATE TABLE ecabinet_recusals (
          item_id uuid NOT NULL REFERENCES ecabinet_items(id),
          user_id uuid NOT NULL,
          name text NOT NULL,
          reason text NOT NULL,
          PRIMARY KEY (item_id, user_id)
        )`.execute(db);
      // The register's numbers run without gaps within a year: the counter row is locked by the
      // transaction that numbers a meeting's decisions.
      await sql`CREATE TABLE ecabinet_decision_counters (year integer PRIMARY KEY, last integer NOT NULL)`.execute(db);
      await sql`
        CREATE TABLE ecabinet_actions (
          id uuid PRIMARY KEY,
          item_id uuid NOT NULL REFERENCES ecabinet_items(id),
          agency_id uuid NOT NULL,
          description text NOT NULL,
          due_on date NOT NULL,
          done boolean NOT NULL DEFAULT false,
          progress text NOT NULL DEFAULT '',
          reported_at timestamptz,
          created_by jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX ecabinet_actions_due ON ecabinet_actions (done, due_on)`.execute(db);
    },
  },
  '2026-12-03T1030_ecabinet_seats': {
    async up(db) {
      // The quorum counts seats, not people: a minister and their delegates sit in their
      // ministry's one seat, so the roll keeps the ministry and the role each person came in.
      // Rolls taken before this have neither: each person there is a seat of their own.
      await sql`ALTER TABLE ecabinet_attendance ADD COLUMN agency_id uuid, ADD COLUMN role text NOT NULL DEFAULT 'minister'`.execute(db);
      // A delegate's position is recorded for the minister (the record names both), and the
      // minister's own position is never replaced by a delegate's.
      await sql`ALTER TABLE ecabinet_positions ADD COLUMN by_delegate boolean NOT NULL DEFAULT false, ADD COLUMN acting_for jsonb`.execute(db);
    },
  },
};
