import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { compileExpression, ExpressionError, FUNCTION_NAMES } from '../../../platform/expressions/index.ts';
import { SHIPPED_LOCALES } from '../../../platform/i18n/index.ts';
import { ServiceDefinitionSchema, type EffectDefinition, type ServiceDefinition, type StateDefinition } from './schema.ts';

export interface DefinitionProblem {
  /** JSON pointer into the definition, e.g. `/workflow/states/2/actions/0/to`. */
  pointer: string;
  message: string;
  /** 1-based position in the source file, when known. */
  line?: number;
  column?: number;
}

export type ValidationResult = { valid: true; definition: ServiceDefinition; problems: [] } | { valid: false; definition: null; problems: DefinitionProblem[] };

export interface MeaningContext {
  /** Roles that exist; an action naming another role is an error. */
  roles: ReadonlySet<string>;
  /** Agency codes that exist, when known (the CLI may check offline without them). */
  agencies?: ReadonlySet<string>;
}

const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validateShape = ajv.compile<ServiceDefinition>(ServiceDefinitionSchema);

function pointerOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (typeof params.missingProperty === 'string') return `${error.instancePath}/${params.missingProperty}`;
  if (typeof params.additionalProperty === 'string') return `${error.instancePath}/${params.additionalProperty}`;
  return error.instancePath;
}

function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `"${String(params.additionalProperty)}" is not a known property here`;
  if (error.keyword === 'required') return `"${String(params.missingProperty)}" is required`;
  return error.message ?? 'is not valid';
}

/**
 * A failed union of constants (`type: integr`) yields one error per constant plus the union's
 * own; report it once, listing the allowed values. Other union failures keep their branch errors.
 */
function usefulErrors(errors: ErrorObject[]): DefinitionProblem[] {
  const allowed = new Map<string, unknown[]>();
  for (const e of errors) {
    if (e.keyword === 'const') allowed.set(e.instancePath, [...(allowed.get(e.instancePath) ?? []), (e.params as { allowedValue: unknown }).allowedValue]);
  }
  const out: DefinitionProblem[] = [];
  for (const e of errors) {
    if (e.keyword === 'const') continue;
    if (e.keyword === 'anyOf' && allowed.has(e.instancePath)) {
      out.push({ pointer: e.instancePath, message: `must be one of: ${allowed.get(e.instancePath)!.map(String).join(', ')}` });
    } else if (e.keyword !== 'anyOf') {
      out.push({ pointer: pointerOf(e), message: messageOf(e) });
    }
  }
  return out;
}

function unescape(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

function locate(doc: Document, lines: LineCounter, pointer: string, atKey: boolean): { line?: number; column?: number } {
  const path = pointer.split('/').slice(1).map(unescape).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  // A property that should not be there is shown where its name is written.
  if (atKey && path.length > 0) {
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]) : undefined;
    if (pair && isScalar(pair.key) && pair.key.range) return at(pair.key.range[0]);
  }
  // Walk down as far as the pointer exists, so a missing property points at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)) as Node | null | undefined;
    if (node && (node as Node).range) return at((node as Node).range![0]);
  }
  return {};
}

/**
 * Read a definition (YAML or JSON) and report every problem with its JSON pointer and position:
 * syntax, shape (the JSON Schema), then meaning (references, reachability, expressions,
 * translations).
 */
export function validateDefinitionSource(source: string, context: MeaningContext): ValidationResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      valid: false,
      definition: null,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { pointer: '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), line: pos?.line, column: pos?.col };
      }),
    };
  }
  // Aliases could multiply a small text into a huge document; a definition spells out what it means.
  const aliases: DefinitionProblem[] = [];
  visit(doc, {
    Alias(_key, node) {
      const pos = node.range ? lines.linePos(node.range[0]) : undefined;
      aliases.push({ pointer: '', message: `aliases (*${node.source}) are not allowed in a service definition: write the value out`, line: pos?.line, column: pos?.col });
    },
  });
  if (aliases.length > 0) return { valid: false, definition: null, problems: aliases };
  const data = doc.toJS({ maxAliasCount: 0 }) as unknown;
  const result = validateDefinition(data, context);
  if (result.valid) return result;
  return { ...result, problems: result.problems.map((p) => ({ ...p, ...locate(doc, lines, p.pointer, p.message.endsWith('is not a known property here')) })) };
}

