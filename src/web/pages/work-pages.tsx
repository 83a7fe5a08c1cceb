import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findUserById, holdersOfRole } from '../../blocks/identity/index.ts';
import { messagesAbout, type MessageView } from '../../blocks/messaging/index.ts';
import type { InvoiceView } from '../../blocks/payments/index.ts';
import {
  actOnApplication,
  applicationForStaff,
  canWorkAs,
  currentDefinitions,
  definitionOf,
  describeApplication,
  extendApplicationDeadline,
  findApplications,
  pickText,
  reviewApplication,
  type ApplicationRow,
  type ApplicationView,
  type RegistrationDeps,
  type ServiceDefinition,
} from '../../blocks/registration/index.ts';
import { assignTask, caseTasks, claimTask, readWorklistPosition, releaseTask, worklist, worklistPosition, WORKLIST_POSITION, type TaskRow, type WorklistItem } from '../../blocks/workflow/index.ts';
import { access, hasRole, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import { AnswersSummary, ChannelFacts, Deadlines, DocumentsList, FeesTable, HistoryTable, InvoicesSummary, OutputsList, stateLabel, statusOf } from '../components/application-parts.tsx';
import { answersOf, Choices, CsrfField, DefinitionId, ErrorSummary, Field, FormText, isClientProblem, lastSegment, TextArea, translatedErrors, type FieldErrors, type RefusedForm } from '../components/forms.tsx';
import { DeliveryLog } from '../components/delivery-log.tsx';
import { inputQuestion, QuestionField } from '../components/question-field.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';
import { safeReturnPath } from './account-pages.tsx';
import { inputsOfFields, readUploads } from '../../blocks/registration/application-routes.ts';

/** An action's form fields; `checklist.<item>` judges one item of an assessment. */
const ActionForm = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[a-z][a-z0-9-]{0,62})?$' }), Type.Union([Type.String({ maxLength: 10000 }), Type.Array(Type.String({ maxLength: 10000 }), { maxItems: 50 })]), { additionalProperties: false, maxProperties: 100 });

const PAGE_SIZE = 25;
const STAFF = access.roles('officer', 'agency-head', 'admin');
const CaseParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const TaskParams = Type.Object({ id: Uuid, taskId: Uuid }, { additionalProperties: false });
const TaskForm = Type.Object({ _csrf: FormText(200), back: FormText(500) }, { additionalProperties: false });

const casePath = (id: string, rest = '') => `/work/cases/${id}${rest}`;

function taskLabel(ctx: PageContext, definition: ServiceDefinition, stateId: string, reviewId: string | null): string {
  const review = reviewId ? definition.workflow.states.find((s) => s.id === stateId)?.reviews?.reviewers.find((r) => r.id === reviewId) : undefined;
  return review ? pickText(review.label, ctx.locale) : stateLabel(ctx, definition, stateId);
}

/** Officers take the tasks of their role; the head of the agency may hand back anyone's. */
function mayClaim(principal: Principal, task: { role: string; agencyId: string; assigneeId: string | null }): boolean {
  return !task.assigneeId && hasRole(principal, task.role, task.agencyId);
}

function mayRelease(principal: Principal, task: { agencyId: string; assigneeId: string | null }): boolean {
  return task.assigneeId !== null && (task.assigneeId === principal.id || hasRole(principal, 'agency-head', task.agencyId));
}

