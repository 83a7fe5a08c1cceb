import {
  pickText,
  visibleFields,
  visibleSteps,
  type ApplicationView,
  type DocumentRow,
  type FeeLine,
  type FormData,
  type PrefilledAnswer,
  type ServiceDefinition,
} from '../../blocks/registration/index.ts';
import type { CaseEvent } from '../../blocks/workflow/index.ts';
import { formatDate, formatDateTime, formatMoney, formatNumber } from '../../platform/i18n/index.ts';
import type { InvoiceView } from '../../blocks/payments/index.ts';
import type { PageContext } from '../page-context.ts';
import { fieldQuestion, formatAnswer, inputQuestion, type Question } from './question-field.tsx';
import { TableRegion } from './table-region.tsx';

// Parts of an application shown both to its applicant and to the officers who work it.

export function stateLabel(ctx: PageContext, definition: ServiceDefinition, stateId: string | null): string {
  const state = definition.workflow.states.find((s) => s.id === stateId);
  return state ? pickText(state.label, ctx.locale) : (stateId ?? '');
}

/** Where an application stands, in one phrase: a draft, or its current step. */
export function statusOf(ctx: PageContext, view: Pick<ApplicationView, 'application' | 'definition' | 'caseRow'>): string {
  return view.caseRow ? stateLabel(ctx, view.definition, view.caseRow.state) : ctx.t('applications.draft');
}

/**
 * Every answer, step by step, with the field's label in the reader's language. With `changeHref`,
 * each row links back to its step, and a required answer not given yet says so.
 */
export function AnswersSummary({ ctx, definition, data, changeHref, headingLevel = 2, prefilled = {} }: { ctx: PageContext; definition: ServiceDefinition; data: FormData; changeHref?: (stepId: string, fieldId: string) => string; headingLevel?: 2 | 3; prefilled?: Record<string, PrefilledAnswer> }) {
  const { t } = ctx;
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <>
      {visibleSteps(definition, data).map((step) => (
        <section aria-labelledby={`step-${step.id}`}>
          <Heading id={`step-${step.id}`}>{pickText(step.title, ctx.locale)}</Heading>
          <dl class="summary">
            {visibleFields(step, data).map((field) => {
              const question = fieldQuestion(field);
              const answer = formatAnswer(ctx, question, data[field.id]);
              const label = pickText(field.label, ctx.locale);
              const source = prefilled[field.id];
              return (
                <div id={`answer-${field.id}`}>
                  <dt>{label}</dt>
                  <dd>{answer || <span class="muted">{question.required ? t('check.notAnswered') : t('check.notGiven')}</span>}</dd>
                  {source && source.value === data[field.id] && <dd class="muted">{t('prefill.source', { registry: source.registry })}</dd>}
                  {changeHref && (
                    <dd>
                      <a href={changeHref(step.id, field.id)}>
                        {t('check.change')}
                        <span class="visually-hidden">{` ${label}`}</span>
                      </a>
                    </dd>
                  )}
                </div>
              );
            })}
          </dl>
        </section>
      ))}
    </>
  );
}


/** Uploaded documents, each downloadable by whoever may see the application. */
export function DocumentsList({ ctx, definition, applicationId, documents }: { ctx: PageContext; definition: ServiceDefinition; applicationId: string; documents: DocumentRow[] }) {
  if (documents.length === 0) return <p class="muted">{ctx.t('documents.none')}</p>;
  // Besides the documents asked of the applicant, a case holds the photos an inspector took (an action's input).
  const photos = definition.workflow.states.flatMap((s) => s.actions ?? []).flatMap((a) => a.inputs ?? []).filter((i) => i.type === 'photos');
  const labelOf = (type: string) => {
    const label = definition.documents?.find((d) => d.id === type)?.label ?? photos.find((i) => i.id === type)?.label;
    return label ? pickText(label, ctx.locale) : type;
  };
  return (
    <ul>
      {documents.map((d) => (
        <li>
          {`${labelOf(d.document_type)}: `}
          <a href={`/api/registration/applications/${applicationId}/documents/${d.id}`} download={d.file_name}>
            <bdi>{d.file_name}</bdi>
          </a>
          {` ${ctx.t('documents.details', { size: formatNumber(ctx.locale, Math.max(0.1, Math.round(d.size_bytes / 104_857.6) / 10)), date: formatDateTime(ctx.locale, d.uploaded_at) })}`}
        </li>
      ))}
    </ul>
  );
}

