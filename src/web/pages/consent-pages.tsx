import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDate, formatDateTime } from '../../platform/i18n/index.ts';
import { findServiceByCode, pick } from '../../blocks/catalogue/index.ts';
import { nationalIdOf } from '../../blocks/consent/consents.ts';
import { agreementsById, giveAs, withdrawAs } from '../../blocks/consent/routes.ts';
import { consentsOf, type Agreement, type ConsentRecord } from '../../blocks/consent/store.ts';
import { listAgencies, type Agency } from '../../blocks/identity/index.ts';
import { dataUsesOf, dataUseSummary, listRegistries, type DataUse, type DataUseSummary, type Registry } from '../../blocks/registries/index.ts';
import { CsrfField, FormText } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

const PAGE_SIZE = 50;
const Lang = { lang: Type.Optional(Type.String({ maxLength: 5 })) };

interface Names {
  agencies: Map<string, Agency>;
  registries: Map<string, Registry>;
}

async function names(db: Db): Promise<Names> {
  const [agencies, registries] = await Promise.all([listAgencies(db), listRegistries(db)]);
  return { agencies: new Map(agencies.map((a) => [a.id, a])), registries: new Map(registries.map((r) => [r.code, r])) };
}

function agencyName(ctx: PageContext, names: Names, id: string | null): string {
  const agency = id ? names.agencies.get(id) : undefined;
  return agency ? pick(agency.names, ctx.locale) || agency.code : '';
}

function registryName(ctx: PageContext, names: Names, code: string): string {
  return pick(names.registries.get(code)?.definition.names ?? {}, ctx.locale) || code;
}

function When({ ctx, at, day = false }: { ctx: PageContext; at: Date; day?: boolean }) {
  return <time dateTime={at.toISOString()}>{day ? formatDate(ctx.locale, at) : formatDateTime(ctx.locale, at)}</time>;
}

function NoNationalId({ ctx }: { ctx: PageContext }) {
  return <p class="notice">{ctx.t('consent.noNationalId')}</p>;
}

