import { sql, type Migration } from 'kysely';

const FACT_TABLES = ['analytics_applications', 'analytics_decisions', 'analytics_moves'] as const;
const EVENTS = [
  ['insert', 'INSERT', 'NEW TABLE AS changed'],
  ['update_new', 'UPDATE', 'NEW TABLE AS changed'],
  ['update_old', 'UPDATE', 'OLD TABLE AS changed'],
  ['delete', 'DELETE', 'OLD TABLE AS changed'],
] as const;

/**
 * The refresh recomputes only the cells whose facts changed. Triggers note every changed fact's
 * application (and, for a submission, its cell before and after, so a submission moved to another
 * day or deleted leaves no stale figures), whoever writes it: the event handlers, a backfill, a fix
 * by hand. Statement triggers with transition tables, so a bulk load costs one insert per statement.
 */
export const incrementalRefresh: Migration = {
  async up(db) {
    await sql`
      CREATE TABLE analytics_changed (
        id bigserial PRIMARY KEY,
        application_id text NOT NULL,
        day date,
        service_id text,
        agency_id uuid,
        channel text
      )`.execute(db);
    await sql`
      CREATE FUNCTION analytics_note_changed_applications() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO analytics_changed (application_id, day, service_id, agency_id, channel)
        SELECT application_id, (submitted_at AT TIME ZONE 'UTC')::date, service_id, agency_id, channel FROM changed;
        RETURN NULL;
      END $$`.execute(db);
    await sql`
      CREATE FUNCTION analytics_note_changed_facts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO analytics_changed (application_id) SELECT DISTINCT application_id FROM changed;
        RETURN NULL;
      END $$`.execute(db);
    for (const table of FACT_TABLES) {
      const fn = table === 'analytics_applications' ? 'analytics_note_changed_applications' : 'analytics_note_changed_facts';
      for (const [suffix, event, transition] of EVENTS) {
        await sql`
          CREATE TRIGGER ${sql.raw(`${table}_changed_${suffix}`)} AFTER ${sql.raw(event)} ON ${sql.table(table)}
          REFERENCING ${sql.raw(transition)} FOR EACH STATEMENT EXECUTE FUNCTION ${sql.raw(fn)}()`.execute(db);
      }
    }
    // The refresh finds a cell's applications by day of submission.
    await sql`CREATE INDEX analytics_applications_cell ON analytics_applications (((submitted_at AT TIME ZONE 'UTC')::date), service_id, agency_id, channel)`.execute(db);
    // What was there before the triggers: the first refresh recomputes everything.
    await sql`
      INSERT INTO analytics_changed (application_id, day, service_id, agency_id, channel)
      SELECT application_id, (submitted_at AT TIME ZONE 'UTC')::date, service_id, agency_id, channel FROM analytics_applications`.execute(db);
  },
  async down(db) {
    for (const table of FACT_TABLES) {
      for (const [suffix] of EVENTS) await sql`DROP TRIGGER ${sql.raw(`${table}_changed_${suffix}`)} ON ${sql.table(table)}`.execute(db);
    }
    await sql`DROP INDEX analytics_applications_cell`.execute(db);
    await sql`DROP FUNCTION analytics_note_changed_facts()`.execute(db);
    await sql`DROP FUNCTION analytics_note_changed_applications()`.execute(db);
    await sql`DROP TABLE analytics_changed`.execute(db);
  },
};
