import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { CASE_FIGURES, CASE_POSITION, CHANNELS, figureCases, figureTotal, readCasePosition, casePosition, type CaseFigure, type CasePosition, type CaseRow, type CaseScope, type Channel } from '../../blocks/analytics/index.ts';
import { findApplications } from '../../blocks/registration/index.ts';
import type { Db } from '../../platform/db/database.ts';
import { requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime, formatNumber } from '../../platform/i18n/index.ts';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';
import { casesHref, csvCell, days, namesFor, PeriodFields, PeriodQuery, periodOf, readerScope, ScopeFields, ScopeQuery, STAFF, type CaseFilters, type Names } from './analytics-pages.tsx';

const PAGE_SIZE = 50;
const HEADINGS = ['analytics.cases.application', 'analytics.cases.submitted', 'analytics.service', 'analytics.cases.channel', 'analytics.cases.outcome', 'analytics.cases.decidedAt', 'analytics.cases.netDays', 'analytics.cases.withinLimit', 'analytics.cases.requests'];
/** The CSV is read in keyset pages too, so the whole list never sits in memory. */
const CSV_BATCH = 1_000;
const CaseQuery = {
  ...PeriodQuery,
  ...ScopeQuery,
  channel: Type.Optional(Type.Union([Type.Literal(''), ...CHANNELS.map((c) => Type.Literal(c))])),
  figure: Type.Optional(Type.Union(CASE_FIGURES.map((f) => Type.Literal(f)))),
};
type CaseQueryValues = { from?: string; to?: string; agency?: string; service?: string; channel?: '' | Channel; figure?: CaseFigure };

/** A case as the officer knows it: by its tracking number, which analytics' facts do not hold. */
type ListedCase = CaseRow & { trackingNumber: string | null };

async function withTrackingNumbers(db: Db, rows: CaseRow[]): Promise<ListedCase[]> {
  const applications = await findApplications(db, rows.map((r) => r.applicationId));
  return rows.map((r) => ({ ...r, trackingNumber: applications.get(r.applicationId)?.tracking_number ?? null }));
}

interface CaseList {
  filters: CaseFilters & { figure: CaseFigure };
  total: number;
  rows: ListedCase[];
  names: Names;
  reachable: Names['agencies'];
  nextHref: string | null;
  firstHref: string | null;
}

