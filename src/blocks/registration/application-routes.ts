import { Type } from '@sinclair/typebox';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { access, requirePrincipal } from '../../platform/http/access.ts';
import { Problem } from '../../platform/http/problem.ts';
import { Problems, Uuid } from '../../platform/http/schemas.ts';
import type { App } from '../../platform/http/server.ts';
import { isLocale } from '../../platform/i18n/index.ts';
import { assignTask, claimTask, readWorklistPosition, releaseTask, worklist, worklistPosition, WORKLIST_POSITION, type Transition } from '../workflow/index.ts';
import { actOnApplication, answerAsApplicant, applicationForStaff, extendApplicationDeadline, reviewApplication, withdrawApplication } from './applications/act-on-application.ts';
import { applicationForApplicant, canWorkAs, definitionOf, type RegistrationDeps } from './applications/context.ts';
import { prefillStep, stepPrefills } from './applications/prefill-step.ts';
import { describeApplication, type ApplicationView } from './applications/describe-application.ts';
import { attachDocument, discardDraft, removeDocument, saveStep, startApplication, type Upload } from './applications/draft-application.ts';
import { applicationsOf, documentsOf, findByTrackingNumber } from './applications/store.ts';
import { applyInOneStep, submitApplication } from './applications/submit-application.ts';
import { AGENT_ROLE, applicationForAssistant, applyForPresentPerson } from './applications/apply-for-present-person.ts';
import { normaliseTrackingNumber } from './applications/tracking-number.ts';

const ServiceId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });
const FieldId = Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$' });
// One list of types, not a union: the validator coerces types, and within a union it would turn
// `false` into "false" (and null into "") before the form engine or the workflow sees the value.
const Answer = Type.Unsafe<string | number | boolean | null>({ type: ['string', 'number', 'boolean', 'null'], maxLength: 10000 });
// An object is an assessment: each item of a checklist judged pass or fail.
const Input = Type.Unsafe<string | boolean | string[] | Record<string, string>>({
  type: ['string', 'boolean', 'array', 'object'],
  maxLength: 10000,
  items: { type: 'string', maxLength: 100 },
  maxItems: 50,
  additionalProperties: { type: 'string', maxLength: 10 },
  maxProperties: 50,
});
export const Answers = Type.Record(FieldId, Answer, { maxProperties: 200 });
export const Inputs = Type.Record(FieldId, Input, { maxProperties: 30 });
export const IdempotencyKey = Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' });
const AppParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** The JSON view of an application; the same object for the applicant and staff, with less for the applicant. */
export function applicationJson(view: ApplicationView) {
  const a = view.application;
  return {
    id: a.id,
    serviceId: a.service_id,
    serviceVersion: a.service_version,
    status: a.status,
    trackingNumber: a.tracking_number,
    data: a.data,
    /** Answers filled in from a registry and not changed since: field → registry and record. */
    prefilled: Object.fromEntries(Object.entries(a.prefilled).map(([field, p]) => [field, { registry: p.registry, recordId: p.recordId, recordVersion: p.recordVersion, consentId: p.consentId, at: p.at }])),
    fees: a.fees,
    totalFee: view.totalFee,
    currency: view.definition.fees?.currency ?? null,
    submittedAt: a.submitted_at?.toISOString() ?? null,
    state: view.caseRow ? { id: view.caseRow.state, label: view.state?.label ?? {}, enteredAt: view.caseRow.state_entered_at.toISOString(), dueAt: view.caseRow.state_due_at?.toISOString() ?? null, overdue: view.caseRow.overdue } : null,
    statutoryDueAt: view.caseRow?.statutory_due_at?.toISOString() ?? null,
    clockPaused: Boolean(view.caseRow?.clock_paused_since),
    outcome: view.caseRow?.outcome ?? null,
    documents: view.documents.map((d) => ({ id: d.id, type: d.document_type, fileName: d.file_name, mediaType: d.media_type, size: d.size_bytes, uploadedAt: d.uploaded_at.toISOString() })),
    outputs: view.outputs.map((o) => ({
      id: o.output_id,
      title: o.title,
      issuedAt: o.issued_at.toISOString(),
      validUntil: o.valid_until?.toISOString() ?? null,
      revoked: o.revoked_at !== null,
      // The signed PDF and where anyone can check it (the e-signature block).
      documentId: o.document_id,
      verifyPath: o.document_id ? `/verify/${o.document_id}` : null,
    })),
    history: view.events.map((e) => ({ at: e.at.toISOString(), kind: e.kind, action: e.actionId, from: e.fromState, to: e.toState, by: e.actorName, inputs: e.inputs })),
    actions: view.actions.map((x) => ({ id: x.id, label: x.label, to: x.to, inputs: x.inputs ?? [] })),
    reviews: view.reviews,
    applicantActions: view.applicantActions.map((x) => ({ id: x.id, label: x.label, inputs: x.inputs ?? [], documents: x.documents ?? false })),
    mayWithdraw: view.mayWithdraw,
    channel: a.channel,
    assistedBy: view.assistedBy,
  };
}

