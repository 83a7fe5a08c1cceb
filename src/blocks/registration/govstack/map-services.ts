import type { Executor } from '../../../platform/db/database.ts';
import { PHONE } from '../applications/form-engine.ts';
import { pickText } from '../applications/notify-people.ts';
import { currentDefinition, currentDefinitions, definitionVersions, findDefinition, type StoredDefinition } from '../definitions.ts';
import type { FieldDefinition, ServiceDefinition } from '../definition/schema.ts';
import { eFormIdOf, isUuid, namesService, ownServiceId, serviceUuid } from './identifiers.ts';
import type { EFormListItemOut, EFormOut, ServiceOut } from './schemas.ts';

/** The service open for applications under a GovStack `serviceId`: our UUID for it, or its own id. */
export async function openService(executor: Executor, given: string): Promise<StoredDefinition | undefined> {
  if (isUuid(given)) return (await currentDefinitions(executor)).find((d) => namesService(given, d.serviceId));
  const own = ownServiceId(given);
  return own ? currentDefinition(executor, own) : undefined;
}

/**
 * A published service as GovStack lists it. What the spec has no field for travels in
 * `serviceBody` as code/value pairs, `serviceKey` (our id) first.
 */
export function serviceOf(stored: StoredDefinition, locale: string, baseUrl: string): ServiceOut {
  const d = stored.document;
  const body: [string, string | undefined][] = [
    ['serviceKey', d.id],
    ['agency', d.agency],
    ['eFormId', eFormIdOf(d.id, d.version)],
    ['applicants', d.applicants.join(',')],
    ['legalBasis', d.legalBasis && pickText(d.legalBasis, locale)],
    ['timeLimitDays', d.timeLimitDays?.toString()],
    ['documents', d.documents?.map((doc) => doc.id).join(',')],
    ['feeCurrency', d.fees?.currency],
    ['publishedAt', stored.publishedAt.toISOString()],
    ['definition', `${baseUrl}/api/registration/definitions/${d.id}`],
  ];
  return {
    id: serviceUuid(d.id),
    name: pickText(d.title, locale),
    version: String(d.version),
    // BPMN's processType: the process is visible to those who take part in it, applicants included.
    type: 'Public',
    isExecutable: stored.status === 'published',
    // Only the actions the definition models can happen to a case.
    isClosed: true,
    description: pickText(d.description, locale),
    serviceBody: body.filter((entry): entry is [string, string] => Boolean(entry[1])).map(([code, value]) => ({ code, value })),
  };
}

/** Whether a service's title, in any language, contains the words asked for. */
export function titleMatches(definition: ServiceDefinition, name: string): boolean {
  const wanted = name.trim().toLocaleLowerCase();
  return Object.values(definition.title).some((title) => title.toLocaleLowerCase().includes(wanted));
}

function eFormListItemOf(stored: StoredDefinition, latestVersion: number | undefined, locale: string): EFormListItemOut {
  return {
    eFormId: eFormIdOf(stored.serviceId, stored.version),
    name: pickText(stored.document.title, locale),
    description: pickText(stored.document.description, locale),
    version: String(stored.version),
    latest: stored.version === latestVersion,
  };
}

/** The forms of every published version of a service, newest first. */
export async function eFormsOf(executor: Executor, current: StoredDefinition, locale: string): Promise<EFormListItemOut[]> {
  const published = (await definitionVersions(executor, current.serviceId)).filter((v) => v.status === 'published');
  const stored = await Promise.all(published.map((v) => findDefinition(executor, v.serviceId, v.version)));
  return stored.filter((s) => s !== undefined).map((s) => eFormListItemOf(s, current.version, locale));
}

/** One version's form, retired ones included: files made on them still name it. */
export async function eFormOf(executor: Executor, serviceId: string, version: number, locale: string): Promise<EFormOut | null> {
  const stored = await findDefinition(executor, serviceId, version);
  if (!stored) return null;
  const current = await currentDefinition(executor, serviceId);
  return { ...eFormListItemOf(stored, current?.version, locale), schema: formSchema(stored.document, locale) };
}

/**
 * The form as JSON Schema: one object with a property per field, as `formData.data` is sent.
 * Conditions, steps and documents have no JSON Schema keyword; they travel as `x-daftari-*`
 * annotations, and a field required only under a condition is not in `required`.
 */
export function formSchema(definition: ServiceDefinition, locale: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const step of definition.form.steps) {
    for (const field of step.fields) {
      const conditions = [step.when, field.when].filter((c) => c !== undefined);
      properties[field.id] = { ...fieldSchema(field, locale), ...(conditions.length > 0 ? { 'x-daftari-when': conditions.map((c) => `(${c})`).join(' && ') } : {}) };
      if (field.required && conditions.length === 0) required.push(field.id);
    }
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: pickText(definition.title, locale),
    description: pickText(definition.description, locale),
    type: 'object',
    properties,
    required,
    additionalProperties: false,
    'x-daftari-steps': definition.form.steps.map((s) => ({ id: s.id, title: pickText(s.title, locale), fields: s.fields.map((f) => f.id), ...(s.when ? { when: s.when } : {}) })),
    'x-daftari-documents': (definition.documents ?? []).map((doc) => ({
      id: doc.id,
      title: pickText(doc.label, locale),
      required: doc.required !== false,
      ...(doc.when ? { when: doc.when } : {}),
      accept: doc.accept,
      maxSizeMb: doc.maxSizeMb,
      maxFiles: doc.maxFiles ?? 1,
    })),
  };
}

function fieldSchema(field: FieldDefinition, locale: string): Record<string, unknown> {
  const described = { title: pickText(field.label, locale), ...(field.hint ? { description: pickText(field.hint, locale) } : {}) };
  const range = { ...(field.min !== undefined ? { minimum: field.min } : {}), ...(field.max !== undefined ? { maximum: field.max } : {}) };
  switch (field.type) {
    case 'integer':
      return { ...described, type: 'integer', ...range };
    case 'decimal':
      // Sent as a number or as text ("12.5"); kept as exact decimal text.
      return { ...described, type: ['number', 'string'], ...range };
    case 'yes-no':
      return { ...described, type: 'boolean' };
    case 'date':
      return { ...described, type: 'string', format: 'date' };
    case 'email':
      return { ...described, type: 'string', format: 'email' };
    case 'phone':
      return { ...described, type: 'string', pattern: PHONE.source };
    case 'select':
    case 'radio':
      return { ...described, type: 'string', oneOf: (field.options ?? []).map((o) => ({ const: o.value, title: pickText(o.label, locale) })) };
    case 'text':
    case 'textarea':
      return {
        ...described,
        type: 'string',
        ...(field.minLength !== undefined ? { minLength: field.minLength } : {}),
        ...(field.maxLength !== undefined ? { maxLength: field.maxLength } : {}),
        ...(field.pattern ? { pattern: `^(?:${field.pattern})$` } : {}),
      };
  }
}
