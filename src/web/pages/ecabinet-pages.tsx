import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderToString } from 'preact-render-to-string';
import type { Db } from '../../platform/db/database.ts';
import type { BlobStore } from '../../platform/files/blob-store.ts';
import { access, hasRole, requirePrincipal, type AccessRule, type Principal } from '../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { pick } from '../../blocks/catalogue/index.ts';
import type { Signer } from '../../blocks/esignature/index.ts';
import { findUserById, listAgencies, type Agency } from '../../blocks/identity/index.ts';
import type { Messenger } from '../../blocks/messaging/index.ts';
import { CABINET_ROLES, CHAIR, DELEGATE, isChair, isSecretariat, LEVELS, listClearances, MEMBER_ROLES, SECRETARIAT, setClearance, viewerOf, type Level, type Viewer } from '../../usecases/ecabinet/clearance.ts';
import {
  actionsFor,
  addAction,
  addItem,
  adoptConsentAgenda,
  agendaOf,
  approveLateItem,
  approveMinutes,
  attendanceAt,
  cabinetMembers,
  circulate,
  closeMeeting,
  createMeeting,
  decisionsRegister,
  hasQuorum,
  seatsOf,
  sitterName,
  listMeetings,
  meetingById,
  meetingOfItem,
  memberMinistry,
  moveItem,
  positionsOn,
  publishDecision,
  publishedDecisions,
  recordAttendance,
  recordDecision,
  recordPosition,
  recordRecusal,
  recusalsOn,
  reportProgress,
  saveMinutes,
  setTrack,
  type Action,
  type Attendance,
  type Decision,
  type Item,
  type Meeting,
  type Member,
  type Outcome,
  type Stance,
  type Track,
  type Position,
  type Recusal,
} from '../../usecases/ecabinet/meetings.ts';
import {
  attachFile,
  attachmentsOf,
  consultationMemo,
  consultationsOf,
  createMemo,
  draftingAgency,
  listMemos,
  mayRevise,
  memoVersions,
  replyToConsultation,
  requestConsultation,
  reviseMemo,
  stepsFor,
  takeStep,
  viewMemo,
  type Attachment,
  type Consultation,
  type Memo,
  type MemoStep,
  type MemoText,
  type MemoVersion,
} from '../../usecases/ecabinet/memos.ts';
import { isoDate, isoDateTime } from '../../usecases/ecabinet/routes.ts';
import { Choices, CsrfField, ErrorSummary, Field, FormText, isClientProblem, lastSegment, Select, TextArea, translatedErrors, type FieldErrors } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, resolveLocale, type PageContext } from '../page-context.ts';
import { liveMeetingScript } from '../assets.ts';
import { sendPage, type PageOptions } from '../render.tsx';

const CABINET = access.roles(...CABINET_ROLES);
const Lang = { lang: FormText(5) };
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const Form = <T extends Record<string, TSchema>>(fields: T) => Type.Object({ _csrf: FormText(200), ...fields }, { additionalProperties: false });
/** How often the live meeting page reloads itself, without JavaScript. */
const LIVE_REFRESH_SECONDS = 15;
/** How often its script asks the live feed what changed: a small fragment, so more often. */
const LIVE_POLL_SECONDS = 5;

const memoPath = (id: string) => `/cabinet/memos/${id}`;
const meetingPath = (id: string) => `/cabinet/meetings/${id}`;

type Agencies = Map<string, Agency>;

async function agenciesById(db: Db): Promise<Agencies> {
  return new Map((await listAgencies(db)).map((a) => [a.id, a]));
}

function agencyName(ctx: PageContext, agencies: Agencies, id: string): string {
  const agency = agencies.get(id);
  return agency ? pick(agency.names, ctx.locale) || agency.code : '';
}

/** A form's required fields, trimmed; every empty one is reported at once, for the error summary. */
function requireAll<K extends string>(fields: Record<K, string | undefined>): Record<K, string> {
  const values = Object.fromEntries(Object.entries<string | undefined>(fields).map(([name, value]) => [name, value?.trim() ?? ''])) as Record<K, string>;
  const missing: InvalidParam[] = Object.entries<string>(values).filter(([, value]) => !value).map(([name]) => ({ pointer: `/body/${name}`, reason: 'is required', code: 'required' }));
  if (missing.length > 0) throw Problem.badRequest(`Required: ${missing.map((m) => m.pointer).join(', ')}.`, missing);
  return values;
}

function LevelTag({ ctx, level }: { ctx: PageContext; level: Level }) {
  return <span class={`tag ecabinet-${level}`}>{ctx.t(`ecabinet.levels.${level}`)}</span>;
}

function When({ ctx, at }: { ctx: PageContext; at: Date }) {
  return <time dateTime={at.toISOString()}>{formatDateTime(ctx.locale, at)}</time>;
}

function Button({ ctx, action, label, secondary, hidden }: { ctx: PageContext; action: string; label: string; secondary?: boolean; hidden?: Record<string, string> }) {
  return (
    <form class="inline" method="post" action={action}>
      <CsrfField ctx={ctx} />
      {Object.entries(hidden ?? {}).map(([name, value]) => <input type="hidden" name={name} value={value} />)}
      <button class={secondary ? 'secondary' : undefined} type="submit">{label}</button>
    </form>
  );
}

/**
 * A form sent back because its input was refused: which form (its action), what was typed, and
 * the errors and labels by field id, for the error summary atop the page and the form itself.
 */
interface SentBack {
  action: string;
  values: Record<string, string>;
  errors: FieldErrors;
  labels: Record<string, string>;
  /** What went wrong when no single field is to blame. */
  message: string | null;
}

/** What a form shows: as sent back to it, or empty. */
function formState(sent: SentBack | undefined, action: string): { values: Record<string, string | undefined>; errors: FieldErrors } {
  return sent?.action === action ? sent : { values: {}, errors: {} };
}

function SentBackSummary({ ctx, sent }: { ctx: PageContext; sent: SentBack | undefined }) {
  return sent ? <ErrorSummary ctx={ctx} message={sent.message} errors={sent.errors} labels={sent.labels} /> : null;
}

const levelChoices = (ctx: PageContext, upTo: Level) => LEVELS.filter((l) => LEVELS.indexOf(l) <= LEVELS.indexOf(upTo)).map((l) => ({ value: l, label: ctx.t(`ecabinet.levels.${l}`) }));

/* ---------------------------------------------------------------- home */

interface HomeData {
  viewer: Viewer | null;
  q: string;
  total: number;
  memos: Memo[];
  meetings: Meeting[];
  agencies: Agencies;
  clearances: { username: string; name: string; level: Level }[] | null;
}

function HomePage({ ctx, data, sent }: { ctx: PageContext; data: HomeData; sent?: SentBack }) {
  const { t } = ctx;
  const { viewer } = data;
  const secretariat = isSecretariat(ctx.principal);
  const meetingForm = formState(sent, '/cabinet/meetings');
  const clearanceForm = formState(sent, '/cabinet/clearances');
  return (
    <>
      <h1>{t('ecabinet.title')}</h1>
      <SentBackSummary ctx={ctx} sent={sent} />
      <p class="lead">{t('ecabinet.lead')}</p>
      <ul class="ecabinet-links">
        {viewer && draftingAgency(viewer.principal) && <li><a href="/cabinet/memos/new">{t('ecabinet.memo.new')}</a></li>}
        {viewer && <li><a href="/cabinet/follow-up">{t('ecabinet.followUp.title')}</a></li>}
        <li><a href="/cabinet/decisions">{t('ecabinet.published.title')}</a></li>
      </ul>
      {viewer && (
        <>
          <h2>{t('ecabinet.memos')}</h2>
          <form method="get" action="/cabinet" class="search">
            <Field name="q" label={t('ecabinet.search')} value={data.q} maxLength={200} />
            <button type="submit">{t('ecabinet.searchButton')}</button>
          </form>
          <p role="status">{t('ecabinet.memoCount', { count: data.total })}</p>
          {data.memos.length > 0 && <MemoTable ctx={ctx} memos={data.memos} agencies={data.agencies} />}
          <h2>{t('ecabinet.meetings')}</h2>
          {data.meetings.length === 0 ? (
            <p>{t('ecabinet.noMeetings')}</p>
          ) : (
            <ul>
              {data.meetings.map((m) => (
                <li><a href={meetingPath(m.id)}>{m.title}</a> · <When ctx={ctx} at={m.startsAt} /> · {t(`ecabinet.meetingStates.${m.state}`)}</li>
              ))}
            </ul>
          )}
          {secretariat && (
            <form class="stack" method="post" action="/cabinet/meetings">
              <h3>{t('ecabinet.meeting.new')}</h3>
              <CsrfField ctx={ctx} />
              <Field name="title" label={t('ecabinet.meeting.titleField')} value={meetingForm.values.title} error={meetingForm.errors.title} required maxLength={200} />
              <Field name="startsAt" type="datetime-local" label={t('ecabinet.meeting.startsAt')} hint={t('ecabinet.utc')} value={meetingForm.values.startsAt} error={meetingForm.errors.startsAt} required />
              <Field name="papersDueAt" type="datetime-local" label={t('ecabinet.meeting.papersDueAt')} hint={t('ecabinet.utc')} value={meetingForm.values.papersDueAt} error={meetingForm.errors.papersDueAt} required />
              <button type="submit">{t('ecabinet.meeting.create')}</button>
            </form>
          )}
        </>
      )}
      {data.clearances && (
        <>
          <h2>{t('ecabinet.clearance.title')}</h2>
          <p>{t('ecabinet.clearance.lead')}</p>
          {data.clearances.length > 0 && (
            <TableRegion label={t('ecabinet.clearance.title')}>
              <table>
                <caption class="visually-hidden">{t('ecabinet.clearance.title')}</caption>
                <thead><tr><th scope="col">{t('ecabinet.clearance.person')}</th><th scope="col">{t('ecabinet.clearance.level')}</th></tr></thead>
                <tbody>{data.clearances.map((c) => <tr><td>{`${c.name} (${c.username})`}</td><td><LevelTag ctx={ctx} level={c.level} /></td></tr>)}</tbody>
              </table>
            </TableRegion>
          )}
          <form class="stack" method="post" action="/cabinet/clearances">
            <CsrfField ctx={ctx} />
            <Field name="username" label={t('ecabinet.clearance.username')} value={clearanceForm.values.username} error={clearanceForm.errors.username} required maxLength={100} />
            <Select name="level" label={t('ecabinet.clearance.level')} value={clearanceForm.values.level} error={clearanceForm.errors.level} choices={levelChoices(ctx, 'secret')} placeholder={t('ecabinet.choose')} required />
            <button type="submit">{t('ecabinet.clearance.set')}</button>
          </form>
        </>
      )}
    </>
  );
}