/** The same checks on already-parsed data (the publish API receives JSON). */
export function validateDefinition(data: unknown, context: MeaningContext): ValidationResult {
  if (!validateShape(data)) {
    return { valid: false, definition: null, problems: dedupe(usefulErrors(validateShape.errors ?? [])) };
  }
  const problems = checkMeaning(data, context);
  return problems.length === 0 ? { valid: true, definition: data, problems: [] } : { valid: false, definition: null, problems };
}

function dedupe(problems: DefinitionProblem[]): DefinitionProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every state reachable from the initial state, following actions, answers and reviews. */
export function reachableStates(definition: ServiceDefinition): Set<string> {
  const byId = new Map(definition.workflow.states.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const queue = [definition.workflow.initial];
  const withdrawn = definition.workflow.states.find((s) => s.outcome === 'withdrawn');
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id) || !byId.has(id)) continue;
    seen.add(id);
    for (const next of exitsOf(byId.get(id)!)) queue.push(next);
    if (withdrawn && definition.workflow.withdrawableFrom?.includes(id)) queue.push(withdrawn.id);
  }
  return seen;
}

function exitsOf(state: StateDefinition): string[] {
  return [
    ...(state.actions ?? []).flatMap((a) => [a.to, ...(a.branches ?? []).map((b) => b.to)]),
    ...(state.applicantActions ?? []).map((a) => a.to),
    ...(state.reviews ? [state.reviews.whenAllAgree, state.reviews.whenAnyObjects] : []),
    ...(state.payment ? [state.payment.whenPaid] : []),
  ];
}

