import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { compileExpression, isTrue, ExpressionError, type Scope } from '../../platform/expressions/index.ts';
import { hasRole, type Principal } from '../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { actorOf, recordAudit, type AuditActor } from '../audit/index.ts';
import type { ActionDefinition, EffectDefinition, ServiceDefinition, StateDefinition } from '../registration/definition/schema.ts';

/**
 * Service workflows as state machines. A case follows one version of one service definition;
 * every move is checked (who, from where, guard, inputs), recorded as a history event with its
 * audit entry, and the caller gets back the effects to carry out (issue, notify, request payment)
 * in the same transaction.
 */
export const DEADLINE_TASK = 'workflow.check-deadline';
export const DEADLINE_PASSED = 'workflow.deadline-passed';
export const CASE_MOVED = 'workflow.case-moved';

const DAY_MS = 86_400_000;
const DEFAULT_ASSIGNEE: Actor = { role: 'officer' };

export interface CaseRow {
  id: string;
  agency_id: string;
  subject_type: string;
  subject_id: string;
  service_id: string;
  service_version: number;
  state: string;
  visit: number;
  state_entered_at: Date;
  state_due_at: Date | null;
  overdue: boolean;
  statutory_due_at: Date | null;
  clock_paused_since: Date | null;
  paused_seconds: number;
  outcome: string | null;
  closed_at: Date | null;
  /** The first time the case was granted; kept when it reopens after the grant. */
  granted_at: Date | null;
  revision: number;
}

export interface TaskRow {
  id: string;
  case_id: string;
  visit: number;
  review_id: string | null;
  role: string;
  agency_id: string;
  assignee_id: string | null;
  due_at: Date | null;
  opinion: 'agree' | 'object' | null;
  conditions: string | null;
  completed_at: Date | null;
  completed_by: string | null;
}

export type Effect = EffectDefinition;

export interface Transition {
  caseId: string;
  from: string;
  to: string;
  actionId: string | null;
  effects: Effect[];
  outcome: string | null;
  inputs: Record<string, unknown>;
}

/** Resolves agency codes in definitions to ids. */
export type AgencyIds = (code: string) => Promise<string>;

export interface WorkflowContext {
  trx: Tx;
  jobs: JobQueue;
  definition: ServiceDefinition;
  agencyIds: AgencyIds;
  requestId: string | null;
  /** The application's answers: guards read them, and `agencyFrom` routes by them. */
  data: Record<string, unknown>;
}

type Actor = { role: string; agency?: string; agencyFrom?: string };

/** The agency an actor belongs to: named, chosen by the applicant in a form field, or the owner. */
export function agencyCodeOf(actor: Actor, definition: ServiceDefinition, data: Record<string, unknown>): string {
  if (actor.agencyFrom) return String(data[actor.agencyFrom] ?? definition.agency);
  return actor.agency ?? definition.agency;
}

function stateOf(definition: ServiceDefinition, id: string): StateDefinition {
  const state = definition.workflow.states.find((s) => s.id === id);
  if (!state) throw new Error(`state ${id} is not in ${definition.id}@${definition.version}`);
  return state;
}

async function recordEvent(trx: Tx, caseId: string, kind: string, actor: AuditActor, fields: { actionId?: string | null; from?: string | null; to?: string | null; inputs?: Record<string, unknown> } = {}): Promise<number> {
  const result = await sql<{ id: number }>`
    INSERT INTO workflow_events (case_id, kind, action_id, from_state, to_state, actor_type, actor_id, actor_name, inputs)
    VALUES (${caseId}, ${kind}, ${fields.actionId ?? null}, ${fields.from ?? null}, ${fields.to ?? null}, ${actor.type}, ${actor.id}, ${actor.name}, ${JSON.stringify(fields.inputs ?? {})}::jsonb)
    RETURNING id`.execute(trx);
  return result.rows[0]!.id;
}

