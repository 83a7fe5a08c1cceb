import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { asSession, DEMO_PASSWORD, signIn, startTestApp, type Session, type TestApp } from '../../../test/support/app.ts';
import { DEMO_ACCOUNTS, DEMO_AGENCIES, serviceDefinitionFiles } from '../../demo/seed-demo.ts';
import { agencyCodeOf } from '../workflow/index.ts';
import type { ActionDefinition, FieldDefinition, ServiceDefinition, StateDefinition, StepDefinition } from './definition/schema.ts';
import { checkFindings, visibleSteps, type FormData } from './index.ts';
import { multipartBody, payFeesAtCounter, PDF, PNG } from '../../../test/support/registration-fixtures.ts';

/**
 * Every service in services/ and the use-case folders works end to end, whatever it declares: answers are built from its
 * form, documents from its list, and the workflow is walked along the shortest path of its own
 * graph to a successful outcome, each step taken by a demo account whose grants fit. A new
 * definition file is covered by adding it, with no change here.
 */

const SUCCESS = ['granted', 'closed'];

type Json = Record<string, any>;
type Actor = { role: string; agency?: string; agencyFrom?: string };
type Review = NonNullable<StateDefinition['reviews']>;
type Step =
  | { kind: 'action'; from: StateDefinition; to: string; action: ActionDefinition }
  | { kind: 'answer'; from: StateDefinition; to: string; action: NonNullable<StateDefinition['applicantActions']>[number] }
  | { kind: 'reviews'; from: StateDefinition; to: string; reviews: Review; objecting: boolean }
  | { kind: 'payment'; from: StateDefinition; to: string };

let app: TestApp;
let citizen: Session;
const sessions = new Map<string, Promise<Session>>();

before(async () => {
  app = await startTestApp();
  citizen = await signIn(app, 'amina', DEMO_PASSWORD);
});
after(() => app.stop());

function sessionOf(username: string): Promise<Session> {
  if (!sessions.has(username)) sessions.set(username, signIn(app, username, DEMO_PASSWORD));
  return sessions.get(username)!;
}

async function call(session: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const response = await app.app.inject({ method, url, headers: asSession(session), ...(payload === undefined ? {} : { payload: payload as Json }) });
  return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Json) : {} };
}

function upload(session: Session, url: string, documentType: string, file: { name: string; bytes: Buffer }) {
  const boundary = '----daftari-examples';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${documentType}"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return app.app.inject({ method: 'POST', url, headers: { ...asSession(session), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
}

// ——— Who may act: the demo account whose grant reaches the agency (a grant covers the agencies below it).

const parentOf = new Map<string, string | null>(DEMO_AGENCIES.map((a) => [a.code, a.parentCode]));

function reaches(grantAgency: string | null, agency: string): boolean {
  if (grantAgency === null) return true;
  for (let code: string | null | undefined = agency; code; code = parentOf.get(code)) if (code === grantAgency) return true;
  return false;
}

function staffFor(role: string, agency: string): string | undefined {
  return DEMO_ACCOUNTS.find((a) => a.user.roles?.some((g) => g.role === role && reaches(g.agencyCode, agency)))?.username;
}

// ——— Answers built from the definition.

function sampleText(field: FieldDefinition): string {
  const max = field.maxLength ?? 500;
  if (field.pattern) {
    const matching = fc.stringMatching(new RegExp(`^(?:${field.pattern})$`, 'u')).filter((s) => s.trim() === s && s.length >= (field.minLength ?? 1) && s.length <= max);
    return fc.sample(matching, { numRuns: 1, seed: 2026 })[0]!;
  }
  return 'Sample answer'.padEnd(field.minLength ?? 0, '.').slice(0, max);
}

/** The first option; for a field that routes the case (agencyFrom), the first agency a demo account can work in. */
function choose(definition: ServiceDefinition, field: FieldDefinition): string {
  const routing = definition.workflow.states.flatMap((s) => [s.assignee, ...(s.actions ?? []).map((a) => a.by), ...(s.reviews?.reviewers ?? []).map((r) => r.by)]).filter((a): a is Actor => a?.agencyFrom === field.id);
  const option = field.options!.find((o) => routing.every((actor) => staffFor(actor.role, o.value))) ?? field.options![0]!;
  return option.value;
}

