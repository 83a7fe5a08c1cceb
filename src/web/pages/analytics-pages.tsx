import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  feeFigures,
  feeMethodFigures,
  methodShares,
  publicMethodShares,
  type FeeMethodShare,
  type PublicFeeMethodShare,
  feedbackEntries,
  FEEDBACK_THEMES,
  figures,
  publicFees,
  percent,
  ratingSummaries,
  stateTimes,
  round1,
  setTarget,
  SMALLEST_SHOWN,
  suppressed,
  targets,
  type CaseFigure,
  type FeeFigures,
  type FeedbackEntry,
  type FeedbackTheme,
  type Figures,
  type PublicFees,
  type PublicFigures,
  type RatingSummary,
  type Scope,
  type Dimension,
  type StateTime,
  type PublicStateTime,
  suppressedStateTime,
  type Target,
} from '../../blocks/analytics/index.ts';
import { actorOf, recordAudit } from '../../blocks/audit/index.ts';
import { historyTable, MAX_HISTORY_MONTHS, monthsBefore, type DigitisationHistoryRow } from '../../blocks/catalogue/index.ts';
import { listAgencies } from '../../blocks/identity/index.ts';
import { currentDefinitions, pickText } from '../../blocks/registration/index.ts';
import type { Db } from '../../platform/db/database.ts';
import { access, agenciesReached, hasRole, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime, formatMoney, formatNumber } from '../../platform/i18n/index.ts';
import { BarChart } from '../components/charts.tsx';
import { DigitisationHistory } from '../components/digitisation-history.tsx';
import { CsrfField, DefinitionId, ErrorSummary, Field, FormText, type FieldErrors } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

const STAFF_ROLES = ['officer', 'agency-head', 'admin'] as const;
export const STAFF = access.roles(...STAFF_ROLES);
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const OptionalDay = Type.Optional(Type.Union([Type.Literal(''), Day]));
export const PeriodQuery = { from: OptionalDay, to: OptionalDay, lang: FormText(5) };
/** The dashboard's filters beyond the period, which its lists of cases take too. */
export const ScopeQuery = { agency: Type.Optional(Type.Union([Type.Literal(''), Uuid])), service: Type.Optional(Type.Union([Type.Literal(''), DefinitionId])) };
export const OPEN_DATA_LICENCE = 'CC-BY-4.0';
const FEEDBACK_SHOWN = 100;

/** The period a page shows: what the reader chose, else the last twelve months. */
export function periodOf(query: { from?: string; to?: string }, now = new Date()): { from: string; to: string } {
  // The schema checks the shape only; a 30 February would reach PostgreSQL and fail there.
  for (const field of ['from', 'to'] as const) {
    const day = query[field];
    if (day && (Number.isNaN(Date.parse(day)) || new Date(day).toISOString().slice(0, 10) !== day)) throw Problem.invalidField(`/querystring/${field}`, 'is not a day of the calendar');
  }
  const to = query.to || now.toISOString().slice(0, 10);
  const from = query.from || new Date(now.getTime() - 365 * 86_400_000).toISOString().slice(0, 10);
  return from <= to ? { from, to } : { from: to, to: from };
}

/** The months of a period for the register's history, at most the last ten years of it. */
function monthsOf(period: { from: string; to: string }): { from: string; to: string } {
  const to = period.to.slice(0, 7);
  const earliest = monthsBefore(to, MAX_HISTORY_MONTHS - 1);
  return { from: period.from.slice(0, 7) < earliest ? earliest : period.from.slice(0, 7), to };
}

export interface Names {
  service: (id: string | null) => string;
  agency: (id: string | null) => string;
  /** A workflow state's label in the service's current definition. */
  state: (serviceId: string, stateId: string) => string;
  services: { id: string; agencyId: string; title: string }[];
  agencies: { id: string; name: string }[];
}

export async function namesFor(db: Db, ctx: PageContext): Promise<Names> {
  const [definitions, agencies] = await Promise.all([currentDefinitions(db), listAgencies(db)]);
  const services = definitions.map((d) => ({ id: d.serviceId, agencyId: d.agencyId, title: pickText(d.document.title, ctx.locale) }));
  const agencyNames = agencies.map((a) => ({ id: a.id, name: a.names[ctx.locale] ?? a.names.en ?? a.code }));
  return {
    services,
    agencies: agencyNames,
    service: (id) => services.find((s) => s.id === id)?.title ?? id ?? '',
    state: (serviceId, stateId) => {
      const state = definitions.find((d) => d.serviceId === serviceId)?.document.workflow.states.find((s) => s.id === stateId);
      return state ? pickText(state.label, ctx.locale) : stateId;
    },
    agency: (id) => agencyNames.find((a) => a.id === id)?.name ?? id ?? '',
  };
}

export const days = (ctx: PageContext, n: number | null) => (n === null ? '—' : ctx.t('analytics.days', { count: round1(n) }));
const share = (ctx: PageContext, n: number | null) => (n === null ? '—' : ctx.t('analytics.percent', { value: n }));
const count = (ctx: PageContext, n: number | null) => (n === null ? ctx.t('analytics.fewerThan', { count: SMALLEST_SHOWN }) : formatNumber(ctx.locale, n));
/** A gap to a target reads with its sign, above or below. */
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
/** Amounts per currency, one per line: a service's fees are never added across currencies. */
const amounts = (ctx: PageContext, fees: readonly FeeFigures[], pick: (f: FeeFigures) => string) =>
  fees.length === 0 ? '—' : fees.map((f, i) => <>{i > 0 && <br />}{formatMoney(ctx.locale, pick(f), f.currency)}</>);
const publicAmount = (ctx: PageContext, amount: string | null, currency: string) => (amount === null ? ctx.t('analytics.fewerThan', { count: SMALLEST_SHOWN }) : formatMoney(ctx.locale, amount, currency));
const perCase = (ctx: PageContext, requests: number, received: number) => (received > 0 ? formatNumber(ctx.locale, round1(requests / received)) : '—');

/** The filters a list of cases is drawn with: the dashboard's, or one row's service and agency. */
export interface CaseFilters {
  from: string;
  to: string;
  agency?: string | null;
  service?: string | null;
  channel?: string;
}

/** The list of the cases behind a figure (or its CSV), with only the filters that are set. */
export function casesHref(filters: CaseFilters, figure: CaseFigure, format: 'page' | 'csv' = 'page'): string {
  const set = Object.entries({ ...filters, figure }).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');
  return `/agency/performance/cases${format === 'csv' ? '.csv' : ''}?${new URLSearchParams(set)}`;
}

/** A count that opens the list of its cases; nothing to open behind a zero. */
function FigureLink({ ctx, n, filters, figure }: { ctx: PageContext; n: number; filters: CaseFilters; figure: CaseFigure }) {
  return n > 0 ? <a href={casesHref(filters, figure)}>{formatNumber(ctx.locale, n)}</a> : <>{formatNumber(ctx.locale, n)}</>;
}

