import { Type, type Static } from '@sinclair/typebox';

/**
 * The payloads of the GovStack Messaging API (spec/swagger.json, its `definitions`), as TypeBox
 * schemas. The spec makes every field optional; those a message cannot go without (a recipient,
 * a title, a content) are required here, and unknown fields are refused, as everywhere in Daftari.
 */

const Email = Type.String({ format: 'email', maxLength: 254 });
const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
const Base64 = (maxLength: number, description?: string) => Type.String({ maxLength, pattern: '^[A-Za-z0-9+/]*={0,2}$', description });

// The YAML form of the spec says URI and callbackURI, the JSON form uri and callbackUri: both are taken.
export const CallbackSender = Type.Object({ URI: Text(2000), uri: Text(2000) }, { additionalProperties: false });

export const SenderInfo = Type.Object(
  {
    organisationName: Text(200),
    organisationRegNr: Text(100),
    onBehalfOfName: Text(200),
    onBehalfOfRegNr: Text(100),
    email: Type.Optional(Email),
    replyTo: Type.Optional(Email),
    name: Text(200),
  },
  { additionalProperties: false },
);

export const RecipientInfo = Type.Object(
  { email: Email, emailCC: Type.Optional(Email), emailBCC: Type.Optional(Email), name: Text(200) },
  { additionalProperties: false },
);
export type RecipientInfo = Static<typeof RecipientInfo>;

export const EmailContent = Type.Object(
  {
    encoding: Type.Optional(Type.String({ pattern: '^[Uu][Tt][Ff]-?8$', description: 'UTF-8 is the only encoding taken' })),
    title: Type.String({ minLength: 1, maxLength: 500 }),
    content: Type.String({ minLength: 1, maxLength: 100_000, description: 'Plain text' }),
  },
  { additionalProperties: false },
);

export const SingleEmail = Type.Object(
  { callback: Type.Optional(CallbackSender), senderInfo: Type.Optional(SenderInfo), recipientInfo: RecipientInfo, emailContent: EmailContent },
  { additionalProperties: false },
);

export const BatchEmail = Type.Object(
  {
    callbackURI: Type.Optional(CallbackSender),
    callbackUri: Type.Optional(CallbackSender),
    senderInfo: Type.Optional(SenderInfo),
    recipientInfo: Type.Object(
      { batchEmailAsBase64: Base64(1_000_000, 'Base64 of a JSON array of { "recipientInfo": {…} }') },
      { additionalProperties: false },
    ),
    emailContent: EmailContent,
  },
  { additionalProperties: false },
);

/** What `batchEmailAsBase64` decodes to. */
export const BatchRecipients = Type.Array(Type.Object({ recipientInfo: RecipientInfo }, { additionalProperties: false }), { minItems: 1, maxItems: 1000 });

export const CallbackContent = Type.Object({ meta: Text(2000), content: Type.Optional(Base64(200_000)) }, { additionalProperties: false });

/** The YAML form of the spec names the id requestUid, the JSON form requestUID: the answer carries both. */
export const ResponseRequestAccepted = Type.Object({ response: Type.String(), requestUid: Type.String(), requestUID: Type.String() });

export const GOVSTACK_STATUSES = ['scheduled', 'processing', 'deferred', 'bounced', 'notSent', 'delivered'] as const;
export type GovStackStatus = (typeof GOVSTACK_STATUSES)[number];

const Count = Type.Optional(Type.Integer({ minimum: 0 }));
export const RequestStatus = Type.Object({ scheduled: Count, processing: Count, deferred: Count, bounced: Count, notSent: Count, delivered: Count });

export const StatusQuery = Type.Object(
  { status: Type.Array(Type.Union(GOVSTACK_STATUSES.map((s) => Type.Literal(s))), { minItems: 1, maxItems: 6, description: 'The statuses to count' }) },
  { additionalProperties: false },
);

export const RequestUidHeader = Type.Object({ requestuid: Type.String({ minLength: 1, maxLength: 100, description: 'The requestUid a send answered with' }) });

export const IdempotencyHeader = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$', description: 'A retry with the same key queues nothing new and answers with the first requestUid' })),
});
