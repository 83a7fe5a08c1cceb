import type { InvalidParam } from '../../platform/http/problem.ts';
import type { PageContext } from '../page-context.ts';

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

export interface FieldProps {
  name: string;
  label: string;
  type?: string;
  value?: string;
  hint?: string;
  error?: string;
  autocomplete?: string;
  required?: boolean;
  maxLength?: number;
}

export function Field({ name, label, type = 'text', value, hint, error, autocomplete, required, maxLength }: FieldProps) {
  const describedBy = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div>
      <label for={name}>
        {label}
        {hint && <span class="hint" id={`${name}-hint`}>{hint}</span>}
      </label>
      {error && <span class="field-error" id={`${name}-error`}>{error}</span>}
      <input
        id={name}
        name={name}
        type={type}
        value={type === 'password' ? undefined : value}
        autocomplete={autocomplete}
        required={required}
        maxLength={maxLength}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
    </div>
  );
}
