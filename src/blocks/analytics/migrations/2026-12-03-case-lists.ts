import { sql, type Migration } from 'kysely';

/**
 * The list of cases behind a figure reads the facts newest submission first, a page at a time
 * from a position: one index per way of narrowing it (all agencies, an agency, a service), each
 * in the list's order, so a page is a short index range at a million applications too.
 */
export const caseLists: Migration = {
  async up(db) {
    await sql`CREATE INDEX analytics_applications_position ON analytics_applications (submitted_at, application_id)`.execute(db);
    await sql`CREATE INDEX analytics_applications_agency_position ON analytics_applications (agency_id, submitted_at, application_id)`.execute(db);
    await sql`CREATE INDEX analytics_applications_service_position ON analytics_applications (service_id, submitted_at, application_id)`.execute(db);
  },
  async down(db) {
    await sql`DROP INDEX analytics_applications_service_position`.execute(db);
    await sql`DROP INDEX analytics_applications_agency_position`.execute(db);
    await sql`DROP INDEX analytics_applications_position`.execute(db);
  },
};
