import { Type } from '@sinclair/typebox';
import type { Db } from '../../platform/db/database.ts';
import { access, hasRole, requirePrincipal, type Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import type { JobQueue } from '../../platform/jobs/queue.ts';
import { actorOf } from '../audit/index.ts';
import { listAgencies } from '../identity/index.ts';
import { defineRegistry } from './define-registry.ts';
import { factsOf, FIELD_NAME, REGISTRY_CODE, RegistryDefinitionSchema, typedCell } from './definition.ts';
import { canSeeRegistry, fieldRights } from './field-access.ts';
import { IMPORT_MODES, importStatus, queueImport, type ImportFormat, type ImportMode } from './imports.ts';
import { deleteRecord, readerOf, readRecord, searchRecords, writeRecord, type Purpose, type Reader } from './records.ts';
import { findRecord, findRegistry, listRegistries, recordHistory, registryVersions, type RecordData, type Registry } from './store.ts';

export const Code = Type.String({ pattern: REGISTRY_CODE });
const CodeParams = Type.Object({ code: Code }, { additionalProperties: false });
const RecordParams = Type.Object({ code: Code, id: Uuid }, { additionalProperties: false });
const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const Data = Type.Record(Type.String({ pattern: FIELD_NAME }), Type.Unknown(), { additionalProperties: false, maxProperties: 200 });
const Text = Type.Record(Type.String(), Type.String());

/** Why a person's data is used: required for registries of personal data, shown to the person. */
export const PurposeFields = {
  reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500, description: 'Why the data is used (required for registries of personal data)' })),
  service: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$', description: 'The service the data is used for, e.g. construction-permit' })),
  caseId: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$', description: 'The case (application) the data is used for' })),
};

const RecordOut = Type.Object({ id: Type.String(), registry: Type.String(), version: Type.Integer(), schemaVersion: Type.Integer(), data: Data, createdAt: DateTime, updatedAt: DateTime });

const RegistrySummary = Type.Object({
  code: Type.String(),
  agency: Type.String(),
  names: Text,
  version: Type.Integer(),
  personal: Type.Boolean(),
  read: Type.Array(Type.String(), { description: 'The fields the caller may read' }),
  write: Type.Array(Type.String(), { description: 'The fields the caller may write' }),
});

const ImportOut = Type.Object({
  id: Type.String(),
  registry: Type.String(),
  fileName: Type.String(),
  format: Type.String(),
  mode: Type.String(),
  state: Type.String(),
  totalRows: Type.Integer(),
  checkedRows: Type.Integer(),
  writtenRows: Type.Integer(),
  errorCount: Type.Integer(),
  errors: Type.Array(Type.Object({ line: Type.Integer(), field: Type.String(), reason: Type.String() })),
  createdAt: DateTime,
  finishedAt: Type.Union([DateTime, Type.Null()]),
});

/** Imports are larger than ordinary bodies: 100,000 records are about 15 MB of CSV. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

export async function registryOr404(db: Db, code: string): Promise<Registry> {
  const registry = await findRegistry(db, code);
  if (!registry) throw Problem.notFound(`No registry has the code "${code}".`);
  return registry;
}

/** The purpose a request gives; a registry of personal data needs a reason. */
export function purposeOf(registry: Registry, given: { reason?: string; service?: string; caseId?: string }, pointer: string, fallback: string): Purpose {
  if (factsOf(registry.definition).personal && !given.reason) throw Problem.invalidField(`${pointer}/reason`, 'say why you use this personal data (it is shown to the person concerned)');
  return { reason: given.reason ?? fallback, service: given.service ?? null, caseId: given.caseId ?? null };
}

/** `field:value` pairs from a query, typed by the fields' schema (a number field matches 12, not "12"). */
export function matchOf(registry: Registry, pairs: string[] | undefined, pointer: string): RecordData {
  const properties = factsOf(registry.definition).schema.properties ?? {};
  const match: RecordData = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf(':');
    const field = pair.slice(0, at);
    if (at < 1 || !properties[field]) throw Problem.invalidField(pointer, `"${pair}" is not field:value with a field of "${registry.code}"`);
    match[field] = typedCell(properties[field], pair.slice(at + 1)) ?? '';
  }
  return match;
}