function TaskButton({ ctx, caseId, taskId, verb, back, subject }: { ctx: PageContext; caseId: string; taskId: string; verb: 'claim' | 'release'; back: string; subject: string }) {
  return (
    <form class="inline" method="post" action={casePath(caseId, `/tasks/${taskId}/${verb}`)}>
      <CsrfField ctx={ctx} />
      <input type="hidden" name="back" value={back} />
      <button class={verb === 'claim' ? undefined : 'secondary'} type="submit">
        {ctx.t(`work.${verb}`)}
        <span class="visually-hidden">{` ${subject}`}</span>
      </button>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// The worklist

interface WorklistFilters {
  mine: boolean;
  service: string;
  state: string;
  overdue: boolean;
}

interface WorklistRow {
  item: WorklistItem;
  application: ApplicationRow | undefined;
  definition: ServiceDefinition;
  assignee: string | null;
}

function WorklistPage({ ctx, rows, filters, definitions, nextHref }: { ctx: PageContext; rows: WorklistRow[]; filters: WorklistFilters; definitions: ServiceDefinition[]; nextHref: string | null }) {
  const { t } = ctx;
  const principal = ctx.principal!;
  const back = `${ctx.path}?${new URLSearchParams([...ctx.search].filter(([name]) => name !== 'lang'))}`;
  const stateChoices = definitions.filter((d) => !filters.service || d.id === filters.service);
  return (
    <>
      <h1>{t('work.title')}</h1>
      <form method="get" action="/work" class="filters">
        <div class="choice">
          <input id="mine" name="mine" type="checkbox" value="true" checked={filters.mine} />
          <label for="mine">{t('work.filters.mine')}</label>
        </div>
        <div>
          <label for="service">{t('work.filters.service')}</label>
          <select id="service" name="service">
            <option value="">{t('work.filters.any')}</option>
            {definitions.map((d) => <option value={d.id} selected={d.id === filters.service}>{pickText(d.title, ctx.locale)}</option>)}
          </select>
        </div>
        <div>
          <label for="state">{t('work.filters.state')}</label>
          <select id="state" name="state">
            <option value="">{t('work.filters.any')}</option>
            {stateChoices.map((d) => (
              <optgroup label={pickText(d.title, ctx.locale)}>
                {d.workflow.states.filter((s) => !s.outcome).map((s) => <option value={s.id} selected={s.id === filters.state}>{pickText(s.label, ctx.locale)}</option>)}
              </optgroup>
            ))}
          </select>
        </div>
        <div class="choice">
          <input id="overdue" name="overdue" type="checkbox" value="true" checked={filters.overdue} />
          <label for="overdue">{t('work.filters.overdue')}</label>
        </div>
        <div>
          <button type="submit">{t('work.filters.apply')}</button>
        </div>
      </form>
      <TableRegion label={t('work.title')}>
        <table>
          <caption class="muted">{t('work.caption', { count: rows.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('work.case.number')}</th>
              <th scope="col">{t('work.service')}</th>
              <th scope="col">{t('work.task')}</th>
              <th scope="col">{t('work.due')}</th>
              <th scope="col">{t('work.takenBy')}</th>
              <th scope="col"><span class="visually-hidden">{t('work.claimOrRelease')}</span></th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ item, application, definition, assignee }) => {
              const number = application?.tracking_number ?? item.caseId.slice(0, 8);
              return (
                <tr class={item.overdue ? 'overdue' : undefined}>
                  <td><a class="tracking" href={casePath(item.caseId)}>{number}</a></td>
                  <td>{pickText(definition.title, ctx.locale)}</td>
                  <td>{taskLabel(ctx, definition, item.state, item.reviewId)}</td>
                  <td>
                    {item.dueAt ? formatDateTime(ctx.locale, item.dueAt) : '—'}
                    {item.overdue && <> <strong class="tag bad">{t('deadlines.overdue')}</strong></>}
                  </td>
                  <td>{item.assigneeId === principal.id ? t('work.you') : assignee ? <bdi>{assignee}</bdi> : '—'}</td>
                  <td>
                    {mayClaim(principal, item) && <TaskButton ctx={ctx} caseId={item.caseId} taskId={item.taskId} verb="claim" back={back} subject={number} />}
                    {mayRelease(principal, item) && <TaskButton ctx={ctx} caseId={item.caseId} taskId={item.taskId} verb="release" back={back} subject={number} />}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableRegion>
      {nextHref && <p class="pager"><a href={nextHref}>{t('work.next')}</a></p>}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// The case file

interface CaseFile {
  view: ApplicationView;
  submittedBy: string;
  names: Map<string, string>;
  /** For the head of an agency: the people each open task of that agency can be handed to. */
  assignable: Map<string, { id: string; name: string }[]>;
  invoices: InvoiceView[];
  /** What was sent to the people concerned, and whether it reached them. */
  messages: MessageView[];
}

function AssignForm({ ctx, caseId, taskId, people, current, back, subject }: { ctx: PageContext; caseId: string; taskId: string; people: { id: string; name: string }[]; current: string | null; back: string; subject: string }) {
  const id = `assign-${taskId}`;
  return (
    <form class="inline" method="post" action={casePath(caseId, `/tasks/${taskId}/assign`)}>
      <CsrfField ctx={ctx} />
      <input type="hidden" name="back" value={back} />
      <label for={id}>{ctx.t('work.assignTo', { task: subject })}</label>
      <select id={id} name="userId">
        <option value="">{ctx.t('work.team')}</option>
        {people.map((p) => <option value={p.id} selected={p.id === current}>{p.name}</option>)}
      </select>
      <button class="secondary" type="submit">{ctx.t('work.assign')}</button>
    </form>
  );
}

function CaseFilePage({ ctx, file, refused, notice }: { ctx: PageContext; file: CaseFile; refused?: RefusedForm; notice?: string }) {
  const { t } = ctx;
  const principal = ctx.principal!;
  const { view, names } = file;
  const { application, definition, caseRow } = view;
  const open = caseRow && !caseRow.closed_at ? caseRow : null;
  const form = (name: string) => (refused?.form === name ? refused : undefined);
  const visitState = new Map(view.events.map((e) => [e.id, e.toState ?? '']));
  const openTasks = view.tasks.filter((task) => !task.completed_at);
  const asTask = (task: TaskRow) => ({ role: task.role, agencyId: task.agency_id, assigneeId: task.assignee_id });
  const mayExtend = Boolean(open?.state_due_at && hasRole(principal, 'agency-head', open.agency_id));
  const labels: Record<string, string> = { 'extend-days': t('work.extend.days'), 'extend-reason': t('work.extend.reason') };
  for (const action of view.actions) for (const input of action.inputs ?? []) labels[`${action.id}-${input.id}`] = pickText(input.label, ctx.locale);
  for (const review of view.reviews) {
    labels[`${review.id}-opinion`] = t('work.review.opinion');
    labels[`${review.id}-conditions`] = t('work.review.conditions');
  }
  const number = application.tracking_number ?? '';
  const back = casePath(application.id);
  return (
    <>
      <p class="caption">{pickText(definition.title, ctx.locale)}</p>
      <h1>{t('work.case.title', { number })}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorSummary ctx={ctx} message={refused?.message} errors={refused?.errors ?? {}} labels={labels} />
      <dl class="facts">
        <dt>{t('applications.status')}</dt>
        <dd>
          <strong>{statusOf(ctx, view)}</strong>
        </dd>
        <dt>{t('applications.submittedOn')}</dt>
        <dd>{application.submitted_at ? formatDateTime(ctx.locale, application.submitted_at) : ''}</dd>
        <dt>{t('work.case.submittedBy')}</dt>
        <dd><bdi>{file.submittedBy}</bdi></dd>
        <ChannelFacts ctx={ctx} view={view} forStaff />
        <Deadlines ctx={ctx} view={view} forStaff />
      </dl>
      {open && (view.actions.length > 0 || view.reviews.length > 0 || mayExtend || file.assignable.size > 0 || openTasks.some((task) => mayClaim(principal, asTask(task)) || mayRelease(principal, asTask(task)))) && (
        <section aria-labelledby="actions-title" class="asked">
          <h2 id="actions-title">{t('work.case.actions')}</h2>
          {openTasks.map((task) => {
            const subject = taskLabel(ctx, definition, open.state, task.review_id);
            return (
              <p>
                {mayClaim(principal, asTask(task)) && <TaskButton ctx={ctx} caseId={application.id} taskId={task.id} verb="claim" back={back} subject={subject} />}
                {mayRelease(principal, asTask(task)) && <TaskButton ctx={ctx} caseId={application.id} taskId={task.id} verb="release" back={back} subject={subject} />}
                {file.assignable.has(task.id) && <AssignForm ctx={ctx} caseId={application.id} taskId={task.id} people={file.assignable.get(task.id)!} current={task.assignee_id} back={back} subject={subject} />}
              </p>
            );
          })}
          {view.actions.map((action) => {
            const state = form(action.id);
            return (
              <form class="stack action" method="post" action={casePath(application.id, `/actions/${action.id}`)} enctype={(action.inputs ?? []).some((i) => i.type === 'photos') ? 'multipart/form-data' : undefined} novalidate>
                <CsrfField ctx={ctx} />
                <input type="hidden" name="expectedState" value={open.state} />
                {(action.inputs ?? []).map((input) => {
                  const id = `${action.id}-${input.id}`;
                  return <QuestionField ctx={ctx} question={inputQuestion(input)} id={id} value={state?.values[input.id]} error={state?.errors[id]} />;
                })}
                <div>
                  <button type="submit">{pickText(action.label, ctx.locale)}</button>
                </div>
              </form>
            );
          })}
          {view.reviews.map((review) => {
            const state = form(review.id);
            return (
              <form class="stack action" method="post" action={casePath(application.id, `/reviews/${review.id}`)} novalidate>
                <CsrfField ctx={ctx} />
                <Choices
                  id={`${review.id}-opinion`}
                  name="opinion"
                  label={pickText(review.label, ctx.locale)}
                  choices={(['agree', 'object'] as const).map((o) => ({ value: o, label: t(`work.opinions.${o}`) }))}
                  checked={state?.values.opinion ? [String(state.values.opinion)] : []}
                  error={state?.errors[`${review.id}-opinion`]}
                />
                <TextArea id={`${review.id}-conditions`} name="conditions" label={t('work.review.conditions')} hint={t('work.review.conditionsHint')} value={String(state?.values.conditions ?? '')} error={state?.errors[`${review.id}-conditions`]} maxLength={5000} />
                <div>
                  <button type="submit">{t('work.review.submit')}</button>
                </div>
              </form>
            );
          })}
          {mayExtend && (
            <details open={refused?.form === 'extend'}>
              <summary>{t('work.extend.title')}</summary>
              <form class="stack" method="post" action={casePath(application.id, '/extend')} novalidate>
                <CsrfField ctx={ctx} />
                <Field id="extend-days" name="days" label={t('work.extend.days')} hint={t('work.extend.daysHint')} inputMode="numeric" value={String(form('extend')?.values.days ?? '')} error={form('extend')?.errors['extend-days']} />
                <TextArea id="extend-reason" name="reason" label={t('work.extend.reason')} value={String(form('extend')?.values.reason ?? '')} error={form('extend')?.errors['extend-reason']} maxLength={2000} />
                <div>
                  <button class="secondary" type="submit">{t('work.extend.submit')}</button>
                </div>
              </form>
            </details>
          )}
        </section>
      )}
      <h2>{t('work.case.answers')}</h2>
      <AnswersSummary ctx={ctx} definition={definition} data={application.data} headingLevel={3} prefilled={application.prefilled} />
      <h2>{t('apply.documents.title')}</h2>
      <DocumentsList ctx={ctx} definition={definition} applicationId={application.id} documents={view.documents} />
      <h2>{t('fees.title')}</h2>
      <FeesTable ctx={ctx} definition={definition} lines={application.fees} total={view.totalFee} />
      {file.invoices.length > 0 && <InvoicesSummary ctx={ctx} invoices={file.invoices} payable={false} />}
      {view.outputs.length > 0 && (
        <>
          <h2>{t('applications.outputs')}</h2>
          <OutputsList ctx={ctx} view={view} />
        </>
      )}
      <h2>{t('work.case.messages')}</h2>
      <DeliveryLog ctx={ctx} messages={file.messages} />
      <h2>{t('work.case.tasks')}</h2>
      <TableRegion label={t('work.case.tasks')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('work.task')}</th>
              <th scope="col">{t('work.role')}</th>
              <th scope="col">{t('work.takenBy')}</th>
              <th scope="col">{t('work.due')}</th>
              <th scope="col">{t('work.completed')}</th>
              <th scope="col">{t('work.review.opinion')}</th>
            </tr>
          </thead>
          <tbody>
            {view.tasks.map((task) => (
              <tr>
                <td>{taskLabel(ctx, definition, visitState.get(task.visit) ?? '', task.review_id)}</td>
                <td>{t(`work.roles.${task.role}`, { defaultValue: task.role })}</td>
                <td>{task.assignee_id ? <bdi>{names.get(task.assignee_id) ?? '—'}</bdi> : '—'}</td>
                <td>{task.due_at ? formatDateTime(ctx.locale, task.due_at) : '—'}</td>
                <td>{task.completed_at ? formatDateTime(ctx.locale, task.completed_at) : t('work.openTask')}</td>
                <td>
                  {task.opinion ? t(`work.opinions.${task.opinion}`) : '—'}
                  {task.conditions && <span class="hint">{task.conditions}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <h2>{t('history.title')}</h2>
      <HistoryTable ctx={ctx} definition={definition} events={view.events} />
      <p><a href="/work">{t('work.title')}</a></p>
    </>
  );
}

/** What a refused move means for the officer, in their language: the case moved on, or the action's condition is not met. */
function conflictMessage(ctx: PageContext, view: ApplicationView, expectedState: unknown, problem: Problem, actionId: string | null): string {
  const now = view.caseRow?.state ?? null;
  if (typeof expectedState === 'string' && now !== expectedState) return ctx.t('work.movedOn', { state: stateLabel(ctx, view.definition, now) });
  const action = view.state?.actions?.find((a) => a.id === actionId);
  if (problem.extensions.guard && action?.guardMessage) return pickText(action.guardMessage, ctx.locale);
  return ctx.t('work.notNow', { state: stateLabel(ctx, view.definition, now) });
}

// ---------------------------------------------------------------------------------------------
// Routes

/** The worklist and the case file, where officers, agency heads and administrators work cases. */
export function workPages(deps: RegistrationDeps, oidcLabel: string | null) {
  const { db } = deps;
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, oidcLabel);

    const namesOf = async (ids: (string | null)[]) => {
      const distinct = [...new Set(ids.filter((id): id is string => id !== null))];
      const users = await Promise.all(distinct.map((id) => findUserById(db, id)));
      return new Map(users.flatMap((u) => (u ? [[u.id, u.display_name] as const] : [])));
    };

    app.get('/work', {
      config: { access: STAFF },
      schema: {
        summary: 'Worklist: open tasks I may work on, soonest due first, with filters',
        tags: ['web'],
        querystring: Type.Object({
          mine: Type.Optional(Type.Boolean()),
          service: Type.Optional(Type.Union([Type.Literal(''), DefinitionId])),
          state: Type.Optional(Type.Union([Type.Literal(''), DefinitionId])),
          overdue: Type.Optional(Type.Boolean()),
          after: Type.Optional(Type.String({ maxLength: 100, pattern: WORKLIST_POSITION })),
          lang: FormText(5),
        }),
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const q = request.query;
        const filters: WorklistFilters = { mine: q.mine === true, service: q.service ?? '', state: q.state ?? '', overdue: q.overdue === true };
        const after = q.after === undefined ? undefined : readWorklistPosition(q.after);
        if (after === null) throw Problem.invalidField('/query/after', 'is not a position in this list');
        const items = await worklist(db, principal, { mine: filters.mine, serviceId: filters.service || undefined, state: filters.state || undefined, overdue: filters.overdue, after, limit: PAGE_SIZE });
        const [applications, names, definitions] = await Promise.all([findApplications(db, items.map((i) => i.subjectId)), namesOf(items.map((i) => i.assigneeId)), currentDefinitions(db)]);
        const rows = await Promise.all(
          items.map(async (item) => {
            const application = applications.get(item.subjectId);
            return { item, application, definition: await definitionOf(db, item.serviceId, application?.service_version ?? 1) };
          }),
        );
        const last = items.at(-1);
        const next = new URLSearchParams([...new URLSearchParams(request.url.split('?')[1] ?? '')].filter(([name]) => name !== 'after' && name !== 'lang'));
        if (last) next.set('after', worklistPosition(last));
        const ctx = ctxOf(request, reply);
        const body = (
          <WorklistPage
            ctx={ctx}
            rows={rows.map((r) => ({ ...r, assignee: r.item.assigneeId ? (names.get(r.item.assigneeId) ?? null) : null }))}
            filters={filters}
            definitions={definitions.map((d) => d.document)}
            nextHref={items.length === PAGE_SIZE ? `/work?${next}` : null}
          />
        );
        return sendPage(reply, ctx, { title: ctx.t('work.title'), body });
      },
    });

    const caseFile = async (request: FastifyRequest, id: string): Promise<CaseFile> => {
      const principal = requirePrincipal(request);
      const application = await applicationForStaff(db, principal, id);
      const view = await describeApplication(db, application, principal, 'staff');
      const names = await namesOf([application.created_by, ...view.tasks.map((task) => task.assignee_id)]);
      const assignable = new Map<string, { id: string; name: string }[]>();
      for (const task of view.tasks.filter((t) => !t.completed_at && hasRole(principal, 'agency-head', t.agency_id))) {
        assignable.set(task.id, (await holdersOfRole(db, task.role, task.agency_id)).map((u) => ({ id: u.id, name: u.display_name })));
      }
      const invoices = await deps.payments.invoicesFor(db, 'application', application.id);
      const messages = await messagesAbout(db, 'application', application.id);
      return { view, names, assignable, submittedBy: names.get(application.created_by) ?? '', invoices, messages };
    };

    const renderCase = async (request: FastifyRequest, reply: FastifyReply, id: string, refused?: RefusedForm, status = 200, problem?: Problem) => {
      const ctx = ctxOf(request, reply);
      const file = await caseFile(request, id);
      if (refused && problem?.status === 409) refused.message = conflictMessage(ctx, file.view, refused.values.expectedState, problem, refused.form);
      const notice = ctx.search.get('done') === '1' ? ctx.t('work.done', { state: statusOf(ctx, file.view) }) : undefined;
      return sendPage(reply, ctx, { title: ctx.t('work.case.title', { number: file.view.application.tracking_number ?? '' }), body: <CaseFilePage ctx={ctx} file={file} refused={refused} notice={notice} /> }, status);
    };

    app.get('/work/cases/:id', {
      config: { access: STAFF },
      schema: { summary: 'Case file: answers, documents, fees, tasks, reviews, history, and the actions I may take', tags: ['web'], params: CaseParams },
      handler: async (request, reply) => renderCase(request, reply, request.params.id),
    });

    app.post('/work/cases/:id/actions/:actionId', {
      config: { access: STAFF },
      schema: {
        summary: 'Take an action on a case (form; multipart/form-data with the photos an inspection asks for); a stale page is told the case moved on',
        tags: ['web'],
        params: Type.Object({ id: Uuid, actionId: DefinitionId }, { additionalProperties: false }),
        // A multipart body is read (and its fields checked by the workflow) in the handler.
        body: Type.Union([ActionForm, Type.Unknown()]),
      },
      handler: async (request, reply) => {
        if (!request.isMultipart() && !Value.Check(ActionForm, request.body)) throw Problem.badRequest('The form has fields this action does not take.');
        const { fields, uploads } = request.isMultipart() ? await readUploads(request) : { fields: request.body as Record<string, string | string[]>, uploads: [] };
        const { expectedState } = fields;
        const actionId = request.params.actionId;
        try {
          await actOnApplication(deps, { applicationId: request.params.id, actionId, inputs: inputsOfFields(answersOf(fields)), uploads, expectedState: typeof expectedState === 'string' ? expectedState : undefined, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(casePath(request.params.id, '?done=1'), 303);
        } catch (err) {
          if (!isClientProblem(err) || ![400, 409].includes(err.status)) throw err;
          const ctx = ctxOf(request, reply);
          const errors = translatedErrors(ctx, err.errors, (pointer) => `${actionId}-${lastSegment(pointer)}`);
          return renderCase(request, reply, request.params.id, { form: actionId, values: inputsOfFields(fields), errors }, err.status, err);
        }
      },
    });

    app.post('/work/cases/:id/reviews/:reviewId', {
      config: { access: STAFF },
      schema: {
        summary: 'Give a review opinion (form): agree, or object with conditions',
        tags: ['web'],
        params: Type.Object({ id: Uuid, reviewId: DefinitionId }, { additionalProperties: false }),
        body: Type.Object({ _csrf: FormText(200), opinion: Type.Optional(Type.Union([Type.Literal('agree'), Type.Literal('object')])), conditions: FormText(5000) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const { reviewId, id } = request.params;
        const { opinion, conditions = '' } = request.body;
        const ctx = ctxOf(request, reply);
        if (!opinion) return renderCase(request, reply, id, { form: reviewId, values: request.body, errors: { [`${reviewId}-opinion`]: ctx.t('form.errors.option') } }, 400);
        try {
          await reviewApplication(deps, { applicationId: id, reviewId, opinion, conditions, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(casePath(id, '?done=1'), 303);
        } catch (err) {
          if (!isClientProblem(err) || ![400, 409].includes(err.status)) throw err;
          return renderCase(request, reply, id, { form: reviewId, values: request.body, errors: translatedErrors(ctx, err.errors, (pointer) => `${reviewId}-${lastSegment(pointer)}`) }, err.status, err);
        }
      },
    });

    app.post('/work/cases/:id/extend', {
      config: { access: access.roles('agency-head') },
      schema: { summary: 'Give the current step more time, with a reason (form)', tags: ['web'], params: CaseParams, body: Type.Object({ _csrf: FormText(200), days: FormText(10), reason: FormText(2000) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const { id } = request.params;
        const ctx = ctxOf(request, reply);
        const days = Number(request.body.days);
        const reason = (request.body.reason ?? '').trim();
        const errors: FieldErrors = {};
        if (!/^\d{1,2}$/.test(request.body.days?.trim() ?? '') || days < 1 || days > 90) errors['extend-days'] = ctx.t('work.extend.daysError');
        if (!reason) errors['extend-reason'] = ctx.t('form.errors.required');
        if (Object.keys(errors).length > 0) return renderCase(request, reply, id, { form: 'extend', values: request.body, errors }, 400);
        try {
          await extendApplicationDeadline(deps, { applicationId: id, days, reason, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(casePath(id, '?done=1'), 303);
        } catch (err) {
          if (!isClientProblem(err) || ![400, 409].includes(err.status)) throw err;
          return renderCase(request, reply, id, { form: 'extend', values: request.body, errors: translatedErrors(ctx, err.errors, (pointer) => `extend-${lastSegment(pointer)}`) }, err.status, err);
        }
      },
    });

    /** Claim or release one of the case's open tasks, then go back where the officer was. */
    const onTask = (work: typeof claimTask) => async (request: FastifyRequest<{ Params: { id: string; taskId: string }; Body: { back?: string } }>, reply: FastifyReply) => {
      const principal = requirePrincipal(request);
      const application = await applicationForStaff(db, principal, request.params.id);
      if (!(await caseTasks(db, application.id)).some((task) => task.id === request.params.taskId)) throw Problem.notFound('This case has no such task.');
      await db.transaction().execute((trx) => work(trx, request.params.taskId, principal, request.id));
      const back = safeReturnPath(request.body.back);
      return reply.redirect(back.startsWith('/work') ? back : '/work', 303);
    };

    app.post('/work/cases/:id/tasks/:taskId/claim', {
      config: { access: STAFF },
      schema: { summary: 'Take a task of a case (form): it becomes yours on the worklist', tags: ['web'], params: TaskParams, body: TaskForm },
      handler: onTask(claimTask),
    });

    app.post('/work/cases/:id/tasks/:taskId/assign', {
      config: { access: access.roles('agency-head') },
      schema: { summary: 'Hand a task to an officer, or back to the team (form; heads of agency)', tags: ['web'], params: TaskParams, body: Type.Object({ _csrf: FormText(200), back: FormText(500), userId: Type.Union([Type.Literal(''), Uuid]) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const application = await applicationForStaff(db, principal, request.params.id);
        if (!(await caseTasks(db, application.id)).some((task) => task.id === request.params.taskId)) throw Problem.notFound('This case has no such task.');
        await db.transaction().execute((trx) => assignTask(trx, { taskId: request.params.taskId, assigneeId: request.body.userId || null, principal, requestId: request.id, canWork: canWorkAs(trx) }));
        return reply.redirect(casePath(application.id, '?done=1'), 303);
      },
    });

    app.post('/work/cases/:id/tasks/:taskId/release', {
      config: { access: STAFF },
      schema: { summary: 'Give a task back to the team (form)', tags: ['web'], params: TaskParams, body: TaskForm },
      handler: onTask(releaseTask),
    });
  };
}