function MemoTable({ ctx, memos, agencies }: { ctx: PageContext; memos: Memo[]; agencies: Agencies }) {
  const { t } = ctx;
  return (
    <TableRegion label={t('ecabinet.memos')}>
      <table>
        <caption class="visually-hidden">{t('ecabinet.memos')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('ecabinet.memo.title')}</th>
            <th scope="col">{t('ecabinet.memo.ministry')}</th>
            <th scope="col">{t('ecabinet.memo.state')}</th>
            <th scope="col">{t('ecabinet.memo.classification')}</th>
          </tr>
        </thead>
        <tbody>
          {memos.map((m) => (
            <tr>
              <th scope="row"><a href={memoPath(m.id)}>{m.title}</a></th>
              <td>{agencyName(ctx, agencies, m.agencyId)}</td>
              <td>{t(`ecabinet.memoStates.${m.state}`)}</td>
              <td><LevelTag ctx={ctx} level={m.classification} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

/* ---------------------------------------------------------------- memos */

const MEMO_LABEL_KEYS = { title: 'ecabinet.memo.title', summary: 'ecabinet.memo.summary', proposedDecision: 'ecabinet.memo.proposedDecision', cost: 'ecabinet.memo.cost', classification: 'ecabinet.memo.classification' } as const;

const MEMO_LABELS = (ctx: PageContext): Record<keyof typeof MEMO_LABEL_KEYS, string> => ({
  title: ctx.t(MEMO_LABEL_KEYS.title),
  summary: ctx.t(MEMO_LABEL_KEYS.summary),
  proposedDecision: ctx.t(MEMO_LABEL_KEYS.proposedDecision),
  cost: ctx.t(MEMO_LABEL_KEYS.cost),
  classification: ctx.t(MEMO_LABEL_KEYS.classification),
});

/** The memo form's fields, by the id `MemoFields` gives them with this prefix, for the error summary. */
const MEMO_FIELDS = (prefix: string): Record<string, [string, string]> => Object.fromEntries(Object.entries(MEMO_LABEL_KEYS).map(([name, key]) => [name, [`${prefix}${name}`, key]]));

function MemoFields({ ctx, values, errors, clearance, prefix = '' }: { ctx: PageContext; values: Partial<Record<keyof MemoText, string | undefined>>; errors: FieldErrors; clearance: Level; prefix?: string }) {
  const labels = MEMO_LABELS(ctx);
  return (
    <>
      <Field name="title" id={`${prefix}title`} label={labels.title!} value={values.title} error={errors[`${prefix}title`]} required maxLength={300} />
      <TextArea name="summary" id={`${prefix}summary`} label={labels.summary!} value={values.summary} error={errors[`${prefix}summary`]} required maxLength={20000} />
      <TextArea name="proposedDecision" id={`${prefix}proposedDecision`} label={labels.proposedDecision!} value={values.proposedDecision} error={errors[`${prefix}proposedDecision`]} required maxLength={20000} />
      <Field name="cost" id={`${prefix}cost`} label={labels.cost!} hint={ctx.t('ecabinet.memo.costHint')} value={values.cost} error={errors[`${prefix}cost`]} maxLength={500} />
      <Select name="classification" id={`${prefix}classification`} label={labels.classification!} value={values.classification} error={errors[`${prefix}classification`]} choices={levelChoices(ctx, clearance)} placeholder={ctx.t('ecabinet.choose')} required />
    </>
  );
}

function NewMemoPage({ ctx, clearance, sent }: { ctx: PageContext; clearance: Level; sent?: SentBack }) {
  const { values, errors } = formState(sent, '/cabinet/memos');
  return (
    <>
      <h1>{ctx.t('ecabinet.memo.new')}</h1>
      <SentBackSummary ctx={ctx} sent={sent} />
      <form class="stack" method="post" action="/cabinet/memos" novalidate>
        <CsrfField ctx={ctx} />
        <MemoFields ctx={ctx} values={values} errors={errors} clearance={clearance} />
        <button type="submit">{ctx.t('ecabinet.memo.create')}</button>
      </form>
    </>
  );
}

interface MemoData {
  viewer: Viewer;
  memo: Memo;
  attachments: Attachment[];
  consultations: Consultation[];
  versions: MemoVersion[];
  agencies: Agencies;
}

function MemoPage({ ctx, data, sent }: { ctx: PageContext; data: MemoData; sent?: SentBack }) {
  const { t } = ctx;
  const { memo, viewer, agencies } = data;
  const attachForm = formState(sent, `${memoPath(memo.id)}/attachments`);
  const consultForm = formState(sent, `${memoPath(memo.id)}/consultations`);
  const reviseForm = formState(sent, `${memoPath(memo.id)}/revisions`);
  const steps = stepsFor(viewer.principal, memo);
  const revisable = mayRevise(viewer.principal, memo);
  const consulting = ['submitted', 'ready'].includes(memo.state) && (isSecretariat(viewer.principal) || revisable);
  const ours = (agencyId: string) => viewer.ministries === 'all' || viewer.ministries.includes(agencyId);
  return (
    <>
      <h1>{memo.title}</h1>
      <SentBackSummary ctx={ctx} sent={sent} />
      <p><LevelTag ctx={ctx} level={memo.classification} /> {t(`ecabinet.memoStates.${memo.state}`)} · {agencyName(ctx, agencies, memo.agencyId)} · {t('ecabinet.memo.version', { version: memo.version })}</p>
      {ctx.search.get('done') && <p class="notice" role="status">{t('ecabinet.saved')}</p>}
      <dl class="details">
        <dt>{t('ecabinet.memo.summary')}</dt>
        <dd class="ecabinet-text">{memo.summary}</dd>
        <dt>{t('ecabinet.memo.proposedDecision')}</dt>
        <dd class="ecabinet-text">{memo.proposedDecision}</dd>
        <dt>{t('ecabinet.memo.cost')}</dt>
        <dd>{memo.cost || '—'}</dd>
      </dl>
      {steps.length > 0 && (
        <div class="ecabinet-actions">
          {steps.map((step) => <Button ctx={ctx} action={`${memoPath(memo.id)}/steps/${step}`} label={t(`ecabinet.steps.${step}`)} secondary={step === 'return'} />)}
        </div>
      )}

      <h2>{t('ecabinet.attachments')}</h2>
      {data.attachments.length === 0 ? (
        <p>{t('ecabinet.noAttachments')}</p>
      ) : (
        <ul>
          {data.attachments.map((a) => (
            <li><a href={`/api/ecabinet/memos/${memo.id}/attachments/${a.id}`}>{a.fileName}</a> <LevelTag ctx={ctx} level={a.classification} /></li>
          ))}
        </ul>
      )}
      {revisable && (
        <form class="stack" method="post" action={`${memoPath(memo.id)}/attachments`} enctype="multipart/form-data">
          <CsrfField ctx={ctx} />
          <Field name="file" type="file" label={t('ecabinet.attach.file')} hint={t('ecabinet.attach.hint')} error={attachForm.errors.file} accept="application/pdf,image/png,image/jpeg" required />
          <Select name="classification" id="attachment-classification" label={t('ecabinet.memo.classification')} value={memo.classification} error={attachForm.errors['attachment-classification']} choices={levelChoices(ctx, viewer.clearance)} placeholder={t('ecabinet.choose')} required />
          <button type="submit">{t('ecabinet.attach.submit')}</button>
        </form>
      )}

      <h2>{t('ecabinet.consultation.title')}</h2>
      {data.consultations.length === 0 ? (
        <p>{t('ecabinet.consultation.none')}</p>
      ) : (
        <ul>
          {data.consultations.map((c) => (
            <li>
              {t('ecabinet.consultation.item', { ministry: agencyName(ctx, agencies, c.agencyId), due: c.dueOn })}
              {c.reply ? <blockquote class="ecabinet-text">{c.reply}</blockquote> : ' · ' + t('ecabinet.consultation.awaiting')}
              {!c.reply && ours(c.agencyId) && (
                <form class="stack" method="post" action={`/cabinet/consultations/${c.id}/reply`}>
                  <CsrfField ctx={ctx} />
                  <TextArea name="reply" id={`reply-${c.id}`} label={t('ecabinet.consultation.reply')} value={formState(sent, `/cabinet/consultations/${c.id}/reply`).values.reply} error={formState(sent, `/cabinet/consultations/${c.id}/reply`).errors[`reply-${c.id}`]} required maxLength={20000} />
                  <button type="submit">{t('ecabinet.consultation.send')}</button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
      {consulting && (
        <form class="stack" method="post" action={`${memoPath(memo.id)}/consultations`}>
          <CsrfField ctx={ctx} />
          <Select name="agency" label={t('ecabinet.consultation.ministry')} value={consultForm.values.agency} error={consultForm.errors.agency} choices={[...agencies.values()].filter((a) => a.kind === 'ministry' && a.id !== memo.agencyId).map((a) => ({ value: a.code, label: pick(a.names, ctx.locale) }))} placeholder={t('ecabinet.choose')} required />
          <Field name="dueOn" type="date" label={t('ecabinet.consultation.due')} value={consultForm.values.dueOn} error={consultForm.errors.dueOn} required />
          <button type="submit">{t('ecabinet.consultation.ask')}</button>
        </form>
      )}

      <h2>{t('ecabinet.versions.title')}</h2>
      <ol>
        {data.versions.map((v) => (
          <li>
            {t('ecabinet.memo.version', { version: v.version })} · <When ctx={ctx} at={v.createdAt} /> · {v.createdBy.name}
            {v.note && ` · ${v.note}`}
            {v.version > 1 && <> · <a href={`${memoPath(memo.id)}/compare?from=${v.version - 1}&to=${v.version}`}>{t('ecabinet.versions.compare')}</a></>}
          </li>
        ))}
      </ol>
      {revisable && (
        <form class="stack" method="post" action={`${memoPath(memo.id)}/revisions`} novalidate>
          <h3>{t('ecabinet.memo.revise')}</h3>
          <CsrfField ctx={ctx} />
          <MemoFields ctx={ctx} values={sent?.action === `${memoPath(memo.id)}/revisions` ? reviseForm.values : memo} errors={reviseForm.errors} clearance={viewer.clearance} prefix="revise-" />
          <Field name="note" id="revise-note" label={t('ecabinet.memo.note')} value={reviseForm.values.note} error={reviseForm.errors['revise-note']} maxLength={500} />
          <button type="submit">{t('ecabinet.memo.saveRevision')}</button>
        </form>
      )}
    </>
  );
}

function ComparePage({ ctx, memo, from, to }: { ctx: PageContext; memo: Memo; from: MemoVersion; to: MemoVersion }) {
  const { t } = ctx;
  const fields = ['title', 'summary', 'proposedDecision', 'cost', 'classification'] as const;
  const labels = MEMO_LABELS(ctx);
  return (
    <>
      <h1>{t('ecabinet.versions.compareTitle', { title: memo.title, from: from.version, to: to.version })}</h1>
      <TableRegion label={t('ecabinet.versions.title')}>
        <table>
          <caption class="visually-hidden">{t('ecabinet.versions.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('ecabinet.versions.field')}</th>
              <th scope="col">{t('ecabinet.memo.version', { version: from.version })}</th>
              <th scope="col">{t('ecabinet.memo.version', { version: to.version })}</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr class={from[f] === to[f] ? undefined : 'ecabinet-changed'}>
                <th scope="row">{labels[f]}{from[f] !== to[f] && <span class="hint">{t('ecabinet.versions.changed')}</span>}</th>
                <td class="ecabinet-text">{from[f]}</td>
                <td class="ecabinet-text">{to[f]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <p><a href={memoPath(memo.id)}>{t('ecabinet.back')}</a></p>
    </>
  );
}

/* ---------------------------------------------------------------- meetings */

/** A meeting as the viewer may see it: items on papers they may not read are not there. */
interface LiveData {
  viewer: Viewer;
  meeting: Meeting;
  items: Item[];
  positions: Position[];
  recusals: Recusal[];
  attendance: Attendance[];
  agencies: Agencies;
}

interface MeetingData extends LiveData {
  members: Member[];
  ready: Memo[];
}

async function liveData(db: Db, viewer: Viewer, meetingId: string): Promise<LiveData> {
  const meeting = await meetingById(db, meetingId);
  if (!meeting) throw Problem.notFound('No cabinet meeting has this id.');
  const items = await agendaOf(db, viewer, meeting.id);
  const ids = items.map((i) => i.id);
  const [positions, recusals, attendance, agencies] = await Promise.all([positionsOn(db, ids), recusalsOn(db, ids), attendanceAt(db, meeting.id), agenciesById(db)]);
  return { viewer, meeting, items, positions, recusals, attendance, agencies };
}

/** Who recorded a position: the minister, or a delegate for the minister. */
function recorder(ctx: PageContext, position: Position): string {
  const name = position.recordedBy.name ?? '';
  return position.actingFor?.name ? ctx.t('ecabinet.positions.byFor', { delegate: name, minister: position.actingFor.name }) : ctx.t('ecabinet.positions.by', { name });
}

function PositionSummary({ ctx, positions, agencies, detailed }: { ctx: PageContext; positions: Position[]; agencies: Agencies; detailed: boolean }) {
  const count = (stance: string) => positions.filter((p) => p.stance === stance).length;
  return (
    <>
      <span>{ctx.t('ecabinet.positions.summary', { agree: count('agree'), object: count('object'), comment: count('comment'), speak: positions.filter((p) => p.wantsToSpeak).length })}</span>
      {detailed && positions.length > 0 && (
        <ul class="ecabinet-reasons">
          {positions.map((p) => <li>{`${agencyName(ctx, agencies, p.agencyId)} (${ctx.t(`ecabinet.stances.${p.stance}`)})${p.reason ? `: ${p.reason}` : ''}`} <span class="hint">{recorder(ctx, p)}</span></li>)}
        </ul>
      )}
    </>
  );
}

function ItemControls({ ctx, data, item, sent }: { ctx: PageContext; data: MeetingData; item: Item; sent: SentBack | undefined }) {
  const { t } = ctx;
  const { meeting, viewer } = data;
  const secretariat = isSecretariat(viewer.principal);
  const path = `/cabinet/items/${item.id}`;
  const ministry = memberMinistry(viewer.principal);
  const own = data.positions.find((p) => p.itemId === item.id && p.agencyId === ministry);
  const arranging = secretariat && (meeting.state === 'planned' || meeting.state === 'circulated');
  const positionForm = formState(sent, `${path}/position`);
  const decisionForm = formState(sent, `${path}/decision`);
  const recusalForm = formState(sent, `${path}/recusals`);
  return (
    <>
      {arranging && (
        <div class="ecabinet-actions">
          <Button ctx={ctx} action={`${path}/move`} label={t('ecabinet.item.up')} secondary hidden={{ direction: 'up' }} />
          <Button ctx={ctx} action={`${path}/move`} label={t('ecabinet.item.down')} secondary hidden={{ direction: 'down' }} />
          <Button ctx={ctx} action={`${path}/track`} label={t(item.track === 'consent' ? 'ecabinet.item.toDiscussion' : 'ecabinet.item.toConsent')} secondary hidden={{ track: item.track === 'consent' ? 'discussion' : 'consent' }} />
        </div>
      )}
      {item.late && !item.lateApproved && isChair(viewer.principal) && meeting.state !== 'closed' && meeting.state !== 'approved' && <Button ctx={ctx} action={`${path}/approve-late`} label={t('ecabinet.item.approveLate')} />}
      {ministry && meeting.state === 'circulated' && (
        <form class="stack ecabinet-position" method="post" action={`${path}/position`}>
          <CsrfField ctx={ctx} />
          <Choices
            name="stance"
            id={`stance-${item.id}`}
            label={t('ecabinet.positions.yours')}
            choices={(['agree', 'object', 'comment'] as const).map((s) => ({ value: s, label: t(`ecabinet.stances.${s}`) }))}
            checked={positionForm.values.stance ? [positionForm.values.stance] : own ? [own.stance] : []}
            error={positionForm.errors[`stance-${item.id}`]}
          />
          <TextArea name="reason" id={`reason-${item.id}`} label={t('ecabinet.positions.reason')} hint={t('ecabinet.positions.reasonHint')} value={positionForm.values.reason ?? own?.reason} error={positionForm.errors[`reason-${item.id}`]} maxLength={5000} />
          <Choices name="speak" id={`speak-${item.id}`} label={t('ecabinet.positions.speakQuestion')} choices={[{ value: 'yes', label: t('ecabinet.positions.speak') }]} checked={own?.wantsToSpeak ? ['yes'] : []} multiple />
          <button type="submit">{t('ecabinet.positions.record')}</button>
        </form>
      )}
      {secretariat && meeting.state === 'in-session' && !item.outcome && (!item.late || item.lateApproved) && (
        <>
          <form class="stack" method="post" action={`${path}/decision`}>
            <CsrfField ctx={ctx} />
            <Select name="outcome" id={`outcome-${item.id}`} label={t('ecabinet.decision.outcome')} value={decisionForm.values.outcome} error={decisionForm.errors[`outcome-${item.id}`]} choices={(['adopted', 'amended', 'deferred', 'rejected'] as const).map((o) => ({ value: o, label: t(`ecabinet.outcomes.${o}`) }))} placeholder={t('ecabinet.choose')} required />
            <TextArea name="text" id={`text-${item.id}`} label={t('ecabinet.decision.text')} hint={t('ecabinet.decision.textHint')} value={decisionForm.values.text} maxLength={20000} />
            <fieldset>
              <legend>{t('ecabinet.decision.votes')}</legend>
              <Field name="votesFor" id={`for-${item.id}`} label={t('ecabinet.decision.for')} value={decisionForm.values.votesFor} error={decisionForm.errors[`for-${item.id}`]} inputMode="numeric" maxLength={3} />
              <Field name="votesAgainst" id={`against-${item.id}`} label={t('ecabinet.decision.against')} value={decisionForm.values.votesAgainst} error={decisionForm.errors[`against-${item.id}`]} inputMode="numeric" maxLength={3} />
              <Field name="votesAbstain" id={`abstain-${item.id}`} label={t('ecabinet.decision.abstain')} value={decisionForm.values.votesAbstain} error={decisionForm.errors[`abstain-${item.id}`]} inputMode="numeric" maxLength={3} />
            </fieldset>
            {item.classification === 'public' && <Choices name="public" id={`public-${item.id}`} label={t('ecabinet.decision.publication')} choices={[{ value: 'yes', label: t('ecabinet.decision.public') }]} checked={decisionForm.values.public ? ['yes'] : []} multiple />}
            <button type="submit">{t('ecabinet.decision.record')}</button>
          </form>
          <form class="stack" method="post" action={`${path}/recusals`}>
            <CsrfField ctx={ctx} />
            <Select name="member" id={`member-${item.id}`} label={t('ecabinet.recusal.member')} value={recusalForm.values.member} error={recusalForm.errors[`member-${item.id}`]} choices={data.attendance.filter((a) => a.present).map((a) => ({ value: a.userId, label: a.name }))} placeholder={t('ecabinet.choose')} required />
            <Field name="reason" id={`recusal-reason-${item.id}`} label={t('ecabinet.recusal.reason')} value={recusalForm.values.reason} error={recusalForm.errors[`recusal-reason-${item.id}`]} required maxLength={500} />
            <button class="secondary" type="submit">{t('ecabinet.recusal.record')}</button>
          </form>
        </>
      )}
    </>
  );
}

/**
 * The parts of the meeting page that change while it sits, each an element with an id and
 * `data-live`: the page shows them, and the live feed sends them again for the script to swap in.
 */
function MeetingStatus({ ctx, data }: { ctx: PageContext; data: LiveData }) {
  const { t } = ctx;
  const { meeting } = data;
  const seats = seatsOf(data.attendance);
  const filled = seats.filter((s) => s.sitting);
  return (
    <div id="meeting-status" data-live>
      <p>
        <When ctx={ctx} at={meeting.startsAt} /> · <strong>{t(`ecabinet.meetingStates.${meeting.state}`)}</strong> · {t('ecabinet.meeting.papersDue')} <When ctx={ctx} at={meeting.papersDueAt} />
      </p>
      {meeting.state === 'in-session' && <p class="notice" role="status">{t('ecabinet.meeting.live', { seconds: LIVE_REFRESH_SECONDS })}</p>}
      {seats.length > 0 && (
        <>
          <p>{t('ecabinet.meeting.attendance', { present: filled.length, members: seats.length })} · {hasQuorum(data.attendance) ? t('ecabinet.meeting.quorum') : <strong>{t('ecabinet.meeting.noQuorum')}</strong>}</p>
          <p>{t('ecabinet.minutes.present', { names: filled.map((s) => sitterName(t, s)).join(', ') || '—' })}</p>
        </>
      )}
    </div>
  );
}

function ItemStatus({ ctx, data, item }: { ctx: PageContext; data: LiveData; item: Item }) {
  const { t } = ctx;
  const positions = data.positions.filter((p) => p.itemId === item.id);
  const recused = data.recusals.filter((r) => r.itemId === item.id);
  return (
    <div id={`status-${item.id}`} data-live>
      <p>
        {agencyName(ctx, data.agencies, item.agencyId)} · <strong>{t(`ecabinet.tracks.${item.track}`)}</strong>
        {item.movedByObjection && ` · ${t('ecabinet.item.movedByObjection')}`}
        {item.late && ` · ${item.lateApproved ? t('ecabinet.item.lateApproved') : t('ecabinet.item.lateWaiting')}`}
      </p>
      {data.viewer.cabinetWide && <div><PositionSummary ctx={ctx} positions={positions} agencies={data.agencies} detailed /></div>}
      {recused.length > 0 && <p>{t('ecabinet.recusal.list', { names: recused.map((r) => r.name).join(', ') })}</p>}
      {item.outcome && (
        <p class="ecabinet-decision">
          <strong>{t(`ecabinet.outcomes.${item.outcome}`)}</strong>
          {item.decisionNumber && ` · ${t('ecabinet.decision.number', { number: item.decisionNumber })}`}
          {item.votes && ` · ${t('ecabinet.minutes.votes', { for: item.votes.for, against: item.votes.against, abstain: item.votes.abstain })}`}
          {item.public && ` · ${t('ecabinet.decision.public')}`}
          <br />
          <span class="ecabinet-text">{item.decisionText}</span>
        </p>
      )}
    </div>
  );
}

/** What the live feed answers: the changing parts only, and the meeting's state (the script reloads the page when that changes). */
function LiveFragment({ ctx, data }: { ctx: PageContext; data: LiveData }) {
  return (
    <div data-state={data.meeting.state}>
      <MeetingStatus ctx={ctx} data={data} />
      {data.items.map((item) => <ItemStatus ctx={ctx} data={data} item={item} />)}
    </div>
  );
}

function MeetingPage({ ctx, data, sent }: { ctx: PageContext; data: MeetingData; sent?: SentBack }) {
  const { t } = ctx;
  const { meeting, viewer, items } = data;
  const secretariat = isSecretariat(viewer.principal);
  const overseeing = viewer.cabinetWide;
  const live = meeting.state === 'in-session' ? { 'data-live-src': `${meetingPath(meeting.id)}/live?lang=${ctx.locale}`, 'data-live-every': String(LIVE_POLL_SECONDS), 'data-state': meeting.state } : {};
  return (
    <div {...live}>
      <h1>{meeting.title}</h1>
      <SentBackSummary ctx={ctx} sent={sent} />
      <MeetingStatus ctx={ctx} data={data} />
      <h2>{t('ecabinet.agenda')}</h2>
      {items.length === 0 ? (
        <p>{t('ecabinet.agendaEmpty')}</p>
      ) : (
        <ol class="ecabinet-agenda">
          {items.map((item) => (
            <li id={`item-${item.id}`} value={item.position}>
              <h3><a href={memoPath(item.memoId)}>{item.title}</a> <LevelTag ctx={ctx} level={item.classification} /></h3>
              <ItemStatus ctx={ctx} data={data} item={item} />
              <ItemControls ctx={ctx} data={data} item={item} sent={sent} />
            </li>
          ))}
        </ol>
      )}
      {secretariat && (meeting.state === 'planned' || meeting.state === 'circulated') && (
        <form class="stack" method="post" action={`${meetingPath(meeting.id)}/items`}>
          <h3>{t('ecabinet.item.add')}</h3>
          {meeting.state === 'circulated' && <p class="hint">{t('ecabinet.item.lateHint')}</p>}
          <CsrfField ctx={ctx} />
          <Select name="memo" label={t('ecabinet.item.memo')} value={formState(sent, `${meetingPath(meeting.id)}/items`).values.memo} error={formState(sent, `${meetingPath(meeting.id)}/items`).errors.memo} choices={data.ready.map((m) => ({ value: m.id, label: m.title }))} placeholder={t('ecabinet.choose')} required />
          <Select name="track" label={t('ecabinet.item.track')} value={formState(sent, `${meetingPath(meeting.id)}/items`).values.track} error={formState(sent, `${meetingPath(meeting.id)}/items`).errors.track} choices={(['consent', 'discussion'] as const).map((k) => ({ value: k, label: t(`ecabinet.tracks.${k}`) }))} placeholder={t('ecabinet.choose')} required />
          <button type="submit">{t('ecabinet.item.addButton')}</button>
        </form>
      )}
      {secretariat && meeting.state === 'planned' && <Button ctx={ctx} action={`${meetingPath(meeting.id)}/circulate`} label={t('ecabinet.meeting.circulate')} />}
      {secretariat && (meeting.state === 'circulated' || meeting.state === 'in-session') && (
        <form class="stack" method="post" action={`${meetingPath(meeting.id)}/attendance`}>
          <CsrfField ctx={ctx} />
          <Choices
            name="present"
            label={t('ecabinet.meeting.roll')}
            choices={data.members.map((m) => ({ value: m.userId, label: m.role === DELEGATE ? t('ecabinet.meeting.delegateOf', { name: m.name, ministry: agencyName(ctx, data.agencies, m.agencyId) }) : m.name }))}
            checked={data.attendance.filter((a) => a.present).map((a) => a.userId)}
            multiple
          />
          <button type="submit">{meeting.state === 'circulated' ? t('ecabinet.meeting.open') : t('ecabinet.meeting.updateRoll')}</button>
        </form>
      )}
      {secretariat && meeting.state === 'in-session' && (
        <div class="ecabinet-actions">
          <Button ctx={ctx} action={`${meetingPath(meeting.id)}/consent-agenda`} label={t('ecabinet.meeting.adoptConsent')} />
          <Button ctx={ctx} action={`${meetingPath(meeting.id)}/close`} label={t('ecabinet.meeting.close')} secondary />
        </div>
      )}
      {(meeting.state === 'closed' || meeting.state === 'approved') && overseeing && (
        <>
          <h2>{t('ecabinet.minutes.title')}</h2>
          {meeting.state === 'closed' && secretariat ? (
            <form class="stack" method="post" action={`${meetingPath(meeting.id)}/minutes`}>
              <CsrfField ctx={ctx} />
              <TextArea name="minutes" label={t('ecabinet.minutes.title')} value={formState(sent, `${meetingPath(meeting.id)}/minutes`).values.minutes ?? meeting.minutes ?? ''} error={formState(sent, `${meetingPath(meeting.id)}/minutes`).errors.minutes} required maxLength={100000} />
              <button class="secondary" type="submit">{t('ecabinet.minutes.save')}</button>
            </form>
          ) : (
            <pre class="ecabinet-minutes">{meeting.minutes}</pre>
          )}
          {meeting.state === 'closed' && isChair(viewer.principal) && <Button ctx={ctx} action={`${meetingPath(meeting.id)}/approve`} label={t('ecabinet.minutes.approve')} />}
        </>
      )}
      {meeting.minutesVerifyUrl && <p><a href={meeting.minutesVerifyUrl}>{t('ecabinet.minutes.signed')}</a></p>}
    </div>
  );
}

/* ---------------------------------------------------------------- follow-up and publication */

function FollowUpPage({ ctx, viewer, decisions, actions, agencies, sent }: { ctx: PageContext; viewer: Viewer; decisions: Decision[]; actions: Action[]; agencies: Agencies; sent?: SentBack }) {
  const { t } = ctx;
  const secretariat = isSecretariat(viewer.principal);
  const ours = (agencyId: string) => viewer.ministries === 'all' || viewer.ministries.includes(agencyId);
  const byMinistry = new Map<string, { open: number; done: number; overdue: number }>();
  for (const a of actions) {
    const row = byMinistry.get(a.agencyId) ?? { open: 0, done: 0, overdue: 0 };
    if (a.done) row.done += 1;
    else row.open += 1;
    if (a.overdue) row.overdue += 1;
    byMinistry.set(a.agencyId, row);
  }
  const overdue = actions.filter((a) => a.overdue);
  return (
    <>
      <h1>{t('ecabinet.followUp.title')}</h1>
      <SentBackSummary ctx={ctx} sent={sent} />
      {overdue.length > 0 && <p class="notice" role="status">{t('ecabinet.followUp.overdueNotice', { count: overdue.length })}</p>}
      <h2>{t('ecabinet.followUp.dashboard')}</h2>
      {byMinistry.size === 0 ? (
        <p>{t('ecabinet.followUp.none')}</p>
      ) : (
        <TableRegion label={t('ecabinet.followUp.dashboard')}>
          <table>
            <caption class="visually-hidden">{t('ecabinet.followUp.dashboard')}</caption>
            <thead><tr><th scope="col">{t('ecabinet.memo.ministry')}</th><th scope="col">{t('ecabinet.followUp.open')}</th><th scope="col">{t('ecabinet.followUp.done')}</th><th scope="col">{t('ecabinet.followUp.overdue')}</th></tr></thead>
            <tbody>
              {[...byMinistry].map(([agencyId, row]) => <tr><th scope="row">{agencyName(ctx, agencies, agencyId)}</th><td>{row.open}</td><td>{row.done}</td><td>{row.overdue}</td></tr>)}
            </tbody>
          </table>
        </TableRegion>
      )}
      <h2>{t('ecabinet.register')}</h2>
      {decisions.length === 0 && <p>{t('ecabinet.noDecisions')}</p>}
      {decisions.map((d) => (
        <section class="ecabinet-register" aria-labelledby={`decision-${d.itemId}`}>
          <h3 id={`decision-${d.itemId}`}>{`${d.number} · ${d.title}`} <LevelTag ctx={ctx} level={d.classification} /></h3>
          <p>
            {t(`ecabinet.outcomes.${d.outcome}`)} · {d.decidedOn} · <a href={meetingPath(d.meetingId)}>{d.meetingTitle}</a>
            {d.public && ` · ${t('ecabinet.decision.public')}`}
          </p>
          {secretariat && !d.public && d.classification === 'public' && <Button ctx={ctx} action={`/cabinet/items/${d.itemId}/publish`} label={t('ecabinet.decision.publish')} secondary />}
          <p class="ecabinet-text">{d.text}</p>
          <ul>
            {actions.filter((a) => a.itemId === d.itemId).map((a) => (
              <li>
                {t('ecabinet.action.line', { ministry: agencyName(ctx, agencies, a.agencyId), due: a.dueOn, description: a.description })}
                {' · '}
                {a.done ? t('ecabinet.action.done') : a.overdue ? <strong class="tag bad">{t('ecabinet.followUp.overdue')}</strong> : t('ecabinet.action.open')}
                {a.progress && <span class="hint">{a.progress}</span>}
                {!a.done && ours(a.agencyId) && (
                  <form class="stack" method="post" action={`/cabinet/actions/${a.id}/progress`}>
                    <CsrfField ctx={ctx} />
                    <TextArea name="progress" id={`progress-${a.id}`} label={t('ecabinet.action.progress')} value={formState(sent, `/cabinet/actions/${a.id}/progress`).values.progress ?? a.progress} error={formState(sent, `/cabinet/actions/${a.id}/progress`).errors[`progress-${a.id}`]} required maxLength={5000} />
                    <Choices name="done" id={`done-${a.id}`} label={t('ecabinet.action.status')} choices={[{ value: 'yes', label: t('ecabinet.action.markDone') }]} checked={[]} multiple />
                    <button type="submit">{t('ecabinet.action.report')}</button>
                  </form>
                )}
              </li>
            ))}
          </ul>
          {secretariat && d.outcome !== 'rejected' && (
            <form class="stack" method="post" action={`/cabinet/items/${d.itemId}/actions`}>
              <CsrfField ctx={ctx} />
              <Select name="agency" id={`agency-${d.itemId}`} label={t('ecabinet.memo.ministry')} value={formState(sent, `/cabinet/items/${d.itemId}/actions`).values.agency} error={formState(sent, `/cabinet/items/${d.itemId}/actions`).errors[`agency-${d.itemId}`]} choices={[...agencies.values()].filter((a) => a.kind === 'ministry').map((a) => ({ value: a.code, label: pick(a.names, ctx.locale) }))} placeholder={t('ecabinet.choose')} required />
              <Field name="description" id={`description-${d.itemId}`} label={t('ecabinet.action.description')} value={formState(sent, `/cabinet/items/${d.itemId}/actions`).values.description} error={formState(sent, `/cabinet/items/${d.itemId}/actions`).errors[`description-${d.itemId}`]} required maxLength={1000} />
              <Field name="dueOn" id={`due-${d.itemId}`} type="date" label={t('ecabinet.action.due')} value={formState(sent, `/cabinet/items/${d.itemId}/actions`).values.dueOn} error={formState(sent, `/cabinet/items/${d.itemId}/actions`).errors[`due-${d.itemId}`]} required />
              <button class="secondary" type="submit">{t('ecabinet.action.add')}</button>
            </form>
          )}
        </section>
      ))}
    </>
  );
}

function PublishedPage({ ctx, decisions, agencies }: { ctx: PageContext; decisions: Decision[]; agencies: Agencies }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('ecabinet.published.title')}</h1>
      <p class="lead">{t('ecabinet.published.lead')}</p>
      <p>{t('ecabinet.published.openData')} <a href="/cabinet/decisions.csv">CSV</a> · <a href="/cabinet/decisions.json">JSON</a></p>
      {decisions.length === 0 ? (
        <p>{t('ecabinet.noDecisions')}</p>
      ) : (
        <TableRegion label={t('ecabinet.published.title')}>
          <table>
            <caption class="visually-hidden">{t('ecabinet.published.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('ecabinet.decision.numberColumn')}</th>
                <th scope="col">{t('ecabinet.published.date')}</th>
                <th scope="col">{t('ecabinet.memo.title')}</th>
                <th scope="col">{t('ecabinet.memo.ministry')}</th>
                <th scope="col">{t('ecabinet.decision.text')}</th>
              </tr>
            </thead>
            <tbody>
              {decisions.map((d) => (
                <tr>
                  <th scope="row">{d.number}</th>
                  <td>{d.decidedOn}</td>
                  <td>{d.title}</td>
                  <td>{agencyName(ctx, agencies, d.agencyId)}</td>
                  <td class="ecabinet-text">{`${t(`ecabinet.outcomes.${d.outcome}`)}: ${d.text}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}

/* ---------------------------------------------------------------- routes */

const yes = (value: string | undefined) => value === 'yes';
const count = (value: string | undefined, pointer: string): number | null => {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  if (!/^\d{1,3}$/.test(text)) throw Problem.invalidField(pointer, 'must be a whole number', 'ecabinetCount');
  return Number(text);
};

const MemoForm = {
  title: FormText(300),
  summary: FormText(20000),
  proposedDecision: FormText(20000),
  cost: FormText(500),
  classification: FormText(20),
};

/** The memo's fields from a form, every missing one reported at once for the error summary. */
function memoText(body: { title?: string; summary?: string; proposedDecision?: string; cost?: string; classification?: string }): MemoText {
  const missing: InvalidParam[] = (['title', 'summary', 'proposedDecision'] as const)
    .filter((name) => !body[name]?.trim())
    .map((name) => ({ pointer: `/body/${name}`, reason: 'is required', code: 'required' }));
  const classification = body.classification ?? '';
  if (!(LEVELS as readonly string[]).includes(classification)) missing.push({ pointer: '/body/classification', reason: 'choose a classification', code: 'required' });
  if (missing.length > 0) throw Problem.badRequest(`The memo is incomplete: ${missing.map((m) => m.pointer).join(', ')}.`, missing);
  return { title: body.title!.trim(), summary: body.summary!.trim(), proposedDecision: body.proposedDecision!.trim(), cost: body.cost?.trim() ?? '', classification: classification as Level };
}

function multipartField(body: Record<string, MultipartFile | MultipartValue | undefined> | undefined, name: string): string | undefined {
  const field = body?.[name];
  return field && field.type === 'field' && typeof field.value === 'string' ? field.value : undefined;
}

export function ecabinetPages(deps: { db: Db; jobs: JobQueue; blobs: BlobStore; signer: Signer; messenger: Messenger; baseUrl: string; oidcLabel: string | null }) {
  const { db, oidcLabel } = deps;
  const viewerOfRequest = (request: FastifyRequest) => viewerOf(db, requirePrincipal(request));

  /**
   * Run a form's action. When its input is refused (400), the page the form is on is shown again,
   * as for the drafting form: the error summary on top linking to each field in error, what was
   * typed kept. `fields` names each field's id on that page and the message of its label.
   */
  const orSendBack = async (request: FastifyRequest, reply: FastifyReply, form: { fields: Record<string, [id: string, label: string]>; page: (ctx: PageContext, sent: SentBack) => Promise<PageOptions> }, run: () => Promise<FastifyReply>) => {
    try {
      return await run();
    } catch (err) {
      if (!isClientProblem(err) || err.status !== 400) throw err;
      const ctx = pageContext(request, reply, oidcLabel);
      const { _csrf: _token, ...body } = (request.body ?? {}) as Record<string, unknown>;
      const errors = translatedErrors(ctx, err.errors, (pointer) => form.fields[lastSegment(pointer)]?.[0] ?? null);
      const sent: SentBack = {
        action: request.url.split('?')[0]!,
        values: Object.fromEntries(Object.entries(body).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : []))),
        errors,
        labels: Object.fromEntries(Object.values(form.fields).map(([id, label]) => [id, ctx.t(label)])),
        message: Object.keys(errors).length > 0 ? null : err.detail,
      };
      return sendPage(reply, ctx, await form.page(ctx, sent), 400);
    }
  };

  const homePage = async (ctx: PageContext, principal: Principal, q: string, sent?: SentBack): Promise<PageOptions> => {
    const inCabinet = CABINET_ROLES.some((role) => hasRole(principal, role));
    const viewer = inCabinet ? await viewerOf(db, principal) : null;
    const [{ total, memos }, meetings, agencies] = await Promise.all([viewer ? listMemos(db, viewer, { q }) : { total: 0, memos: [] }, viewer ? listMeetings(db) : [], agenciesById(db)]);
    let clearances: HomeData['clearances'] = null;
    if (hasRole(principal, 'admin') || isSecretariat(principal)) {
      clearances = [];
      for (const c of await listClearances(db)) {
        const user = await findUserById(db, c.userId);
        if (user) clearances.push({ username: user.username, name: user.display_name, level: c.level });
      }
    }
    return { title: ctx.t('ecabinet.title'), body: <HomePage ctx={ctx} data={{ viewer, q, total, memos, meetings, agencies, clearances }} sent={sent} />, private: true };
  };

  const memoPage = async (ctx: PageContext, viewer: Viewer, id: string, requestId: string, sent?: SentBack): Promise<PageOptions> => {
    const memo = await viewMemo(db, viewer, id, requestId);
    const [attachments, consultations, versions, agencies] = await Promise.all([attachmentsOf(db, viewer, memo.id), consultationsOf(db, memo.id), memoVersions(db, memo.id), agenciesById(db)]);
    return { title: memo.title, body: <MemoPage ctx={ctx} data={{ viewer, memo, attachments, consultations, versions, agencies }} sent={sent} />, private: true };
  };

  const meetingPage = async (ctx: PageContext, viewer: Viewer, id: string, sent?: SentBack): Promise<PageOptions> => {
    const data = await liveData(db, viewer, id);
    const secretariat = isSecretariat(viewer.principal);
    const [members, ready] = await Promise.all([secretariat ? cabinetMembers(db) : [], secretariat ? listMemos(db, viewer, { state: 'ready' }).then((r) => r.memos) : []]);
    // The live meeting updates itself: with JavaScript from the live feed, without it by reloading
    // (a refresh inside <noscript>, which a browser running the script ignores).
    const head = data.meeting.state === 'in-session' && (
      <>
        <noscript><meta httpEquiv="refresh" content={String(LIVE_REFRESH_SECONDS)} /></noscript>
        <script src={liveMeetingScript.url} defer />
      </>
    );
    return { title: data.meeting.title, head, body: <MeetingPage ctx={ctx} data={{ ...data, members, ready }} sent={sent} />, private: true };
  };

  const followUpPage = async (ctx: PageContext, viewer: Viewer, sent?: SentBack): Promise<PageOptions> => {
    const [decisions, actions, agencies] = await Promise.all([decisionsRegister(db, viewer), actionsFor(db, viewer), agenciesById(db)]);
    return { title: ctx.t('ecabinet.followUp.title'), body: <FollowUpPage ctx={ctx} viewer={viewer} decisions={decisions} actions={actions} agencies={agencies} sent={sent} />, private: true };
  };

  /** The meeting page an item's form is on. */
  const itemsMeetingPage = async (ctx: PageContext, viewer: Viewer, itemId: string, sent: SentBack) => meetingPage(ctx, viewer, (await meetingOfItem(db, itemId)) ?? '', sent);

  return async (app: App) => {
    app.get('/cabinet', {
      config: { access: access.roles(...CABINET_ROLES, 'admin') },
      schema: { summary: 'The eCabinet: papers I may read (searchable), meetings, and clearances for those who set them', tags: ['web'], querystring: Type.Object({ q: FormText(200), ...Lang }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        return sendPage(reply, ctx, await homePage(ctx, requirePrincipal(request), request.query.q ?? ''));
      },
    });

    app.post('/cabinet/clearances', {
      config: { access: access.roles('admin', SECRETARIAT) },
      schema: { summary: "Set a person's clearance (form)", tags: ['web'], body: Form({ username: FormText(100), level: FormText(20) }) },
      handler: async (request, reply) =>
        orSendBack(request, reply, { fields: { username: ['username', 'ecabinet.clearance.username'], level: ['level', 'ecabinet.clearance.level'] }, page: (ctx, sent) => homePage(ctx, requirePrincipal(request), '', sent) }, async () => {
          const level = request.body.level ?? '';
          const username = request.body.username?.trim() ?? '';
          requireAll({ username, level: (LEVELS as readonly string[]).includes(level) ? level : '' });
          await setClearance(db, requirePrincipal(request), { username, level: level as Level }, request.id);
          return reply.redirect('/cabinet', 303);
        }),
    });

    app.get('/cabinet/memos/new', {
      config: { access: CABINET },
      schema: { summary: 'Draft a cabinet memo (form)', tags: ['web'], querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const viewer = await viewerOfRequest(request);
        if (!draftingAgency(viewer.principal)) throw Problem.forbidden('Only a ministry drafter or minister drafts cabinet memos.');
        return sendPage(reply, ctx, { title: ctx.t('ecabinet.memo.new'), body: <NewMemoPage ctx={ctx} clearance={viewer.clearance} />, private: true });
      },
    });

    app.post('/cabinet/memos', {
      config: { access: CABINET },
      schema: { summary: 'Draft a cabinet memo', tags: ['web'], body: Form(MemoForm) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        const page = async (ctx: PageContext, sent: SentBack) => ({ title: ctx.t('ecabinet.memo.new'), body: <NewMemoPage ctx={ctx} clearance={viewer.clearance} sent={sent} />, private: true });
        return orSendBack(request, reply, { fields: MEMO_FIELDS(''), page }, async () => {
          const memo = await createMemo(db, viewer, memoText(request.body), request.id);
          return reply.redirect(memoPath(memo.id), 303);
        });
      },
    });

    app.get('/cabinet/memos/:id', {
      config: { access: CABINET },
      schema: { summary: 'A cabinet memo: text, attachments, consultation, versions, next steps (reading a classified memo is audited)', tags: ['web'], params: IdParams, querystring: Type.Object({ done: FormText(20), ...Lang }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        return sendPage(reply, ctx, await memoPage(ctx, await viewerOfRequest(request), request.params.id, request.id));
      },
    });

    app.get('/cabinet/memos/:id/compare', {
      config: { access: CABINET },
      schema: { summary: 'Compare two versions of a cabinet memo', tags: ['web'], params: IdParams, querystring: Type.Object({ from: Type.Integer({ minimum: 1, maximum: 10000 }), to: Type.Integer({ minimum: 1, maximum: 10000 }), ...Lang }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const viewer = await viewerOfRequest(request);
        const memo = await viewMemo(db, viewer, request.params.id, request.id);
        const versions = await memoVersions(db, memo.id);
        const from = versions.find((v) => v.version === request.query.from);
        const to = versions.find((v) => v.version === request.query.to);
        if (!from || !to) throw Problem.notFound('This memo has no such version.');
        return sendPage(reply, ctx, { title: ctx.t('ecabinet.versions.title'), body: <ComparePage ctx={ctx} memo={memo} from={from} to={to} />, private: true });
      },
    });

    app.post('/cabinet/memos/:id/steps/:step', {
      config: { access: CABINET },
      schema: { summary: 'Route a memo: to legal review, cleared, returned, submitted by the minister, marked ready by the secretariat', tags: ['web'], params: Type.Object({ id: Uuid, step: Type.Union((['send-to-legal', 'clear', 'return', 'submit', 'mark-ready'] as const).map((s) => Type.Literal(s))) }, { additionalProperties: false }), body: Form({}) },
      handler: async (request, reply) => {
        await takeStep(db, await viewerOfRequest(request), request.params.id, request.params.step as MemoStep, request.id);
        return reply.redirect(`${memoPath(request.params.id)}?done=1`, 303);
      },
    });

    app.post('/cabinet/memos/:id/revisions', {
      config: { access: CABINET },
      schema: { summary: 'Revise a memo: a new version, the old one kept', tags: ['web'], params: IdParams, body: Form({ ...MemoForm, note: FormText(500) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        return orSendBack(request, reply, { fields: { ...MEMO_FIELDS('revise-'), note: ['revise-note', 'ecabinet.memo.note'] }, page: (ctx, sent) => memoPage(ctx, viewer, request.params.id, request.id, sent) }, async () => {
          await reviseMemo(db, viewer, request.params.id, { ...memoText(request.body), note: request.body.note?.trim() ?? '' }, request.id);
          return reply.redirect(`${memoPath(request.params.id)}?done=1`, 303);
        });
      },
    });

    app.post('/cabinet/memos/:id/attachments', {
      config: { access: CABINET },
      schema: { summary: 'Attach a paper to a memo (multipart form: file, classification); checked by its content', tags: ['web'], params: IdParams, consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        if (!request.isMultipart()) throw new Problem(415, 'Send the file as multipart/form-data.');
        const viewer = await viewerOfRequest(request);
        const fields: Record<string, [string, string]> = { file: ['file', 'ecabinet.attach.file'], classification: ['attachment-classification', 'ecabinet.memo.classification'] };
        return orSendBack(request, reply, { fields, page: (ctx, sent) => memoPage(ctx, viewer, request.params.id, request.id, sent) }, async () => {
          const body = request.body as Record<string, MultipartFile | MultipartValue | undefined> | undefined;
          const file = body?.file;
          const level = multipartField(body, 'classification') ?? '';
          requireAll({ file: file?.type === 'file' && file.filename ? file.filename : '', classification: (LEVELS as readonly string[]).includes(level) ? level : '' });
          const upload = file as MultipartFile;
          await attachFile(db, deps.blobs, viewer, request.params.id, { name: upload.filename, bytes: await upload.toBuffer(), classification: level as Level }, request.id);
          return reply.redirect(`${memoPath(request.params.id)}?done=1`, 303);
        });
      },
    });

    app.post('/cabinet/memos/:id/consultations', {
      config: { access: CABINET },
      schema: { summary: 'Ask a ministry for comments on a memo by a date', tags: ['web'], params: IdParams, body: Form({ agency: FormText(40), dueOn: FormText(10) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        const fields: Record<string, [string, string]> = { agency: ['agency', 'ecabinet.consultation.ministry'], dueOn: ['dueOn', 'ecabinet.consultation.due'] };
        return orSendBack(request, reply, { fields, page: (ctx, sent) => memoPage(ctx, viewer, request.params.id, request.id, sent) }, async () => {
          const { agency } = requireAll({ agency: request.body.agency, dueOn: request.body.dueOn });
          await requestConsultation(db, viewer, request.params.id, { agency, dueOn: isoDate(request.body.dueOn, '/body/dueOn') }, request.id);
          return reply.redirect(`${memoPath(request.params.id)}?done=1`, 303);
        });
      },
    });

    app.post('/cabinet/consultations/:id/reply', {
      config: { access: CABINET },
      schema: { summary: "A consulted ministry's comments", tags: ['web'], params: IdParams, body: Form({ reply: FormText(20000) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        const memoId = await consultationMemo(db, request.params.id);
        const page = (ctx: PageContext, sent: SentBack) => (memoId ? memoPage(ctx, viewer, memoId, request.id, sent) : homePage(ctx, viewer.principal, '', sent));
        return orSendBack(request, reply, { fields: { reply: [`reply-${request.params.id}`, 'ecabinet.consultation.reply'] }, page }, async () => {
          await replyToConsultation(db, viewer, request.params.id, requireAll({ reply: request.body.reply }).reply, request.id);
          return reply.redirect('/cabinet', 303);
        });
      },
    });

    app.post('/cabinet/meetings', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Plan a cabinet meeting', tags: ['web'], body: Form({ title: FormText(200), startsAt: FormText(20), papersDueAt: FormText(20) }) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const fields: Record<string, [string, string]> = { title: ['title', 'ecabinet.meeting.titleField'], startsAt: ['startsAt', 'ecabinet.meeting.startsAt'], papersDueAt: ['papersDueAt', 'ecabinet.meeting.papersDueAt'] };
        return orSendBack(request, reply, { fields, page: (ctx, sent) => homePage(ctx, principal, '', sent) }, async () => {
          const { title } = requireAll({ title: request.body.title, startsAt: request.body.startsAt, papersDueAt: request.body.papersDueAt });
          const meeting = await createMeeting(db, principal, { title, startsAt: isoDateTime(request.body.startsAt, '/body/startsAt'), papersDueAt: isoDateTime(request.body.papersDueAt, '/body/papersDueAt') }, request.id);
          return reply.redirect(meetingPath(meeting.id), 303);
        });
      },
    });

    app.get('/cabinet/meetings/:id', {
      config: { access: CABINET },
      schema: { summary: 'A cabinet meeting: agenda, positions, the live meeting (refreshes itself), minutes', tags: ['web'], params: IdParams, querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        return sendPage(reply, ctx, await meetingPage(ctx, await viewerOfRequest(request), request.params.id));
      },
    });

    app.get('/cabinet/meetings/:id/live', {
      config: { access: CABINET },
      schema: { summary: "The live feed of a meeting's page: the parts that change (state, seats, positions, decisions) as an HTML fragment, without the items the reader may not see", tags: ['web'], params: IdParams, querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const data = await liveData(db, await viewerOfRequest(request), request.params.id);
        return reply.type('text/html; charset=utf-8').header('cache-control', 'private, no-store').send(renderToString(<LiveFragment ctx={ctx} data={data} />));
      },
    });

    const meetingAction = (path: string, summary: string, rule: AccessRule, run: (viewer: Viewer, id: string, request: FastifyRequest) => Promise<unknown>) =>
      app.post(`/cabinet/meetings/:id/${path}`, {
        config: { access: rule },
        schema: { summary, tags: ['web'], params: IdParams, body: Form({}) },
        handler: async (request, reply) => {
          const { id } = request.params as { id: string };
          await run(await viewerOfRequest(request), id, request);
          return reply.redirect(meetingPath(id), 303);
        },
      });

    meetingAction('circulate', 'Circulate the agenda and its papers; members are told (no classified text in the message)', access.roles(SECRETARIAT), (viewer, id, request) => circulate(db, deps, viewer, id, request.id));
    meetingAction('consent-agenda', 'Adopt every consent item nobody objected to, as a block', access.roles(SECRETARIAT), (viewer, id, request) => adoptConsentAgenda(db, viewer, id, request.id));
    meetingAction('close', 'Close the meeting; the minutes are drafted from what was recorded', access.roles(SECRETARIAT), (viewer, id, request) => closeMeeting(db, viewer, id, resolveLocale(request, null), request.id));
    meetingAction('approve', 'The chair approves the minutes: decisions are numbered and the minutes signed', access.roles(CHAIR), (viewer, id, request) => approveMinutes(db, deps.signer, viewer, id, resolveLocale(request, null), request.id));

    app.post('/cabinet/meetings/:id/items', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Put a ready memo on the agenda, for discussion or the consent agenda (a late item waits for the chair)', tags: ['web'], params: IdParams, body: Form({ memo: Type.Optional(Uuid), track: Type.Optional(Type.Union([Type.Literal('consent'), Type.Literal('discussion')])) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        return orSendBack(request, reply, { fields: { memo: ['memo', 'ecabinet.item.memo'], track: ['track', 'ecabinet.item.track'] }, page: (ctx, sent) => meetingPage(ctx, viewer, request.params.id, sent) }, async () => {
          const { memo, track } = requireAll({ memo: request.body.memo, track: request.body.track });
          await addItem(db, viewer, request.params.id, { memoId: memo, track: track as Track }, request.id);
          return reply.redirect(meetingPath(request.params.id), 303);
        });
      },
    });

    app.post('/cabinet/meetings/:id/attendance', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Take the roll (opens the meeting), or correct it', tags: ['web'], params: IdParams, body: Form({ present: Type.Optional(Type.Union([Uuid, Type.Array(Uuid, { maxItems: 200 })])) }) },
      handler: async (request, reply) => {
        const present = [request.body.present ?? []].flat();
        await recordAttendance(db, await viewerOfRequest(request), request.params.id, present, request.id);
        return reply.redirect(meetingPath(request.params.id), 303);
      },
    });

    app.post('/cabinet/meetings/:id/minutes', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Edit the draft minutes', tags: ['web'], params: IdParams, body: Form({ minutes: FormText(100000) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        return orSendBack(request, reply, { fields: { minutes: ['minutes', 'ecabinet.minutes.title'] }, page: (ctx, sent) => meetingPage(ctx, viewer, request.params.id, sent) }, async () => {
          await saveMinutes(db, viewer, request.params.id, requireAll({ minutes: request.body.minutes }).minutes, request.id);
          return reply.redirect(meetingPath(request.params.id), 303);
        });
      },
    });

    /** Item forms come back to the item on its meeting's page. */
    const backToItem = async (itemId: string) => `${meetingPath((await meetingOfItem(db, itemId)) ?? '')}#item-${itemId}`;

    app.post('/cabinet/items/:id/move', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Move an agenda item up or down', tags: ['web'], params: IdParams, body: Form({ direction: Type.Union([Type.Literal('up'), Type.Literal('down')]) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        await moveItem(db, viewer, request.params.id, request.body.direction, request.id);
        return reply.redirect(await backToItem(request.params.id), 303);
      },
    });

    app.post('/cabinet/items/:id/track', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Put an item up for discussion or on the consent agenda', tags: ['web'], params: IdParams, body: Form({ track: Type.Union([Type.Literal('consent'), Type.Literal('discussion')]) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        await setTrack(db, viewer, request.params.id, request.body.track, request.id);
        return reply.redirect(await backToItem(request.params.id), 303);
      },
    });

    app.post('/cabinet/items/:id/approve-late', {
      config: { access: access.roles(CHAIR) },
      schema: { summary: 'The chair admits a late item', tags: ['web'], params: IdParams, body: Form({}) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        await approveLateItem(db, viewer, request.params.id, request.id);
        return reply.redirect(await backToItem(request.params.id), 303);
      },
    });

    app.post('/cabinet/items/:id/position', {
      config: { access: access.roles(...MEMBER_ROLES) },
      schema: { summary: "A minister's position on an item before the meeting: agree, object (with a reason) or comment; may ask to speak", tags: ['web'], params: IdParams, body: Form({ stance: Type.Optional(Type.Union([Type.Literal('agree'), Type.Literal('object'), Type.Literal('comment')])), reason: FormText(5000), speak: FormText(3) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        const { id } = request.params;
        const fields: Record<string, [string, string]> = { stance: [`stance-${id}`, 'ecabinet.positions.yours'], reason: [`reason-${id}`, 'ecabinet.positions.reason'] };
        return orSendBack(request, reply, { fields, page: (ctx, sent) => itemsMeetingPage(ctx, viewer, id, sent) }, async () => {
          const { stance } = requireAll({ stance: request.body.stance });
          await recordPosition(db, viewer, id, { stance: stance as Stance, reason: request.body.reason?.trim() ?? '', wantsToSpeak: yes(request.body.speak) }, request.id);
          return reply.redirect(await backToItem(id), 303);
        });
      },
    });

    app.post('/cabinet/items/:id/decision', {
      config: { access: access.roles(SECRETARIAT) },
      schema: {
        summary: 'Record the decision on an item: adopted, amended, deferred or rejected, with votes where used',
        tags: ['web'],
        params: IdParams,
        body: Form({ outcome: Type.Optional(Type.Union((['adopted', 'amended', 'deferred', 'rejected'] as const).map((o) => Type.Literal(o)))), text: FormText(20000), votesFor: FormText(3), votesAgainst: FormText(3), votesAbstain: FormText(3), public: FormText(3) }),
      },
      handler: async (request, reply) => {
        const { body } = request;
        const { id } = request.params;
        const viewer = await viewerOfRequest(request);
        const fields: Record<string, [string, string]> = {
          outcome: [`outcome-${id}`, 'ecabinet.decision.outcome'],
          text: [`text-${id}`, 'ecabinet.decision.text'],
          votesFor: [`for-${id}`, 'ecabinet.decision.for'],
          // Too many votes in all: the first count is where to correct them.
          votes: [`for-${id}`, 'ecabinet.decision.votes'],
          votesAgainst: [`against-${id}`, 'ecabinet.decision.against'],
          votesAbstain: [`abstain-${id}`, 'ecabinet.decision.abstain'],
        };
        return orSendBack(request, reply, { fields, page: (ctx, sent) => itemsMeetingPage(ctx, viewer, id, sent) }, async () => {
          const { outcome } = requireAll({ outcome: body.outcome });
          const counts = [count(body.votesFor, '/body/votesFor'), count(body.votesAgainst, '/body/votesAgainst'), count(body.votesAbstain, '/body/votesAbstain')];
          const votes = counts.every((c) => c === null) ? null : { for: counts[0] ?? 0, against: counts[1] ?? 0, abstain: counts[2] ?? 0 };
          await recordDecision(db, viewer, id, { outcome: outcome as Outcome, text: body.text ?? '', votes, public: yes(body.public) }, request.id);
          return reply.redirect(await backToItem(id), 303);
        });
      },
    });

    app.post('/cabinet/items/:id/recusals', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'A member recuses themself from an item (conflict of interest)', tags: ['web'], params: IdParams, body: Form({ member: Type.Optional(Uuid), reason: FormText(500) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        const { id } = request.params;
        const fields: Record<string, [string, string]> = { member: [`member-${id}`, 'ecabinet.recusal.member'], reason: [`recusal-reason-${id}`, 'ecabinet.recusal.reason'] };
        return orSendBack(request, reply, { fields, page: (ctx, sent) => itemsMeetingPage(ctx, viewer, id, sent) }, async () => {
          const { member, reason } = requireAll({ member: request.body.member, reason: request.body.reason });
          await recordRecusal(db, viewer, id, { userId: member, reason }, request.id);
          return reply.redirect(await backToItem(id), 303);
        });
      },
    });

    app.post('/cabinet/items/:id/publish', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Publish a decision on a public paper (it appears on /cabinet/decisions and in the open data)', tags: ['web'], params: IdParams, body: Form({}) },
      handler: async (request, reply) => {
        await publishDecision(db, await viewerOfRequest(request), request.params.id, request.id);
        return reply.redirect('/cabinet/follow-up', 303);
      },
    });

    app.post('/cabinet/items/:id/actions', {
      config: { access: access.roles(SECRETARIAT) },
      schema: { summary: 'Assign a follow-up action of a decision to a ministry, with a due date', tags: ['web'], params: IdParams, body: Form({ agency: FormText(40), description: FormText(1000), dueOn: FormText(10) }) },
      handler: async (request, reply) => {
        const { body } = request;
        const { id } = request.params;
        const viewer = await viewerOfRequest(request);
        const fields: Record<string, [string, string]> = { agency: [`agency-${id}`, 'ecabinet.memo.ministry'], description: [`description-${id}`, 'ecabinet.action.description'], dueOn: [`due-${id}`, 'ecabinet.action.due'] };
        return orSendBack(request, reply, { fields, page: (ctx, sent) => followUpPage(ctx, viewer, sent) }, async () => {
          const { agency, description } = requireAll({ agency: body.agency, description: body.description, dueOn: body.dueOn });
          await addAction(db, deps.jobs, viewer, id, { agency, description, dueOn: isoDate(body.dueOn, '/body/dueOn') }, request.id);
          return reply.redirect('/cabinet/follow-up', 303);
        });
      },
    });

    app.post('/cabinet/actions/:id/progress', {
      config: { access: CABINET },
      schema: { summary: 'The assigned ministry reports progress on an action, or that it is done', tags: ['web'], params: IdParams, body: Form({ progress: FormText(5000), done: FormText(3) }) },
      handler: async (request, reply) => {
        const viewer = await viewerOfRequest(request);
        const { id } = request.params;
        return orSendBack(request, reply, { fields: { progress: [`progress-${id}`, 'ecabinet.action.progress'] }, page: (ctx, sent) => followUpPage(ctx, viewer, sent) }, async () => {
          await reportProgress(db, viewer, id, { progress: requireAll({ progress: request.body.progress }).progress, done: yes(request.body.done) }, request.id);
          return reply.redirect('/cabinet/follow-up', 303);
        });
      },
    });

    app.get('/cabinet/follow-up', {
      config: { access: CABINET },
      schema: { summary: 'Decisions register and implementation: actions by ministry, overdue ones flagged', tags: ['web'], querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        return sendPage(reply, ctx, await followUpPage(ctx, await viewerOfRequest(request)));
      },
    });

    app.get('/cabinet/decisions', {
      config: { access: access.public },
      schema: { summary: 'Published cabinet decisions', tags: ['web'], querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const [decisions, agencies] = await Promise.all([publishedDecisions(db), agenciesById(db)]);
        return sendPage(reply, ctx, { title: ctx.t('ecabinet.published.title'), body: <PublishedPage ctx={ctx} decisions={decisions} agencies={agencies} /> });
      },
    });
  };
}
