import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import { FEEDBACK_THEMES, giveFeedback, hasGivenFeedback, isRateable, mayRate, type FeedbackTheme } from '../../blocks/analytics/index.ts';
import { findAgencyByCode, mandatesOf } from '../../blocks/identity/index.ts';
import { readUploads } from '../../blocks/registration/application-routes.ts';
import {
  answerAsApplicant,
  applicationForApplicant,
  applicationsOf,
  attachDocument,
  checkFindings,
  computeFees,
  fillTemplate,
  currentDefinition,
  definitionOf,
  describeApplication,
  documentsOf,
  outputsOf,
  firstIncompleteStep,
  pickText,
  prefillStep,
  readStep,
  removeDocument,
  saveStep,
  startApplication,
  stepPrefills,
  submitApplication,
  totalOf,
  visibleDocuments,
  visibleFields,
  visibleSteps,
  withdrawApplication,
  type ApplicationRow,
  type ApplicationView,
  type DocumentDefinition,
  type DocumentRow,
  type FeeLine,
  type FieldDefinition,
  type Finding,
  type FormData,
  type RegistrationDeps,
  type ServiceDefinition,
  type StepDefinition,
  type StepPrefill,
} from '../../blocks/registration/index.ts';
import type { InvoiceView } from '../../blocks/payments/index.ts';
import { loadCase, openUntil } from '../../blocks/workflow/index.ts';
import { ExpressionError } from '../../platform/expressions/index.ts';
import { DOCUMENT_MEDIA_TYPES } from '../../platform/files/detect-type.ts';
import { access, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import { prefersHtml, type App } from '../../platform/http/server.ts';
import { formatDate, formatDateTime, formatList } from '../../platform/i18n/index.ts';
import { DEFAULT_MAX_RESCHEDULES, type Booking, type Scheduler } from '../../blocks/scheduler/index.ts';
import { AnswersSummary, ChannelFacts, Deadlines, DocumentsList, EventDetails, FeesTable, HistoryTable, InvoicesSummary, OutputsList, statusOf } from '../components/application-parts.tsx';
import { AnswersForm, answersOf, Choices, CsrfField, DefinitionId, ErrorSummary, Field, FormText, isClientProblem, lastSegment, TextArea, translatedErrors, type FieldErrors, type RefusedForm } from '../components/forms.tsx';
import { fieldQuestion, inputQuestion, QuestionField, type Question } from '../components/question-field.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';
import { FeedbackInvitation } from './analytics-pages.tsx';

const PAGE_SIZE = 50;
const CITIZENS = access.roles('citizen');
const AppParams = Type.Object({ id: Uuid }, { additionalProperties: false });
type Values = Record<string, unknown>;

const appPath = (id: string, rest = '') => `/applications/${id}${rest}`;

function serviceTitle(ctx: PageContext, definition: ServiceDefinition): string {
  return pickText(definition.title, ctx.locale);
}

/** "PDF, JPEG or PNG". */
function acceptedTypes(ctx: PageContext, rule: DocumentDefinition): string {
  return formatList(ctx.locale, rule.accept.map((a) => a.toUpperCase()), 'disjunction');
}

/** "PDF, JPEG or PNG, up to 5 MB". */
function documentRule(ctx: PageContext, rule: DocumentDefinition): string {
  return ctx.t('documents.rule', { types: acceptedTypes(ctx, rule), size: rule.maxSizeMb });
}

/** Errors about uploaded files, with the accepted types their messages name. */
function aboutFiles(ctx: PageContext, definition: ServiceDefinition, errors: InvalidParam[] | undefined): InvalidParam[] {
  return (errors ?? []).map((e) => {
    const rule = definition.documents?.find((d) => d.id === lastSegment(e.pointer));
    return rule ? { ...e, params: { ...e.params, types: acceptedTypes(ctx, rule) } } : e;
  });
}

const EXTENSIONS: Record<string, string[]> = { jpeg: ['jpg', 'jpeg'], tiff: ['tif', 'tiff'] };

function acceptOf(rule: DocumentDefinition): string {
  return rule.accept.flatMap((kind) => [...(EXTENSIONS[kind] ?? [kind]).map((ext) => `.${ext}`), DOCUMENT_MEDIA_TYPES[kind] ?? '']).filter(Boolean).join(',');
}

function documentLabel(ctx: PageContext, rule: DocumentDefinition): string {
  const label = pickText(rule.label, ctx.locale);
  return rule.required === false ? ctx.t('form.optional', { label }) : label;
}

/** A file input for a document the service asks for, with what it accepts; optional with an answer, where nothing is required. */
function DocumentInput({ ctx, rule, id = rule.id, error, optional = rule.required === false }: { ctx: PageContext; rule: DocumentDefinition; id?: string; error?: string; optional?: boolean }) {
  const hint = [rule.hint ? pickText(rule.hint, ctx.locale) : '', documentRule(ctx, rule)].filter(Boolean).join(' ');
  const name = pickText(rule.label, ctx.locale);
  const label = optional ? ctx.t('form.optional', { label: name }) : name;
  return <Field type="file" id={id} name={rule.id} label={label} hint={hint} error={error} accept={acceptOf(rule)} />;
}

// ---------------------------------------------------------------------------------------------
// Starting

interface Party {
  id: string;
  name: string;
}

function StartPage({ ctx, definition, parties, message }: { ctx: PageContext; definition: ServiceDefinition; parties: Party[]; message?: string }) {
  const { t, principal } = ctx;
  const documents = definition.documents ?? [];
  return (
    <>
      <h1>{t('apply.start.title', { service: serviceTitle(ctx, definition) })}</h1>
      <p class="lead">{pickText(definition.description, ctx.locale)}</p>
      <ErrorSummary ctx={ctx} message={message} errors={{}} labels={{}} />
      <h2>{t('apply.start.steps')}</h2>
      <ol>
        {definition.form.steps.map((step) => <li>{pickText(step.title, ctx.locale)}</li>)}
      </ol>
      {documents.length > 0 && (
        <>
          <h2>{t('apply.start.documents')}</h2>
          <ul>
            {documents.map((rule) => (
              <li>
                {documentLabel(ctx, rule)}
                {rule.when && ` ${t('apply.start.ifApplicable')}`}
                <span class="hint">{documentRule(ctx, rule)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <p>{t('apply.start.saved')}</p>
      <form class="stack" method="post" action={`/apply/${definition.id}`}>
        <CsrfField ctx={ctx} />
        {parties.length > 0 && (
          <Choices
            name="onBehalfOf"
            label={t('apply.start.forWhom')}
            choices={[{ value: '', label: t('apply.start.myself', { name: principal?.displayName ?? '' }) }, ...parties.map((p) => ({ value: p.id, label: p.name }))]}
            checked={['']}
          />
        )}
        <div>
          <button type="submit">{t('apply.start.submit')}</button>
        </div>
      </form>
    </>
  );
}

/** The people and companies this person holds a live mandate from, for this service. */
async function partiesRepresented(deps: RegistrationDeps, principal: Principal, serviceId: string): Promise<Party[]> {
  if (!principal.partyId) return [];
  const now = Date.now();
  const live = (await mandatesOf(deps.db, principal.partyId)).filter(
    (m) => m.agent_party_id === principal.partyId && !m.revoked_at && m.valid_from.getTime() <= now && (!m.valid_until || m.valid_until.getTime() > now) && (m.scope === '*' || m.scope === serviceId),
  );
  return [...new Map(live.map((m) => [m.grantor_party_id, { id: m.grantor_party_id, name: m.grantor }])).values()];
}

// ---------------------------------------------------------------------------------------------
// Filling in the form, step by step

/** What a step can fill in from a registry: a button, or first the consent it needs, or why it cannot. */
function PrefillPanel({ ctx, application, step, prefill, agencyName, error }: { ctx: PageContext; application: ApplicationRow; step: StepDefinition; prefill: StepPrefill; agencyName: string; error?: string }) {
  const { t } = ctx;
  const { offer, group } = prefill;
  if (offer.kind === 'unavailable' || !offer.registryNames) return null;
  const registry = pickText(offer.registryNames, ctx.locale);
  const fields = formatList(ctx.locale, group.fields.map((f) => pickText(f.label, ctx.locale)));
  const headingId = `prefill-${group.key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const form = (children: ComponentChildren, button: string) => (
    <form class="stack" method="post" action={appPath(application.id, `/steps/${step.id}/prefill`)} novalidate>
      <CsrfField ctx={ctx} />
      <input type="hidden" name="group" value={group.key} />
      {children}
      <div>
        <button class="secondary" type="submit">{button}</button>
      </div>
    </form>
  );
  return (
    <section class="asked" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('prefill.title', { registry })}</h2>
      <p>{t('prefill.ready', { registry, fields })}</p>
      {offer.kind === 'ready' && (
        <>
          {offer.consent && <p class="muted">{t('prefill.consentInForce')} <a href="/account/consents">{t('prefill.consentsPage')}</a></p>}
          {form([], t('prefill.fill'))}
        </>
      )}
      {offer.kind === 'needs-consent' && !prefill.mayConsent && <p>{t('prefill.waitingForApplicant')}</p>}
      {offer.kind === 'needs-consent' && prefill.mayConsent && (
        <>
          <p>{t('prefill.askConsent', { registry })}</p>
          {offer.reason !== 'no-consent' && <p>{t(`prefill.${offer.reason}`)}</p>}
          <h3>{pickText(offer.agreement.names, ctx.locale)}</h3>
          {Object.keys(offer.agreement.descriptions).length > 0 && <p>{pickText(offer.agreement.descriptions, ctx.locale)}</p>}
          {form(<Choices id={`${headingId}-consent`} name="consent" label={t('prefill.agreeAndFill')} error={error} choices={[{ value: 'yes', label: t('prefill.agree', { agency: agencyName }) }]} checked={[]} multiple />, t('prefill.agreeAndFill'))}
        </>
      )}
    </section>
  );
}

/** A prefilled answer says where it came from, next to the question. */
function withProvenance(ctx: PageContext, field: FieldDefinition, prefills: StepPrefill[]): Question {
  const question = fieldQuestion(field);
  const from = prefills.find((p) => p.filled.includes(field.id) && p.offer.registryNames);
  if (!from?.offer.registryNames) return question;
  const note = ctx.t('prefill.fromRegister', { registry: pickText(from.offer.registryNames, ctx.locale) });
  return { ...question, hint: { [ctx.locale]: [question.hint ? pickText(question.hint, ctx.locale) : '', note].filter(Boolean).join(' ') } };
}

function StepPage({ ctx, application, definition, step, data, values, errors, returnToCheck, notice, prefills = [], agencyName = '', prefillError }: { ctx: PageContext; application: ApplicationRow; definition: ServiceDefinition; step: StepDefinition; data: FormData; values: Values; errors: FieldErrors; returnToCheck: boolean; notice?: string; prefills?: StepPrefill[]; agencyName?: string; prefillError?: string }) {
  const { t } = ctx;
  const steps = visibleSteps(definition, data);
  const index = steps.findIndex((s) => s.id === step.id);
  const fields = visibleFields(step, data);
  const labels = Object.fromEntries(fields.map((f) => [f.id, pickText(f.label, ctx.locale)]));
  const previous = steps[index - 1];
  return (
    <>
      <p class="caption">{`${serviceTitle(ctx, definition)} · ${t('apply.stepOf', { current: index + 1, total: steps.length })}`}</p>
      <h1>{pickText(step.title, ctx.locale)}</h1>
      {step.description && <p class="lead">{pickText(step.description, ctx.locale)}</p>}
      <ErrorSummary ctx={ctx} errors={errors} labels={labels} />
      {notice && <p class="notice" role="status">{notice}</p>}
      {prefills.map((prefill) => <PrefillPanel ctx={ctx} application={application} step={step} prefill={prefill} agencyName={agencyName} error={prefillError} />)}
      <form class="stack" method="post" action={appPath(application.id, `/steps/${step.id}`)} novalidate>
        <CsrfField ctx={ctx} />
        {returnToCheck && <input type="hidden" name="next" value="check" />}
        <input type="hidden" name="_shown" value={fields.map((f) => f.id).join(' ')} />
        {fields.map((field) => <QuestionField ctx={ctx} question={withProvenance(ctx, field, prefills)} value={values[field.id]} error={errors[field.id]} />)}
        <div>
          <button type="submit">{t('apply.continue')}</button>
        </div>
      </form>
      <p>{previous ? <a href={appPath(application.id, `/steps/${previous.id}`)}>{t('apply.back')}</a> : <a href="/applications">{t('applications.title')}</a>}</p>
    </>
  );
}

/** What the applicant is told after asking to fill in from a registry. */
function prefillNotice(ctx: PageContext, application: ApplicationRow, step: StepDefinition, prefills: StepPrefill[], outcome: 'filled' | 'not-found'): string | undefined {
  const prefill = prefills.find((p) => (outcome === 'filled' ? p.filled.length > 0 : p.filled.length === 0));
  if (!prefill?.offer.registryNames) return undefined;
  const registry = pickText(prefill.offer.registryNames, ctx.locale);
  if (outcome === 'filled') return ctx.t('prefill.filled', { registry });
  const answers = formatList(ctx.locale, Object.values(prefill.group.match).map((field) => String(application.data[field] ?? '')));
  return ctx.t('prefill.notFound', { answers });
}

/** Where to go after a step: the next step that applies, then the documents, then the check. */
function pathAfterStep(application: ApplicationRow, definition: ServiceDefinition, data: FormData, stepId: string): string {
  const steps = visibleSteps(definition, data);
  const next = steps[steps.findIndex((s) => s.id === stepId) + 1];
  if (next) return appPath(application.id, `/steps/${next.id}`);
  return appPath(application.id, visibleDocuments(definition, data).length > 0 ? '/documents' : '/check');
}

// ---------------------------------------------------------------------------------------------
// Documents

function DocumentsPage({ ctx, application, definition, documents, errors }: { ctx: PageContext; application: ApplicationRow; definition: ServiceDefinition; documents: DocumentRow[]; errors: FieldErrors }) {
  const { t } = ctx;
  const rules = visibleDocuments(definition, application.data);
  const labels = Object.fromEntries(rules.map((rule) => [rule.id, pickText(rule.label, ctx.locale)]));
  return (
    <>
      <p class="caption">{serviceTitle(ctx, definition)}</p>
      <h1>{t('apply.documents.title')}</h1>
      <p class="lead">{t('apply.documents.lead')}</p>
      <ErrorSummary ctx={ctx} errors={errors} labels={labels} />
      {documents.length > 0 && (
        <>
          <h2>{t('apply.documents.uploaded')}</h2>
          <ul class="files">
            {documents.map((d) => (
              <li>
                {`${labels[d.document_type] ?? d.document_type}: `}
                <bdi>{d.file_name}</bdi>
                <form class="inline" method="post" action={appPath(application.id, `/documents/${d.id}/remove`)}>
                  <CsrfField ctx={ctx} />
                  <button class="link" type="submit">
                    {t('apply.documents.remove')}
                    <span class="visually-hidden">{` ${d.file_name}`}</span>
                  </button>
                </form>
              </li>
            ))}
          </ul>
        </>
      )}
      <form class="stack" method="post" action={appPath(application.id, '/documents')} enctype="multipart/form-data" novalidate>
        <CsrfField ctx={ctx} />
        {rules.map((rule) => <DocumentInput ctx={ctx} rule={rule} error={errors[rule.id]} />)}
        <div>
          <button type="submit">{t('apply.documents.submit')}</button>
        </div>
      </form>
      <p><a href={appPath(application.id, '/check')}>{t('check.title')}</a></p>
    </>
  );
}

/** Required documents these answers call for that are not uploaded yet. */
function missingDocuments(definition: ServiceDefinition, data: FormData, documents: DocumentRow[]): InvalidParam[] {
  const present = new Set(documents.map((d) => d.document_type));
  return visibleDocuments(definition, data)
    .filter((rule) => rule.required !== false && !present.has(rule.id))
    .map((rule) => ({ pointer: `/documents/${rule.id}`, reason: 'this document is required', code: 'documentMissing' }));
}

// ---------------------------------------------------------------------------------------------
// Check and submit

/** Fees for the answers so far; null while an answer they depend on is missing. */
function feesSoFar(definition: ServiceDefinition, data: FormData): FeeLine[] | null {
  try {
    return computeFees(definition, data);
  } catch (err) {
    if (err instanceof ExpressionError) return null;
    throw err;
  }
}

/** The definition's rules judged on the answers, each broken one in the applicant's language. */
function RuleFindings({ ctx, findings, data }: { ctx: PageContext; findings: Finding[]; data: FormData }) {
  const { t } = ctx;
  const text = (f: Finding) => fillTemplate(pickText(f.message, ctx.locale), { ...data, ...f.values });
  return (
    <section aria-labelledby="rules-title" id="rules">
      <h2 id="rules-title">{t('check.rulesTitle')}</h2>
      {findings.length === 0 ? (
        <p>{t('check.rulesMet')}</p>
      ) : (
        <ul class="findings">
          {findings.map((f) => (
            <li id={`finding-${f.id}`} class={f.blocking ? 'blocking' : 'warning'}>
              <strong>{f.blocking ? t('check.findingBlocking') : t('check.findingWarning')}</strong> {text(f)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CheckPage({ ctx, application, definition, documents, errors, message }: { ctx: PageContext; application: ApplicationRow; definition: ServiceDefinition; documents: DocumentRow[]; errors: FieldErrors; message?: string }) {
  const { t } = ctx;
  const data = application.data;
  const rules = visibleDocuments(definition, data);
  const fees = feesSoFar(definition, data);
  const findings = checkFindings(definition, data);
  const blocked = findings.some((f) => f.blocking);
  const labels = {
    ...Object.fromEntries(visibleSteps(definition, data).flatMap((s) => visibleFields(s, data)).map((f) => [`answer-${f.id}`, pickText(f.label, ctx.locale)])),
    ...Object.fromEntries(rules.map((rule) => [`document-${rule.id}`, pickText(rule.label, ctx.locale)])),
  };
  return (
    <>
      <p class="caption">{serviceTitle(ctx, definition)}</p>
      <h1>{t('check.title')}</h1>
      <ErrorSummary ctx={ctx} message={message} errors={errors} labels={labels} />
      <AnswersSummary ctx={ctx} definition={definition} data={data} changeHref={(stepId, fieldId) => appPath(application.id, `/steps/${stepId}?next=check#${fieldId}`)} />
      {rules.length > 0 && (
        <section aria-labelledby="documents-title">
          <h2 id="documents-title">{t('apply.documents.title')}</h2>
          <dl class="summary">
            {rules.map((rule) => {
              const files = documents.filter((d) => d.document_type === rule.id);
              return (
                <div id={`document-${rule.id}`}>
                  <dt>{pickText(rule.label, ctx.locale)}</dt>
                  <dd>{files.length > 0 ? files.map((f) => <bdi>{f.file_name}</bdi>) : <span class="muted">{rule.required === false ? t('check.notGiven') : t('check.notUploaded')}</span>}</dd>
                  <dd>
                    <a href={appPath(application.id, '/documents')}>
                      {t('check.change')}
                      <span class="visually-hidden">{` ${pickText(rule.label, ctx.locale)}`}</span>
                    </a>
                  </dd>
                </div>
              );
            })}
          </dl>
        </section>
      )}
      {(definition.checks ?? []).length > 0 && <RuleFindings ctx={ctx} findings={findings} data={data} />}
      <h2>{t('fees.title')}</h2>
      {fees ? <FeesTable ctx={ctx} definition={definition} lines={fees} total={totalOf(fees)} /> : <p>{t('fees.later')}</p>}
      <h2>{t('check.sendTitle')}</h2>
      {blocked ? (
        <p>{t('check.rulesBlock')}</p>
      ) : (
        <>
          <p>{t('check.declaration')}</p>
          <form method="post" action={appPath(application.id, '/submit')}>
            <CsrfField ctx={ctx} />
            <button type="submit">{t('check.submit')}</button>
          </form>
        </>
      )}
    </>
  );
}

function ConfirmationPage({ ctx, application, definition }: { ctx: PageContext; application: ApplicationRow; definition: ServiceDefinition }) {
  const { t } = ctx;
  return (
    <>
      <div class="panel">
        <h1>{t('confirmation.title')}</h1>
        <p>
          {t('confirmation.number')}
          <br />
          <strong class="tracking">{application.tracking_number}</strong>
        </p>
      </div>
      <p>{t('confirmation.next', { service: serviceTitle(ctx, definition) })}</p>
      <p><a href={appPath(application.id)}>{t('confirmation.follow')}</a></p>
      <p><a href="/applications">{t('applications.title')}</a></p>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// My applications, and one application after it was submitted

interface ListedApplication {
  application: ApplicationRow;
  definition: ServiceDefinition;
  status: string;
}

function ApplicationsPage({ ctx, drafts, submitted, olderHref }: { ctx: PageContext; drafts: ListedApplication[]; submitted: ListedApplication[]; olderHref: string | null }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('applications.title')}</h1>
      {drafts.length === 0 && submitted.length === 0 && (
        <p>
          {t('applications.none')} <a href="/services">{t('nav.services')}</a>
        </p>
      )}
      {drafts.length > 0 && (
        <section aria-labelledby="drafts-title">
          <h2 id="drafts-title">{t('applications.drafts')}</h2>
          <TableRegion label={t('applications.drafts')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('applications.service')}</th>
                  <th scope="col">{t('applications.started')}</th>
                  <th scope="col"><span class="visually-hidden">{t('applications.continue')}</span></th>
                </tr>
              </thead>
              <tbody>
                {drafts.map(({ application, definition }) => (
                  <tr>
                    <td>{serviceTitle(ctx, definition)}</td>
                    <td>{formatDateTime(ctx.locale, application.created_at)}</td>
                    <td>
                      <a href={appPath(application.id)}>
                        {t('applications.continue')}
                        <span class="visually-hidden">{` ${serviceTitle(ctx, definition)}`}</span>
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </section>
      )}
      {submitted.length > 0 && (
        <section aria-labelledby="submitted-title">
          <h2 id="submitted-title">{t('applications.submitted')}</h2>
          <TableRegion label={t('applications.submitted')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('applications.trackingNumber')}</th>
                  <th scope="col">{t('applications.service')}</th>
                  <th scope="col">{t('applications.submittedOn')}</th>
                  <th scope="col">{t('applications.status')}</th>
                </tr>
              </thead>
              <tbody>
                {submitted.map(({ application, definition, status }) => (
                  <tr>
                    <td><a class="tracking" href={appPath(application.id)}>{application.tracking_number}</a></td>
                    <td>{serviceTitle(ctx, definition)}</td>
                    <td>{application.submitted_at ? formatDateTime(ctx.locale, application.submitted_at) : ''}</td>
                    <td>{status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </section>
      )}
      {olderHref && <p class="pager"><a href={olderHref}>{t('applications.older')}</a></p>}
    </>
  );
}

const NOTICES = ['answered', 'withdrawn', 'rescheduled'] as const;
const MOVE_CHOICES = 6;
const MOVE_WITHIN_DAYS = 21;
const DAY_MS = 86_400_000;

/** A visit booked for the application, in the agency's time zone, with the times it may still move to. */
interface Visit {
  booking: Booking;
  timezone: string;
  movesLeft: number;
  moveTo: Date[];
}

async function visitsOf(scheduler: Scheduler, applicationId: string): Promise<Visit[]> {
  const now = Date.now();
  const booked = (await scheduler.bookingsFor({ type: 'application', id: applicationId })).filter((b) => b.status === 'booked' && b.end.getTime() > now);
  return Promise.all(
    booked.map(async (booking) => {
      const movesLeft = Math.max(0, DEFAULT_MAX_RESCHEDULES - booking.reschedules);
      const from = new Date(now + DAY_MS);
      const slots = movesLeft > 0 && booking.start.getTime() > from.getTime() ? await scheduler.slotsToMoveTo(booking, { from, to: new Date(from.getTime() + MOVE_WITHIN_DAYS * DAY_MS) }) : [];
      return { booking, timezone: (await scheduler.timezoneOf(booking.agencyId)) ?? 'UTC', movesLeft, moveTo: slots.slice(0, MOVE_CHOICES).map((s) => s.start) };
    }),
  );
}

/** The applicant's appointments (an inspection of the site), each with a form to move it while moves are left. */
function VisitsSection({ ctx, visits, back }: { ctx: PageContext; visits: Visit[]; back: string }) {
  const { t } = ctx;
  return (
    <section aria-labelledby="visits-title">
      <h2 id="visits-title">{t('applications.visits.title')}</h2>
      {visits.map(({ booking, timezone, movesLeft, moveTo }) => (
        <div class="stack">
          <p>
            <strong>{booking.title}</strong>: {formatDateTime(ctx.locale, booking.start, timezone)} ({timezone})
          </p>
          {movesLeft === 0 || moveTo.length === 0 ? (
            <p>{t(movesLeft === 0 ? 'applications.visits.noMoreMoves' : 'applications.visits.noFreeTime')}</p>
          ) : (
            <form class="stack" method="post" action={`/scheduler/bookings/${booking.id}/reschedule`} novalidate>
              <CsrfField ctx={ctx} />
              <input type="hidden" name="back" value={back} />
              <Choices id={`move-${booking.id}`} name="start" label={t('applications.visits.moveTo')} hint={t('applications.visits.movesLeft', { count: movesLeft })} choices={moveTo.map((d) => ({ value: d.toISOString(), label: formatDateTime(ctx.locale, d, timezone) }))} checked={[]} />
              <div>
                <button type="submit">{t('applications.visits.move')}</button>
              </div>
            </form>
          )}
        </div>
      ))}
    </section>
  );
}

/**
 * Where the invitation by e-mail and SMS lands: the rating form of one application (the same as
 * below a decided application's page), thanks once answered, or a word that it is not decided yet.
 */
function FeedbackFormPage({ ctx, application, definition, rateable, given, refused }: { ctx: PageContext; application: ApplicationRow; definition: ServiceDefinition; rateable: boolean; given: boolean; refused?: RefusedForm }) {
  const { t } = ctx;
  const labels = { 'feedback-rating': t('analytics.feedback.ratingQuestion'), 'feedback-theme': t('analytics.feedback.themeQuestion') };
  return (
    <>
      <p class="caption">{serviceTitle(ctx, definition)}</p>
      <h1>{t('applications.one', { number: application.tracking_number ?? '' })}</h1>
      <ErrorSummary ctx={ctx} errors={refused?.errors ?? {}} labels={labels} />
      {rateable ? <FeedbackInvitation ctx={ctx} action={appPath(application.id, '/feedback')} given={given} values={refused?.values ?? {}} errors={refused?.errors ?? {}} /> : <p>{t('analytics.invite.notYet')}</p>}
      <p>
        <a href={appPath(application.id)}>{t('analytics.invite.back')}</a>
      </p>
    </>
  );
}

function ApplicationPage({ ctx, view, invoices, visits, refused, notice, rateable, feedbackGiven }: { ctx: PageContext; view: ApplicationView; invoices: InvoiceView[]; visits: Visit[]; refused?: RefusedForm; notice?: string; rateable: boolean; feedbackGiven: boolean }) {
  const { t } = ctx;
  const { application, definition, caseRow } = view;
  const form = (name: string) => (refused?.form === name ? refused : undefined);
  const data = application.data;
  const rules = visibleDocuments(definition, data);
  const asked = caseRow ? view.events.filter((e) => e.toState === caseRow.state && e.toState !== e.fromState).at(-1) : undefined;
  const labels: Record<string, string> = { 'withdraw-reason': t('applications.withdrawReason') };
  for (const action of view.applicantActions) {
    for (const input of action.inputs ?? []) labels[`${action.id}-${input.id}`] = pickText(input.label, ctx.locale);
    if (action.documents) for (const rule of rules) labels[`${action.id}-${rule.id}`] = pickText(rule.label, ctx.locale);
  }
  return (
    <>
      <p class="caption">{serviceTitle(ctx, definition)}</p>
      <h1>{t('applications.one', { number: application.tracking_number ?? '' })}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorSummary ctx={ctx} message={refused?.message} errors={refused?.errors ?? {}} labels={labels} />
      <dl class="facts">
        <dt>{t('applications.status')}</dt>
        <dd>
          <strong>{statusOf(ctx, view)}</strong>
        </dd>
        <dt>{t('applications.submittedOn')}</dt>
        <dd>{application.submitted_at ? formatDateTime(ctx.locale, application.submitted_at) : ''}</dd>
        <ChannelFacts ctx={ctx} view={view} forStaff={false} />
        <Deadlines ctx={ctx} view={view} forStaff={false} />
      </dl>
      {invoices.length > 0 && <InvoicesSummary ctx={ctx} invoices={invoices} payable />}
      {visits.length > 0 && <VisitsSection ctx={ctx} visits={visits} back={appPath(application.id)} />}
      {rateable && <FeedbackInvitation ctx={ctx} action={appPath(application.id, '/feedback')} given={feedbackGiven} values={{}} errors={{}} />}
      {view.applicantActions.length > 0 && caseRow && (
        <section aria-labelledby="asked-title" class="asked">
          <h2 id="asked-title">{t(caseRow.closed_at ? 'applications.reopenTitle' : 'applications.askedTitle')}</h2>
          {asked && <EventDetails ctx={ctx} definition={definition} event={asked} />}
          {view.applicantActions.map((action) => {
            const state = form(action.id);
            const until = openUntil(caseRow, action);
            return (
              <form class="stack" method="post" action={appPath(application.id, `/answers/${action.id}`)} enctype="multipart/form-data" novalidate>
                <CsrfField ctx={ctx} />
                {until && <p>{t('applications.openUntil', { date: formatDate(ctx.locale, until) })}</p>}
                <input type="hidden" name="expectedState" value={caseRow.state} />
                {(action.inputs ?? []).map((input) => {
                  const id = `${action.id}-${input.id}`;
                  return <QuestionField ctx={ctx} question={inputQuestion(input)} id={id} value={state?.values[input.id]} error={state?.errors[id]} />;
                })}
                {action.documents && rules.map((rule) => <DocumentInput ctx={ctx} rule={rule} id={`${action.id}-${rule.id}`} error={state?.errors[`${action.id}-${rule.id}`]} optional />)}
                <div>
                  <button type="submit">{pickText(action.label, ctx.locale)}</button>
                </div>
              </form>
            );
          })}
        </section>
      )}
      {view.outputs.length > 0 && (
        <section aria-labelledby="outputs-title">
          <h2 id="outputs-title">{t('applications.outputs')}</h2>
          <OutputsList ctx={ctx} view={view} hrefOf={(outputId) => appPath(application.id, `/outputs/${outputId}`)} />
        </section>
      )}
      <h2>{t('apply.documents.title')}</h2>
      <DocumentsList ctx={ctx} definition={definition} applicationId={application.id} documents={view.documents} />
      <h2>{t('history.title')}</h2>
      <HistoryTable ctx={ctx} definition={definition} events={view.events} />
      <details>
        <summary>{t('applications.answers')}</summary>
        <AnswersSummary ctx={ctx} definition={definition} data={data} headingLevel={3} />
        <h3>{t('fees.title')}</h3>
        <FeesTable ctx={ctx} definition={definition} lines={application.fees} total={view.totalFee} />
      </details>
      {view.mayWithdraw && (
        <details open={refused?.form === 'withdraw'}>
          <summary>{t('applications.withdraw')}</summary>
          <form class="stack" method="post" action={appPath(application.id, '/withdraw')} novalidate>
            <CsrfField ctx={ctx} />
            <TextArea id="withdraw-reason" name="reason" label={t('applications.withdrawReason')} value={String(form('withdraw')?.values.reason ?? '')} error={form('withdraw')?.errors['withdraw-reason']} maxLength={2000} />
            <div>
              <button class="secondary" type="submit">{t('applications.withdrawSubmit')}</button>
            </div>
          </form>
        </details>
      )}
      <p><a href="/applications">{t('applications.title')}</a></p>
    </>
  );
}

function OutputPage({ ctx, view, output, agencyName }: { ctx: PageContext; view: ApplicationView; output: ApplicationView['outputs'][number]; agencyName: string }) {
  const { t } = ctx;
  return (
    <article class="certificate">
      <p class="caption">{agencyName}</p>
      <h1>{pickText(output.title, ctx.locale)}</h1>
      {output.revoked_at && <p class="error-summary" role="alert">{t('output.revokedOn', { date: formatDate(ctx.locale, output.revoked_at) })}</p>}
      <p class="output-body">{pickText(output.body, ctx.locale)}</p>
      <dl class="facts">
        <dt>{t('applications.trackingNumber')}</dt>
        <dd class="tracking">{view.application.tracking_number}</dd>
        <dt>{t('output.issued')}</dt>
        <dd>{formatDate(ctx.locale, output.issued_at)}</dd>
        <dt>{t('output.validUntil')}</dt>
        <dd>{output.valid_until ? formatDate(ctx.locale, output.valid_until) : t('output.noEnd')}</dd>
      </dl>
      {output.document_id && (
        <>
          <p>
            <a href={appPath(view.application.id, `/outputs/${output.output_id}/pdf`)} download>
              {t('output.pdf')}
            </a>
          </p>
          <p class="muted">
            {t('output.print')} <a href={`/verify/${output.document_id}`}>{t('output.check')}</a>
          </p>
        </>
      )}
      <p class="no-print"><a href={appPath(view.application.id)}>{t('output.back')}</a></p>
    </article>
  );
}

// ---------------------------------------------------------------------------------------------
// Routes

/** Applying online, step by step, and following an application: for citizens and those they act for. */
export function applyPages(deps: RegistrationDeps, oidcLabel: string | null) {
  const { db } = deps;
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, oidcLabel);

    /** An application of the person signed in (or of someone they act for), with its definition. */
    const mine = async (request: FastifyRequest, id: string) => {
      const application = await applicationForApplicant(db, requirePrincipal(request), id);
      return { application, definition: await definitionOf(db, application.service_id, application.service_version) };
    };

    const renderStart = async (request: FastifyRequest, reply: FastifyReply, serviceId: string, message?: string, status = 200) => {
      const current = await currentDefinition(db, serviceId);
      if (!current) throw Problem.notFound('No service open for applications has this id.');
      const ctx = ctxOf(request, reply);
      const parties = await partiesRepresented(deps, requirePrincipal(request), serviceId);
      return sendPage(reply, ctx, { title: ctx.t('apply.start.title', { service: serviceTitle(ctx, current.document) }), body: <StartPage ctx={ctx} definition={current.document} parties={parties} message={message} /> }, status);
    };

    app.get('/apply/:serviceId', {
      config: { access: CITIZENS },
      schema: { summary: 'Start applying for a service: what it asks, and for whom', tags: ['web'], params: Type.Object({ serviceId: DefinitionId }, { additionalProperties: false }) },
      handler: async (request, reply) => renderStart(request, reply, request.params.serviceId),
    });

    app.post('/apply/:serviceId', {
      config: { access: CITIZENS },
      schema: {
        summary: 'Start a draft application (form)',
        tags: ['web'],
        params: Type.Object({ serviceId: DefinitionId }, { additionalProperties: false }),
        body: Type.Object({ _csrf: FormText(200), onBehalfOf: Type.Optional(Type.Union([Type.Literal(''), Uuid])) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        try {
          const draft = await startApplication(deps, { serviceId: request.params.serviceId, principal: requirePrincipal(request), onBehalfOf: request.body.onBehalfOf || null, locale: ctx.locale, requestId: request.id });
          const definition = await definitionOf(db, draft.service_id, draft.service_version);
          const first = visibleSteps(definition, draft.data)[0];
          return reply.redirect(first ? appPath(draft.id, `/steps/${first.id}`) : appPath(draft.id, '/check'), 303);
        } catch (err) {
          if (!(err instanceof Problem) || err.status !== 403) throw err;
          return renderStart(request, reply, request.params.serviceId, ctx.t('apply.start.noMandate'), 403);
        }
      },
    });

    app.get('/applications', {
      config: { access: CITIZENS },
      schema: { summary: 'My applications: drafts to continue, and those submitted with where they stand', tags: ['web'], querystring: Type.Object({ before: Type.Optional(Type.String({ format: 'date-time' })), lang: FormText(5) }) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const ctx = ctxOf(request, reply);
        const rows = await applicationsOf(db, { userId: principal.id, partyId: principal.partyId! }, PAGE_SIZE, request.query.before ? new Date(request.query.before) : undefined);
        const listed = await Promise.all(
          rows.map(async (application): Promise<ListedApplication> => {
            const definition = await definitionOf(db, application.service_id, application.service_version);
            const caseRow = application.status === 'submitted' ? ((await loadCase(db, application.id)) ?? null) : null;
            return { application, definition, status: statusOf(ctx, { application, definition, caseRow }) };
          }),
        );
        const last = rows.at(-1);
        const olderHref = rows.length === PAGE_SIZE && last ? `/applications?${new URLSearchParams({ before: last.created_at.toISOString() })}` : null;
        return sendPage(reply, ctx, {
          title: ctx.t('applications.title'),
          body: <ApplicationsPage ctx={ctx} drafts={listed.filter((l) => l.application.status === 'draft')} submitted={listed.filter((l) => l.application.status === 'submitted')} olderHref={olderHref} />,
        });
      },
    });

    const renderApplication = async (request: FastifyRequest, reply: FastifyReply, application: ApplicationRow, refused?: RefusedForm, status = 200) => {
      const ctx = ctxOf(request, reply);
      // The move form comes back here when the time chosen was taken meanwhile (see the reschedule route).
      const moveRefused: RefusedForm | undefined = ctx.search.get('move') === 'taken' ? { form: 'move', values: {}, errors: {}, message: ctx.t('applications.visits.slotTaken') } : undefined;
      const view = await describeApplication(db, application, requirePrincipal(request), 'applicant');
      const invoices = await deps.payments.invoicesFor(db, 'application', application.id);
      const visits = await visitsOf(deps.scheduler, application.id);
      const done = ctx.search.get('done');
      const notice = (NOTICES as readonly string[]).includes(done ?? '') ? ctx.t(`applications.done.${done}`) : undefined;
      const rateable = isRateable(view.caseRow, view.events, view.definition);
      const feedbackGiven = rateable && (await hasGivenFeedback(db, application.id));
      return sendPage(reply, ctx, { title: ctx.t('applications.one', { number: application.tracking_number ?? '' }), body: <ApplicationPage ctx={ctx} view={view} invoices={invoices} visits={visits} refused={refused ?? moveRefused} notice={notice} rateable={rateable} feedbackGiven={feedbackGiven} /> }, status);
    };

    app.get('/applications/:id', {
      config: { access: CITIZENS },
      schema: { summary: 'One application: where it stands, deadlines, what is asked of me, issued documents, history', tags: ['web'], params: AppParams },
      handler: async (request, reply) => {
        const { application, definition } = await mine(request, request.params.id);
        if (application.status === 'draft') {
          const step = firstIncompleteStep(definition, application.data);
          return reply.redirect(step ? appPath(application.id, `/steps/${step.id}`) : appPath(application.id, '/check'), 303);
        }
        return renderApplication(request, reply, application);
      },
    });

    const StepParams = Type.Object({ id: Uuid, stepId: DefinitionId }, { additionalProperties: false });
    const draftStep = async (request: FastifyRequest, id: string, stepId: string) => {
      const { application, definition } = await mine(request, id);
      const step = application.status === 'draft' ? visibleSteps(definition, application.data).find((s) => s.id === stepId) : undefined;
      return { application, definition, step };
    };

    app.get('/applications/:id/steps/:stepId', {
      config: { access: CITIZENS },
      schema: { summary: 'One step of a draft application', tags: ['web'], params: StepParams, querystring: Type.Object({ next: Type.Optional(Type.Literal('check')), prefill: Type.Optional(Type.Union([Type.Literal('filled'), Type.Literal('not-found')])), lang: FormText(5) }) },
      handler: async (request, reply) => {
        const { application, definition, step } = await draftStep(request, request.params.id, request.params.stepId);
        if (application.status !== 'draft') return reply.redirect(appPath(application.id), 303);
        if (!step) throw Problem.notFound('This application has no such step.');
        const ctx = ctxOf(request, reply);
        const outcome = request.query.prefill;
        const prefills = await stepPrefills(db, application, step, requirePrincipal(request));
        const notice = outcome ? prefillNotice(ctx, application, step, prefills, outcome) : undefined;
        const body = <StepPage ctx={ctx} application={application} definition={definition} step={step} data={application.data} values={application.data} errors={{}} returnToCheck={request.query.next === 'check'} notice={notice} prefills={prefills} agencyName={await agencyNameOf(ctx, definition)} />;
        return sendPage(reply, ctx, { title: pickText(step.title, ctx.locale), body });
      },
    });

    const agencyNameOf = async (ctx: PageContext, definition: ServiceDefinition) => {
      const agency = await findAgencyByCode(db, definition.agency);
      return agency ? pickText(agency.names, ctx.locale) : definition.agency;
    };

    app.post('/applications/:id/steps/:stepId/prefill', {
      config: { access: CITIZENS },
      schema: { summary: "Fill in a step from a registry, agreeing first where the applicant's consent is needed (form)", tags: ['web'], params: StepParams, body: Type.Object({ _csrf: FormText(200), group: Type.String({ minLength: 1, maxLength: 500 }), consent: FormText(10) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const { application, definition, step } = await draftStep(request, request.params.id, request.params.stepId);
        if (application.status !== 'draft') return reply.redirect(appPath(application.id), 303);
        if (!step) throw Problem.notFound('This application has no such step.');
        const principal = requirePrincipal(request);
        const consent = request.body.consent === 'yes';
        const { result } = await prefillStep(deps, { applicationId: application.id, stepId: step.id, group: request.body.group, consent, principal, requestId: request.id });
        if (result.kind === 'needs-consent') {
          const ctx = ctxOf(request, reply);
          const prefills = await stepPrefills(db, application, step, principal);
          const body = <StepPage ctx={ctx} application={application} definition={definition} step={step} data={application.data} values={application.data} errors={{}} returnToCheck={false} prefills={prefills} agencyName={await agencyNameOf(ctx, definition)} prefillError={ctx.t('prefill.agreeRequired')} />;
          return sendPage(reply, ctx, { title: pickText(step.title, ctx.locale), body }, 400);
        }
        return reply.redirect(appPath(application.id, `/steps/${step.id}?prefill=${result.kind === 'filled' ? 'filled' : 'not-found'}`), 303);
      },
    });

    app.post('/applications/:id/steps/:stepId', {
      config: { access: CITIZENS },
      schema: { summary: 'Save the answers of one step (form)', tags: ['web'], params: StepParams, body: AnswersForm },
      handler: async (request, reply) => {
        const { application, definition, step } = await draftStep(request, request.params.id, request.params.stepId);
        if (application.status !== 'draft') return reply.redirect(appPath(application.id), 303);
        if (!step) throw Problem.notFound('This application has no such step.');
        const ctx = ctxOf(request, reply);
        const answers = answersOf(request.body);
        const returnToCheck = request.body.next === 'check';
        const shownList = request.body._shown;
        const shown = new Set(typeof shownList === 'string' ? shownList.split(' ') : visibleFields(step, application.data).map((f) => f.id));
        const again = (data: FormData, errors: FieldErrors, status: number, notice?: string) =>
          sendPage(reply, ctx, { title: pickText(step.title, ctx.locale), body: <StepPage ctx={ctx} application={application} definition={definition} step={step} data={data} values={answers} errors={errors} returnToCheck={returnToCheck} notice={notice} /> }, status);
        // Without JavaScript a question that depends on an answer can only appear once that answer is sent.
        const { data: preview, errors: previewErrors } = readStep(step, answers, application.data);
        if (visibleFields(step, preview).some((f) => !shown.has(f.id))) {
          const errors = translatedErrors(ctx, previewErrors.filter((e) => shown.has(e.field)).map((e) => ({ pointer: `/body/data/${e.field}`, reason: e.reason, code: e.code, params: e.params })));
          return again(preview, errors, Object.keys(errors).length > 0 ? 400 : 200, ctx.t('apply.moreQuestions'));
        }
        try {
          const saved = await saveStep(deps, { applicationId: application.id, stepId: step.id, answers, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(returnToCheck ? appPath(application.id, '/check') : pathAfterStep(application, definition, saved.data, step.id), 303);
        } catch (err) {
          if (!isClientProblem(err) || err.status !== 400) throw err;
          return again(preview, translatedErrors(ctx, err.errors), 400);
        }
      },
    });

    const renderDocuments = async (request: FastifyRequest, reply: FastifyReply, application: ApplicationRow, definition: ServiceDefinition, errors: FieldErrors = {}, status = 200) => {
      const ctx = ctxOf(request, reply);
      const documents = await documentsOf(db, application.id);
      return sendPage(reply, ctx, { title: ctx.t('apply.documents.title'), body: <DocumentsPage ctx={ctx} application={application} definition={definition} documents={documents} errors={errors} /> }, status);
    };

    app.get('/applications/:id/documents', {
      config: { access: CITIZENS },
      schema: { summary: 'The documents a draft application needs: upload, replace, remove', tags: ['web'], params: AppParams },
      handler: async (request, reply) => {
        const { application, definition } = await mine(request, request.params.id);
        if (application.status !== 'draft') return reply.redirect(appPath(application.id), 303);
        return renderDocuments(request, reply, application, definition);
      },
    });

    app.post('/applications/:id/documents', {
      config: { access: CITIZENS },
      schema: { summary: 'Upload documents to a draft (multipart form; each file named by its document type)', tags: ['web'], params: AppParams, consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        if (!request.isMultipart()) throw new Problem(415, 'Send the documents as multipart/form-data.');
        const { application, definition } = await mine(request, request.params.id);
        if (application.status !== 'draft') return reply.redirect(appPath(application.id), 303);
        const principal = requirePrincipal(request);
        const { uploads } = await readUploads(request);
        const ctx = ctxOf(request, reply);
        const refusals: InvalidParam[] = [];
        for (const upload of uploads) {
          try {
            await attachDocument(deps, { applicationId: application.id, upload, principal, requestId: request.id });
          } catch (err) {
            if (!isClientProblem(err) || err.status !== 400) throw err;
            refusals.push(...aboutFiles(ctx, definition, err.errors?.map((e) => ({ ...e, pointer: `/documents/${upload.documentType}` }))));
          }
        }
        const refusedTypes = new Set(refusals.map((e) => lastSegment(e.pointer)));
        const missing = missingDocuments(definition, application.data, await documentsOf(db, application.id)).filter((e) => !refusedTypes.has(lastSegment(e.pointer)));
        if (refusals.length === 0 && missing.length === 0) return reply.redirect(appPath(application.id, '/check'), 303);
        return renderDocuments(request, reply, application, definition, translatedErrors(ctx, [...refusals, ...missing]), 400);
      },
    });

    app.post('/applications/:id/documents/:documentId/remove', {
      config: { access: CITIZENS },
      schema: { summary: 'Remove a document from a draft (form)', tags: ['web'], params: Type.Object({ id: Uuid, documentId: Uuid }, { additionalProperties: false }), body: Type.Object({ _csrf: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        await removeDocument(deps, { applicationId: request.params.id, documentId: request.params.documentId, principal: requirePrincipal(request), requestId: request.id });
        return reply.redirect(appPath(request.params.id, '/documents'), 303);
      },
    });

    const renderCheck = async (request: FastifyRequest, reply: FastifyReply, application: ApplicationRow, definition: ServiceDefinition, problem?: Problem) => {
      const ctx = ctxOf(request, reply);
      const documents = await documentsOf(db, application.id);
      const errors = translatedErrors(ctx, problem?.errors, (pointer) => (pointer.startsWith('/documents/') ? `document-${lastSegment(pointer)}` : `answer-${lastSegment(pointer)}`));
      const message = problem && !problem.errors ? ctx.t(problem.extensions.findings ? 'check.rulesBroken' : 'check.cannotSubmit') : undefined;
      return sendPage(reply, ctx, { title: ctx.t('check.title'), body: <CheckPage ctx={ctx} application={application} definition={definition} documents={documents} errors={errors} message={message} /> }, problem?.status ?? 200);
    };

    app.get('/applications/:id/check', {
      config: { access: CITIZENS },
      schema: { summary: 'Check your answers, documents and fees before submitting', tags: ['web'], params: AppParams },
      handler: async (request, reply) => {
        const { application, definition } = await mine(request, request.params.id);
        if (application.status !== 'draft') return reply.redirect(appPath(application.id), 303);
        return renderCheck(request, reply, application, definition);
      },
    });

    app.post('/applications/:id/submit', {
      config: { access: CITIZENS },
      schema: { summary: 'Submit a draft (form); submitting again leads to the same confirmation', tags: ['web'], params: AppParams, body: Type.Object({ _csrf: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        try {
          await submitApplication(deps, { applicationId: request.params.id, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(appPath(request.params.id, '/confirmation'), 303);
        } catch (err) {
          if (!isClientProblem(err) || ![400, 422].includes(err.status)) throw err;
          const { application, definition } = await mine(request, request.params.id);
          return renderCheck(request, reply, application, definition, err);
        }
      },
    });

    app.get('/applications/:id/confirmation', {
      config: { access: CITIZENS },
      schema: { summary: 'Application submitted: the tracking number', tags: ['web'], params: AppParams },
      handler: async (request, reply) => {
        const { application, definition } = await mine(request, request.params.id);
        if (application.status !== 'submitted') return reply.redirect(appPath(application.id, '/check'), 303);
        const ctx = ctxOf(request, reply);
        return sendPage(reply, ctx, { title: ctx.t('confirmation.title'), body: <ConfirmationPage ctx={ctx} application={application} definition={definition} /> });
      },
    });

    app.post('/applications/:id/answers/:actionId', {
      config: { access: CITIZENS },
      schema: { summary: 'Answer what the agency asked, with documents where allowed (multipart form)', tags: ['web'], params: Type.Object({ id: Uuid, actionId: DefinitionId }, { additionalProperties: false }), consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        if (!request.isMultipart()) throw new Problem(415, 'Send the answer as multipart/form-data.');
        const { application, definition } = await mine(request, request.params.id);
        const { fields, uploads } = await readUploads(request);
        const actionId = request.params.actionId;
        try {
          await answerAsApplicant(deps, { applicationId: application.id, actionId, inputs: answersOf(fields), uploads, expectedState: fields.expectedState, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(appPath(application.id, '?done=answered'), 303);
        } catch (err) {
          if (!isClientProblem(err) || ![400, 409].includes(err.status)) throw err;
          const ctx = ctxOf(request, reply);
          const refused: RefusedForm = { form: actionId, values: fields, errors: translatedErrors(ctx, aboutFiles(ctx, definition, err.errors), (pointer) => `${actionId}-${lastSegment(pointer)}`) };
          if (err.status === 409) refused.message = ctx.t('applications.movedOn');
          return renderApplication(request, reply, application, refused, err.status);
        }
      },
    });

    const renderFeedback = async (request: FastifyRequest, reply: FastifyReply, application: ApplicationRow, definition: ServiceDefinition, refused?: RefusedForm, status = 200) => {
      const ctx = ctxOf(request, reply);
      const [rateable, given] = await Promise.all([mayRate(db, application), hasGivenFeedback(db, application.id)]);
      return sendPage(reply, ctx, { title: ctx.t('analytics.feedback.invite'), body: <FeedbackFormPage ctx={ctx} application={application} definition={definition} rateable={rateable} given={given} refused={refused} /> }, status);
    };

    app.get('/applications/:id/feedback', {
      config: { access: CITIZENS },
      schema: { summary: 'Rate an application: the page the feedback invitation links to (the form, or thanks once answered)', tags: ['web'], params: AppParams },
      handler: async (request, reply) => {
        const { application, definition } = await mine(request, request.params.id);
        return renderFeedback(request, reply, application, definition);
      },
    });

    app.post('/applications/:id/feedback', {
      config: { access: CITIZENS },
      schema: {
        summary: 'Rate a decided application (or one past a step its definition asks feedback after) 1 to 5 and say why (form); one answer per application, a second is refused with 409',
        tags: ['web'],
        params: AppParams,
        body: Type.Object({ _csrf: FormText(200), rating: FormText(1), theme: FormText(20), comment: FormText(300) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const { application, definition } = await mine(request, request.params.id);
        if (!(await mayRate(db, application))) throw Problem.conflict('This application cannot be rated yet.');
        const { rating = '', theme = '', comment = '' } = request.body;
        const invalid: InvalidParam[] = [];
        if (!/^[1-5]$/.test(rating)) invalid.push({ pointer: '/body/rating', reason: 'Choose a rating from 1 to 5.', code: 'option' });
        if (!(FEEDBACK_THEMES as readonly string[]).includes(theme)) invalid.push({ pointer: '/body/theme', reason: `Choose one of the themes: ${FEEDBACK_THEMES.join(', ')}.`, code: 'option' });
        if (invalid.length > 0) {
          if (!prefersHtml(request)) throw Problem.badRequest('The rating could not be taken.', invalid);
          const errors = translatedErrors(ctxOf(request, reply), invalid, (pointer) => `feedback-${lastSegment(pointer)}`);
          return renderFeedback(request, reply, application, definition, { form: 'feedback', values: request.body, errors }, 400);
        }
        await giveFeedback(db, { applicationId: application.id, serviceId: application.service_id, agencyId: application.agency_id, rating: Number(rating), theme: theme as FeedbackTheme, comment });
        return reply.redirect(appPath(application.id), 303);
      },
    });

    app.post('/applications/:id/withdraw', {
      config: { access: CITIZENS },
      schema: { summary: 'Withdraw an application, with a reason (form)', tags: ['web'], params: AppParams, body: Type.Object({ _csrf: FormText(200), reason: FormText(2000) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const { application } = await mine(request, request.params.id);
        const reason = (request.body.reason ?? '').trim();
        const ctx = ctxOf(request, reply);
        if (!reason) return renderApplication(request, reply, application, { form: 'withdraw', values: {}, errors: { 'withdraw-reason': ctx.t('form.errors.required') } }, 400);
        try {
          await withdrawApplication(deps, { applicationId: application.id, reason, principal: requirePrincipal(request), requestId: request.id });
          return reply.redirect(appPath(application.id, '?done=withdrawn'), 303);
        } catch (err) {
          if (!isClientProblem(err) || err.status !== 409) throw err;
          return renderApplication(request, reply, application, { form: 'withdraw', values: { reason }, errors: {}, message: ctx.t('applications.movedOn') }, 409);
        }
      },
    });

    app.get('/applications/:id/outputs/:outputId', {
      config: { access: CITIZENS },
      schema: { summary: 'A document issued on an application, ready to print', tags: ['web'], params: Type.Object({ id: Uuid, outputId: DefinitionId }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const { application, definition } = await mine(request, request.params.id);
        const view = await describeApplication(db, application, requirePrincipal(request), 'applicant');
        const output = view.outputs.find((o) => o.output_id === request.params.outputId);
        if (!output) throw Problem.notFound('No such document was issued on this application.');
        const ctx = ctxOf(request, reply);
        const agency = await findAgencyByCode(db, definition.agency);
        const agencyName = agency ? pickText(agency.names, ctx.locale) : definition.agency;
        return sendPage(reply, ctx, { title: pickText(output.title, ctx.locale), body: <OutputPage ctx={ctx} view={view} output={output} agencyName={agencyName} /> });
      },
    });

    app.get('/applications/:id/outputs/:outputId/pdf', {
      config: { access: CITIZENS },
      schema: { summary: 'The signed PDF of a document issued on an application', tags: ['web'], params: Type.Object({ id: Uuid, outputId: DefinitionId }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const { application } = await mine(request, request.params.id);
        const output = (await outputsOf(db, application.id)).find((o) => o.output_id === request.params.outputId);
        const pdf = output?.document_id ? await deps.signer.pdf(db, output.document_id) : null;
        if (!pdf) throw Problem.notFound('No signed document was issued under this name on this application.');
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${pdf.fileName.replace(/[^\w.-]/g, '_')}"`)
          .header('cache-control', 'private, no-store')
          .send(pdf.bytes);
      },
    });
  };
}
