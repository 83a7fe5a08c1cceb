import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The service definition: one document that turns into a public service (form, documents, fees,
 * workflow, outputs, notifications). Published as JSON Schema at /schemas/service-definition.json;
 * docs/service-definitions.md explains each part with examples.
 */

const Id = (description: string) => Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description });
/** Text per language, e.g. `{ en: "Trade name", fr: "Nom commercial", ar: "الاسم التجاري" }`. */
export const Text = Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 5000 }), {
  minProperties: 1,
  description: 'Text per language code (en, fr, ar, …)',
});
/** An expression over the form data, e.g. `floors > 2 && zone == 'R2'` (see docs/expressions.md). */
export const Expr = Type.String({ minLength: 1, maxLength: 2000, description: 'An expression over the form data' });

const Option = Type.Object({ value: Type.String({ minLength: 1, maxLength: 100 }), label: Text }, { additionalProperties: false });

export const FIELD_TYPES = ['text', 'textarea', 'integer', 'decimal', 'date', 'select', 'radio', 'yes-no', 'email', 'phone'] as const;

export const FieldSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$', description: 'Name of the value in the form data (camelCase)' }),
    type: Type.Union(FIELD_TYPES.map((t) => Type.Literal(t))),
    label: Text,
    hint: Type.Optional(Text),
    required: Type.Optional(Type.Boolean({ default: false })),
    /** Shown and validated only when true. */
    when: Type.Optional(Expr),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    minLength: Type.Optional(Type.Integer({ minimum: 0 })),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
    pattern: Type.Optional(Type.String({ maxLength: 500, description: 'Regular expression the whole value must match' })),
    options: Type.Optional(Type.Array(Option, { minItems: 1, maxItems: 200 })),
    /**
     * A value read from a registry, about the applicant and with their consent where the registry
     * holds personal data. The record is the applicant's own (the registry's person field is their
     * national id), found by the answers `match` names: registry field → an earlier step's field.
     */
    prefill: Type.Optional(
      Type.Object(
        {
          registry: Id('registry id'),
          field: Type.String({ maxLength: 100 }),
          match: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,99}$' }), Type.String({ maxLength: 63 }), { maxProperties: 5, description: 'Registry field → form field of an earlier step whose answer it must equal' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const StepSchema = Type.Object(
  {
    id: Id('step id'),
    title: Text,
    description: Type.Optional(Text),
    when: Type.Optional(Expr),
    fields: Type.Array(FieldSchema, { minItems: 1, maxItems: 60 }),
  },
  { additionalProperties: false },
);

export const DOCUMENT_TYPES = ['pdf', 'png', 'jpeg', 'webp', 'tiff', 'dwg', 'dxf', 'zip'] as const;

export const DocumentSchema = Type.Object(
  {
    id: Id('document id'),
    label: Text,
    hint: Type.Optional(Text),
    required: Type.Optional(Type.Boolean({ default: true })),
    when: Type.Optional(Expr),
    accept: Type.Array(Type.Union(DOCUMENT_TYPES.map((t) => Type.Literal(t))), { minItems: 1, uniqueItems: true, description: 'Checked by the file content, not its name' }),
    maxSizeMb: Type.Number({ exclusiveMinimum: 0, maximum: 200 }),
    maxFiles: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 1 })),
  },
  { additionalProperties: false },
);

export const FeeSchema = Type.Object(
  {
    id: Id('fee id'),
    label: Text,
    amount: Expr,
    when: Type.Optional(Expr),
  },
  { additionalProperties: false },
);

export const FeesSchema = Type.Object(
  {
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
    /** Digits after the decimal point for this currency (DJF 0, TZS 2, TJS 2). */
    decimals: Type.Integer({ minimum: 0, maximum: 4 }),
    /** Rate tables for `lookup(table, key)`: `{ zoneRates: { R1: "120", R2: "150" } }`. */
    tables: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$' }), Type.Record(Type.String({ maxLength: 100 }), Type.Union([Type.String({ pattern: '^-?\\d+(\\.\\d+)?$' }), Type.Number()])))),
    items: Type.Array(FeeSchema, { minItems: 1, maxItems: 30 }),
  },
  { additionalProperties: false },
);

