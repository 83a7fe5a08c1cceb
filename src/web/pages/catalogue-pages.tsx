import { Type } from '@sinclair/typebox';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { actorOf } from '../../blocks/audit/index.ts';
import {
  digitisationTable,
  findServiceByCode,
  importStatus,
  LIFE_EVENTS,
  pick,
  queueImport,
  SearchQuery,
  searchServices,
  STATUSES,
  agencyIndex,
  type ImportStatus,
  type StoredService,
} from '../../blocks/catalogue/index.ts';
import type { Agency } from '../../blocks/identity/index.ts';
import { CsrfField } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { renderPage } from '../render.tsx';

const PAGE_SIZE = 20;

function agencyName(ctx: PageContext, agency: Agency | undefined): string {
  return agency ? pick(agency.names, ctx.locale) || agency.code : '';
}

function ServiceSearchPage({ ctx, query, services, total, agencies }: { ctx: PageContext; query: SearchQuery; services: StoredService[]; total: number; agencies: Map<string, Agency> }) {
  const { t } = ctx;
  const nextParams = new URLSearchParams(Object.entries({ q: query.q, agency: query.agency, lifeEvent: query.lifeEvent, status: query.status }).filter((e): e is [string, string] => Boolean(e[1])));
  if (services.length === PAGE_SIZE) nextParams.set('after', services[services.length - 1]!.code);
  return (
    <>
      <h1>{t('catalogue.title')}</h1>
      <p class="lead">{t('catalogue.lead')}</p>
      <form method="get" action="/services" role="search" class="stack">
        <div>
          <label for="q">{t('catalogue.search')}</label>
          <input id="q" name="q" type="search" value={query.q ?? ''} maxLength={200} />
        </div>
        <div>
          <label for="agency">{t('catalogue.agency')}</label>
          <select id="agency" name="agency">
            <option value="">{t('catalogue.any')}</option>
            {[...agencies.values()].map((a) => <option value={a.code} selected={a.code === query.agency}>{agencyName(ctx, a)}</option>)}
          </select>
        </div>
        <div>
          <label for="lifeEvent">{t('catalogue.lifeEvent')}</label>
          <select id="lifeEvent" name="lifeEvent">
            <option value="">{t('catalogue.any')}</option>
            {LIFE_EVENTS.map((e) => <option value={e} selected={e === query.lifeEvent}>{t(`catalogue.lifeEvents.${e}`)}</option>)}
          </select>
        </div>
        <div>
          <label for="status">{t('catalogue.status')}</label>
          <select id="status" name="status">
            <option value="">{t('catalogue.any')}</option>
            {STATUSES.map((s) => <option value={s} selected={s === query.status}>{t(`catalogue.statuses.${s}`)}</option>)}
          </select>
        </div>
        <div><button type="submit">{t('catalogue.searchButton')}</button></div>
      </form>
      <h2 role="status">{t('catalogue.results', { count: total })}</h2>
      <ul class="cards">
        {services.map((s) => (
          <li>
            <h3><a href={`/services/${s.code}`}>{pick(s.titles, ctx.locale)}</a></h3>
            <p class="muted">{agencyName(ctx, agencies.get(s.agencyId))}</p>
            <p><span class="tag">{t(`catalogue.statuses.${s.status}`)}</span></p>
          </li>
        ))}
      </ul>
      {nextParams.has('after') && <p class="pager"><a href={`/services?${nextParams}`}>{t('catalogue.more')}</a></p>}
      <p>{t('catalogue.openData')} <a href="/api/catalogue/export.csv">CSV</a> · <a href="/api/catalogue/export.json">JSON</a></p>
    </>
  );
}