function ConsentsPage({ ctx, names, consents, agreements, notice }: { ctx: PageContext; names: Names; consents: ConsentRecord[]; agreements: Map<string, Agreement>; notice: string | null }) {
  const { t } = ctx;
  const current = new Set(consents.filter((c) => c.status === 'active').map((c) => c.agreementId));
  const available = [...agreements.values()].filter((a) => a.active && !current.has(a.id));
  return (
    <>
      <h1>{t('consent.title')}</h1>
      <p class="lead">{t('consent.lead')}</p>
      {notice && <p class="notice" role="status">{notice}</p>}
      <h2>{t('consent.yours')}</h2>
      {consents.length === 0 ? (
        <p>{t('consent.none')}</p>
      ) : (
        <TableRegion label={t('consent.yours')}>
          <table>
            <caption class="visually-hidden">{t('consent.yours')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('consent.purpose')}</th>
                <th scope="col">{t('consent.data')}</th>
                <th scope="col">{t('consent.recipient')}</th>
                <th scope="col">{t('consent.given')}</th>
                <th scope="col">{t('consent.until')}</th>
                <th scope="col">{t('consent.status')}</th>
              </tr>
            </thead>
            <tbody>
              {consents.map((c) => {
                const agreement = agreements.get(c.agreementId)!;
                const purpose = pick(agreement.names, ctx.locale);
                return (
                  <tr>
                    <th scope="row">{purpose}</th>
                    <td>{t('consent.dataOf', { registry: registryName(ctx, names, agreement.registry), fields: agreement.fields.join(', ') })}</td>
                    <td>{agencyName(ctx, names, agreement.recipientAgencyId)}</td>
                    <td>
                      <When ctx={ctx} at={c.givenAt} day />
                      {c.paperReason && <span class="hint">{t('consent.onPaper', { agency: agencyName(ctx, names, c.givenByAgencyId) })}</span>}
                    </td>
                    <td>{c.expiresAt ? <When ctx={ctx} at={c.expiresAt} day /> : t('consent.untilWithdrawn')}</td>
                    <td>
                      <span class={`tag consent-${c.status}`}>{t(`consent.statuses.${c.status}`)}</span>
                      {c.status === 'active' && (
                        <form method="post" action={`/account/consents/${c.id}/withdraw`}>
                          <CsrfField ctx={ctx} />
                          <button class="secondary" type="submit">{t('consent.withdraw')}<span class="visually-hidden">{` ${t('consent.withdrawWhat', { purpose })}`}</span></button>
                        </form>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      )}
      <h2>{t('consent.available')}</h2>
      {available.length === 0 ? (
        <p>{t('consent.availableNone')}</p>
      ) : (
        <ul class="cards">
          {available.map((a) => {
            const purpose = pick(a.names, ctx.locale);
            return (
              <li>
                <h3>{purpose}</h3>
                {pick(a.descriptions, ctx.locale) && <p>{pick(a.descriptions, ctx.locale)}</p>}
                <dl class="details">
                  <dt>{t('consent.data')}</dt>
                  <dd>{t('consent.dataOf', { registry: registryName(ctx, names, a.registry), fields: a.fields.join(', ') })}</dd>
                  <dt>{t('consent.recipient')}</dt>
                  <dd>{agencyName(ctx, names, a.recipientAgencyId)}</dd>
                  <dt>{t('consent.until')}</dt>
                  <dd>{a.validityDays ? t('consent.validity', { days: a.validityDays }) : t('consent.untilWithdrawn')}</dd>
                </dl>
                <form method="post" action="/account/consents">
                  <CsrfField ctx={ctx} />
                  <input type="hidden" name="agreement" value={a.code} />
                  <button type="submit">{t('consent.give')}<span class="visually-hidden">{` ${t('consent.giveWhat', { purpose })}`}</span></button>
                </form>
              </li>
            );
          })}
        </ul>
      )}
      <p><a href="/account/data-use">{t('consent.dataUseLink')}</a></p>
    </>
  );
}

function whoUsed(ctx: PageContext, names: Names, use: { agencyId: string | null; organisation: string | null; bySystem: boolean }): string {
  if (use.organisation) return use.organisation;
  if (use.agencyId) return agencyName(ctx, names, use.agencyId);
  return use.bySystem ? ctx.t('consent.dataUse.system') : ctx.t('consent.dataUse.administration');
}

function DataUsePage({ ctx, names, uses, summary, services, before }: { ctx: PageContext; names: Names; uses: DataUse[]; summary: DataUseSummary[]; services: Map<string, string>; before: number | undefined }) {
  const { t } = ctx;
  const older = uses.length === PAGE_SIZE ? uses[uses.length - 1]!.id : null;
  return (
    <>
      <h1>{t('consent.dataUse.title')}</h1>
      <p class="lead">{t('consent.dataUse.lead')}</p>
      {summary.length === 0 ? (
        <p>{t('consent.dataUse.none')}</p>
      ) : (
        <>
          {!before && (
            <>
              <h2>{t('consent.dataUse.byAgency')}</h2>
              <ul>
                {summary.map((s) => (
                  <li>{t('consent.dataUse.summaryItem', { who: whoUsed(ctx, names, s), count: s.uses })} <When ctx={ctx} at={s.lastAt} /></li>
                ))}
              </ul>
            </>
          )}
          <h2>{t('consent.dataUse.every')}</h2>
          <TableRegion label={t('consent.dataUse.every')}>
            <table>
              <caption class="visually-hidden">{t('consent.dataUse.every')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('consent.dataUse.when')}</th>
                  <th scope="col">{t('consent.dataUse.who')}</th>
                  <th scope="col">{t('consent.dataUse.what')}</th>
                  <th scope="col">{t('consent.dataUse.why')}</th>
                </tr>
              </thead>
              <tbody>
                {uses.map((u) => (
                  <tr>
                    <td><When ctx={ctx} at={u.at} /></td>
                    <td>
                      {whoUsed(ctx, names, { agencyId: u.agencyId, organisation: u.organisation?.name ?? null, bySystem: u.actor.type === 'system' })}
                      {u.via && <span class="hint">{t('consent.dataUse.via', { via: u.via })}</span>}
                    </td>
                    <td>
                      {t(`consent.dataUse.actions.${u.action}`, { registry: pick(u.registry.names, ctx.locale) || u.registry.code })}
                      {u.fields.length > 0 && <span class="hint">{u.fields.join(', ')}</span>}
                    </td>
                    <td>
                      {u.service ? (services.get(u.service) ?? u.service) : u.reason}
                      {u.service && <span class="hint">{u.reason}</span>}
                      {u.caseId && <span class="hint">{t('consent.dataUse.case', { caseId: u.caseId })}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
          {older && <p class="pager"><a href={`/account/data-use?before=${older}`}>{t('consent.dataUse.older')}</a></p>}
        </>
      )}
      <p><a href="/account/consents">{t('consent.consentsLink')}</a></p>
    </>
  );
}

/** The signed-in citizen's consents and the uses of their data. */
export function consentPages({ db, oidcLabel }: { db: Db; oidcLabel: string | null }) {
  return async (app: App) => {
    app.get('/account/consents', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'My consents: give and withdraw', tags: ['web'], querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 20 })), ...Lang }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const nationalId = await nationalIdOf(db, requirePrincipal(request));
        if (!nationalId) return sendPage(reply, ctx, { title: ctx.t('consent.title'), body: <><h1>{ctx.t('consent.title')}</h1><NoNationalId ctx={ctx} /></>, private: true });
        const [consents, agreements, known] = await Promise.all([consentsOf(db, nationalId), agreementsById(db), names(db)]);
        const done = request.query.done;
        const notice = done === 'given' ? ctx.t('consent.givenNotice') : done === 'withdrawn' ? ctx.t('consent.withdrawnNotice') : null;
        return sendPage(reply, ctx, { title: ctx.t('consent.title'), body: <ConsentsPage ctx={ctx} names={known} consents={consents} agreements={agreements} notice={notice} />, private: true });
      },
    });

    app.post('/account/consents', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Give my consent to an agreement (form)', tags: ['web'], body: Type.Object({ _csrf: FormText(200), agreement: Type.String({ pattern: '^[a-z][a-z0-9-]{1,62}$' }) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        await giveAs(db, requirePrincipal(request), { agreement: request.body.agreement }, request.id);
        return reply.redirect('/account/consents?done=given', 303);
      },
    });

    app.post('/account/consents/:id/withdraw', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Withdraw my consent (form)', tags: ['web'], params: Type.Object({ id: Uuid }), body: Type.Object({ _csrf: FormText(200) }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        await withdrawAs(db, requirePrincipal(request), request.params.id, undefined, request.id);
        return reply.redirect('/account/consents?done=withdrawn', 303);
      },
    });

    app.get('/account/data-use', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Who used my data: every read of registry records about me, by agency, purpose or case, and when', tags: ['web'], querystring: Type.Object({ before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })), ...Lang }) },
      handler: async (request, reply) => {
        const ctx = pageContext(request, reply, oidcLabel);
        const nationalId = await nationalIdOf(db, requirePrincipal(request));
        if (!nationalId) return sendPage(reply, ctx, { title: ctx.t('consent.dataUse.title'), body: <><h1>{ctx.t('consent.dataUse.title')}</h1><NoNationalId ctx={ctx} /></>, private: true });
        const { before } = request.query;
        const [uses, summary, known] = await Promise.all([dataUsesOf(db, nationalId, { before, limit: PAGE_SIZE }), dataUseSummary(db, nationalId), names(db)]);
        const services = new Map<string, string>();
        for (const code of new Set(uses.map((u) => u.service).filter((s): s is string => Boolean(s)))) {
          const service = await findServiceByCode(db, code);
          if (service) services.set(code, pick(service.titles, ctx.locale));
        }
        return sendPage(reply, ctx, { title: ctx.t('consent.dataUse.title'), body: <DataUsePage ctx={ctx} names={known} uses={uses} summary={summary} services={services} before={before} />, private: true });
      },
    });
  };
}
