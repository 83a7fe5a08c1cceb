import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Principal } from '../../platform/http/access.ts';
import { canonicalJson } from './canonical-json.ts';

export interface AuditActor {
  type: 'user' | 'api-client' | 'system';
  id: string | null;
  name: string | null;
}

export interface AuditRecord {
  actor: AuditActor;
  agencyId?: string | null;
  /** What happened, as `block.verb-noun`, e.g. `identity.sign-in`. */
  action: string;
  subjectType: string;
  subjectId?: string | null;
  requestId?: string | null;
  /** A short, non-secret description shown when browsing the log. */
  details?: Record<string, unknown>;
  /** The full change; only its digest is kept, so the log proves what changed without copying personal data. */
  change?: unknown;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, name: 'system' };

export function actorOf(principal: Principal | null): AuditActor {
  if (!principal) return { type: 'system', id: null, name: 'anonymous' };
  return { type: principal.kind, id: principal.id, name: principal.displayName };
}

export interface StoredEntryFields {
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  agency_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  request_id: string | null;
  details: unknown;
  change_digest: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The digest of everything an entry says; the chain links these digests. */
export function entryDigest(entry: StoredEntryFields): string {
  return sha256(
    canonicalJson({
      occurredAt: entry.occurred_at.toISOString(),
      actorType: entry.actor_type,
      actorId: entry.actor_id,
      actorName: entry.actor_name,
      agencyId: entry.agency_id,
      action: entry.action,
      subjectType: entry.subject_type,
      subjectId: entry.subject_id,
      requestId: entry.request_id,
      details: entry.details,
      changeDigest: entry.change_digest,
    }),
  );
}

/**
 * Append an entry in the caller's transaction. Entries are linked into the hash chain later, in
 * commit order, by `linkChain`, so writers never queue behind one lock on the chain's head.
 */
export async function recordAudit(executor: Executor, record: AuditRecord): Promise<void> {
  const fields: StoredEntryFields = {
    occurred_at: new Date(),
    actor_type: record.actor.type,
    actor_id: record.actor.id,
    actor_name: record.actor.name,
    agency_id: record.agencyId ?? null,
    action: record.action,
    subject_type: record.subjectType,
    subject_id: record.subjectId ?? null,
    request_id: record.requestId ?? null,
    details: JSON.parse(JSON.stringify(record.details ?? {})),
    change_digest: sha256(canonicalJson(record.change ?? null)),
  };
  await sql`
    INSERT INTO audit_entries (occurred_at, actor_type, actor_id, actor_name, agency_id, action, subject_type, subject_id,
                               request_id, details, change_digest, entry_digest)
    VALUES (${fields.occurred_at}, ${fields.actor_type}, ${fields.actor_id}, ${fields.actor_name}, ${fields.agency_id},
            ${fields.action}, ${fields.subject_type}, ${fields.subject_id}, ${fields.request_id},
            ${JSON.stringify(fields.details)}::jsonb, ${fields.change_digest}, ${entryDigest(fields)})`.execute(executor);
}
