import { sql, type Migration } from 'kysely';

/**
 * Fees invoiced and collected, from the payments block's events: every movement of money on an
 * application's invoices as a fact, and per day, cell and currency their sums.
 */
export const fees: Migration = {
  async up(db) {
    // One row per event, keyed by what it is about (`issued:<invoice>`, `payment:<payment>`,
    // `cancelled:<invoice>`, `refund:<refund>`), so a redelivery changes nothing. Each carries the
    // application, so a movement delivered before the invoice's issue still finds its cell.
    await sql`
      CREATE TABLE analytics_fee_movements (
        key text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('issued', 'payment', 'cancelled', 'refund')),
        invoice_id uuid NOT NULL,
        application_id text NOT NULL,
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        amount numeric(18,4) NOT NULL CHECK (amount >= 0),
        at timestamptz NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX analytics_fee_movements_invoice ON analytics_fee_movements (invoice_id)`.execute(db);
    // `day` is the UTC day the money moved: issue for what was invoiced (and is still due), receipt
    // for what was collected, approval for what was refunded.
    await sql`
      CREATE TABLE analytics_daily_fees (
        day date NOT NULL,
        service_id text NOT NULL,
        agency_id uuid NOT NULL,
        channel text NOT NULL,
        currency text NOT NULL,
        invoices integer NOT NULL,
        invoiced numeric(18,4) NOT NULL,
        cancelled_invoices integer NOT NULL,
        outstanding numeric(18,4) NOT NULL,
        payments integer NOT NULL,
        collected numeric(18,4) NOT NULL,
        refunded numeric(18,4) NOT NULL,
        PRIMARY KEY (day, service_id, agency_id, channel, currency)
      )`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE analytics_daily_fees`.execute(db);
    await sql`DROP TABLE analytics_fee_movements`.execute(db);
  },
};