/** Start the workflow of a submitted application in its initial state; returns what entering it calls for. */
export async function startCase(ctx: WorkflowContext, input: { caseId: string; subjectType: string; subjectId: string; actor: AuditActor }): Promise<{ caseRow: CaseRow; effects: Effect[]; outcome: string | null }> {
  const { trx, definition } = ctx;
  const agencyId = await ctx.agencyIds(definition.agency);
  const now = new Date();
  const statutoryDue = definition.timeLimitDays ? new Date(now.getTime() + definition.timeLimitDays * DAY_MS) : null;
  await sql`
    INSERT INTO workflow_cases (id, agency_id, subject_type, subject_id, service_id, service_version, state, statutory_due_at)
    VALUES (${input.caseId}, ${agencyId}, ${input.subjectType}, ${input.subjectId}, ${definition.id}, ${definition.version}, ${definition.workflow.initial}, ${statutoryDue})`.execute(trx);
  const visit = await recordEvent(trx, input.caseId, 'start', input.actor, { to: definition.workflow.initial });
  const initial = stateOf(definition, definition.workflow.initial);
  await enterState(ctx, input.caseId, initial, visit, null);
  return { caseRow: (await loadCase(trx, input.caseId, true))!, effects: initial.effects ?? [], outcome: initial.outcome ?? null };
}

/** Lock the case row: concurrent moves on one case queue here and the later one sees the new state. */
export async function loadCase(executor: Executor, caseId: string, forUpdate = false): Promise<CaseRow | undefined> {
  const result = await sql<CaseRow>`SELECT * FROM workflow_cases WHERE id = ${caseId} ${forUpdate ? sql`FOR UPDATE` : sql``}`.execute(executor);
  return result.rows[0];
}

export async function caseOfSubject(executor: Executor, subjectType: string, subjectId: string): Promise<CaseRow | undefined> {
  const result = await sql<CaseRow>`SELECT * FROM workflow_cases WHERE subject_type = ${subjectType} AND subject_id = ${subjectId}`.execute(executor);
  return result.rows[0];
}

async function enterState(ctx: WorkflowContext, caseId: string, state: StateDefinition, visit: number, leaving: CaseRow | null): Promise<void> {
  const { trx, definition } = ctx;
  const now = new Date();
  const due = state.slaDays ? new Date(now.getTime() + state.slaDays * DAY_MS) : null;
  // The statutory clock stops while the case waits on the applicant, and the time limit moves with it.
  const pausedFor = leaving?.clock_paused_since ? Math.max(0, Math.round((now.getTime() - leaving.clock_paused_since.getTime()) / 1000)) : 0;
  await sql`
    UPDATE workflow_cases SET
      state = ${state.id}, visit = ${visit}, state_entered_at = ${now}, state_due_at = ${due}, overdue = false,
      paused_seconds = paused_seconds + ${pausedFor},
      statutory_due_at = statutory_due_at + make_interval(secs => ${pausedFor}),
      clock_paused_since = ${state.pausesClock ? now : null},
      outcome = ${state.outcome ?? null}, closed_at = ${state.outcome ? now : null},
      granted_at = coalesce(granted_at, ${state.outcome === 'granted' ? now : null}::timestamptz),
      revision = revision + 1
    WHERE id = ${caseId}`.execute(trx);
  if (state.outcome) return;
  const tasks = state.reviews
    ? state.reviews.reviewers.map((r) => ({ reviewId: r.id, role: r.by.role, agency: agencyCodeOf(r.by, definition, ctx.data) }))
    : (state.actions ?? []).length > 0
      ? [{ reviewId: null, role: (state.assignee ?? DEFAULT_ASSIGNEE).role, agency: agencyCodeOf(state.assignee ?? DEFAULT_ASSIGNEE, definition, ctx.data) }]
      : [];
  for (const task of tasks) {
    await sql`
      INSERT INTO workflow_tasks (id, case_id, visit, review_id, role, agency_id, due_at)
      VALUES (${randomUUID()}, ${caseId}, ${visit}, ${task.reviewId}, ${task.role}, ${await ctx.agencyIds(task.agency)}, ${due})`.execute(trx);
  }
  if (due) await ctx.jobs.enqueue(trx, DEADLINE_TASK, { caseId, visit }, { runAt: due, dedupeKey: `deadline:${caseId}:${visit}:${due.toISOString()}` });
}

