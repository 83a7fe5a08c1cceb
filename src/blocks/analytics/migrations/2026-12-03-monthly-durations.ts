import { sql, type Migration } from 'kysely';

/**
 * The daily histograms of net days summed per month as well, so that a year's percentiles merge a
 * dozen months' cells and only the partial months at its ends day by day.
 */
export const monthlyDurations: Migration = {
  async up(db) {
    // `day` is the month's first day, so the daily table's filters apply unchanged.
    await sql`
      CREATE TABLE analytics_monthly_durations (
        day date NOT NULL CHECK (extract(day FROM day) = 1),
        service_id text NOT NULL,
        agency_id uuid NOT NULL,
        channel text NOT NULL,
        days smallint NOT NULL,
        decisions integer NOT NULL,
        PRIMARY KEY (day, service_id, agency_id, channel, days)
      )`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE analytics_monthly_durations`.execute(db);
  },
};
