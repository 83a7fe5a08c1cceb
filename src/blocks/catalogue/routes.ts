import { Type, type Static } from '@sinclair/typebox';
import { stringify } from 'csv-stringify/sync';
import type { Db } from '../../platform/db/database.ts';
import { access, hasRole, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { SHIPPED_LOCALES } from '../../platform/i18n/index.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { actorOf, recordAudit } from '../audit/index.ts';
import { findAgencyByCode, listAgencies } from '../identity/index.ts';
import { importStatus, queueImport } from './import-jobs.ts';
import { MAX_IMPORT_ROWS } from './import-services.ts';
import { CHANNELS, checkServiceRecord, LIFE_EVENTS, STATUSES, type ServiceRecord } from './service-record.ts';
import { countServices, digitisationCounts, digitisationHistory, findServiceByCode, findServices, StatusOutOfOrder, upsertService, type StoredService } from './store.ts';

const Code = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,79}$' });
const Text = Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ maxLength: 4000 }));
const Status = Type.Union(STATUSES.map((s) => Type.Literal(s)));
const LifeEvent = Type.Union(LIFE_EVENTS.map((e) => Type.Literal(e)));

const ServiceBody = Type.Object(
  {
    agency: Type.String({ pattern: '^[a-z0-9-]{2,40}$' }),
    titles: Text,
    descriptions: Type.Optional(Text),
    legalBasis: Type.Optional(Text),
    eligibility: Type.Optional(Text),
    documents: Type.Optional(Text),
    feeSummary: Type.Optional(Text),
    timeLimitDays: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 3650 }), Type.Null()])),
    channels: Type.Optional(Type.Array(Type.Union(CHANNELS.map((c) => Type.Literal(c))), { maxItems: 5, uniqueItems: true })),
    lifeEvents: Type.Optional(Type.Array(LifeEvent, { maxItems: 16, uniqueItems: true })),
    status: Status,
    statusSince: Type.Optional(Type.Union([Type.String({ format: 'date', description: 'the day the service reached this status, if earlier than today' }), Type.Null()])),
    definitionId: Type.Optional(Type.Union([Type.String({ maxLength: 80 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const ServiceOut = Type.Object({
  code: Type.String(),
  agency: Type.String(),
  titles: Text,
  descriptions: Text,
  legalBasis: Text,
  eligibility: Text,
  documents: Text,
  feeSummary: Text,
  timeLimitDays: Type.Union([Type.Integer(), Type.Null()]),
  channels: Type.Array(Type.String()),
  lifeEvents: Type.Array(Type.String()),
  status: Type.String(),
  definitionId: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String({ format: 'date-time' }),
});
type ServiceOut = Static<typeof ServiceOut>;

export const SearchQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    agency: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{0,40}$' })),
    lifeEvent: Type.Optional(Type.Union([LifeEvent, Type.Literal('')])),
    status: Type.Optional(Type.Union([Status, Type.Literal('')])),
    after: Type.Optional(Code),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    lang: Type.Optional(Type.String({ maxLength: 5 })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

/** Agency codes by id and ids by code, for turning stored ids into the codes the API speaks. */
export async function agencyIndex(db: Db) {
  const agencies = await listAgencies(db);
  return { byId: new Map(agencies.map((a) => [a.id, a])), byCode: new Map(agencies.map((a) => [a.code, a])), agencies };
}

/** Resolve the search filters shared by the API and the public pages. */
export async function searchServices(db: Db, query: SearchQuery) {
  const { byCode, byId } = await agencyIndex(db);
  const agency = query.agency ? byCode.get(query.agency) : undefined;
  if (query.agency && !agency) return { services: [], total: 0, byId };
  const filter = { text: query.q, agencyIds: agency ? [agency.id] : undefined, lifeEvent: query.lifeEvent || undefined, status: query.status || undefined };
  const [services, total] = await Promise.all([findServices(db, { ...filter, afterCode: query.after, limit: query.limit ?? 50 }), countServices(db, filter)]);
  return { services, total, byId };
}

function present(service: StoredService, agencyCode: string): ServiceOut {
  const { id: _id, agencyId: _agency, updatedAt, ...rest } = service;
  return { ...rest, agency: agencyCode, updatedAt: updatedAt.toISOString() };
}

const CSV_TEXT_COLUMNS: [string, keyof ServiceRecord][] = [
  ['title', 'titles'], ['description', 'descriptions'], ['legal_basis', 'legalBasis'], ['eligibility', 'eligibility'], ['documents', 'documents'], ['fee_summary', 'feeSummary'],
];

/** The whole register as CSV, in the same columns the import accepts. */
export function registerAsCsv(services: ServiceOut[]): string {
  const textColumns = CSV_TEXT_COLUMNS.flatMap(([prefix]) => SHIPPED_LOCALES.map((l) => `${prefix}_${l}`));
  const header = ['code', 'agency', 'status', 'channels', 'life_events', 'time_limit_days', 'definition_id', ...textColumns];
  const rows = services.map((s) => [
    s.code, s.agency, s.status, s.channels.join(';'), s.lifeEvents.join(';'), s.timeLimitDays ?? '', s.definitionId ?? '',
    ...CSV_TEXT_COLUMNS.flatMap(([, field]) => SHIPPED_LOCALES.map((l) => (s[field as keyof ServiceOut] as Record<string, string>)[l] ?? '')),
  ]);
  return stringify([header, ...rows]);
}

export async function wholeRegister(db: Db): Promise<ServiceOut[]> {
  const { byId } = await agencyIndex(db);
  const out: ServiceOut[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await findServices(db, { afterCode: after, limit: 1000 });
    out.push(...page.map((s) => present(s, byId.get(s.agencyId)?.code ?? '')));
    if (page.length < 1000) return out;
    after = page[page.length - 1]!.code;
  }
}

/** May this principal edit services of this agency? Admins anywhere, agency heads in their agencies. */
export function canEditRegister(principal: Parameters<typeof hasRole>[0], agencyId: string): boolean {
  return hasRole(principal, 'admin', null) || hasRole(principal, 'agency-head', agencyId);
}

export function catalogueRoutes(db: Db, jobs: JobQueue) {
  return async (app: App) => {
    app.addContentTypeParser('text/csv', { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer));
      } catch {
        done(Problem.badRequest('The CSV file is not valid UTF-8. Save it as "CSV UTF-8" and try again.'));
      }
    });

    app.get('/api/catalogue/services', {
      config: { access: access.public },
      schema: {
        summary: 'Search the register of public services (words in any language, agency, life event, digitisation status)',
        tags: ['catalogue'],
        querystring: SearchQuery,
        response: { 200: Type.Object({ total: Type.Integer(), services: Type.Array(ServiceOut), next: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
      },
      handler: async (request) => {
        const limit = request.query.limit ?? 50;
        const { services, total, byId } = await searchServices(db, request.query);
        return { total, services: services.map((s) => present(s, byId.get(s.agencyId)?.code ?? '')), next: services.length === limit ? services[services.length - 1]!.code : null };
      },
    });

    app.get('/api/catalogue/services/:code', {
      config: { access: access.public },
      schema: { summary: 'One public service', tags: ['catalogue'], params: Type.Object({ code: Code }, { additionalProperties: false }), response: { 200: ServiceOut, ...Problems } },
      handler: async (request) => {
        const service = await findServiceByCode(db, request.params.code);
        if (!service) throw Problem.notFound('No public service has this code.');
        const { byId } = await agencyIndex(db);
        return present(service, byId.get(service.agencyId)?.code ?? '');
      },
    });

    app.put('/api/catalogue/services/:code', {
      config: { access: access.roles('admin', 'agency-head') },
      schema: { summary: 'Add or update a public service in the register', tags: ['catalogue'], params: Type.Object({ code: Code }, { additionalProperties: false }), body: ServiceBody, response: { 200: ServiceOut, 201: ServiceOut, ...Problems } },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const b = request.body;
        const agency = await findAgencyByCode(db, b.agency);
        if (!agency) throw Problem.invalidField('/body/agency', `no agency has code "${b.agency}"`);
        const existing = await findServiceByCode(db, request.params.code);
        if (!canEditRegister(principal, agency.id) || (existing && !canEditRegister(principal, existing.agencyId))) {
          throw Problem.forbidden('You may only edit services of the agencies you head.');
        }
        const record: ServiceRecord = {
          code: request.params.code,
          agencyCode: b.agency,
          titles: b.titles,
          descriptions: b.descriptions ?? {},
          legalBasis: b.legalBasis ?? {},
          eligibility: b.eligibility ?? {},
          documents: b.documents ?? {},
          feeSummary: b.feeSummary ?? {},
          timeLimitDays: b.timeLimitDays ?? null,
          channels: b.channels ?? [],
          lifeEvents: b.lifeEvents ?? [],
          status: b.status,
          statusSince: b.statusSince ?? null,
          definitionId: b.definitionId ?? null,
        };
        const problems = checkServiceRecord(record, new Set([b.agency]));
        if (problems.length > 0) throw Problem.badRequest(`The service is invalid: ${problems.map((p) => `${p.pointer} ${p.reason}`).join('; ')}.`, problems.map((p) => ({ ...p, pointer: `/body${p.pointer}` })));
        const result = await db.transaction().execute(async (trx) => {
          const written = await upsertService(trx, record, agency.id).catch((err: unknown) => {
            throw err instanceof StatusOutOfOrder ? Problem.invalidField('/body/statusSince', err.message) : err;
          });
          await recordAudit(trx, { actor: actorOf(principal), agencyId: agency.id, action: written.created ? 'catalogue.add-service' : 'catalogue.update-service', subjectType: 'public-service', subjectId: record.code, requestId: request.id, details: { status: record.status }, change: record });
          return written;
        });
        const saved = await findServiceByCode(db, record.code);
        return reply.code(result.created ? 201 : 200).send(present(saved!, b.agency));
      },
    });

    app.get('/api/catalogue/export.csv', {
      config: { access: access.public },
      schema: { summary: 'The whole register as open data (CSV, UTF-8, the same columns the import accepts)', tags: ['catalogue'], produces: ['text/csv'] },
      handler: async (_request, reply) =>
        reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="public-services.csv"').send(registerAsCsv(await wholeRegister(db))),
    });

    app.get('/api/catalogue/export.json', {
      config: { access: access.public },
      schema: { summary: 'The whole register as open data (JSON)', tags: ['catalogue'], response: { 200: Type.Object({ licence: Type.String(), generatedAt: Type.String(), services: Type.Array(ServiceOut) }) } },
      handler: async () => ({ licence: 'CC-BY-4.0', generatedAt: new Date().toISOString(), services: await wholeRegister(db) }),
    });

    app.get('/api/catalogue/digitisation', {
      config: { access: access.public },
      schema: {
        summary: 'How many services each agency has in each digitisation status',
        tags: ['catalogue'],
        response: { 200: Type.Array(Type.Object({ agency: Type.String(), paper: Type.Integer(), 'partly-online': Type.Integer(), 'fully-online': Type.Integer() })) },
      },
      handler: async () => digitisationTable(db),
    });

    app.get('/api/catalogue/digitisation/history', {
      config: { access: access.public },
      schema: {
        summary: 'How many services each agency had in each digitisation status at the end of each month (open data, CC-BY-4.0)',
        tags: ['catalogue'],
        querystring: HistoryQuery,
        response: { 200: Type.Object({ licence: Type.String(), from: Type.String(), to: Type.String(), months: Type.Array(HistoryRow) }), ...Problems },
      },
      handler: async (request) => ({ licence: 'CC-BY-4.0', ...(await historyTable(db, historyPeriod(request.query))) }),
    });

    app.get('/api/catalogue/digitisation/history.csv', {
      config: { access: access.public },
      schema: { summary: 'The same, as CSV (UTF-8, a header row, one row per month and agency)', tags: ['catalogue'], querystring: HistoryQuery, produces: ['text/csv'] },
      handler: async (request, reply) => {
        const { months } = await historyTable(db, historyPeriod(request.query));
        const csv = stringify([['month', 'agency', ...STATUSES], ...months.map((m) => [m.month, m.agency, ...STATUSES.map((s) => m[s])])]);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="digitisation-history.csv"')
          .header('link', '<https://creativecommons.org/licenses/by/4.0/>; rel="license"')
          .send(csv);
      },
    });

    app.post('/api/catalogue/imports', {
      config: { access: access.roles('admin') },
      schema: {
        summary: `Import services from CSV (text/csv body, at most ${MAX_IMPORT_ROWS} rows): checked row by row, written all or nothing by a background job`,
        tags: ['catalogue'],
        querystring: Type.Object({ fileName: Type.Optional(Type.String({ maxLength: 200, pattern: '^[^/\\\\]+$' })) }, { additionalProperties: false }),
        response: { 202: Type.Object({ id: Type.String(), status: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        if (typeof request.body !== 'string') throw new Problem(415, 'Send the CSV file as the body with Content-Type: text/csv.');
        const id = await queueImport(db, jobs, { fileName: request.query.fileName ?? 'upload.csv', content: request.body, actor: actorOf(request.principal), requestId: request.id });
        return reply.code(202).header('location', `/api/catalogue/imports/${id}`).send({ id, status: `/api/catalogue/imports/${id}` });
      },
    });

    app.get('/api/catalogue/imports/:id', {
      config: { access: access.roles('admin') },
      schema: {
        summary: 'Progress and report of an import',
        tags: ['catalogue'],
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        response: {
          200: Type.Object({ id: Type.String(), fileName: Type.String(), state: Type.String(), totalRows: Type.Integer(), processedRows: Type.Integer(), errors: Type.Array(Type.Object({ line: Type.Integer(), column: Type.String(), reason: Type.String() })), createdAt: Type.String(), finishedAt: Type.Union([Type.String(), Type.Null()]) }),
          ...Problems,
        },
      },
      handler: async (request) => {
        const status = await importStatus(db, request.params.id);
        if (!status) throw Problem.notFound('No import has this id.');
        return { ...status, createdAt: status.createdAt.toISOString(), finishedAt: status.finishedAt?.toISOString() ?? null };
      },
    });
  };
}

const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' });
const HistoryQuery = Type.Object({ from: Type.Optional(Month), to: Type.Optional(Month) }, { additionalProperties: false });
const HistoryRow = Type.Object({ month: Type.String(), agency: Type.String(), paper: Type.Integer(), 'partly-online': Type.Integer(), 'fully-online': Type.Integer() });
export type DigitisationHistoryRow = Static<typeof HistoryRow>;
export const MAX_HISTORY_MONTHS = 120;

/** The month `YYYY-MM` that is `n` months before `month`. */
export function monthsBefore(month: string, n: number): string {
  return new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 - n, 1)).toISOString().slice(0, 7);
}

/** Months `YYYY-MM`, by default the last twelve; refused when reversed or longer than ten years. */
export function historyPeriod(query: { from?: string; to?: string }, now = new Date()): { from: string; to: string } {
  const to = query.to ?? now.toISOString().slice(0, 7);
  const from = query.from ?? monthsBefore(to, 11);
  if (from > to) throw Problem.invalidField('/querystring/from', 'must not be after the month in "to"');
  if (from < monthsBefore(to, MAX_HISTORY_MONTHS - 1)) throw Problem.invalidField('/querystring/from', `at most ${MAX_HISTORY_MONTHS} months at a time`);
  return { from, to };
}

/**
 * The register's digitisation status month by month, one row per month and agency (agency codes),
 * optionally for some agencies only (ids).
 */
export async function historyTable(db: Db, period: { from: string; to: string }, agencyIds?: readonly string[]): Promise<{ from: string; to: string; months: DigitisationHistoryRow[] }> {
  const [{ byId }, counts] = await Promise.all([agencyIndex(db), digitisationHistory(db, { from: `${period.from}-01`, to: `${period.to}-01`, agencyIds })]);
  const rows = new Map<string, DigitisationHistoryRow>();
  for (const count of counts) {
    const month = count.month.slice(0, 7);
    const agency = byId.get(count.agencyId)?.code ?? count.agencyId;
    const key = `${month} ${agency}`;
    const row = rows.get(key) ?? { month, agency, paper: 0, 'partly-online': 0, 'fully-online': 0 };
    row[count.status] += count.count;
    rows.set(key, row);
  }
  return { ...period, months: [...rows.values()] };
}

export async function digitisationTable(db: Db) {
  const [{ byId, agencies }, counts] = await Promise.all([agencyIndex(db), digitisationCounts(db)]);
  const rows = new Map<string, { agency: string; paper: number; 'partly-online': number; 'fully-online': number }>();
  for (const count of counts) {
    const code = byId.get(count.agencyId)?.code ?? count.agencyId;
    const row = rows.get(code) ?? { agency: code, paper: 0, 'partly-online': 0, 'fully-online': 0 };
    row[count.status] += count.count;
    rows.set(code, row);
  }
  return agencies.filter((a) => rows.has(a.code)).map((a) => rows.get(a.code)!);
}
