import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, agenciesReached } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import { JobIdParams, JobState, retryDeadJob, type RetryAudit } from '../../platform/jobs/routes.ts';
import type { JobQueue, JobRow } from '../../platform/jobs/queue.ts';
import { AUDIT_READERS, distinctActions, findEntries, type AuditEntryView } from '../../blocks/audit/index.ts';
import { listAgencies, type Agency } from '../../blocks/identity/index.ts';
import { CsrfField } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { renderPage } from '../render.tsx';

const PAGE_SIZE = 50;

interface AuditFilters {
  agency?: string;
  action?: string;
  before?: number;
}

function agencyName(ctx: PageContext, agency: Agency | undefined): string {
  if (!agency) return '';
  return agency.names[ctx.locale] ?? agency.names.en ?? agency.code;
}

function AuditPage({ ctx, entries, agencies, actions, filters }: { ctx: PageContext; entries: AuditEntryView[]; agencies: Agency[]; actions: string[]; filters: AuditFilters }) {
  const { t } = ctx;
  const byId = new Map(agencies.map((a) => [a.id, a]));
  const next = entries.length === PAGE_SIZE ? entries[entries.length - 1]!.id : null;
  const nextHref = next ? `/admin/audit?${new URLSearchParams({ ...(filters.agency ? { agency: filters.agency } : {}), ...(filters.action ? { action: filters.action } : {}), before: String(next) })}` : null;
  return (
    <>
      <h1>{t('audit.title')}</h1>
      <p class="lead">{t('audit.lead')}</p>
      <form method="get" action="/admin/audit" class="stack">
        <div>
          <label for="agency">{t('audit.agency')}</label>
          <select id="agency" name="agency">
            <option value="">{t('audit.all')}</option>
            {agencies.map((a) => <option value={a.id} selected={a.id === filters.agency}>{agencyName(ctx, a)}</option>)}
          </select>
        </div>
        <div>
          <label for="action">{t('audit.action')}</label>
          <select id="action" name="action">
            <option value="">{t('audit.all')}</option>
            {actions.map((a) => <option value={a} selected={a === filters.action}>{a}</option>)}
          </select>
        </div>
        <div><button type="submit">{t('audit.filter')}</button></div>
      </form>
      <TableRegion label={t('audit.title')}>
        <table>
          <caption class="muted">{t('audit.caption', { count: entries.length })}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('audit.when')}</th>
              <th scope="col">{t('audit.who')}</th>
              <th scope="col">{t('audit.action')}</th>
              <th scope="col">{t('audit.subject')}</th>
              <th scope="col">{t('audit.agency')}</th>
              <th scope="col">{t('audit.chain')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr>
                <td>{e.id}</td>
                <td>{formatDateTime(ctx.locale, e.occurredAt)}</td>
                <td>{e.actorName ?? e.actorType}</td>
                <td><code>{e.action}</code></td>
                <td>{`${e.subjectType}${e.subjectId ? ` ${e.subjectId.slice(0, 8)}` : ''}`}</td>
                <td>{agencyName(ctx, byId.get(e.agencyId ?? ''))}</td>
                <td>{e.chainSeq === null ? t('audit.pending') : `#${e.chainSeq}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      {nextHref && <p class="pager"><a href={nextHref}>{t('audit.older')}</a></p>}
    </>
  );
}

function JobsPage({ ctx, counts, jobs, state }: { ctx: PageContext; counts: Record<string, number>; jobs: JobRow[]; state: string }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('jobs.title')}</h1>
      <p class="lead">{t('jobs.lead')}</p>
      <ul class="cards">
        {(['pending', 'running', 'dead', 'done'] as const).map((s) => (
          <li>
            <a href={`/admin/jobs?state=${s}`} aria-current={s === state ? 'page' : undefined}>{t(`jobs.state.${s}`)}</a>: <strong>{counts[s] ?? 0}</strong>
          </li>
        ))}
      </ul>
      <TableRegion label={t(`jobs.state.${state}`)}>
        <table>
          <caption>{t(`jobs.state.${state}`)}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('jobs.task')}</th>
              <th scope="col">{t('jobs.attempts')}</th>
              <th scope="col">{t('jobs.lastError')}</th>
              <th scope="col">{t('jobs.created')}</th>
              {state === 'dead' && <th scope="col">{t('jobs.retry')}</th>}
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr>
                <td>{job.id}</td>
                <td><code>{job.task}</code></td>
                <td>{`${job.attempts}/${job.max_attempts}`}</td>
                <td>{job.last_error ?? ''}</td>
                <td>{formatDateTime(ctx.locale, job.created_at)}</td>
                {state === 'dead' && (
                  <td>
                    <form method="post" action={`/admin/jobs/${job.id}/retry`}>
                      <CsrfField ctx={ctx} />
                      <button class="secondary" type="submit" aria-label={t('jobs.retryJob', { id: job.id })}>{t('jobs.retry')}</button>
                    </form>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </>
  );
}

/** The audit log and the job queue, for the staff allowed to see them. */
export function adminPages({ db, jobs, retryAudit, oidcLabel }: { db: Db; jobs: JobQueue; retryAudit: RetryAudit; oidcLabel: string | null }) {
  return async (app: App) => {
    app.get('/admin/audit', {
      config: { access: access.roles(...AUDIT_READERS) },
      schema: {
        summary: 'Audit log page',
        tags: ['web'],
        querystring: Type.Object({
          agency: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'uuid' })])),
          action: Type.Optional(Type.String({ maxLength: 80, pattern: '^[a-z0-9.-]*$' })),
          before: Type.Optional(Type.Integer({ minimum: 1 })),
          lang: Type.Optional(Type.String({ maxLength: 5 })),
        }),
      },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const reach = agenciesReached(request.principal, AUDIT_READERS);
        const filters: AuditFilters = { agency: request.query.agency || undefined, action: request.query.action || undefined, before: request.query.before };
        const [entries, allAgencies, actions] = await Promise.all([
          findEntries(db, { agencies: reach, agencyId: filters.agency, action: filters.action, beforeId: filters.before, limit: PAGE_SIZE }),
          listAgencies(db),
          distinctActions(db),
        ]);
        const agencies = reach === 'all' ? allAgencies : allAgencies.filter((a) => reach.has(a.id));
        return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: ctx.t('audit.title'), body: <AuditPage ctx={ctx} entries={entries} agencies={agencies} actions={actions} filters={filters} /> }));
      },
    });

    app.get('/admin/jobs', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Job queue page', tags: ['web'], querystring: Type.Object({ state: Type.Optional(JobState), lang: Type.Optional(Type.String({ maxLength: 5 })) }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const state = request.query.state ?? 'dead';
        const [counts, list] = await Promise.all([jobs.stats(), jobs.list(state, PAGE_SIZE)]);
        return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: ctx.t('jobs.title'), body: <JobsPage ctx={ctx} counts={{ ...counts }} jobs={list} state={state} /> }));
      },
    });

    app.post('/admin/jobs/:id/retry', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Retry a dead job (form)', tags: ['web'], params: JobIdParams, body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        if (!(await retryDeadJob(db, jobs, request, request.params.id, retryAudit))) throw Problem.conflict('Only a dead job can be retried.');
        return reply.redirect('/admin/jobs?state=dead', 303);
      },
    });
  };
}
