import { Type } from '@sinclair/typebox';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import type { Db } from '../../platform/db/database.ts';
import { access, hasRole, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import { Uuid } from '../../platform/http/schemas.ts';
import { refuseUnstorableInput } from '../../platform/http/storable-input.ts';
import type { App } from '../../platform/http/server.ts';
import { formatDateTime } from '../../platform/i18n/index.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { actorOf } from '../../blocks/audit/index.ts';
import { pick } from '../../blocks/catalogue/index.ts';
import { listAgencies, type Agency } from '../../blocks/identity/index.ts';
import { defineRegistry } from '../../blocks/registries/define-registry.ts';
import { factsOf, type RegistryDefinition } from '../../blocks/registries/definition.ts';
import { canSeeRegistry, fieldRights } from '../../blocks/registries/field-access.ts';
import { IMPORT_MODES, recentImports, type ImportStatus } from '../../blocks/registries/imports.ts';
import { readerOf, searchRecords, type Purpose, type RecordView } from '../../blocks/registries/records.ts';
import { Code, recordVersionsFor, registryOr404, startImport, visibleImport } from '../../blocks/registries/routes.ts';
import { listRegistries, registryVersions, type Registry, type RegistryVersion } from '../../blocks/registries/store.ts';
import { CsrfField } from '../components/forms.tsx';
import { TableRegion } from '../components/table-region.tsx';
import { pageContext, type PageContext } from '../page-context.ts';
import { sendPage } from '../render.tsx';

const PAGE_SIZE = 20;
const Lang = { lang: Type.Optional(Type.String({ maxLength: 5 })) };
/** Staff browsing the admin pages say why once, here: every record they see is logged with it. */
const BROWSING: Purpose = { reason: 'Registry administration (admin pages)' };

function registryName(ctx: PageContext, registry: Registry): string {
  return pick(registry.definition.names, ctx.locale) || registry.code;
}

function agencyName(ctx: PageContext, agency: Agency | undefined): string {
  return agency ? pick(agency.names, ctx.locale) || agency.code : '';
}

function When({ ctx, at }: { ctx: PageContext; at: Date }) {
  return <time dateTime={at.toISOString()}>{formatDateTime(ctx.locale, at)}</time>;
}

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function ListPage({ ctx, registries, agencies, isAdmin }: { ctx: PageContext; registries: Registry[]; agencies: Map<string, Agency>; isAdmin: boolean }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('registries.title')}</h1>
      <p class="lead">{t('registries.lead')}</p>
      {isAdmin && <p><a class="button" href="/admin/registries/new">{t('registries.newRegistry')}</a></p>}
      {registries.length === 0 ? (
        <p>{t('registries.none')}</p>
      ) : (
        <TableRegion label={t('registries.caption')}>
          <table>
            <caption>{t('registries.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('registries.name')}</th>
                <th scope="col">{t('registries.code')}</th>
                <th scope="col">{t('registries.agency')}</th>
                <th scope="col">{t('registries.version')}</th>
                <th scope="col">{t('registries.personal')}</th>
              </tr>
            </thead>
            <tbody>
              {registries.map((r) => (
                <tr>
                  <th scope="row"><a href={`/admin/registries/${r.code}`}>{registryName(ctx, r)}</a></th>
                  <td><code>{r.code}</code></td>
                  <td>{agencyName(ctx, agencies.get(r.agencyId))}</td>
                  <td>{r.version}</td>
                  <td>{r.definition.personal ? t('form.yes') : t('form.no')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}

const TEMPLATE: RegistryDefinition = {
  code: 'vehicles',
  agency: 'transport',
  names: { en: 'Vehicles', fr: 'Véhicules', ar: 'المركبات', sw: 'Magari', ru: 'Транспортные средства', tg: 'Воситаҳои нақлиёт' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['plate', 'ownerNationalId'],
    properties: { plate: { type: 'string', maxLength: 20 }, ownerNationalId: { type: 'string' }, make: { type: 'string' }, year: { type: 'integer', minimum: 1900 } },
  },
  key: 'plate',
  searchable: ['plate', 'ownerNationalId'],
  personal: true,
  personField: 'ownerNationalId',
  access: [{ role: 'officer', agency: 'transport', read: '*', write: '*' }],
};

function DefinitionPage({ ctx, registry, text, problems, message }: { ctx: PageContext; registry: Registry | null; text: string; problems: InvalidParam[]; message: string | null }) {
  const { t } = ctx;
  return (
    <>
      <h1>{registry ? t('registries.definitionTitle', { name: registryName(ctx, registry) }) : t('registries.newRegistry')}</h1>
      <p class="lead">{t('registries.definitionLead')}</p>
      {(message || problems.length > 0) && (
        <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabIndex={-1}>
          <h2 id="error-summary-title">{t('form.problem')}</h2>
          {message && <p>{message}</p>}
          {problems.length > 0 && (
            <>
              <p><a href="#definition">{t('registries.definitionProblems', { count: problems.length })}</a></p>
              <ul class="registry-problems">
                {problems.map((p) => <li><code>{p.pointer}</code> {p.reason}</li>)}
              </ul>
            </>
          )}
        </div>
      )}
      <form class="stack wide" method="post" action="/admin/registries/definitions" enctype="multipart/form-data">
        <CsrfField ctx={ctx} />
        <div>
          <label for="definition">
            {t('registries.definitionLabel')}
            <span class="hint" id="definition-hint">{t('registries.definitionHint')}</span>
          </label>
          <textarea id="definition" name="definition" rows={24} class="code" spellcheck={false} dir="ltr" aria-describedby="definition-hint" aria-invalid={problems.length > 0 ? 'true' : undefined}>
            {text}
          </textarea>
        </div>
        <div>
          <label for="file">{t('registries.definitionFile')}</label>
          <input id="file" name="file" type="file" accept=".json,application/json" />
        </div>
        <div><button type="submit">{t('registries.definitionSubmit')}</button></div>
      </form>
      <p><a href={registry ? `/admin/registries/${registry.code}` : '/admin/registries'}>{t('registries.back')}</a></p>
    </>
  );
}

interface Browse {
  field?: string;
  q?: string;
  after?: string;
}

function RegistryPage(props: { ctx: PageContext; registry: Registry; principal: Principal; agencies: Map<string, Agency>; versions: RegistryVersion[]; records: RecordView[]; next: string | null; browse: Browse; notice: string | null }) {
  const { ctx, registry, principal, agencies, versions, records, next, browse, notice } = props;
  const { t } = ctx;
  const facts = factsOf(registry.definition);
  const rights = fieldRights(principal, registry);
  const shown = facts.fields.filter((f) => rights.read.has(f)).slice(0, 6);
  const searchable = [facts.key, ...facts.searchable].filter((f, i, all): f is string => Boolean(f) && all.indexOf(f) === i && rights.read.has(f!));
  const nextParams = new URLSearchParams(Object.entries({ field: browse.field, q: browse.q }).filter((e): e is [string, string] => Boolean(e[1])));
  if (next) nextParams.set('after', next);
  const typeOf = (field: string) => display(facts.schema.properties?.[field]?.type ?? facts.schema.properties?.[field]?.enum) || '—';
  return (
    <>
      <h1>{registryName(ctx, registry)}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      {registry.definition.descriptions && <p class="lead">{pick(registry.definition.descriptions, ctx.locale)}</p>}
      <dl class="facts">
        <dt>{t('registries.code')}</dt>
        <dd><code>{registry.code}</code></dd>
        <dt>{t('registries.agency')}</dt>
        <dd>{agencyName(ctx, agencies.get(registry.agencyId))}</dd>
        <dt>{t('registries.version')}</dt>
        <dd>{registry.version}</dd>
        <dt>{t('registries.personal')}</dt>
        <dd>{facts.personal ? t('registries.personalYes', { field: facts.personField ?? '' }) : t('form.no')}</dd>
      </dl>
      <p class="actions">
        {rights.write.size > 0 && <a class="button secondary" href={`/admin/registries/${registry.code}/import`}>{t('registries.import')}</a>}
        {hasRole(principal, 'admin', null) && <a class="button secondary" href={`/admin/registries/${registry.code}/definition`}>{t('registries.editDefinition')}</a>}
      </p>

      <h2 id="search-title">{t('registries.searchTitle')}</h2>
      {facts.personal && <p class="muted">{t('registries.browseNote')}</p>}
      {searchable.length > 0 && (
        <form method="get" action={`/admin/registries/${registry.code}`} class="filters" aria-labelledby="search-title">
          <div>
            <label for="field">{t('registries.searchField')}</label>
            <select id="field" name="field">
              {searchable.map((f) => <option value={f} selected={f === browse.field}>{f}</option>)}
            </select>
          </div>
          <div>
            <label for="q">{t('registries.searchText')}</label>
            <input id="q" name="q" type="search" value={browse.q ?? ''} maxLength={200} />
          </div>
          <div><button type="submit">{t('registries.searchSubmit')}</button></div>
        </form>
      )}
      <TableRegion label={t('registries.records')}>
        <table>
          <caption>{t('registries.results', { count: records.length })}</caption>
          <thead>
            <tr>
              {shown.map((f) => <th scope="col">{f}</th>)}
              <th scope="col">{t('registries.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr>
                {shown.map((f, i) => (i === 0 ? <th scope="row"><a href={`/admin/registries/${registry.code}/records/${r.id}`}>{display(r.data[f]) || r.id.slice(0, 8)}</a></th> : <td>{display(r.data[f])}</td>))}
                <td><When ctx={ctx} at={r.updatedAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      {next && <p class="pager"><a href={`/admin/registries/${registry.code}?${nextParams}`}>{t('registries.more')}</a></p>}

      <h2>{t('registries.fields')}</h2>
      <TableRegion label={t('registries.fields')}>
        <table>
          <caption class="visually-hidden">{t('registries.fields')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('registries.field')}</th>
              <th scope="col">{t('registries.type')}</th>
              <th scope="col">{t('registries.searchable')}</th>
              <th scope="col">{t('registries.yourAccess')}</th>
            </tr>
          </thead>
          <tbody>
            {facts.fields.map((f) => (
              <tr>
                <th scope="row"><code>{f}</code>{f === facts.key && <span class="tag">{t('registries.key')}</span>}</th>
                <td>{typeOf(f)}</td>
                <td>{facts.searchable.includes(f) ? t('form.yes') : t('form.no')}</td>
                <td>{rights.write.has(f) ? t('registries.accessWrite') : rights.read.has(f) ? t('registries.accessRead') : t('registries.accessNone')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>

      <h2>{t('registries.accessRules')}</h2>
      <ul>
        {registry.definition.access.map((rule) => (
          <li>
            {t('registries.rule', {
              role: rule.role,
              agency: agencyName(ctx, [...agencies.values()].find((a) => a.code === rule.agency)),
              read: rule.read === '*' ? t('registries.allFields') : (rule.read ?? []).join(', ') || '—',
              write: rule.write === '*' ? t('registries.allFields') : (rule.write ?? []).join(', ') || '—',
            })}
          </li>
        ))}
      </ul>

      <h2>{t('registries.versions')}</h2>
      <ul>
        {versions.map((v) => (
          <li>{t('registries.versionBy', { version: v.version, name: v.createdBy.name ?? v.createdBy.type })} <When ctx={ctx} at={v.createdAt} /></li>
        ))}
      </ul>
      <p><a href="/admin/registries">{t('registries.back')}</a></p>
    </>
  );
}

function RecordPage({ ctx, registry, history }: { ctx: PageContext; registry: Registry; history: Awaited<ReturnType<typeof recordVersionsFor>> }) {
  const { t } = ctx;
  const [current, ...earlier] = history;
  const facts = factsOf(registry.definition);
  const Fields = ({ data }: { data: Record<string, unknown> }) => (
    <dl class="facts">
      {facts.fields.filter((f) => f in data).map((f) => (
        <>
          <dt>{f}</dt>
          <dd>{display(data[f])}</dd>
        </>
      ))}
    </dl>
  );
  return (
    <>
      <h1>{t('registries.recordTitle', { name: registryName(ctx, registry) })}</h1>
      {current && (
        <>
          <p>{t('registries.versionBy', { version: current.version, name: current.writtenBy ?? '' })} <When ctx={ctx} at={current.writtenAt} /></p>
          <Fields data={current.data} />
        </>
      )}
      <h2>{t('registries.history')}</h2>
      {earlier.length === 0 ? (
        <p>{t('registries.noHistory')}</p>
      ) : (
        earlier.map((v) => (
          <details>
            <summary>{t('registries.versionBy', { version: v.version, name: v.writtenBy ?? '' })} · {formatDateTime(ctx.locale, v.writtenAt)}</summary>
            <Fields data={v.data} />
          </details>
        ))
      )}
      <p><a href={`/admin/registries/${registry.code}`}>{t('registries.backTo', { name: registryName(ctx, registry) })}</a></p>
    </>
  );
}

function ImportFormPage({ ctx, registry, imports }: { ctx: PageContext; registry: Registry; imports: ImportStatus[] }) {
  const { t } = ctx;
  return (
    <>
      <h1>{t('registries.importTitle', { name: registryName(ctx, registry) })}</h1>
      <p class="lead">{t('registries.importLead')}</p>
      <p>{t('registries.importFields', { fields: factsOf(registry.definition).fields.join(', ') })}</p>
      <form class="stack" method="post" action={`/admin/registries/${registry.code}/imports`} enctype="multipart/form-data">
        <CsrfField ctx={ctx} />
        <div>
          <label for="file">{t('registries.importFile')}</label>
          <input id="file" name="file" type="file" accept=".csv,.jsonl,.ndjson,text/csv,application/x-ndjson" required />
        </div>
        <fieldset>
          <legend>{t('registries.importFormat')}</legend>
          {(['csv', 'jsonl'] as const).map((format, i) => (
            <div class="choice">
              <input id={i === 0 ? 'format' : `format-${i}`} name="format" type="radio" value={format} checked={i === 0} />
              <label for={i === 0 ? 'format' : `format-${i}`}>{t(`registries.formats.${format}`)}</label>
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('registries.importMode')}</legend>
          {IMPORT_MODES.map((mode, i) => (
            <div class="choice">
              <input id={i === 0 ? 'mode' : `mode-${i}`} name="mode" type="radio" value={mode} checked={i === 0} />
              <label for={i === 0 ? 'mode' : `mode-${i}`}>{t(`registries.modes.${mode}`)}</label>
            </div>
          ))}
        </fieldset>
        <div><button type="submit">{t('registries.importSubmit')}</button></div>
      </form>
      {imports.length > 0 && (
        <>
          <h2>{t('registries.recentImports')}</h2>
          <ul>
            {imports.map((i) => (
              <li><a href={`/admin/registries/${registry.code}/imports/${i.id}`}>{i.fileName}</a> · {t(`registries.importStates.${i.state}`)} · <When ctx={ctx} at={i.createdAt} /></li>
            ))}
          </ul>
        </>
      )}
      <p><a href={`/admin/registries/${registry.code}`}>{t('registries.backTo', { name: registryName(ctx, registry) })}</a></p>
    </>
  );
}

function ImportPage({ ctx, registry, status }: { ctx: PageContext; registry: Registry; status: ImportStatus }) {
  const { t } = ctx;
  const running = status.state === 'queued' || status.state === 'checking' || status.state === 'writing';
  const done = status.state === 'writing' ? status.writtenRows : status.checkedRows;
  const percent = status.totalRows > 0 ? Math.round((done / status.totalRows) * 100) : 0;
  return (
    <>
      <h1>{t('registries.importTitle', { name: registryName(ctx, registry) })}</h1>
      <p>{`${status.fileName} · `}<When ctx={ctx} at={status.createdAt} />{` · ${t(`registries.modes.${status.mode}`)}`}</p>
      <p role="status">{t(`registries.importStates.${status.state}`)}</p>
      {running && (
        <p>
          <label for="progress">{status.state === 'writing' ? t('registries.importWritten', { done, total: status.totalRows }) : t('registries.importChecked', { done, total: status.totalRows })}</label>
          <progress id="progress" max={100} value={percent}>{`${percent}%`}</progress>
        </p>
      )}
      {!running && <p>{t('registries.importWritten', { done: status.writtenRows, total: status.totalRows })}</p>}
      {status.errorCount > 0 && (
        <TableRegion label={t('registries.importErrors', { count: status.errorCount })}>
          <table>
            <caption>
              {t('registries.importErrors', { count: status.errorCount })}
              {status.errors.length < status.errorCount && ` ${t('registries.importShown', { count: status.errors.length })}`}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t('registries.line')}</th>
                <th scope="col">{t('registries.field')}</th>
                <th scope="col">{t('registries.problem')}</th>
              </tr>
            </thead>
            <tbody>
              {status.errors.map((e) => (
                <tr>
                  <td>{e.line}</td>
                  <td><code>{e.field}</code></td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <p><a href={`/admin/registries/${registry.code}`}>{t('registries.backTo', { name: registryName(ctx, registry) })}</a> · <a href={`/api/registries/imports/${status.id}`}>{t('registries.importJson')}</a></p>
    </>
  );
}

type Parts = Record<string, MultipartFile | MultipartValue | undefined> | undefined;

function partValue(body: Parts, name: string): string {
  const part = body?.[name];
  return part && part.type === 'field' && typeof part.value === 'string' ? part.value : '';
}

async function partFile(body: Parts, name: string): Promise<{ name: string; text: string } | null> {
  const part = body?.[name];
  if (!part || part.type !== 'file' || !part.filename) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await part.toBuffer());
  } catch {
    throw Problem.invalidField(`/body/${name}`, 'the file is not UTF-8 text; save it as UTF-8');
  }
  refuseUnstorableInput(text, `/body/${name}`);
  return { name: part.filename.slice(0, 200), text };
}

/** A registry the principal may read, or 404/403. */
async function readableRegistry(db: Db, request: FastifyRequest, code: string): Promise<{ registry: Registry; principal: Principal }> {
  const principal = requirePrincipal(request);
  const registry = await registryOr404(db, code);
  if (!canSeeRegistry(principal, registry)) throw Problem.forbidden(`You may not read the registry "${registry.code}".`);
  return { registry, principal };
}

/** The admin view of the registries: definitions, records, imports. */
export function registryPages({ db, jobs, oidcLabel }: { db: Db; jobs: JobQueue; oidcLabel: string | null }) {
  const agencyMap = async () => new Map((await listAgencies(db)).map((a) => [a.id, a]));
  const page = (request: FastifyRequest, reply: FastifyReply, title: (ctx: PageContext) => string, body: (ctx: PageContext) => ComponentChildren, status = 200) => {
    const ctx = pageContext(request, reply, oidcLabel);
    return sendPage(reply, ctx, { title: title(ctx), body: body(ctx) }, status);
  };

  return async (app: App) => {
    app.get('/admin/registries', {
      config: { access: access.signedIn },
      schema: { summary: 'The registries I may read', tags: ['web'], querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const isAdmin = hasRole(principal, 'admin', null);
        const registries = (await listRegistries(db)).filter((r) => canSeeRegistry(principal, r));
        if (!isAdmin && registries.length === 0) throw Problem.forbidden('You may not read any registry.');
        const agencies = await agencyMap();
        return page(request, reply, (ctx) => ctx.t('registries.title'), (ctx) => <ListPage ctx={ctx} registries={registries} agencies={agencies} isAdmin={isAdmin} />);
      },
    });

    app.get('/admin/registries/new', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Define a new registry (form)', tags: ['web'], querystring: Type.Object(Lang) },
      handler: async (request, reply) =>
        page(request, reply, (ctx) => ctx.t('registries.newRegistry'), (ctx) => <DefinitionPage ctx={ctx} registry={null} text={JSON.stringify(TEMPLATE, null, 2)} problems={[]} message={null} />),
    });

    app.get('/admin/registries/:code/definition', {
      config: { access: access.roles('admin') },
      schema: { summary: "Change a registry's definition (form)", tags: ['web'], params: Type.Object({ code: Code }), querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const registry = await registryOr404(db, request.params.code);
        const { version: _version, ...definition } = registry.definition;
        return page(request, reply, (ctx) => ctx.t('registries.definitionTitle', { name: registryName(ctx, registry) }), (ctx) => <DefinitionPage ctx={ctx} registry={registry} text={JSON.stringify(definition, null, 2)} problems={[]} message={null} />);
      },
    });

    app.post('/admin/registries/definitions', {
      config: { access: access.roles('admin') },
      schema: { summary: 'Save a registry definition, pasted or uploaded as JSON (form)', tags: ['web'], consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        const body = request.body as Parts;
        const file = await partFile(body, 'file');
        const text = file?.text ?? partValue(body, 'definition');
        const again = (problems: InvalidParam[], message: string | null) =>
          page(request, reply, (ctx) => ctx.t('registries.newRegistry'), (ctx) => <DefinitionPage ctx={ctx} registry={null} text={text} problems={problems} message={message} />, 400);
        let input: unknown;
        try {
          input = JSON.parse(text) as unknown;
        } catch (err) {
          return again([], `${pageContext(request, reply, oidcLabel).t('registries.notJson')} ${(err as Error).message}`);
        }
        try {
          // Parsed here, not by the platform: its escapes (\u0000) are checked only now.
          refuseUnstorableInput(input, '/definition');
          const { registry, changed } = await defineRegistry(db, input, { actor: actorOf(request.principal), requestId: request.id }, '/definition');
          return reply.redirect(`/admin/registries/${registry.code}?done=${changed ? 'saved' : 'unchanged'}`, 303);
        } catch (err) {
          if (err instanceof Problem && err.status === 400) return again(err.errors ?? [], err.errors ? null : err.detail);
          throw err;
        }
      },
    });

    app.get('/admin/registries/:code', {
      config: { access: access.signedIn },
      schema: {
        summary: 'A registry: its fields, access rules and versions, and its records (search, keyset paging)',
        tags: ['web'],
        params: Type.Object({ code: Code }),
        querystring: Type.Object({ field: Type.Optional(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' })), q: Type.Optional(Type.String({ maxLength: 200 })), after: Type.Optional(Uuid), done: Type.Optional(Type.String({ maxLength: 20 })), ...Lang }),
      },
      handler: async (request, reply) => {
        const { registry, principal } = await readableRegistry(db, request, request.params.code);
        const { field, q, after, done } = request.query;
        const filter = field && q ? { prefix: { fields: [field], text: q } } : {};
        const [found, versions, agencies] = await Promise.all([
          searchRecords(db, { registry, filter, page: { after, limit: PAGE_SIZE }, reader: readerOf(principal, registry), purpose: BROWSING, filterPointer: '/query' }),
          registryVersions(db, registry.id),
          agencyMap(),
        ]);
        return page(request, reply, (ctx) => registryName(ctx, registry), (ctx) => {
          const notice = done === 'saved' ? ctx.t('registries.saved', { version: registry.version }) : done === 'unchanged' ? ctx.t('registries.unchanged', { version: registry.version }) : null;
          return <RegistryPage ctx={ctx} registry={registry} principal={principal} agencies={agencies} versions={versions} records={found.records} next={found.next} browse={{ field, q, after }} notice={notice} />;
        });
      },
    });

    app.get('/admin/registries/:code/records/:id', {
      config: { access: access.signedIn },
      schema: { summary: 'A record and its history (logged as a read)', tags: ['web'], params: Type.Object({ code: Code, id: Uuid }), querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const { registry, principal } = await readableRegistry(db, request, request.params.code);
        const history = await recordVersionsFor(db, registry, request.params.id, readerOf(principal, registry), BROWSING);
        return page(request, reply, (ctx) => ctx.t('registries.recordTitle', { name: registryName(ctx, registry) }), (ctx) => <RecordPage ctx={ctx} registry={registry} history={history} />);
      },
    });

    app.get('/admin/registries/:code/import', {
      config: { access: access.signedIn },
      schema: { summary: 'Import records from a file (form)', tags: ['web'], params: Type.Object({ code: Code }), querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const { registry, principal } = await readableRegistry(db, request, request.params.code);
        if (fieldRights(principal, registry).write.size === 0) throw Problem.forbidden(`You may not write to the registry "${registry.code}".`);
        const imports = await recentImports(db, registry);
        return page(request, reply, (ctx) => ctx.t('registries.importTitle', { name: registryName(ctx, registry) }), (ctx) => <ImportFormPage ctx={ctx} registry={registry} imports={imports} />);
      },
    });

    app.post('/admin/registries/:code/imports', {
      config: { access: access.signedIn },
      schema: { summary: 'Upload a file of records to import (form)', tags: ['web'], params: Type.Object({ code: Code }), consumes: ['multipart/form-data'] },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const body = request.body as Parts;
        const file = await partFile(body, 'file');
        if (!file) throw Problem.invalidField('/body/file', 'choose a file to import');
        const format = partValue(body, 'format') === 'jsonl' ? 'jsonl' : 'csv';
        const mode = partValue(body, 'mode') === 'skip-and-report' ? 'skip-and-report' : 'all-or-nothing';
        const id = await startImport(db, jobs, { principal, registry, format, mode, fileName: file.name, content: file.text, requestId: request.id });
        return reply.redirect(`/admin/registries/${registry.code}/imports/${id}`, 303);
      },
    });

    app.get('/admin/registries/:code/imports/:id', {
      config: { access: access.signedIn },
      schema: { summary: 'Import progress and report', tags: ['web'], params: Type.Object({ code: Code, id: Uuid }), querystring: Type.Object(Lang) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const status = await visibleImport(db, principal, request.params.id);
        if (status.registry !== registry.code) throw Problem.notFound('No import you may see has this id.');
        // Without JavaScript the page refreshes itself while the import runs.
        if (status.state === 'queued' || status.state === 'checking' || status.state === 'writing') reply.header('refresh', '2');
        return page(request, reply, (ctx) => ctx.t('registries.importTitle', { name: registryName(ctx, registry) }), (ctx) => <ImportPage ctx={ctx} registry={registry} status={status} />);
      },
    });
  };
}
