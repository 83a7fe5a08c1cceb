import { sql, type RawBuilder } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import { agenciesReached, hasAnyRole, hasRole, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { Translate } from '../../platform/i18n/index.ts';
import { actorOf, recordAudit, SYSTEM_ACTOR } from '../../blocks/audit/index.ts';
import { defineRole, findUserByLogin } from '../../blocks/identity/index.ts';

export const LEVELS = ['public', 'restricted', 'confidential', 'secret'] as const;
export type Level = (typeof LEVELS)[number];

export const CHAIR = 'cabinet-chair';
export const MINISTER = 'minister';
export const DELEGATE = 'minister-delegate';
export const SECRETARIAT = 'cabinet-secretariat';
export const DRAFTER = 'memo-drafter';
export const LEGAL = 'legal-reviewer';

defineRole(CHAIR, 'Chairs the cabinet (the Prime Minister): approves late items and the minutes');
defineRole(MINISTER, 'A member of the cabinet, for the ministry the role is granted in');
defineRole(DELEGATE, "Acts for the ministry's minister: reads papers and records positions");
defineRole(SECRETARIAT, 'The cabinet secretariat: agendas, meetings, minutes, follow-up, clearances');
defineRole(DRAFTER, "Drafts the ministry's cabinet memos");
defineRole(LEGAL, "Reviews the ministry's cabinet memos before the minister signs them off");

export const CABINET_ROLES = [CHAIR, MINISTER, DELEGATE, SECRETARIAT, DRAFTER, LEGAL];
/** Members sit in the cabinet (or act for one who does) and record positions. */
export const MEMBER_ROLES = [MINISTER, DELEGATE];
/** Those who work on their own ministry's papers before they are submitted. */
const MINISTRY_ROLES = [MINISTER, DELEGATE, DRAFTER, LEGAL];
/** A paper leaves its ministry when the minister submits it. */
export const IN_MINISTRY_STATES = ['draft', 'legal-review', 'sign-off'];

/** Who is reading, as the one authorization rule below needs it. */
export interface Viewer {
  principal: Principal;
  clearance: Level;
  /** The chair and the secretariat read every submitted paper. */
  cabinetWide: boolean;
  /** Ministers and delegates read every submitted paper too. */
  member: boolean;
  /** Ministries whose own papers the viewer works on at every stage, and which may be consulted. */
  ministries: string[] | 'all';
}

export function rankOf(level: Level): number {
  return LEVELS.indexOf(level);
}

export function isSecretariat(principal: Principal | null): boolean {
  return hasRole(principal, SECRETARIAT);
}

export function isChair(principal: Principal | null): boolean {
  return hasRole(principal, CHAIR);
}

/**
 * A person's clearance: the level set for them, or for anyone in a cabinet role "restricted"
 * (every cabinet paper is at least for official use); nobody else reads beyond public papers.
 */
export async function clearanceOf(executor: Executor, principal: Principal | null): Promise<Level> {
  if (!principal || principal.kind !== 'user') return 'public';
  const row = (await sql<{ level: Level }>`SELECT level FROM ecabinet_clearances WHERE user_id = ${principal.id}`.execute(executor)).rows[0];
  if (row) return row.level;
  return hasAnyRole(principal, CABINET_ROLES) ? 'restricted' : 'public';
}

export async function viewerOf(executor: Executor, principal: Principal): Promise<Viewer> {
  const reached = agenciesReached(principal, MINISTRY_ROLES);
  return {
    principal,
    clearance: await clearanceOf(executor, principal),
    cabinetWide: hasAnyRole(principal, [CHAIR, SECRETARIAT]),
    member: hasAnyRole(principal, MEMBER_ROLES),
    ministries: reached === 'all' ? 'all' : [...reached],
  };
}

function inMinistries(viewer: Viewer, column: RawBuilder<unknown>): RawBuilder<boolean> {
  if (viewer.ministries === 'all') return sql<boolean>`true`;
  return sql<boolean>`${column} = ANY(${viewer.ministries}::uuid[])`;
}

/**
 * THE rule: whether the viewer may read memo `m` (an alias of ecabinet_memos). Every list, count,
 * search, page, download, notification recipient and API answer filters with it, so a paper
 * above one's clearance or outside one's role is simply not there.
 */
export function readableMemo(viewer: Viewer, m = 'm'): RawBuilder<boolean> {
  const ref = (column: string) => sql.ref(`${m}.${column}`);
  const submitted = viewer.cabinetWide || viewer.member ? sql<boolean>`${ref('state')} <> ALL(${IN_MINISTRY_STATES}::text[])` : sql<boolean>`false`;
  return sql<boolean>`(array_position(${LEVELS}::text[], ${ref('classification')}) <= ${rankOf(viewer.clearance) + 1}
    AND (${submitted}
      OR ${inMinistries(viewer, ref('agency_id'))}
      OR EXISTS (SELECT 1 FROM ecabinet_consultations c WHERE c.memo_id = ${ref('id')} AND ${inMinistries(viewer, sql.ref('c.agency_id'))})))`;
}

/** An attachment may be classified above its memo: readable only within the viewer's clearance too. */
export function readableAttachment(viewer: Viewer, a = 'a'): RawBuilder<boolean> {
  return sql<boolean>`array_position(${LEVELS}::text[], ${sql.ref(`${a}.classification`)}) <= ${rankOf(viewer.clearance) + 1}`;
}

/** 404 when there is no such memo, 403 when there is one the viewer may not read. */
export async function refuseUnreadable(executor: Executor, memoId: string): Promise<never> {
  const exists = (await sql`SELECT 1 FROM ecabinet_memos WHERE id = ${memoId}`.execute(executor)).rows.length > 0;
  if (!exists) throw Problem.notFound('No cabinet memo has this id.');
  throw Problem.forbidden('This cabinet paper is above your clearance or outside your role.');
}

/** What a message (e-mail, SMS) may say about a paper: its title only when it is public. */
export function notifiableTitle(t: Translate, paper: { title: string; classification: Level }): string {
  return paper.classification === 'public' ? paper.title : t(`ecabinet.masked.${paper.classification}`);
}

/** Reading a classified paper is itself a fact for the audit chain. */
export async function auditClassifiedRead(executor: Executor, viewer: Viewer, what: { action: 'ecabinet.view-memo' | 'ecabinet.download-attachment'; classification: Level; agencyId: string; subjectId: string; requestId: string; details?: Record<string, unknown> }): Promise<void> {
  if (what.classification === 'public') return;
  await recordAudit(executor, { actor: actorOf(viewer.principal), agencyId: what.agencyId, action: what.action, subjectType: what.action === 'ecabinet.view-memo' ? 'cabinet-memo' : 'cabinet-attachment', subjectId: what.subjectId, requestId: what.requestId, details: { classification: what.classification, ...what.details } });
}

/**
 * Set a person's clearance: administrators, or the secretariat up to its own level; with no
 * principal, the system (the demo seed).
 */
export async function setClearance(db: Db, principal: Principal | null, input: { username: string; level: Level }, requestId: string): Promise<void> {
  if (principal && !hasRole(principal, 'admin')) {
    if (!isSecretariat(principal)) throw Problem.forbidden('Only administrators and the cabinet secretariat set clearances.');
    if (rankOf(input.level) > rankOf(await clearanceOf(db, principal))) throw Problem.forbidden('You may not grant a clearance above your own.');
  }
  const user = await findUserByLogin(db, input.username);
  if (!user) throw Problem.invalidField('/body/username', 'no account has this username');
  const actor = principal ? actorOf(principal) : SYSTEM_ACTOR;
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO ecabinet_clearances (user_id, level, set_by) VALUES (${user.id}, ${input.level}, ${JSON.stringify(actor)}::jsonb)
      ON CONFLICT (user_id) DO UPDATE SET level = EXCLUDED.level, set_by = EXCLUDED.set_by, set_at = now()`.execute(trx);
    await recordAudit(trx, { actor, action: 'ecabinet.set-clearance', subjectType: 'user', subjectId: user.id, requestId, details: { username: user.username, level: input.level } });
  });
}

export async function listClearances(executor: Executor): Promise<{ userId: string; level: Level; setAt: Date }[]> {
  return (await sql<{ userId: string; level: Level; setAt: Date }>`SELECT user_id AS "userId", level, set_at AS "setAt" FROM ecabinet_clearances ORDER BY set_at DESC`.execute(executor)).rows;
}
