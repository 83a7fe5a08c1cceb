import { sql, type Migration } from 'kysely';

/**
 * The time applications spent in each workflow state as a histogram per cell (buckets as in
 * durations.ts), so that its median and 90th percentile can be read for any period; and the same
 * summed per month, as for the days to decision, so a year reads a dozen months' rows.
 */
export const stateDurations: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE analytics_daily_state_durations (
        day date NOT NULL,
        service_id text NOT NULL,
        agency_id uuid NOT NULL,
        channel text NOT NULL,
        state text NOT NULL,
        days smallint NOT NULL,
        applications integer NOT NULL,
        PRIMARY KEY (day, service_id, agency_id, channel, state, days)
      )`.execute(db);
    // `day` is the month's first day, so the daily table's filters apply unchanged.
    await sql`CREATE TABLE analytics_monthly_state_durations (LIKE analytics_daily_state_durations INCLUDING ALL, CHECK (extract(day FROM day) = 1))`.execute(db);
    // Every cell already rolled up lacks its histogram: the next refresh recomputes them all.
    await sql`
      INSERT INTO analytics_changed (application_id, day, service_id, agency_id, channel)
      SELECT application_id, (submitted_at AT TIME ZONE 'UTC')::date, service_id, agency_id, channel FROM analytics_applications`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE analytics_monthly_state_durations`.execute(db);
    await sql`DROP TABLE analytics_daily_state_durations`.execute(db);
  },
};
