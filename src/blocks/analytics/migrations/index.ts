import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const analyticsMigrations: MigrationSet = {
  '2026-12-02T1430_analytics_facts_rollups': {
    async up(db) {
      // One row per application, filled from the events other blocks emit (never from their
      // tables): what was applied for, where and how. Its decision has its own table because
      // the two events' jobs may run in either order, even at once.
      await sql`
        CREATE TABLE analytics_applications (
          application_id text PRIMARY KEY,
          service_id text NOT NULL,
          agency_id uuid NOT NULL,
          channel text NOT NULL CHECK (channel IN ('online', 'assisted')),
          submitted_at timestamptz NOT NULL
        )`.execute(db);
      await sql`
        CREATE TABLE analytics_decisions (
          application_id text PRIMARY KEY,
          outcome text NOT NULL CHECK (outcome IN ('granted', 'refused', 'withdrawn', 'closed')),
          decided_at timestamptz NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX analytics_applications_submitted ON analytics_applications (submitted_at)`.execute(db);
      // Figures per service, agency, channel and day of submission; the dashboards read only this.
      await sql`
        CREATE TABLE analytics_daily (
          day date NOT NULL,
          service_id text NOT NULL,
          agency_id uuid NOT NULL,
          channel text NOT NULL,
          received integer NOT NULL,
          decided integer NOT NULL,
          granted integer NOT NULL,
          refused integer NOT NULL,
          withdrawn integer NOT NULL,
          median_days_to_decision double precision,
          p90_days_to_decision double precision,
          PRIMARY KEY (day, service_id, agency_id, channel)
        )`.execute(db);
    },
    async down(db) {
      await sql`DROP TABLE analytics_daily`.execute(db);
      await sql`DROP TABLE analytics_decisions`.execute(db);
      await sql`DROP TABLE analytics_applications`.execute(db);
    },
  },
};
