import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { access, requirePrincipal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { Problems } from '../../../platform/http/schemas.ts';
import type { App } from '../../../platform/http/server.ts';
import { DEFAULT_LOCALE, isLocale, negotiateLocale } from '../../../platform/i18n/index.ts';
import { IdempotencyKey, readUploads } from '../application-routes.ts';
import { applicationForStaff } from '../applications/act-on-application.ts';
import type { RegistrationDeps } from '../applications/context.ts';
import { describeApplication } from '../applications/describe-application.ts';
import { currentDefinitions } from '../definitions.ts';
import { completeTask, openTask } from './complete-task.ts';
import { isUuid, parseEFormId } from './identifiers.ts';
import { filesFor, tasksFor } from './list-files.ts';
import { applicationFileOf, documentUrl } from './map-applications.ts';
import { eFormOf, eFormsOf, openService, serviceOf, titleMatches } from './map-services.ts';
import { dataUserTaskOf } from './map-tasks.ts';
import {
  ApplicationFile,
  ApplicationFileSubmit,
  ApplicationListItem,
  CompletedTask,
  DataUserTask,
  EForm,
  EFormListItem,
  MediatorHeaders,
  Service,
  StatisticsItem,
  TaskCompletion,
  UploadResponse,
  UserTask,
} from './schemas.ts';
import { registrationStatistics } from './statistics.ts';
import { applicantsFile, submitFile, updateFile } from './submit-file.ts';
import { parseMetadata, uploadDocument } from './upload-document.ts';

/** GovStack clients reach the Registration BB here; docs/govstack-compatibility.md maps it onto ours. */
export const GOVSTACK_PREFIX = '/govstack/registration';

const TAGS = ['govstack-registration'];
const STAFF = ['officer', 'agency-head', 'admin'] as const;
// Ids are looked up as given: one that cannot exist is simply not found, as GovStack's tests expect.
const IdParam = Type.String({ minLength: 1, maxLength: 200 });
const Paging = {
  firstResult: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 0, description: 'Zero-based index of the first item' })),
  maxResult: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
};

/** The language of names and labels: Accept-Language, else the caller's own, else English. */
function localeOf(request: FastifyRequest): string {
  if (request.headers['accept-language']) return negotiateLocale(request.headers['accept-language']);
  return isLocale(request.principal?.locale) ? request.principal.locale : DEFAULT_LOCALE;
}

function callerOf(request: FastifyRequest) {
  return { principal: requirePrincipal(request), locale: localeOf(request), requestId: request.id };
}

