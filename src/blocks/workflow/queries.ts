import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { hasRole, type Principal } from '../../platform/http/access.ts';
import type { CaseRow, TaskRow } from './engine.ts';

export interface WorklistItem {
  taskId: string;
  caseId: string;
  subjectType: string;
  subjectId: string;
  serviceId: string;
  state: string;
  reviewId: string | null;
  role: string;
  agencyId: string;
  assigneeId: string | null;
  dueAt: Date | null;
  overdue: boolean;
  createdAt: Date;
}

export interface WorklistFilter {
  mine?: boolean;
  serviceId?: string;
  state?: string;
  agencyId?: string;
  overdue?: boolean;
  /** Keyset: items after this (due date, task id) pair, in due-date order (no due date last). */
  after?: { dueAt: Date | null; taskId: string };
  limit: number;
}

/** Where a worklist page ends, as a link carries it: the last item's due date (empty when none) and task id. */
export const WORKLIST_POSITION = '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)?\\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$';

export function worklistPosition(item: WorklistItem): string {
  return `${item.dueAt?.toISOString() ?? ''}|${item.taskId}`;
}

/** The position a link gave, or null when it is not one this list made (every part reaches SQL, so each is checked). */
export function readWorklistPosition(text: string): NonNullable<WorklistFilter['after']> | null {
  const [, dueText, taskId] = new RegExp(WORKLIST_POSITION).exec(text) ?? [];
  const dueAt = dueText ? new Date(dueText) : null;
  if (!taskId || (dueAt && Number.isNaN(dueAt.getTime()))) return null;
  return { dueAt, taskId };
}

/**
 * The (role, agency) pairs a principal reaches, each a condition on workflow_tasks that the
 * partial index on open tasks (role, agency_id, due_at, id) answers in due-date order.
 */
function reachConditions(principal: Principal) {
  return [...principal.reach].flatMap(([role, agencies]) =>
    agencies === 'all' ? [sql`t.role = ${role}`] : [...agencies].map((agencyId) => sql`t.role = ${role} AND t.agency_id = ${agencyId}`),
  );
}

/**
 * Open tasks this principal may work on, soonest due first, with keyset pagination. Each (role,
 * agency) the principal reaches is read on its own from the partial index on open tasks, already
 * in due-date order and cut at the page size, and the pieces are merged: a page costs the same
 * whether an agency has a hundred open tasks or a hundred thousand (bench/reads.ts).
 */
export async function worklist(executor: Executor, principal: Principal, filter: WorklistFilter): Promise<WorklistItem[]> {
  const conditions = [sql`t.completed_at IS NULL`];
  if (filter.serviceId) conditions.push(sql`c.service_id = ${filter.serviceId}`);
  if (filter.state) conditions.push(sql`c.state = ${filter.state}`);
  if (filter.agencyId) conditions.push(sql`t.agency_id = ${filter.agencyId}`);
  if (filter.overdue) conditions.push(sql`c.overdue`);
  if (filter.after) {
    conditions.push(
      filter.after.dueAt
        ? sql`(t.due_at > ${filter.after.dueAt} OR (t.due_at = ${filter.after.dueAt} AND t.id > ${filter.after.taskId}) OR t.due_at IS NULL)`
        : sql`(t.due_at IS NULL AND t.id > ${filter.after.taskId})`,
    );
  }
  const whose = filter.mine ? [sql`t.assignee_id = ${principal.id}`] : reachConditions(principal);
  if (whose.length === 0) return [];
  const pieces = whose.map(
    (who) => sql`(
      SELECT t.id AS "taskId", c.id AS "caseId", c.subject_type AS "subjectType", c.subject_id AS "subjectId", c.service_id AS "serviceId",
             c.state, t.review_id AS "reviewId", t.role, t.agency_id AS "agencyId", t.assignee_id AS "assigneeId", t.due_at AS "dueAt",
             c.overdue, t.created_at AS "createdAt"
      FROM workflow_tasks t JOIN workflow_cases c ON c.id = t.case_id
      WHERE ${who} AND ${sql.join(conditions, sql` AND `)}
      ORDER BY t.due_at ASC NULLS LAST, t.id ASC
      LIMIT ${filter.limit})`,
  );
  // A task reached through two grants (an officer who is also head of a parent agency) is listed once.
  const result = await sql<WorklistItem>`
    SELECT DISTINCT ON ("dueAt", "taskId") * FROM (${sql.join(pieces, sql` UNION ALL `)}) AS open_tasks
    ORDER BY "dueAt" ASC NULLS LAST, "taskId" ASC
    LIMIT ${filter.limit}`.execute(executor);
  return result.rows;
}

export interface CaseEvent {
  id: number;
  at: Date;
  kind: string;
  actionId: string | null;
  fromState: string | null;
  toState: string | null;
  actorType: string;
  actorName: string | null;
  inputs: Record<string, unknown>;
}

export async function caseEvents(executor: Executor, caseId: string): Promise<CaseEvent[]> {
  const result = await sql<CaseEvent>`
    SELECT id, at, kind, action_id AS "actionId", from_state AS "fromState", to_state AS "toState", actor_type AS "actorType",
           actor_name AS "actorName", inputs
    FROM workflow_events WHERE case_id = ${caseId} ORDER BY id`.execute(executor);
  return result.rows;
}

export async function caseTasks(executor: Executor, caseId: string): Promise<TaskRow[]> {
  const result = await sql<TaskRow>`SELECT * FROM workflow_tasks WHERE case_id = ${caseId} ORDER BY created_at, id`.execute(executor);
  return result.rows;
}

const STAFF_ROLES = ['admin', 'agency-head', 'officer', 'auditor'];

/**
 * Staff who may open a case file: anyone with a staff role in the owning agency (or above it),
 * and the reviewers of other agencies the case was routed to.
 */
export async function maySeeCase(executor: Executor, principal: Principal | null, row: CaseRow): Promise<boolean> {
  if (!principal) return false;
  if (STAFF_ROLES.some((role) => hasRole(principal, role, row.agency_id))) return true;
  const tasks = await caseTasks(executor, row.id);
  return tasks.some((t) => hasRole(principal, t.role, t.agency_id));
}

export async function findTask(executor: Executor, taskId: string): Promise<(TaskRow & { created_at: Date }) | undefined> {
  const result = await sql<TaskRow & { created_at: Date }>`SELECT * FROM workflow_tasks WHERE id = ${taskId}`.execute(executor);
  return result.rows[0];
}

export interface GrantedCase {
  caseId: string;
  subjectId: string;
  grantedAt: Date;
}

/**
 * Cases of a service that were granted, the latest grant first, before `before` when given: what
 * a public register lists. A grant stays one when the case reopens after it (the holder declaring
 * the works finished). Ties on the moment are broken by case id, for paging.
 */
export async function grantedCases(executor: Executor, filter: { serviceId: string; subjectType: string; before?: { grantedAt: Date; id: string }; limit: number }): Promise<GrantedCase[]> {
  const after = filter.before ? sql`AND (granted_at, id) < (${filter.before.grantedAt}, ${filter.before.id})` : sql``;
  const result = await sql<{ id: string; subject_id: string; granted_at: Date }>`
    SELECT id, subject_id, granted_at FROM workflow_cases
    WHERE service_id = ${filter.serviceId} AND granted_at IS NOT NULL AND subject_type = ${filter.subjectType} ${after}
    ORDER BY granted_at DESC, id DESC LIMIT ${filter.limit}`.execute(executor);
  return result.rows.map((r) => ({ caseId: r.id, subjectId: r.subject_id, grantedAt: r.granted_at }));
}
