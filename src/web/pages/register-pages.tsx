import { Type } from '@sinclair/typebox';
import { answersAsText, pickText, publicRegister, RegisterQuery, type RegisterEntry, type ServiceDefinition } from '../../blocks/registration/index.ts';
import type { Db } from '../../platform/db/database.ts';
import { access } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDate } from '../../platform/i18n/index.ts';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { renderPage } from '../render.tsx';

const PAGE_SIZE = 50;

function RegisterPage({ ctx, definition, entries, olderHref }: { ctx: PageContext; definition: ServiceDefinition; entries: RegisterEntry[]; olderHref: string | null }) {
  const { t } = ctx;
  const fields = definition.register!.fields.map((id) => definition.form.steps.flatMap((s) => s.fields).find((f) => f.id === id)!);
  const title = t('publicRegister.title', { service: pickText(definition.title, ctx.locale) });
  return (
    <>
      <h1>{title}</h1>
      {definition.register!.description && <p>{pickText(definition.register!.description, ctx.locale)}</p>}
      <p>{t('publicRegister.about')}</p>
      {entries.length === 0 ? (
        <p>{t('publicRegister.none')}</p>
      ) : (
        <TableRegion label={title}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('publicRegister.number')}</th>
                <th scope="col">{t('publicRegister.grantedOn')}</th>
                {fields.map((f) => (
                  <th scope="col">{pickText(f.label, ctx.locale)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => {
                const shown = answersAsText(definition, Object.fromEntries(Object.entries(entry.values).filter(([, v]) => v !== null)) as Record<string, string>, ctx.locale);
                return (
                  <tr>
                    <td>
                      <bdi>{entry.trackingNumber}</bdi>
                    </td>
                    <td>{formatDate(ctx.locale, entry.grantedAt)}</td>
                    {fields.map((f) => (
                      <td>{shown[f.id] === undefined ? '' : String(shown[f.id])}</td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      )}
      {olderHref && (
        <p>
          <a href={olderHref}>{t('publicRegister.older')}</a>
        </p>
      )}
      <p>
        <a href={`/api/registration/registers/${definition.id}`} type="application/json">
          {t('publicRegister.json')}
        </a>
      </p>
    </>
  );
}

/** The public register of a service's granted applications, for anyone, without signing in. */
export function registerPages({ db, oidcLabel }: { db: Db; oidcLabel: string | null }) {
  return async (app: App) => {
    app.get('/services/:code/register', {
      config: { access: access.public },
      schema: {
        summary: 'Public register of the granted applications of a service (permits granted), without personal data',
        tags: ['web'],
        params: Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) }, { additionalProperties: false }),
        querystring: Type.Object({ ...RegisterQuery.properties, lang: Type.Optional(Type.String({ maxLength: 5 })) }, { additionalProperties: false }),
      },
      handler: async (request, reply) => {
        const register = await publicRegister(db, request.params.code, { before: request.query.before, limit: PAGE_SIZE });
        if (!register) throw Problem.notFound('No service keeps a public register under this id.');
        const ctx = pageContext(request, reply, oidcLabel);
        const last = register.entries.length === PAGE_SIZE ? register.entries.at(-1)! : null;
        const olderHref = last ? `/services/${request.params.code}/register?before=${encodeURIComponent(last.position)}` : null;
        const title = ctx.t('publicRegister.title', { service: pickText(register.definition.title, ctx.locale) });
        return reply.type('text/html; charset=utf-8').send(renderPage(ctx, { title, body: <RegisterPage ctx={ctx} definition={register.definition} entries={register.entries} olderHref={olderHref} /> }));
      },
    });
  };
}
