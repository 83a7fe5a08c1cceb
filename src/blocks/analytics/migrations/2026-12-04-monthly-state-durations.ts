import { sql, type Migration } from 'kysely';

/**
 * The daily histograms of days in each state summed per month too, as for the days to decision:
 * a year's figures then read a dozen months' rows and only the partial months day by day.
 */
export const monthlyStateDurations: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE analytics_monthly_state_durations (
        day date NOT NULL CHECK (extract(day FROM day) = 1),
        service_id text NOT NULL,
        agency_id uuid NOT NULL,
        channel text NOT NULL,
        state text NOT NULL,
        days smallint NOT NULL,
        applications integer NOT NULL,
        PRIMARY KEY (day, service_id, agency_id, channel, state, days)
      )`.execute(db);
    await sql`
      INSERT INTO analytics_monthly_state_durations (day, service_id, agency_id, channel, state, days, applications)
      SELECT date_trunc('month', day)::date, service_id, agency_id, channel, state, days, sum(applications)
      FROM analytics_daily_state_durations GROUP BY 1, 2, 3, 4, 5, 6`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE analytics_monthly_state_durations`.execute(db);
  },
};
