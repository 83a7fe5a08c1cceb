import { sql, type Migration } from 'kysely';

/** Which states a case moved between, for the time spent in each; and that time rolled up per cell. */
export const timeInState: Migration = {
  async up(db) {
    // Empty for moves recorded before: those cases' time in each state is not known.
    await sql`ALTER TABLE analytics_moves ADD COLUMN from_state text, ADD COLUMN to_state text`.execute(db);
    await sql`
      CREATE TABLE analytics_daily_states (
        day date NOT NULL,
        service_id text NOT NULL,
        agency_id uuid NOT NULL,
        channel text NOT NULL,
        state text NOT NULL,
        pauses_clock boolean NOT NULL,
        applications integer NOT NULL,
        seconds double precision NOT NULL,
        PRIMARY KEY (day, service_id, agency_id, channel, state)
      )`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE analytics_daily_states`.execute(db);
    await sql`ALTER TABLE analytics_moves DROP COLUMN from_state, DROP COLUMN to_state`.execute(db);
  },
};
