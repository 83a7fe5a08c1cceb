import { Type, type Static } from '@sinclair/typebox';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { InvalidParam } from '../../platform/http/problem.ts';

/**
 * A registry is defined by one JSON document: its records' JSON Schema (2020-12), which fields
 * are searchable, whether records are about a person (and which field names them), and who may
 * read or write which fields. docs/registries.md is the guide.
 */
export const REGISTRY_CODE = '^[a-z][a-z0-9-]{1,62}$';
export const FIELD_NAME = '^[A-Za-z][A-Za-z0-9_]{0,62}$';
/** GovStack's API returns the record id as `uuid` beside the fields, so no field may have that name. */
const RESERVED_FIELDS = new Set(['uuid']);
/** `/api/registries/imports/{id}` sits where a registry's code would. */
const RESERVED_CODES = new Set(['imports']);

const FieldName = Type.String({ pattern: FIELD_NAME });
const Text = Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 2000 }), { additionalProperties: false });
const FieldList = Type.Union([Type.Literal('*'), Type.Array(FieldName, { maxItems: 200, uniqueItems: true })], { description: '"*" for every field, or a list of fields' });

export const AccessRule = Type.Object(
  {
    role: Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$', description: 'A role, e.g. officer' }),
    agency: Type.String({ pattern: '^[a-z0-9-]{2,40}$', description: 'Holders of the role in this agency (or one above it)' }),
    read: Type.Optional(FieldList),
    write: Type.Optional(FieldList),
  },
  { additionalProperties: false },
);

