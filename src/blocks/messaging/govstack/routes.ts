import { randomInt } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import type { Db } from '../../../platform/db/database.ts';
import { access, requirePrincipal } from '../../../platform/http/access.ts';
import { Problem } from '../../../platform/http/problem.ts';
import { Problems } from '../../../platform/http/schemas.ts';
import type { App } from '../../../platform/http/server.ts';
import { negotiateLocale } from '../../../platform/i18n/index.ts';
import { actorOf, recordAudit } from '../../audit/index.ts';
import { findMessage, recordCallback, tallyAbout, type TallyRow } from '../store.ts';
import type { Messenger } from '../messenger.ts';
import {
  BatchEmail,
  BatchRecipients,
  CallbackContent,
  IdempotencyHeader,
  RequestStatus,
  RequestUidHeader,
  ResponseRequestAccepted,
  SingleEmail,
  StatusQuery,
  type GovStackStatus,
  type RecipientInfo,
} from './schemas.ts';

/** GovStack clients reach the Messaging BB here; docs/messaging.md maps it onto ours. */
export const GOVSTACK_MESSAGING_PREFIX = '/govstack/messaging';
export const MESSAGING_CLIENT_ROLE = 'messaging-client';
/** The `about` of every message a GovStack request queued: its delivery log and status are per request. */
export const GOVSTACK_REQUEST = 'govstack-request';

const TAGS = ['govstack-messaging'];
const ACCEPTED = 'Request successfully accepted. Use "requestUid" to track its status.';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validateBatch = ajv.compile<Static<typeof BatchRecipients>>(BatchRecipients);

/** Like the spec's example, `UfQK-CPju-Ea5B-6y7X-8A72-VqU5`: 142 random bits, so one client cannot guess another's. */
function newRequestUid(): string {
  return Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-');
}

/** Each address of a recipient gets its own message: CC and BCC are copies nobody else sees. */
function addressesOf(recipient: RecipientInfo): string[] {
  return [...new Set([recipient.email, recipient.emailCC, recipient.emailBCC].filter((a): a is string => a !== undefined).map((a) => a.trim()))];
}

function batchRecipients(base64: string): RecipientInfo[] {
  const pointer = '/body/recipientInfo/batchEmailAsBase64';
  let decoded: unknown;
  try {
    decoded = secureJson.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64')), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw Problem.invalidField(pointer, 'is not the Base64 of a UTF-8 JSON document');
  }
  if (!validateBatch(decoded)) {
    const errors = (validateBatch.errors ?? []).map((e) => ({ pointer: `${pointer}${e.instancePath}`, reason: e.message ?? 'is invalid' }));
    throw Problem.badRequest(`The batch of recipients is invalid: ${errors.map((e) => `${e.pointer} ${e.reason}`).join('; ')}.`, errors);
  }
  return decoded.map((entry) => entry.recipientInfo);
}

/** The agency whose client this is: its messages are that agency's. */
function clientOf(request: FastifyRequest) {
  const principal = requirePrincipal(request);
  const agencyId = principal.roles.find((r) => r.role === MESSAGING_CLIENT_ROLE)?.agencyId ?? null;
  return { principal, agencyId, actor: actorOf(principal) };
}

/** Our statuses in GovStack's words; `scheduled` stays 0: this API has no sending later. */
function govstackStatusOf(row: TallyRow): GovStackStatus {
  switch (row.status) {
    case 'queued':
      return row.retrying ? 'deferred' : 'processing';
    case 'sent':
    case 'delivered':
      return 'delivered';
    case 'failed':
      return row.failure === 'rejected' || row.failure === 'reported' ? 'bounced' : 'notSent';
  }
}

