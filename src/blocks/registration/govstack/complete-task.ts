import type { Principal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { findTask, loadCase } from '../../workflow/index.ts';
import { actOnApplication, applicationForStaff, reviewApplication } from '../applications/act-on-application.ts';
import type { RegistrationDeps } from '../applications/context.ts';
import { describeApplication, type ApplicationView } from '../applications/describe-application.ts';
import { isUuid, serviceUuid } from './identifiers.ts';
import { statusOf } from './map-applications.ts';
import { completionOf, type TaskRef } from './map-tasks.ts';
import type { CompletedTaskOut } from './schemas.ts';

/** A task, open or done, for staff who may see its file; 404 for everyone else. */
export async function openTask(deps: RegistrationDeps, principal: Principal, taskId: string): Promise<{ task: TaskRef; view: ApplicationView }> {
  const row = isUuid(taskId) ? await findTask(deps.db, taskId) : undefined;
  const caseRow = row && (await loadCase(deps.db, row.case_id));
  if (!row || caseRow?.subject_type !== 'application') throw Problem.notFound('No task you may see has this id.');
  const application = await applicationForStaff(deps.db, principal, caseRow.subject_id);
  const view = await describeApplication(deps.db, application, principal, 'staff');
  // A task belongs to one visit of a state: the history event that entered it.
  const state = view.events.find((e) => e.id === row.visit)?.toState ?? caseRow.state;
  return {
    task: { taskId: row.id, caseId: row.case_id, state, reviewId: row.review_id, role: row.role, assigneeId: row.assignee_id, createdAt: row.created_at, open: row.completed_at === null },
    view,
  };
}

/** Complete a task: give the review opinion, or take the action, that `data` names (see `completionOf`). */
export async function completeTask(deps: RegistrationDeps, caller: { principal: Principal; locale: string; requestId: string }, input: { taskId: string; data: Record<string, Record<string, unknown>> }): Promise<CompletedTaskOut> {
  const { task, view } = await openTask(deps, caller.principal, input.taskId);
  if (!task.open) throw Problem.conflict('This task is already completed.');
  const completion = completionOf(task, view, input.data);
  const applicationId = view.application.id;
  const common = { applicationId, principal: caller.principal, requestId: caller.requestId };
  if (completion.kind === 'opinion') {
    await reviewApplication(deps, { ...common, reviewId: task.reviewId!, opinion: completion.opinion, conditions: completion.conditions });
  } else {
    // The task's state, so a task left open in a page that has since moved on is refused.
    await actOnApplication(deps, { ...common, actionId: completion.actionId, inputs: completion.inputs, expectedState: task.state });
  }
  const after = await describeApplication(deps.db, view.application, caller.principal, 'staff');
  const [key, inputs] = completion.kind === 'opinion' ? [completion.opinion, { conditions: completion.conditions }] : [completion.actionId, completion.inputs];
  return { taskId: task.taskId, fileId: applicationId, serviceId: serviceUuid(view.application.service_id), status: statusOf(after, caller.locale), variables: { [key]: { data: inputs } } };
}