async function closeOpenTasks(trx: Tx, caseId: string, by: string): Promise<void> {
  await sql`UPDATE workflow_tasks SET completed_at = now(), completed_by = ${by} WHERE case_id = ${caseId} AND completed_at IS NULL`.execute(trx);
}

function checkInputs(inputs: ActionDefinition['inputs'], given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const errors: InvalidParam[] = [];
  const fail = (id: string, code: string, reason: string, params?: Record<string, number>) => errors.push({ pointer: `/body/inputs/${id}`, reason, code, ...(params ? { params } : {}) });
  const known = new Set((inputs ?? []).map((i) => i.id));
  for (const name of Object.keys(given)) if (!known.has(name)) fail(name, 'unknown', 'is not an input of this action');
  for (const input of inputs ?? []) {
    const value = given[input.id];
    const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
    if (empty) {
      // A required checklist is one whose every item must be ticked: ticking none falls short too.
      if (input.required !== false && input.type === 'checklist') fail(input.id, 'allChecked', 'every item must be checked');
      else if (input.required !== false) fail(input.id, 'required', 'is required');
      continue;
    }
    if (input.type === 'pass-fail') {
      if (value !== 'pass' && value !== 'fail') fail(input.id, 'passFail', 'must be pass or fail');
      out[input.id] = value;
    } else if (input.type === 'assessment') {
      const judged = typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
      const items = (input.items ?? []).map((i) => i.id);
      if (!Object.entries(judged).every(([item, verdict]) => items.includes(item) && (verdict === 'pass' || verdict === 'fail'))) fail(input.id, 'assessment', 'judges each item of the list pass or fail, and nothing else');
      else if (input.required !== false && !items.every((item) => item in judged)) fail(input.id, 'allJudged', 'every item must be judged');
      out[input.id] = judged;
    } else if (input.type === 'photos') {
      // The caller stored the files first; what the action records is their document ids.
      const ids = Array.isArray(value) ? value : [value];
      if (!ids.every((id) => typeof id === 'string')) fail(input.id, 'photos', 'must be uploaded files');
      else if (ids.length > (input.maxFiles ?? 1)) fail(input.id, 'fileCount', `at most ${input.maxFiles ?? 1} files`, { max: input.maxFiles ?? 1 });
      out[input.id] = ids;
    } else if (input.type === 'checklist') {
      const ticked = Array.isArray(value) ? value : [value];
      const items = new Set((input.items ?? []).map((i) => i.id));
      if (!ticked.every((t) => typeof t === 'string' && items.has(t))) fail(input.id, 'option', 'lists an item that is not on the checklist');
      else if (input.required !== false && ticked.length !== items.size) fail(input.id, 'allChecked', 'every item must be checked');
      out[input.id] = ticked;
    } else if (input.type === 'yes-no') {
      if (value !== true && value !== false && value !== 'yes' && value !== 'no') fail(input.id, 'yesNo', 'must be yes or no');
      out[input.id] = value === true || value === 'yes';
    } else if (input.type === 'date') {
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) fail(input.id, 'date', 'must be a date (YYYY-MM-DD)');
      out[input.id] = value;
    } else {
      if (typeof value !== 'string' || value.length > 10_000) fail(input.id, 'maxLength', 'must be text of at most 10,000 characters', { max: 10_000 });
      out[input.id] = typeof value === 'string' ? value.trim() : value;
    }
  }
  if (errors.length > 0) throw Problem.badRequest(`The action's inputs are invalid: ${errors.map((e) => `${e.pointer} ${e.reason}`).join('; ')}.`, errors);
  return out;
}