/** Who acts: a role, in the owning agency unless another agency is named. */
export const ActorSchema = Type.Object(
  {
    role: Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$' }),
    agency: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{2,40}$' })),
    /** Route to the agency the applicant chose in this form field (a select whose values are agency codes). */
    agencyFrom: Type.Optional(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$' })),
  },
  { additionalProperties: false },
);

export const INPUT_TYPES = ['text', 'textarea', 'checklist', 'date', 'yes-no', 'pass-fail', 'assessment', 'photos'] as const;
export const PHOTO_TYPES = ['jpeg', 'png', 'webp'] as const;

export const InputSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$' }),
    /**
     * `pass-fail` is one verdict; `assessment` judges each of its `items` pass or fail (an
     * inspection checklist); `photos` are files uploaded with the action, checked by content.
     */
    type: Type.Union(INPUT_TYPES.map((t) => Type.Literal(t))),
    label: Text,
    required: Type.Optional(Type.Boolean({ default: true })),
    /** For a checklist: the items an officer ticks; for an assessment: the items judged. */
    items: Type.Optional(Type.Array(Type.Object({ id: Id('item id'), label: Text }, { additionalProperties: false }), { minItems: 1, maxItems: 50 })),
    /** For photos: the image types accepted, the largest file and how many. */
    accept: Type.Optional(Type.Array(Type.Union(PHOTO_TYPES.map((t) => Type.Literal(t))), { minItems: 1, uniqueItems: true })),
    maxSizeMb: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 50 })),
    maxFiles: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 1 })),
  },
  { additionalProperties: false },
);

/**
 * An appointment booked with the scheduler when a case enters the state: a free resource of the
 * owning agency, the applicant as an attendee (who may then see, move or cancel it).
 */
export const BookingSchema = Type.Object(
  {
    // The scheduler's RESOURCE_KINDS; a kind it does not know would not compile where the booking is made.
    kind: Type.Union([Type.Literal('inspector'), Type.Literal('room'), Type.Literal('vehicle')]),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 720 }),
    /** What the attendees' calendars and reminders call it; `{{trackingNumber}}` and answers may be used. */
    title: Text,
    /** The earliest slot offered is this many days ahead (default 1), so the applicant can be reminded. */
    noticeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
    /** Days searched for a free slot after the notice (default 30); none free refuses the move. */
    withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 180 })),
  },
  { additionalProperties: false },
);

export const EffectSchema = Type.Union([
  Type.Object({ issue: Id('output id') }, { additionalProperties: false }),
  Type.Object({ notify: Id('notification id') }, { additionalProperties: false }),
  Type.Object({ book: BookingSchema }, { additionalProperties: false }),
]);

export const ActionSchema = Type.Object(
  {
    id: Id('action id'),
    label: Text,
    to: Id('target state'),
    /** Who may take it; defaults to the state's assignee. */
    by: Type.Optional(ActorSchema),
    /** Must be true for the action to be allowed. */
    guard: Type.Optional(Expr),
    /** Message shown when the guard refuses. */
    guardMessage: Type.Optional(Text),
    inputs: Type.Optional(Type.Array(InputSchema, { maxItems: 20 })),
    /**
     * Where the case goes instead of `to` when a condition over the answers and the inputs holds,
     * the first that holds winning: `[{ when: "inputs.result == 'fail'", to: objections }]`.
     */
    branches: Type.Optional(Type.Array(Type.Object({ when: Expr, to: Id('target state') }, { additionalProperties: false }), { minItems: 1, maxItems: 10 })),
    effects: Type.Optional(Type.Array(EffectSchema, { maxItems: 10 })),
  },
  { additionalProperties: false },
);