function checkMeaning(def: ServiceDefinition, context: MeaningContext): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const add = (pointer: string, message: string) => problems.push({ pointer, message });

  const uniqueIds = (items: { id: string }[], pointer: string, what: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      if (seen.has(item.id)) add(`${pointer}/${i}/id`, `the ${what} id "${item.id}" is already used at ${pointer}/${seen.get(item.id)}`);
      else seen.set(item.id, i);
    });
  };

  // Translations: every text in every shipped language.
  const checkTexts = (value: unknown, pointer: string) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((v, i) => checkTexts(v, `${pointer}/${i}`));
    const entries = Object.entries(value as Record<string, unknown>);
    const isText = entries.length > 0 && entries.every(([k, v]) => /^[a-z]{2}$/.test(k) && typeof v === 'string');
    if (isText) {
      const missing = SHIPPED_LOCALES.filter((l) => !(l in (value as object)));
      if (missing.length > 0) add(pointer, `missing the translation for ${missing.join(', ')}`);
      return;
    }
    for (const [k, v] of entries) if (k !== 'tables') checkTexts(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  checkTexts(def, '');

  // Form fields: unique across steps, sensible constraints.
  const fields = def.form.steps.flatMap((step, s) => step.fields.map((field, f) => ({ field, pointer: `/form/steps/${s}/fields/${f}` })));
  uniqueIds(def.form.steps, '/form/steps', 'step');
  const fieldIds = new Map<string, string>();
  def.form.steps.forEach((step, s) => {
    const earlier = new Set(def.form.steps.slice(0, s).flatMap((st) => st.fields.map((f) => f.id)));
    step.fields.forEach((field, f) => {
      for (const [registryField, formField] of Object.entries(field.prefill?.match ?? {})) {
        if (!earlier.has(formField)) add(`/form/steps/${s}/fields/${f}/prefill/match/${registryField}`, `"${formField}" is not a field of an earlier step, so there is no answer yet to find the record by`);
      }
    });
  });
  for (const { field, pointer } of fields) {
    if (fieldIds.has(field.id)) add(`${pointer}/id`, `the field id "${field.id}" is already used at ${fieldIds.get(field.id)}`);
    else fieldIds.set(field.id, pointer);
    const choice = field.type === 'select' || field.type === 'radio';
    if (choice && !field.options) add(`${pointer}/options`, `a ${field.type} field needs options`);
    if (!choice && field.options) add(`${pointer}/options`, `only select and radio fields have options`);
    if ((field.min !== undefined || field.max !== undefined) && !['integer', 'decimal'].includes(field.type)) add(`${pointer}/min`, 'min and max apply to integer and decimal fields');
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) add(`${pointer}/max`, 'max is smaller than min');
    if (field.pattern !== undefined) {
      try {
        new RegExp(field.pattern, 'u');
      } catch {
        add(`${pointer}/pattern`, 'is not a valid regular expression');
      }
    }
    if (field.options) {
      const values = field.options.map((o) => o.value);
      if (new Set(values).size !== values.length) add(`${pointer}/options`, 'two options have the same value');
    }
  }

  // Expressions read form fields, fee tables and, in guards, fees/inputs of the case.
  const tables = new Set([...Object.keys(def.tables ?? {}), ...Object.keys(def.fees?.tables ?? {})]);
  for (const name of Object.keys(def.fees?.tables ?? {})) {
    if (def.tables && name in def.tables) add(`/fees/tables/${name}`, `the table "${name}" is already a rule table (/tables/${name})`);
  }
  const checkExpression = (source: string | undefined, pointer: string, extraRoots: string[] = []) => {
    if (source === undefined) return;
    try {
      const expr = compileExpression(source);
      for (const ref of expr.references) {
        const root = ref.split('.')[0]!;
        if (!fieldIds.has(root) && !tables.has(root) && !extraRoots.includes(root)) {
          add(pointer, `"${root}" is not a form field${tables.size > 0 ? ' or fee table' : ''}${extraRoots.length > 0 ? ` (nor ${extraRoots.join(', ')})` : ''}`);
        }
      }
    } catch (err) {
      if (err instanceof ExpressionError) add(pointer, `${err.message} (functions: ${FUNCTION_NAMES.join(', ')})`);
      else throw err;
    }
  };
  def.form.steps.forEach((step, s) => checkExpression(step.when, `/form/steps/${s}/when`));
  for (const { field, pointer } of fields) checkExpression(field.when, `${pointer}/when`);
  uniqueIds(def.documents ?? [], '/documents', 'document');
  (def.documents ?? []).forEach((doc, i) => checkExpression(doc.when, `/documents/${i}/when`));
  uniqueIds(def.fees?.items ?? [], '/fees/items', 'fee');
  (def.fees?.items ?? []).forEach((fee, i) => {
    checkExpression(fee.amount, `/fees/items/${i}/amount`);
    checkExpression(fee.when, `/fees/items/${i}/when`);
  });

  uniqueIds(def.checks ?? [], '/checks', 'check');
  (def.checks ?? []).forEach((check, i) => {
    const p = `/checks/${i}`;
    checkExpression(check.rule, `${p}/rule`);
    checkExpression(check.when, `${p}/when`);
    for (const [name, source] of Object.entries(check.values ?? {})) checkExpression(source, `${p}/values/${name}`);
    for (const [locale, text] of Object.entries(check.message)) {
      for (const [, name] of text.matchAll(/\{\{\s*([a-zA-Z][a-zA-Z0-9]*)\s*\}\}/g)) {
        if (!fieldIds.has(name!) && !(check.values && name! in check.values)) add(`${p}/message/${locale}`, `"{{${name}}}" is neither a form field nor one of the check's values`);
      }
    }
  });

  (def.register?.fields ?? []).forEach((id, i) => {
    const field = fields.find((f) => f.field.id === id)?.field;
    if (!field) add(`/register/fields/${i}`, `"${id}" is not a form field`);
    // Contact details identify the applicant; they never go on a public page.
    else if (field.type === 'email' || field.type === 'phone') add(`/register/fields/${i}`, `"${id}" is ${field.type === 'email' ? 'an e-mail address' : 'a phone number'}: a public register may not show it`);
  });
  if (def.register && !def.workflow.states.some((s) => s.outcome === 'granted')) add('/register', 'the register lists granted applications, but no state has the outcome "granted"');

  // Workflow: states exist, are reachable, final states are final, actors exist.
  const states = def.workflow.states;
  uniqueIds(states, '/workflow/states', 'state');
  const stateIds = new Set(states.map((s) => s.id));
  const outputIds = new Set((def.outputs ?? []).map((o) => o.id));
  const notificationIds = new Set((def.notifications ?? []).map((n) => n.id));
  uniqueIds(def.outputs ?? [], '/outputs', 'output');
  uniqueIds(def.notifications ?? [], '/notifications', 'notification');
  const knownState = (id: string, pointer: string) => {
    if (!stateIds.has(id)) add(pointer, `"${id}" is not a state of this workflow`);
  };
  const checkActor = (actor: { role: string; agency?: string; agencyFrom?: string } | undefined, pointer: string) => {
    if (!actor) return;
    if (!context.roles.has(actor.role)) add(`${pointer}/role`, `"${actor.role}" is not a role (known roles: ${[...context.roles].join(', ')})`);
    if (actor.agency && context.agencies && !context.agencies.has(actor.agency)) add(`${pointer}/agency`, `no agency has code "${actor.agency}"`);
    if (actor.agency && actor.agencyFrom) add(`${pointer}/agencyFrom`, 'give agency or agencyFrom, not both');
    if (actor.agencyFrom) {
      const field = fields.find((f) => f.field.id === actor.agencyFrom)?.field;
      if (!field || !field.options || !field.required || field.when) add(`${pointer}/agencyFrom`, `"${actor.agencyFrom}" must be a required, always-shown select or radio field whose values are agency codes`);
      else if (context.agencies) {
        field.options.forEach((option, i) => {
          if (!context.agencies!.has(option.value)) add(`${fields.find((f) => f.field.id === actor.agencyFrom)!.pointer}/options/${i}/value`, `no agency has code "${option.value}"`);
        });
      }
    }
  };
  const checkEffects = (effects: EffectDefinition[] | undefined, pointer: string) => {
    (effects ?? []).forEach((effect, i) => {
      if ('issue' in effect && !outputIds.has(effect.issue)) add(`${pointer}/${i}/issue`, `"${effect.issue}" is not an output of this service`);
      if ('notify' in effect && !notificationIds.has(effect.notify)) add(`${pointer}/${i}/notify`, `"${effect.notify}" is not a notification of this service`);
    });
  };
  knownState(def.workflow.initial, '/workflow/initial');
  if (context.agencies && !context.agencies.has(def.agency)) add('/agency', `no agency has code "${def.agency}"`);
  const actionIds = new Set<string>();
  states.forEach((state, s) => {
    const p = `/workflow/states/${s}`;
    const exits = exitsOf(state);
    // A final state may only be reopened by the applicant, within a time limit (an appeal).
    const reopenings = (state.applicantActions ?? []).filter((a) => a.withinDays !== undefined).length;
    if (state.outcome && exits.length > reopenings) add(`${p}/outcome`, 'a final state (with an outcome) cannot have actions, reviews, or applicant actions without withinDays');
    if (!state.outcome && exits.length === 0) add(p, `the state "${state.id}" has no way out: give it actions, applicant actions, reviews, or an outcome`);
    if (state.outcome && state.slaDays) add(`${p}/slaDays`, 'a final state has no deadline');
    checkActor(state.assignee, `${p}/assignee`);
    checkEffects(state.effects, `${p}/effects`);
    // A booking is for someone to come and act: a final state has nobody left to record the visit.
    if (state.outcome && (state.effects ?? []).some((e) => 'book' in e)) add(`${p}/effects`, 'a final state cannot book an appointment');
    uniqueIds([...(state.actions ?? []), ...(state.applicantActions ?? [])], `${p}/actions`, 'action');
    (state.actions ?? []).forEach((action, a) => {
      const ap = `${p}/actions/${a}`;
      actionIds.add(action.id);
      knownState(action.to, `${ap}/to`);
      checkActor(action.by, `${ap}/by`);
      const inputIds = (action.inputs ?? []).map((i) => i.id);
      checkExpression(action.guard, `${ap}/guard`, ['inputs']);
      (action.inputs ?? []).forEach((input, i) => {
        if ((input.type === 'checklist' || input.type === 'assessment') && !input.items) add(`${ap}/inputs/${i}/items`, `a${input.type === 'checklist' ? ' checklist' : 'n assessment'} needs items`);
        if (input.type === 'photos' && (!input.accept || input.maxSizeMb === undefined)) add(`${ap}/inputs/${i}`, 'photos need accept (image types) and maxSizeMb');
        if (input.type !== 'photos' && (input.accept || input.maxSizeMb !== undefined || input.maxFiles !== undefined)) add(`${ap}/inputs/${i}`, 'accept, maxSizeMb and maxFiles apply to photos only');
      });
      (action.branches ?? []).forEach((branch, b) => {
        knownState(branch.to, `${ap}/branches/${b}/to`);
        checkExpression(branch.when, `${ap}/branches/${b}/when`, ['inputs']);
      });
      if (new Set(inputIds).size !== inputIds.length) add(`${ap}/inputs`, 'two inputs have the same id');
      checkEffects(action.effects, `${ap}/effects`);
    });
    (state.applicantActions ?? []).forEach((action, a) => {
      actionIds.add(action.id);
      knownState(action.to, `${p}/applicantActions/${a}/to`);
      checkEffects(action.effects, `${p}/applicantActions/${a}/effects`);
    });
    if (state.reviews) {
      knownState(state.reviews.whenAllAgree, `${p}/reviews/whenAllAgree`);
      knownState(state.reviews.whenAnyObjects, `${p}/reviews/whenAnyObjects`);
      uniqueIds(state.reviews.reviewers, `${p}/reviews/reviewers`, 'review');
      state.reviews.reviewers.forEach((r, i) => checkActor(r.by, `${p}/reviews/reviewers/${i}/by`));
    }
    if (state.payment) {
      knownState(state.payment.whenPaid, `${p}/payment/whenPaid`);
      if (!def.fees) add(`${p}/payment`, 'the case waits for payment, but the service has no fees');
      if (state.payment.whenPaid === state.id) add(`${p}/payment/whenPaid`, 'a paid case must move on to another state');
    }
  });
  (def.workflow.withdrawableFrom ?? []).forEach((id, i) => knownState(id, `/workflow/withdrawableFrom/${i}`));
  if ((def.workflow.withdrawableFrom ?? []).length > 0 && !states.some((s) => s.outcome === 'withdrawn')) {
    add('/workflow/withdrawableFrom', 'applicants may withdraw, but no state has the outcome "withdrawn"');
  }
  if (!states.some((s) => s.outcome)) add('/workflow/states', 'no state has an outcome, so no case can ever be closed');
  if (stateIds.has(def.workflow.initial)) {
    const reachable = reachableStates(def);
    states.forEach((state, s) => {
      if (!reachable.has(state.id)) add(`/workflow/states/${s}`, `the state "${state.id}" cannot be reached from "${def.workflow.initial}"`);
    });
  }
  (def.notifications ?? []).forEach((n, i) => {
    const [kind, target] = n.on.split(':');
    if (kind === 'state' && !stateIds.has(target!)) add(`/notifications/${i}/on`, `"${target}" is not a state of this workflow`);
    if (kind === 'action' && !actionIds.has(target!)) add(`/notifications/${i}/on`, `no action is called "${target}"`);
  });
  (def.feedback?.after ?? []).forEach((id, i) => {
    if (!stateIds.has(id)) add(`/feedback/after/${i}`, `"${id}" is not a state of this workflow`);
  });
  return problems;
}
