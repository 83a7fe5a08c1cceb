import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../../platform/db/database.ts';
import { access, requirePrincipal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { Problems } from '../../../platform/http/schemas.ts';
import type { App } from '../../../platform/http/server.ts';
import { findPartyById, listAgencies } from '../../identity/index.ts';
import { deleteRecord, isRecordId, readerOf, readRecord, recordExists, searchRecords, writeRecord, type Purpose, type RecordView } from '../records.ts';
import { factsOf, typedCell } from '../definition.ts';
import { dataUsesOf, findRecords, findRegistry, hasVersion, type DataUse, type RecordData, type Registry } from '../store.ts';

/**
 * The GovStack Digital Registries Data API (template 1.3.0/1.4.0, spec/) over our registries:
 * `/govstack/registries/data/{registryName}/{versionNumber}/…`, where the registry name is our
 * code and the version any version the registry has had. docs/registries.md maps it onto ours.
 */
export const GOVSTACK_REGISTRIES = '/govstack/registries';
const P = GOVSTACK_REGISTRIES;
const TAGS = ['govstack-registries'];

const MediatorHeaders = Type.Object({
  'information-mediator-client': Type.Optional(
    Type.String({ pattern: '^[^/\\s]+/[^/\\s]+/[^/\\s]+/[^/\\s]+$', maxLength: 255, description: 'X-Road style caller, INSTANCE/CLASS/MEMBER/SUBSYSTEM: recorded in the access log as the system the data went to' }),
  ),
});
// Names are looked up as given: one that cannot exist is not found, as GovStack's tests expect.
const RegistryParams = { registryName: Type.String({ minLength: 1, maxLength: 100 }), versionNumber: Type.String({ minLength: 1, maxLength: 20 }) };
const Content = Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' }), Type.Unknown(), { additionalProperties: false, maxProperties: 200 });
const Query = Type.Object({ content: Content }, { additionalProperties: false });
const Write = Type.Object({ content: Content }, { additionalProperties: false });
const Body = { query: Type.Optional(Query), write: Write };
const ContentOut = Type.Object({ content: Content });
const PersonalDataUsage = Type.Object({
  id: Type.String(),
  readerId: Type.String(),
  readerInitials: Type.String(),
  readerInstitutionId: Type.String(),
  readerInstitutionName: Type.String(),
  readerApplicationName: Type.String(),
  searchDateTime: Type.String({ format: 'date-time' }),
  refrences: Type.Array(Type.Object({ ReferenceID: Type.String() })),
});

/** The record as GovStack clients see it: its fields, and its id as `uuid`. */
function contentOf(record: RecordView): RecordData {
  return { uuid: record.id, ...record.data };
}

function parseVersion(text: string): number | null {
  const match = /^v?(\d{1,7})(\.0+)?$/.exec(text);
  return match ? Number(match[1]) : null;
}

function initials(name: string | null): string {
  return (name ?? '').split(/\s+/).filter(Boolean).map((w) => w[0]!.toUpperCase()).join('');
}

export function govstackRegistriesRoutes(db: Db) {
  const registryAt = async (params: { registryName: string; versionNumber: string }): Promise<Registry> => {
    const registry = await findRegistry(db, params.registryName);
    const version = parseVersion(params.versionNumber);
    if (!registry) throw Problem.notFound(`No registry is named "${params.registryName}".`);
    if (version === null || !(await hasVersion(db, registry.id, version))) throw Problem.notFound(`The registry "${registry.code}" has no version ${params.versionNumber}.`);
    return registry;
  };
  const callerOf = (request: FastifyRequest, registry: Registry, operation: string) => {
    const client = request.headers['information-mediator-client'];
    const reader = readerOf(requirePrincipal(request), registry, typeof client === 'string' ? client : null);
    const purpose: Purpose = { reason: `GovStack Digital Registries API: ${operation}` };
    return { reader, purpose };
  };
  /** A query's content: `uuid` names the record, any other fields must match. */
  const splitQuery = (content: RecordData): { id?: string; match: RecordData } => {
    const { uuid, ...match } = content;
    if (uuid !== undefined && !isRecordId(uuid)) throw Problem.invalidField('/body/query/content/uuid', 'must be the UUID of a record');
    return { id: uuid as string | undefined, match };
  };
  const readOne = async (request: FastifyRequest, registry: Registry, content: RecordData, operation: string) => {
    const { id, match } = splitQuery(content);
    if (id === undefined && Object.keys(match).length === 0) throw Problem.invalidField('/body/query/content', 'name the record: its uuid, or values of its fields');
    const { reader, purpose } = callerOf(request, registry, operation);
    const record = id !== undefined ? await readRecord(db, { registry, id, reader, purpose }) : await readRecord(db, { registry, match, reader, purpose, matchPointer: '/body/query/content' });
    return record && id !== undefined && Object.entries(match).some(([f, v]) => JSON.stringify(record.data[f]) !== JSON.stringify(v)) ? undefined : record;
  };
  /** The write's fields; a `uuid` there may only repeat the record's own. */
  const fieldsOf = (content: RecordData, id?: string): RecordData => {
    const { uuid, ...data } = content;
    if (uuid !== undefined && uuid !== id) throw Problem.invalidField('/body/write/content/uuid', "is the record's id and cannot be changed");
    return data;
  };

  return async (app: App) => {
    app.get(`${P}/data/:registryName/:versionNumber`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Search records (list): search text in the field `filter` names (or any searchable field), exact `query.<field>` values, paged',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object(RegistryParams),
        querystring: Type.Object(
          {
            search: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            filter: Type.Optional(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' })),
            ordering: Type.Optional(Type.Union([Type.Literal('ascending'), Type.Literal('descending')])),
            page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })),
            pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false, patternProperties: { '^query\\.[A-Za-z][A-Za-z0-9_]{0,62}$': { type: 'string', maxLength: 200 } } },
        ),
        response: { 200: Type.Object({ count: Type.Integer(), next: Type.Optional(Type.String()), previous: Type.Optional(Type.String()), results: Type.Array(Content) }), ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        const facts = factsOf(registry.definition);
        const { search, filter, ordering, page = 1, pageSize = 10 } = request.query;
        const properties = facts.schema.properties ?? {};
        const match: RecordData = {};
        for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
          if (!name.startsWith('query.')) continue;
          const field = name.slice('query.'.length);
          if (!properties[field]) throw Problem.invalidField(`/query/${name}`, `"${field}" is not a field of "${registry.code}"`);
          match[field] = typedCell(properties[field], String(value)) ?? '';
        }
        if (filter && !properties[filter]) throw Problem.invalidField('/query/filter', `"${filter}" is not a field of "${registry.code}"`);
        const prefix = search ? { fields: filter ? [filter] : facts.searchable, text: search } : undefined;
        const { reader, purpose } = callerOf(request, registry, 'list');
        const { records, total } = await searchRecords(db, { registry, filter: { match, prefix }, page: { offset: (page - 1) * pageSize, limit: pageSize, descending: ordering === 'descending' }, withTotal: true, reader, purpose, filterPointer: '/query' });
        const count = total ?? 0;
        const url = (n: number) => {
          const search = new URLSearchParams(request.query as Record<string, string>);
          search.set('page', String(n));
          return `${request.protocol}://${request.host}${P}/data/${registry.code}/${request.params.versionNumber}?${search}`;
        };
        return { count, ...(page * pageSize < count ? { next: url(page + 1) } : {}), ...(page > 1 ? { previous: url(page - 1) } : {}), results: records.map(contentOf) };
      },
    });

    app.post(`${P}/data/:registryName/:versionNumber/create`, {
      config: { access: access.signedIn },
      schema: {
        summary: "Create a record (create); content.uuid, when given, becomes the record's id",
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object(RegistryParams),
        body: Type.Object({ write: Write }, { additionalProperties: false }),
        response: { 200: ContentOut, ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        const { uuid } = request.body.write.content;
        if (uuid !== undefined && !isRecordId(uuid)) throw Problem.invalidField('/body/write/content/uuid', 'must be a UUID');
        const { reader, purpose } = callerOf(request, registry, 'create');
        const { record } = await writeRecord(db, { registry, newId: uuid as string | undefined, data: fieldsOf(request.body.write.content, uuid as string | undefined), writer: reader, purpose, requestId: request.id, dataPointer: '/body/write/content' });
        return { content: contentOf(record) };
      },
    });

    app.post(`${P}/data/:registryName/:versionNumber/exists`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Whether a record matches (exists)',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object(RegistryParams),
        body: Type.Object({ query: Query }, { additionalProperties: false }),
        response: { 200: Type.Object({ answer: Type.Object({ status: Type.Boolean(), message: Type.String() }) }), ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        const { id, match } = splitQuery(request.body.query.content);
        const { reader, purpose } = callerOf(request, registry, 'exists');
        const status = id !== undefined ? (await readOne(request, registry, request.body.query.content, 'exists')) !== undefined : await recordExists(db, { registry, match, reader, purpose, matchPointer: '/body/query/content' });
        return { answer: { status, message: status ? 'Object found from database' : 'Object not found from database' } };
      },
    });

    app.post(`${P}/data/:registryName/:versionNumber/read`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Read one record matching the query (read): by uuid, or the oldest record whose fields equal the values given',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object(RegistryParams),
        body: Type.Object({ query: Query }, { additionalProperties: false }),
        response: { 200: ContentOut, ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        const record = await readOne(request, registry, request.body.query.content, 'read');
        if (!record) throw Problem.notFound('no record found');
        return { content: contentOf(record) };
      },
    });

    app.put(`${P}/data/:registryName/:versionNumber/update`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Change the fields given in write.content of the record the query finds (update)',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object(RegistryParams),
        body: Type.Object(Body, { additionalProperties: false }),
        response: { 200: ContentOut, ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        if (!request.body.query) throw Problem.invalidField('/body/query', 'say which record to change');
        const target = await readOne(request, registry, request.body.query.content, 'update');
        if (!target) throw Problem.notFound('no record found');
        const { reader, purpose } = callerOf(request, registry, 'update');
        const { record } = await writeRecord(db, { registry, id: target.id, data: fieldsOf(request.body.write.content, target.id), writer: reader, purpose, requestId: request.id, dataPointer: '/body/write/content' });
        return { content: contentOf(record) };
      },
    });

    app.put(`${P}/data/:registryName/:versionNumber/updateEntries`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Change the fields given in write.content of every record the query matches, at most 1000 (updateEntries)',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object(RegistryParams),
        body: Type.Object({ query: Query, write: Write }, { additionalProperties: false }),
        response: { 200: Type.Object({ count: Type.Integer() }), ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        const { id, match } = splitQuery(request.body.query.content);
        const { reader, purpose } = callerOf(request, registry, 'updateEntries');
        const data = fieldsOf(request.body.write.content);
        return db.transaction().execute(async (trx) => {
          const found = await searchRecords(trx, { registry, filter: { match: id ? {} : match }, page: { limit: 1000 }, reader, purpose, filterPointer: '/body/query/content' });
          const targets = id ? found.records.filter((r) => r.id === id) : found.records;
          for (const target of targets) await writeRecord(trx, { registry, id: target.id, data, writer: reader, purpose, requestId: request.id, dataPointer: '/body/write/content' });
          return { count: targets.length };
        });
      },
    });

    app.post(`${P}/data/:registryName/:versionNumber/updateOrCreate`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Change the record the query finds, or create one from write.content when none matches (updateOrCreate)',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object(RegistryParams),
        body: Type.Object(Body, { additionalProperties: false }),
        response: { 200: ContentOut, ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        const target = request.body.query ? await readOne(request, registry, request.body.query.content, 'updateOrCreate') : undefined;
        const { reader, purpose } = callerOf(request, registry, 'updateOrCreate');
        const { record } = await writeRecord(db, { registry, id: target?.id, data: fieldsOf(request.body.write.content, target?.id), writer: reader, purpose, requestId: request.id, dataPointer: '/body/write/content' });
        return { content: contentOf(record) };
      },
    });

    app.delete(`${P}/data/:registryName/:versionNumber/:id/delete`, {
      config: { access: access.signedIn },
      schema: {
        summary: 'Delete a record by its uuid, or by its key (delete); the record is kept, marked deleted',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object({ ...RegistryParams, id: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        const registry = await registryAt(request.params);
        const id = await recordIdOf(db, registry, request.params.id);
        const { reader, purpose } = callerOf(request, registry, 'delete');
        await deleteRecord(db, { registry, id, reason: purpose.reason, writer: reader, purpose, requestId: request.id });
        return reply.code(204).send(null);
      },
    });

    // Named like delete's: the router keeps one name per position.
    app.get(`${P}/data/:registryName/:versionNumber/:id/readValue/:field.:ext`, {
      config: { access: access.signedIn },
      schema: {
        summary: "One field of a record, by the record's uuid or key (readValue); ext is json",
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object({ ...RegistryParams, id: Type.String({ minLength: 1, maxLength: 200 }), field: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' }), ext: Type.Literal('json') }),
        response: { 200: Type.Object({ value: Type.Unknown() }), ...Problems },
      },
      handler: async (request) => {
        const registry = await registryAt(request.params);
        const { field } = request.params;
        if (!factsOf(registry.definition).fields.includes(field)) throw Problem.notFound(`"${field}" is not a field of "${registry.code}".`);
        const id = await recordIdOf(db, registry, request.params.id);
        const { reader, purpose } = callerOf(request, registry, 'readValue');
        const record = await readRecord(db, { registry, id, fields: [field], reader, purpose });
        if (!record || record.data[field] === undefined) throw Problem.notFound('no record found');
        return { value: record.data[field] };
      },
    });

    // The YAML spec's path, the JSON spec's, and the one GovStack's test suite calls.
    for (const path of ['/data/myPersonalDataUsage', '/data/mypersonalDataUsage', '/data/MyPersonalDataUsage/1.0']) {
      app.get(`${P}${path}`, {
        config: { access: access.signedIn },
        schema: {
          summary: 'Who has read my personal data in a registry (myPersonalDataUsage): for the person themselves',
          tags: TAGS,
          headers: MediatorHeaders,
          querystring: Type.Object({ userId: Type.String({ pattern: '^[A-Za-z0-9-]{2,40}$' }), databaseId: Type.String({ pattern: '^[A-Za-z0-9-]{2,64}$' }) }, { additionalProperties: false }),
          response: { 200: Type.Array(PersonalDataUsage), ...Problems },
        },
        handler: async (request) => {
          const principal = requirePrincipal(request);
          const party = principal.partyId ? await findPartyById(db, principal.partyId) : undefined;
          if (!party?.national_id || party.national_id !== request.query.userId) throw Problem.forbidden('You may only see who used your own data.');
          const [uses, agencies] = await Promise.all([dataUsesOf(db, request.query.userId, { databaseId: request.query.databaseId }), listAgencies(db)]);
          const byId = new Map(agencies.map((a) => [a.id, a]));
          return uses.filter((u) => u.action === 'read' || u.action === 'search' || u.action === 'exists').map((u: DataUse) => {
            const agency = u.agencyId ? byId.get(u.agencyId) : undefined;
            return {
              id: String(u.id),
              readerId: u.actor.id ?? '',
              readerInitials: u.actor.type === 'external' ? (u.actor.name ?? '') : initials(u.actor.name),
              readerInstitutionId: u.organisation?.id ?? agency?.code ?? '',
              readerInstitutionName: u.organisation?.name ?? agency?.names.en ?? '',
              readerApplicationName: u.via ?? u.service ?? 'Daftari',
              searchDateTime: u.at.toISOString(),
              refrences: [{ ReferenceID: u.recordRef }],
            };
          });
        },
      });
    }
  };
}

/** A path's record: its uuid, or its key. */
async function recordIdOf(db: Db, registry: Registry, given: string): Promise<string> {
  if (isRecordId(given)) return given;
  const key = factsOf(registry.definition).key;
  const [record] = key ? await findRecords(db, registry, { match: { [key]: given } }, { limit: 1 }) : [];
  if (!record) throw Problem.notFound('no record found');
  return record.id;
}
