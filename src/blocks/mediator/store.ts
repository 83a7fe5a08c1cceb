import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { JWK } from 'jose';
import type { Db, Executor } from '../../platform/db/database.ts';

export interface Member {
  code: string;
  name: string;
  baseUrl: string;
  publicJwk: JWK;
  /** The agency (by code, in this node's directory) the member stands for when consent is checked. */
  agency?: string | null;
}

export interface Service {
  code: string;
  registry: string;
  fields: string[];
  /** Served only with the person's consent to an agreement for this purpose (personal registries). */
  purpose?: string | null;
}

export async function listMembers(db: Executor): Promise<Member[]> {
  const { rows } = await sql<{ code: string; name: string; base_url: string; public_jwk: JWK; agency: string | null }>`SELECT code, name, base_url, public_jwk, agency FROM mediator_members ORDER BY code`.execute(db);
  return rows.map((r) => ({ code: r.code, name: r.name, baseUrl: r.base_url, publicJwk: r.public_jwk, agency: r.agency }));
}

export async function findMember(db: Executor, code: string): Promise<Member | undefined> {
  return (await listMembers(db)).find((m) => m.code === code);
}

/** Registering a member again replaces its address and key (a key rotation). */
export async function saveMember(db: Executor, member: Member): Promise<void> {
  await sql`INSERT INTO mediator_members (code, name, base_url, public_jwk, agency) VALUES (${member.code}, ${member.name}, ${member.baseUrl}, ${JSON.stringify(member.publicJwk)}::jsonb, ${member.agency ?? null})
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, base_url = EXCLUDED.base_url, public_jwk = EXCLUDED.public_jwk, agency = EXCLUDED.agency`.execute(db);
}

export async function listServices(db: Executor): Promise<Service[]> {
  const { rows } = await sql<Service>`SELECT code, registry, fields, purpose FROM mediator_services ORDER BY code`.execute(db);
  return rows;
}

export async function findService(db: Executor, code: string): Promise<Service | undefined> {
  const { rows } = await sql<Service>`SELECT code, registry, fields, purpose FROM mediator_services WHERE code = ${code}`.execute(db);
  return rows[0];
}

export async function saveService(db: Executor, service: Service): Promise<void> {
  await sql`INSERT INTO mediator_services (code, registry, fields, purpose) VALUES (${service.code}, ${service.registry}, ${service.fields}, ${service.purpose ?? null})
            ON CONFLICT (code) DO UPDATE SET registry = EXCLUDED.registry, fields = EXCLUDED.fields, purpose = EXCLUDED.purpose`.execute(db);
}

export interface Right {
  client: string;
  service: string;
}

export async function listRights(db: Executor): Promise<Right[]> {
  const { rows } = await sql<Right>`SELECT client, service FROM mediator_rights ORDER BY client, service`.execute(db);
  return rows;
}

