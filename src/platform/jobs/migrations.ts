import { sql } from 'kysely';
import type { MigrationSet } from '../db/migrations.ts';

export const jobsMigrations: MigrationSet = {
  '2026-11-23T1400_platform_jobs': {
    async up(db) {
      await sql`
        CREATE TABLE platform_jobs (
          id bigserial PRIMARY KEY,
          task text NOT NULL,
          payload jsonb NOT NULL,
          state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'dead')),
          attempts integer NOT NULL DEFAULT 0,
          max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
          run_at timestamptz NOT NULL DEFAULT now(),
          locked_by text,
          locked_until timestamptz,
          last_error text,
          dedupe_key text UNIQUE,
          created_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz
        )`.execute(db);
      await sql`CREATE INDEX platform_jobs_ready ON platform_jobs (run_at, id) WHERE state = 'pending'`.execute(db);
      await sql`CREATE INDEX platform_jobs_leased ON platform_jobs (locked_until) WHERE state = 'running'`.execute(db);
      await sql`CREATE INDEX platform_jobs_dead ON platform_jobs (finished_at) WHERE state = 'dead'`.execute(db);
    },
  },
};
