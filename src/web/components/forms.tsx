import { Type } from '@sinclair/typebox';
import type { ComponentChildren } from 'preact';
import { Problem, type InvalidParam } from '../../platform/http/problem.ts';
import type { PageContext } from '../page-context.ts';

/** Ids in service definitions: services, steps, actions, reviews, outputs. */
/** An optional text field of a posted form, at most `max` characters. */
export const FormText = (max = 5000) => Type.Optional(Type.String({ maxLength: max }));

export const DefinitionId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });

/** A form built from a definition: names are field or input ids; ticked check boxes arrive as a list. */
export const AnswersForm = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' }), Type.Union([Type.String({ maxLength: 10000 }), Type.Array(Type.String({ maxLength: 10000 }), { maxItems: 50 })]), {
  additionalProperties: false,
  maxProperties: 100,
});

/** Fields a page's form carries besides the answers: its token, where to go next, what it showed, the state it was made for. */
const FORM_CONTROLS = new Set(['_csrf', 'next', '_shown', 'expectedState']);

/** The answers a form sent, without its own controls. */
export function answersOf(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([name]) => !FORM_CONTROLS.has(name)));
}

/** A form shown again after a refused post: which of the page's forms, what was typed, what went wrong. */
export interface RefusedForm {
  form: string;
  values: Record<string, unknown>;
  errors: FieldErrors;
  message?: string;
}

/** A refusal a form can explain (bad input, a conflict); anything else is an error page. */
export function isClientProblem(err: unknown): err is Problem {
  return err instanceof Problem && err.status < 500;
}

/** Field errors keyed by field name, taken from a problem's JSON pointers (`/body/password` → `password`). */
export type FieldErrors = Record<string, string>;

export function fieldErrors(errors: InvalidParam[] | undefined): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors ?? []) {
    const name = e.pointer.split('/').filter(Boolean).slice(1).join('.') || 'form';
    out[name] ??= e.reason;
  }
  return out;
}

/** The field a pointer names last: `/body/inputs/reason` → `reason`. */
export function lastSegment(pointer: string): string {
  return pointer.split('/').pop() ?? '';
}

/**
 * Field errors in the reader's language: a problem's error with a code reads `form.errors.<code>`
 * (its English reason when there is no such message), keyed by the id `idOf` gives its pointer
 * (by default the field the pointer names last); null leaves an error out.
 */
export function translatedErrors(ctx: PageContext, errors: InvalidParam[] | undefined, idOf: (pointer: string) => string | null = lastSegment): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors ?? []) {
    const id = idOf(e.pointer);
    if (id === null) continue;
    out[id] ??= e.code ? ctx.t(`form.errors.${e.code}`, { ...e.params, defaultValue: e.reason }) : e.reason;
  }
  return out;
}

export function CsrfField({ ctx }: { ctx: PageContext }) {
  return <input type="hidden" name="_csrf" value={ctx.csrfToken} />;
}

/** The GOV.UK pattern: a summary at the top linking to each field in error. */
export function ErrorSummary({ ctx, message, errors, labels }: { ctx: PageContext; message?: string | null; errors: FieldErrors; labels: Record<string, string> }) {
  const names = Object.keys(errors).filter((n) => n in labels);
  if (!message && names.length === 0) return null;
  return (
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabIndex={-1}>
      <h2 id="error-summary-title">{ctx.t('form.problem')}</h2>
      {message && <p>{message}</p>}
      {names.length > 0 && (
        <ul>
          {names.map((name) => (
            <li><a href={`#${name}`}>{`${labels[name]}: ${errors[name]}`}</a></li>
          ))}
        </ul>
      )}
    </div>
  );
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  return [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

interface Described {
  /** The control's id; the error summary links to it. */
  id: string;
  label: string;
  hint?: string;
  error?: string;
}

/** Label, hint and error above a control, tied to it for screen readers. */
function Labelled({ id, label, hint, error, children }: Described & { children: ComponentChildren }) {
  return (
    <div>
      <label for={id}>
        {label}
        {hint && <span class="hint" id={`${id}-hint`}>{hint}</span>}
      </label>
      {error && <span class="field-error" id={`${id}-error`}>{error}</span>}
      {children}
    </div>
  );
}

export interface FieldProps {
  name: string;
  /** Defaults to the name; differs when one page has several forms with a field of that name. */
  id?: string;
  label: string;
  type?: string;
  value?: string;
  hint?: string;
  error?: string;
  autocomplete?: string;
  required?: boolean;
  maxLength?: number;
  inputMode?: 'numeric' | 'decimal' | 'email' | 'tel';
  min?: number;
  max?: number;
  /** For a file: the kinds the file picker offers first (the server checks the content anyway). */
  accept?: string;
  /** For a file: several may be chosen at once (photos of an inspection). */
  multiple?: boolean;
}

export function Field({ name, id = name, label, type = 'text', value, hint, error, autocomplete, required, maxLength, inputMode, min, max, accept, multiple }: FieldProps) {
  return (
    <Labelled id={id} label={label} hint={hint} error={error}>
      <input
        id={id}
        name={name}
        type={type}
        value={type === 'password' ? undefined : value}
        autocomplete={autocomplete}
        required={required}
        maxLength={maxLength}
        inputMode={inputMode}
        min={min}
        max={max}
        accept={accept}
        multiple={multiple}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, hint, error)}
      />
    </Labelled>
  );
}

export function TextArea({ name, id = name, label, value, hint, error, required, maxLength }: Pick<FieldProps, 'name' | 'id' | 'label' | 'value' | 'hint' | 'error' | 'required' | 'maxLength'>) {
  return (
    <Labelled id={id} label={label} hint={hint} error={error}>
      <textarea id={id} name={name} rows={5} required={required} maxLength={maxLength} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy(id, hint, error)}>
        {value ?? ''}
      </textarea>
    </Labelled>
  );
}

export interface Choice {
  value: string;
  label: string;
}

/** A drop-down list; the empty first entry makes the person choose rather than accept a default. */
export function Select({ name, id = name, label, value, hint, error, required, choices, placeholder }: Pick<FieldProps, 'name' | 'id' | 'label' | 'value' | 'hint' | 'error' | 'required'> & { choices: Choice[]; placeholder: string }) {
  return (
    <Labelled id={id} label={label} hint={hint} error={error}>
      <select id={id} name={name} required={required} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy(id, hint, error)}>
        <option value="">{placeholder}</option>
        {choices.map((c) => <option value={c.value} selected={c.value === value}>{c.label}</option>)}
      </select>
    </Labelled>
  );
}

/**
 * Radio buttons (one answer) or check boxes (several) in a fieldset whose legend is the question.
 * The first box carries the id, so an error summary link lands on it.
 */
export function Choices({ name, id = name, label, hint, error, choices, checked, multiple = false }: Omit<Described, 'id'> & { id?: string; name: string; choices: Choice[]; checked: string[]; multiple?: boolean }) {
  return (
    <div>
      <fieldset aria-describedby={describedBy(id, hint, error)}>
        <legend>
          {label}
          {hint && <span class="hint" id={`${id}-hint`}>{hint}</span>}
        </legend>
        {error && <span class="field-error" id={`${id}-error`}>{error}</span>}
        {choices.map((c, i) => {
          const boxId = i === 0 ? id : `${id}-${i}`;
          return (
            <div class="choice">
              <input id={boxId} name={name} type={multiple ? 'checkbox' : 'radio'} value={c.value} checked={checked.includes(c.value)} aria-invalid={error ? 'true' : undefined} />
              <label for={boxId}>{c.label}</label>
            </div>
          );
        })}
      </fieldset>
    </div>
  );
}
