import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { access } from '../../platform/http/access.ts';
import type { Problem } from '../../platform/http/problem.ts';
import type { App } from '../../platform/http/server.ts';
import { ASSETS } from '../assets.ts';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { renderPage } from '../render.tsx';

function HomePage({ ctx }: { ctx: PageContext }) {
  const { t, principal } = ctx;
  return (
    <>
      <h1>{t('home.title')}</h1>
      <p class="lead">{t('home.lead')}</p>
      <ul class="cards">
        <li>
          <h2>{t('home.citizensTitle')}</h2>
          <p>{t('home.citizensText')}</p>
          {!principal && <a href="/register">{t('signIn.register')}</a>}
        </li>
        <li>
          <h2>{t('home.officersTitle')}</h2>
          <p>{t('home.officersText')}</p>
          {!principal && <a href="/sign-in">{t('nav.signIn')}</a>}
        </li>
        <li>
          <h2>{t('home.developersTitle')}</h2>
          <p>{t('home.developersText')}</p>
          <a href="/api">{t('nav.api')}</a>
        </li>
      </ul>
    </>
  );
}

const ERROR_KEYS: Record<number, string> = { 400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'notFound', 405: 'methodNotAllowed', 413: 'tooLarge', 415: 'badRequest', 429: 'tooMany' };

function ErrorPage({ ctx, problem, requestId }: { ctx: PageContext; problem: Problem; requestId: string }) {
  const { t } = ctx;
  const key = ERROR_KEYS[problem.status] ?? (problem.status >= 500 ? 'server' : 'badRequest');
  return (
    <>
      <h1>{t(`errors.${key}.title`)}</h1>
      <p class="lead">{t(`errors.${key}.text`)}</p>
      {problem.status < 500 && ![401, 403, 404].includes(problem.status) && <p>{problem.detail}</p>}
      {problem.status === 401 && (
        <p><a class="button" href={`/sign-in?next=${encodeURIComponent(ctx.path)}`}>{t('nav.signIn')}</a></p>
      )}
      <p><a href="/">{t('errors.home')}</a></p>
      <p class="muted">{t('errors.reference', { id: requestId })}</p>
    </>
  );
}

export function renderErrorPage(oidcLabel: string | null) {
  return async (request: FastifyRequest, reply: FastifyReply, problem: Problem) => {
    const ctx = pageContext(request, reply, oidcLabel);
    return renderPage(ctx, { title: ctx.t(`errors.${ERROR_KEYS[problem.status] ?? (problem.status >= 500 ? 'server' : 'badRequest')}.title`), body: <ErrorPage ctx={ctx} problem={problem} requestId={request.id} /> });
  };
}

interface Operation {
  method: string;
  path: string;
  summary: string;
  access: string;
  tag: string;
}

function ApiReferencePage({ ctx, operations }: { ctx: PageContext; operations: Operation[] }) {
  const { t } = ctx;
  const tags = [...new Set(operations.map((o) => o.tag))].sort();
  return (
    <>
      <h1>{t('api.title')}</h1>
      <p class="lead">{t('api.lead')}</p>
      <p><a href="/openapi.json">openapi.json</a></p>
      {tags.map((tag) => (
        <section aria-labelledby={`tag-${tag}`}>
          <h2 id={`tag-${tag}`}>{tag}</h2>
          <TableRegion label={tag}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('api.operation')}</th>
                  <th scope="col">{t('api.summary')}</th>
                  <th scope="col">{t('api.access')}</th>
                </tr>
              </thead>
              <tbody>
                {operations.filter((o) => o.tag === tag).map((o) => (
                  <tr>
                    <td><code>{`${o.method} ${o.path}`}</code></td>
                    {/* Route summaries exist only in English: marked so, screen readers switch voice (WCAG 3.1.2). */}
                    <td><bdi lang="en">{o.summary}</bdi></td>
                    <td><bdi lang="en">{o.access}</bdi></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </section>
      ))}
    </>
  );
}

function operationsOf(document: unknown): Operation[] {
  const paths = (document as { paths?: Record<string, Record<string, { summary?: string; tags?: string[]; 'x-access'?: string }>> }).paths ?? {};
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, summary: op.summary ?? '', access: op['x-access'] ?? '', tag: op.tags?.[0] ?? 'web' })),
  );
}

/** Home, the API reference, hashed static assets. */
export function sitePages(oidcLabel: string | null) {
  return async (app: App) => {
    app.get('/', {
      config: { access: access.public },
      schema: { summary: 'Home page', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: ctx.t('home.title'), body: <HomePage ctx={ctx} /> }));
      },
    });

    app.get('/api', {
      config: { access: access.public },
      schema: { summary: 'API reference, readable without JavaScript', tags: ['web'] },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title: ctx.t('api.title'), body: <ApiReferencePage ctx={ctx} operations={operationsOf(app.swagger())} /> }));
      },
    });

    app.get('/assets/:file', {
      config: { access: access.public },
      schema: { summary: 'Static assets, named by content hash', tags: ['web'], params: Type.Object({ file: Type.String({ pattern: '^[a-z0-9-]+\\.[0-9a-f]{12}\\.(css|svg|js)$' }) }) },
      handler: async (request, reply) => {
        const asset = ASSETS.get(`/assets/${request.params.file}`);
        if (!asset) return reply.callNotFound();
        return reply.type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
      },
    });
  };
}