export function govstackRegistrationRoutes(deps: RegistrationDeps, baseUrl: string) {
  const { db } = deps;
  const fileView = async (request: FastifyRequest, fileId: string) => {
    const principal = requirePrincipal(request);
    if (!isUuid(fileId)) throw Problem.notFound('No application file you may see has this id.');
    const mine = await applicantsFile(deps, principal, fileId);
    const view = mine ? await describeApplication(db, mine, principal, 'applicant') : await describeApplication(db, await applicationForStaff(db, principal, fileId), principal, 'staff');
    return applicationFileOf(view, localeOf(request), baseUrl);
  };

  return async (app: App) => {
    // X-Road style: who is calling, as their security server says. Kept in the request's log line,
    // beside the request id that the audit entries of any change carry.
    app.addHook('preHandler', async (request) => {
      const client = request.headers['information-mediator-client'];
      request.log.info({ informationMediatorClient: typeof client === 'string' ? client : null, operation: `${request.method} ${request.routeOptions.url}` }, 'GovStack exchange');
    });

    app.get(`${GOVSTACK_PREFIX}/services`, {
      config: { access: access.public },
      schema: {
        summary: 'Services open for applications (getServiceList)',
        tags: TAGS,
        headers: MediatorHeaders,
        querystring: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200, description: 'Words the title contains, in any language' })) }, { additionalProperties: false }),
        response: { 200: Type.Array(Service), ...Problems },
      },
      handler: async (request) => {
        const { name } = request.query;
        const services = (await currentDefinitions(db)).filter((d) => name === undefined || titleMatches(d.document, name));
        return services.map((d) => serviceOf(d, localeOf(request), baseUrl));
      },
    });

    app.get(`${GOVSTACK_PREFIX}/services/:serviceId`, {
      config: { access: access.public },
      schema: { summary: 'A service (getService); its id is the UUID we give it, or its Daftari id', tags: TAGS, headers: MediatorHeaders, params: Type.Object({ serviceId: IdParam }), response: { 200: Service, ...Problems } },
      handler: async (request) => {
        const service = await openService(db, request.params.serviceId);
        if (!service) throw Problem.notFound('No service open for applications has this id.');
        return serviceOf(service, localeOf(request), baseUrl);
      },
    });

    app.get(`${GOVSTACK_PREFIX}/services/:serviceId/eForms`, {
      config: { access: access.public },
      schema: { summary: "The forms of a service's published versions, newest first (getServiceSchemaByServiceKey)", tags: TAGS, headers: MediatorHeaders, params: Type.Object({ serviceId: IdParam }), response: { 200: Type.Array(EFormListItem), ...Problems } },
      handler: async (request) => {
        const service = await openService(db, request.params.serviceId);
        if (!service) throw Problem.notFound('No service open for applications has this id.');
        return eFormsOf(db, service, localeOf(request));
      },
    });

    app.get(`${GOVSTACK_PREFIX}/eForms/:eFormId`, {
      config: { access: access.public },
      schema: { summary: 'A form with the JSON Schema of its data', tags: TAGS, headers: MediatorHeaders, params: Type.Object({ eFormId: IdParam }), response: { 200: EForm, ...Problems } },
      handler: async (request) => {
        const id = parseEFormId(request.params.eFormId);
        const form = id && (await eFormOf(db, id.serviceId, id.version, localeOf(request)));
        if (!form) throw Problem.notFound('No form has this id.');
        return form;
      },
    });

    app.post(`${GOVSTACK_PREFIX}/services/:serviceId/applications`, {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'Apply: create and submit an application file. A retry with the same Idempotency-Key (or, without one, the same body) returns the first file',
        tags: TAGS,
        headers: Type.Composite([MediatorHeaders, Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) })]),
        params: Type.Object({ serviceId: IdParam }),
        body: ApplicationFileSubmit,
        response: { 200: ApplicationFile, ...Problems },
      },
      handler: async (request) => {
        const caller = callerOf(request);
        const service = await openService(db, request.params.serviceId);
        if (!service) throw Problem.notFound('No service open for applications has this id.');
        const file = await submitFile(deps, caller, { service, body: request.body, idempotencyKey: request.headers['idempotency-key'] });
        return applicationFileOf(await describeApplication(db, file, caller.principal, 'applicant'), caller.locale, baseUrl);
      },
    });

    app.get(`${GOVSTACK_PREFIX}/applications`, {
      config: { access: access.roles('citizen', ...STAFF) },
      schema: {
        summary: "Files: an applicant's own (newest first); an operator's worklist (soonest due first) (getApplicantFileList)",
        tags: TAGS,
        headers: MediatorHeaders,
        querystring: Type.Object({ serviceId: Type.Optional(IdParam), applicantId: Type.Optional(IdParam), ...Paging }, { additionalProperties: false }),
        response: { 200: Type.Array(ApplicationListItem), ...Problems },
      },
      handler: async (request) => {
        const { serviceId, applicantId, firstResult = 0, maxResult = 50 } = request.query;
        return filesFor(deps, requirePrincipal(request), { serviceId, applicantId }, { first: firstResult, max: maxResult }, localeOf(request), baseUrl);
      },
    });

    app.get(`${GOVSTACK_PREFIX}/applications/:fileId`, {
      config: { access: access.signedIn },
      schema: { summary: 'A file, for its applicant or the staff working it (getApplicationFileById)', tags: TAGS, headers: MediatorHeaders, params: Type.Object({ fileId: IdParam }), response: { 200: ApplicationFile, ...Problems } },
      handler: async (request) => fileView(request, request.params.fileId),
    });

    app.put(`${GOVSTACK_PREFIX}/applications/:fileId`, {
      config: { access: access.signedIn },
      schema: {
        summary: "Save answers in the applicant's draft file; operators record findings by completing tasks instead (updateApplicationFileForm)",
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object({ fileId: IdParam }),
        body: ApplicationFileSubmit,
        response: { 200: ApplicationFile, ...Problems },
      },
      handler: async (request) => {
        if (!isUuid(request.params.fileId)) throw Problem.notFound('No application file you may see has this id.');
        await updateFile(deps, callerOf(request), { fileId: request.params.fileId, body: request.body });
        return fileView(request, request.params.fileId);
      },
    });

    app.post(`${GOVSTACK_PREFIX}/documents`, {
      config: { access: access.roles('citizen') },
      schema: {
        summary: 'Upload a document (multipart/form-data, part "file") into a draft file; additionalMetadata says which file, or which service to open one for (uploadFile)',
        tags: TAGS,
        headers: MediatorHeaders,
        consumes: ['multipart/form-data'],
        querystring: Type.Object({ additionalMetadata: Type.Optional(Type.String({ maxLength: 2000, description: 'JSON: {"fileId", "documentType"} or {"serviceId", "documentType", "applicantId"?}' })) }, { additionalProperties: false }),
        response: { 200: UploadResponse, ...Problems },
      },
      handler: async (request) => {
        if (!request.isMultipart()) throw Problem.badRequest('Send the document as multipart/form-data, in a part named "file".');
        const metadata = parseMetadata(request.query.additionalMetadata);
        const { uploads } = await readUploads(request);
        const document = await uploadDocument(deps, callerOf(request), { metadata, uploads });
        return {
          code: 200,
          type: document.document_type,
          message: `Filed as "${document.document_type}" in the draft application file ${document.application_id}. Send this url in documentUrls when you submit the application.`,
          url: documentUrl(baseUrl, document.application_id, document.id),
        };
      },
    });

    app.get(`${GOVSTACK_PREFIX}/tasks`, {
      config: { access: access.roles(...STAFF) },
      schema: {
        summary: 'Open tasks I may work on, soonest due first (getTasks)',
        tags: TAGS,
        headers: MediatorHeaders,
        querystring: Type.Object({ mainTaskId: Type.Optional(IdParam), fileId: Type.Optional(IdParam), assigneeId: Type.Optional(IdParam), ...Paging }, { additionalProperties: false }),
        response: { 200: Type.Array(UserTask), ...Problems },
      },
      handler: async (request) => {
        const { mainTaskId, fileId, assigneeId, firstResult = 0, maxResult = 50 } = request.query;
        return tasksFor(deps, requirePrincipal(request), { mainTaskId, fileId, assigneeId }, { first: firstResult, max: maxResult }, localeOf(request));
      },
    });

    app.get(`${GOVSTACK_PREFIX}/tasks/:taskId`, {
      config: { access: access.roles(...STAFF) },
      schema: { summary: 'A task, with what completing it may send and the answers it is about (getTaskById)', tags: TAGS, headers: MediatorHeaders, params: Type.Object({ taskId: IdParam }), response: { 200: DataUserTask, ...Problems } },
      handler: async (request) => {
        const { task, view } = await openTask(deps, requirePrincipal(request), request.params.taskId);
        return dataUserTaskOf(task, view, localeOf(request));
      },
    });

    app.post(`${GOVSTACK_PREFIX}/tasks/:taskId/complete`, {
      config: { access: access.roles(...STAFF) },
      schema: {
        summary: 'Complete a task: the action (or review opinion) named as the key of data, or the one action that moves the file on (completeTaskById)',
        tags: TAGS,
        headers: MediatorHeaders,
        params: Type.Object({ taskId: IdParam }),
        body: TaskCompletion,
        response: { 200: CompletedTask, ...Problems },
      },
      handler: async (request) => completeTask(deps, callerOf(request), { taskId: request.params.taskId, data: request.body.data ?? {} }),
    });

    // The spec's path, and the versioned one GovStack's own test suite calls.
    for (const path of ['/data/statistics', '/data/statistics/1.0']) {
      app.get(`${GOVSTACK_PREFIX}${path}`, {
        config: { access: access.public },
        schema: {
          summary: 'How many files staff approved, sent back and rejected, per period (Statistics); counts per operator are for agency heads',
          tags: TAGS,
          headers: MediatorHeaders,
          querystring: Type.Object(
            {
              startDate: Type.Optional(Type.String({ format: 'date', description: 'First day (UTC); default 29 days before endDate' })),
              endDate: Type.Optional(Type.String({ format: 'date', description: 'Last day, included (UTC); default today' })),
              registrationName: Type.Optional(Type.String({ maxLength: 200, description: 'A service id or title' })),
              operator: Type.Optional(Type.String({ maxLength: 200 })),
              role: Type.Optional(Type.String({ maxLength: 40 })),
              timeframe: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year')])),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Array(StatisticsItem), ...Problems },
        },
        handler: async (request) => registrationStatistics(db, request.principal, request.query),
      });
    }
  };
}
