import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import type { BlobStore } from '../../platform/files/blob-store.ts';
import { detectDocumentKind, DOCUMENT_MEDIA_TYPES } from '../../platform/files/detect-type.ts';
import { hasAnyRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit, type AuditActor } from '../../blocks/audit/index.ts';
import { findAgencyByCode } from '../../blocks/identity/index.ts';
import { auditClassifiedRead, DRAFTER, isSecretariat, LEGAL, MINISTER, DELEGATE, SECRETARIAT, rankOf, readableAttachment, readableMemo, refuseUnreadable, type Level, type Viewer } from './clearance.ts';

export const MEMO_STATES = ['draft', 'legal-review', 'sign-off', 'submitted', 'ready', 'scheduled', 'decided'] as const;
export type MemoState = (typeof MEMO_STATES)[number];

export interface Memo {
  id: string;
  agencyId: string;
  title: string;
  summary: string;
  proposedDecision: string;
  cost: string;
  classification: Level;
  state: MemoState;
  version: number;
  createdBy: AuditActor;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemoText {
  title: string;
  summary: string;
  proposedDecision: string;
  cost: string;
  classification: Level;
}

const MEMO_COLUMNS = sql`m.id, m.agency_id AS "agencyId", m.title, m.summary, m.proposed_decision AS "proposedDecision", m.cost, m.classification, m.state, m.version, m.created_by AS "createdBy", m.created_at AS "createdAt", m.updated_at AS "updatedAt"`;

/**
 * The routing inside a ministry, then the secretariat's check: each step, who takes it (a role in
 * the memo's ministry, or the secretariat) and where it leads.
 */
export const MEMO_STEPS = {
  'send-to-legal': { from: ['draft'], to: 'legal-review', roles: [DRAFTER, MINISTER], cabinetWide: false },
  clear: { from: ['legal-review'], to: 'sign-off', roles: [LEGAL], cabinetWide: false },
  return: { from: ['legal-review', 'sign-off'], to: 'draft', roles: [LEGAL, MINISTER], cabinetWide: false },
  submit: { from: ['sign-off'], to: 'submitted', roles: [MINISTER], cabinetWide: false },
  'mark-ready': { from: ['submitted'], to: 'ready', roles: [SECRETARIAT], cabinetWide: true },
} as const satisfies Record<string, { from: readonly MemoState[]; to: MemoState; roles: readonly string[]; cabinetWide: boolean }>;
export type MemoStep = keyof typeof MEMO_STEPS;

/** The steps this person may take on this memo now. */
export function stepsFor(principal: Principal, memo: Pick<Memo, 'state' | 'agencyId'>): MemoStep[] {
  return (Object.keys(MEMO_STEPS) as MemoStep[]).filter((name) => {
    const step = MEMO_STEPS[name];
    if (!(step.from as readonly string[]).includes(memo.state)) return false;
    return hasAnyRole(principal, step.roles, step.cabinetWide ? undefined : memo.agencyId);
  });
}

export function mayRevise(principal: Principal, memo: Pick<Memo, 'state' | 'agencyId'>): boolean {
  return ['draft', 'submitted', 'ready'].includes(memo.state) && hasAnyRole(principal, [DRAFTER, MINISTER], memo.agencyId);
}

function checkWithinClearance(viewer: Viewer, level: Level, pointer: string): void {
  if (rankOf(level) > rankOf(viewer.clearance)) throw Problem.invalidField(pointer, 'is above your own clearance', 'ecabinetAboveClearance');
}

/** The ministry a drafter or minister writes for: the first agency their role is granted in. */
export function draftingAgency(principal: Principal): string | null {
  return principal.roles.find((g) => (g.role === DRAFTER || g.role === MINISTER) && g.agencyId)?.agencyId ?? null;
}

export async function createMemo(db: Db, viewer: Viewer, input: MemoText, requestId: string): Promise<Memo> {
  const agencyId = draftingAgency(viewer.principal);
  if (!agencyId) throw Problem.forbidden('Only a ministry drafter or minister drafts cabinet memos.');
  checkWithinClearance(viewer, input.classification, '/body/classification');
  const actor = actorOf(viewer.principal);
  return db.transaction().execute(async (trx) => {
    const id = randomUUID();
    await sql`
      INSERT INTO ecabinet_memos (id, agency_id, title, summary, proposed_decision, cost, classification, state, created_by)
      VALUES (${id}, ${agencyId}, ${input.title}, ${input.summary}, ${input.proposedDecision}, ${input.cost}, ${input.classification}, 'draft', ${JSON.stringify(actor)}::jsonb)`.execute(trx);
    await insertVersion(trx, id, 1, input, '', actor);
    await recordAudit(trx, { actor, agencyId, action: 'ecabinet.create-memo', subjectType: 'cabinet-memo', subjectId: id, requestId, details: { classification: input.classification } });
    return (await memoById(trx, id))!;
  });
}

async function insertVersion(executor: Executor, memoId: string, version: number, text: MemoText, note: string, actor: AuditActor) {
  await sql`
    INSERT INTO ecabinet_memo_versions (memo_id, version, title, summary, proposed_decision, cost, classification, note, created_by)
    VALUES (${memoId}, ${version}, ${text.title}, ${text.summary}, ${text.proposedDecision}, ${text.cost}, ${text.classification}, ${note}, ${JSON.stringify(actor)}::jsonb)`.execute(executor);
}

async function memoById(executor: Executor, id: string): Promise<Memo | undefined> {
  return (await sql<Memo>`SELECT ${MEMO_COLUMNS} FROM ecabinet_memos m WHERE m.id = ${id}`.execute(executor)).rows[0];
}

/** A memo the viewer may read, locked when it is about to change; otherwise 403 or 404. */
export async function readableMemoById(executor: Executor, viewer: Viewer, id: string, opts: { lock?: boolean } = {}): Promise<Memo> {
  const memo = (await sql<Memo>`SELECT ${MEMO_COLUMNS} FROM ecabinet_memos m WHERE m.id = ${id} AND ${readableMemo(viewer)} ${opts.lock ? sql`FOR UPDATE` : sql``}`.execute(executor)).rows[0];
  return memo ?? refuseUnreadable(executor, id);
}

/** Open a memo to read it: a classified one leaves an entry in the audit chain. */
export async function viewMemo(db: Db, viewer: Viewer, id: string, requestId: string): Promise<Memo> {
  return db.transaction().execute(async (trx) => {
    const memo = await readableMemoById(trx, viewer, id);
    await auditClassifiedRead(trx, viewer, { action: 'ecabinet.view-memo', classification: memo.classification, agencyId: memo.agencyId, subjectId: memo.id, requestId });
    return memo;
  });
}

export interface MemoQuery {
  q?: string;
  state?: MemoState;
  limit?: number;
}

/** Memos the viewer may read, newest first, with their count: a search never finds, nor counts, the others. */
export async function listMemos(executor: Executor, viewer: Viewer, query: MemoQuery = {}): Promise<{ total: number; memos: Memo[] }> {
  const words = query.q?.trim();
  const where = sql`${readableMemo(viewer)}
    ${query.state ? sql`AND m.state = ${query.state}` : sql``}
    ${words ? sql`AND (m.title ILIKE ${`%${words}%`} OR m.summary ILIKE ${`%${words}%`} OR m.proposed_decision ILIKE ${`%${words}%`})` : sql``}`;
  const [count, rows] = await Promise.all([
    sql<{ total: number }>`SELECT count(*)::int AS total FROM ecabinet_memos m WHERE ${where}`.execute(executor),
    sql<Memo>`SELECT ${MEMO_COLUMNS} FROM ecabinet_memos m WHERE ${where} ORDER BY m.updated_at DESC, m.id LIMIT ${query.limit ?? 100}`.execute(executor),
  ]);
  return { total: count.rows[0]!.total, memos: rows.rows };
}

export async function takeStep(db: Db, viewer: Viewer, id: string, step: MemoStep, requestId: string): Promise<Memo> {
  return db.transaction().execute(async (trx) => {
    const memo = await readableMemoById(trx, viewer, id, { lock: true });
    if (!stepsFor(viewer.principal, memo).includes(step)) {
      if (!(MEMO_STEPS[step].from as readonly string[]).includes(memo.state)) throw Problem.conflict(`A memo in state "${memo.state}" cannot take the step "${step}".`);
      throw Problem.forbidden(`Your role does not take the step "${step}" on this memo.`);
    }
    const to = MEMO_STEPS[step].to;
    await sql`UPDATE ecabinet_memos SET state = ${to}, updated_at = now() WHERE id = ${id}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), agencyId: memo.agencyId, action: `ecabinet.memo-${step}`, subjectType: 'cabinet-memo', subjectId: id, requestId, details: { from: memo.state, to } });
    return { ...memo, state: to };
  });
}

/** A new wording, kept beside the old ones (after consultation, say). */
export async function reviseMemo(db: Db, viewer: Viewer, id: string, input: MemoText & { note: string }, requestId: string): Promise<Memo> {
  checkWithinClearance(viewer, input.classification, '/body/classification');
  return db.transaction().execute(async (trx) => {
    const memo = await readableMemoById(trx, viewer, id, { lock: true });
    if (!mayRevise(viewer.principal, memo)) throw Problem.forbidden('Only the ministry may revise its memo, before it is on an agenda.');
    const version = memo.version + 1;
    const actor = actorOf(viewer.principal);
    await sql`
      UPDATE ecabinet_memos SET title = ${input.title}, summary = ${input.summary}, proposed_decision = ${input.proposedDecision}, cost = ${input.cost},
        classification = ${input.classification}, version = ${version}, updated_at = now() WHERE id = ${id}`.execute(trx);
    await insertVersion(trx, id, version, input, input.note, actor);
    await recordAudit(trx, { actor, agencyId: memo.agencyId, action: 'ecabinet.revise-memo', subjectType: 'cabinet-memo', subjectId: id, requestId, details: { version, classification: input.classification } });
    return (await memoById(trx, id))!;
  });
}

export interface MemoVersion extends MemoText {
  version: number;
  note: string;
  createdBy: AuditActor;
  createdAt: Date;
}

/** Every wording of a memo, oldest first (the caller has already checked the memo is readable). */
export async function memoVersions(executor: Executor, memoId: string): Promise<MemoVersion[]> {
  return (
    await sql<MemoVersion>`
      SELECT version, title, summary, proposed_decision AS "proposedDecision", cost, classification, note, created_by AS "createdBy", created_at AS "createdAt"
      FROM ecabinet_memo_versions WHERE memo_id = ${memoId} ORDER BY version`.execute(executor)
  ).rows;
}

export interface Attachment {
  id: string;
  memoId: string;
  fileName: string;
  mediaType: string;
  size: number;
  classification: Level;
  uploadedAt: Date;
}

const ATTACHMENT_COLUMNS = sql`a.id, a.memo_id AS "memoId", a.file_name AS "fileName", a.media_type AS "mediaType", a.size, a.classification, a.uploaded_at AS "uploadedAt"`;

/** A file checked by its content (PDF or image), stored by hash, classified at least as its memo. */
export async function attachFile(db: Db, blobs: BlobStore, viewer: Viewer, memoId: string, file: { name: string; bytes: Buffer; classification: Level }, requestId: string): Promise<Attachment> {
  const kind = await detectDocumentKind(file.bytes);
  if (kind !== 'pdf' && kind !== 'png' && kind !== 'jpeg') throw Problem.invalidField('/body/file', 'must be a PDF, PNG or JPEG file (checked by its content)', 'ecabinetFileType');
  checkWithinClearance(viewer, file.classification, '/body/classification');
  const memoToAttachTo = async (executor: Executor, lock: boolean) => {
    const memo = await readableMemoById(executor, viewer, memoId, { lock });
    if (!mayRevise(viewer.principal, memo)) throw Problem.forbidden('Only the ministry attaches papers to its memo, before it is on an agenda.');
    return memo;
  };
  // Checked before the file is stored too, so a refused caller leaves no file behind; checked
  // again under the lock, as the memo may reach an agenda meanwhile.
  await memoToAttachTo(db, false);
  const stored = await blobs.put(file.bytes);
  return db.transaction().execute(async (trx) => {
    const memo = await memoToAttachTo(trx, true);
    const classification = rankOf(file.classification) < rankOf(memo.classification) ? memo.classification : file.classification;
    const id = randomUUID();
    await sql`
      INSERT INTO ecabinet_attachments (id, memo_id, file_name, media_type, blob_hash, size, classification, uploaded_by)
      VALUES (${id}, ${memoId}, ${file.name.slice(0, 200)}, ${DOCUMENT_MEDIA_TYPES[kind]!}, ${stored.hash}, ${stored.size}, ${classification}, ${JSON.stringify(actorOf(viewer.principal))}::jsonb)`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), agencyId: memo.agencyId, action: 'ecabinet.attach-file', subjectType: 'cabinet-memo', subjectId: memoId, requestId, details: { attachment: id, classification } });
    return (await sql<Attachment>`SELECT ${ATTACHMENT_COLUMNS} FROM ecabinet_attachments a WHERE a.id = ${id}`.execute(trx)).rows[0]!;
  });
}

/** The attachments of a readable memo the viewer's clearance reaches. */
export async function attachmentsOf(executor: Executor, viewer: Viewer, memoId: string): Promise<Attachment[]> {
  return (await sql<Attachment>`SELECT ${ATTACHMENT_COLUMNS} FROM ecabinet_attachments a WHERE a.memo_id = ${memoId} AND ${readableAttachment(viewer)} ORDER BY a.uploaded_at, a.id`.execute(executor)).rows;
}

/** Download an attachment: the memo and the file must both be readable; a classified one is audited. */
export async function downloadAttachment(db: Db, blobs: BlobStore, viewer: Viewer, memoId: string, attachmentId: string, requestId: string): Promise<{ attachment: Attachment; bytes: Buffer }> {
  const { attachment, hash } = await db.transaction().execute(async (trx) => {
    const memo = await readableMemoById(trx, viewer, memoId);
    const row = (await sql<Attachment & { hash: string; readable: boolean }>`SELECT ${ATTACHMENT_COLUMNS}, a.blob_hash AS hash, ${readableAttachment(viewer)} AS readable FROM ecabinet_attachments a WHERE a.id = ${attachmentId} AND a.memo_id = ${memoId}`.execute(trx)).rows[0];
    if (!row) throw Problem.notFound('This memo has no attachment with this id.');
    if (!row.readable) throw Problem.forbidden('This attachment is above your clearance.');
    const { hash: blobHash, readable: _readable, ...found } = row;
    await auditClassifiedRead(trx, viewer, { action: 'ecabinet.download-attachment', classification: found.classification, agencyId: memo.agencyId, subjectId: found.id, requestId, details: { memo: memoId } });
    return { attachment: found, hash: blobHash };
  });
  const bytes = await blobs.get(hash);
  if (!bytes) throw new Error(`attachment ${attachmentId}: its file is missing from the blob store`);
  return { attachment, bytes };
}

export interface Consultation {
  id: string;
  memoId: string;
  agencyId: string;
  dueOn: string;
  reply: string | null;
  repliedBy: AuditActor | null;
  repliedAt: Date | null;
}

const CONSULTATION_COLUMNS = sql`c.id, c.memo_id AS "memoId", c.agency_id AS "agencyId", to_char(c.due_on, 'YYYY-MM-DD') AS "dueOn", c.reply, c.replied_by AS "repliedBy", c.replied_at AS "repliedAt"`;

/** Ask another ministry for its comments by a date: the secretariat, or the submitting ministry. */
export async function requestConsultation(db: Db, viewer: Viewer, memoId: string, input: { agency: string; dueOn: string }, requestId: string): Promise<void> {
  const agency = await findAgencyByCode(db, input.agency);
  if (!agency) throw Problem.invalidField('/body/agency', 'no agency has this code');
  await db.transaction().execute(async (trx) => {
    const memo = await readableMemoById(trx, viewer, memoId);
    // Not `cabinetWide`: the chair reads every submitted paper, but consulting is the secretariat's work.
    if (!isSecretariat(viewer.principal) && !hasAnyRole(viewer.principal, [MINISTER, DRAFTER], memo.agencyId)) throw Problem.forbidden('Only the secretariat or the submitting ministry asks for comments.');
    if (!['submitted', 'ready'].includes(memo.state)) throw Problem.conflict('Comments are asked for once the memo is submitted, before it is on an agenda.');
    if (agency.id === memo.agencyId) throw Problem.invalidField('/body/agency', 'the submitting ministry is not consulted on its own memo');
    await sql`
      INSERT INTO ecabinet_consultations (id, memo_id, agency_id, due_on, requested_by) VALUES (${randomUUID()}, ${memoId}, ${agency.id}, ${input.dueOn}, ${JSON.stringify(actorOf(viewer.principal))}::jsonb)
      ON CONFLICT (memo_id, agency_id) DO UPDATE SET due_on = EXCLUDED.due_on`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), agencyId: memo.agencyId, action: 'ecabinet.request-consultation', subjectType: 'cabinet-memo', subjectId: memoId, requestId, details: { agency: agency.code, dueOn: input.dueOn } });
  });
}

export async function consultationsOf(executor: Executor, memoId: string): Promise<Consultation[]> {
  return (await sql<Consultation>`SELECT ${CONSULTATION_COLUMNS} FROM ecabinet_consultations c WHERE c.memo_id = ${memoId} ORDER BY c.requested_at`.execute(executor)).rows;
}

/** The consulted ministry's reply, attached to the memo. */
/** The memo a consultation is on: its reply form is on that memo's page. */
export async function consultationMemo(executor: Executor, consultationId: string): Promise<string | undefined> {
  return (await sql<{ memoId: string }>`SELECT memo_id AS "memoId" FROM ecabinet_consultations WHERE id = ${consultationId}`.execute(executor)).rows[0]?.memoId;
}

export async function replyToConsultation(db: Db, viewer: Viewer, consultationId: string, reply: string, requestId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const consultation = (await sql<Consultation>`SELECT ${CONSULTATION_COLUMNS} FROM ecabinet_consultations c WHERE c.id = ${consultationId} FOR UPDATE`.execute(trx)).rows[0];
    if (!consultation) throw Problem.notFound('No consultation has this id.');
    await readableMemoById(trx, viewer, consultation.memoId);
    if (!hasAnyRole(viewer.principal, [MINISTER, DELEGATE, DRAFTER, LEGAL], consultation.agencyId)) throw Problem.forbidden('Only the consulted ministry replies.');
    await sql`UPDATE ecabinet_consultations SET reply = ${reply}, replied_by = ${JSON.stringify(actorOf(viewer.principal))}::jsonb, replied_at = now() WHERE id = ${consultationId}`.execute(trx);
    await recordAudit(trx, { actor: actorOf(viewer.principal), agencyId: consultation.agencyId, action: 'ecabinet.reply-consultation', subjectType: 'cabinet-memo', subjectId: consultation.memoId, requestId });
  });
}
