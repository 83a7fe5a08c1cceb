import { Decimal } from 'decimal.js';
import { asMoney, compileExpression, ExpressionError, isTrue, type Scope, type Value } from '../../../platform/expressions/index.ts';
import type { DocumentDefinition, FieldDefinition, ServiceDefinition, StepDefinition } from '../definition/schema.ts';

/**
 * The form of a service, driven by its definition: which steps and fields apply to the data so
 * far, turning submitted text into typed values, and checking them. Error codes are translated
 * on pages (form.errors.<code>); `reason` is the English text the API returns.
 */
export type FormValue = string | number | boolean;
export type FormData = Record<string, FormValue>;

export interface FieldError {
  field: string;
  code: 'required' | 'integer' | 'number' | 'min' | 'max' | 'minLength' | 'maxLength' | 'pattern' | 'option' | 'date' | 'email' | 'phone' | 'yesNo' | 'unknown';
  params?: Record<string, string | number>;
  reason: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const PHONE = /^\+?[0-9][0-9 ]{5,19}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function applies(when: string | undefined, data: Scope): boolean {
  if (!when) return true;
  try {
    return isTrue(compileExpression(when).evaluate(data));
  } catch (err) {
    // A condition over a field not answered yet does not apply yet.
    if (err instanceof ExpressionError) return false;
    throw err;
  }
}

export function visibleSteps(definition: ServiceDefinition, data: FormData): StepDefinition[] {
  return definition.form.steps.filter((step) => applies(step.when, data));
}

export function visibleFields(step: StepDefinition, data: FormData): FieldDefinition[] {
  return step.fields.filter((field) => applies(field.when, data));
}

/** The documents these answers call for (required or not). */
export function visibleDocuments(definition: ServiceDefinition, data: FormData): DocumentDefinition[] {
  return (definition.documents ?? []).filter((rule) => applies(rule.when, data));
}

/** One answer as the field's type keeps it, or what is wrong with it. */
export function parseField(field: FieldDefinition, raw: unknown): { value?: FormValue; error?: FieldError } {
  const fail = (code: FieldError['code'], reason: string, params?: FieldError['params']) => ({ error: { field: field.id, code, reason, params } });
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return field.required ? fail('required', 'is required') : {};
  }
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (field.type) {
    case 'integer': {
      const n = typeof text === 'number' ? text : /^-?\d{1,15}$/.test(String(text)) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n)) return fail('integer', 'must be a whole number');
      if (field.min !== undefined && n < field.min) return fail('min', `must be at least ${field.min}`, { min: field.min });
      if (field.max !== undefined && n > field.max) return fail('max', `must be at most ${field.max}`, { max: field.max });
      return { value: n };
    }
    case 'decimal': {
      const source = typeof text === 'number' && Number.isFinite(text) ? String(text) : String(text).replace(',', '.');
      if (!/^-?\d{1,15}(\.\d{1,6})?$/.test(source)) return fail('number', 'must be a number, like 12.5');
      const n = new Decimal(source);
      if (field.min !== undefined && n.lt(field.min)) return fail('min', `must be at least ${field.min}`, { min: field.min });
      if (field.max !== undefined && n.gt(field.max)) return fail('max', `must be at most ${field.max}`, { max: field.max });
      return { value: n.toString() };
    }
    case 'yes-no': {
      if (text === true || text === 'yes') return { value: true };
      if (text === false || text === 'no') return { value: false };
      return fail('yesNo', 'must be yes or no');
    }
    case 'date': {
      if (typeof text !== 'string' || !DATE.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) return fail('date', 'must be a date like 2026-11-23');
      return { value: text };
    }
    default: {
      if (typeof text !== 'string') return fail('unknown', 'must be text');
      if (field.type === 'select' || field.type === 'radio') {
        return field.options?.some((o) => o.value === text) ? { value: text } : fail('option', 'is not one of the choices');
      }
      if (field.type === 'email' && !EMAIL.test(text)) return fail('email', 'must be an e-mail address like name@example.com');
      if (field.type === 'phone' && !PHONE.test(text)) return fail('phone', 'must be a phone number like +253 77 12 34 56');
      const length = [...text].length;
      const max = field.maxLength ?? (field.type === 'textarea' ? 5000 : 500);
      if (field.minLength !== undefined && length < field.minLength) return fail('minLength', `must be at least ${field.minLength} characters`, { min: field.minLength });
      if (length > max) return fail('maxLength', `must be at most ${max} characters`, { max });
      if (field.pattern && !new RegExp(`^(?:${field.pattern})$`, 'u').test(text)) return fail('pattern', 'is not in the expected format');
      return { value: text };
    }
  }
}

/**
 * Read one step's answers into the data. Fields that do not apply (their `when` is false given
 * the answers so far, this step's included) are dropped, so a changed answer leaves no stale value.
 */