export const ApplicantActionSchema = Type.Object(
  {
    id: Id('action id'),
    label: Text,
    to: Id('target state'),
    inputs: Type.Optional(Type.Array(InputSchema, { maxItems: 20 })),
    /** The applicant may upload documents with this answer. */
    documents: Type.Optional(Type.Boolean()),
    /**
     * Open only this many days after the case entered the state. On a final state (an appeal after
     * a refusal) it is the only kind of applicant action allowed: taking it reopens the case.
     */
    withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    effects: Type.Optional(Type.Array(EffectSchema, { maxItems: 10 })),
  },
  { additionalProperties: false },
);

export const ReviewSchema = Type.Object(
  { id: Id('review id'), label: Text, by: ActorSchema },
  { additionalProperties: false },
);

export const StateSchema = Type.Object(
  {
    id: Id('state id'),
    label: Text,
    /** Who works cases in this state (their worklist); defaults to officers of the owning agency. */
    assignee: Type.Optional(ActorSchema),
    /** Working days allowed in this state before the case is overdue and escalated. */
    slaDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
    /** The statutory clock stops while a case waits here (waiting for the applicant). */
    pausesClock: Type.Optional(Type.Boolean()),
    actions: Type.Optional(Type.Array(ActionSchema, { maxItems: 20 })),
    applicantActions: Type.Optional(Type.Array(ApplicantActionSchema, { maxItems: 10 })),
    /** Parallel reviews: each reviewer gives an opinion; the case moves on when all have. */
    reviews: Type.Optional(
      Type.Object(
        {
          reviewers: Type.Array(ReviewSchema, { minItems: 1, maxItems: 10 }),
          whenAllAgree: Id('next state when no reviewer objects'),
          whenAnyObjects: Id('next state when a reviewer objects'),
        },
        { additionalProperties: false },
      ),
    ),
    /** A final state closes the case with this outcome. */
    outcome: Type.Optional(Type.Union([Type.Literal('granted'), Type.Literal('refused'), Type.Literal('withdrawn'), Type.Literal('closed')])),
    /** What happens whenever a case enters this state (e.g. an instant service issues its document on submission). */
    effects: Type.Optional(Type.Array(EffectSchema, { maxItems: 10 })),
    /**
     * The case waits here for the applicant to pay the fees: entering the state opens an invoice
     * for them, and the case moves on to `whenPaid` by itself once it is paid in full.
     */
    payment: Type.Optional(
      Type.Object(
        {
          whenPaid: Id('next state once the fees are paid'),
          /** Days the applicant has to pay (default 30). */
          dueDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const WorkflowSchema = Type.Object(
  {
    initial: Id('state a submitted application enters'),
    // One state is enough for an instant service: its initial state is final and issues on submission.
    states: Type.Array(StateSchema, { minItems: 1, maxItems: 50 }),
    /** States from which the applicant may withdraw. */
    withdrawableFrom: Type.Optional(Type.Array(Id('state id'))),
  },
  { additionalProperties: false },
);

export const OutputSchema = Type.Object(
  {
    id: Id('output id'),
    title: Text,
    /** The document's text per language; `{{field}}` inserts a form value, `{{trackingNumber}}` etc. */
    body: Text,
    validityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500 })),
    signed: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

/** Rows by key for `lookup(table, key)`: a rate, a limit, or a list of permitted values. */
const TableSchema = Type.Record(
  Type.String({ maxLength: 100 }),
  Type.Union([Type.String({ pattern: '^-?\\d+(\\.\\d+)?$' }), Type.Number(), Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200 })]),
);
const TableName = Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$' });

/**
 * A rule the answers must satisfy before submission (a zoning limit): `rule` must hold; when it
 * does not, the applicant sees `message`, filled with the answers and the named `values`.
 */
export const CheckSchema = Type.Object(
  {
    id: Id('check id'),
    /** The check applies only when this holds. */
    when: Type.Optional(Expr),
    /** Must be true for the answers to pass; one that cannot be worked out yet (an answer missing) is not judged. */
    rule: Expr,
    /** Default true: a failed check stops the submission; false only warns. */
    blocking: Type.Optional(Type.Boolean({ default: true })),
    /** Figures the message shows, each an expression: `{ limit: "lookup(maxHeight, zone)" }` fills `{{limit}}`. */
    values: Type.Optional(Type.Record(TableName, Expr, { maxProperties: 10 })),
    message: Text,
  },
  { additionalProperties: false },
);

export const NotificationSchema = Type.Object(
  {
    id: Id('notification id'),
    /** `submitted`, `state:<id>` (entering a state) or `action:<id>`. */
    on: Type.String({ pattern: '^(submitted|state:[a-z][a-z0-9-]*|action:[a-z][a-z0-9-]*)$' }),
    to: Type.Union([Type.Literal('applicant'), Type.Literal('assignees')]),
    channels: Type.Array(Type.Union([Type.Literal('email'), Type.Literal('sms')]), { minItems: 1, uniqueItems: true }),
    subject: Text,
    body: Text,
    /** The text message per language (at most 320 characters); without it an SMS carries the subject. */
    sms: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z]{2}$' }), Type.String({ minLength: 1, maxLength: 320 }), { minProperties: 1 })),
  },
  { additionalProperties: false },
);

export const ServiceDefinitionSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: Id('service id, stable across versions'),
    version: Type.Integer({ minimum: 1, description: 'Raised for every change; applications keep the version they started with' }),
    agency: Type.String({ pattern: '^[a-z0-9-]{2,40}$', description: 'Owning agency code' }),
    title: Text,
    description: Text,
    legalBasis: Type.Optional(Text),
    applicants: Type.Array(Type.Union([Type.Literal('person'), Type.Literal('organisation')]), { minItems: 1, uniqueItems: true }),
    timeLimitDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Statutory time limit for a decision' })),
    lifeEvents: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z-]+$' }))),
    form: Type.Object({ steps: Type.Array(StepSchema, { minItems: 1, maxItems: 30 }) }, { additionalProperties: false }),
    documents: Type.Optional(Type.Array(DocumentSchema, { maxItems: 30 })),
    /** Rule tables (zoning limits by zone, …) that checks, fees and guards read with `lookup`. */
    tables: Type.Optional(Type.Record(TableName, TableSchema)),
    /** Rules checked before submission; the applicant sees every failed one on the check page. */
    checks: Type.Optional(Type.Array(CheckSchema, { maxItems: 100 })),
    fees: Type.Optional(FeesSchema),
    workflow: WorkflowSchema,
    outputs: Type.Optional(Type.Array(OutputSchema, { maxItems: 10 })),
    notifications: Type.Optional(Type.Array(NotificationSchema, { maxItems: 50 })),
    /** The applicant is invited to rate the service after the decision, and also on entering the states named here. */
    feedback: Type.Optional(Type.Object({ after: Type.Array(Id('state id'), { minItems: 1, maxItems: 20, uniqueItems: true }) }, { additionalProperties: false })),
    /**
     * A public register of the granted applications, open to anyone: the day of the grant, the
     * tracking number and only the answers named here (never who applied).
     */
    register: Type.Optional(
      Type.Object(
        {
          fields: Type.Array(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,62}$' }), { minItems: 1, maxItems: 20, uniqueItems: true }),
          description: Type.Optional(Text),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Daftari service definition' },
);

export type ServiceDefinition = Static<typeof ServiceDefinitionSchema>;
export type FieldDefinition = Static<typeof FieldSchema>;
export type StepDefinition = Static<typeof StepSchema>;
export type DocumentDefinition = Static<typeof DocumentSchema>;
export type StateDefinition = Static<typeof StateSchema>;
export type ActionDefinition = Static<typeof ActionSchema>;
export type InputDefinition = Static<typeof InputSchema>;
export type CheckDefinition = Static<typeof CheckSchema>;
export type BookingDefinition = Static<typeof BookingSchema>;
export type EffectDefinition = Static<typeof EffectSchema>;

/** The schema as published at `${baseUrl}/schemas/service-definition.json`, without TypeBox's internal symbols. */
export function publishedSchema(baseUrl: string): TSchema {
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: `${baseUrl}/schemas/service-definition.json`, ...JSON.parse(JSON.stringify(ServiceDefinitionSchema)) } as TSchema;
}
