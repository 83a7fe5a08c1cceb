import { hasAnyRole, type Principal } from '../../../platform/http/access.ts';
import { findUserById, listAgencies } from '../../identity/index.ts';
import { worklist, type WorklistItem } from '../../workflow/index.ts';
import type { RegistrationDeps } from '../applications/context.ts';
import { describeApplication } from '../applications/describe-application.ts';
import { pickText } from '../applications/notify-people.ts';
import { applicationsOf, findApplication, type ApplicationRow } from '../applications/store.ts';
import { namesService } from './identifiers.ts';
import { listItemOf, type TaskOnFile } from './map-applications.ts';
import { userTaskOf, type TaskRef } from './map-tasks.ts';
import type { ApplicationListItemOut, UserTaskOut } from './schemas.ts';

const PAGE = 100;
const STAFF_ROLES = ['officer', 'agency-head', 'admin'];

export interface Window {
  /** Zero-based index of the first item to return, as Camunda's `firstResult`. */
  first: number;
  max: number;
}

/**
 * GovStack pages by offset; our lists page by key, which stays fast deep into a list. Read key
 * pages until the window is filled, counting only the items kept.
 */
async function offsetWindow<T>(page: (last: T | undefined) => Promise<T[]>, keep: (item: T) => boolean | Promise<boolean>, window: Window): Promise<T[]> {
  const out: T[] = [];
  let skipped = 0;
  let last: T | undefined;
  for (;;) {
    const items = await page(last);
    for (const item of items) {
      if (!(await keep(item))) continue;
      if (skipped < window.first) skipped += 1;
      else out.push(item);
      if (out.length === window.max) return out;
    }
    if (items.length < PAGE) return out;
    last = items.at(-1);
  }
}

function worklistPages(deps: RegistrationDeps, principal: Principal) {
  return (last: WorklistItem | undefined) => worklist(deps.db, principal, { limit: PAGE, after: last ? { dueAt: last.dueAt, taskId: last.taskId } : undefined });
}

function taskRefOf(item: WorklistItem): TaskRef {
  return { taskId: item.taskId, caseId: item.caseId, state: item.state, reviewId: item.reviewId, role: item.role, assigneeId: item.assigneeId, createdAt: item.createdAt, open: true };
}

export interface FileFilter {
  serviceId?: string;
  applicantId?: string;
}

/**
 * "The applications the user may access": an applicant's own files (and those made for them),
 * newest first; for staff, the files on their worklist, soonest due first, each with its task.
 */
export async function filesFor(deps: RegistrationDeps, principal: Principal, filter: FileFilter, window: Window, locale: string, baseUrl: string): Promise<ApplicationListItemOut[]> {
  const { db } = deps;
  const wanted = (row: ApplicationRow) => (!filter.serviceId || namesService(filter.serviceId, row.service_id)) && (!filter.applicantId || row.applicant_party_id === filter.applicantId);
  if (!hasAnyRole(principal, STAFF_ROLES)) {
    const who = { userId: principal.id, partyId: principal.partyId! };
    const rows = await offsetWindow((last: ApplicationRow | undefined) => applicationsOf(db, who, PAGE, last?.created_at), wanted, window);
    return Promise.all(rows.map(async (row) => listItemOf(await describeApplication(db, row, principal, 'applicant'), locale, baseUrl, null)));
  }
  const files = new Map<string, ApplicationRow>();
  const keep = async (item: WorklistItem) => {
    if (item.subjectType !== 'application' || files.has(item.subjectId)) return false;
    const row = await findApplication(db, item.subjectId);
    if (!row || !wanted(row)) return false;
    files.set(row.id, row);
    return true;
  };
  const items = await offsetWindow(worklistPages(deps, principal), keep, window);
  const agencies = new Map((await listAgencies(db)).map((a) => [a.id, pickText(a.names, locale)]));
  return Promise.all(
    items.map(async (item) => {
      const operator = item.assigneeId ? await findUserById(db, item.assigneeId) : undefined;
      const task: TaskOnFile = { role: item.role, roleName: `${item.role}, ${agencies.get(item.agencyId) ?? item.agencyId}`, assigneeId: item.assigneeId, operatorName: operator?.display_name ?? null };
      return listItemOf(await describeApplication(db, files.get(item.subjectId)!, principal, 'staff'), locale, baseUrl, task);
    }),
  );
}

export interface TaskFilter {
  fileId?: string;
  mainTaskId?: string;
  assigneeId?: string;
}

/** Open tasks the principal may work on, soonest due first. */
export async function tasksFor(deps: RegistrationDeps, principal: Principal, filter: TaskFilter, window: Window, locale: string): Promise<UserTaskOut[]> {
  const keep = (item: WorklistItem) =>
    item.subjectType === 'application' && (!filter.fileId || item.subjectId === filter.fileId) && (!filter.mainTaskId || item.caseId === filter.mainTaskId) && (!filter.assigneeId || item.assigneeId === filter.assigneeId);
  const items = await offsetWindow(worklistPages(deps, principal), keep, window);
  return Promise.all(
    items.map(async (item) => {
      const application = (await findApplication(deps.db, item.subjectId))!;
      return userTaskOf(taskRefOf(item), await describeApplication(deps.db, application, principal, 'staff'), locale);
    }),
  );
}
