import { sql, type Migration } from 'kysely';

/**
 * The net days to decision of a day's cell become a histogram of bounded size instead of every
 * decision's duration, so a period's percentiles cost the same however many cases it holds.
 */
export const durationHistograms: Migration = {
  async up(db) {
    // One row per cell and bucket; `days` is the bucket's upper bound (see durations.ts).
    await sql`
      CREATE TABLE analytics_daily_durations (
        day date NOT NULL,
        service_id text NOT NULL,
        agency_id uuid NOT NULL,
        channel text NOT NULL,
        days smallint NOT NULL,
        decisions integer NOT NULL,
        PRIMARY KEY (day, service_id, agency_id, channel, days)
      )`.execute(db);
    await sql`ALTER TABLE analytics_daily DROP COLUMN decision_days`.execute(db);
  },
  async down(db) {
    await sql`ALTER TABLE analytics_daily ADD COLUMN decision_days double precision[] NOT NULL DEFAULT '{}'`.execute(db);
    await sql`DROP TABLE analytics_daily_durations`.execute(db);
  },
};
