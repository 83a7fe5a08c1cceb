import { Type, type Static } from '@sinclair/typebox';
import { Answers, Inputs } from '../application-routes.ts';

/**
 * The payloads of the GovStack Registration BB API (spec/GovStack_Registration_BB_API.json),
 * as our routes declare them. conformance.test.ts checks what we send against the spec's own
 * schemas; docs/govstack-compatibility.md lists where we differ and why.
 */

export const MediatorHeaders = Type.Object({
  'information-mediator-client': Type.Optional(
    Type.String({ pattern: '^[^/\\s]+/[^/\\s]+/[^/\\s]+/[^/\\s]+$', maxLength: 255, description: 'X-Road style caller, INSTANCE/CLASS/MEMBER/SUBSYSTEM: recorded with the request, not required' }),
  ),
});

export const StatusModel = Type.Object({
  code: Type.Union([Type.Literal('PENDING'), Type.Literal('APPROVED'), Type.Literal('SENDBACK'), Type.Literal('REJECTED')]),
  title: Type.String(),
});
export type Status = Static<typeof StatusModel>;

const CodeValue = Type.Object({ code: Type.String(), value: Type.String() });

export const Service = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Derived from the Daftari service id, which serviceBody gives as `serviceKey`' }),
  name: Type.String(),
  version: Type.String(),
  type: Type.Union([Type.Literal('None'), Type.Literal('Private'), Type.Literal('Public')]),
  isExecutable: Type.Boolean(),
  isClosed: Type.Boolean(),
  description: Type.String(),
  serviceBody: Type.Array(CodeValue),
});
export type ServiceOut = Static<typeof Service>;

export const EFormListItem = Type.Object({
  eFormId: Type.String({ description: 'service id @ definition version, e.g. business-licence@1' }),
  name: Type.String(),
  description: Type.String(),
  version: Type.String(),
  latest: Type.Boolean({ description: 'The version new applications are made on' }),
});
export type EFormListItemOut = Static<typeof EFormListItem>;

export const EForm = Type.Composite([EFormListItem, Type.Object({ schema: Type.Object({}, { additionalProperties: true, description: 'JSON Schema (2020-12) of the form data' }) })]);
export type EFormOut = Static<typeof EForm>;

const DocumentUrls = Type.Array(Type.String({ maxLength: 500 }), { maxItems: 30 });

export const ApplicationFileSubmit = Type.Object(
  {
    applicationName: Type.Optional(Type.String({ maxLength: 500 })),
    applicantId: Type.String({ minLength: 1, maxLength: 100, description: 'Your user or party id to apply for yourself; the party id of someone who gave you a mandate to apply for them' }),
    created: Type.Optional(Type.String({ format: 'date-time' })),
    formData: Type.Optional(Type.Object({ data: Type.Optional(Answers), eFormId: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false })),
    documentUrls: Type.Optional(DocumentUrls),
  },
  { additionalProperties: false },
);
/** As routes hand it over: the answers' values are the form engine's to check. */
export type ApplicationFileSubmitIn = Omit<Static<typeof ApplicationFileSubmit>, 'formData'> & { formData?: { data?: Record<string, unknown>; eFormId?: string } };

const FormDataOut = Type.Object({ data: Type.Record(Type.String(), Type.Unknown()), eFormId: Type.String() });

export const ApplicationFile = Type.Object({
  fileId: Type.String(),
  applicantId: Type.String({ description: 'As in applicationData: the spec requires it here too' }),
  registered: Type.Optional(Type.String({ format: 'date-time', description: 'When it was submitted; absent for a draft' })),
  serviceId: Type.String({ format: 'uuid' }),
  serviceName: Type.String(),
  status: StatusModel,
  ended: Type.Boolean(),
  trackingNumber: Type.Optional(Type.String({ description: 'Daftari: the number the applicant quotes' })),
  applicationData: Type.Object({
    applicantId: Type.String(),
    created: Type.String({ format: 'date-time' }),
    formData: FormDataOut,
    documentUrls: DocumentUrls,
  }),
});
export type ApplicationFileOut = Static<typeof ApplicationFile>;

/** An object per key, as the spec's `additionalData` has it. */
const ObjectsByKey = Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }));

export const ApplicationListItem = Type.Object({
  fileId: Type.String(),
  mainTaskId: Type.String({ description: "The file's workflow case (in Daftari the same id as the file)" }),
  taskTitle: Type.Optional(Type.String()),
  roleId: Type.Optional(Type.String()),
  roleName: Type.Optional(Type.String()),
  assigneeId: Type.Optional(Type.String()),
  operatorName: Type.Optional(Type.String()),
  status: StatusModel,
  applicantId: Type.String(),
  created: Type.String({ format: 'date-time' }),
  registered: Type.Optional(Type.String({ format: 'date-time' })),
  description: Type.String(),
  serviceName: Type.String(),
  serviceId: Type.String({ format: 'uuid' }),
  eformId: Type.String(),
  documentUrls: DocumentUrls,
  additionalMeta: Type.Object({ data: ObjectsByKey }),
});
export type ApplicationListItemOut = Static<typeof ApplicationListItem>;

const TaskCommon = {
  taskId: Type.String(),
  mainTaskId: Type.String(),
  assigneeId: Type.Optional(Type.String()),
  roleId: Type.String(),
  created: Type.String({ format: 'date-time' }),
  description: Type.String(),
  serviceId: Type.String({ format: 'uuid' }),
  serviceName: Type.String(),
  fileId: Type.String(),
  eFormId: Type.String(),
  status: StatusModel,
};

export const UserTask = Type.Object({ ...TaskCommon, name: Type.String() });
export type UserTaskOut = Static<typeof UserTask>;

export const DataUserTask = Type.Object({
  ...TaskCommon,
  name: Type.String(),
  taskName: Type.String(),
  formVariables: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }), { description: 'What completing the task may send: each key of `data`, with its label, target state and inputs' }),
  data: Type.Record(Type.String(), Type.Unknown(), { description: "The application's answers" }),
});
export type DataUserTaskOut = Static<typeof DataUserTask>;

export const TaskCompletion = Type.Object(
  {
    data: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }), Inputs, {
        maxProperties: 1,
        description: 'The action (or, for a review task, `agree` or `object`) as the only key, its inputs as the value; empty to take the one action that moves the file on',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CompletedTask = Type.Object({
  taskId: Type.String(),
  fileId: Type.String(),
  serviceId: Type.String({ format: 'uuid' }),
  status: StatusModel,
  variables: Type.Record(Type.String(), Type.Object({ data: Type.Record(Type.String(), Type.Unknown()) })),
});
export type CompletedTaskOut = Static<typeof CompletedTask>;

export const UploadResponse = Type.Object({
  code: Type.Integer(),
  type: Type.String({ description: 'The document type it was filed as' }),
  message: Type.String(),
  url: Type.String({ description: 'Send it in documentUrls to submit the file it belongs to' }),
});

export const StatisticsItem = Type.Object({
  processed: Type.Integer(),
  approved: Type.Integer(),
  sentBack: Type.Integer(),
  rejected: Type.Integer(),
  references: Type.Object({
    startDate: Type.String({ format: 'date' }),
    endDate: Type.String({ format: 'date' }),
    registrationName: Type.Optional(Type.String()),
    operator: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    timeframeDay: Type.Boolean(),
    timeframeWeek: Type.Boolean(),
    timeframeMonth: Type.Boolean(),
    timeframeYear: Type.Boolean(),
  }),
});
export type StatisticsItemOut = Static<typeof StatisticsItem>;