/** Who may take an action: its `by`, else the state's assignee, else officers of the owning agency. */
export function whoActs(state: StateDefinition, action: ActionDefinition): Actor {
  return action.by ?? state.assignee ?? DEFAULT_ASSIGNEE;
}

export async function mayTake(principal: Principal | null, definition: ServiceDefinition, state: StateDefinition, action: ActionDefinition, agencyIds: AgencyIds, data: Record<string, unknown>): Promise<boolean> {
  const actor = whoActs(state, action);
  return hasRole(principal, actor.role, await agencyIds(agencyCodeOf(actor, definition, data)));
}

function refuseIfClosed(row: CaseRow) {
  if (row.closed_at) throw Problem.conflict(`The case is closed (${row.outcome}).`);
}

function refuseIfMoved(row: CaseRow, expectedState: string | undefined) {
  if (expectedState !== undefined && expectedState !== row.state) {
    throw Problem.conflict(`The case has moved on: it is now "${row.state}", not "${expectedState}". Reload it and try again.`);
  }
}

/** Lock an open case for a move; refused when it is closed or has left the state the caller saw. */
async function lockOpenCase(ctx: WorkflowContext, caseId: string, expectedState?: string): Promise<{ row: CaseRow; state: StateDefinition }> {
  const row = await loadCase(ctx.trx, caseId, true);
  if (!row) throw Problem.notFound('No case has this id.');
  refuseIfClosed(row);
  refuseIfMoved(row, expectedState);
  return { row, state: stateOf(ctx.definition, row.state) };
}

/** A condition that cannot be worked out (an answer it reads is missing) does not hold. */
function holds(expression: string, scope: Scope): boolean {
  try {
    return isTrue(compileExpression(expression).evaluate(scope));
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    return false;
  }
}

/**
 * An officer's action. The guard sees the form data and whatever the caller adds to `scope`
 * (fees, reviews); the inputs are checked against the action's declared inputs.
 */
export async function takeAction(ctx: WorkflowContext, input: { caseId: string; actionId: string; principal: Principal; inputs: Record<string, unknown>; expectedState?: string; scope: Scope }): Promise<Transition> {
  const { definition } = ctx;
  const { row, state } = await lockOpenCase(ctx, input.caseId, input.expectedState);
  const action = (state.actions ?? []).find((a) => a.id === input.actionId);
  if (!action) {
    const possible = (state.actions ?? []).map((a) => a.id);
    throw Problem.conflict(`"${input.actionId}" cannot be taken in the state "${row.state}"${possible.length ? `; possible actions: ${possible.join(', ')}` : ''}.`);
  }
  if (!(await mayTake(input.principal, definition, state, action, ctx.agencyIds, ctx.data))) {
    const actor = whoActs(state, action);
    throw Problem.forbidden(`Only the role "${actor.role}" of the agency "${agencyCodeOf(actor, definition, ctx.data)}" may take this action.`);
  }
  const inputs = checkInputs(action.inputs, input.inputs);
  if (action.guard) {
    const allowed = holds(action.guard, { ...input.scope, ...ctx.data, inputs });
    if (!allowed) throw new Problem(409, action.guardMessage?.en ?? `The condition for "${action.id}" is not met (${action.guard}).`, { title: 'Action not allowed now', extensions: { guard: action.guard } });
  }
  const branch = (action.branches ?? []).find((b) => holds(b.when, { ...input.scope, ...ctx.data, inputs }));
  return move(ctx, row, state, stateOf(definition, branch?.to ?? action.to), { kind: 'action', actionId: action.id, actor: actorOf(input.principal), inputs, effects: action.effects ?? [] });
}

type ApplicantAction = NonNullable<StateDefinition['applicantActions']>[number];