function answerFor(definition: ServiceDefinition, field: FieldDefinition): string | number {
  switch (field.type) {
    case 'select':
    case 'radio':
      return choose(definition, field);
    case 'integer':
      return field.min ?? 1;
    case 'decimal':
      return String(field.min ?? 1);
    case 'date':
      return '2020-02-29';
    case 'yes-no':
      return 'yes';
    case 'email':
      return 'applicant@example.org';
    case 'phone':
      return '+253 77 12 34 56';
    default:
      return sampleText(field);
  }
}

/** Sample answers for a step; an optional one is left out when it alone would break one of the service's checks. */
function answersWithinRules(definition: ServiceDefinition, step: StepDefinition, saved: FormData): Record<string, string | number> {
  const answers: Record<string, string | number> = Object.fromEntries(step.fields.map((f) => [f.id, answerFor(definition, f)]));
  const broken = (data: Record<string, unknown>) => checkFindings(definition, data as FormData).filter((f) => f.blocking).length;
  for (const field of step.fields.filter((f) => !f.required)) {
    const { [field.id]: _answer, ...without } = answers;
    if (broken({ ...saved, ...answers }) > broken({ ...saved, ...without })) answers[field.id] = '';
  }
  return answers;
}

/** A sample value for each input, photos aside (they are files, sent by `takeStaffAction`). */
function inputsFor(inputs: ActionDefinition['inputs'] = []): Record<string, unknown> {
  return Object.fromEntries(
    inputs.flatMap((input): [string, unknown][] => {
      switch (input.type) {
        case 'photos':
          return [];
        case 'checklist':
          return [[input.id, input.items!.map((i) => i.id)]];
        case 'assessment':
          return [[input.id, Object.fromEntries(input.items!.map((i) => [i.id, 'pass']))]];
        case 'pass-fail':
          return [[input.id, 'pass']];
        case 'yes-no':
          return [[input.id, true]];
        case 'date':
          return [[input.id, '2026-12-01']];
        default:
          return [[input.id, 'Sample answer']];
      }
    }),
  );
}