export async function hasRight(db: Executor, client: string, service: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM mediator_rights WHERE client = ${client} AND service = ${service}`.execute(db);
  return rows.length > 0;
}

/** Returns false when the right was already there. */
export async function grantRight(db: Executor, right: Right): Promise<boolean> {
  const { rows } = await sql`INSERT INTO mediator_rights (client, service) VALUES (${right.client}, ${right.service}) ON CONFLICT DO NOTHING RETURNING 1`.execute(db);
  return rows.length > 0;
}

export async function revokeRight(db: Executor, right: Right): Promise<boolean> {
  const { rows } = await sql`DELETE FROM mediator_rights WHERE client = ${right.client} AND service = ${right.service} RETURNING 1`.execute(db);
  return rows.length > 0;
}

/** Remembers a client's message id; false when it was seen before (a replay). */
export async function markSeen(db: Executor, client: string, messageId: string): Promise<boolean> {
  const { rows } = await sql`INSERT INTO mediator_seen_ids (client, message_id) VALUES (${client}, ${messageId}) ON CONFLICT DO NOTHING RETURNING 1`.execute(db);
  return rows.length > 0;
}

export interface LogEntry {
  direction: 'in' | 'out';
  messageId: string;
  client: string;
  provider: string | null;
  service: string;
  userId: string | null;
  issue: string | null;
  requestDigest: string;
  status: number;
  reason: string | null;
  /** The request's signature, and the answer's when there is one. */
  signatures: { request?: string; response?: string };
}

export interface StoredLogEntry extends LogEntry {
  seq: number;
  at: Date;
  prevHash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

function hashOf(prevHash: string, at: Date, entry: LogEntry): string {
  const fields = [entry.direction, entry.messageId, entry.client, entry.provider, entry.service, entry.userId, entry.issue, entry.requestDigest, entry.status, entry.reason, entry.signatures.request ?? null, entry.signatures.response ?? null, at.toISOString()];
  return createHash('sha256').update(prevHash).update(JSON.stringify(fields)).digest('hex');
}

/** Append one entry to the chain. The table lock makes appends one at a time, so each links to the one before. */
export async function appendLog(db: Db, entry: LogEntry): Promise<StoredLogEntry> {
  return db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE mediator_log IN EXCLUSIVE MODE`.execute(trx);
    const { rows } = await sql<{ hash: string }>`SELECT hash FROM mediator_log ORDER BY seq DESC LIMIT 1`.execute(trx);
    const prevHash = rows[0]?.hash ?? GENESIS;
    // Milliseconds only: what Postgres keeps must hash the same when read back.
    const at = new Date(Math.floor(Date.now()));
    const hash = hashOf(prevHash, at, entry);
    const inserted = await sql<{ seq: string }>`
      INSERT INTO mediator_log (at, direction, message_id, client, provider, service, user_id, issue, request_digest, status, reason, signatures, prev_hash, hash)
      VALUES (${at}, ${entry.direction}, ${entry.messageId}, ${entry.client}, ${entry.provider}, ${entry.service}, ${entry.userId}, ${entry.issue}, ${entry.requestDigest}, ${entry.status}, ${entry.reason}, ${JSON.stringify(entry.signatures)}::jsonb, ${prevHash}, ${hash})
      RETURNING seq`.execute(trx);
    return { ...entry, seq: Number(inserted.rows[0]!.seq), at, prevHash, hash };
  });
}

interface LogRow {
  seq: string;
  at: Date;
  direction: 'in' | 'out';
  message_id: string;
  client: string;
  provider: string | null;
  service: string;
  user_id: string | null;
  issue: string | null;
  request_digest: string;
  status: number;
  reason: string | null;
  signatures: { request?: string; response?: string };
  prev_hash: string;
  hash: string;
}

export async function readLog(db: Executor, opts: { messageId?: string; limit?: number } = {}): Promise<StoredLogEntry[]> {
  const { rows } = await sql<LogRow>`SELECT * FROM mediator_log ${opts.messageId ? sql`WHERE message_id = ${opts.messageId}` : sql``} ORDER BY seq LIMIT ${opts.limit ?? 1000}`.execute(db);
  return rows.map((r) => ({
    seq: Number(r.seq), at: r.at, direction: r.direction, messageId: r.message_id, client: r.client, provider: r.provider, service: r.service, userId: r.user_id, issue: r.issue,
    requestDigest: r.request_digest, status: r.status, reason: r.reason, signatures: r.signatures, prevHash: r.prev_hash, hash: r.hash,
  }));
}

export interface LogCheck {
  entries: number;
  valid: boolean;
  /** The first entry whose link or hash does not hold. */
  brokenAt: number | null;
}

/** Recompute the whole chain from the first entry. */
export async function verifyLog(db: Executor): Promise<LogCheck> {
  const entries = await readLog(db, { limit: 1_000_000 });
  let prev = GENESIS;
  for (const e of entries) {
    if (e.prevHash !== prev || hashOf(prev, e.at, e) !== e.hash) return { entries: entries.length, valid: false, brokenAt: e.seq };
    prev = e.hash;
  }
  return { entries: entries.length, valid: true, brokenAt: null };
}
