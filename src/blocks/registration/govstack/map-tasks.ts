import { Problem } from '../../../platform/http/problem.ts';
import type { ApplicationView } from '../applications/describe-application.ts';
import { pickText } from '../applications/notify-people.ts';
import type { StateDefinition } from '../definition/schema.ts';
import { eFormIdOf, serviceUuid } from './identifiers.ts';
import { statusOf } from './map-applications.ts';
import type { DataUserTaskOut, UserTaskOut } from './schemas.ts';

/** A workflow task, from the worklist or by its id, with the state it was opened in. */
export interface TaskRef {
  taskId: string;
  caseId: string;
  state: string;
  reviewId: string | null;
  role: string;
  assigneeId: string | null;
  createdAt: Date;
  open: boolean;
}

function stateIn(view: ApplicationView, id: string): StateDefinition | undefined {
  return view.definition.workflow.states.find((s) => s.id === id);
}

export function userTaskOf(task: TaskRef, view: ApplicationView, locale: string): UserTaskOut {
  const state = stateIn(view, task.state);
  const review = task.reviewId ? state?.reviews?.reviewers.find((r) => r.id === task.reviewId) : undefined;
  const serviceName = pickText(view.definition.title, locale);
  const a = view.application;
  return {
    taskId: task.taskId,
    mainTaskId: task.caseId,
    name: pickText(review?.label ?? state?.label ?? { en: task.state }, locale),
    ...(task.assigneeId ? { assigneeId: task.assigneeId } : {}),
    roleId: task.role,
    created: task.createdAt.toISOString(),
    description: `${a.tracking_number ?? a.id}: ${serviceName}`,
    serviceId: serviceUuid(a.service_id),
    serviceName,
    fileId: a.id,
    eFormId: eFormIdOf(a.service_id, a.service_version),
    status: statusOf(view, locale),
  };
}

/** The task with what completing it may send (`formVariables`) and the answers it is about (`data`). */
export function dataUserTaskOf(task: TaskRef, view: ApplicationView, locale: string): DataUserTaskOut {
  const summary = userTaskOf(task, view, locale);
  return { ...summary, taskName: summary.name, formVariables: task.open ? choicesOf(task, stateIn(view, task.state), view, locale) : {}, data: view.application.data };
}

const OPINIONS = {
  agree: { label: 'Agree', inputs: [{ id: 'conditions', type: 'textarea', required: false }] },
  object: { label: 'Object', inputs: [{ id: 'conditions', type: 'textarea', required: true }] },
};

function choicesOf(task: TaskRef, state: StateDefinition | undefined, view: ApplicationView, locale: string): Record<string, Record<string, unknown>> {
  if (task.reviewId) return OPINIONS;
  return Object.fromEntries(
    (state?.actions ?? []).map((action) => [
      action.id,
      {
        label: pickText(action.label, locale),
        to: action.to,
        final: Boolean(stateIn(view, action.to)?.outcome),
        inputs: (action.inputs ?? []).map((i) => ({ id: i.id, type: i.type, label: pickText(i.label, locale), required: i.required !== false })),
      },
    ]),
  );
}

export type Completion = { kind: 'opinion'; opinion: 'agree' | 'object'; conditions: string } | { kind: 'action'; actionId: string; inputs: Record<string, unknown> };

/**
 * What completing a task does. A review task takes an opinion; any other task takes the action
 * named as the key of `data`, or, when none is named, the one action of its state that moves the
 * file on without closing it. Several such actions need a choice; the refusal lists them.
 */
export function completionOf(task: TaskRef, view: ApplicationView, data: Record<string, Record<string, unknown>>): Completion {
  const entries = Object.entries(data);
  if (task.reviewId) {
    const [opinion, inputs = {}] = entries[0] ?? [];
    if (opinion !== 'agree' && opinion !== 'object') throw Problem.invalidField('/body/data', 'give your opinion as the only key: {"agree": {}} or {"object": {"conditions": "…"}}', 'opinion');
    const { conditions = '', ...others } = inputs;
    const unknown = Object.keys(others)[0];
    if (unknown) throw Problem.invalidField(`/body/data/${opinion}/${unknown}`, 'an opinion takes only conditions', 'unknown');
    if (typeof conditions !== 'string') throw Problem.invalidField(`/body/data/${opinion}/conditions`, 'must be text', 'text');
    return { kind: 'opinion', opinion, conditions };
  }
  const [named] = entries;
  if (named) return { kind: 'action', actionId: named[0], inputs: named[1] };
  const actions = stateIn(view, task.state)?.actions ?? [];
  const onward = actions.filter((a) => !stateIn(view, a.to)?.outcome);
  if (onward.length === 1) return { kind: 'action', actionId: onward[0]!.id, inputs: {} };
  throw Problem.conflict(`Completing this task needs a choice: send one of ${actions.map((a) => a.id).join(', ')} as the key of data, with its inputs as the value.`);
}
