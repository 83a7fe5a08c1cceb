import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const workflowMigrations: MigrationSet = {
  '2026-11-23T1520_workflow_cases': {
    async up(db) {
      await sql`
        CREATE TABLE workflow_cases (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          subject_type text NOT NULL,
          subject_id text NOT NULL,
          service_id text NOT NULL,
          service_version integer NOT NULL,
          state text NOT NULL,
          -- The history event that entered the current state: reviews and timers belong to one visit.
          visit bigint NOT NULL DEFAULT 0,
          state_entered_at timestamptz NOT NULL DEFAULT now(),
          state_due_at timestamptz,
          overdue boolean NOT NULL DEFAULT false,
          statutory_due_at timestamptz,
          clock_paused_since timestamptz,
          paused_seconds bigint NOT NULL DEFAULT 0,
          outcome text,
          closed_at timestamptz,
          revision integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (subject_type, subject_id)
        )`.execute(db);
      await sql`CREATE INDEX workflow_cases_agency ON workflow_cases (agency_id, state)`.execute(db);
      await sql`
        CREATE TABLE workflow_events (
          id bigserial PRIMARY KEY,
          case_id uuid NOT NULL REFERENCES workflow_cases(id),
          at timestamptz NOT NULL DEFAULT now(),
          kind text NOT NULL,
          action_id text,
          from_state text,
          to_state text,
          actor_type text NOT NULL,
          actor_id text,
          actor_name text,
          inputs jsonb NOT NULL DEFAULT '{}'
        )`.execute(db);
      await sql`CREATE INDEX workflow_events_case ON workflow_events (case_id, id)`.execute(db);
      // Open work: one task per state visit (or per reviewer in a review state), routed by role and agency.
      await sql`
        CREATE TABLE workflow_tasks (
          id uuid PRIMARY KEY,
          case_id uuid NOT NULL REFERENCES workflow_cases(id),
          visit bigint NOT NULL,
          review_id text,
          role text NOT NULL,
          agency_id uuid NOT NULL,
          assignee_id uuid,
          due_at timestamptz,
          opinion text CHECK (opinion IN ('agree', 'object')),
          conditions text,
          created_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz,
          completed_by text
        )`.execute(db);
      await sql`CREATE INDEX workflow_tasks_open ON workflow_tasks (role, agency_id, due_at NULLS LAST, id) WHERE completed_at IS NULL`.execute(db);
      await sql`CREATE INDEX workflow_tasks_assignee ON workflow_tasks (assignee_id, due_at NULLS LAST, id) WHERE completed_at IS NULL`.execute(db);
      await sql`CREATE INDEX workflow_tasks_case ON workflow_tasks (case_id, visit)`.execute(db);
    },
  },
  '2026-12-02T1800_workflow_cases_closed': {
    async up(db) {
      // Public registers list a service's cases by outcome, the latest closed first.
      await sql`CREATE INDEX workflow_cases_closed ON workflow_cases (service_id, outcome, closed_at DESC, id DESC) WHERE closed_at IS NOT NULL`.execute(db);
    },
  },
  '2026-12-03T0700_workflow_cases_granted': {
    async up(db) {
      // The first grant, kept when the case reopens after it (works declared finished, a final
      // inspection): public registers list permits by it, not by when the case last closed.
      await sql`ALTER TABLE workflow_cases ADD COLUMN granted_at timestamptz`.execute(db);
      await sql`UPDATE workflow_cases SET granted_at = closed_at WHERE outcome = 'granted'`.execute(db);
      await sql`DROP INDEX workflow_cases_closed`.execute(db);
      await sql`CREATE INDEX workflow_cases_granted ON workflow_cases (service_id, granted_at DESC, id DESC) WHERE granted_at IS NOT NULL`.execute(db);
    },
  },
};