export const RegistryDefinitionSchema = Type.Object(
  {
    code: Type.String({ pattern: REGISTRY_CODE }),
    agency: Type.String({ pattern: '^[a-z0-9-]{2,40}$', description: 'The owning agency' }),
    names: Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 2000 }), { additionalProperties: false, minProperties: 1 }),
    descriptions: Type.Optional(Text),
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'The new version number; by default the current one plus one' })),
    databaseId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{2,64}$', description: 'GovStack database acronym (myPersonalDataUsage); by default the code' })),
    schema: Type.Object({}, { additionalProperties: true, description: 'JSON Schema (2020-12) of a record: an object whose every field is declared' }),
    key: Type.Optional(Type.Union([FieldName, Type.Null()], { description: 'A field unique among live records, e.g. parcelNumber' })),
    searchable: Type.Array(FieldName, { maxItems: 20, uniqueItems: true }),
    personal: Type.Boolean({ description: 'Records are about people: every read and write is logged for the person concerned' }),
    personField: Type.Optional(Type.Union([FieldName, Type.Null()], { description: 'The field holding the national id of the person a record is about' })),
    access: Type.Array(AccessRule, { maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type RegistryDefinition = Static<typeof RegistryDefinitionSchema>;

export type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };

/** An access rule with its agency resolved. */
export interface FieldRule {
  role: string;
  agencyId: string;
  read: '*' | string[];
  write: '*' | string[];
}

// Formats checked; unknown keywords and formats tolerated (definitions carry `description`, `examples`, …), without warnings in the log.
const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const checkShape = ajv.compile<RegistryDefinition>(RegistryDefinitionSchema);

/** A validator per registry version: versions never change, so compiling once is enough. */
const validators = new Map<string, ValidateFunction>();

export function recordValidator(registryId: string, version: number, schema: JsonSchema): ValidateFunction {
  const key = `${registryId}@${version}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

function pointerOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (typeof params.missingProperty === 'string') return `${error.instancePath}/${params.missingProperty}`;
  if (typeof params.additionalProperty === 'string') return `${error.instancePath}/${params.additionalProperty}`;
  return error.instancePath;
}

function reasonOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not a field of this registry';
  if (error.keyword === 'required') return 'is required';
  return error.message ?? 'is not valid';
}

/** Ajv's errors as problem details under `base` (e.g. `/body/data`), one per pointer. */
export function invalidParams(errors: ErrorObject[] | null | undefined, base: string): InvalidParam[] {
  const seen = new Set<string>();
  const out: InvalidParam[] = [];
  for (const error of errors ?? []) {
    // A failed anyOf/oneOf reports its branches' errors too; the branches say more.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue;
    const pointer = `${base}${pointerOf(error)}`;
    if (seen.has(pointer)) continue;
    seen.add(pointer);
    out.push({ pointer, reason: reasonOf(error) });
  }
  return out;
}

/** What a stored definition says, read the way the rest of the block needs it. */
export interface DefinitionFacts {
  fields: string[];
  key: string | null;
  searchable: string[];
  personal: boolean;
  personField: string | null;
  schema: JsonSchema;
}

export function factsOf(definition: RegistryDefinition): DefinitionFacts {
  const schema = definition.schema as JsonSchema;
  return {
    fields: Object.keys(schema.properties ?? {}),
    key: definition.key ?? null,
    searchable: definition.searchable,
    personal: definition.personal,
    personField: definition.personField ?? null,
    schema,
  };
}

const SCALAR_TYPES = new Set(['string', 'integer', 'number', 'boolean']);

function typesOf(property: Record<string, unknown> | undefined): string[] {
  const type = property?.type;
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : typeof type === 'string' ? [type] : [];
}

/** A field whose value can be compared as text: what an index and a CSV cell hold. */
function isScalar(property: Record<string, unknown> | undefined): boolean {
  const types = typesOf(property).filter((t) => t !== 'null');
  return types.length > 0 && types.every((t) => SCALAR_TYPES.has(t));
}

export interface DefinitionContext {
  /** Agency codes that exist. */
  agencies: ReadonlySet<string>;
  /** Roles that exist. */
  roles: ReadonlySet<string>;
  /** The registry's current version, when it already exists. */
  currentVersion: number | null;
}

/**
 * Every problem with a definition document at once, as pointers under `base`: its shape, then
 * what it means (the schema compiles and declares every field, the fields named exist, the
 * agencies and roles exist, the version moves forward).
 */
export function checkDefinition(input: unknown, context: DefinitionContext, base: string): { definition: RegistryDefinition; problems: [] } | { definition: null; problems: InvalidParam[] } {
  if (!checkShape(input)) return { definition: null, problems: invalidParams(checkShape.errors, base) };
  const definition = input;
  const problems: InvalidParam[] = [];
  const add = (pointer: string, reason: string) => problems.push({ pointer: `${base}${pointer}`, reason });
  const schema = definition.schema as JsonSchema;

  if (RESERVED_CODES.has(definition.code)) add('/code', `"${definition.code}" is reserved (the API has a path of that name)`);
  if ('$schema' in schema && schema.$schema !== 'https://json-schema.org/draft/2020-12/schema') add('/schema/$schema', 'use JSON Schema 2020-12 (https://json-schema.org/draft/2020-12/schema), or leave $schema out');
  else {
    try {
      ajv.compile(schema);
    } catch (err) {
      add('/schema', `is not a valid JSON Schema: ${(err as Error).message}`);
    }
  }
  if (schema.type !== 'object') add('/schema/type', 'must be "object": a record is an object of fields');
  const properties = schema.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties) || Object.keys(properties).length === 0) {
    add('/schema/properties', 'must declare the fields of a record');
    return { definition: null, problems };
  }
  if (schema.additionalProperties !== false) add('/schema/additionalProperties', 'must be false: every field is declared, so that access rules can name it');
  for (const name of Object.keys(properties)) {
    if (!new RegExp(FIELD_NAME).test(name)) add(`/schema/properties/${name}`, 'a field name is a letter followed by letters, digits or _ (at most 63)');
    else if (RESERVED_FIELDS.has(name)) add(`/schema/properties/${name}`, `"${name}" is reserved for the record id`);
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const known = (pointer: string, field: string) => {
    if (properties[field] === undefined) add(pointer, `"${field}" is not a field of the schema`);
    return properties[field] !== undefined;
  };
  if (definition.key && known('/key', definition.key)) {
    if (!isScalar(properties[definition.key])) add('/key', 'must be a text, number or yes/no field');
    if (!required.has(definition.key)) add('/key', 'must be a required field of the schema');
  }
  definition.searchable.forEach((field, i) => {
    if (known(`/searchable/${i}`, field) && !isScalar(properties[field])) add(`/searchable/${i}`, 'must be a text, number or yes/no field');
  });
  if (definition.personal) {
    if (!definition.personField) add('/personField', 'a registry of personal data names the field holding the national id of the person');
    else if (known('/personField', definition.personField)) {
      if (!typesOf(properties[definition.personField]).includes('string')) add('/personField', 'must be a text field');
      if (!required.has(definition.personField)) add('/personField', 'must be a required field of the schema');
    }
  } else if (definition.personField) add('/personField', 'only a registry of personal data names a person field');
  if (!context.agencies.has(definition.agency)) add('/agency', `no agency has code "${definition.agency}"`);
  definition.access.forEach((rule, i) => {
    if (!context.agencies.has(rule.agency)) add(`/access/${i}/agency`, `no agency has code "${rule.agency}"`);
    if (!context.roles.has(rule.role)) add(`/access/${i}/role`, `"${rule.role}" is not a role`);
    if (!rule.read && !rule.write) add(`/access/${i}`, 'a rule grants read, write or both');
    for (const right of ['read', 'write'] as const) {
      const fields = rule[right];
      if (Array.isArray(fields)) fields.forEach((field, j) => known(`/access/${i}/${right}/${j}`, field));
    }
  });
  if (definition.version !== undefined && context.currentVersion !== null && definition.version <= context.currentVersion) {
    add('/version', `must be above the current version, ${context.currentVersion}`);
  }
  return problems.length > 0 ? { definition: null, problems } : { definition, problems: [] };
}

/** Turn a cell of a CSV file into the type its field's schema asks for; undefined for an empty cell. */
export function typedCell(property: Record<string, unknown> | undefined, cell: string): unknown {
  if (cell === '') return undefined;
  const types = typesOf(property).filter((t) => t !== 'null');
  const type = types[0] ?? 'string';
  if (type === 'integer' || type === 'number') {
    const value = Number(cell.trim());
    return cell.trim() !== '' && Number.isFinite(value) ? value : cell;
  }
  if (type === 'boolean') {
    const answer = cell.trim().toLowerCase();
    if (['true', 'yes', '1'].includes(answer)) return true;
    if (['false', 'no', '0'].includes(answer)) return false;
    return cell;
  }
  if (type === 'object' || type === 'array') {
    try {
      return JSON.parse(cell) as unknown;
    } catch {
      return cell;
    }
  }
  return cell;
}
