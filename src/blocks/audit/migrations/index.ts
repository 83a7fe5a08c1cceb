import { sql } from 'kysely';
import type { MigrationSet } from '../../../platform/db/migrations.ts';

export const auditMigrations: MigrationSet = {
  '2026-11-23T1420_audit_chain': {
    async up(db) {
      await sql`
        CREATE TABLE audit_entries (
          id bigserial PRIMARY KEY,
          occurred_at timestamptz NOT NULL,
          actor_type text NOT NULL CHECK (actor_type IN ('user', 'api-client', 'system')),
          actor_id text,
          actor_name text,
          agency_id uuid,
          action text NOT NULL,
          subject_type text NOT NULL,
          subject_id text,
          request_id text,
          details jsonb NOT NULL DEFAULT '{}',
          change_digest text NOT NULL,
          entry_digest text NOT NULL,
          chain_seq bigint UNIQUE,
          prev_hash text,
          hash text
        )`.execute(db);
      await sql`CREATE INDEX audit_entries_unlinked ON audit_entries (id) WHERE chain_seq IS NULL`.execute(db);
      await sql`CREATE INDEX audit_entries_agency ON audit_entries (agency_id, id DESC)`.execute(db);
      await sql`CREATE INDEX audit_entries_subject ON audit_entries (subject_type, subject_id)`.execute(db);
      await sql`CREATE INDEX audit_entries_actor ON audit_entries (actor_id, id DESC)`.execute(db);
      // Entries are append-only: the linker may fill in the chain columns once, nothing else changes.
      await sql`
        CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'UPDATE' THEN
            RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
          END IF;
          IF OLD.chain_seq IS NOT NULL
             OR (to_jsonb(NEW) - 'chain_seq' - 'prev_hash' - 'hash') IS DISTINCT FROM (to_jsonb(OLD) - 'chain_seq' - 'prev_hash' - 'hash') THEN
            RAISE EXCEPTION 'audit entries are append-only (entry % cannot change)', OLD.id;
          END IF;
          RETURN NEW;
        END $$`.execute(db);
      await sql`CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()`.execute(db);
      await sql`CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()`.execute(db);
      await sql`
        CREATE TABLE audit_checkpoints (
          chain_seq bigint PRIMARY KEY,
          hash text NOT NULL,
          signed_at timestamptz NOT NULL DEFAULT now(),
          key_id text NOT NULL,
          signature text NOT NULL
        )`.execute(db);
    },
  },
};