/**
 * The agencies a reader's figures are taken over: the one chosen, which must be one of theirs
 * (else 403), or all of theirs (an administrator: all), with the list to choose from.
 */
export function readerScope(principal: Principal, names: Names, query: { agency?: string; service?: string }): { agencies: Scope['agencies']; serviceId?: string; reachable: Names['agencies'] } {
  const reach = agenciesReached(principal, STAFF_ROLES);
  const reachable = reach === 'all' ? names.agencies : names.agencies.filter((a) => reach.has(a.id));
  if (query.agency && !reachable.some((a) => a.id === query.agency)) throw Problem.forbidden('This agency is not one of yours.');
  return { agencies: query.agency ? [query.agency] : reach === 'all' ? 'all' : [...reach], serviceId: query.service || undefined, reachable };
}

/** A period's first and last day; `label` names the first when the days are not of submission. */
export function PeriodFields({ ctx, period, label }: { ctx: PageContext; period: { from: string; to: string }; label?: string }) {
  return (
    <>
      <div>
        <label for="from">{label ?? ctx.t('analytics.from')}</label>
        <input id="from" name="from" type="date" value={period.from} />
      </div>
      <div>
        <label for="to">{ctx.t('analytics.to')}</label>
        <input id="to" name="to" type="date" value={period.to} />
      </div>
    </>
  );
}