/** The last moment an applicant action limited to `withinDays` may be taken; null when it has no limit. */
export function openUntil(row: CaseRow, action: ApplicantAction): Date | null {
  return action.withinDays === undefined ? null : new Date(row.state_entered_at.getTime() + action.withinDays * DAY_MS);
}

/**
 * What the applicant may do now in the case's state: its applicant actions within their time
 * limits; once the case is closed, only those that reopen it within a time limit (an appeal).
 */
export function applicantActionsOpen(state: StateDefinition, row: CaseRow, now = new Date()): ApplicantAction[] {
  return (state.applicantActions ?? []).filter((action) => {
    const until = openUntil(row, action);
    if (row.closed_at && !until) return false;
    return !until || now.getTime() <= until.getTime();
  });
}

/**
 * An applicant's answer or other action allowed in this state; the caller has checked who may act
 * for the applicant. An action with `withinDays` may reopen a closed case (an appeal after a
 * refusal), until its time runs out.
 */
export async function takeApplicantAction(ctx: WorkflowContext, input: { caseId: string; actionId: string; actor: AuditActor; inputs: Record<string, unknown>; expectedState?: string }): Promise<Transition> {
  const { definition } = ctx;
  const row = await loadCase(ctx.trx, input.caseId, true);
  if (!row) throw Problem.notFound('No case has this id.');
  const state = stateOf(definition, row.state);
  const action = (state.applicantActions ?? []).find((a) => a.id === input.actionId);
  const until = action ? openUntil(row, action) : null;
  if (!until) refuseIfClosed(row);
  refuseIfMoved(row, input.expectedState);
  if (!action) throw Problem.conflict(`Nothing is asked of the applicant in the state "${row.state}".`);
  if (until && Date.now() > until.getTime()) {
    throw new Problem(409, `The ${action.withinDays} days allowed for "${action.id}" ended on ${until.toISOString().slice(0, 10)}.`, { title: 'Time limit passed', extensions: { openUntil: until.toISOString() } });
  }
  const inputs = checkInputs(action.inputs, input.inputs);
  return move(ctx, row, state, stateOf(definition, action.to), { kind: 'applicant-action', actionId: action.id, actor: input.actor, inputs, effects: action.effects ?? [] });
}

/** The applicant withdraws, where the definition allows it. */
export async function withdrawCase(ctx: WorkflowContext, input: { caseId: string; actor: AuditActor; reason: string }): Promise<Transition> {
  const { definition } = ctx;
  const { row, state: current } = await lockOpenCase(ctx, input.caseId);
  const target = definition.workflow.states.find((s) => s.outcome === 'withdrawn');
  if (!target || !(definition.workflow.withdrawableFrom ?? []).includes(row.state)) {
    throw Problem.conflict(`The application cannot be withdrawn in the state "${row.state}".`);
  }
  return move(ctx, row, current, target, { kind: 'withdraw', actionId: 'withdraw', actor: input.actor, inputs: { reason: input.reason }, effects: [] });
}

/**
 * The fees of a case waiting for payment were paid: it moves on to the state's `whenPaid`. A case
 * that is no longer waiting (moved on already, closed, a repeated event) is left as it is.
 */
export async function continueAfterPayment(ctx: WorkflowContext, input: { caseId: string; actor: AuditActor; inputs: Record<string, unknown> }): Promise<Transition | null> {
  const row = await loadCase(ctx.trx, input.caseId, true);
  if (!row || row.closed_at) return null;
  const state = stateOf(ctx.definition, row.state);
  if (!state.payment) return null;
  return move(ctx, row, state, stateOf(ctx.definition, state.payment.whenPaid), { kind: 'payment-received', actionId: null, actor: input.actor, inputs: input.inputs, effects: [] });
}