function ServicePage({ ctx, service, agency }: { ctx: PageContext; service: StoredService; agency: Agency | undefined }) {
  const { t } = ctx;
  const section = (title: string, text: Record<string, string>) => {
    const value = pick(text, ctx.locale);
    return value ? (
      <>
        <h2>{title}</h2>
        <p>{value}</p>
      </>
    ) : null;
  };
  return (
    <>
      <h1>{pick(service.titles, ctx.locale)}</h1>
      <p class="lead">{pick(service.descriptions, ctx.locale)}</p>
      {service.definitionId && (
        <p>
          <a class="button" href={`/apply/${service.definitionId}`}>{t('catalogue.apply')}</a>
        </p>
      )}
      <dl>
        <dt>{t('catalogue.agency')}</dt>
        <dd>{agencyName(ctx, agency)}</dd>
        <dt>{t('catalogue.status')}</dt>
        <dd>{t(`catalogue.statuses.${service.status}`)}</dd>
        <dt>{t('catalogue.channels')}</dt>
        <dd>{service.channels.map((c) => t(`catalogue.channelNames.${c}`)).join(', ') || '—'}</dd>
        <dt>{t('catalogue.timeLimit')}</dt>
        <dd>{service.timeLimitDays === null ? '—' : t('catalogue.days', { count: service.timeLimitDays })}</dd>
        {service.lifeEvents.length > 0 && (
          <>
            <dt>{t('catalogue.lifeEvent')}</dt>
            <dd>{service.lifeEvents.map((e) => t(`catalogue.lifeEvents.${e}`)).join(', ')}</dd>
          </>
        )}
      </dl>
      {section(t('catalogue.eligibility'), service.eligibility)}
      {section(t('catalogue.documents'), service.documents)}
      {section(t('catalogue.fees'), service.feeSummary)}
      {section(t('catalogue.legalBasis'), service.legalBasis)}
      <p><a href="/services">{t('catalogue.back')}</a></p>
    </>
  );
}