/** One of the reader's agencies (or all of them) and one of their services (or all). */
export function ScopeFields({ ctx, names, reachable, agency, service }: { ctx: PageContext; names: Names; reachable: Names['agencies']; agency?: string | null; service?: string | null }) {
  return (
    <>
      <div>
        <label for="agency">{ctx.t('analytics.agency')}</label>
        <select id="agency" name="agency">
          <option value="">{ctx.t('analytics.allMine')}</option>
          {reachable.map((a) => <option value={a.id} selected={a.id === agency}>{a.name}</option>)}
        </select>
      </div>
      <div>
        <label for="service">{ctx.t('analytics.service')}</label>
        <select id="service" name="service">
          <option value="">{ctx.t('analytics.allServices')}</option>
          {names.services.filter((s) => reachable.some((a) => a.id === s.agencyId)).map((s) => <option value={s.id} selected={s.id === service}>{s.title}</option>)}
        </select>
      </div>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// The officers' dashboard

interface Dashboard {
  period: { from: string; to: string };
  agency: string;
  service: string;
  total: Figures | undefined;
  byService: Figures[];
  byMonth: Figures[];
  /** Fees per currency, in all and per service and agency. */
  fees: FeeFigures[];
  feesByService: FeeFigures[];
  feeMethods: FeeMethodShare[];
  states: StateTime[];
  targets: Map<string, Target>;
  ratings: RatingSummary[];
  names: Names;
  reachable: { id: string; name: string }[];
  maySetTargets: boolean;
  digitisation: DigitisationHistoryRow[];
  refused?: { values: Record<string, string>; errors: FieldErrors };
}

function DashboardPage({ ctx, d }: { ctx: PageContext; d: Dashboard }) {
  const { t } = ctx;
  const total = d.total;
  const all: CaseFilters = { ...d.period, agency: d.agency, service: d.service };
  const feesOf = (f: Figures) => d.feesByService.filter((x) => x.serviceId === f.serviceId && x.agencyId === f.agencyId);
  const rating = (serviceId: string | null) => {
    const found = serviceId === null ? summarise(d.ratings) : d.ratings.find((r) => r.serviceId === serviceId);
    return found && found.responses > 0 ? t('analytics.rating', { average: round1(found.averageRating), count: found.responses }) : '—';
  };
  return (
    <>
      <h1>{t('analytics.dashboard.title')}</h1>
      <form method="get" action="/agency/performance" class="filters">
        <PeriodFields ctx={ctx} period={d.period} />
        <ScopeFields ctx={ctx} names={d.names} reachable={d.reachable} agency={d.agency} service={d.service} />
        <div>
          <button type="submit">{t('analytics.show')}</button>
        </div>
      </form>
      {!total ? (
        <p>{t('analytics.nothing')}</p>
      ) : (
        <>
          <h2>{t('analytics.summary')}</h2>
          <dl class="facts">
            <dt>{t('analytics.received')}</dt>
            <dd><FigureLink ctx={ctx} n={total.received} filters={all} figure="received" /></dd>
            <dt>{t('analytics.decided')}</dt>
            <dd><FigureLink ctx={ctx} n={total.decided} filters={all} figure="decided" /></dd>
            <dt>{t('analytics.granted')}</dt>
            <dd><FigureLink ctx={ctx} n={total.granted} filters={all} figure="granted" /></dd>
            <dt>{t('analytics.refused')}</dt>
            <dd><FigureLink ctx={ctx} n={total.refused} filters={all} figure="refused" /></dd>
            <dt>{t('analytics.withdrawn')}</dt>
            <dd><FigureLink ctx={ctx} n={total.withdrawn} filters={all} figure="withdrawn" /></dd>
            <dt>{t('analytics.open')}</dt>
            <dd><FigureLink ctx={ctx} n={total.received - total.decided} filters={all} figure="open" /></dd>
            <dt>{t('analytics.medianDays')}</dt>
            <dd>{days(ctx, total.medianDays)}</dd>
            <dt>{t('analytics.p90Days')}</dt>
            <dd>{days(ctx, total.p90Days)}</dd>
            <dt>{t('analytics.inTime')}</dt>
            <dd>{share(ctx, percent(total.decidedInTime, total.decidedWithLimit))} <InTimeLinks ctx={ctx} f={total} filters={all} /></dd>
            <dt>{t('analytics.overdue')}</dt>
            <dd><FigureLink ctx={ctx} n={total.overdue} filters={all} figure="overdue" /></dd>
            <dt>{t('analytics.requestsPerCase')}</dt>
            <dd>{perCase(ctx, total.informationRequests, total.received)} <RequestsLink ctx={ctx} f={total} filters={all} /></dd>
            <dt>{t('analytics.online')}</dt>
            <dd>{t('analytics.channels', { online: percent(total.online, total.received) ?? 0, assisted: percent(total.assisted, total.received) ?? 0 })} <ChannelLinks ctx={ctx} f={total} filters={all} /></dd>
            <dt>{t('analytics.satisfaction')}</dt>
            <dd>{rating(null)} · <a href="/agency/feedback">{t('analytics.feedback.link')}</a></dd>
            <dt>{t('analytics.fees.invoiced')}</dt>
            <dd>{amounts(ctx, d.fees, (f) => f.invoiced)}</dd>
            <dt>{t('analytics.fees.collected')}</dt>
            <dd>{amounts(ctx, d.fees, (f) => f.collected)}</dd>
            <dt>{t('analytics.fees.outstanding')}</dt>
            <dd>{amounts(ctx, d.fees, (f) => f.outstanding)}</dd>
          </dl>
          <p class="hint">{t('analytics.fees.about')}</p>
          <BarChart
            id="in-time"
            title={t('analytics.charts.inTime')}
            labelHeading={t('analytics.service')}
            valueHeading={t('analytics.inTime')}
            max={100}
            bars={d.byService.map((f) => {
              const value = percent(f.decidedInTime, f.decidedWithLimit);
              return { label: d.names.service(f.serviceId), value, shown: share(ctx, value) };
            })}
          />
          <BarChart
            id="per-month"
            title={t('analytics.charts.perMonth')}
            labelHeading={t('analytics.month')}
            valueHeading={t('analytics.received')}
            bars={d.byMonth.map((f) => ({ label: f.month ?? '', value: f.received, shown: formatNumber(ctx.locale, f.received) }))}
          />
          <h2>{t('analytics.perService')}</h2>
          <TableRegion label={t('analytics.perService')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('analytics.service')}</th>
                  <th scope="col">{t('analytics.agency')}</th>
                  <th scope="col">{t('analytics.received')}</th>
                  <th scope="col">{t('analytics.granted')}</th>
                  <th scope="col">{t('analytics.refused')}</th>
                  <th scope="col">{t('analytics.withdrawn')}</th>
                  <th scope="col">{t('analytics.open')}</th>
                  <th scope="col">{t('analytics.overdue')}</th>
                  <th scope="col">{t('analytics.medianDays')}</th>
                  <th scope="col">{t('analytics.p90Days')}</th>
                  <th scope="col">{t('analytics.inTime')}</th>
                  <th scope="col">{t('analytics.target')}</th>
                  <th scope="col">{t('analytics.requestsPerCase')}</th>
                  <th scope="col">{t('analytics.online')}</th>
                  <th scope="col">{t('analytics.satisfaction')}</th>
                  <th scope="col">{t('analytics.fees.invoiced')}</th>
                  <th scope="col">{t('analytics.fees.collected')}</th>
                  <th scope="col">{t('analytics.fees.outstanding')}</th>
                </tr>
              </thead>
              <tbody>
                {d.byService.map((f) => {
                  const target = d.targets.get(f.serviceId ?? '');
                  const reached = f.decidedWithinTarget === null || f.decidedWithTarget === null ? null : percent(f.decidedWithinTarget, f.decidedWithTarget);
                  const open = f.received - f.decided;
                  const row: CaseFilters = { ...d.period, agency: f.agencyId, service: f.serviceId };
                  return (
                    <tr>
                      <th scope="row">{d.names.service(f.serviceId)}</th>
                      <td>{d.names.agency(f.agencyId)}</td>
                      <td><FigureLink ctx={ctx} n={f.received} filters={row} figure="received" /></td>
                      <td><FigureLink ctx={ctx} n={f.granted} filters={row} figure="granted" /></td>
                      <td><FigureLink ctx={ctx} n={f.refused} filters={row} figure="refused" /></td>
                      <td><FigureLink ctx={ctx} n={f.withdrawn} filters={row} figure="withdrawn" /></td>
                      <td><FigureLink ctx={ctx} n={open} filters={row} figure="open" /></td>
                      <td><FigureLink ctx={ctx} n={f.overdue} filters={row} figure="overdue" /></td>
                      <td>{days(ctx, f.medianDays)}</td>
                      <td>{days(ctx, f.p90Days)}</td>
                      <td>{share(ctx, percent(f.decidedInTime, f.decidedWithLimit))} <InTimeLinks ctx={ctx} f={f} filters={row} /></td>
                      <td>
                        {target ? (
                          <>
                            {t('analytics.targetIs', { share: target.sharePercent, days: target.withinDays })}
                            <span class="hint">{reached === null ? '—' : t('analytics.gap', { reached, gap: signed(reached - target.sharePercent) })}</span>
                            <TargetLinks ctx={ctx} f={f} filters={row} />
                          </>
                        ) : '—'}
                      </td>
                      <td>{perCase(ctx, f.informationRequests, f.received)} <RequestsLink ctx={ctx} f={f} filters={row} /></td>
                      <td>{share(ctx, percent(f.online, f.received))} <ChannelLinks ctx={ctx} f={f} filters={row} /></td>
                      <td>{rating(f.serviceId)}</td>
                      <td class="amount">{amounts(ctx, feesOf(f), (x) => x.invoiced)}</td>
                      <td class="amount">{amounts(ctx, feesOf(f), (x) => x.collected)}</td>
                      <td class="amount">{amounts(ctx, feesOf(f), (x) => x.outstanding)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableRegion>
        </>
      )}
      <FeeMethods ctx={ctx} rows={d.feeMethods} withheld={false} />
      {d.states.length > 0 && <StateTimes ctx={ctx} d={d} />}
      <DigitisationHistory ctx={ctx} rows={d.digitisation} />
      <p class="hint">{t('analytics.cases.drillHint')}</p>
      {d.maySetTargets && <TargetForm ctx={ctx} d={d} />}
      <p><a href="/performance">{t('analytics.public.link')}</a></p>
    </>
  );
}

/** The decisions with a legal time limit behind a share decided in time: how many in time, how many late. */
function InTimeLinks({ ctx, f, filters }: { ctx: PageContext; f: Figures; filters: CaseFilters }) {
  if (f.decidedWithLimit === 0) return null;
  const late = f.decidedWithLimit - f.decidedInTime;
  return (
    <span class="hint">
      {ctx.t('analytics.cases.inTimeCount')} <FigureLink ctx={ctx} n={f.decidedInTime} filters={filters} figure="in-time" /> · {ctx.t('analytics.cases.lateCount')} <FigureLink ctx={ctx} n={late} filters={filters} figure="late" />
    </span>
  );
}

/** The decisions within and beyond the service's KPI target, each opening its list. */
function TargetLinks({ ctx, f, filters }: { ctx: PageContext; f: Figures; filters: CaseFilters }) {
  if (!f.decidedWithTarget) return null;
  const within = f.decidedWithinTarget ?? 0;
  return (
    <span class="hint">
      {ctx.t('analytics.cases.withinTargetCount')} <FigureLink ctx={ctx} n={within} filters={filters} figure="within-target" /> · {ctx.t('analytics.cases.beyondTargetCount')} <FigureLink ctx={ctx} n={f.decidedWithTarget - within} filters={filters} figure="beyond-target" />
    </span>
  );
}

/** The applications made online and at a service centre behind the shares, each opening its list. */
function ChannelLinks({ ctx, f, filters }: { ctx: PageContext; f: Figures; filters: CaseFilters }) {
  if (f.received === 0) return null;
  return (
    <span class="hint">
      {ctx.t('analytics.cases.onlineCount')} <FigureLink ctx={ctx} n={f.online} filters={{ ...filters, channel: 'online' }} figure="received" /> · {ctx.t('analytics.cases.assistedCount')} <FigureLink ctx={ctx} n={f.assisted} filters={{ ...filters, channel: 'assisted' }} figure="received" />
    </span>
  );
}

/** The requests for more information behind a per-case average. */
function RequestsLink({ ctx, f, filters }: { ctx: PageContext; f: Figures; filters: CaseFilters }) {
  if (f.informationRequests === 0) return null;
  return <span class="hint">{ctx.t('analytics.cases.requestsCount')} <FigureLink ctx={ctx} n={f.informationRequests} filters={filters} figure="information-requests" /></span>;
}

/**
 * Days in each workflow state, one row per service and state, with whether the statutory clock
 * ran; for officers each state links to its worklist, for the public small groups are withheld.
 */
function StateTable({ ctx, rows, names, link }: { ctx: PageContext; rows: (StateTime | PublicStateTime)[]; names: Names; link: boolean }) {
  const { t } = ctx;
  return (
    <TableRegion label={t('analytics.states.title')}>
      <table>
        <thead>
          <tr>
            {['service', 'states.step', 'states.applications', 'states.average', 'states.median', 'states.p90', 'states.clock'].map((key) => <th scope="col">{t(`analytics.${key}`)}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr>
              <th scope="row">{names.service(s.serviceId)}</th>
              <td>{link ? <a href={`/work?${new URLSearchParams({ service: s.serviceId, state: s.state })}`}>{names.state(s.serviceId, s.state)}</a> : names.state(s.serviceId, s.state)}</td>
              <td>{count(ctx, s.applications)}</td>
              <td>{days(ctx, s.averageDays)}</td>
              <td>{days(ctx, s.medianDays)}</td>
              <td>{days(ctx, s.p90Days)}</td>
              <td>{s.pausesClock ? t('analytics.states.stopped') : t('analytics.states.runs')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

/** Days in each workflow state; those that stop the statutory clock are listed apart, not charted. */
function StateTimes({ ctx, d }: { ctx: PageContext; d: Dashboard }) {
  const { t } = ctx;
  const label = (s: StateTime) => `${d.names.service(s.serviceId)} · ${d.names.state(s.serviceId, s.state)}`;
  return (
    <section aria-labelledby="time-in-state">
      <h2 id="time-in-state">{t('analytics.states.title')}</h2>
      <p class="hint">{t('analytics.states.about')} {t('analytics.states.precision')} {t('analytics.states.drill')}</p>
      <BarChart
        id="states"
        title={t('analytics.states.chart')}
        labelHeading={t('analytics.states.step')}
        valueHeading={t('analytics.states.average')}
        bars={d.states.filter((s) => !s.pausesClock).map((s) => ({ label: label(s), value: round1(s.averageDays), shown: days(ctx, s.averageDays) }))}
      />
      <StateTable ctx={ctx} rows={d.states} names={d.names} link />
    </section>
  );
}

/** The public's view of a service's steps: the same table, without links, small groups withheld. */
function PublicStateTimes({ ctx, rows, names }: { ctx: PageContext; rows: PublicStateTime[]; names: Names }) {
  const { t } = ctx;
  return (
    <section aria-labelledby="time-in-state">
      <h2 id="time-in-state">{t('analytics.states.title')}</h2>
      <p class="hint">{t('analytics.states.about')} {t('analytics.states.precision')} {t('analytics.states.publicAbout', { count: SMALLEST_SHOWN })}</p>
      <StateTable ctx={ctx} rows={rows} names={names} link={false} />
    </section>
  );
}

function summarise(ratings: RatingSummary[]): RatingSummary | undefined {
  const responses = ratings.reduce((n, r) => n + r.responses, 0);
  if (responses === 0) return undefined;
  return { serviceId: '', responses, averageRating: ratings.reduce((n, r) => n + r.averageRating * r.responses, 0) / responses };
}

function TargetForm({ ctx, d }: { ctx: PageContext; d: Dashboard }) {
  const { t } = ctx;
  const values = d.refused?.values ?? {};
  const errors = d.refused?.errors ?? {};
  return (
    <section aria-labelledby="targets-title">
      <h2 id="targets-title">{t('analytics.targets.title')}</h2>
      <ErrorSummary ctx={ctx} errors={errors} labels={{ 'target-service': t('analytics.service'), 'target-days': t('analytics.targets.days'), 'target-share': t('analytics.targets.share') }} />
      <form class="stack" method="post" action="/agency/performance/targets" novalidate>
        <CsrfField ctx={ctx} />
        <div>
          <label for="target-service">{t('analytics.service')}</label>
          <select id="target-service" name="service" aria-invalid={errors['target-service'] ? 'true' : undefined}>
            {d.names.services.map((s) => <option value={s.id} selected={s.id === (values.service ?? d.service)}>{s.title}</option>)}
          </select>
        </div>
        <Field id="target-share" name="sharePercent" label={t('analytics.targets.share')} inputMode="numeric" value={values.sharePercent ?? ''} error={errors['target-share']} />
        <Field id="target-days" name="withinDays" label={t('analytics.targets.days')} inputMode="numeric" value={values.withinDays ?? ''} error={errors['target-days']} />
        <div>
          <button type="submit">{t('analytics.targets.save')}</button>
        </div>
      </form>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Feedback, as officers read it

function FeedbackPage({ ctx, period, entries, ratings, names, service, theme, services }: { ctx: PageContext; period: { from: string; to: string }; entries: FeedbackEntry[]; ratings: RatingSummary[]; names: Names; service: string; theme: string; services: { id: string; title: string }[] }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('analytics.feedback.title')}</h1>
      <p>{t('analytics.feedback.anonymous')}</p>
      <form method="get" action="/agency/feedback" class="filters">
        <PeriodFields ctx={ctx} period={period} label={t('analytics.feedback.givenFrom')} />
        <div>
          <label for="service">{t('analytics.service')}</label>
          <select id="service" name="service">
            <option value="">{t('analytics.allServices')}</option>
            {services.map((s) => <option value={s.id} selected={s.id === service}>{s.title}</option>)}
          </select>
        </div>
        <div>
          <label for="theme">{t('analytics.feedback.theme')}</label>
          <select id="theme" name="theme">
            <option value="">{t('analytics.feedback.anyTheme')}</option>
            {FEEDBACK_THEMES.map((th) => <option value={th} selected={th === theme}>{t(`analytics.themes.${th}`)}</option>)}
          </select>
        </div>
        <div>
          <button type="submit">{t('analytics.show')}</button>
        </div>
      </form>
      <TableRegion label={t('analytics.feedback.ratings')}>
        <table>
          <caption>{t('analytics.feedback.ratings')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('analytics.service')}</th>
              <th scope="col">{t('analytics.feedback.responses')}</th>
              <th scope="col">{t('analytics.feedback.average')}</th>
            </tr>
          </thead>
          <tbody>
            {ratings.map((r) => (
              <tr>
                <th scope="row">{names.service(r.serviceId)}</th>
                <td>{formatNumber(ctx.locale, r.responses)}</td>
                <td>{formatNumber(ctx.locale, round1(r.averageRating))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <h2>{t('analytics.feedback.latest')}</h2>
      {entries.length === 0 ? (
        <p>{t('analytics.feedback.none')}</p>
      ) : (
        <TableRegion label={t('analytics.feedback.latest')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('analytics.feedback.given')}</th>
                <th scope="col">{t('analytics.service')}</th>
                <th scope="col">{t('analytics.feedback.rating')}</th>
                <th scope="col">{t('analytics.feedback.theme')}</th>
                <th scope="col">{t('analytics.feedback.comment')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr>
                  <td>{formatDateTime(ctx.locale, e.givenAt)}</td>
                  <td>{names.service(e.serviceId)}</td>
                  <td>{t('analytics.feedback.stars', { rating: e.rating })}</td>
                  <td>{t(`analytics.themes.${e.theme}`)}</td>
                  <td>{e.comment || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <p><a href="/agency/performance">{t('analytics.dashboard.title')}</a></p>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// The public performance pages

function PublicTable({ ctx, rows, label, first }: { ctx: PageContext; rows: { key: string; heading: string; href?: string; f: PublicFigures }[]; label: string; first: string }) {
  const { t } = ctx;
  return (
    <TableRegion label={label}>
      <table>
        <caption>{label}</caption>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            <th scope="col">{t('analytics.received')}</th>
            <th scope="col">{t('analytics.granted')}</th>
            <th scope="col">{t('analytics.refused')}</th>
            <th scope="col">{t('analytics.withdrawn')}</th>
            <th scope="col">{t('analytics.overdue')}</th>
            <th scope="col">{t('analytics.medianDays')}</th>
            <th scope="col">{t('analytics.p90Days')}</th>
            <th scope="col">{t('analytics.inTime')}</th>
            <th scope="col">{t('analytics.online')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ heading, href, f }) => (
            <tr>
              <th scope="row">{href ? <a href={href}>{heading}</a> : heading}</th>
              <td>{count(ctx, f.received)}</td>
              <td>{count(ctx, f.granted)}</td>
              <td>{count(ctx, f.refused)}</td>
              <td>{count(ctx, f.withdrawn)}</td>
              <td>{count(ctx, f.overdue)}</td>
              <td>{days(ctx, f.medianDays)}</td>
              <td>{days(ctx, f.p90Days)}</td>
              <td>{share(ctx, f.decidedInTimePercent)}</td>
              <td>{share(ctx, f.onlinePercent)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

/** How the fees were paid: each method's money per currency and its share of it, as a chart and as a table. */
function FeeMethods({ ctx, rows, withheld }: { ctx: PageContext; rows: (FeeMethodShare | PublicFeeMethodShare)[]; withheld: boolean }) {
  const { t } = ctx;
  if (rows.length === 0) return null;
  const severalCurrencies = new Set(rows.map((m) => m.currency)).size > 1;
  const label = (m: FeeMethodShare | PublicFeeMethodShare) => {
    const method = m.method === 'unknown' ? t('analytics.fees.methods.unknown') : t(`payments.methods.${m.method}`);
    return severalCurrencies ? `${method} (${m.currency})` : method;
  };
  return (
    <section aria-labelledby="fee-methods">
      <h2 id="fee-methods">{t('analytics.fees.methods.title')}</h2>
      <p class="hint">{t('analytics.fees.methods.about')}{withheld && ` ${t('analytics.fees.methods.publicAbout', { count: SMALLEST_SHOWN })}`}</p>
      <BarChart id="fee-methods-chart" title={t('analytics.fees.methods.chart')} labelHeading={t('analytics.fees.methods.method')} valueHeading={t('analytics.fees.methods.share')} max={100} bars={rows.map((m) => ({ label: label(m), value: m.sharePercent, shown: share(ctx, m.sharePercent) }))} />
      <TableRegion label={t('analytics.fees.methods.title')}>
        <table>
          <thead>
            <tr>{['fees.methods.method', 'fees.methods.payments', 'fees.methods.received', 'fees.methods.share'].map((key) => <th scope="col">{t(`analytics.${key}`)}</th>)}</tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr>
                <th scope="row">{label(m)}</th>
                <td>{count(ctx, m.payments)}</td>
                <td class="amount">{publicAmount(ctx, m.received, m.currency)}</td>
                <td>{share(ctx, m.sharePercent)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </section>
  );
}

/** The fees per service and currency, amounts withheld where few invoices or payments make them. */
function PublicFeesTable({ ctx, rows }: { ctx: PageContext; rows: { heading: string; fees: PublicFees }[] }) {
  const { t } = ctx;
  return (
    <section aria-labelledby="fees-title">
      <h2 id="fees-title">{t('analytics.fees.title')}</h2>
      <p class="hint">{t('analytics.fees.about')} {t('analytics.fees.publicAbout', { count: SMALLEST_SHOWN })}</p>
      <TableRegion label={t('analytics.fees.title')}>
        <table>
          <thead>
            <tr>{['service', 'fees.invoices', 'fees.invoiced', 'fees.collected', 'fees.outstanding'].map((key) => <th scope="col">{t(`analytics.${key}`)}</th>)}</tr>
          </thead>
          <tbody>
            {rows.map(({ heading, fees }) => (
              <tr>
                <th scope="row">{heading}</th>
                <td>{count(ctx, fees.invoices)}</td>
                <td class="amount">{publicAmount(ctx, fees.invoiced, fees.currency)}</td>
                <td class="amount">{publicAmount(ctx, fees.collected, fees.currency)}</td>
                <td class="amount">{publicAmount(ctx, fees.outstanding, fees.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </section>
  );
}

function PublicPage({ ctx, title, period, action, total, rows, first, chartLabel, ratings, fees, feeMethods, digitisation, states }: { ctx: PageContext; title: string; period: { from: string; to: string }; action: string; total: PublicFigures | undefined; rows: { key: string; heading: string; href?: string; f: PublicFigures }[]; first: string; chartLabel: string; ratings: RatingSummary | undefined; fees: { heading: string; fees: PublicFees }[]; feeMethods: PublicFeeMethodShare[]; digitisation?: { rows: DigitisationHistoryRow[]; months: { from: string; to: string } }; states?: { rows: PublicStateTime[]; names: Names } }) {
  const { t } = ctx;
  const data = (ext: string, dataset?: 'steps') => `/performance/open-data${dataset ? `/${dataset}` : ''}.${ext}?${new URLSearchParams(period)}`;
  return (
    <>
      <h1>{title}</h1>
      <p>{t('analytics.public.intro', { count: SMALLEST_SHOWN })}</p>
      <form method="get" action={action} class="filters">
        <PeriodFields ctx={ctx} period={period} />
        <div>
          <button type="submit">{t('analytics.show')}</button>
        </div>
      </form>
      {!total ? (
        <p>{t('analytics.nothing')}</p>
      ) : (
        <>
          <dl class="facts">
            <dt>{t('analytics.received')}</dt>
            <dd>{count(ctx, total.received)}</dd>
            <dt>{t('analytics.medianDays')}</dt>
            <dd>{days(ctx, total.medianDays)}</dd>
            <dt>{t('analytics.inTime')}</dt>
            <dd>{share(ctx, total.decidedInTimePercent)}</dd>
            <dt>{t('analytics.online')}</dt>
            <dd>{share(ctx, total.onlinePercent)}</dd>
            <dt>{t('analytics.satisfaction')}</dt>
            <dd>{ratings && ratings.responses >= SMALLEST_SHOWN ? t('analytics.rating', { average: round1(ratings.averageRating), count: ratings.responses }) : '—'}</dd>
          </dl>
          <BarChart id="in-time" title={chartLabel} labelHeading={first} valueHeading={t('analytics.inTime')} max={100} bars={rows.map((r) => ({ label: r.heading, value: r.f.decidedInTimePercent, shown: share(ctx, r.f.decidedInTimePercent) }))} />
          <PublicTable ctx={ctx} rows={rows} label={t('analytics.public.table')} first={first} />
          {states && states.rows.length > 0 && <PublicStateTimes ctx={ctx} rows={states.rows} names={states.names} />}
        </>
      )}
      {fees.length > 0 && <PublicFeesTable ctx={ctx} rows={fees} />}
      <FeeMethods ctx={ctx} rows={feeMethods} withheld />
      {digitisation && <DigitisationHistory ctx={ctx} rows={digitisation.rows} openData={digitisation.months} />}
      <h2>{t('analytics.openData.title')}</h2>
      <p>{t('analytics.openData.about')}</p>
      <ul>
        <li><a href={data('csv')}>{t('analytics.openData.csv')}</a></li>
        <li><a href={data('json')}>{t('analytics.openData.json')}</a></li>
        <li><a href={data('csv', 'steps')}>{t('analytics.openData.stepsCsv')}</a></li>
        <li><a href={data('json', 'steps')}>{t('analytics.openData.stepsJson')}</a></li>
      </ul>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Open data

const COUNT_COLUMNS = ['received', 'decided', 'granted', 'refused', 'withdrawn', 'overdue', 'decidedInTimePercent', 'medianDays', 'p90Days'] as const;
const FEE_COLUMNS = ['currency', 'feesInvoices', 'feesInvoiced', 'feesCollected', 'feesOutstanding'] as const;
const OPEN_DATA_COLUMNS = ['month', 'serviceId', 'agencyId', 'channel', ...COUNT_COLUMNS, ...FEE_COLUMNS] as const;

type OpenDataRow = Record<(typeof OPEN_DATA_COLUMNS)[number], string | number | null>;

const cellKey = (f: { month: string | null; serviceId: string | null; agencyId: string | null; channel: string | null }) => [f.month, f.serviceId, f.agencyId, f.channel].join('\u0000');

function feeColumns(f: FeeFigures | undefined): Record<(typeof FEE_COLUMNS)[number], string | number | null> {
  const p = f && publicFees(f);
  return { currency: p?.currency ?? null, feesInvoices: p?.invoices ?? null, feesInvoiced: p?.invoiced ?? null, feesCollected: p?.collected ?? null, feesOutstanding: p?.outstanding ?? null };
}

/**
 * One row per month, service, agency and channel, with the fees of its currency. A service
 * charges in one currency in practice; should a cell have fees in another, or fees in a month with
 * no application submitted, those come in rows of their own whose application columns are null,
 * so that summing a column never counts an application twice nor adds two currencies.
 */
function openDataRows(counts: Figures[], fees: FeeFigures[]): OpenDataRow[] {
  const firstFees = new Map<string, FeeFigures>();
  for (const f of fees) if (!firstFees.has(cellKey(f))) firstFees.set(cellKey(f), f);
  const rows = counts.map((f) => {
    const p = suppressed(f);
    return { month: f.month, serviceId: f.serviceId, agencyId: f.agencyId, channel: f.channel, received: p.received, decided: p.decided, granted: p.granted, refused: p.refused, withdrawn: p.withdrawn, overdue: p.overdue, decidedInTimePercent: p.decidedInTimePercent, medianDays: p.medianDays, p90Days: p.p90Days, ...feeColumns(firstFees.get(cellKey(f))) };
  });
  const counted = new Set(counts.map(cellKey));
  const feeOnly = fees.filter((f) => !counted.has(cellKey(f)) || firstFees.get(cellKey(f)) !== f);
  const noCounts = Object.fromEntries(COUNT_COLUMNS.map((c) => [c, null])) as Record<(typeof COUNT_COLUMNS)[number], null>;
  rows.push(...feeOnly.map((f) => ({ month: f.month, serviceId: f.serviceId, agencyId: f.agencyId, channel: f.channel, ...noCounts, ...feeColumns(f) })));
  return rows.sort((a, b) => (cellKey(a) < cellKey(b) ? -1 : cellKey(a) > cellKey(b) ? 1 : 0));
}

const STEP_COLUMNS = ['month', 'serviceId', 'state', 'clockStopped', 'applications', 'averageDays', 'medianDays', 'p90Days'] as const;

/** A step's days in a month of submission, as the public may see them. */
function stepRow(s: StateTime): Record<(typeof STEP_COLUMNS)[number], OpenCell> {
  const p = suppressedStateTime(s);
  return { month: p.month, serviceId: p.serviceId, state: p.state, clockStopped: p.pausesClock, applications: p.applications, averageDays: p.averageDays, medianDays: p.medianDays, p90Days: p.p90Days };
}

type OpenCell = string | number | boolean | null;

/**
 * An open dataset for a period, at `<path>.json` (with its licence, period, columns and the
 * smallest count shown) and `<path>.csv` (RFC 4180, the licence in a Link header); both may be
 * cached for as long as a refresh.
 */
function openDataset<C extends string>(app: App, d: { path: string; fileName: string; summary: string; csvSummary: string; columns: readonly C[]; load: (period: { from: string; to: string }) => Promise<Record<C, OpenCell>[]> }) {
  const RowSchema = Type.Object(Object.fromEntries(d.columns.map((c) => [c, Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])])));
  app.get(`${d.path}.json`, {
    config: { access: access.public },
    schema: {
      summary: d.summary,
      tags: ['analytics'],
      querystring: Type.Object(PeriodQuery),
      response: { 200: Type.Object({ licence: Type.String(), from: Type.String(), to: Type.String(), smallestCountShown: Type.Integer(), columns: Type.Array(Type.String()), rows: Type.Array(RowSchema) }) },
    },
    handler: async (request, reply) => {
      const period = periodOf(request.query);
      const rows = await d.load(period);
      reply.header('cache-control', 'public, max-age=300');
      return { licence: OPEN_DATA_LICENCE, ...period, smallestCountShown: SMALLEST_SHOWN, columns: [...d.columns], rows };
    },
  });
  app.get(`${d.path}.csv`, {
    config: { access: access.public },
    schema: { summary: d.csvSummary, tags: ['analytics'], querystring: Type.Object(PeriodQuery) },
    handler: async (request, reply) => {
      const period = periodOf(request.query);
      const rows = await d.load(period);
      const lines = [d.columns.join(','), ...rows.map((r) => d.columns.map((c) => csvCell(r[c])).join(','))];
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${d.fileName}-${period.from}-${period.to}.csv"`)
        .header('cache-control', 'public, max-age=300')
        .header('link', `<https://creativecommons.org/licenses/by/4.0/>; rel="license"`)
        .send(`${lines.join('\r\n')}\r\n`);
    },
  });
}

export function csvCell(value: OpenCell): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// ---------------------------------------------------------------------------------------------
// Routes

/** The officers' performance dashboard and feedback, the public performance pages and open data. */
export function analyticsPages(db: Db, oidcLabel: string | null) {
  return async (app: App) => {
    const ctxOf = (request: FastifyRequest, reply: FastifyReply) => pageContext(request, reply, oidcLabel);

    const dashboard = async (request: FastifyRequest, reply: FastifyReply, query: { from?: string; to?: string; agency?: string; service?: string }, refused?: Dashboard['refused']) => {
      const principal = requirePrincipal(request);
      const ctx = ctxOf(request, reply);
      const names = await namesFor(db, ctx);
      const { reachable, ...reader } = readerScope(principal, names, query);
      const period = periodOf(query);
      const scope: Scope = { ...period, ...reader };
      const [[total], byService, byMonth, states, kpis, ratings, digitisation, fees, feesByService, methods] = await Promise.all([
        figures(db, scope),
        figures(db, scope, ['service', 'agency']),
        // The per-month chart shows only how many were received.
        figures(db, scope, ['month'], 'counts'),
        stateTimes(db, scope),
        targets(db),
        ratingSummaries(db, { ...period, agencies: scope.agencies, serviceId: scope.serviceId }),
        historyTable(db, monthsOf(period), scope.agencies === 'all' ? undefined : scope.agencies),
        feeFigures(db, scope),
        feeFigures(db, scope, ['service', 'agency']),
        feeMethodFigures(db, scope),
      ]);
      const d: Dashboard = { period, agency: query.agency ?? '', service: query.service ?? '', total, byService, byMonth, fees, feesByService, feeMethods: methodShares(methods), states, targets: kpis, ratings, names, reachable, maySetTargets: hasRole(principal, 'admin', null), digitisation: digitisation.months, refused };
      return sendPage(reply, ctx, { title: ctx.t('analytics.dashboard.title'), body: <DashboardPage ctx={ctx} d={d} />, private: true }, refused ? 400 : 200);
    };

    app.get('/agency/performance', {
      config: { access: STAFF },
      schema: {
        summary: "Performance dashboard: figures, charts and KPI targets of my agencies' services for a period",
        tags: ['web'],
        querystring: Type.Object({ ...PeriodQuery, ...ScopeQuery }),
      },
      handler: (request, reply) => dashboard(request, reply, request.query),
    });

    app.post('/agency/performance/targets', {
      config: { access: access.roles('admin') },
      schema: {
        summary: "Set a service's KPI target: a share of applications decided within a number of days (form; administrators)",
        tags: ['web'],
        body: Type.Object({ _csrf: FormText(200), service: DefinitionId, sharePercent: FormText(10), withinDays: FormText(10) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        if (!hasRole(principal, 'admin', null)) throw Problem.forbidden('Only a platform administrator sets targets.');
        const ctx = ctxOf(request, reply);
        const { service, sharePercent = '', withinDays = '' } = request.body;
        const errors: FieldErrors = {};
        const share = Number(sharePercent.trim());
        const within = Number(withinDays.trim());
        if (!/^\d{1,3}$/.test(sharePercent.trim()) || share < 1 || share > 100) errors['target-share'] = ctx.t('analytics.targets.shareError');
        if (!/^\d{1,4}$/.test(withinDays.trim()) || within < 1 || within > 3650) errors['target-days'] = ctx.t('analytics.targets.daysError');
        if (!(await currentDefinitions(db)).some((d) => d.serviceId === service)) errors['target-service'] = ctx.t('analytics.targets.serviceError');
        if (Object.keys(errors).length > 0) return dashboard(request, reply, { service }, { values: { service, sharePercent, withinDays }, errors });
        await db.transaction().execute(async (trx) => {
          await setTarget(trx, { serviceId: service, sharePercent: share, withinDays: within }, principal.id);
          await recordAudit(trx, { actor: actorOf(principal), action: 'analytics.set-target', subjectType: 'service', subjectId: service, requestId: request.id, change: { sharePercent: share, withinDays: within } });
        });
        return reply.redirect(`/agency/performance?${new URLSearchParams({ service })}`, 303);
      },
    });

    app.get('/agency/feedback', {
      config: { access: STAFF },
      schema: {
        summary: "Applicants' anonymous ratings and comments on my agencies' services, by theme",
        tags: ['web'],
        querystring: Type.Object({ ...PeriodQuery, service: Type.Optional(Type.Union([Type.Literal(''), DefinitionId])), theme: Type.Optional(Type.Union([Type.Literal(''), ...FEEDBACK_THEMES.map((th) => Type.Literal(th))])) }),
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const ctx = ctxOf(request, reply);
        const reach = agenciesReached(principal, STAFF_ROLES);
        const period = periodOf(request.query);
        const scope = { ...period, agencies: reach === 'all' ? ('all' as const) : [...reach], serviceId: request.query.service || undefined, theme: (request.query.theme || undefined) as FeedbackTheme | undefined };
        const [names, entries, ratings] = await Promise.all([namesFor(db, ctx), feedbackEntries(db, scope, FEEDBACK_SHOWN), ratingSummaries(db, scope)]);
        const services = names.services.filter((s) => reach === 'all' || reach.has(s.agencyId));
        return sendPage(reply, ctx, { title: ctx.t('analytics.feedback.title'), private: true, body: <FeedbackPage ctx={ctx} period={period} entries={entries} ratings={ratings} names={names} service={request.query.service ?? ''} theme={request.query.theme ?? ''} services={services} /> });
      },
    });

    app.get('/performance', {
      config: { access: access.public },
      schema: { summary: 'How well every public service performs, for a period (small counts withheld)', tags: ['web'], querystring: Type.Object(PeriodQuery) },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const period = periodOf(request.query);
        const scope: Scope = { ...period, agencies: 'all' };
        const months = monthsOf(period);
        const [names, [total], byService, ratings, fees, methods, digitisation] = await Promise.all([namesFor(db, ctx), figures(db, scope), figures(db, scope, ['service']), ratingSummaries(db, { ...period, agencies: 'all' }), feeFigures(db, scope, ['service']), feeMethodFigures(db, scope), historyTable(db, months)]);
        const rows = byService.map((f) => ({ key: f.serviceId!, heading: names.service(f.serviceId), href: `/performance/services/${f.serviceId}?${new URLSearchParams(period)}`, f: suppressed(f) }));
        const title = ctx.t('analytics.public.title');
        return sendPage(reply, ctx, { title, body: <PublicPage ctx={ctx} title={title} period={period} action="/performance" total={total && suppressed(total)} rows={rows} first={ctx.t('analytics.service')} chartLabel={ctx.t('analytics.charts.inTime')} ratings={summarise(ratings)} fees={fees.map((f) => ({ heading: names.service(f.serviceId), fees: publicFees(f) }))} feeMethods={publicMethodShares(methods)} digitisation={{ rows: digitisation.months, months }} /> });
      },
    });

    app.get('/performance/services/:serviceId', {
      config: { access: access.public },
      schema: { summary: 'How well one public service performs, month by month (small counts withheld)', tags: ['web'], params: Type.Object({ serviceId: DefinitionId }), querystring: Type.Object(PeriodQuery) },
      handler: async (request, reply) => {
        const ctx = ctxOf(request, reply);
        const names = await namesFor(db, ctx);
        const serviceId = request.params.serviceId;
        if (!names.services.some((s) => s.id === serviceId)) throw Problem.notFound('No public service has this id.');
        const period = periodOf(request.query);
        const scope: Scope = { ...period, agencies: 'all', serviceId };
        const [[total], byMonth, ratings, fees, methods, states] = await Promise.all([figures(db, scope), figures(db, scope, ['month']), ratingSummaries(db, { ...period, agencies: 'all', serviceId }), feeFigures(db, scope, ['service']), feeMethodFigures(db, scope), stateTimes(db, scope)]);
        const rows = byMonth.map((f) => ({ key: f.month!, heading: f.month!, f: suppressed(f) }));
        const title = ctx.t('analytics.public.serviceTitle', { service: names.service(serviceId) });
        return sendPage(reply, ctx, { title, body: <PublicPage ctx={ctx} title={title} period={period} action={`/performance/services/${serviceId}`} total={total && suppressed(total)} rows={rows} first={ctx.t('analytics.month')} chartLabel={ctx.t('analytics.charts.inTimePerMonth')} ratings={ratings[0]} fees={fees.map((f) => ({ heading: names.service(serviceId), fees: publicFees(f) }))} feeMethods={publicMethodShares(methods)} states={{ rows: states.map(suppressedStateTime), names }} /> });
      },
    });

    openDataset(app, {
      path: '/performance/open-data',
      fileName: 'performance',
      summary: 'Open data: figures per month, service, agency and channel, with the fees in their currency as decimal strings; counts below 5 are null (CC BY 4.0, schema in docs/analytics.md)',
      csvSummary: 'The same open data as CSV (RFC 4180, UTF-8, a header row; withheld counts are empty)',
      columns: OPEN_DATA_COLUMNS,
      load: async (period) => {
        const scope: Scope = { ...period, agencies: 'all' };
        const by: Dimension[] = ['month', 'service', 'agency', 'channel'];
        const [counts, fees] = await Promise.all([figures(db, scope, by), feeFigures(db, scope, by)]);
        return openDataRows(counts, fees);
      },
    });

    openDataset(app, {
      path: '/performance/open-data/steps',
      fileName: 'performance-steps',
      summary: 'Open data: days spent in each workflow step per month of submission and service; figures from fewer than 5 applications are null (CC BY 4.0, schema in docs/analytics.md)',
      csvSummary: 'The days spent in each workflow step as CSV (RFC 4180, UTF-8, a header row; withheld figures are empty)',
      columns: STEP_COLUMNS,
      load: async (period) => (await stateTimes(db, { ...period, agencies: 'all' }, ['month'])).map(stepRow),
    });
  };
}

/** Below a decided application: how was it? One answer per application; afterwards, thanks. */
export function FeedbackInvitation({ ctx, action, given, values, errors }: { ctx: PageContext; action: string; given: boolean; values: Record<string, unknown>; errors: FieldErrors }) {
  const { t } = ctx;
  if (given) return <p class="notice" role="status">{t('analytics.feedback.thanks')}</p>;
  const rating = String(values.rating ?? '');
  return (
    <section aria-labelledby="feedback-title" class="asked">
      <h2 id="feedback-title">{t('analytics.feedback.invite')}</h2>
      <p class="hint">{t('analytics.feedback.anonymousHint')}</p>
      <form class="stack" method="post" action={action} novalidate>
        <CsrfField ctx={ctx} />
        <fieldset aria-describedby={errors['feedback-rating'] ? 'feedback-rating-error' : undefined}>
          <legend>{t('analytics.feedback.ratingQuestion')}</legend>
          {errors['feedback-rating'] && <span class="field-error" id="feedback-rating-error">{errors['feedback-rating']}</span>}
          {[1, 2, 3, 4, 5].map((n) => (
            <div class="choice">
              <input id={n === 1 ? 'feedback-rating' : `feedback-rating-${n}`} name="rating" type="radio" value={String(n)} checked={rating === String(n)} />
              <label for={n === 1 ? 'feedback-rating' : `feedback-rating-${n}`}>{t(`analytics.feedback.scale.${n}`)}</label>
            </div>
          ))}
        </fieldset>
        <div>
          <label for="feedback-theme">{t('analytics.feedback.themeQuestion')}</label>
          <select id="feedback-theme" name="theme" aria-invalid={errors['feedback-theme'] ? 'true' : undefined} aria-describedby={errors['feedback-theme'] ? 'feedback-theme-error' : undefined}>
            <option value="">{t('analytics.feedback.chooseTheme')}</option>
            {FEEDBACK_THEMES.map((th) => <option value={th} selected={values.theme === th}>{t(`analytics.themes.${th}`)}</option>)}
          </select>
          {errors['feedback-theme'] && <span class="field-error" id="feedback-theme-error">{errors['feedback-theme']}</span>}
        </div>
        <div>
          <label for="feedback-comment">{t('analytics.feedback.commentQuestion')}</label>
          <span class="hint" id="feedback-comment-hint">{t('analytics.feedback.commentHint')}</span>
          <input id="feedback-comment" name="comment" type="text" maxLength={300} value={String(values.comment ?? '')} aria-describedby="feedback-comment-hint" />
        </div>
        <div>
          <button type="submit">{t('analytics.feedback.send')}</button>
        </div>
      </form>
    </section>
  );
}
