import type { Executor, Tx } from '../../platform/db/database.ts';
import type { Principal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { actorOf, recordAudit, type AuditActor } from '../audit/index.ts';
import { factsOf, invalidParams, recordValidator } from './definition.ts';
import { fieldRights, visibleData } from './field-access.ts';
import {
  countRecords,
  findRecord,
  findRecords,
  findRegistry,
  insertRecord,
  logAccess,
  markDeleted,
  replaceRecord,
  type AccessAction,
  type AccessEntry,
  type RecordData,
  type RecordFilter,
  type RecordPage,
  type Registry,
  type StoredRecord,
} from './store.ts';

/**
 * Reading and writing records, for the HTTP routes and for other blocks (the mediator, form
 * prefill). Every read or write of a personal registry's record is logged for the person it is
 * about, in the same call and the same transaction: there is no way to read without leaving a trace.
 */

/** Who reads or writes, and in whose name. */
export interface Reader {
  actor: AuditActor;
  /** The agency in whose name the data is used: what the person concerned is shown. */
  agencyId: string | null;
  /**
   * The signed-in person or API client, whose access rules decide which fields they get. Absent
   * for a block acting on its own authority (the mediator checks its own access rights and
   * consent): it must then name the `fields` it needs.
   */
  principal?: Principal;
  /** A reader outside this node, as the mediator knows them. */
  organisation?: { id: string; name: string } | null;
  /** The system the request came through (an X-Road style client, an application). */
  via?: string | null;
}

/** A signed-in person or API client as a reader: their rights decide the fields, their rule's agency is named in the log. */
export function readerOf(principal: Principal, registry: Registry, via: string | null = null): Reader {
  return { actor: actorOf(principal), agencyId: fieldRights(principal, registry).agencyId, principal, via };
}

/** Why: the service or case the data is used for, and a reason in words. */
export interface Purpose {
  service?: string | null;
  caseId?: string | null;
  reason: string;
}

export interface RecordView {
  id: string;
  registry: string;
  version: number;
  schemaVersion: number;
  data: RecordData;
  createdAt: Date;
  updatedAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Record ids are UUIDs: anything else is simply not found. */
export function isRecordId(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}

function view(registry: Registry, record: StoredRecord, readable: ReadonlySet<string>): RecordView {
  return { id: record.id, registry: registry.code, version: record.version, schemaVersion: record.schemaVersion, data: visibleData(record.data, readable), createdAt: record.createdAt, updatedAt: record.updatedAt };
}

async function resolve(executor: Executor, registry: string | Registry): Promise<Registry> {
  if (typeof registry !== 'string') return registry;
  const found = await findRegistry(executor, registry);
  if (!found) throw Problem.notFound(`No registry has the code "${registry}".`);
  return found;
}

function inTransaction<T>(executor: Executor, work: (trx: Tx) => Promise<T>): Promise<T> {
  return executor.isTransaction ? work(executor as Tx) : executor.transaction().execute(work);
}

/** The fields this reader gets: their rights (narrowed to `wanted`), or what a block acting on its own authority names. */
function readableFields(registry: Registry, reader: Reader, wanted?: readonly string[]): Set<string> {
  const all = factsOf(registry.definition).fields;
  if (!reader.principal) {
    if (!wanted) throw new Error('A read without a principal must name the fields it needs');
    return new Set(wanted.filter((f) => all.includes(f)));
  }
  const rights = fieldRights(reader.principal, registry);
  if (rights.read.size === 0) throw Problem.forbidden(`You may not read the registry "${registry.code}".`);
  if (!wanted) return new Set(rights.read);
  const refused = wanted.filter((f) => !rights.read.has(f));
  if (refused.length > 0) throw Problem.forbidden(`You may not read these fields of "${registry.code}": ${refused.join(', ')}.`);
  return new Set(wanted);
}

/**
 * A filter may only use fields the reader may read (a match on a hidden field would reveal it;
 * a block acting on its own authority may match on any field) and that are indexed (the key or
 * a searchable field), so a search stays fast at any size.
 */
function checkFilter(registry: Registry, reader: Reader, readable: ReadonlySet<string>, filter: RecordFilter, pointer: string): void {
  const facts = factsOf(registry.definition);
  const used = [...Object.keys(filter.match ?? {}), ...(filter.prefix?.fields ?? [])];
  for (const field of used) {
    if (!facts.fields.includes(field)) throw Problem.invalidField(`${pointer}/${field}`, `is not a field of the registry "${registry.code}"`);
    if (reader.principal && !readable.has(field)) throw Problem.forbidden(`You may not search by the field "${field}".`);
    if (field !== facts.key && !facts.searchable.includes(field)) throw Problem.invalidField(`${pointer}/${field}`, `is not searchable; search by ${[facts.key, ...facts.searchable].filter(Boolean).join(', ')}`);
  }
}

function accessEntry(registry: Registry, record: { id: string; data: RecordData }, action: AccessAction, fields: string[], who: Reader, purpose: Purpose): AccessEntry | null {
  const { personal, personField } = factsOf(registry.definition);
  const person = personal && personField ? record.data[personField] : undefined;
  if (typeof person !== 'string' || person === '') return null;
  return {
    registryId: registry.id,
    recordRef: record.id,
    personId: person,
    action,
    fields,
    actor: who.actor,
    agencyId: who.agencyId,
    organisation: who.organisation ?? null,
    via: who.via ?? null,
    service: purpose.service ?? null,
    caseId: purpose.caseId ?? null,
    reason: purpose.reason,
  };
}

async function logUses(executor: Executor, registry: Registry, records: { id: string; data: RecordData }[], action: AccessAction, fieldsOf: (record: { id: string; data: RecordData }) => string[], who: Reader, purpose: Purpose): Promise<void> {
  await logAccess(executor, records.map((r) => accessEntry(registry, r, action, fieldsOf(r), who, purpose)).filter((e): e is AccessEntry => e !== null));
}

export interface ReadInput {
  registry: string | Registry;
  id?: string;
  /** Find the record by field values instead of its id: the first match (oldest first) is read. */
  match?: RecordData;
  /** The fields wanted; by default every field the reader may read. */
  fields?: readonly string[];
  reader: Reader;
  purpose: Purpose;
  /** Where a bad match field points in a problem (default `/match`). */
  matchPointer?: string;
}

/** Read one record, by id or by matching fields; undefined when there is none (and nothing is logged). */
export async function readRecord(executor: Executor, input: ReadInput): Promise<RecordView | undefined> {
  const registry = await resolve(executor, input.registry);
  const readable = readableFields(registry, input.reader, input.fields);
  let record: StoredRecord | undefined;
  if (input.id !== undefined) record = isRecordId(input.id) ? await findRecord(executor, registry, input.id) : undefined;
  else {
    const filter = { match: input.match ?? {} };
    if (Object.keys(filter.match).length === 0) throw Problem.badRequest('Say which record to read: its id, or values of its fields.');
    checkFilter(registry, input.reader, readable, filter, input.matchPointer ?? '/match');
    [record] = await findRecords(executor, registry, filter, { limit: 1, oldestFirst: true });
  }
  if (!record) return undefined;
  const result = view(registry, record, readable);
  await logUses(executor, registry, [record], 'read', () => Object.keys(result.data), input.reader, input.purpose);
  return result;
}

export interface SearchInput {
  registry: string | Registry;
  filter: RecordFilter;
  /** Keyset (`after`, a record id) or offset paging, ordered by record id. */
  page: RecordPage;
  fields?: readonly string[];
  /** Also count every match (for paged answers that give a total). */
  withTotal?: boolean;
  reader: Reader;
  purpose: Purpose;
  filterPointer?: string;
}

export interface SearchResult {
  records: RecordView[];
  /** The id to continue after, when there may be more. */
  next: string | null;
  total: number | null;
}

/** Search a registry; every record returned is logged as read by this reader, for this purpose. */
export async function searchRecords(executor: Executor, input: SearchInput): Promise<SearchResult> {
  const registry = await resolve(executor, input.registry);
  const readable = readableFields(registry, input.reader, input.fields);
  checkFilter(registry, input.reader, readable, input.filter, input.filterPointer ?? '/query');
  const [records, total] = await Promise.all([findRecords(executor, registry, input.filter, input.page), input.withTotal ? countRecords(executor, registry, input.filter) : Promise.resolve(null)]);
  const views = records.map((r) => view(registry, r, readable));
  const fields = (record: { id: string }) => Object.keys(views.find((v) => v.id === record.id)?.data ?? {});
  await logUses(executor, registry, records, 'search', fields, input.reader, input.purpose);
  return { records: views, next: records.length === input.page.limit ? records[records.length - 1]!.id : null, total };
}

/** Whether a record matches (GovStack's exists). A match is logged: it tells something about the person. */
export async function recordExists(executor: Executor, input: Omit<ReadInput, 'id' | 'fields'> & { match: RecordData }): Promise<boolean> {
  const registry = await resolve(executor, input.registry);
  // Only the match is revealed, so a block acting on its own authority names just those fields.
  const readable = readableFields(registry, input.reader, input.reader.principal ? undefined : Object.keys(input.match));
  checkFilter(registry, input.reader, readable, { match: input.match }, input.matchPointer ?? '/match');
  const [record] = await findRecords(executor, registry, { match: input.match }, { limit: 1 });
  if (record) await logUses(executor, registry, [record], 'exists', () => Object.keys(input.match), input.reader, input.purpose);
  return record !== undefined;
}

export interface WriteInput {
  registry: string | Registry;
  /** The record to update; absent to create one. */
  id?: string;
  /** Create with this id (GovStack clients may give one). */
  newId?: string;
  /** The version the writer last saw: a different current version is a conflict (409). */
  expectedVersion?: number;
  /**
   * For a new record, its fields. For an update, the fields to change: each given value replaces
   * the field's, null removes it (JSON merge patch, RFC 7396, on the top-level fields).
   */
  data: RecordData;
  writer: Reader;
  purpose: Purpose;
  requestId?: string | null;
  /** Where the data's problems point (default `/body/data`). */
  dataPointer?: string;
}

function writableFields(registry: Registry, writer: Reader): ReadonlySet<string> {
  const facts = factsOf(registry.definition);
  if (!writer.principal) return new Set(facts.fields);
  const rights = fieldRights(writer.principal, registry);
  if (rights.write.size === 0) throw Problem.forbidden(`You may not write to the registry "${registry.code}".`);
  return rights.write;
}

/** Fields the registry has but the writer may not write; a field it does not have is the schema's to refuse. */
function refuseUnwritable(registry: Registry, writable: ReadonlySet<string>, fields: string[]): void {
  const known = factsOf(registry.definition).fields;
  const refused = fields.filter((f) => known.includes(f) && !writable.has(f));
  if (refused.length > 0) throw Problem.forbidden(`You may not write these fields of "${registry.code}": ${refused.join(', ')}.`);
}

function validate(registry: Registry, data: RecordData, pointer: string): void {
  const validator = recordValidator(registry.id, registry.version, factsOf(registry.definition).schema);
  if (!validator(data)) {
    const errors = invalidParams(validator.errors, pointer);
    throw Problem.badRequest(`The record does not fit the registry "${registry.code}" (version ${registry.version}): ${errors.map((e) => `${e.pointer} ${e.reason}`).join('; ')}.`, errors);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function readerFields(registry: Registry, writer: Reader): ReadonlySet<string> {
  return writer.principal ? fieldRights(writer.principal, registry).read : new Set(factsOf(registry.definition).fields);
}

function uniqueKeyConflict(registry: Registry, err: unknown): never {
  if ((err as { code?: string }).code === '23505') {
    const key = factsOf(registry.definition).key;
    throw Problem.conflict(`A record with this ${key ?? 'id'} already exists in "${registry.code}".`);
  }
  throw err;
}

/** Create or update a record: validated against the registry's current version, audited and logged. */
export async function writeRecord(executor: Executor, input: WriteInput): Promise<{ record: RecordView; created: boolean }> {
  return inTransaction(executor, async (trx) => {
    const registry = await resolve(trx, input.registry);
    const writable = writableFields(registry, input.writer);
    const pointer = input.dataPointer ?? '/body/data';
    const audit = (action: string, record: StoredRecord) =>
      recordAudit(trx, { actor: input.writer.actor, agencyId: registry.agencyId, action, subjectType: 'registry-record', subjectId: record.id, requestId: input.requestId ?? null, details: { registry: registry.code, version: record.version }, change: record.data });

    if (input.id === undefined) {
      const data = Object.fromEntries(Object.entries(input.data).filter(([, v]) => v !== null));
      refuseUnwritable(registry, writable, Object.keys(data));
      validate(registry, data, pointer);
      const record = await insertRecord(trx, { id: input.newId, registry, data, actor: input.writer.actor }).catch((err: unknown) => uniqueKeyConflict(registry, err));
      await audit('registries.create-record', record);
      await logUses(trx, registry, [record], 'create', () => Object.keys(data), input.writer, input.purpose);
      return { record: view(registry, record, readerFields(registry, input.writer)), created: true };
    }

    const current = isRecordId(input.id) ? await findRecord(trx, registry, input.id, { forUpdate: true }) : undefined;
    if (!current) throw Problem.notFound(`No record of "${registry.code}" has this id.`);
    if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
      throw new Problem(409, `The record has changed since you read it: it is at version ${current.version}, not ${input.expectedVersion}. Read it again and reapply your change.`, { extensions: { currentVersion: current.version } });
    }
    const data: RecordData = { ...current.data };
    for (const [field, value] of Object.entries(input.data)) {
      if (value === null) delete data[field];
      else data[field] = value;
    }
    const changed = [...new Set([...Object.keys(data), ...Object.keys(current.data)])].filter((f) => !same(data[f], current.data[f]));
    refuseUnwritable(registry, writable, changed);
    if (changed.length === 0) return { record: view(registry, current, readerFields(registry, input.writer)), created: false };
    validate(registry, data, pointer);
    const record = await replaceRecord(trx, { registry, record: current, data, actor: input.writer.actor }).catch((err: unknown) => uniqueKeyConflict(registry, err));
    await audit('registries.update-record', record);
    // Should the record now be about someone else, both people see the change.
    const { personField } = factsOf(registry.definition);
    const touched = personField && !same(current.data[personField], data[personField]) ? [record, { id: current.id, data: current.data }] : [record];
    await logUses(trx, registry, touched, 'update', () => changed, input.writer, input.purpose);
    return { record: view(registry, record, readerFields(registry, input.writer)), created: false };
  });
}

/** Soft-delete a record with a reason; only a writer of every field (or a block acting on its own authority) may. */
export async function deleteRecord(executor: Executor, input: { registry: string | Registry; id: string; expectedVersion?: number; reason: string; writer: Reader; purpose: Purpose; requestId?: string | null }): Promise<void> {
  await inTransaction(executor, async (trx) => {
    const registry = await resolve(trx, input.registry);
    const writable = writableFields(registry, input.writer);
    refuseUnwritable(registry, writable, factsOf(registry.definition).fields);
    const record = isRecordId(input.id) ? await findRecord(trx, registry, input.id, { forUpdate: true }) : undefined;
    if (!record) throw Problem.notFound(`No record of "${registry.code}" has this id.`);
    if (input.expectedVersion !== undefined && input.expectedVersion !== record.version) {
      throw new Problem(409, `The record has changed since you read it: it is at version ${record.version}, not ${input.expectedVersion}.`, { extensions: { currentVersion: record.version } });
    }
    await markDeleted(trx, record, input.writer.actor, input.reason);
    await recordAudit(trx, { actor: input.writer.actor, agencyId: registry.agencyId, action: 'registries.delete-record', subjectType: 'registry-record', subjectId: record.id, requestId: input.requestId ?? null, details: { registry: registry.code, reason: input.reason.slice(0, 200) } });
    await logUses(trx, registry, [record], 'delete', () => [], input.writer, input.purpose);
  });
}
