import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';
import { caseLists } from './2026-12-03-case-lists.ts';
import { durationHistograms } from './2026-12-03-duration-histograms.ts';
import { fees } from './2026-12-03-fees.ts';
import { monthlyDurations } from './2026-12-03-monthly-durations.ts';
import { timeInState } from './2026-12-03-time-in-state.ts';
import { stateDurations } from './2026-12-04-state-durations.ts';
import { feeMethods } from './2026-12-04-fee-methods.ts';
import { incrementalRefresh } from './2026-12-03-incremental-refresh.ts';

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
  '2026-12-02T1900_analytics_figures_feedback_targets': {
    async up(db) {
      await sql`ALTER TABLE analytics_applications ADD COLUMN time_limit_days integer`.execute(db);
      // Every move of an application's case, for the statutory clock: a move into a state that
      // pauses it (waiting for the applicant) is a request for more information, and the pause
      // lasts until the next move. Keyed by the delivering job, so a redelivery changes nothing.
      await sql`
        CREATE TABLE analytics_moves (
          job_id bigint PRIMARY KEY,
          application_id text NOT NULL,
          pauses_clock boolean NOT NULL,
          moved_at timestamptz NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX analytics_moves_application ON analytics_moves (application_id, moved_at)`.execute(db);
      await sql`
        ALTER TABLE analytics_daily
          ADD COLUMN decided_in_time integer NOT NULL DEFAULT 0,
          ADD COLUMN decided_with_limit integer NOT NULL DEFAULT 0,
          ADD COLUMN overdue integer NOT NULL DEFAULT 0,
          ADD COLUMN information_requests integer NOT NULL DEFAULT 0,
          ADD COLUMN decision_days double precision[] NOT NULL DEFAULT '{}'`.execute(db);
      // No applicant column: feedback is anonymous once given; the application id only keeps it to one per application.
      await sql`
        CREATE TABLE analytics_feedback (
          application_id text PRIMARY KEY,
          service_id text NOT NULL,
          agency_id uuid NOT NULL,
          rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
          theme text NOT NULL,
          comment text NOT NULL,
          given_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX analytics_feedback_agency ON analytics_feedback (agency_id, given_at DESC)`.execute(db);
      await sql`
        CREATE TABLE analytics_targets (
          service_id text PRIMARY KEY,
          within_days integer NOT NULL CHECK (within_days BETWEEN 1 AND 3650),
          share_percent integer NOT NULL CHECK (share_percent BETWEEN 1 AND 100),
          set_by text NOT NULL,
          set_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
    },
    async down(db) {
      await sql`DROP TABLE analytics_targets`.execute(db);
      await sql`DROP TABLE analytics_feedback`.execute(db);
      await sql`ALTER TABLE analytics_daily DROP COLUMN decided_in_time, DROP COLUMN decided_with_limit, DROP COLUMN overdue, DROP COLUMN information_requests, DROP COLUMN decision_days`.execute(db);
      await sql`DROP TABLE analytics_moves`.execute(db);
      await sql`ALTER TABLE analytics_applications DROP COLUMN time_limit_days`.execute(db);
    },
  },
  '2026-12-03T1030_analytics_duration_histograms': durationHistograms,
  '2026-12-03T1100_analytics_time_in_state': timeInState,
  '2026-12-03T1130_analytics_monthly_durations': monthlyDurations,
  '2026-12-03T1400_analytics_case_lists': caseLists,
  '2026-12-03T1400_analytics_fees': fees,
  '2026-12-03T1500_analytics_incremental_refresh': incrementalRefresh,
  '2026-12-04T0900_analytics_state_durations': stateDurations,
  '2026-12-04T0930_analytics_fee_methods': feeMethods,
};