const ApplicationOut = Type.Object({}, { additionalProperties: true, description: 'An application: answers, fees, state, deadlines, documents, issued outputs, history and what may be done next' });

function transitionJson(t: Transition | null) {
  return t ? { from: t.from, to: t.to, action: t.actionId, outcome: t.outcome } : null;
}

function localeOf(request: FastifyRequest): string {
  const wanted = request.principal?.locale;
  return isLocale(wanted) ? wanted : 'en';
}

/** Read a multipart upload: the file parts and the plain fields. */
export async function readUploads(request: FastifyRequest): Promise<{ fields: Record<string, string>; uploads: Upload[] }> {
  const body = (request.body ?? {}) as Record<string, MultipartFile | MultipartValue | (MultipartFile | MultipartValue)[] | undefined>;
  const fields: Record<string, string> = {};
  const uploads: Upload[] = [];
  for (const [name, parts] of Object.entries(body)) {
    for (const part of [parts].flat()) {
      if (!part) continue;
      if (part.type === 'file') {
        if (part.filename) uploads.push({ documentType: name, fileName: part.filename, bytes: await part.toBuffer() });
      } else if (typeof part.value === 'string') {
        fields[name] = part.value;
      }
    }
  }
  return { fields, uploads };
}

/**
 * Action inputs from form fields: `checklist.drainage=fail` is the item `drainage` of the
 * assessment `checklist`, so a form without script can judge each item with its own buttons.
 */
export function inputsOfFields(fields: Record<string, unknown>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const [id, item] = name.split('.', 2) as [string, string | undefined];
    if (item === undefined) inputs[id] = value;
    else inputs[id] = { ...(inputs[id] as Record<string, unknown> | undefined), [item]: value };
  }
  return inputs;
}

