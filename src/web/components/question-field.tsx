import { pickText, type FieldDefinition, type InputDefinition } from '../../blocks/registration/index.ts';
import { formatDate, formatList, formatNumber } from '../../platform/i18n/index.ts';
import type { PageContext } from '../page-context.ts';
import { Choices, Field, Select, TextArea, type Choice } from './forms.tsx';

/**
 * A question a service definition asks: a field of the application form, or an input of a
 * workflow action (an officer's decision, an applicant's answer). One shape, so both are asked,
 * and their answers shown, the same way.
 */
export interface Question {
  id: string;
  type: FieldDefinition['type'] | InputDefinition['type'];
  label: Record<string, string>;
  hint?: Record<string, string>;
  required: boolean;
  choices?: { value: string; label: Record<string, string> }[];
  maxLength?: number;
  /** Photos: the image types accepted. */
  accept?: readonly string[];
}

/** Form fields are optional unless marked required. */
export function fieldQuestion(field: FieldDefinition): Question {
  return { id: field.id, type: field.type, label: field.label, hint: field.hint, required: field.required === true, choices: field.options, maxLength: field.maxLength };
}

/** Action inputs are required unless marked otherwise. */
export function inputQuestion(input: InputDefinition): Question {
  return { id: input.id, type: input.type, label: input.label, required: input.required !== false, choices: input.items?.map((item) => ({ value: item.id, label: item.label })), accept: input.accept };
}

const VERDICTS = ['pass', 'fail'] as const;
const verdictChoices = (ctx: PageContext): Choice[] => VERDICTS.map((v) => ({ value: v, label: ctx.t(`form.${v}`) }));

/** What a form shows back: a stored answer (a number, yes or no) or text just sent, as the values of its controls. */
function shownValues(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'boolean') return [value ? 'yes' : 'no'];
  return [String(value)];
}

function choicesOf(ctx: PageContext, question: Question): Choice[] {
  if (question.type === 'yes-no') return [{ value: 'yes', label: ctx.t('form.yes') }, { value: 'no', label: ctx.t('form.no') }];
  return (question.choices ?? []).map((c) => ({ value: c.value, label: pickText(c.label, ctx.locale) }));
}

function questionLabel(ctx: PageContext, question: Question): string {
  const label = pickText(question.label, ctx.locale);
  return question.required ? label : ctx.t('form.optional', { label });
}

/** The control for a question, by its type; `id` differs from the name when a page has several forms. */
export function QuestionField({ ctx, question, id = question.id, value, error }: { ctx: PageContext; question: Question; id?: string; value: unknown; error?: string }) {
  const { t } = ctx;
  const label = questionLabel(ctx, question);
  const given = question.hint ? pickText(question.hint, ctx.locale) : undefined;
  const values = shownValues(value);
  const common = { id, name: question.id, label, error, hint: given };
  switch (question.type) {
    case 'textarea':
      return <TextArea {...common} value={values[0]} maxLength={question.maxLength} />;
    case 'select':
      return <Select {...common} value={values[0]} choices={choicesOf(ctx, question)} placeholder={t('form.choose')} />;
    case 'radio':
    case 'yes-no':
      return <Choices {...common} choices={choicesOf(ctx, question)} checked={values} />;
    case 'checklist':
      return <Choices {...common} choices={choicesOf(ctx, question)} checked={values} multiple />;
    case 'pass-fail':
      return <Choices {...common} choices={verdictChoices(ctx)} checked={values} />;
    case 'assessment': {
      // Each item its own pair of buttons, named `<input>.<item>`, so a form without script can judge them all.
      const judged = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
      return (
        <fieldset aria-describedby={error ? `${id}-error` : undefined}>
          <legend>{label}</legend>
          {error && <span class="field-error" id={`${id}-error`}>{error}</span>}
          {(question.choices ?? []).map((item) => (
            <Choices id={`${id}-${item.value}`} name={`${question.id}.${item.value}`} label={pickText(item.label, ctx.locale)} choices={verdictChoices(ctx)} checked={shownValues(judged[item.value])} />
          ))}
        </fieldset>
      );
    }
    case 'photos':
      return <Field {...common} type="file" multiple accept={(question.accept ?? []).map((kind) => `image/${kind}`).join(',')} />;
    case 'integer':
      return <Field {...common} value={values[0]} inputMode="numeric" />;
    case 'decimal':
      return <Field {...common} value={values[0]} inputMode="decimal" />;
    case 'date':
      return <Field {...common} hint={[given, t('form.dateHint')].filter(Boolean).join(' ')} type="date" value={values[0]} />;
    case 'email':
      return <Field {...common} type="email" value={values[0]} maxLength={question.maxLength} />;
    case 'phone':
      return <Field {...common} type="tel" value={values[0]} maxLength={question.maxLength} />;
    default:
      return <Field {...common} value={values[0]} maxLength={question.maxLength} />;
  }
}

/** An answer as a reader sees it: the label of the option chosen, a date or a number the local way. */
export function formatAnswer(ctx: PageContext, question: Question | undefined, value: unknown): string {
  const values = shownValues(value);
  if (values.length === 0) return '';
  if (!question) return values.join(', ');
  const labelled = (v: string) => choicesOf(ctx, question).find((c) => c.value === v)?.label ?? v;
  switch (question.type) {
    case 'select':
    case 'radio':
    case 'yes-no':
      return labelled(values[0]!);
    case 'checklist':
      return formatList(ctx.locale, values.map(labelled));
    case 'pass-fail':
      return ctx.t(`form.${values[0] === 'pass' ? 'pass' : 'fail'}`);
    case 'assessment': {
      const judged = value as Record<string, string>;
      return formatList(ctx.locale, Object.entries(judged).map(([item, verdict]) => `${labelled(item)}: ${ctx.t(`form.${verdict === 'pass' ? 'pass' : 'fail'}`)}`));
    }
    case 'photos':
      return ctx.t('form.photos', { count: values.length });
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(values[0]!) ? formatDate(ctx.locale, new Date(`${values[0]}T00:00:00Z`)) : values[0]!;
    case 'integer':
    case 'decimal':
      return /^-?\d+(\.\d+)?$/.test(values[0]!) ? formatNumber(ctx.locale, values[0]!) : values[0]!;
    default:
      return values[0]!;
  }
}