async function move(ctx: WorkflowContext, row: CaseRow, from: StateDefinition, to: StateDefinition, how: { kind: string; actionId: string | null; actor: AuditActor; inputs: Record<string, unknown>; effects: Effect[] }): Promise<Transition> {
  const { trx } = ctx;
  await closeOpenTasks(trx, row.id, how.actor.id ?? how.actor.name ?? 'system');
  const visit = await recordEvent(trx, row.id, how.kind, how.actor, { actionId: how.actionId, from: from.id, to: to.id, inputs: how.inputs });
  await enterState(ctx, row.id, to, visit, row);
  await recordAudit(trx, {
    actor: how.actor,
    agencyId: row.agency_id,
    action: `workflow.${how.kind}`,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    requestId: ctx.requestId,
    details: { service: row.service_id, action: how.actionId, from: from.id, to: to.id },
    change: how.inputs,
  });
  const transition: Transition = { caseId: row.id, from: from.id, to: to.id, actionId: how.actionId, effects: [...how.effects, ...(to.effects ?? [])], outcome: to.outcome ?? null, inputs: how.inputs };
  await ctx.jobs.emit(trx, CASE_MOVED, { caseId: row.id, subjectType: row.subject_type, subjectId: row.subject_id, from: from.id, to: to.id, actionId: how.actionId, outcome: to.outcome ?? null, pausesClock: to.pausesClock ?? false, at: new Date().toISOString() }, { dedupeKey: `${row.id}:${visit}` });
  return transition;
}

/**
 * A reviewer's opinion in a parallel-review state. When the last reviewer has answered, the case
 * moves on by itself: to `whenAnyObjects` if anyone objected, else to `whenAllAgree`.
 */
export async function giveOpinion(ctx: WorkflowContext, input: { caseId: string; reviewId: string; principal: Principal; opinion: 'agree' | 'object'; conditions: string }): Promise<Transition | null> {
  const { trx, definition } = ctx;
  const { row, state } = await lockOpenCase(ctx, input.caseId);
  const reviewer = state.reviews?.reviewers.find((r) => r.id === input.reviewId);
  if (!state.reviews || !reviewer) throw Problem.conflict(`No review "${input.reviewId}" is open in the state "${row.state}".`);
  const reviewerAgency = agencyCodeOf(reviewer.by, definition, ctx.data);
  if (!hasRole(input.principal, reviewer.by.role, await ctx.agencyIds(reviewerAgency))) {
    throw Problem.forbidden(`Only the role "${reviewer.by.role}" of the agency "${reviewerAgency}" gives this opinion.`);
  }
  if (input.opinion === 'object' && input.conditions.trim() === '') throw Problem.invalidField('/body/conditions', 'an objection needs its reasons', 'required');
  const updated = await sql<{ id: string }>`
    UPDATE workflow_tasks SET opinion = ${input.opinion}, conditions = ${input.conditions.trim() || null}, completed_at = now(), completed_by = ${input.principal.id}
    WHERE case_id = ${row.id} AND visit = ${row.visit} AND review_id = ${input.reviewId} AND completed_at IS NULL
    RETURNING id`.execute(trx);
  if (updated.rows.length === 0) throw Problem.conflict('This opinion was already given.');
  const actor = actorOf(input.principal);
  await recordEvent(trx, row.id, 'opinion', actor, { actionId: input.reviewId, from: row.state, to: row.state, inputs: { opinion: input.opinion, conditions: input.conditions } });
  await recordAudit(trx, { actor, agencyId: row.agency_id, action: 'workflow.give-opinion', subjectType: row.subject_type, subjectId: row.subject_id, requestId: ctx.requestId, details: { review: input.reviewId, opinion: input.opinion } });
  const tasks = await sql<{ opinion: string | null }>`SELECT opinion FROM workflow_tasks WHERE case_id = ${row.id} AND visit = ${row.visit} AND review_id IS NOT NULL`.execute(trx);
  if (tasks.rows.some((t) => t.opinion === null)) return null;
  const objected = tasks.rows.some((t) => t.opinion === 'object');
  const next = stateOf(definition, objected ? state.reviews.whenAnyObjects : state.reviews.whenAllAgree);
  return move(ctx, row, state, next, { kind: 'reviews-complete', actionId: null, actor: { type: 'system', id: null, name: 'workflow' }, inputs: { objected }, effects: [] });
}