/** Applications for applicants, case work for officers. */
export function applicationRoutes(deps: RegistrationDeps) {
  const { db } = deps;
  return async (app: App) => {
    app.post('/api/registration/applications', {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'Apply in one call: every answer at once, submitted at once (for services without documents). Retrying with the same idempotency key returns the first application',
        tags: ['registration'],
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        body: Type.Object({ serviceId: ServiceId, data: Answers, onBehalfOf: Type.Optional(Uuid), idempotencyKey: Type.Optional(IdempotencyKey) }, { additionalProperties: false }),
        response: { 200: ApplicationOut, 201: ApplicationOut, ...Problems },
      },
      handler: async (request, reply) => {
        const key = request.body.idempotencyKey ?? request.headers['idempotency-key'];
        if (!key) throw Problem.invalidField('/body/idempotencyKey', 'give an idempotency key (or the Idempotency-Key header) so a retried request cannot apply twice');
        const principal = requirePrincipal(request);
        const { application, created } = await applyInOneStep(deps, { serviceId: request.body.serviceId, data: request.body.data, principal, onBehalfOf: request.body.onBehalfOf, idempotencyKey: key, locale: localeOf(request), requestId: request.id });
        const view = await describeApplication(db, application, principal, 'applicant');
        return reply.code(created ? 201 : 200).send(applicationJson(view));
      },
    });

    app.post('/api/registration/assisted-applications', {
      config: { access: access.roles(AGENT_ROLE) },
      schema: {
        summary: 'An agent at a service centre applies for the person present, after checking their ID and recording their consent; the tracking number goes to their phone by SMS',
        tags: ['registration'],
        body: Type.Object({
          serviceId: ServiceId,
          data: Answers,
          person: Type.Object({
            nationalId: Type.String({ minLength: 3, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }),
            idDocument: Type.Union([Type.Literal('national-id-card'), Type.Literal('passport'), Type.Literal('voter-card'), Type.Literal('birth-certificate')]),
            consentMethod: Type.Union([Type.Literal('signed-form'), Type.Literal('verbal'), Type.Literal('thumbprint')]),
          }, { additionalProperties: false }),
          idempotencyKey: IdempotencyKey,
        }, { additionalProperties: false }),
        response: { 200: ApplicationOut, 201: ApplicationOut, ...Problems },
      },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const { application, created, smsQueued } = await applyForPresentPerson(deps, { ...request.body, principal, requestId: request.id });
        const view = await describeApplication(db, application, principal, 'applicant');
        return reply.code(created ? 201 : 200).send({ ...applicationJson(view), smsQueued });
      },
    });

    app.post('/api/registration/drafts', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Start a draft application on the current version of a service', tags: ['registration'], body: Type.Object({ serviceId: ServiceId, onBehalfOf: Type.Optional(Uuid) }, { additionalProperties: false }), response: { 201: ApplicationOut, ...Problems } },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const draft = await startApplication(deps, { serviceId: request.body.serviceId, principal, onBehalfOf: request.body.onBehalfOf, locale: localeOf(request), requestId: request.id });
        return reply.code(201).send(applicationJson(await describeApplication(db, draft, principal, 'applicant')));
      },
    });

    app.put('/api/registration/drafts/:id/steps/:stepId', {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'Save the answers of one step',
        tags: ['registration'],
        params: Type.Object({ id: Uuid, stepId: ServiceId }, { additionalProperties: false }),
        body: Type.Object({ answers: Answers }, { additionalProperties: false }),
        response: { 200: ApplicationOut, ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const saved = await saveStep(deps, { applicationId: request.params.id, stepId: request.params.stepId, answers: request.body.answers, principal, requestId: request.id });
        return applicationJson(await describeApplication(db, saved, principal, 'applicant'));
      },
    });

    app.post('/api/registration/drafts/:id/steps/:stepId/prefill', {
      config: { access: access.roles('citizen') },
      schema: {
        summary: "Fill in a step's fields from a registry: the applicant's own record, with their consent where it is personal data",
        description: 'The step lists its groups (registry and the answers it matches on) in `GET /api/registration/drafts/{id}/steps/{stepId}/prefill`. `consent: true` is the applicant agreeing now; only the applicant themselves can. 409 when consent is needed (the agreement is named) or prefill is not possible; 404 when no record in the applicant\'s name matches.',
        tags: ['registration'],
        params: Type.Object({ id: Uuid, stepId: ServiceId }, { additionalProperties: false }),
        body: Type.Object({ group: Type.String({ minLength: 1, maxLength: 500 }), consent: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: ApplicationOut, ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const { application, result } = await prefillStep(deps, { applicationId: request.params.id, stepId: request.params.stepId, group: request.body.group, consent: request.body.consent ?? false, principal, requestId: request.id });
        if (result.kind === 'not-found') throw Problem.notFound('No record in the applicant\'s name matches these answers.');
        if (result.kind === 'needs-consent') throw new Problem(409, `The applicant has not agreed to this use of their data (agreement "${result.agreement.code}": ${result.reason}).`, { title: 'Consent needed', extensions: { agreement: result.agreement.code } });
        if (result.kind === 'unavailable') throw Problem.conflict('This cannot be filled in from the registry for this applicant; answer the questions instead.');
        return applicationJson(await describeApplication(db, application, principal, 'applicant'));
      },
    });

    app.get('/api/registration/drafts/:id/steps/:stepId/prefill', {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'What a step of a draft can fill in from registries, and whether consent is needed first',
        tags: ['registration'],
        params: Type.Object({ id: Uuid, stepId: ServiceId }, { additionalProperties: false }),
        response: { 200: Type.Array(Type.Object({ group: Type.String(), registry: Type.String(), fields: Type.Array(Type.String()), status: Type.String(), agreement: Type.Union([Type.String(), Type.Null()]), filled: Type.Array(Type.String()) })), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const application = await applicationForApplicant(db, principal, request.params.id);
        const definition = await definitionOf(db, application.service_id, application.service_version);
        const step = definition.form.steps.find((s) => s.id === request.params.stepId);
        if (!step) throw Problem.notFound('This service has no such step.');
        return (await stepPrefills(db, application, step, principal)).map((p) => ({
          group: p.group.key,
          registry: p.group.registry,
          fields: p.group.fields.map((f) => f.id),
          status: p.offer.kind,
          agreement: p.offer.kind === 'needs-consent' ? p.offer.agreement.code : null,
          filled: p.filled,
        }));
      },
    });

    app.post('/api/registration/drafts/:id/documents', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Upload documents (multipart/form-data; each file part is named by its document type); checked by content and size', tags: ['registration'], params: AppParams, consumes: ['multipart/form-data'], response: { 201: Type.Array(Type.Object({ id: Type.String(), type: Type.String(), fileName: Type.String(), mediaType: Type.String(), size: Type.Integer() })), ...Problems } },
      handler: async (request, reply) => {
        if (!request.isMultipart()) throw new Problem(415, 'Send the documents as multipart/form-data.');
        const principal = requirePrincipal(request);
        const { uploads } = await readUploads(request);
        if (uploads.length === 0) throw Problem.invalidField('/body', 'no file was sent');
        const stored = [];
        for (const upload of uploads) stored.push(await attachDocument(deps, { applicationId: request.params.id, upload, principal, requestId: request.id }));
        return reply.code(201).send(stored.map((d) => ({ id: d.id, type: d.document_type, fileName: d.file_name, mediaType: d.media_type, size: d.size_bytes })));
      },
    });

    app.delete('/api/registration/drafts/:id/documents/:documentId', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Remove a document from a draft', tags: ['registration'], params: Type.Object({ id: Uuid, documentId: Uuid }, { additionalProperties: false }), response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await removeDocument(deps, { applicationId: request.params.id, documentId: request.params.documentId, principal: requirePrincipal(request), requestId: request.id });
        return reply.code(204).send(null);
      },
    });

    app.post('/api/registration/drafts/:id/submit', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Submit a draft; submitting twice returns the same application and tracking number', tags: ['registration'], params: AppParams, response: { 200: ApplicationOut, ...Problems } },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const submitted = await submitApplication(deps, { applicationId: request.params.id, principal, requestId: request.id });
        return applicationJson(await describeApplication(db, submitted, principal, 'applicant'));
      },
    });

    app.delete('/api/registration/drafts/:id', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Discard a draft', tags: ['registration'], params: AppParams, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await discardDraft(deps, { applicationId: request.params.id, principal: requirePrincipal(request), requestId: request.id });
        return reply.code(204).send(null);
      },
    });

    app.get('/api/registration/applications', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'My applications and those I made for others under a mandate, newest first', tags: ['registration'], querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) }, { additionalProperties: false }), response: { 200: Type.Array(ApplicationOut), ...Problems } },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const rows = await applicationsOf(db, { userId: principal.id, partyId: principal.partyId! }, request.query.limit ?? 50);
        return Promise.all(rows.map(async (r) => applicationJson(await describeApplication(db, r, principal, 'applicant'))));
      },
    });

    app.get('/api/registration/applications/:id', {
      config: { access: access.signedIn },
      schema: { summary: 'An application, for its applicant (or their agent) or for the staff working it', tags: ['registration'], params: AppParams, response: { 200: ApplicationOut, ...Problems } },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        const mine = (await applicationForApplicant(db, principal, request.params.id).catch(() => null)) ?? (await applicationForAssistant(db, principal, request.params.id).catch(() => null));
        const view = mine ? await describeApplication(db, mine, principal, 'applicant') : await describeApplication(db, await applicationForStaff(db, principal, request.params.id), principal, 'staff');
        const invoices = await deps.payments.invoicesFor(db, 'application', view.application.id);
        const bookings = await deps.scheduler.bookingsFor({ type: 'application', id: view.application.id });
        return {
          ...applicationJson(view),
          invoices: invoices.map((i) => ({ id: i.id, reference: i.reference, state: i.state, amount: i.amount, paidAmount: i.paidAmount, currency: i.currency, dueAt: i.dueAt.toISOString(), payPath: i.payPath })),
          // Inspections and other visits the workflow booked; moved or cancelled through /api/scheduler/bookings/{id}.
          bookings: bookings.map((b) => ({ id: b.id, title: b.title, start: b.start.toISOString(), end: b.end.toISOString(), status: b.status, reschedules: b.reschedules })),
        };
      },
    });

    app.get('/api/registration/applications/:id/documents/:documentId', {
      config: { access: access.signedIn },
      schema: { summary: 'Download an uploaded document', tags: ['registration'], params: Type.Object({ id: Uuid, documentId: Uuid }, { additionalProperties: false }) },
      handler: async (request, reply) => {
        const principal = requirePrincipal(request);
        const application = (await applicationForApplicant(db, principal, request.params.id).catch(() => null)) ?? (await applicationForStaff(db, principal, request.params.id));
        const document = (await documentsOf(db, application.id)).find((d) => d.id === request.params.documentId);
        const bytes = document ? await deps.blobs.get(document.blob_hash) : null;
        if (!document || !bytes) throw Problem.notFound('No such document on this application.');
        return reply
          .type(document.media_type)
          .header('content-disposition', `attachment; filename="${document.file_name.replace(/[^\w.-]/g, '_')}"`)
          .header('x-content-type-options', 'nosniff')
          .send(bytes);
      },
    });

    app.post('/api/registration/applications/:id/answers', {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'Answer what the agency asked (JSON, or multipart/form-data with documents)',
        tags: ['registration'],
        params: AppParams,
        body: Type.Optional(Type.Union([Type.Object({ actionId: ServiceId, inputs: Type.Optional(Inputs), expectedState: Type.Optional(ServiceId) }, { additionalProperties: false }), Type.Unknown()])),
        response: { 200: Type.Object({ transition: Type.Unknown() }), ...Problems },
      },
      handler: async (request) => {
        const principal = requirePrincipal(request);
        let actionId: string;
        let inputs: Record<string, unknown>;
        let uploads: Upload[] = [];
        let expectedState: string | undefined;
        if (request.isMultipart()) {
          const read = await readUploads(request);
          ({ actionId = '', expectedState, ...inputs } = read.fields);
          delete inputs._csrf;
          uploads = read.uploads;
        } else {
          const body = (request.body ?? {}) as { actionId?: string; inputs?: Record<string, unknown>; expectedState?: string };
          if (typeof body.actionId !== 'string') throw Problem.invalidField('/body/actionId', 'is required');
          actionId = body.actionId;
          inputs = body.inputs ?? {};
          expectedState = body.expectedState;
        }
        const transition = await answerAsApplicant(deps, { applicationId: request.params.id, actionId, inputs, uploads, expectedState, principal, requestId: request.id });
        return { transition: transitionJson(transition) };
      },
    });

    app.post('/api/registration/applications/:id/withdraw', {
      config: { access: access.roles('citizen') },
      schema: { summary: 'Withdraw an application where the service allows it', tags: ['registration'], params: AppParams, body: Type.Object({ reason: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }), response: { 200: Type.Object({ transition: Type.Unknown() }), ...Problems } },
      handler: async (request) => ({ transition: transitionJson(await withdrawApplication(deps, { applicationId: request.params.id, reason: request.body.reason, principal: requirePrincipal(request), requestId: request.id })) }),
    });

    app.get('/api/registration/track/:trackingNumber', {
      config: { access: access.public },
      schema: {
        summary: 'Where an application stands, by tracking number (no personal data)',
        tags: ['registration'],
        params: Type.Object({ trackingNumber: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ trackingNumber: Type.String(), service: Type.Record(Type.String(), Type.String()), state: Type.Record(Type.String(), Type.String()), outcome: Type.Union([Type.String(), Type.Null()]), submittedAt: Type.String(), statutoryDueAt: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
      },
      handler: async (request) => {
        const number = normaliseTrackingNumber(request.params.trackingNumber);
        if (!number) throw Problem.invalidField('/params/trackingNumber', 'is not a valid tracking number (check each character)');
        const application = await findByTrackingNumber(db, number);
        if (!application) throw Problem.notFound('No application has this tracking number.');
        const view = await describeApplication(db, application, null, 'applicant');
        return { trackingNumber: number, service: view.definition.title, state: view.state?.label ?? {}, outcome: view.caseRow?.outcome ?? null, submittedAt: application.submitted_at!.toISOString(), statutoryDueAt: view.caseRow?.statutory_due_at?.toISOString() ?? null };
      },
    });

    app.get('/api/workflow/worklist', {
      config: { access: access.roles('officer', 'agency-head', 'admin') },
      schema: {
        summary: 'Open tasks I may work on, soonest due first (keyset pagination with after=<dueAt>|<taskId>)',
        tags: ['workflow'],
        querystring: Type.Object(
          {
            mine: Type.Optional(Type.Boolean()),
            service: Type.Optional(ServiceId),
            state: Type.Optional(ServiceId),
            agency: Type.Optional(Uuid),
            overdue: Type.Optional(Type.Boolean()),
            after: Type.Optional(Type.String({ maxLength: 100, pattern: WORKLIST_POSITION })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Type.Unknown()), next: Type.Union([Type.String(), Type.Null()]) }), ...Problems },
      },
      handler: async (request) => {
        const q = request.query;
        const limit = q.limit ?? 25;
        const after = q.after === undefined ? undefined : readWorklistPosition(q.after);
        if (after === null) throw Problem.invalidField('/query/after', 'is not a position in this list');
        const items = await worklist(db, requirePrincipal(request), { mine: q.mine, serviceId: q.service, state: q.state, agencyId: q.agency, overdue: q.overdue, after, limit });
        const last = items[items.length - 1];
        return { items, next: items.length === limit && last ? worklistPosition(last) : null };
      },
    });

    app.post('/api/workflow/cases/:id/actions/:actionId', {
      config: { access: access.roles('officer', 'agency-head', 'admin') },
      schema: {
        summary: 'Take an action on a case (the definition says who may, from which state, with which inputs and guard); JSON, or multipart/form-data with the photos an inspection asks for',
        tags: ['workflow'],
        params: Type.Object({ id: Uuid, actionId: ServiceId }, { additionalProperties: false }),
        body: Type.Union([Type.Object({ inputs: Type.Optional(Inputs), expectedState: Type.Optional(ServiceId), _csrf: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }), Type.Unknown()]),
        response: { 200: Type.Object({ transition: Type.Unknown() }), ...Problems },
      },
      handler: async (request) => {
        let inputs: Record<string, unknown>;
        let uploads: Upload[] = [];
        let expectedState: string | undefined;
        if (request.isMultipart()) {
          const read = await readUploads(request);
          ({ expectedState, ...inputs } = read.fields);
          delete inputs._csrf;
          inputs = inputsOfFields(inputs);
          uploads = read.uploads;
        } else {
          const body = (request.body ?? {}) as { inputs?: Record<string, unknown>; expectedState?: string };
          inputs = body.inputs ?? {};
          expectedState = body.expectedState;
        }
        const transition = await actOnApplication(deps, { applicationId: request.params.id, actionId: request.params.actionId, inputs, uploads, expectedState, principal: requirePrincipal(request), requestId: request.id });
        return { transition: transitionJson(transition) };
      },
    });

    app.post('/api/workflow/cases/:id/reviews/:reviewId', {
      config: { access: access.roles('officer', 'agency-head', 'admin') },
      schema: {
        summary: 'Give a review opinion (agree, or object with reasons); the last opinion moves the case on',
        tags: ['workflow'],
        params: Type.Object({ id: Uuid, reviewId: ServiceId }, { additionalProperties: false }),
        body: Type.Object({ opinion: Type.Union([Type.Literal('agree'), Type.Literal('object')]), conditions: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ transition: Type.Unknown() }), ...Problems },
      },
      handler: async (request) => ({ transition: transitionJson(await reviewApplication(deps, { applicationId: request.params.id, reviewId: request.params.reviewId, opinion: request.body.opinion, conditions: request.body.conditions ?? '', principal: requirePrincipal(request), requestId: request.id })) }),
    });

    app.post('/api/workflow/tasks/:id/claim', {
      config: { access: access.roles('officer', 'agency-head', 'admin') },
      schema: { summary: 'Take a task: it becomes yours on the worklist', tags: ['workflow'], params: AppParams, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await db.transaction().execute((trx) => claimTask(trx, request.params.id, requirePrincipal(request), request.id));
        return reply.code(204).send(null);
      },
    });

    app.post('/api/workflow/tasks/:id/release', {
      config: { access: access.roles('officer', 'agency-head', 'admin') },
      schema: { summary: 'Give a task back to the team', tags: ['workflow'], params: AppParams, response: { 204: Type.Null(), ...Problems } },
      handler: async (request, reply) => {
        await db.transaction().execute((trx) => releaseTask(trx, request.params.id, requirePrincipal(request), request.id));
        return reply.code(204).send(null);
      },
    });

    app.post('/api/workflow/tasks/:id/assign', {
      config: { access: access.roles('agency-head') },
      schema: {
        summary: 'Hand a task to an officer of the agency working it (userId null gives it back to the team)',
        tags: ['workflow'],
        params: AppParams,
        body: Type.Object({ userId: Type.Union([Uuid, Type.Null()]) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...Problems },
      },
      handler: async (request, reply) => {
        await db.transaction().execute((trx) => assignTask(trx, { taskId: request.params.id, assigneeId: request.body.userId, principal: requirePrincipal(request), requestId: request.id, canWork: canWorkAs(trx) }));
        return reply.code(204).send(null);
      },
    });

    app.post('/api/workflow/cases/:id/extend', {
      config: { access: access.roles('agency-head') },
      schema: { summary: "Give the current step more time, with a reason", tags: ['workflow'], params: AppParams, body: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 90 }), reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }), response: { 200: Type.Object({ dueAt: Type.String() }), ...Problems } },
      handler: async (request) => {
        const due = await extendApplicationDeadline(deps, { applicationId: request.params.id, days: request.body.days, reason: request.body.reason, principal: requirePrincipal(request), requestId: request.id });
        return { dueAt: due.toISOString() };
      },
    });
  };
}