function CaseListPage({ ctx, list }: { ctx: PageContext; list: CaseList }) {
  const { t } = ctx;
  const { filters, names } = list;
  const figureName = t(`analytics.cases.figures.${filters.figure}`);
  const dashboard = `/agency/performance?${new URLSearchParams(Object.entries({ from: filters.from, to: filters.to, agency: filters.agency ?? '', service: filters.service ?? '' }).filter(([, v]) => v !== ''))}`;
  const yesNo = (v: boolean | null) => (v === null ? '—' : v ? t('analytics.cases.yes') : t('analytics.cases.no'));
  return (
    <>
      <h1>{t('analytics.cases.title', { figure: figureName })}</h1>
      <form method="get" action="/agency/performance/cases" class="filters">
        <PeriodFields ctx={ctx} period={filters} />
        <ScopeFields ctx={ctx} names={names} reachable={list.reachable} agency={filters.agency} service={filters.service} />
        <div>
          <label for="channel">{t('analytics.cases.channel')}</label>
          <select id="channel" name="channel">
            <option value="">{t('analytics.cases.allChannels')}</option>
            {CHANNELS.map((c) => <option value={c} selected={c === filters.channel}>{t(`analytics.cases.channels.${c}`)}</option>)}
          </select>
        </div>
        <div>
          <label for="figure">{t('analytics.cases.figure')}</label>
          <select id="figure" name="figure">
            {CASE_FIGURES.map((f) => <option value={f} selected={f === filters.figure}>{t(`analytics.cases.figures.${f}`)}</option>)}
          </select>
        </div>
        <div>
          <button type="submit">{t('analytics.show')}</button>
        </div>
      </form>
      <dl class="facts">
        <dt>{t('analytics.cases.total')}</dt>
        <dd>{formatNumber(ctx.locale, list.total)}</dd>
      </dl>
      <p class="hint">{t('analytics.cases.live')}</p>
      <ul>
        <li><a href={casesHref(filters, filters.figure, 'csv')}>{t('analytics.cases.csv')}</a></li>
        {(filters.figure === 'open' || filters.figure === 'overdue') && (
          <li><a href={`/work?${new URLSearchParams({ ...(filters.service ? { service: filters.service } : {}), ...(filters.figure === 'overdue' ? { overdue: 'true' } : {}) })}`}>{t('analytics.cases.worklist')}</a></li>
        )}
        <li><a href={dashboard}>{t('analytics.cases.back')}</a></li>
      </ul>
      {list.rows.length === 0 ? (
        <p>{t('analytics.cases.none')}</p>
      ) : (
        <TableRegion label={t('analytics.cases.caption')}>
          <table>
            <caption>{t('analytics.cases.caption')}</caption>
            <thead>
              <tr>{HEADINGS.map((key) => <th scope="col">{t(key)}</th>)}</tr>
            </thead>
            <tbody>
              {list.rows.map((r) => (
                <tr>
                  <th scope="row"><a href={`/work/cases/${encodeURIComponent(r.applicationId)}`}>{r.trackingNumber ?? r.applicationId}</a></th>
                  <td>{formatDateTime(ctx.locale, r.submittedAt)}</td>
                  <td>{names.service(r.serviceId)}</td>
                  <td>{t(`analytics.cases.channels.${r.channel}`)}</td>
                  <td>{t(`analytics.cases.outcomes.${r.outcome ?? 'open'}`)}</td>
                  <td>{r.decidedAt ? formatDateTime(ctx.locale, r.decidedAt) : '—'}</td>
                  <td>{days(ctx, r.netDays)}</td>
                  <td>{yesNo(r.withinLimit)}</td>
                  <td>{formatNumber(ctx.locale, r.informationRequests)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {(list.firstHref || list.nextHref) && (
        <nav aria-label={t('analytics.cases.caption')}>
          <ul>
            {list.firstHref && <li><a href={list.firstHref}>{t('analytics.cases.first')}</a></li>}
            {list.nextHref && <li><a href={list.nextHref} rel="next">{t('analytics.cases.next')}</a></li>}
          </ul>
        </nav>
      )}
    </>
  );
}

const CSV_COLUMNS = ['trackingNumber', 'applicationId', 'serviceId', 'agencyId', 'channel', 'submittedAt', 'outcome', 'decidedAt', 'netDays', 'timeLimitDays', 'withinLimit', 'informationRequests'] as const;

function csvLine(r: ListedCase): string {
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    trackingNumber: r.trackingNumber,
    applicationId: r.applicationId,
    serviceId: r.serviceId,
    agencyId: r.agencyId,
    channel: r.channel,
    submittedAt: r.submittedAt.toISOString(),
    outcome: r.outcome,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    netDays: Math.round(r.netDays * 100) / 100,
    timeLimitDays: r.timeLimitDays,
    withinLimit: r.withinLimit === null ? null : String(r.withinLimit),
    informationRequests: r.informationRequests,
  };
  return `${CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\r\n`;
}

/** The officers' lists of the cases behind each dashboard figure, as a page and as CSV. */
export function analyticsCasePages(db: Db, oidcLabel: string | null) {
  return async (app: App) => {
    /** The reader's scope for a list, refused (403) for an agency not theirs. */
    const scopeOf = async (request: FastifyRequest, ctx: PageContext, query: CaseQueryValues) => {
      const names = await namesFor(db, ctx);
      const { reachable, ...reader } = readerScope(requirePrincipal(request), names, query);
      const period = periodOf(query);
      const figure = query.figure ?? 'received';
      const scope: CaseScope = { ...period, ...reader, channel: query.channel || undefined, figure };
      const filters = { ...period, agency: query.agency, service: query.service, channel: query.channel, figure };
      return { names, reachable, scope, filters };
    };

    app.get('/agency/performance/cases', {
      config: { access: STAFF },
      schema: {
        summary: 'The cases behind a dashboard figure of my agencies, newest submission first, a page at a time',
        tags: ['web'],
        querystring: Type.Object({ ...CaseQuery, after: Type.Optional(Type.String({ maxLength: 140, pattern: CASE_POSITION })) }),
      },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const { names, reachable, scope, filters } = await scopeOf(request, ctx, request.query);
        const after = request.query.after === undefined ? undefined : readCasePosition(request.query.after);
        if (after === null) throw Problem.invalidField('/querystring/after', 'is not a position in this list');
        const [total, rows] = await Promise.all([figureTotal(db, scope), figureCases(db, scope, PAGE_SIZE, after).then((found) => withTrackingNumbers(db, found))]);
        const last = rows.at(-1);
        const list: CaseList = {
          filters,
          total,
          rows,
          names,
          reachable,
          nextHref: rows.length === PAGE_SIZE && last ? `${casesHref(filters, filters.figure)}&${new URLSearchParams({ after: casePosition(last.position) })}` : null,
          firstHref: after ? casesHref(filters, filters.figure) : null,
        };
        return sendPage(reply, ctx, { title: ctx.t('analytics.cases.title', { figure: ctx.t(`analytics.cases.figures.${filters.figure}`) }), body: <CaseListPage ctx={ctx} list={list} />, private: true });
      },
    });

    app.get('/agency/performance/cases.csv', {
      config: { access: STAFF },
      schema: {
        summary: `The whole list of the cases behind a dashboard figure of my agencies, as CSV (RFC 4180, UTF-8, a header row: ${CSV_COLUMNS.join(', ')})`,
        tags: ['analytics'],
        querystring: Type.Object(CaseQuery),
      },
      handler: async (request, reply) => {
        const { scope, filters } = await scopeOf(request, pageContext(request, reply, oidcLabel), request.query);
        async function* lines() {
          yield `${CSV_COLUMNS.join(',')}\r\n`;
          let after: CasePosition | undefined;
          for (;;) {
            const rows = await figureCases(db, scope, CSV_BATCH, after);
            for (const r of await withTrackingNumbers(db, rows)) yield csvLine(r);
            if (rows.length < CSV_BATCH) return;
            after = rows.at(-1)!.position;
          }
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="cases-${filters.figure}-${filters.from}-${filters.to}.csv"`)
          .header('cache-control', 'private, no-store')
          .send(Readable.from(lines()));
      },
    });
  };
}