/** Take an open task of the current state: it shows as yours on the worklist. */
export async function claimTask(trx: Tx, taskId: string, principal: Principal, requestId: string | null): Promise<void> {
  const task = (await sql<TaskRow>`SELECT * FROM workflow_tasks WHERE id = ${taskId} FOR UPDATE`.execute(trx)).rows[0];
  if (!task || task.completed_at) throw Problem.notFound('No open task has this id.');
  if (!hasRole(principal, task.role, task.agency_id)) throw Problem.forbidden('This task is for another role or agency.');
  if (task.assignee_id && task.assignee_id !== principal.id) throw Problem.conflict('Someone else has already taken this task.');
  await sql`UPDATE workflow_tasks SET assignee_id = ${principal.id} WHERE id = ${taskId}`.execute(trx);
  await recordEvent(trx, task.case_id, 'claim', actorOf(principal), { actionId: task.review_id });
  await recordAudit(trx, { actor: actorOf(principal), agencyId: task.agency_id, action: 'workflow.claim-task', subjectType: 'task', subjectId: taskId, requestId });
}

export async function releaseTask(trx: Tx, taskId: string, principal: Principal, requestId: string | null): Promise<void> {
  const task = (await sql<TaskRow>`SELECT * FROM workflow_tasks WHERE id = ${taskId} FOR UPDATE`.execute(trx)).rows[0];
  if (!task || task.completed_at) throw Problem.notFound('No open task has this id.');
  const supervisor = hasRole(principal, 'agency-head', task.agency_id);
  if (task.assignee_id !== principal.id && !supervisor) throw Problem.forbidden('Only the officer who took the task, or the head of the agency, may release it.');
  await sql`UPDATE workflow_tasks SET assignee_id = NULL WHERE id = ${taskId}`.execute(trx);
  await recordEvent(trx, task.case_id, 'release', actorOf(principal), { actionId: task.review_id });
  await recordAudit(trx, { actor: actorOf(principal), agencyId: task.agency_id, action: 'workflow.release-task', subjectType: 'task', subjectId: taskId, requestId });
}

/**
 * The head of an agency hands a task to one of its officers (or back to the team with null). The
 * officer must hold the task's role in its agency; `canWork` answers that for another account.
 */
export async function assignTask(trx: Tx, input: { taskId: string; assigneeId: string | null; principal: Principal; requestId: string | null; canWork: (userId: string, role: string, agencyId: string) => Promise<boolean> }): Promise<void> {
  const task = (await sql<TaskRow>`SELECT * FROM workflow_tasks WHERE id = ${input.taskId} FOR UPDATE`.execute(trx)).rows[0];
  if (!task || task.completed_at) throw Problem.notFound('No open task has this id.');
  if (!hasRole(input.principal, 'agency-head', task.agency_id)) throw Problem.forbidden('Only the head of the agency working this task may assign it.');
  if (input.assigneeId && !(await input.canWork(input.assigneeId, task.role, task.agency_id))) {
    throw Problem.invalidField('/body/userId', `this person is not a ${task.role} of the agency working the task`);
  }
  await sql`UPDATE workflow_tasks SET assignee_id = ${input.assigneeId} WHERE id = ${input.taskId}`.execute(trx);
  await recordEvent(trx, task.case_id, input.assigneeId ? 'assign' : 'release', actorOf(input.principal), { actionId: task.review_id, inputs: { assignee: input.assigneeId } });
  await recordAudit(trx, { actor: actorOf(input.principal), agencyId: task.agency_id, action: 'workflow.assign-task', subjectType: 'task', subjectId: input.taskId, requestId: input.requestId, details: { assignee: input.assigneeId } });
}

