import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const paymentsMigrations: MigrationSet = {
  '2026-11-23T1800_payments_ledger': {
    async up(db) {
      await sql`
        CREATE TABLE payments_invoices (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          subject_type text NOT NULL,
          subject_id text NOT NULL,
          purpose text NOT NULL,
          reference text NOT NULL UNIQUE CHECK (reference ~ '^RF[0-9]{14}$'),
          payer_party_id uuid NOT NULL,
          payer_user_id uuid NOT NULL,
          payer_name text NOT NULL,
          payer_locale text NOT NULL,
          currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
          decimals smallint NOT NULL CHECK (decimals BETWEEN 0 AND 4),
          lines jsonb NOT NULL,
          amount numeric(18,4) NOT NULL CHECK (amount >= 0),
          paid_amount numeric(18,4) NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
          refunded_amount numeric(18,4) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= paid_amount),
          state text NOT NULL CHECK (state IN ('open', 'partly-paid', 'paid', 'cancelled', 'refunded')),
          due_at timestamptz NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          settled_at timestamptz,
          cancelled_at timestamptz,
          cancel_reason text,
          UNIQUE (subject_type, subject_id, purpose)
        )`.execute(db);
      await sql`CREATE INDEX payments_invoices_agency ON payments_invoices (agency_id, created_at DESC, id DESC)`.execute(db);
      await sql`CREATE INDEX payments_invoices_payer ON payments_invoices (payer_user_id)`.execute(db);

      // Each request to the mobile-money provider; the provider's id is unique, so a callback is applied once.
      await sql`
        CREATE TABLE payments_mobile_requests (
          id uuid PRIMARY KEY,
          invoice_id uuid NOT NULL REFERENCES payments_invoices(id),
          provider_payment_id text UNIQUE,
          amount numeric(18,4) NOT NULL CHECK (amount > 0),
          currency text NOT NULL,
          phone_hint text NOT NULL,
          state text NOT NULL CHECK (state IN ('requested', 'pending', 'completed', 'failed', 'expired')),
          status_checks integer NOT NULL DEFAULT 0,
          failure text,
          requested_by text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX payments_mobile_requests_invoice ON payments_mobile_requests (invoice_id, created_at DESC)`.execute(db);

      await sql`
        CREATE TABLE payments_statements (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          format text NOT NULL CHECK (format IN ('csv', 'camt.053')),
          file_name text NOT NULL,
          sha256 text NOT NULL,
          content text NOT NULL,
          line_count integer NOT NULL,
          skipped_debits integer NOT NULL DEFAULT 0,
          uploaded_by_id text,
          uploaded_by_name text,
          created_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX payments_statements_agency ON payments_statements (agency_id, created_at DESC)`.execute(db);
      await sql`
        CREATE TABLE payments_statement_lines (
          id uuid PRIMARY KEY,
          statement_id uuid NOT NULL REFERENCES payments_statements(id),
          agency_id uuid NOT NULL,
          line_no integer NOT NULL,
          booked_on date NOT NULL,
          amount numeric(18,4) NOT NULL CHECK (amount > 0),
          currency text NOT NULL,
          remittance text NOT NULL,
          bank_transaction_id text NOT NULL,
          payer_name text NOT NULL,
          reference text,
          invoice_id uuid REFERENCES payments_invoices(id),
          proposal text NOT NULL CHECK (proposal IN ('exact', 'under', 'over', 'unmatched', 'duplicate')),
          status text NOT NULL CHECK (status IN ('pending', 'recorded', 'refund-due', 'not-ours', 'duplicate')),
          note text,
          resolved_by_id text,
          resolved_by_name text,
          resolved_at timestamptz,
          UNIQUE (statement_id, line_no)
        )`.execute(db);
      // Importing a statement twice records each bank transaction once: the second copy is a duplicate.
      await sql`CREATE UNIQUE INDEX payments_statement_lines_bank_transaction ON payments_statement_lines (agency_id, bank_transaction_id) WHERE status <> 'duplicate'`.execute(db);
      await sql`CREATE INDEX payments_statement_lines_day ON payments_statement_lines (agency_id, booked_on)`.execute(db);

      await sql`
        CREATE TABLE payments_payments (
          id uuid PRIMARY KEY,
          invoice_id uuid NOT NULL REFERENCES payments_invoices(id),
          agency_id uuid NOT NULL,
          method text NOT NULL CHECK (method IN ('mobile-money', 'bank-transfer', 'cash')),
          amount numeric(18,4) NOT NULL CHECK (amount > 0),
          currency text NOT NULL,
          received_on date NOT NULL,
          received_at timestamptz NOT NULL,
          mobile_request_id uuid UNIQUE REFERENCES payments_mobile_requests(id),
          statement_line_id uuid UNIQUE REFERENCES payments_statement_lines(id),
          cashier_id text,
          tendered numeric(18,4),
          change_given numeric(18,4),
          recorded_by_id text,
          recorded_by_name text,
          created_at timestamptz NOT NULL DEFAULT now(),
          CHECK ((method = 'mobile-money') = (mobile_request_id IS NOT NULL)),
          CHECK ((method = 'bank-transfer') = (statement_line_id IS NOT NULL)),
          CHECK ((method = 'cash') = (cashier_id IS NOT NULL AND tendered IS NOT NULL AND change_given = tendered - amount))
        )`.execute(db);
      await sql`CREATE INDEX payments_payments_invoice ON payments_payments (invoice_id)`.execute(db);
      await sql`CREATE INDEX payments_payments_day ON payments_payments (agency_id, received_on)`.execute(db);
      await sql`CREATE INDEX payments_payments_cashier ON payments_payments (cashier_id, received_on) WHERE method = 'cash'`.execute(db);

      // Receipt numbers run per agency and year without gaps: the counter row is taken in the payment's transaction.
      await sql`
        CREATE TABLE payments_receipt_counters (
          agency_id uuid NOT NULL,
          year integer NOT NULL,
          last_number integer NOT NULL,
          PRIMARY KEY (agency_id, year)
        )`.execute(db);
      await sql`
        CREATE TABLE payments_receipts (
          id uuid PRIMARY KEY,
          payment_id uuid NOT NULL UNIQUE REFERENCES payments_payments(id),
          agency_id uuid NOT NULL,
          year integer NOT NULL,
          seq integer NOT NULL,
          number text NOT NULL UNIQUE,
          issued_at timestamptz NOT NULL DEFAULT now(),
          document_id text,
          document_sha256 text,
          verify_url text,
          UNIQUE (agency_id, year, seq)
        )`.execute(db);

      await sql`
        CREATE TABLE payments_cash_closeouts (
          id uuid PRIMARY KEY,
          agency_id uuid NOT NULL,
          cashier_id text NOT NULL,
          cashier_name text NOT NULL,
          day date NOT NULL,
          totals jsonb NOT NULL,
          note text,
          closed_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (agency_id, cashier_id, day)
        )`.execute(db);
      await sql`
        CREATE FUNCTION payments_closeouts_final() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'a cash close-out is final (% refused)', TG_OP;
        END $$`.execute(db);
      await sql`CREATE TRIGGER payments_closeouts_no_change BEFORE UPDATE OR DELETE ON payments_cash_closeouts FOR EACH ROW EXECUTE FUNCTION payments_closeouts_final()`.execute(db);

      await sql`
        CREATE TABLE payments_refunds (
          id uuid PRIMARY KEY,
          payment_id uuid NOT NULL REFERENCES payments_payments(id),
          invoice_id uuid NOT NULL REFERENCES payments_invoices(id),
          agency_id uuid NOT NULL,
          amount numeric(18,4) NOT NULL CHECK (amount > 0),
          currency text NOT NULL,
          reason text NOT NULL,
          state text NOT NULL CHECK (state IN ('requested', 'approved', 'refused')),
          requested_by_id text NOT NULL,
          requested_by_name text NOT NULL,
          requested_at timestamptz NOT NULL DEFAULT now(),
          decided_by_id text,
          decided_by_name text,
          decided_at timestamptz,
          decision_note text,
          -- Four eyes: whoever asks for a refund cannot be the one who decides it.
          CHECK (decided_by_id IS NULL OR decided_by_id <> requested_by_id)
        )`.execute(db);
      await sql`CREATE INDEX payments_refunds_agency ON payments_refunds (agency_id, state, requested_at DESC)`.execute(db);
      await sql`CREATE INDEX payments_refunds_payment ON payments_refunds (payment_id)`.execute(db);
    },
  },
};