export function summaryOf(principal: Principal | null, registry: Registry, agencyCodes: Map<string, string>) {
  const rights = fieldRights(principal, registry);
  return { code: registry.code, agency: agencyCodes.get(registry.agencyId) ?? '', names: registry.definition.names, version: registry.version, personal: registry.definition.personal, read: [...rights.read], write: [...rights.write] };
}

/** Who may see an import: whoever started it, the platform administrator, and the registry's writers. */
export function canSeeImport(principal: Principal, registry: Registry, createdBy: { id: string | null }): boolean {
  return createdBy.id === principal.id || hasRole(principal, 'admin', null) || fieldRights(principal, registry).write.size > 0;
}

function decodeUtf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw Problem.badRequest('The file is not valid UTF-8. Save it as UTF-8 and try again.');
  }
}

export function registriesApi(db: Db, jobs: JobQueue) {
  return async (app: App) => {
    app.addContentTypeParser(['text/csv', 'application/x-ndjson', 'application/jsonl'], { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) => {
      try {
        done(null, decodeUtf8(body as Buffer));
      } catch (err) {
        done(err as Error);
      }
    });

    app.get('/api/registries', {
      config: { access: access.signedIn },
      schema: { summary: 'The registries I may read, with the fields I may read and write', tags: ['registries'], response: { 200: Type.Array(RegistrySummary), ...Problems } },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const [registries, agencies] = await Promise.all([listRegistries(db), listAgencies(db)]);
        const codes = new Map(agencies.map((a) => [a.id, a.code]));
        return registries.filter((r) => canSeeRegistry(principal, r)).map((r) => summaryOf(principal, r, codes));
      },
    });

    app.get('/api/registries/:code', {
      config: { access: access.signedIn },
      schema: {
        summary: "A registry's definition (current version) and its versions",
        tags: ['registries'],
        params: CodeParams,
        response: { 200: Type.Object({ definition: Type.Object({}, { additionalProperties: true }), versions: Type.Array(Type.Object({ version: Type.Integer(), createdAt: DateTime })) }), ...Problems },
      },
      handler: async (request) => {
        const registry = await registryOr404(db, request.params.code);
        if (!canSeeRegistry(requirePrincipal(request), registry)) throw Problem.forbidden(`You may not read the registry "${registry.code}".`);
        const versions = await registryVersions(db, registry.id);
        return { definition: registry.definition, versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt })) };
      },
    });

    app.put('/api/registries/:code', {
      config: { access: access.roles('admin') },
      schema: {
        summary: 'Create a registry, or give it a new version, from its definition (JSON Schema of records, searchable fields, personal data, field access); takes effect at once',
        tags: ['registries'],
        params: CodeParams,
        body: RegistryDefinitionSchema,
        response: { 200: Type.Object({ code: Type.String(), version: Type.Integer(), changed: Type.Boolean() }), 201: Type.Object({ code: Type.String(), version: Type.Integer(), changed: Type.Boolean() }), ...Problems },
      },
      handler: async (request, reply) => {
        if (request.body.code !== request.params.code) throw Problem.invalidField('/body/code', `must be "${request.params.code}", the code in the address`);
        const { registry, created, changed } = await defineRegistry(db, request.body, { actor: actorOf(request.principal), requestId: request.id });
        return reply.code(created ? 201 : 200).send({ code: registry.code, version: registry.version, changed });
      },
    });

    app.get('/api/registries/:code/records', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Search records by the key or searchable fields (exact match, or starts with), keyset paging by record id; each record returned is logged as read',
        tags: ['registries'],
        params: CodeParams,
        querystring: Type.Object(
          {
            match: Type.Optional(Type.Array(Type.String({ maxLength: 300, pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}:' }), { maxItems: 5, description: 'field:value, the field equal to the value' })),
            prefix: Type.Optional(Type.String({ maxLength: 300, pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}:.+$', description: 'field:text, the field starting with the text (any case)' })),
            after: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
            ...PurposeFields,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ records: Type.Array(RecordOut), next: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const { prefix, after, limit = 50 } = request.query;
        const match = matchOf(registry, request.query.match, '/query/match');
        const prefixAt = prefix?.indexOf(':') ?? -1;
        const filter = { match, prefix: prefix ? { fields: [prefix.slice(0, prefixAt)], text: prefix.slice(prefixAt + 1) } : undefined };
        const purpose = purposeOf(registry, request.query, '/query', 'Registry search');
        const { records, next } = await searchRecords(db, { registry, filter, page: { after, limit }, reader: readerOf(principal, registry), purpose, filterPointer: '/query' });
        return { records, next };
      },
    });

    app.post('/api/registries/:code/records', {
      config: { access: access.signedIn },
      schema: {
        summary: "Create a record: checked against the registry's current schema; fields the writer may not write are refused",
        tags: ['registries'],
        params: CodeParams,
        body: Type.Object({ data: Data, ...PurposeFields }, { additionalProperties: false }),
        response: { 201: RecordOut, ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const purpose = purposeOf(registry, request.body, '/body', 'Record created through the API');
        const { record } = await writeRecord(db, { registry, data: request.body.data, writer: readerOf(principal, registry), purpose, requestId: request.id });
        return reply.code(201).header('location', `/api/registries/${registry.code}/records/${record.id}`).send(record);
      },
    });

    app.get('/api/registries/:code/records/:id', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Read a record, with the fields the caller may read; logged for the person it is about',
        tags: ['registries'],
        params: RecordParams,
        querystring: Type.Object({ ...PurposeFields }, { additionalProperties: false }),
        response: { 200: RecordOut, ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const purpose = purposeOf(registry, request.query, '/query', 'Record read through the API');
        const record = await readRecord(db, { registry, id: request.params.id, reader: readerOf(principal, registry), purpose });
        if (!record) throw Problem.notFound(`No record of "${registry.code}" has this id.`);
        return record;
      },
    });

    app.patch('/api/registries/:code/records/:id', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Change fields of a record (null removes a field), from the version last read: another version in between is a conflict (409)',
        tags: ['registries'],
        params: RecordParams,
        body: Type.Object({ version: Type.Integer({ minimum: 1, description: 'The version the change was made from' }), data: Data, ...PurposeFields }, { additionalProperties: false }),
        response: { 200: RecordOut, ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const purpose = purposeOf(registry, request.body, '/body', 'Record changed through the API');
        const { record } = await writeRecord(db, { registry, id: request.params.id, expectedVersion: request.body.version, data: request.body.data, writer: readerOf(principal, registry), purpose, requestId: request.id });
        return record;
      },
    });

    app.delete('/api/registries/:code/records/:id', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Delete a record (kept, marked deleted, with the reason); for writers of every field',
        tags: ['registries'],
        params: RecordParams,
        body: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })), reason: Type.String({ minLength: 3, maxLength: 500 }), service: PurposeFields.service, caseId: PurposeFields.caseId }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const { version, reason, service, caseId } = request.body;
        await deleteRecord(db, { registry, id: request.params.id, expectedVersion: version, reason, writer: readerOf(principal, registry), purpose: { reason, service, caseId }, requestId: request.id });
        return reply.code(204).send(null);
      },
    });

    app.get('/api/registries/:code/records/:id/history', {
      config: { access: access.signedIn },
      schema: {
        summary: 'Every version of a record, newest first, with the fields the caller may read; logged as a read',
        tags: ['registries'],
        params: RecordParams,
        querystring: Type.Object({ ...PurposeFields }, { additionalProperties: false }),
        response: { 200: Type.Array(Type.Object({ version: Type.Integer(), schemaVersion: Type.Integer(), data: Data, writtenAt: DateTime, writtenBy: Type.Union([Type.String(), Type.Null()]) })), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        const purpose = purposeOf(registry, request.query, '/query', 'Record history read through the API');
        return recordVersionsFor(db, registry, request.params.id, readerOf(principal, registry), purpose);
      },
    });

    app.post('/api/registries/:code/imports', {
      bodyLimit: IMPORT_BODY_LIMIT,
      config: { access: access.signedIn },
      schema: {
        summary: 'Import records from CSV (text/csv, a header row of field names) or JSON lines (application/x-ndjson): checked row by row by a background job, written all or nothing or skipping bad rows',
        tags: ['registries'],
        params: CodeParams,
        consumes: ['text/csv', 'application/x-ndjson'],
        querystring: Type.Object(
          {
            mode: Type.Optional(Type.Union(IMPORT_MODES.map((m) => Type.Literal(m)), { default: 'all-or-nothing' })),
            fileName: Type.Optional(Type.String({ maxLength: 200, pattern: '^[^/\\\\]+$' })),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ id: Type.String(), status: Type.String() }), ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const registry = await registryOr404(db, request.params.code);
        if (typeof request.body !== 'string') throw new Problem(415, 'Send the file as the body, with Content-Type: text/csv or application/x-ndjson.');
        const format: ImportFormat = /^text\/csv/i.test(request.headers['content-type'] ?? '') ? 'csv' : 'jsonl';
        const id = await startImport(db, jobs, { principal, registry, format, mode: request.query.mode ?? 'all-or-nothing', fileName: request.query.fileName ?? `upload.${format}`, content: request.body, requestId: request.id });
        return reply.code(202).header('location', `/api/registries/imports/${id}`).send({ id, status: `/api/registries/imports/${id}` });
      },
    });

    app.get('/api/registries/imports/:id', {
      config: { access: access.signedIn },
      schema: { summary: 'Progress and report of an import (rows checked and written, errors by line and field)', tags: ['registries'], params: Type.Object({ id: Uuid }, { additionalProperties: false }), response: { 200: ImportOut, ...Problems } },
      handler: async (request) => visibleImport(db, requirePrincipal(request), request.params.id),
    });
  };
}