/** Fee lines and their total, in the service's currency. */
export function FeesTable({ ctx, definition, lines, total }: { ctx: PageContext; definition: ServiceDefinition; lines: FeeLine[]; total: string | null }) {
  const { t } = ctx;
  const decimals = definition.fees?.decimals ?? 0;
  if (lines.length === 0 || total === null) return <p>{t('fees.none')}</p>;
  return (
    <table class="fees">
      <tbody>
        {lines.map((line) => (
          <tr>
            <th scope="row">{pickText(line.label, ctx.locale)}</th>
            <td class="amount">{formatMoney(ctx.locale, line.amount, line.currency, decimals)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">{t('fees.total')}</th>
          <td class="amount">{formatMoney(ctx.locale, total, lines[0]!.currency, decimals)}</td>
        </tr>
      </tfoot>
    </table>
  );
}

/** Deadlines of an open case: the legal one (paused while the applicant is asked for more) and, for staff, the current step's. */
/** How the application came in; staff also see the consent an agent recorded at the counter. */
export function ChannelFacts({ ctx, view, forStaff }: { ctx: PageContext; view: ApplicationView; forStaff: boolean }) {
  const { t } = ctx;
  const consent = view.application.assisted_consent;
  return (
    <>
      <dt>{t('assisted.channel.label')}</dt>
      <dd>
        {view.assistedBy ? <>{t('assisted.channel.assisted', { agent: view.assistedBy.name })}</> : t('assisted.channel.online')}
        {forStaff && consent && <><br />{t('assisted.channel.consent', { idDocument: consent.idDocument, method: t(`assisted.consentMethod.${consent.method}`) })}</>}
      </dd>
    </>
  );
}

export function Deadlines({ ctx, view, forStaff }: { ctx: PageContext; view: ApplicationView; forStaff: boolean }) {
  const { t } = ctx;
  const row = view.caseRow;
  if (!row || row.closed_at) return null;
  return (
    <>
      {forStaff && row.state_due_at && (
        <>
          <dt>{t('deadlines.step')}</dt>
          <dd>
            {formatDateTime(ctx.locale, row.state_due_at)}
            {row.overdue && <> <strong class="tag bad">{t('deadlines.overdue')}</strong></>}
          </dd>
        </>
      )}
      {row.statutory_due_at && (
        <>
          <dt>{t('deadlines.statutory')}</dt>
          <dd>
            {formatDate(ctx.locale, row.statutory_due_at)}
            {row.clock_paused_since && <span class="hint">{t('deadlines.paused', { since: formatDateTime(ctx.locale, row.clock_paused_since) })}</span>}
          </dd>
        </>
      )}
    </>
  );
}

/** The questions behind a history event's inputs, so they show with their labels. */
function questionsOf(definition: ServiceDefinition, event: CaseEvent): Question[] {
  const state = definition.workflow.states.find((s) => s.id === event.fromState);
  const action = event.kind === 'applicant-action' ? state?.applicantActions?.find((a) => a.id === event.actionId) : state?.actions?.find((a) => a.id === event.actionId);
  return (action?.inputs ?? []).map(inputQuestion);
}

/** Inputs the platform itself records (a withdrawal's reason, an extension, an opinion). */
const PLATFORM_INPUTS = ['reason', 'days', 'opinion', 'conditions'] as const;

function eventTitle(ctx: PageContext, definition: ServiceDefinition, event: CaseEvent): string {
  const state = definition.workflow.states.find((s) => s.id === event.fromState);
  const named = (label: Record<string, string> | undefined) => (label ? pickText(label, ctx.locale) : (event.actionId ?? event.kind));
  switch (event.kind) {
    case 'action':
      return named(state?.actions?.find((a) => a.id === event.actionId)?.label);
    case 'applicant-action':
      return named(state?.applicantActions?.find((a) => a.id === event.actionId)?.label);
    case 'opinion':
      return ctx.t('history.opinion', { review: named(state?.reviews?.reviewers.find((r) => r.id === event.actionId)?.label) });
    default:
      return ctx.t(`history.kinds.${event.kind}`, { defaultValue: event.kind });
  }
}

/** What an event carried, each value under its label. */
export function EventDetails({ ctx, definition, event }: { ctx: PageContext; definition: ServiceDefinition; event: CaseEvent }) {
  const questions = questionsOf(definition, event);
  const rows = [
    ...questions.map((q) => ({ key: q.id, label: pickText(q.label, ctx.locale), value: formatAnswer(ctx, q, event.inputs[q.id]) })),
    ...(event.kind === 'action' || event.kind === 'applicant-action'
      ? []
      : PLATFORM_INPUTS.filter((key) => event.inputs[key] !== undefined && event.inputs[key] !== '').map((key) => ({
          key,
          label: ctx.t(`history.inputs.${key}`),
          value: key === 'opinion' ? ctx.t(`work.opinions.${String(event.inputs[key])}`, { defaultValue: String(event.inputs[key]) }) : String(event.inputs[key]),
        }))),
  ].filter((row) => row.value !== '');
  if (rows.length === 0) return null;
  return (
    <dl class="details">
      {rows.map((row) => (
        <div>
          <dt>{row.label}</dt>
          <dd>{row.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The case's history, oldest first: what happened, the step it led to, who did it (for staff) and what they wrote. */
export function HistoryTable({ ctx, definition, events }: { ctx: PageContext; definition: ServiceDefinition; events: CaseEvent[] }) {
  const { t } = ctx;
  if (events.length === 0) return null;
  return (
    <TableRegion label={t('history.title')}>
      <table>
        <caption class="visually-hidden">{t('history.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('history.when')}</th>
            <th scope="col">{t('history.what')}</th>
            <th scope="col">{t('history.by')}</th>
            <th scope="col">{t('history.then')}</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr>
              <td>{formatDateTime(ctx.locale, event.at)}</td>
              <td>
                {eventTitle(ctx, definition, event)}
                <EventDetails ctx={ctx} definition={definition} event={event} />
              </td>
              <td>{event.actorName ? <bdi>{event.actorName}</bdi> : '—'}</td>
              <td>{event.toState && event.toState !== event.fromState ? stateLabel(ctx, definition, event.toState) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

/** What was issued on an application: linked to its page for the applicant, listed for staff. */
export function OutputsList({ ctx, view, hrefOf }: { ctx: PageContext; view: ApplicationView; hrefOf?: (outputId: string) => string }) {
  const { t } = ctx;
  return (
    <ul>
      {view.outputs.map((o) => (
        <li>
          {hrefOf ? <a href={hrefOf(o.output_id)}>{pickText(o.title, ctx.locale)}</a> : pickText(o.title, ctx.locale)}
          {` · ${t('output.issued')} ${formatDate(ctx.locale, o.issued_at)}`}
          {o.valid_until && ` · ${t('output.validUntil')} ${formatDate(ctx.locale, o.valid_until)}`}
          {o.revoked_at && <> <span class="tag bad">{t('output.revoked')}</span></>}
        </li>
      ))}
    </ul>
  );
}

/** What the applicant has been asked to pay and where it stands; the payer gets a link to pay what is open. */
export function InvoicesSummary({ ctx, invoices, payable }: { ctx: PageContext; invoices: InvoiceView[]; payable: boolean }) {
  const { t } = ctx;
  return (
    <TableRegion label={t('invoice.title')}>
      <table>
        <caption>{t('invoice.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('invoice.reference')}</th>
            <th scope="col">{t('invoice.amount')}</th>
            <th scope="col">{t('invoice.state')}</th>
            <th scope="col">{t('invoice.due')}</th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((invoice) => (
            <tr>
              <td class="tracking">{invoice.reference}</td>
              <td>{formatMoney(ctx.locale, invoice.amount, invoice.currency, invoice.decimals)}</td>
              <td>
                {t(`invoice.states.${invoice.state}`)}
                {payable && (invoice.state === 'open' || invoice.state === 'partly-paid') && (
                  <>
                    {' '}
                    <a href={invoice.payPath}>{t('invoice.pay')}</a>
                  </>
                )}
              </td>
              <td>{formatDate(ctx.locale, invoice.dueAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