/** An officer's action as JSON, or as multipart/form-data with a photo for each photos input. */
async function takeStaffAction(session: Session, id: string, action: ActionDefinition, expectedState: string) {
  const url = `/api/workflow/cases/${id}/actions/${action.id}`;
  const photos = (action.inputs ?? []).filter((i) => i.type === 'photos');
  if (photos.length === 0) return call(session, 'POST', url, { inputs: inputsFor(action.inputs), expectedState });
  const fields = Object.entries(inputsFor(action.inputs)).flatMap(([name, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value).map(([item, verdict]) => ({ name: `${name}.${item}`, content: String(verdict) })) : [{ name, content: String(value) }],
  );
  const { contentType, payload } = multipartBody([...fields, { name: 'expectedState', content: expectedState }, ...photos.map((p) => ({ name: p.id, fileName: 'photo.png', content: PNG }))]);
  const response = await app.app.inject({ method: 'POST', url, headers: { ...asSession(session), 'content-type': contentType }, payload });
  return { status: response.statusCode, body: JSON.parse(response.body) as Json };
}

function sampleFile(accept: readonly string[]): { name: string; bytes: Buffer } {
  if (accept.includes('pdf')) return { name: 'document.pdf', bytes: PDF };
  throw new Error(`no sample file for a document accepting only ${accept.join(', ')}: add one to examples.test.ts`);
}

// ——— The workflow as a graph: the shortest path from the initial state to a successful outcome.

function shortestPath(definition: ServiceDefinition, outcome: string): Step[] | null {
  const states = new Map(definition.workflow.states.map((s) => [s.id, s]));
  const cameBy = new Map<string, Step | null>([[definition.workflow.initial, null]]);
  const queue = [definition.workflow.initial];
  while (queue.length > 0) {
    const state = states.get(queue.shift()!)!;
    if (state.outcome === outcome) {
      const steps: Step[] = [];
      for (let step = cameBy.get(state.id); step; step = cameBy.get(step.from.id)) steps.unshift(step);
      return steps;
    }
    const exits: Step[] = [
      ...(state.actions ?? []).map((action): Step => ({ kind: 'action', from: state, to: action.to, action })),
      ...(state.applicantActions ?? []).map((action): Step => ({ kind: 'answer', from: state, to: action.to, action })),
      ...(state.reviews
        ? [{ kind: 'reviews', from: state, to: state.reviews.whenAllAgree, reviews: state.reviews, objecting: false } as const, { kind: 'reviews', from: state, to: state.reviews.whenAnyObjects, reviews: state.reviews, objecting: true } as const]
        : []),
      ...(state.payment ? [{ kind: 'payment', from: state, to: state.payment.whenPaid } as const] : []),
    ];
    for (const exit of exits) {
      if (cameBy.has(exit.to)) continue;
      cameBy.set(exit.to, exit);
      queue.push(exit.to);
    }
  }
  return null;
}

/** Issued documents a path calls for: from its actions and from the states it enters. */
function outputsAlong(definition: ServiceDefinition, steps: Step[]): string[] {
  const stateEffects = (id: string) => definition.workflow.states.find((s) => s.id === id)?.effects ?? [];
  const effects = [...stateEffects(definition.workflow.initial), ...steps.flatMap((step) => [...(step.kind === 'action' || step.kind === 'answer' ? (step.action.effects ?? []) : []), ...stateEffects(step.to)])];
  return [...new Set(effects.flatMap((e) => ('issue' in e ? [e.issue] : [])))].sort();
}

const ROOT = path.resolve(import.meta.dirname, '../../..');
const files = serviceDefinitionFiles();

for (const file of files) {
  const definition = parse(fs.readFileSync(file, 'utf8')) as ServiceDefinition;
  const outcome = SUCCESS.find((o) => shortestPath(definition, o)) ?? SUCCESS[0]!;
  const steps = shortestPath(definition, outcome) ?? [];

  describe(`${definition.id} (${path.relative(ROOT, file)})`, () => {
    let id: string;
    let data: FormData;

    it('is published by the demo seed, at the version of its file', async () => {
      const published = await call(citizen, 'GET', `/api/registration/definitions/${definition.id}`);
      assert.equal(published.status, 200);
      assert.equal(published.body.definition.version, definition.version);
    });

    it('refuses a required answer left empty, naming the field', async () => {
      const draft = await call(citizen, 'POST', '/api/registration/drafts', { serviceId: definition.id });
      assert.equal(draft.status, 201, JSON.stringify(draft.body));
      id = draft.body.id;
      const step = definition.form.steps.find((s) => !s.when && s.fields.some((f) => f.required && !f.when))!;
      const field = step.fields.find((f) => f.required && !f.when)!;
      const answers = Object.fromEntries(step.fields.map((f) => [f.id, f.id === field.id ? '' : answerFor(definition, f)]));
      const refused = await call(citizen, 'PUT', `/api/registration/drafts/${id}/steps/${step.id}`, { answers });
      assert.equal(refused.status, 400);
      assert.deepEqual((refused.body.errors as { pointer: string }[]).map((e) => e.pointer), [`/body/data/${field.id}`]);
    });

    it('takes answers and documents built from its definition, and submits them', async () => {
      let saved: FormData = {};
      for (let i = 0; ; i++) {
        const step = visibleSteps(definition, saved)[i];
        if (!step) break;
        const answers = answersWithinRules(definition, step, saved);
        const response = await call(citizen, 'PUT', `/api/registration/drafts/${id}/steps/${step.id}`, { answers });
        assert.equal(response.status, 200, `step ${step.id}: ${JSON.stringify(response.body)}`);
        saved = response.body.data;
      }
      for (const document of (definition.documents ?? []).filter((d) => d.required !== false)) {
        const response = await upload(citizen, `/api/registration/drafts/${id}/documents`, document.id, sampleFile(document.accept));
        assert.equal(response.statusCode, 201, `document ${document.id}: ${response.body}`);
      }
      const submitted = await call(citizen, 'POST', `/api/registration/drafts/${id}/submit`);
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      assert.match(submitted.body.trackingNumber, /^[A-Z0-9]{1,4}-\d{4}-[A-Z0-9]{6}-[A-Z0-9]$/);
      assert.equal(submitted.body.state.id, definition.workflow.initial);
      data = submitted.body.data;
    });

    it('refuses an officer’s action from a citizen', async () => {
      const anyAction = definition.workflow.states.flatMap((s) => s.actions ?? [])[0]?.id ?? 'approve';
      const response = await call(citizen, 'POST', `/api/workflow/cases/${id}/actions/${anyAction}`, {});
      assert.ok([403, 404].includes(response.status), `status ${response.status}`);
    });

    it('refuses an action the current state does not offer', async () => {
      const initial = definition.workflow.states.find((s) => s.id === definition.workflow.initial)!;
      const offered = new Set((initial.actions ?? []).map((a) => a.id));
      const elsewhere = definition.workflow.states.flatMap((s) => s.actions ?? []).find((a) => !offered.has(a.id))?.id ?? 'approve';
      const officer = staffFor('officer', definition.agency) ?? staffFor('agency-head', definition.agency);
      assert.ok(officer, `a demo account works in ${definition.agency}`);
      const response = await call(await sessionOf(officer), 'POST', `/api/workflow/cases/${id}/actions/${elsewhere}`, {});
      assert.equal(response.status, 409, JSON.stringify(response.body));
    });

    it(`reaches the outcome "${outcome}" along the shortest path of its workflow (${steps.length} step(s))`, async () => {
      assert.ok(shortestPath(definition, outcome), `no path from "${definition.workflow.initial}" to an outcome ${SUCCESS.join(' or ')}`);
      for (const step of steps) {
        if (step.kind === 'action') {
          const actor = step.action.by ?? step.from.assignee ?? { role: 'officer' };
          const agency = agencyCodeOf(actor, definition, data);
          const username = staffFor(actor.role, agency);
          assert.ok(username, `no demo account is ${actor.role} of ${agency} to take "${step.action.id}"`);
          const response = await takeStaffAction(await sessionOf(username), id, step.action, step.from.id);
          assert.equal(response.status, 200, `${username} takes "${step.action.id}": ${JSON.stringify(response.body)}`);
          assert.equal(response.body.transition.to, step.to);
        } else if (step.kind === 'answer') {
          const response = await call(citizen, 'POST', `/api/registration/applications/${id}/answers`, { actionId: step.action.id, inputs: inputsFor(step.action.inputs), expectedState: step.from.id });
          assert.equal(response.status, 200, `the applicant answers "${step.action.id}": ${JSON.stringify(response.body)}`);
          assert.equal(response.body.transition.to, step.to);
        } else if (step.kind === 'payment') {
          // The fees are paid at the agency's counter; the case moves on by itself once they are.
          const cashier = staffFor('cashier', definition.agency);
          assert.ok(cashier, `no demo account is cashier of ${definition.agency}`);
          await payFeesAtCounter(app, id, cashier);
          const moved = await call(citizen, 'GET', `/api/registration/applications/${id}`);
          assert.equal(moved.body.state.id, step.to, 'the case moves on once the fees are paid');
        } else {
          for (const [i, reviewer] of step.reviews.reviewers.entries()) {
            const agency = agencyCodeOf(reviewer.by, definition, data);
            const username = staffFor(reviewer.by.role, agency);
            assert.ok(username, `no demo account is ${reviewer.by.role} of ${agency} to give the review "${reviewer.id}"`);
            const opinion = step.objecting && i === 0 ? { opinion: 'object', conditions: 'Sample objection' } : { opinion: 'agree' };
            const response = await call(await sessionOf(username), 'POST', `/api/workflow/cases/${id}/reviews/${reviewer.id}`, opinion);
            assert.equal(response.status, 200, `${username} gives the review "${reviewer.id}": ${JSON.stringify(response.body)}`);
            const lastOpinion: boolean = i === step.reviews.reviewers.length - 1;
            assert.equal(response.body.transition?.to ?? null, lastOpinion ? step.to : null, 'the case moves on with the last opinion only');
          }
        }
      }
      const mine = await call(citizen, 'GET', `/api/registration/applications/${id}`);
      assert.equal(mine.body.outcome, outcome);
      assert.deepEqual((mine.body.outputs as { id: string }[]).map((o) => o.id).sort(), outputsAlong(definition, steps));
    });

    it('sends what it queued without a failed job', async () => {
      await app.jobs.drain();
      assert.equal((await app.jobs.stats()).dead, 0);
    });
  });
}
