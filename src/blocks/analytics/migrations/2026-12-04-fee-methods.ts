import { sql, type Migration } from 'kysely';

/** How fees were paid: the method of each payment, and per day, cell, currency and method the money received. */
export const feeMethods: Migration = {
  async up(db) {
    // Empty for payments recorded before: their method was not kept, and they count as `unknown`.
    await sql`ALTER TABLE analytics_fee_movements ADD COLUMN method text`.execute(db);
    await sql`
      CREATE TABLE analytics_daily_fee_methods (
        day date NOT NULL,
        service_id text NOT NULL,
        agency_id uuid NOT NULL,
        channel text NOT NULL,
        currency text NOT NULL,
        method text NOT NULL,
        payments integer NOT NULL,
        received numeric(18,4) NOT NULL,
        PRIMARY KEY (day, service_id, agency_id, channel, currency, method)
      )`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE analytics_daily_fee_methods`.execute(db);
    await sql`ALTER TABLE analytics_fee_movements DROP COLUMN method`.execute(db);
  },
};