/** Give the current state more time, with a reason; the head of the owning agency decides. */
export async function extendDeadline(ctx: WorkflowContext, input: { caseId: string; days: number; reason: string; principal: Principal }): Promise<Date> {
  const { trx } = ctx;
  const { row } = await lockOpenCase(ctx, input.caseId);
  if (!hasRole(input.principal, 'agency-head', row.agency_id)) throw Problem.forbidden('Only the head of the owning agency may extend a deadline.');
  if (!row.state_due_at) throw Problem.conflict('The current state has no deadline.');
  if (!input.reason.trim()) throw Problem.invalidField('/body/reason', 'an extension needs a reason', 'required');
  const due = new Date(Math.max(row.state_due_at.getTime(), Date.now()) + input.days * DAY_MS);
  await sql`UPDATE workflow_cases SET state_due_at = ${due}, overdue = false, revision = revision + 1 WHERE id = ${row.id}`.execute(trx);
  await sql`UPDATE workflow_tasks SET due_at = ${due} WHERE case_id = ${row.id} AND visit = ${row.visit} AND completed_at IS NULL`.execute(trx);
  await recordEvent(trx, row.id, 'extend', actorOf(input.principal), { from: row.state, to: row.state, inputs: { days: input.days, reason: input.reason, due: due.toISOString() } });
  await recordAudit(trx, { actor: actorOf(input.principal), agencyId: row.agency_id, action: 'workflow.extend-deadline', subjectType: row.subject_type, subjectId: row.subject_id, requestId: ctx.requestId, details: { days: input.days, reason: input.reason } });
  await ctx.jobs.enqueue(trx, DEADLINE_TASK, { caseId: row.id, visit: row.visit }, { runAt: due, dedupeKey: `deadline:${row.id}:${row.visit}:${due.toISOString()}` });
  return due;
}

/**
 * The durable timer: runs when a state's deadline falls due (also after restarts, from the job
 * table). A case that moved on or got more time is left alone; otherwise it is marked overdue and
 * a `workflow.deadline-passed` event escalates it to the agency's supervisors.
 */
export function deadlineChecker(db: import('../../platform/db/database.ts').Db, jobs: JobQueue) {
  return async ({ caseId, visit }: { caseId: string; visit: number }) => {
    await db.transaction().execute(async (trx) => {
      const row = await loadCase(trx, caseId, true);
      if (!row || row.visit !== visit || row.closed_at || row.overdue || !row.state_due_at || row.state_due_at.getTime() > Date.now()) return;
      await sql`UPDATE workflow_cases SET overdue = true WHERE id = ${caseId}`.execute(trx);
      const actor: AuditActor = { type: 'system', id: null, name: 'deadline timer' };
      await recordEvent(trx, caseId, 'escalate', actor, { from: row.state, to: row.state, inputs: { due: row.state_due_at.toISOString() } });
      await recordAudit(trx, { actor, agencyId: row.agency_id, action: 'workflow.escalate', subjectType: row.subject_type, subjectId: row.subject_id, details: { state: row.state } });
      // The agencies whose open tasks are late: with routing (agencyFrom) or reviews, not only the owner.
      const late = await sql<{ agency_id: string }>`SELECT DISTINCT agency_id FROM workflow_tasks WHERE case_id = ${caseId} AND visit = ${visit} AND completed_at IS NULL`.execute(trx);
      await jobs.emit(trx, DEADLINE_PASSED, { caseId, agencyId: row.agency_id, workingAgencyIds: late.rows.map((r) => r.agency_id), subjectType: row.subject_type, subjectId: row.subject_id, state: row.state }, { dedupeKey: `${caseId}:${visit}:${row.state_due_at.toISOString()}` });
    });
  };
}