export function govstackMessagingRoutes({ db, messenger }: { db: Db; messenger: Messenger }) {
  /** Queue one e-mail per address, all or none, under one requestUid (the first one's, for a retried request). */
  async function sendAll(request: FastifyRequest, recipients: RecipientInfo[], content: { title: string; content: string }): Promise<string> {
    const { principal, agencyId, actor } = clientOf(request);
    const addresses = recipients.flatMap(addressesOf);
    if (addresses.length > 1000) throw Problem.badRequest('A request may send at most 1000 e-mails, counting copies.');
    const idempotencyKey = request.headers['idempotency-key'];
    const requestUid = newRequestUid();
    const locale = negotiateLocale(request.headers['content-language']);
    return db.transaction().execute(async (trx) => {
      const ids: string[] = [];
      for (const [index, to] of addresses.entries()) {
        ids.push(
          await messenger.queue(trx, {
            channel: 'email',
            to,
            locale,
            subject: content.title,
            body: content.content,
            about: { type: GOVSTACK_REQUEST, id: requestUid },
            agencyId,
            template: 'govstack.email',
            dedupeKey: typeof idempotencyKey === 'string' ? `govstack:${principal.id}:${idempotencyKey}:${index}` : undefined,
            actor,
            requestId: request.id,
          }),
        );
      }
      return (await findMessage(trx, ids[0]!))?.about_id ?? requestUid;
    });
  }

  /** A request of the caller's own, or 404: another client's requestUid is as unknown as a made-up one. */
  async function ownRequest(request: FastifyRequest, requestUid: string): Promise<TallyRow[]> {
    const rows = await tallyAbout(db, { type: GOVSTACK_REQUEST, id: requestUid }, requirePrincipal(request).id);
    if (rows.length === 0) throw Problem.notFound('No request of yours has this requestUid.');
    return rows;
  }

  return async (app: App) => {
    app.post(`${GOVSTACK_MESSAGING_PREFIX}/send/email/single`, {
      config: { access: access.roles(MESSAGING_CLIENT_ROLE) },
      schema: {
        summary: 'Send a single e-mail (sendSingleEmail); CC and BCC addresses get copies of their own',
        tags: TAGS,
        headers: IdempotencyHeader,
        body: SingleEmail,
        response: { 200: ResponseRequestAccepted, ...Problems },
      },
      handler: async (request) => {
        const requestUid = await sendAll(request, [request.body.recipientInfo], request.body.emailContent);
        return { response: ACCEPTED, requestUid, requestUID: requestUid };
      },
    });

    app.post(`${GOVSTACK_MESSAGING_PREFIX}/send/email/batch`, {
      config: { access: access.roles(MESSAGING_CLIENT_ROLE) },
      schema: {
        summary: 'Send one e-mail to many recipients (sendBatchEmail), given as Base64 of a JSON array of { recipientInfo }',
        tags: TAGS,
        headers: IdempotencyHeader,
        body: BatchEmail,
        response: { 200: ResponseRequestAccepted, ...Problems },
      },
      handler: async (request) => {
        const recipients = batchRecipients(request.body.recipientInfo.batchEmailAsBase64);
        const requestUid = await sendAll(request, recipients, request.body.emailContent);
        return { response: ACCEPTED, requestUid, requestUID: requestUid };
      },
    });

    app.get(`${GOVSTACK_MESSAGING_PREFIX}/status/email`, {
      config: { access: access.roles(MESSAGING_CLIENT_ROLE) },
      schema: {
        summary: "How many of a request's e-mails stand at each status asked for (getEmailStatus)",
        tags: TAGS,
        headers: RequestUidHeader,
        querystring: StatusQuery,
        response: { 200: RequestStatus, ...Problems },
      },
      handler: async (request) => {
        const rows = await ownRequest(request, request.headers.requestuid);
        const counts = Object.fromEntries(request.query.status.map((s) => [s, 0])) as Partial<Record<GovStackStatus, number>>;
        for (const row of rows) {
          const status = govstackStatusOf(row);
          if (status in counts) counts[status]! += row.n;
        }
        return counts;
      },
    });

    app.post(`${GOVSTACK_MESSAGING_PREFIX}/callback/email`, {
      config: { access: access.roles(MESSAGING_CLIENT_ROLE) },
      schema: {
        summary: 'Client-specific content about a request, such as replies (callbackEmail); kept with the request',
        tags: TAGS,
        headers: RequestUidHeader,
        body: CallbackContent,
        response: { 200: ResponseRequestAccepted, ...Problems },
      },
      handler: async (request) => {
        const requestUid = request.headers.requestuid;
        await ownRequest(request, requestUid);
        const { agencyId, actor } = clientOf(request);
        await db.transaction().execute(async (trx) => {
          const id = await recordCallback(trx, { requestUid, clientId: requirePrincipal(request).id, meta: request.body.meta ?? null, content: request.body.content ?? null });
          await recordAudit(trx, { actor, agencyId, action: 'messaging.receive-callback', subjectType: 'govstack-callback', subjectId: String(id), requestId: request.id, details: { requestUid }, change: request.body });
        });
        return { response: 'Callback content accepted.', requestUid, requestUID: requestUid };
      },
    });
  };
}