export function readStep(step: StepDefinition, raw: Record<string, unknown>, data: FormData): { data: FormData; errors: FieldError[] } {
  const known = new Set(step.fields.map((f) => f.id));
  const errors: FieldError[] = Object.keys(raw).filter((k) => !known.has(k) && k !== '_csrf' && k !== 'next' && k !== 'idempotencyKey').map((k) => ({ field: k, code: 'unknown' as const, reason: 'is not a field of this step' }));
  const next: FormData = { ...data };
  for (const field of step.fields) delete next[field.id];
  // Two passes: parse what was sent, then decide which conditional fields apply to it.
  const parsed = new Map(step.fields.map((field) => [field.id, parseField(field, raw[field.id])]));
  for (const field of step.fields) {
    const result = parsed.get(field.id)!;
    if (result.value !== undefined) next[field.id] = result.value;
  }
  for (const field of step.fields) {
    if (!applies(field.when, next)) {
      delete next[field.id];
      continue;
    }
    const result = parsed.get(field.id)!;
    if (result.error) errors.push(result.error);
  }
  return { data: next, errors };
}

/** Check the whole application: every visible step's required and well-formed answers. */
export function checkAnswers(definition: ServiceDefinition, data: FormData): { data: FormData; errors: FieldError[] } {
  const clean: FormData = {};
  const errors: FieldError[] = [];
  for (const step of visibleSteps(definition, data)) {
    for (const field of visibleFields(step, data)) {
      const result = parseField(field, data[field.id]);
      if (result.error) errors.push(result.error);
      else if (result.value !== undefined) clean[field.id] = result.value;
    }
  }
  return { data: clean, errors };
}

/** The first step with something missing or wrong, to send the applicant back to. */
export function firstIncompleteStep(definition: ServiceDefinition, data: FormData): StepDefinition | null {
  for (const step of visibleSteps(definition, data)) {
    if (visibleFields(step, data).some((field) => parseField(field, data[field.id]).error)) return step;
  }
  return null;
}

/** The tables expressions read: the definition's rule tables and its fee tables. */
export function tablesOf(definition: ServiceDefinition): Scope {
  return { ...definition.tables, ...definition.fees?.tables };
}

/** A check these answers fail, with the figures its message shows. */
export interface Finding {
  id: string;
  blocking: boolean;
  message: Record<string, string>;
  values: Record<string, string>;
}

function shown(value: Value): string {
  return Decimal.isDecimal(value) ? value.toString() : Array.isArray(value) ? value.map(shown).join(', ') : String(value);
}

/**
 * Judge the definition's checks against the answers so far. A check whose rule cannot be worked
 * out yet (an answer it reads is missing) is not judged: it is not a finding until it can be.
 */
export function checkFindings(definition: ServiceDefinition, data: FormData): Finding[] {
  const scope: Scope = { ...tablesOf(definition), ...data };
  const findings: Finding[] = [];
  for (const check of definition.checks ?? []) {
    if (!applies(check.when, scope)) continue;
    let holds: boolean;
    try {
      holds = isTrue(compileExpression(check.rule).evaluate(scope));
    } catch (err) {
      if (err instanceof ExpressionError) continue;
      throw err;
    }
    if (holds) continue;
    const values: Record<string, string> = {};
    for (const [name, source] of Object.entries(check.values ?? {})) {
      try {
        values[name] = shown(compileExpression(source).evaluate(scope));
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
      }
    }
    findings.push({ id: check.id, blocking: check.blocking !== false, message: check.message, values });
  }
  return findings;
}

export interface FeeLine {
  id: string;
  label: Record<string, string>;
  amount: string;
  currency: string;
}

/** Fees due for these answers, in exact decimal money. */
export function computeFees(definition: ServiceDefinition, data: FormData): FeeLine[] {
  const fees = definition.fees;
  if (!fees) return [];
  const scope: Scope = { ...tablesOf(definition), ...data };
  return fees.items
    .filter((item) => applies(item.when, scope))
    .map((item) => ({ id: item.id, label: item.label, currency: fees.currency, amount: asMoney(compileExpression(item.amount).evaluate(scope), fees.decimals, item.amount) }));
}

export function totalOf(lines: FeeLine[]): string | null {
  if (lines.length === 0) return null;
  return lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0)).toString();
}

/** Answers as people read them in `locale`: a chosen option by its label, not its code. */
export function answersAsText(definition: ServiceDefinition, data: FormData, locale: string): Record<string, FormValue> {
  const out: Record<string, FormValue> = { ...data };
  for (const field of definition.form.steps.flatMap((s) => s.fields)) {
    const option = field.options?.find((o) => o.value === data[field.id]);
    if (option) out[field.id] = option.label[locale] ?? option.label.en ?? option.value;
  }
  return out;
}