function DashboardPage({ ctx, table, agencies, canImport }: { ctx: PageContext; table: Awaited<ReturnType<typeof digitisationTable>>; agencies: Map<string, Agency>; canImport: boolean }) {
  const { t } = ctx;
  const byCode = new Map([...agencies.values()].map((a) => [a.code, a]));
  const totals = table.reduce((sum, row) => ({ paper: sum.paper + row.paper, partly: sum.partly + row['partly-online'], fully: sum.fully + row['fully-online'] }), { paper: 0, partly: 0, fully: 0 });
  return (
    <>
      <h1>{t('catalogue.dashboard')}</h1>
      <TableRegion label={t('catalogue.dashboardCaption')}>
        <table>
          <caption>{t('catalogue.dashboardCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('catalogue.agency')}</th>
              {STATUSES.map((s) => <th scope="col">{t(`catalogue.statuses.${s}`)}</th>)}
            </tr>
          </thead>
          <tbody>
            {table.map((row) => (
              <tr>
                <th scope="row">{agencyName(ctx, byCode.get(row.agency))}</th>
                <td>{row.paper}</td>
                <td>{row['partly-online']}</td>
                <td>{row['fully-online']}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{t('catalogue.total')}</th>
              <td>{totals.paper}</td>
              <td>{totals.partly}</td>
              <td>{totals.fully}</td>
            </tr>
          </tfoot>
        </table>
      </TableRegion>
      {canImport && (
        <>
          <h2>{t('catalogue.importTitle')}</h2>
          <p>{t('catalogue.importHelp')} <a href="/api/catalogue/export.csv">{t('catalogue.importExample')}</a></p>
          <form class="stack" method="post" action="/admin/catalogue/imports" enctype="multipart/form-data">
            <CsrfField ctx={ctx} />
            <div>
              <label for="file">{t('catalogue.importFile')}</label>
              <input id="file" name="file" type="file" accept=".csv,text/csv" required />
            </div>
            <div><button type="submit">{t('catalogue.importSubmit')}</button></div>
          </form>
        </>
      )}
    </>
  );
}

function ImportPage({ ctx, status }: { ctx: PageContext; status: ImportStatus }) {
  const { t } = ctx;
  const percent = status.totalRows > 0 ? Math.round((status.processedRows / status.totalRows) * 100) : 0;
  return (
    <>
      <h1>{t('catalogue.importTitle')}</h1>
      <p>{`${status.fileName} · ${formatDateTime(ctx.locale, status.createdAt)}`}</p>
      <p role="status">{t(`catalogue.importStates.${status.state}`)}</p>
      {(status.state === 'queued' || status.state === 'running') && (
        <p>
          <label for="progress">{t('catalogue.importProgress', { done: status.processedRows, total: status.totalRows })}</label>
          <progress id="progress" max={100} value={percent}>{`${percent}%`}</progress>
        </p>
      )}
      {status.state === 'failed' && (
        <TableRegion label={t('catalogue.importErrors', { count: status.errors.length })}>
          <table>
            <caption>{t('catalogue.importErrors', { count: status.errors.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('catalogue.line')}</th>
                <th scope="col">{t('catalogue.column')}</th>
                <th scope="col">{t('catalogue.problem')}</th>
              </tr>
            </thead>
            <tbody>
              {status.errors.map((e) => (
                <tr>
                  <td>{e.line}</td>
                  <td><code>{e.column}</code></td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <p><a href="/admin/catalogue">{t('catalogue.dashboard')}</a></p>
    </>
  );
}

const html = 'text/html; charset=utf-8';

/** The public register of services, its digitisation dashboard and the CSV import. */
export function cataloguePages({ db, jobs, oidcLabel }: { db: Db; jobs: JobQueue; oidcLabel: string | null }) {
  return async (app: App) => {
    app.get('/services', {
      config: { access: access.public },
      schema: { summary: 'Find a public service', tags: ['web'], querystring: SearchQuery },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const query = { ...request.query, limit: PAGE_SIZE };
        const [{ services, total }, { byId }] = await Promise.all([searchServices(db, query), agencyIndex(db)]);
        return reply.type(html).send(renderPage(ctx, { title: ctx.t('catalogue.title'), body: <ServiceSearchPage ctx={ctx} query={query} services={services} total={total} agencies={byId} /> }));
      },
    });

    app.get('/services/:code', {
      config: { access: access.public },
      schema: { summary: 'A public service: who may apply, documents, fees, time limit', tags: ['web'], params: Type.Object({ code: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,79}$' }) }) },
      handler: async (request, reply) => {
        const service = await findServiceByCode(db, request.params.code);
        if (!service) throw Problem.notFound('No public service has this code.');
        const ctx = pageContext(request, reply, oidcLabel);
        const { byId } = await agencyIndex(db);
        return reply.type(html).send(renderPage(ctx, { title: pick(service.titles, ctx.locale), body: <ServicePage ctx={ctx} service={service} agency={byId.get(service.agencyId)} /> }));
      },
    });

    app.get('/admin/catalogue', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: { summary: 'Digitisation dashboard and import', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const [table, { byId }] = await Promise.all([digitisationTable(db), agencyIndex(db)]);
        const canImport = requirePrincipal(request).reach.get('admin') === 'all';
        return reply.type(html).send(renderPage(ctx, { title: ctx.t('catalogue.dashboard'), body: <DashboardPage ctx={ctx} table={table} agencies={byId} canImport={canImport} /> }));
      },
    });

    app.post('/admin/catalogue/imports', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Upload a CSV of services (form)', tags: ['web'], consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        const file = (request.body as Record<string, MultipartFile | MultipartValue | undefined> | undefined)?.file;
        if (!file || file.type !== 'file' || !file.filename) throw Problem.invalidField('/body/file', 'choose a CSV file to upload');
        let content: string;
        try {
          content = new TextDecoder('utf-8', { fatal: true }).decode(await file.toBuffer());
        } catch {
          throw Problem.invalidField('/body/file', 'the file is not UTF-8 text; save it as "CSV UTF-8"');
        }
        const id = await queueImport(db, jobs, { fileName: file.filename.slice(0, 200), content, actor: actorOf(request.principal), requestId: request.id });
        return reply.redirect(`/admin/catalogue/imports/${id}`, 303);
      },
    });

    app.get('/admin/catalogue/imports/:id', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Import progress and report', tags: ['web'], params: Type.Object({ id: Uuid }) },
      handler: async (request, reply) => {
        const status = await importStatus(db, request.params.id);
        if (!status) throw Problem.notFound('No import has this id.');
        const ctx = pageContext(request, reply, oidcLabel);
        // Without JavaScript the page refreshes itself while the import runs.
        if (status.state === 'queued' || status.state === 'running') reply.header('refresh', '2');
        return reply.type(html).send(renderPage(ctx, { title: ctx.t('catalogue.importTitle'), body: <ImportPage ctx={ctx} status={status} /> }));
      },
    });
  };
}
