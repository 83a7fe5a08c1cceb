import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const schedulerMigrations: MigrationSet = {
  '2026-12-02T1400_scheduler_resources_bookings': {
    async up(db) {
      // The exclusion constraint below compares a uuid with `=` inside a GiST index.
      await sql`CREATE EXTENSION IF NOT EXISTS btree_gist`.execute(db);
      // How an agency's calendar is read: its time zone, and the gap kept free after each booking.
      await sql`
        CREATE TABLE scheduler_agencies (
          agency_id uuid PRIMARY KEY,
          timezone text NOT NULL,
          buffer_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240)
        )`.execute(db);
      await sql`
        CREATE TABLE scheduler_resources (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          kind text NOT NULL CHECK (kind IN ('inspector', 'room', 'vehicle')),
          code text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{1,62}$'),
          name text NOT NULL,
          officer_user_id uuid,
          active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (agency_id, code)
        )`.execute(db);
      // Weekly opening ranges in the agency's time zone; rows with a resource replace the
      // agency's hours for that resource (a part-time inspector, a room shared in the afternoon).
      await sql`
        CREATE TABLE scheduler_hours (
          id serial PRIMARY KEY,
          agency_id uuid NOT NULL,
          resource_id uuid REFERENCES scheduler_resources(id),
          weekday smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
          opens_minute smallint NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
          closes_minute smallint NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
          CHECK (opens_minute < closes_minute)
        )`.execute(db);
      await sql`CREATE INDEX scheduler_hours_agency ON scheduler_hours (agency_id, resource_id)`.execute(db);
      await sql`
        CREATE TABLE scheduler_holidays (
          agency_id uuid NOT NULL,
          day date NOT NULL,
          names jsonb NOT NULL,
          PRIMARY KEY (agency_id, day)
        )`.execute(db);
      // `held` is the booking plus the agency's buffer: the database itself refuses two live
      // bookings of one resource whose held ranges overlap, so concurrent requests cannot both win.
      await sql`
        CREATE TABLE scheduler_bookings (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          resource_id uuid NOT NULL REFERENCES scheduler_resources(id),
          subject_type text NOT NULL,
          subject_id text NOT NULL,
          title text NOT NULL,
          starts_at timestamptz NOT NULL,
          ends_at timestamptz NOT NULL,
          held tstzrange NOT NULL,
          status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
          attendees jsonb NOT NULL DEFAULT '[]',
          reschedules integer NOT NULL DEFAULT 0,
          idempotency_key text UNIQUE,
          cancel_reason text,
          created_by jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          CHECK (starts_at < ends_at),
          CONSTRAINT scheduler_bookings_no_overlap EXCLUDE USING gist (resource_id WITH =, held WITH &&) WHERE (status = 'booked')
        )`.execute(db);
      await sql`CREATE INDEX scheduler_bookings_subject ON scheduler_bookings (subject_type, subject_id)`.execute(db);
    },
  },
};