/** Start an import for a writer of the registry (or the administrator); the fields they may write travel with it. */
export async function startImport(db: Db, jobs: JobQueue, input: { principal: Principal; registry: Registry; format: ImportFormat; mode: ImportMode; fileName: string; content: string; requestId: string }): Promise<string> {
  const { principal, registry } = input;
  const rights = fieldRights(principal, registry);
  if (rights.write.size === 0) throw Problem.forbidden(`You may not write to the registry "${registry.code}".`);
  const all = factsOf(registry.definition).fields;
  const writable = all.every((f) => rights.write.has(f)) ? null : [...rights.write];
  return queueImport(db, jobs, { registry, fileName: input.fileName, format: input.format, mode: input.mode, content: input.content, writer: { actor: actorOf(principal), agencyId: rights.agencyId, writable }, requestId: input.requestId });
}

/** An import's status, for those who may see it; another's import is not found. */
export async function visibleImport(db: Db, principal: Principal, id: string) {
  const status = await importStatus(db, id);
  const registry = status && (await findRegistry(db, status.registry));
  if (!status || !registry || !canSeeImport(principal, registry, status.createdBy)) throw Problem.notFound('No import you may see has this id.');
  return status;
}

/** A record's versions as the reader may see them, logged as one read. */
export async function recordVersionsFor(db: Db, registry: Registry, id: string, reader: Reader, purpose: Purpose) {
  const current = await readRecord(db, { registry, id, reader, purpose });
  if (!current) throw Problem.notFound(`No record of "${registry.code}" has this id.`);
  const record = (await findRecord(db, registry, id))!;
  const readable = reader.principal ? fieldRights(reader.principal, registry).read : new Set(Object.keys(current.data));
  return (await recordHistory(db, record)).map((v) => ({
    version: v.version,
    schemaVersion: v.schemaVersion,
    data: Object.fromEntries(Object.entries(v.data).filter(([f]) => readable.has(f))),
    writtenAt: v.writtenAt,
    writtenBy: v.writtenBy.name,
  }));
}
